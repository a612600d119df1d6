//! The gateway's Prometheus metrics.

use std::cell::RefCell;
use std::collections::HashMap;

use ingress_core::objects::ObjectKey;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct RequestLabels {
    /// `namespace/name` of the Ingress that routed the request; empty when
    /// none did (404, 400, 414).
    pub(crate) ingress: String,
    pub(crate) status: u16,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct BackendLabels {
    /// `namespace/service:port`.
    pub(crate) backend: String,
}

/// Request counters each thread keeps at hand, at most.
const MAX_CACHED_COUNTERS: usize = 1 << 16;

/// Every metric, and the registry that exposes them.
pub(crate) struct Metrics {
    registry: Registry,
    pub(crate) requests: Family<RequestLabels, Counter>,
    pub(crate) table_builds: Counter,
    pub(crate) table_build_seconds: Histogram,
    pub(crate) table_routes: Gauge,
    pub(crate) rejected_objects: Gauge,
    pub(crate) backend_endpoints: Family<BackendLabels, Gauge>,
}

impl Metrics {
    pub(crate) fn new() -> Self {
        let mut registry = Registry::default();
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "ingress_requests",
            "Requests answered, by routing Ingress and status",
            requests.clone(),
        );
        let table_builds = Counter::default();
        registry.register("ingress_table_builds", "Routing tables compiled", table_builds.clone());
        let table_build_seconds = Histogram::new(exponential_buckets(0.0005, 2.0, 14));
        registry.register(
            "ingress_table_build_seconds",
            "Time to load manifests and compile a routing table",
            table_build_seconds.clone(),
        );
        let table_routes = Gauge::default();
        registry.register(
            "ingress_table_routes",
            "Entries of the live routing table",
            table_routes.clone(),
        );
        let rejected_objects = Gauge::default();
        registry.register(
            "ingress_rejected_objects",
            "Ingress objects rejected by validation",
            rejected_objects.clone(),
        );
        let backend_endpoints = Family::<BackendLabels, Gauge>::default();
        registry.register(
            "ingress_backend_endpoints",
            "Ready endpoints per backend",
            backend_endpoints.clone(),
        );
        Self {
            registry,
            requests,
            table_builds,
            table_build_seconds,
            table_routes,
            rejected_objects,
            backend_endpoints,
        }
    }

    /// Counts one answer: by the routing Ingress (`None` when none routed
    /// it) and status. The counter of each pair is looked up once per
    /// thread, so the hot path neither formats labels nor takes the
    /// family's lock.
    pub(crate) fn count_request(&self, ingress: Option<&ObjectKey>, status: u16) {
        type Counters = HashMap<(Option<ObjectKey>, u16), Counter, foldhash::fast::RandomState>;
        thread_local! {
            static COUNTERS: RefCell<Counters> = RefCell::new(Counters::default());
        }
        COUNTERS.with_borrow_mut(|counters| {
            let key = (ingress.cloned(), status);
            if let Some(counter) = counters.get(&key) {
                counter.inc();
                return;
            }
            let labels = RequestLabels {
                ingress: ingress.map(ToString::to_string).unwrap_or_default(),
                status,
            };
            let counter = self.requests.get_or_create(&labels).clone();
            counter.inc();
            // Ingresses come and go; the cache of a long-running thread is
            // bounded (the counters themselves stay in the family).
            if counters.len() >= MAX_CACHED_COUNTERS {
                counters.clear();
            }
            counters.insert(key, counter);
        });
    }

    /// The Prometheus text format.
    pub(crate) fn encode(&self) -> String {
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = encode(&mut text, &self.registry);
        text
    }
}
