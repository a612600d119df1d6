//! The gateway's Prometheus metrics.

use std::cell::RefCell;
use std::collections::HashMap;
use std::time::UNIX_EPOCH;

use ingress_core::objects::ObjectKey;
use ingress_kube::feed::SourceStatus;
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

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct SourceLabels {
    /// `files` or `api-server`.
    pub(crate) source: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct KindLabels {
    /// `Ingress`, `Service`...
    pub(crate) kind: String,
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
    /// Connect retries and outlier ejections, per backend.
    pub(crate) failover: FailoverMetrics,
    /// Where the tables came from (see [`Metrics::record_source`]).
    feed: FeedMetrics,
    /// Connections and HTTP/2 streams against the limits.
    pub(crate) limits: LimitMetrics,
    /// TLS handshakes.
    pub(crate) tls: TlsMetrics,
}

/// Client connections and HTTP/2 streams against the limits (see
/// `limits` and `streams`).
pub(crate) struct LimitMetrics {
    pub(crate) connections_open: Gauge,
    pub(crate) connection_limit_waits: Counter,
    pub(crate) h2: super::streams::ResetCounters,
}

impl LimitMetrics {
    fn register(registry: &mut Registry) -> Self {
        let metrics = Self {
            connections_open: Gauge::default(),
            connection_limit_waits: Counter::default(),
            h2: super::streams::ResetCounters {
                cancelled: Counter::default(),
                goaways: Counter::default(),
            },
        };
        registry.register(
            "ingress_connections_open",
            "Client connections open on the traffic listener",
            metrics.connections_open.clone(),
        );
        registry.register(
            "ingress_connection_limit_waits",
            "Times accepting waited for a connection to close (--max-connections reached)",
            metrics.connection_limit_waits.clone(),
        );
        registry.register(
            "ingress_h2_cancelled_streams",
            "HTTP/2 streams their clients reset before the answer ended",
            metrics.h2.cancelled.clone(),
        );
        registry.register(
            "ingress_h2_reset_goaways",
            "HTTP/2 connections sent GOAWAY for too many cancelled streams (--h2-max-resets)",
            metrics.h2.goaways.clone(),
        );
        metrics
    }
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabels {
    reason: &'static str,
}

/// Why a TLS handshake on the TLS listener did not finish.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HandshakeFailure {
    /// Not finished within the header read timeout.
    Timeout,
    /// The connection closed or broke first (port scanners, TCP health
    /// checks, clients that gave up).
    Closed,
    /// The client sent an alert: most often it refused our certificate
    /// (unknown CA, expired, wrong name), which is what this counts for an
    /// operator.
    ClientAlert,
    /// Anything else rustls refused: no common version or cipher suite,
    /// bytes that are not TLS (plain HTTP sent to the TLS port), a broken
    /// message.
    Protocol,
}

impl HandshakeFailure {
    const ALL: [Self; 4] = [Self::Timeout, Self::Closed, Self::ClientAlert, Self::Protocol];

    fn label(self) -> &'static str {
        match self {
            Self::Timeout => "timeout",
            Self::Closed => "closed",
            Self::ClientAlert => "client_alert",
            Self::Protocol => "protocol",
        }
    }
}

/// TLS handshakes on the TLS listener: those that finished, and why the
/// others did not.
pub(crate) struct TlsMetrics {
    handshakes: Counter,
    /// One counter per [`HandshakeFailure`], in `ALL` order, made at start
    /// so that every reason is shown from the first scrape.
    failures: [Counter; 4],
}

impl TlsMetrics {
    fn register(registry: &mut Registry) -> Self {
        let handshakes = Counter::default();
        registry.register(
            "ingress_tls_handshakes",
            "TLS handshakes finished on the TLS listener",
            handshakes.clone(),
        );
        let family = Family::<ReasonLabels, Counter>::default();
        registry.register(
            "ingress_tls_handshake_failures",
            "TLS handshakes that did not finish, by reason (timeout, closed, client_alert, protocol)",
            family.clone(),
        );
        let failures =
            HandshakeFailure::ALL.map(|reason| family.get_or_create(&ReasonLabels { reason: reason.label() }).clone());
        Self { handshakes, failures }
    }

    /// Counts a finished handshake.
    pub(crate) fn count_handshake(&self) {
        self.handshakes.inc();
    }

    /// Counts a handshake that failed for `reason`.
    pub(crate) fn count_failure(&self, reason: HandshakeFailure) {
        let [timeout, closed, client_alert, protocol] = &self.failures;
        let counter = match reason {
            HandshakeFailure::Timeout => timeout,
            HandshakeFailure::Closed => closed,
            HandshakeFailure::ClientAlert => client_alert,
            HandshakeFailure::Protocol => protocol,
        };
        counter.inc();
    }
}

/// The feed's record, as metrics.
struct FeedMetrics {
    source: Family<SourceLabels, Gauge>,
    last_sync: Gauge,
    objects: Family<KindLabels, Gauge>,
    watch_restarts: Counter,
    relists: Counter,
    status_writes: Counter,
    events_emitted: Counter,
    decode_errors: Counter,
    stale: Gauge,
    stale_since: Gauge,
    resource_versions: Family<KindLabels, Gauge>,
    leader: Gauge,
}

impl FeedMetrics {
    fn register(registry: &mut Registry) -> Self {
        let metrics = Self {
            source: Family::default(),
            last_sync: Gauge::default(),
            objects: Family::default(),
            watch_restarts: Counter::default(),
            relists: Counter::default(),
            status_writes: Counter::default(),
            events_emitted: Counter::default(),
            decode_errors: Counter::default(),
            stale: Gauge::default(),
            stale_since: Gauge::default(),
            resource_versions: Family::default(),
            leader: Gauge::default(),
        };
        // The write-back (status and Events): whether this replica leads.
        registry.register(
            "ingress_feed_leader",
            "1 while this replica holds the leader Lease and writes Ingress status and Events",
            metrics.leader.clone(),
        );
        registry.register(
            "ingress_feed_source",
            "Where the tables come from (1 for the current source)",
            metrics.source.clone(),
        );
        registry.register(
            "ingress_feed_last_sync_timestamp_seconds",
            "When the objects of the live tables were read (Unix time)",
            metrics.last_sync.clone(),
        );
        registry.register(
            "ingress_feed_objects",
            "Objects the source lists, by kind",
            metrics.objects.clone(),
        );
        registry.register(
            "ingress_feed_watch_restarts",
            "API-server watches started again",
            metrics.watch_restarts.clone(),
        );
        registry.register(
            "ingress_feed_relists",
            "API-server lists taken again",
            metrics.relists.clone(),
        );
        registry.register(
            "ingress_feed_status_writes",
            "Ingress status updates written",
            metrics.status_writes.clone(),
        );
        registry.register(
            "ingress_feed_events_emitted",
            "Kubernetes Events emitted",
            metrics.events_emitted.clone(),
        );
        registry.register(
            "ingress_feed_decode_errors",
            "API-server objects that did not decode and were skipped",
            metrics.decode_errors.clone(),
        );
        registry.register(
            "ingress_feed_stale",
            "1 while the source fails to reach its API server (the last tables keep serving)",
            metrics.stale.clone(),
        );
        registry.register(
            "ingress_feed_stale_since_timestamp_seconds",
            "Since when the source has been stale (Unix time; 0 when fresh)",
            metrics.stale_since.clone(),
        );
        registry.register(
            "ingress_feed_resource_version",
            "The newest resourceVersion seen, by kind (when numeric)",
            metrics.resource_versions.clone(),
        );
        metrics
    }
}

/// Connect retries and outlier ejections, by backend only: endpoint
/// addresses come and go with every rollout, and would make a series each.
pub(crate) struct FailoverMetrics {
    connect_retries: Family<BackendLabels, Counter>,
    ejections: Family<BackendLabels, Counter>,
    ejected: Family<BackendLabels, Gauge>,
}

impl FailoverMetrics {
    fn register(registry: &mut Registry) -> Self {
        let metrics = Self {
            connect_retries: Family::default(),
            ejections: Family::default(),
            ejected: Family::default(),
        };
        registry.register(
            "ingress_upstream_connect_retries",
            "Requests sent to another endpoint of their backend after a connect failed",
            metrics.connect_retries.clone(),
        );
        registry.register(
            "ingress_upstream_ejections",
            "Endpoints taken out of rotation after connect failures in a row",
            metrics.ejections.clone(),
        );
        registry.register(
            "ingress_upstream_ejected_endpoints",
            "Endpoints out of rotation now, per backend",
            metrics.ejected.clone(),
        );
        metrics
    }

    /// One request goes to another endpoint of `backend`.
    pub(crate) fn count_retry(&self, backend: &impl ToString) {
        self.connect_retries.get_or_create(&labels(backend)).inc();
    }

    /// One endpoint of `backend` was ejected.
    pub(crate) fn count_ejection(&self, backend: &impl ToString) {
        self.ejections.get_or_create(&labels(backend)).inc();
    }

    /// `count` endpoints of `backend` are out of rotation now.
    pub(crate) fn set_ejected(&self, backend: &impl ToString, count: usize) {
        let count = i64::try_from(count).unwrap_or(i64::MAX);
        self.ejected.get_or_create(&labels(backend)).set(count);
    }

    /// `backend` is gone from the tables: its series go too.
    pub(crate) fn forget(&self, backend: &impl ToString) {
        let labels = labels(backend);
        self.connect_retries.remove(&labels);
        self.ejections.remove(&labels);
        self.ejected.remove(&labels);
    }
}

fn labels(backend: &impl ToString) -> BackendLabels {
    BackendLabels {
        backend: backend.to_string(),
    }
}

/// Brings `counter` up to `total`.
fn catch_up(counter: &Counter, total: u64) {
    counter.inc_by(total.saturating_sub(counter.get()));
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
        let feed = FeedMetrics::register(&mut registry);
        let failover = FailoverMetrics::register(&mut registry);
        let limits = LimitMetrics::register(&mut registry);
        let tls = TlsMetrics::register(&mut registry);
        Self {
            feed,
            failover,
            limits,
            tls,
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

    /// Sets the feed's metrics from its record.
    pub(crate) fn record_source(&self, record: &SourceStatus) {
        let feed = &self.feed;
        feed.source.clear();
        feed.source
            .get_or_create(&SourceLabels {
                source: record.source.to_string(),
            })
            .set(1);
        let since = record.last_sync.and_then(|time| time.duration_since(UNIX_EPOCH).ok());
        feed.last_sync
            .set(since.map_or(0, |since| i64::try_from(since.as_secs()).unwrap_or(i64::MAX)));
        for (kind, count) in &record.objects {
            let labels = KindLabels { kind: kind.to_string() };
            feed.objects
                .get_or_create(&labels)
                .set(i64::try_from(*count).unwrap_or(i64::MAX));
        }
        catch_up(&feed.watch_restarts, record.watch_restarts);
        catch_up(&feed.relists, record.relists);
        catch_up(&feed.status_writes, record.status_writes);
        catch_up(&feed.events_emitted, record.events_emitted);
        feed.leader.set(i64::from(record.leader == Some(true)));
        catch_up(&feed.decode_errors, record.decode_errors);
        let stale_since = record.stale_since.and_then(|time| time.duration_since(UNIX_EPOCH).ok());
        feed.stale.set(i64::from(record.stale_since.is_some()));
        feed.stale_since
            .set(stale_since.map_or(0, |since| i64::try_from(since.as_secs()).unwrap_or(i64::MAX)));
        for (kind, version) in &record.resource_versions {
            if let Ok(version) = version.parse::<i64>() {
                let labels = KindLabels { kind: kind.to_string() };
                feed.resource_versions.get_or_create(&labels).set(version);
            }
        }
    }

    /// The Prometheus text format.
    pub(crate) fn encode(&self) -> String {
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = encode(&mut text, &self.registry);
        text
    }
}
