//! A loopback fake Kubernetes API server, the test double for everything
//! cluster-facing: [`FakeApiServer`] speaks the list/watch protocol the
//! way kube-rs 5 uses it (paged lists with `resourceVersion`, chunked
//! watch streams of JSON events, bookmarks, `410 Expired` as a watch
//! `ERROR` event), takes status patches, lease writes with conflict
//! checks (a stale `resourceVersion`, or a server-side apply over another
//! field manager's field: 409) and events, and has switchable faults
//! (outage, failing lists, broken or silent watches, compaction).
//!
//! Simplifications, on purpose: no admission, validation, defaulting or
//! authorization; strategic merge patches are read as JSON merge patches;
//! field ownership has no `managedFields` in objects and treats lists as
//! atomic; a watch whose selector stops matching an object gets no
//! `DELETED` for it; the event log is never trimmed except by
//! [`compact`](FakeApiServer::compact).
//!
//! It binds `127.0.0.1:0`, serves plain HTTP/1.1, and stops when dropped.
//! Objects are JSON values in one store with one `resourceVersion`
//! counter; the resources served are Ingress, IngressClass, Service,
//! EndpointSlice, Secret, ConfigMap, Namespace, Lease and Event (both
//! `events.k8s.io/v1` and core `v1`).
//!
//! ```
//! use ingress_test_support::apiserver::FakeApiServer;
//! use serde_json::json;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> std::io::Result<()> {
//! let server = FakeApiServer::start().await?;
//! assert!(server.url().starts_with("http://127.0.0.1:"));
//! let stored = server
//!     .apply(json!({
//!         "apiVersion": "networking.k8s.io/v1",
//!         "kind": "IngressClass",
//!         "metadata": {"name": "ours"},
//!         "spec": {"controller": "ingress-rs.dev/ingress-gateway"},
//!     }))
//!     .map_err(std::io::Error::other)?;
//! assert_eq!(stored["metadata"]["resourceVersion"], "1");
//! assert_eq!(server.resource_version(), 1);
//! assert!(server.kubeconfig().contains(&format!("server: {}", server.url())));
//!
//! // kube reads it like any API server.
//! let client = server.client().map_err(std::io::Error::other)?;
//! let classes = kube::Api::<k8s_openapi::api::networking::v1::IngressClass>::all(client);
//! let listed = classes.list(&Default::default()).await.map_err(std::io::Error::other)?;
//! assert_eq!(listed.metadata.resource_version.as_deref(), Some("1"));
//! assert_eq!(server.count_requests(|r| r.is_list_of("/ingressclasses")), 1);
//! # Ok(())
//! # }
//! ```

mod error;
mod faults;
mod kubeconfig;
mod list;
mod ownership;
mod patch;
mod query;
mod reply;
mod request_log;
mod resource;
mod route;
mod selector;
mod serve;
mod shared;
mod store;
mod timestamp;
mod view;
mod watch;
mod write;

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

pub use error::WriteError;
pub use faults::Outage;
pub use request_log::RequestRecord;

use resource::Resource;
use shared::Shared;

/// A fake Kubernetes API server on `127.0.0.1`, serving until dropped.
///
/// Dropping it stops it at once: the listener closes and every
/// connection task is aborted, so no task outlives it. [`shutdown`]
/// stops it gracefully: open watch streams end cleanly (the last chunk is
/// sent) before it returns, within half a second.
///
/// [`shutdown`]: FakeApiServer::shutdown
#[derive(Debug)]
pub struct FakeApiServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: Option<JoinHandle<()>>,
}

impl FakeApiServer {
    /// Binds `127.0.0.1:0` and serves on the current tokio runtime.
    ///
    /// # Errors
    ///
    /// When the loopback listener cannot be bound.
    pub async fn start() -> std::io::Result<Self> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared::new());
        let task = tokio::spawn(serve::accept_loop(listener, Arc::clone(&shared)));
        Ok(Self {
            addr,
            shared,
            task: Some(task),
        })
    }

    /// The bound address (`127.0.0.1`, an ephemeral port).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`, the kubeconfig's `server`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A kubeconfig naming this server (plain HTTP, no credentials,
    /// namespace `default`), for a binary under test via `KUBECONFIG` or
    /// for kube's `Kubeconfig::from_yaml`.
    pub fn kubeconfig(&self) -> String {
        kubeconfig::kubeconfig_yaml(&self.url())
    }

    /// Writes [`kubeconfig`](Self::kubeconfig) to `dir/kubeconfig` and
    /// returns the file's path.
    ///
    /// # Errors
    ///
    /// When the file cannot be written.
    pub fn write_kubeconfig(&self, dir: &Path) -> std::io::Result<PathBuf> {
        let path = dir.join("kubeconfig");
        std::fs::write(&path, self.kubeconfig())?;
        Ok(path)
    }

    /// A kube client configuration for this server (plain HTTP, namespace
    /// `default`), for tests that change it, e.g. `default_retry = false`:
    /// kube 5 retries 429, 503 and 504 answers up to 15 times by default.
    ///
    /// # Errors
    ///
    /// When kube cannot read the URL (never, for a bound address).
    pub fn config(&self) -> Result<kube::Config, kube::Error> {
        let uri = self
            .url()
            .parse::<http::Uri>()
            .map_err(|e| kube::Error::Service(Box::new(e)))?;
        Ok(kube::Config::new(uri))
    }

    /// A kube client for this server, from [`config`](Self::config).
    /// Call it inside a tokio runtime (the client spawns its buffer task
    /// there).
    ///
    /// # Errors
    ///
    /// When kube cannot build a client for the URL.
    pub fn client(&self) -> Result<kube::Client, kube::Error> {
        kube::Client::try_from(self.config()?)
    }

    /// Creates or replaces an object (its `status` included), whatever is
    /// stored, and notifies watchers (`ADDED` or `MODIFIED`). The object names its resource by
    /// `apiVersion` and `kind`; a namespaced object without
    /// `metadata.namespace` goes to `default`. Returns the stored object,
    /// with its new `resourceVersion`.
    ///
    /// # Errors
    ///
    /// An unknown kind, or no `metadata.name`.
    pub fn apply(&self, object: Value) -> Result<Value, WriteError> {
        write::apply(&self.shared, object)
    }

    /// Deletes an object and notifies watchers (`DELETED`); `namespace`
    /// `None` means `default` for a namespaced kind. Returns the deleted
    /// object.
    ///
    /// # Errors
    ///
    /// An unknown kind, or no such object.
    pub fn delete(
        &self,
        api_version: &str,
        kind: &str,
        namespace: Option<&str>,
        name: &str,
    ) -> Result<Value, WriteError> {
        write::delete(&self.shared, api_version, kind, namespace, name)
    }

    /// The stored object, if any; `namespace` `None` means `default` for a
    /// namespaced kind.
    pub fn get(&self, api_version: &str, kind: &str, namespace: Option<&str>, name: &str) -> Option<Value> {
        let (index, resource) = Resource::by_kind(api_version, kind)?;
        let namespace = if resource.namespaced {
            namespace.unwrap_or("default")
        } else {
            ""
        };
        self.shared.store().get(index, namespace, name).cloned()
    }

    /// Every stored object of a kind, in one namespace or (`None`) all,
    /// sorted by namespace and name.
    pub fn objects(&self, api_version: &str, kind: &str, namespace: Option<&str>) -> Vec<Value> {
        Resource::by_kind(api_version, kind)
            .map(|(index, _)| self.shared.store().list(index, namespace))
            .unwrap_or_default()
    }

    /// The newest `resourceVersion`.
    pub fn resource_version(&self) -> u64 {
        self.shared.store().current()
    }

    /// Compacts the event log up to now: a watch from an older version
    /// gets an `ERROR` event with a 410 `Status`, an open watch behind it
    /// gets the same, and older `continue` tokens get 410 Gone.
    pub fn compact(&self) {
        self.compact_before(self.resource_version());
    }

    /// Compacts the event log up to `rv` (at most the newest version).
    pub fn compact_before(&self, rv: u64) {
        self.shared.write(|store| store.compact_before(rv));
    }

    /// Starts (`Some`) or ends (`None`) an outage. Starting one also
    /// breaks every open watch stream, as a restarting API server does.
    pub fn set_outage(&self, outage: Option<Outage>) {
        self.shared.faults.send_modify(|f| {
            if outage.is_some() {
                f.watch_epoch += 1;
            }
            f.outage = outage;
        });
    }

    /// Answers every LIST with `status` (e.g. 500 or 403, as a `Status`
    /// object) until called with `None`; watches are not affected.
    pub fn fail_lists(&self, status: Option<u16>) {
        self.shared.faults.send_modify(|f| f.list_status = status);
    }

    /// Answers the LISTs of `kind` (e.g. `"Secret"`) alone with `status`
    /// until called with `None`, so that one kind lists late; other kinds
    /// and watches are not affected.
    pub fn fail_lists_of(&self, kind: &str, status: Option<u16>) {
        self.shared.faults.send_modify(|f| {
            f.kind_list_status.retain(|(failing, _)| failing != kind);
            if let Some(status) = status {
                f.kind_list_status.push((kind.to_owned(), status));
            }
        });
    }

    /// Leaves `metadata.resourceVersion` out of lists (on) or not (off).
    pub fn omit_list_resource_version(&self, on: bool) {
        self.shared.faults.send_modify(|f| f.list_without_rv = on);
    }

    /// Breaks every open watch stream mid-stream: the connection closes
    /// without the last chunk. Later watches are served as usual.
    pub fn drop_watches(&self) {
        self.shared.faults.send_modify(|f| f.watch_epoch += 1);
    }

    /// Cuts clients off: new connections and requests are closed
    /// unanswered and open watch streams go silent (no events, no
    /// bookmarks), while changes made meanwhile are still stored and
    /// logged. Ends with [`reconnect`](Self::reconnect).
    pub fn cut_off(&self) {
        self.shared.faults.send_modify(|f| f.cut_off = true);
    }

    /// Ends a [`cut_off`](Self::cut_off): the silent streams break, as a
    /// connection that died during the partition, so clients resume from
    /// their last version and see the changes made during the gap (or a
    /// 410, if the log was compacted meanwhile).
    pub fn reconnect(&self) {
        self.shared.faults.send_modify(|f| {
            f.cut_off = false;
            f.watch_epoch += 1;
        });
    }

    /// Caps the life of watch streams opened from now on (`None`: only
    /// their `timeoutSeconds`); a stream that reaches it ends cleanly.
    pub fn set_watch_lifetime(&self, lifetime: Option<Duration>) {
        self.shared.faults.send_modify(|f| f.watch_lifetime = lifetime);
    }

    /// How often an idle watch that allows bookmarks gets one (default
    /// one second).
    pub fn set_bookmark_interval(&self, interval: Duration) {
        self.shared.faults.send_modify(|f| f.bookmark_interval = interval);
    }

    /// Every request so far, oldest first.
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.shared.requests()
    }

    /// How many requests so far satisfy `predicate`.
    pub fn count_requests(&self, predicate: impl Fn(&RequestRecord) -> bool) -> usize {
        self.shared.requests().iter().filter(|r| predicate(r)).count()
    }

    /// Stops gracefully: no new connections, open watch streams end
    /// cleanly, and connections still open after half a second are cut.
    pub async fn shutdown(mut self) {
        self.shared.shutdown.send_replace(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for FakeApiServer {
    fn drop(&mut self) {
        self.shared.shutdown.send_replace(true);
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}
