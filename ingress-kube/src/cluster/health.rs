//! Staleness: whether the source is failing to reach its API server, and
//! since when. Pure state, so that each change of state is reported once.

use std::collections::BTreeSet;
use std::time::SystemTime;

use crate::feed::Kind;

/// A change of the source's state, to report (one log line each).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Turned {
    /// A watch or list started failing: the tables may miss changes made
    /// since then.
    Stale(SystemTime),
    /// Every failing kind recovered, or the API server answered again.
    Fresh { stale_since: SystemTime },
}

/// The kinds whose watch is failing, and since when the first of them
/// did.
#[derive(Debug, Default)]
pub(crate) struct Health {
    failing: BTreeSet<Kind>,
    stale_since: Option<SystemTime>,
}

impl Health {
    pub(crate) fn is_stale(&self) -> bool {
        self.stale_since.is_some()
    }

    /// `kind` failed at `now`.
    pub(crate) fn failed(&mut self, kind: Kind, now: SystemTime) -> Option<Turned> {
        self.failing.insert(kind);
        if self.stale_since.is_some() {
            return None;
        }
        self.stale_since = Some(now);
        Some(Turned::Stale(now))
    }

    /// `kind` delivered an event or a list.
    pub(crate) fn succeeded(&mut self, kind: Kind) -> Option<Turned> {
        self.failing.remove(&kind);
        if self.failing.is_empty() {
            self.recovered()
        } else {
            None
        }
    }

    /// The API server answered a probe: the watches reconnect at their
    /// next retry, from their last resourceVersion.
    pub(crate) fn reachable(&mut self) -> Option<Turned> {
        self.failing.clear();
        self.recovered()
    }

    fn recovered(&mut self) -> Option<Turned> {
        self.stale_since.take().map(|stale_since| Turned::Fresh { stale_since })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_is_reported_once_and_fresh_once_every_kind_recovered() {
        let mut health = Health::default();
        let now = SystemTime::UNIX_EPOCH;
        assert_eq!(health.failed(Kind::Ingress, now), Some(Turned::Stale(now)));
        assert_eq!(health.failed(Kind::Service, now), None);
        assert_eq!(health.succeeded(Kind::Ingress), None);
        assert!(health.is_stale());
        assert_eq!(
            health.succeeded(Kind::Service),
            Some(Turned::Fresh { stale_since: now })
        );
        assert_eq!(health.succeeded(Kind::Service), None);
        assert!(!health.is_stale());
    }

    #[test]
    fn a_reachable_api_server_ends_staleness() {
        let mut health = Health::default();
        let now = SystemTime::UNIX_EPOCH;
        health.failed(Kind::EndpointSlice, now);
        assert_eq!(health.reachable(), Some(Turned::Fresh { stale_since: now }));
        assert_eq!(health.reachable(), None);
    }
}
