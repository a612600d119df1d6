//! The faults a test switches on and off while the server runs: an
//! outage, failing lists, broken or silent watch streams, short stream
//! lifetimes. Open watch streams see a change at once (the state lives in
//! a `tokio::sync::watch` channel).

use std::time::Duration;

/// How the server behaves during an outage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outage {
    /// Every connection and request is closed without an answer, as when
    /// nothing listens (kube sees a connection error).
    Refuse,
    /// Every request is answered `503 Service Unavailable` with a
    /// `Status` body, as a restarting API server behind a load balancer.
    Unavailable,
}

/// The switchable state; read by every request and every watch stream.
#[derive(Debug, Clone)]
pub(crate) struct Faults {
    /// An outage in force.
    pub(crate) outage: Option<Outage>,
    /// The status every LIST is answered with (e.g. 500, 403).
    pub(crate) list_status: Option<u16>,
    /// The kinds (e.g. `Secret`) whose LISTs alone are answered with a
    /// status.
    pub(crate) kind_list_status: Vec<(String, u16)>,
    /// Lists carry no `metadata.resourceVersion`.
    pub(crate) list_without_rv: bool,
    /// Clients are cut off: new requests are refused, open watch streams
    /// go silent; changes still happen.
    pub(crate) cut_off: bool,
    /// Bumped to break every open watch stream mid-stream.
    pub(crate) watch_epoch: u64,
    /// The longest a watch stream lives, below its `timeoutSeconds`.
    pub(crate) watch_lifetime: Option<Duration>,
    /// How often an idle watch stream that asked for bookmarks gets one.
    pub(crate) bookmark_interval: Duration,
}

impl Default for Faults {
    fn default() -> Self {
        Self {
            outage: None,
            list_status: None,
            kind_list_status: Vec::new(),
            list_without_rv: false,
            cut_off: false,
            watch_epoch: 0,
            watch_lifetime: None,
            bookmark_interval: Duration::from_secs(1),
        }
    }
}

impl Faults {
    /// Whether a new request is closed without an answer.
    pub(crate) fn refuses(&self) -> bool {
        self.cut_off || self.outage == Some(Outage::Refuse)
    }
}
