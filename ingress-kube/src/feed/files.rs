//! The files source: manifest files (a file, or a directory) read again
//! whenever they change, on the caller's thread, without an async runtime.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use super::coalesce::Coalescer;
use super::error::ReloadError;
use super::feed::{Feed, Rebuilt};
use super::publish::Publish;
use super::snapshot::Snapshot;
use crate::manifests::{ManifestCache, Manifests};

/// Manifest files as a source of a [`Feed`].
///
/// - **Noticing.** A change is noticed by the files' fingerprint
///   ([`Manifests::stamp`]), without reading them, and loaded once the
///   fingerprint has stayed the same for one poll interval (so that a file
///   being written is not read half way).
/// - **Parsing.** Only files that changed are parsed again (a
///   [`ManifestCache`]).
/// - **Memory.** Each object is stripped as it is parsed of what routing
///   never reads, as the cluster source's stores strip it (`managedFields`,
///   the last-applied copy, labels and annotations other than the class
///   ones, unread `spec` and `status` fields; of a TLS Secret's data, all
///   but `tls.crt` and `tls.key`), and kept once: the source's cache and
///   the feed share it.
/// - **Broken files.** A file that parsed before and no longer does
///   changes nothing: [`ReloadError::NoLongerParse`], the last good tables
///   stay. Files that never parsed are no reason to refuse a load, since
///   their objects are not served anyway; the first load serves whatever
///   parsed.
///
/// ```
/// use std::time::Duration;
/// use ingress_kube::ClassSelector;
/// use ingress_kube::feed::{Feed, FileSource, Update};
///
/// let dir = tempfile::tempdir().unwrap();
/// let mut routes = 0;
/// let mut feed = Feed::new(ClassSelector::default(), |update: &Update<'_>| routes = update.routes.len());
/// let mut files = FileSource::new(dir.path(), Duration::from_millis(100));
/// let loaded = files.load(&mut feed).unwrap();
/// assert!(loaded.manifests.errors().is_empty());
/// assert!(feed.status().is_ready());
/// ```
#[derive(Debug)]
pub struct FileSource {
    path: PathBuf,
    interval: Duration,
    cache: ManifestCache,
    /// Files that did not parse at the last accepted load.
    broken: BTreeSet<PathBuf>,
    /// Whether a load was accepted yet.
    accepted: bool,
    /// The fingerprint at the last load, and the last one seen since.
    stamp: u64,
    seen: u64,
    settle: Coalescer,
}

/// What one load of the files gave the feed.
#[derive(Debug)]
#[non_exhaustive]
pub struct FilesLoaded {
    /// Everything loaded: unreadable files and documents, duplicates,
    /// skipped kinds, the objects. The objects are copies of those the
    /// feed was given, so stripped as the source keeps them (see
    /// "Memory" above): the same objects, in the same order and from the
    /// same places, as [`Manifests::load`] would give, without the fields
    /// routing never reads.
    pub manifests: Manifests,
    /// How many files were parsed (the others came from the cache).
    pub parsed: usize,
    /// What the feed's rebuild did.
    pub rebuilt: Option<Rebuilt>,
}

impl FileSource {
    /// The manifests at `path`, checked every `interval` by
    /// [`FileSource::watch`].
    pub fn new(path: impl Into<PathBuf>, interval: Duration) -> Self {
        Self {
            path: path.into(),
            interval,
            cache: ManifestCache::stripping(),
            broken: BTreeSet::new(),
            accepted: false,
            stamp: 0,
            seen: 0,
            settle: Coalescer::new(interval, Duration::MAX),
        }
    }

    /// The file or directory read.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads the files now, hands them to `feed` and rebuilds.
    pub fn load<P: Publish>(&mut self, feed: &mut Feed<P>) -> Result<FilesLoaded, ReloadError> {
        let started = Instant::now();
        self.stamp = Manifests::stamp(&self.path);
        self.seen = self.stamp;
        self.settle.clear();
        let (mut manifests, objects) =
            Manifests::load_shared(&self.path, &mut self.cache).map_err(ReloadError::Unreadable)?;
        let broken: BTreeSet<PathBuf> = manifests.errors().iter().map(|e| e.path().to_path_buf()).collect();
        let newly_broken = broken.difference(&self.broken).count();
        if self.accepted && newly_broken > 0 {
            return Err(ReloadError::NoLongerParse {
                newly_broken,
                errors: manifests.take_errors(),
            });
        }
        self.broken = broken;
        self.accepted = true;
        feed.apply(Snapshot::from_shared(&objects).with_start(started));
        let rebuilt = feed.rebuild();
        // The caller's copies, made once the rebuild's own allocations are
        // freed, so that the two do not add up.
        manifests.fill(objects);
        Ok(FilesLoaded {
            manifests,
            parsed: self.cache.last_load().parsed,
            rebuilt,
        })
    }

    /// One check at `now` (taken before the check): loads when the files
    /// changed and have settled, else returns `None`. When the files did
    /// not change but a certificate's validity did
    /// ([`Feed::rebuild_due_at`]), the feed rebuilds without a load (its
    /// publisher hears of it; `None` is returned).
    pub fn poll<P: Publish>(&mut self, feed: &mut Feed<P>, now: Instant) -> Option<Result<FilesLoaded, ReloadError>> {
        if feed.rebuild_due_at().is_some_and(|at| SystemTime::now() >= at) {
            let _ = feed.rebuild();
        }
        let stamp = Manifests::stamp(&self.path);
        if stamp == self.stamp {
            self.seen = stamp;
            self.settle.clear();
            return None;
        }
        if stamp != self.seen {
            self.seen = stamp;
            self.settle.changed(now);
        }
        self.settle.take(now).then(|| self.load(feed))
    }

    /// Checks the files every interval, for ever, and loads them after
    /// each change; `report` hears of every load. Run it on a thread of its
    /// own: parsing and compiling never hold up a thread serving requests.
    pub fn watch<P: Publish>(mut self, mut feed: Feed<P>, mut report: impl FnMut(Result<FilesLoaded, ReloadError>)) {
        loop {
            std::thread::sleep(self.interval);
            if let Some(result) = self.poll(&mut feed, Instant::now()) {
                report(result);
            }
        }
    }
}
