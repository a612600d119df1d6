//! Where a feed's tables came from, and whether it has published yet:
//! what `/routes`, `/metrics` and `/readyz` say.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::SystemTime;

use super::kind::{Kind, SourceKind};

/// A record of a feed's source, as of its last rebuild.
///
/// The API-server counters (restarts, relists, status writes, events)
/// stay zero for manifest files.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SourceStatus {
    /// Where the objects came from.
    pub source: SourceKind,
    /// When the objects of the last rebuild were read.
    pub last_sync: Option<SystemTime>,
    /// How many objects of each kind the source lists.
    pub objects: BTreeMap<Kind, usize>,
    /// The resourceVersion each kind was last listed or watched at.
    pub resource_versions: BTreeMap<Kind, String>,
    /// Rebuilds (each a publish of whatever changed) so far.
    pub rebuilds: u64,
    /// Route tables built (Ingresses or classes changed).
    pub route_builds: u64,
    /// Endpoint tables built (Services or EndpointSlices changed).
    pub endpoint_builds: u64,
    /// Watches that ended and were started again.
    pub watch_restarts: u64,
    /// Full lists taken again after the first.
    pub relists: u64,
    /// Ingress status updates written.
    pub status_writes: u64,
    /// Kubernetes Events emitted.
    pub events_emitted: u64,
    /// Objects the source could not decode, reported and skipped.
    pub decode_errors: u64,
    /// Since when the source has been failing to reach its API server
    /// (the tables may miss changes made since); `None` while it is fresh.
    pub stale_since: Option<SystemTime>,
    /// Whether this replica writes Ingress status and Events: `Some(true)`
    /// while it holds the leader Lease (or writes without an election),
    /// `Some(false)` while another replica does, `None` when it writes
    /// nothing back.
    pub leader: Option<bool>,
}

/// A shared view of a feed's [`SourceStatus`] and readiness. Cloning gives
/// another handle to the same record.
///
/// ```
/// use ingress_kube::feed::FeedStatus;
///
/// let status = FeedStatus::new();
/// assert!(!status.is_ready());
/// assert_eq!(status.record().rebuilds, 0);
/// ```
#[derive(Debug, Clone, Default)]
pub struct FeedStatus {
    inner: Arc<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    ready: AtomicBool,
    record: Mutex<SourceStatus>,
}

impl FeedStatus {
    /// Not ready, nothing recorded.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether the first tables are published: until then a server should
    /// answer 503 (`/readyz` included).
    pub fn is_ready(&self) -> bool {
        self.inner.ready.load(Ordering::Acquire)
    }

    /// A copy of the record.
    pub fn record(&self) -> SourceStatus {
        self.inner.record.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Changes the record: for a source's own counters (watch restarts,
    /// relists, status writes, events).
    pub fn update(&self, change: impl FnOnce(&mut SourceStatus)) {
        change(&mut self.inner.record.lock().unwrap_or_else(PoisonError::into_inner));
    }

    pub(crate) fn set_ready(&self) {
        self.inner.ready.store(true, Ordering::Release);
    }
}
