//! What tells, without reading a file, that it may have changed: its size,
//! modification time and, on unix, its device, inode and change time. Tools
//! can set a file's modification time back; they cannot set its change
//! time, nor keep its inode when they replace it.
//!
//! File times are coarse (a jiffy on Linux, a second or two on some file
//! systems): a write in the same tick as a read leaves them as the read
//! saw them. So a fingerprint is only trusted once the file's last change
//! is [`SETTLE`] older than the read that took it, as git does with its
//! "racily clean" entries; before that, the file is read again and its
//! bytes compared.

use std::fs::Metadata;
use std::time::{Duration, SystemTime};

/// How much older than a read a file's last change must be for the
/// fingerprint taken at that read to be trusted: the coarsest time
/// resolution of common file systems (FAT's two seconds). Times are
/// compared with the local clock.
pub(super) const SETTLE: Duration = Duration::from_secs(2);

/// A file's size, times and identity, from its metadata.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) struct Fingerprint {
    len: u64,
    modified: Option<SystemTime>,
    /// Device and inode.
    #[cfg(unix)]
    identity: (u64, u64),
    /// Change time: seconds and nanoseconds.
    #[cfg(unix)]
    changed: (i64, i64),
}

impl Fingerprint {
    pub(super) fn of(metadata: &Metadata) -> Self {
        #[cfg(unix)]
        use std::os::unix::fs::MetadataExt as _;
        Self {
            len: metadata.len(),
            modified: metadata.modified().ok(),
            #[cfg(unix)]
            identity: (metadata.dev(), metadata.ino()),
            #[cfg(unix)]
            changed: (metadata.ctime(), metadata.ctime_nsec()),
        }
    }

    /// Whether the fingerprint, taken at `read_at`, says enough: the file's
    /// last change (modification or change time, whichever is later) is at
    /// least [`SETTLE`] older, so that any later write moves one of them.
    /// Not when a time is unknown or later than `read_at`.
    pub(super) fn is_settled(&self, read_at: SystemTime) -> bool {
        let Some(modified) = self.modified else {
            return false;
        };
        #[cfg(unix)]
        let last = match self.change_time() {
            Some(changed) => changed.max(modified),
            None => return false,
        };
        #[cfg(not(unix))]
        let last = modified;
        read_at.duration_since(last).is_ok_and(|age| age >= SETTLE)
    }

    #[cfg(unix)]
    fn change_time(&self) -> Option<SystemTime> {
        let (seconds, nanoseconds) = self.changed;
        let since_epoch = Duration::new(u64::try_from(seconds).ok()?, u32::try_from(nanoseconds).ok()?);
        SystemTime::UNIX_EPOCH.checked_add(since_epoch)
    }
}
