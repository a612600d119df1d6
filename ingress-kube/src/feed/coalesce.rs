//! Coalescing: a burst of changes makes one rebuild, after a quiet period
//! or at the latest after a maximum delay. The clock is the caller's, so
//! the rule is tested on plain values.

use std::time::{Duration, Instant};

/// When a burst of changes is rebuilt: once no change came for `quiet`,
/// or `max_delay` after the first change of the burst, whichever is
/// sooner.
///
/// ```
/// use std::time::{Duration, Instant};
/// use ingress_kube::feed::Coalescer;
///
/// let mut coalescer = Coalescer::new(Duration::from_millis(100), Duration::from_secs(1));
/// let start = Instant::now();
/// coalescer.changed(start);
/// coalescer.changed(start + Duration::from_millis(60));
/// // 100 ms after the last change, not after the first.
/// assert!(!coalescer.take(start + Duration::from_millis(150)));
/// assert!(coalescer.take(start + Duration::from_millis(160)));
/// assert!(!coalescer.is_pending());
/// ```
#[derive(Debug, Clone)]
pub struct Coalescer {
    quiet: Duration,
    max_delay: Duration,
    /// The first and the last change of the pending burst.
    burst: Option<(Instant, Instant)>,
}

impl Default for Coalescer {
    /// For an API server: 100 ms quiet, 1 s at most.
    fn default() -> Self {
        Self::new(Duration::from_millis(100), Duration::from_secs(1))
    }
}

impl Coalescer {
    /// Rebuilds after `quiet` without changes, or `max_delay` after the
    /// first change at the latest. A `max_delay` of [`Duration::MAX`]
    /// waits for quiet however long the burst lasts.
    pub fn new(quiet: Duration, max_delay: Duration) -> Self {
        Self {
            quiet,
            max_delay,
            burst: None,
        }
    }

    /// The quiet period.
    pub fn quiet(&self) -> Duration {
        self.quiet
    }

    /// The maximum delay.
    pub fn max_delay(&self) -> Duration {
        self.max_delay
    }

    /// Notes a change seen at `now`.
    pub fn changed(&mut self, now: Instant) {
        self.burst = Some(match self.burst {
            Some((first, _)) => (first, now),
            None => (now, now),
        });
    }

    /// Forgets the pending changes (they were rebuilt some other way, or
    /// undone).
    pub fn clear(&mut self) {
        self.burst = None;
    }

    /// Whether changes wait for a rebuild.
    pub fn is_pending(&self) -> bool {
        self.burst.is_some()
    }

    /// When the pending changes are due, if any are pending.
    pub fn deadline(&self) -> Option<Instant> {
        let (first, last) = self.burst?;
        let quiet = last.checked_add(self.quiet);
        let latest = first.checked_add(self.max_delay);
        match (quiet, latest) {
            (Some(quiet), Some(latest)) => Some(quiet.min(latest)),
            (one, other) => one.or(other),
        }
    }

    /// Whether the pending changes are due at `now`; when they are, they
    /// count as taken (the caller rebuilds).
    pub fn take(&mut self, now: Instant) -> bool {
        let due = self.deadline().is_some_and(|deadline| now >= deadline);
        if due {
            self.burst = None;
        }
        due
    }
}
