//! The cluster source: four watchers into four stores, coalesced into
//! snapshots for a feed that rebuilds on a thread of its own.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::mpsc;
use std::time::{Duration, SystemTime};

use k8s_openapi::api::networking::v1::IngressClass;
use kube::api::{Api, ApiResource, DynamicObject, ListParams};
use kube::runtime::reflector::Store;
use kube::runtime::watcher;
use kube::{Client, Resource};
use tokio::sync::mpsc::unbounded_channel;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::error::ClusterError;
use super::health::{Health, Turned};
use super::outcome::Observed;
use super::stores::{Stores, Writers};
use super::watch::{Signal, What, watch};
use super::writeback::{WriteBack, Writer};
use crate::feed::{Coalescer, Feed, FeedStatus, Kind, Publish, Snapshot, SourceKind};

/// The label every EndpointSlice of a Service carries; slices without it
/// lead to no Service and are not watched.
const SERVICE_NAME_LABEL: &str = "kubernetes.io/service-name";

/// Only Secrets that can hold an Ingress's certificate are watched.
#[cfg(feature = "tls")]
const TLS_SECRET_SELECTOR: &str = "type=kubernetes.io/tls";

/// A Kubernetes API server as the source of a [`Feed`]: one kube watcher
/// and reflector store per kind (IngressClass, Ingress, Service,
/// EndpointSlice), in every namespace or in one.
///
/// - **Consistency.** A kind is handed to the feed only once its first
///   list is complete, so the first tables are built when every kind has
///   been listed; a relist swaps the whole list in at its end.
/// - **Coalescing.** Changes are gathered by a [`Coalescer`] (default:
///   100 ms quiet, 1 s at most), then the changed kinds are handed over
///   at once; the feed validates only the changed Ingresses.
/// - **Rebuilds** run on a thread of their own, never on the runtime's
///   workers.
/// - **Faults.** kube's watcher resumes a watch that ends or breaks from
///   its last resourceVersion, relists after a 410, and retries failures
///   with jittered backoff up to 30 s. Meanwhile the last tables serve;
///   the [`FeedStatus`] says since when the source is stale (one log line
///   when it turns stale, one when it is fresh again) and counts watch
///   restarts, relists and objects that did not decode (skipped).
///
/// ```no_run
/// use ingress_kube::ClassSelector;
/// use ingress_kube::cluster::ClusterSource;
/// use ingress_kube::feed::{Feed, Update};
///
/// # async fn run() -> Result<(), ingress_kube::cluster::ClusterError> {
/// let source = ClusterSource::infer().await?.with_namespace("shop");
/// let feed = Feed::new(ClassSelector::default(), |update: &Update<'_>| {
///     println!("{} routes", update.routes.len());
/// });
/// let ready = feed.status().clone();
/// tokio::spawn(source.run(feed));
/// # let _ = ready;
/// # Ok(())
/// # }
/// ```
pub struct ClusterSource {
    client: Client,
    namespace: Option<String>,
    coalescer: Coalescer,
    probe_interval: Duration,
    stores: Stores,
    writers: Writers,
    write_back: Option<WriteBack>,
    certificates: bool,
}

impl std::fmt::Debug for ClusterSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClusterSource")
            .field("namespace", &self.namespace)
            .field("coalescer", &self.coalescer)
            .field("probe_interval", &self.probe_interval)
            .field("write_back", &self.write_back)
            .field("certificates", &self.certificates)
            .finish_non_exhaustive()
    }
}

impl ClusterSource {
    /// Watches through `client`, in every namespace.
    pub fn new(client: Client) -> Self {
        let (stores, writers) = Stores::new();
        Self {
            client,
            namespace: None,
            coalescer: Coalescer::default(),
            probe_interval: Duration::from_secs(1),
            stores,
            writers,
            write_back: None,
            certificates: false,
        }
    }

    /// Watches the cluster kube's standard inference finds: `KUBECONFIG`,
    /// else `~/.kube/config`, else the in-cluster service account. An
    /// `http://` server (say, `kubectl proxy`) works; https uses rustls.
    pub async fn infer() -> Result<Self, ClusterError> {
        let config = kube::Config::infer().await.map_err(ClusterError::config)?;
        let client = Client::try_from(config).map_err(ClusterError::client)?;
        Ok(Self::new(client))
    }

    /// Watches Ingresses, Services and EndpointSlices in `namespace` only
    /// (IngressClasses are cluster-wide), so that a Role can grant it.
    pub fn with_namespace(mut self, namespace: impl Into<String>) -> Self {
        self.namespace = Some(namespace.into());
        self
    }

    /// Coalesces changes with `coalescer` (its quiet period and maximum
    /// delay).
    pub fn with_coalescer(mut self, coalescer: Coalescer) -> Self {
        self.coalescer = coalescer;
        self
    }

    /// While stale, how often to ask the API server whether it answers
    /// again (default 1 s).
    pub fn with_probe_interval(mut self, interval: Duration) -> Self {
        self.probe_interval = interval;
        self
    }

    /// Writes back to the cluster as `write_back` says: Ingress status,
    /// Events, under a leader election. See [`WriteBack`].
    pub fn with_write_back(mut self, write_back: WriteBack) -> Self {
        self.write_back = Some(write_back);
        self
    }

    /// Also watches Secrets of type `kubernetes.io/tls` (a field selector
    /// on the type, in the namespace watched or all) for the feed's
    /// certificate table, and waits for their first list before the first
    /// tables, so that no TLS host starts on the default certificate for
    /// want of a list. Needs `list` and `watch` on secrets. Off by default:
    /// a program that terminates no TLS has no reason to read Secrets.
    #[cfg(feature = "tls")]
    pub fn with_certificates(mut self) -> Self {
        self.certificates = true;
        self
    }

    /// The namespace watched, if only one.
    pub fn namespace(&self) -> Option<&str> {
        self.namespace.as_deref()
    }

    /// Read handles to the stores this source fills once it runs.
    pub fn stores(&self) -> &Stores {
        &self.stores
    }

    /// Lists and watches for ever, handing the feed what changed; returns
    /// only when the rebuild thread cannot be started. Dropping the future
    /// stops the watchers; the rebuild thread ends with them.
    pub async fn run<P: Publish + Send + 'static>(mut self, feed: Feed<P>) -> Result<(), ClusterError> {
        let status = feed.status().clone();
        let (snapshots, rebuilds) = mpsc::channel::<Snapshot>();
        // The write-back sees each rebuild's outcome on its way to the
        // program's publisher, and stops with the watchers.
        let mut writing = JoinSet::new();
        match self.write_back.take() {
            Some(config) => {
                let (outcomes, watched) = watch::channel(None);
                let writer = Writer {
                    config,
                    client: self.client.clone(),
                    stores: self.stores.clone(),
                    namespace: self.namespace.clone(),
                    status: status.clone(),
                };
                writing.spawn(writer.run(watched));
                let feed = feed.map_publisher(|inner| Observed { inner, outcomes });
                start_rebuilds(feed, rebuilds)?;
            }
            None => start_rebuilds(feed, rebuilds)?,
        }

        let (signal, mut signals) = unbounded_channel();
        let Self {
            client,
            namespace,
            coalescer,
            probe_interval,
            stores,
            writers,
            write_back: _,
            certificates,
        } = self;
        let Writers {
            ingresses,
            classes,
            services,
            slices,
            #[cfg(feature = "tls")]
            secrets,
        } = writers;
        let api = Apis { client, namespace };
        let config = watcher::Config::default();
        let mut watchers = JoinSet::new();
        watchers.spawn(watch(
            api.api::<k8s_openapi::api::networking::v1::Ingress>(false),
            config.clone(),
            ingresses,
            Kind::Ingress,
            signal.clone(),
        ));
        watchers.spawn(watch(
            api.api::<IngressClass>(true),
            config.clone(),
            classes,
            Kind::IngressClass,
            signal.clone(),
        ));
        watchers.spawn(watch(
            api.api::<k8s_openapi::api::core::v1::Service>(false),
            config.clone(),
            services,
            Kind::Service,
            signal.clone(),
        ));
        watchers.spawn(watch(
            api.api::<k8s_openapi::api::discovery::v1::EndpointSlice>(false),
            config.clone().labels(SERVICE_NAME_LABEL),
            slices,
            Kind::EndpointSlice,
            signal.clone(),
        ));
        #[cfg(feature = "tls")]
        if certificates {
            watchers.spawn(watch(
                api.api::<k8s_openapi::api::core::v1::Secret>(false),
                config.clone().fields(TLS_SECRET_SELECTOR),
                secrets,
                Kind::Secret,
                signal.clone(),
            ));
        }
        drop(signal);

        let mut state = State {
            status,
            stores,
            coalescer,
            health: Health::default(),
            listed: BTreeSet::new(),
            waits_for_secrets: certificates,
            dirty: BTreeSet::new(),
            versions: Vec::new(),
            burst_start: None,
        };
        let probe_api: Api<IngressClass> = Api::all(api.client.clone());
        let mut probe = tokio::time::interval(probe_interval);
        probe.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let deadline = state.coalescer.deadline();
            tokio::select! {
                signal = signals.recv() => match signal {
                    Some(signal) => state.handle(signal),
                    None => return Ok(()),
                },
                () = sleep_until(deadline), if deadline.is_some() => {}
                _ = probe.tick(), if state.health.is_stale() => {
                    if probe_api.list(&ListParams::default().limit(1)).await.is_ok() {
                        let turned = state.health.reachable();
                        state.turned(turned);
                    }
                }
            }
            if state.coalescer.take(std::time::Instant::now())
                && let Some(snapshot) = state.snapshot()
                && snapshots.send(snapshot).is_err()
            {
                return Ok(());
            }
        }
    }
}

/// How each kind's API is reached.
struct Apis {
    client: Client,
    namespace: Option<String>,
}

impl Apis {
    /// `K` as dynamic objects (decoded one by one by the watcher), in the
    /// namespace watched unless `cluster_wide`.
    fn api<K: Resource<DynamicType = ()>>(&self, cluster_wide: bool) -> Api<DynamicObject> {
        let resource = ApiResource::erase::<K>(&());
        match (&self.namespace, cluster_wide) {
            (Some(namespace), false) => Api::namespaced_with(self.client.clone(), namespace, &resource),
            _ => Api::all_with(self.client.clone(), &resource),
        }
    }
}

async fn sleep_until(deadline: Option<std::time::Instant>) {
    if let Some(deadline) = deadline {
        tokio::time::sleep_until(Instant::from_std(deadline)).await;
    }
}

/// Starts the rebuild thread.
fn start_rebuilds<P: Publish + Send + 'static>(
    feed: Feed<P>,
    rebuilds: mpsc::Receiver<Snapshot>,
) -> Result<(), ClusterError> {
    std::thread::Builder::new()
        .name("feed-rebuild".to_owned())
        .spawn(move || rebuild(feed, &rebuilds))
        .map(drop)
        .map_err(ClusterError::thread)
}

/// The longest the rebuild thread waits for a timed rebuild before it
/// looks at the wall clock again.
const CLOCK_RECHECK: std::time::Duration = std::time::Duration::from_secs(60);

/// The rebuild thread: applies every snapshot waiting, then rebuilds once;
/// also rebuilds, with no snapshot, when the feed asks to at a time
/// ([`Feed::rebuild_due_at`]: a certificate expires or becomes valid).
fn rebuild<P: Publish>(mut feed: Feed<P>, snapshots: &mpsc::Receiver<Snapshot>) {
    loop {
        let next = match feed.rebuild_due_at() {
            None => snapshots.recv().map_err(|_| mpsc::RecvTimeoutError::Disconnected),
            Some(at) => {
                // The moment is on the wall clock, the wait on the monotonic
                // one: waking at least once a minute keeps a step of the
                // wall clock (NTP after boot, a resumed VM) from making the
                // rebuild late by as much.
                let wait = at.duration_since(std::time::SystemTime::now()).unwrap_or_default();
                snapshots.recv_timeout(wait.min(CLOCK_RECHECK))
            }
        };
        match next {
            Ok(snapshot) => {
                feed.apply(snapshot);
                while let Ok(more) = snapshots.try_recv() {
                    feed.apply(more);
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                if feed.rebuild_due_at().is_none_or(|at| std::time::SystemTime::now() < at) {
                    continue;
                }
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => return,
        }
        let _ = feed.rebuild();
    }
}

/// The coordinator's state.
struct State {
    status: FeedStatus,
    stores: Stores,
    coalescer: Coalescer,
    health: Health,
    /// Kinds whose first list is complete.
    listed: BTreeSet<Kind>,
    /// Secrets are watched: nothing is handed over before their first
    /// list either.
    waits_for_secrets: bool,
    /// Kinds changed since the last snapshot.
    dirty: BTreeSet<Kind>,
    /// The newest resourceVersion of each kind, not yet handed over.
    versions: Vec<(Kind, String)>,
    burst_start: Option<std::time::Instant>,
}

/// A store's objects in the order of their addresses, so that equal lists
/// compare equal: a store keeps the allocation of an object that did not
/// change, and the feed holds the previous list, so no address is reused
/// while it can be compared. Sorting ten thousand addresses costs a small
/// fraction of sorting the same objects by name (every reader of the list
/// files objects by key or address; none needs name order).
fn in_address_order<K: Resource<DynamicType = ()> + Clone>(store: &Store<K>) -> Vec<Arc<K>> {
    let mut objects = store.state();
    objects.sort_unstable_by_key(|object| Arc::as_ptr(object) as usize);
    objects
}

impl State {
    fn handle(&mut self, Signal { kind, what }: Signal) {
        let now = std::time::Instant::now();
        match what {
            What::Changed(version) => {
                self.changed(kind, version, now);
            }
            What::Listed(version) => {
                if !self.listed.insert(kind) {
                    self.status.update(|record| record.relists += 1);
                    tracing::info!(%kind, "relisted");
                } else {
                    tracing::debug!(%kind, "listed");
                }
                self.changed(kind, version, now);
            }
            What::Failed(error) => {
                self.status.update(|record| record.watch_restarts += 1);
                match self.health.failed(kind, SystemTime::now()) {
                    Some(Turned::Stale(since)) => {
                        self.status.update(|record| record.stale_since = Some(since));
                        tracing::warn!(
                            %kind,
                            %error,
                            "API server feed is stale: serving the last tables until it answers again"
                        );
                    }
                    _ => tracing::debug!(%kind, %error, "watch failed; retrying after backoff"),
                }
            }
            What::Undecodable { object, error } => {
                self.status.update(|record| record.decode_errors += 1);
                tracing::warn!(%kind, %object, %error, "object does not decode; skipped");
            }
        }
    }

    fn changed(&mut self, kind: Kind, version: Option<String>, now: std::time::Instant) {
        let turned = self.health.succeeded(kind);
        self.turned(turned);
        if let Some(version) = version {
            self.versions.push((kind, version));
        }
        self.dirty.insert(kind);
        self.burst_start.get_or_insert(now);
        self.coalescer.changed(now);
    }

    /// Records and logs a change of state.
    fn turned(&mut self, turned: Option<Turned>) {
        match turned {
            // Only a failure turns the source stale, and logs it there.
            Some(Turned::Stale(since)) => {
                self.status.update(|record| record.stale_since = Some(since));
            }
            Some(Turned::Fresh { stale_since }) => {
                self.status.update(|record| record.stale_since = None);
                let stale_for = SystemTime::now().duration_since(stale_since).unwrap_or_default();
                tracing::info!(
                    stale_seconds = stale_for.as_secs_f64(),
                    "API server feed is fresh again"
                );
            }
            None => {}
        }
    }

    /// The listed kinds that changed, from their stores; `None` when no
    /// listed kind changed.
    fn snapshot(&mut self) -> Option<Snapshot> {
        if self.waits_for_secrets && !self.listed.contains(&Kind::Secret) {
            // Changes wait in `dirty`; the Secrets' list brings them along.
            return None;
        }
        let started = self.burst_start.take().unwrap_or_else(std::time::Instant::now);
        let mut snapshot = Snapshot::new(SourceKind::ApiServer).with_start(started);
        let mut any = false;
        for kind in std::mem::take(&mut self.dirty) {
            if !self.listed.contains(&kind) {
                continue;
            }
            any = true;
            snapshot = match kind {
                Kind::Ingress => snapshot.with_ingresses(in_address_order(&self.stores.ingresses)),
                Kind::IngressClass => snapshot.with_classes(in_address_order(&self.stores.classes)),
                Kind::Service => snapshot.with_services(in_address_order(&self.stores.services)),
                Kind::EndpointSlice => snapshot.with_endpoint_slices(in_address_order(&self.stores.slices)),
                #[cfg(feature = "tls")]
                Kind::Secret => snapshot.with_secrets(in_address_order(&self.stores.secrets)),
                #[cfg(not(feature = "tls"))]
                Kind::Secret => snapshot,
            };
        }
        for (kind, version) in std::mem::take(&mut self.versions) {
            snapshot = snapshot.with_resource_version(kind, version);
        }
        any.then_some(snapshot)
    }
}
