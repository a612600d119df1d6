//! One endpoint's [`Outlier`] record, shared by the requests of its
//! backend.
//!
//! Requests read it on every pick, so a record with nothing on it (the
//! usual case) is told by one atomic load, without the lock or the clock;
//! only an endpoint that has failed lately costs a lock.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use super::outlier::{Outlier, Policy, Standing};

/// One endpoint's record, as the requests of its backend share it.
#[derive(Debug, Default)]
pub(crate) struct Health {
    /// Something is on record (a failure, an ejection, probation): set
    /// and cleared under the lock, read without it.
    marked: AtomicBool,
    record: Mutex<Outlier>,
}

impl Health {
    /// Where the endpoint stands; `now` is read only when something is on
    /// record.
    pub(crate) fn standing(&self, now: impl FnOnce() -> Instant) -> Standing {
        if !self.marked.load(Ordering::Relaxed) {
            return Standing::InRotation;
        }
        self.update(|record| record.standing(now()))
    }

    /// Out of rotation at `now`.
    pub(crate) fn is_ejected(&self, now: Instant) -> bool {
        self.marked.load(Ordering::Relaxed) && self.lock().is_ejected(now)
    }

    /// A connect failed; true when this ejected the endpoint.
    pub(crate) fn failed(&self, policy: &Policy, now: Instant, may_eject: bool) -> bool {
        self.update(|record| record.failed(policy, now, may_eject))
    }

    /// A request got an answer; true when the endpoint was ejected until
    /// now.
    pub(crate) fn succeeded(&self) -> bool {
        if !self.marked.load(Ordering::Relaxed) {
            return false;
        }
        self.update(Outlier::succeeded)
    }

    fn update<T>(&self, change: impl FnOnce(&mut Outlier) -> T) -> T {
        let mut record = self.lock();
        let result = change(&mut record);
        self.marked.store(!record.is_clear(), Ordering::Relaxed);
        result
    }

    fn lock(&self) -> MutexGuard<'_, Outlier> {
        // A record is consistent whatever panicked while holding it.
        self.record.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    const POLICY: Policy = Policy {
        failures: 2,
        base: Duration::from_secs(1),
    };

    #[test]
    fn a_clear_record_never_reads_the_clock() {
        let health = Health::default();
        let standing = health.standing(|| unreachable!("the clock was read"));
        assert_eq!(standing, Standing::InRotation);
        assert!(!health.succeeded());
    }

    #[test]
    fn the_mark_follows_the_record() {
        let health = Health::default();
        let now = Instant::now();
        assert!(!health.failed(&POLICY, now, true));
        assert!(health.marked.load(Ordering::Relaxed));
        assert!(!health.succeeded());
        assert!(!health.marked.load(Ordering::Relaxed));
        assert!(!health.failed(&POLICY, now, true));
        assert!(health.failed(&POLICY, now, true));
        assert!(health.is_ejected(now));
        assert_eq!(health.standing(|| now), Standing::Ejected);
        assert_eq!(health.standing(|| now + POLICY.base), Standing::Readmitted);
        // On probation: still marked until a success.
        assert!(health.marked.load(Ordering::Relaxed));
        assert!(!health.succeeded());
        assert!(!health.marked.load(Ordering::Relaxed));
    }
}
