//! The write-back tests' harness: replicas (a cluster source with a
//! write-back) on one fake API server, and readers of what they wrote.

#![allow(dead_code, unreachable_pub)]

use std::time::Duration;

use ingress_kube::ClassSelector;
use ingress_kube::cluster::{ClusterSource, WriteBack};
use ingress_kube::feed::{Coalescer, Feed, FeedStatus, Update};
use ingress_test_support::apiserver::{FakeApiServer, RequestRecord};
use serde_json::Value;

/// The longest any test waits for the write-back to converge.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// One gateway replica: a source with a write-back, until dropped.
pub struct Replica {
    pub status: FeedStatus,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Replica {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts a replica on `fake` writing back as `write_back`.
pub fn replica(fake: &FakeApiServer, write_back: WriteBack) -> Replica {
    let client = fake.client().expect("client");
    let source = ClusterSource::new(client)
        .with_coalescer(Coalescer::new(Duration::from_millis(20), Duration::from_millis(200)))
        .with_write_back(write_back);
    let feed = Feed::new(ClassSelector::default(), |_: &Update<'_>| {});
    let status = feed.status().clone();
    let task = tokio::spawn(async move {
        let _ = source.run(feed).await;
    });
    Replica { status, task }
}

/// The `status.loadBalancer.ingress` of Ingress `default/name`, as
/// `ip`/`hostname` texts, sorted.
pub fn published(fake: &FakeApiServer, name: &str) -> Vec<String> {
    let Some(ingress) = fake.get("networking.k8s.io/v1", "Ingress", None, name) else {
        return Vec::new();
    };
    ingress
        .pointer("/status/loadBalancer/ingress")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(|entry| entry.get("ip").or_else(|| entry.get("hostname")))
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .map(|mut texts| {
            texts.sort();
            texts
        })
        .unwrap_or_default()
}

/// Whether a request is a write of an Ingress's status.
pub fn is_status_write(request: &RequestRecord) -> bool {
    request.method.as_str() == "PATCH" && request.path().contains("/ingresses/") && request.path().ends_with("/status")
}

/// Waits until `done` holds; panics after [`PATIENCE`].
pub async fn until(what: &str, done: impl Fn() -> bool) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !done() {
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
