//! What every part of the running gateway shares.

use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use ingress_core::SharedTable;
use ingress_kube::feed::FeedStatus;

use super::endpoints::Target;
use super::metrics::Metrics;
use crate::timer::CoarseTimer;
use crate::upstream::{Endpoint, Pool, TcpConnect};

/// An upstream endpoint as the gateway reaches it: over TCP.
pub(crate) type TcpEndpoint = Endpoint<TcpConnect>;

/// Timeouts and limits.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    /// Longest wait for an upstream's response headers (504 after).
    pub(crate) upstream_timeout: Duration,
    /// Longest wait for a TCP connection to an upstream (502 after).
    pub(crate) connect_timeout: Duration,
    /// Longest wait for a client's request headers.
    pub(crate) header_read_timeout: Duration,
    /// Longest wait for in-flight requests at shutdown.
    pub(crate) shutdown_timeout: Duration,
    /// Forward `TRACE` requests (405 otherwise).
    pub(crate) allow_trace: bool,
}

/// The live state.
pub(crate) struct Gateway {
    /// Routes to backend slots, published only when the Ingresses change;
    /// the slots hold the endpoints, refreshed without touching the routes.
    pub(crate) routes: SharedTable<Target>,
    pub(crate) metrics: Metrics,
    /// Where the tables came from, and whether the first ones are out
    /// (readiness).
    pub(crate) feed: FeedStatus,
    pub(crate) settings: Settings,
    /// For the per-request timeouts.
    pub(crate) timer: CoarseTimer,
    /// Every endpoint the tables lead to, for the thread that closes idle
    /// upstream connections (each reload publishes a new list).
    pub(crate) endpoints: ArcSwap<Vec<Arc<TcpEndpoint>>>,
    /// How endpoints connect (within the connect timeout), and the clock
    /// their idle connections expire by.
    pub(crate) pool: Arc<Pool<TcpConnect>>,
}

impl Gateway {
    pub(crate) fn new(settings: Settings) -> std::io::Result<Arc<Self>> {
        Ok(Arc::new(Self {
            routes: SharedTable::default(),
            metrics: Metrics::new(),
            feed: FeedStatus::new(),
            timer: CoarseTimer::new()?,
            endpoints: ArcSwap::default(),
            pool: Pool::new(TcpConnect {
                timeout: settings.connect_timeout,
            }),
            settings,
        }))
    }
}
