//! What the kube tests share: bounded waits, objects, and a reflector
//! that stops with the test.

use std::fmt::Debug;
use std::future::Future;
use std::hash::Hash;
use std::time::Duration;

use futures_util::StreamExt as _;
use kube::api::Api;
use kube::runtime::reflector::{self, Store};
use kube::runtime::{WatchStreamExt as _, watcher};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use tokio::task::JoinHandle;

/// The longest any step of a test may take.
pub(crate) const LIMIT: Duration = Duration::from_secs(15);

/// Awaits `future`, failing the test after [`LIMIT`].
pub(crate) async fn within<F: Future>(what: &str, future: F) -> F::Output {
    match tokio::time::timeout(LIMIT, future).await {
        Ok(output) => output,
        Err(_) => panic!("timed out: {what}"),
    }
}

/// Polls `condition` every 10 ms until it holds, failing after [`LIMIT`].
pub(crate) async fn eventually(what: &str, condition: impl Fn() -> bool) {
    within(what, async {
        while !condition() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
}

/// An Ingress in `namespace` with one host rule.
pub(crate) fn ingress(namespace: &str, name: &str, host: &str) -> Value {
    json!({
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"rules": [{"host": host}]},
    })
}

/// A Service in `namespace`.
pub(crate) fn service(namespace: &str, name: &str) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"ports": [{"port": 80}]},
    })
}

/// A task aborted when dropped, so no watcher outlives its test.
pub(crate) struct Task(JoinHandle<()>);

impl Drop for Task {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A reflector over `watcher(api, config)` with kube's default backoff,
/// running until the returned task is dropped.
pub(crate) fn reflect<K>(api: Api<K>, config: watcher::Config) -> (Store<K>, Task)
where
    K: kube::Resource + Clone + DeserializeOwned + Debug + Send + Sync + 'static,
    K::DynamicType: Default + Eq + Hash + Clone + Send + Sync,
{
    let (store, writer) = reflector::store::<K>();
    let run = watcher(api, config)
        .default_backoff()
        .reflect(writer)
        .for_each(|_| std::future::ready(()));
    (store, Task(tokio::spawn(run)))
}

/// The names in a store, sorted.
pub(crate) fn names<K>(store: &Store<K>) -> Vec<String>
where
    K: kube::Resource + Clone + 'static,
    K::DynamicType: Eq + Hash + Clone,
{
    let mut names: Vec<String> = store
        .state()
        .iter()
        .map(|o| o.meta().name.clone().unwrap_or_default())
        .collect();
    names.sort();
    names
}
