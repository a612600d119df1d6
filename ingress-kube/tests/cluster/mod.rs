//! The cluster tests' harness: a fake API server, a cluster source on it
//! and a publisher that keeps every publish.

#![allow(dead_code, unreachable_pub)]

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use ingress_core::validation::{ServiceBackend, ServicePort};
use ingress_core::{HostHeader, HttpVersion, Outcome, RequestHead, RouteTable};
use ingress_kube::ClassSelector;
use ingress_kube::EndpointTable;
use ingress_kube::cluster::{ClusterSource, Stores};
use ingress_kube::feed::{Coalescer, Feed, FeedStatus, Update};
use ingress_test_support::apiserver::FakeApiServer;
use serde_json::{Value, json};

/// One publish, as the publisher saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub first: bool,
    pub routes_changed: bool,
    pub endpoints_changed: bool,
    pub routes: RouteTable,
    pub endpoints: Arc<EndpointTable>,
}

/// A source running against a fake, and what it published.
pub struct Harness {
    pub fake: FakeApiServer,
    pub seen: Arc<Mutex<Vec<Seen>>>,
    pub status: FeedStatus,
    pub stores: Stores,
    pub task: tokio::task::JoinHandle<()>,
}

impl Drop for Harness {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The longest any test waits for the source to converge.
pub const PATIENCE: Duration = Duration::from_secs(20);

impl Harness {
    /// Starts a fake holding `objects`, and a source on it.
    pub async fn start(objects: Vec<Value>) -> Self {
        let fake = FakeApiServer::start().await.expect("fake API server");
        for object in objects {
            fake.apply(object).expect("applied");
        }
        Self::on(fake, None)
    }

    /// A source on `fake`, watching `namespace` or all.
    pub fn on(fake: FakeApiServer, namespace: Option<&str>) -> Self {
        let mut config = fake.config().expect("config");
        // kube's own retries of 503s would hide the outage from the watcher.
        config.default_retry = false;
        let client = kube::Client::try_from(config).expect("client");
        let mut source = ClusterSource::new(client)
            .with_coalescer(Coalescer::new(Duration::from_millis(20), Duration::from_millis(200)))
            .with_probe_interval(Duration::from_millis(200));
        if let Some(namespace) = namespace {
            source = source.with_namespace(namespace);
        }
        let stores = source.stores().clone();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let record = Arc::clone(&seen);
        let feed = Feed::new(ClassSelector::default(), move |update: &Update<'_>| {
            record.lock().unwrap_or_else(PoisonError::into_inner).push(Seen {
                first: update.first,
                routes_changed: update.routes_changed,
                endpoints_changed: update.endpoints_changed,
                routes: update.routes.clone(),
                endpoints: Arc::clone(update.endpoints),
            });
        });
        let status = feed.status().clone();
        let task = tokio::spawn(async move {
            let _ = source.run(feed).await;
        });
        Self {
            fake,
            seen,
            status,
            stores,
            task,
        }
    }

    /// Every publish so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// The last publish.
    pub fn last(&self) -> Option<Seen> {
        self.seen().last().cloned()
    }

    /// Waits until the last publish satisfies `done`; panics after
    /// [`PATIENCE`].
    pub async fn until(&self, what: &str, done: impl Fn(&Seen) -> bool) -> Seen {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            if let Some(seen) = self.last()
                && done(&seen)
            {
                return seen;
            }
            assert!(tokio::time::Instant::now() < deadline, "timed out waiting for: {what}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits until `done` holds; panics after [`PATIENCE`].
    pub async fn until_true(&self, what: &str, done: impl Fn(&Self) -> bool) {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        while !done(self) {
            assert!(tokio::time::Instant::now() < deadline, "timed out waiting for: {what}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// Routes a GET and describes the answer: the backend, or the status.
pub fn answer(table: &RouteTable, host: &str, target: &str) -> String {
    let head = RequestHead::new("GET", HttpVersion::Http11, target).with_host(HostHeader::One(host.as_bytes()));
    match table.route_request(&head) {
        Outcome::Routed(route) => route.backend().to_string(),
        other => other.status_code().unwrap_or(0).to_string(),
    }
}

/// The ready addresses of `default/<service>:80`.
pub fn addresses(endpoints: &EndpointTable, service: &str) -> Vec<String> {
    let backend = ServiceBackend {
        namespace: "default".into(),
        name: service.into(),
        port: ServicePort::Number(80),
    };
    endpoints
        .resolve(&backend)
        .map(|addresses| addresses.iter().map(ToString::to_string).collect())
        .unwrap_or_default()
}

/// Our IngressClass, the default one.
pub fn class() -> Value {
    json!({
        "apiVersion": "networking.k8s.io/v1", "kind": "IngressClass",
        "metadata": {"name": "gateway",
            "annotations": {"ingressclass.kubernetes.io/is-default-class": "true"}},
        "spec": {"controller": "ingress-rs.dev/ingress-gateway"},
    })
}

/// An Ingress `name` routing `host` to Service `service` port 80.
pub fn ingress(name: &str, host: &str, service: &str) -> Value {
    json!({
        "apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"rules": [{"host": host, "http": {"paths": [{"path": "/", "pathType": "Prefix",
            "backend": {"service": {"name": service, "port": {"number": 80}}}}]}}]},
    })
}

/// Service `name`, port 80 to 8080.
pub fn service(name: &str) -> Value {
    json!({
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"ports": [{"name": "http", "port": 80, "targetPort": 8080}]},
    })
}

/// An EndpointSlice of Service `service` with ready `addresses`.
pub fn slice(service: &str, addresses: &[&str]) -> Value {
    let endpoints: Vec<Value> = addresses
        .iter()
        .map(|address| json!({"addresses": [address], "conditions": {"ready": true}}))
        .collect();
    json!({
        "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
        "metadata": {"name": format!("{service}-1"), "namespace": "default",
            "labels": {"kubernetes.io/service-name": service}},
        "addressType": "IPv4",
        "endpoints": endpoints,
        "ports": [{"name": "http", "port": 8080}],
    })
}

/// A class, an Ingress for web.example, its Service and one endpoint.
pub fn web() -> Vec<Value> {
    vec![
        class(),
        ingress("web", "web.example", "web"),
        service("web"),
        slice("web", &["10.0.0.1"]),
    ]
}
