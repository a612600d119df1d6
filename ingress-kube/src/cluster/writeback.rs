//! The write-back: what the gateway tells the cluster about the Ingresses
//! it serves (status addresses) and the ones it cannot (Events), written
//! by one replica at a time, and the task that does it.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::core::v1::Service;
use k8s_openapi::api::networking::v1::Ingress;
use kube::api::Api;
use kube::runtime::events::Reporter;
use kube::runtime::reflector::{ObjectRef, Store};
use kube::{Client, Resource as _};
use tokio::sync::watch;

use super::address::{PublishedAddress, StatusAddress, service_addresses};
use super::election::Election;
use super::events::{self, Emitted};
use super::outcome::Outcome;
use super::pace::Bucket;
use super::status::{self, Entries, Written, entries_of};
use super::stores::Stores;
use crate::feed::FeedStatus;

/// The default field manager of status writes.
pub const STATUS_FIELD_MANAGER: &str = "kube-ingress-gateway";

/// What a [`ClusterSource`](super::ClusterSource) writes back to the
/// cluster, and who writes it.
///
/// - **Status** (with [`with_addresses`](Self::with_addresses)): every
///   Ingress we serve (ours by O1-O3 and not rejected, V8) gets
///   `status.loadBalancer.ingress` set to the published addresses, by a
///   forced server-side apply of the status subresource; written only when
///   the stored list differs, at most `rate` writes a second. An Ingress
///   that stops being served has the list removed; other controllers'
///   Ingresses are never written.
/// - **Events** (with [`with_events`](Self::with_events)): a Warning
///   `Rejected` or `Conflict` Event on an Ingress, once per distinct
///   message.
/// - **Who** (with [`with_election`](Self::with_election)): only the
///   holder of a Lease writes; without an election this replica always
///   does. On becoming leader it checks every Ingress again.
///
/// Counted in the feed's [`SourceStatus`](crate::feed::SourceStatus):
/// `status_writes`, `events_emitted`, `leader`.
///
/// ```
/// use std::time::Duration;
/// use ingress_kube::cluster::{Election, PublishedAddress, WriteBack};
///
/// let write_back = WriteBack::new()
///     .with_addresses(PublishedAddress::Fixed(vec!["203.0.113.7".parse()?]))
///     .with_events("ingress-gateway")
///     .with_election(Election::new("ingress-gateway-leader", "ingress-gateway", "gateway-0"))
///     .with_resync(Duration::from_secs(60));
/// assert!(write_back.writes_status());
/// # Ok::<(), ingress_kube::cluster::AddressError>(())
/// ```
#[derive(Debug, Clone)]
pub struct WriteBack {
    addresses: Option<PublishedAddress>,
    events: Option<String>,
    election: Option<Election>,
    field_manager: String,
    rate: NonZeroU32,
    resync: Duration,
}

impl Default for WriteBack {
    fn default() -> Self {
        Self::new()
    }
}

impl WriteBack {
    /// Writes nothing yet: no status, no Events, no election; 10 writes a
    /// second at most, everything checked again every 30 s.
    pub fn new() -> Self {
        Self {
            addresses: None,
            events: None,
            election: None,
            field_manager: STATUS_FIELD_MANAGER.to_owned(),
            rate: NonZeroU32::new(10).unwrap_or(NonZeroU32::MIN),
            resync: Duration::from_secs(30),
        }
    }

    /// Publishes these addresses in the status of the Ingresses served.
    pub fn with_addresses(mut self, addresses: PublishedAddress) -> Self {
        self.addresses = Some(addresses);
        self
    }

    /// Emits Events as controller `controller` (the instance is the
    /// election's identity, else this host's).
    pub fn with_events(mut self, controller: impl Into<String>) -> Self {
        self.events = Some(controller.into());
        self
    }

    /// Writes only while holding the election's Lease.
    pub fn with_election(mut self, election: Election) -> Self {
        self.election = Some(election);
        self
    }

    /// The field manager of the status writes (default
    /// [`STATUS_FIELD_MANAGER`]); every replica must use the same one.
    pub fn with_field_manager(mut self, manager: impl Into<String>) -> Self {
        self.field_manager = manager.into();
        self
    }

    /// At most `writes_per_second` status writes and Events a second
    /// (and a burst of as many).
    pub fn with_rate(mut self, writes_per_second: NonZeroU32) -> Self {
        self.rate = writes_per_second;
        self
    }

    /// How often to check every Ingress again, besides after each rebuild
    /// (to undo someone else's status write).
    pub fn with_resync(mut self, every: Duration) -> Self {
        self.resync = every.max(Duration::from_millis(100));
        self
    }

    /// Whether status is written (addresses were given).
    pub fn writes_status(&self) -> bool {
        self.addresses.is_some()
    }

    /// Whether Events are emitted.
    pub fn emits_events(&self) -> bool {
        self.events.is_some()
    }

    /// The election, if any.
    pub fn election(&self) -> Option<&Election> {
        self.election.as_ref()
    }
}

/// Everything the write-back task works with.
pub(crate) struct Writer {
    pub(crate) config: WriteBack,
    pub(crate) client: Client,
    pub(crate) stores: Stores,
    /// The namespace the source watches, if one.
    pub(crate) namespace: Option<String>,
    pub(crate) status: FeedStatus,
}

impl Writer {
    /// Runs until `outcomes` closes (the feed is gone).
    pub(crate) async fn run(self, mut outcomes: watch::Receiver<Option<Arc<Outcome>>>) {
        let (leader_tx, mut leader) = watch::channel(self.config.election.is_none());
        let campaign = self.config.election.clone().map(|election| {
            tokio::spawn(super::election::campaign(
                self.client.clone(),
                election,
                leader_tx.clone(),
            ))
        });
        let _stop = campaign.map(AbortOnDrop);
        let identity = self
            .config
            .election
            .as_ref()
            .map_or_else(super::election::default_identity, |e| e.identity().to_owned());
        let reporter = self.config.events.clone().map(|controller| Reporter {
            controller,
            instance: Some(identity),
        });
        let mut state = Pass {
            written: Written::default(),
            emitted: Emitted::default(),
            bucket: Bucket::new(self.config.rate),
            last_addresses: None,
        };
        let mut resync = tokio::time::interval(self.config.resync);
        resync.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut was_leader = false;
        loop {
            tokio::select! {
                changed = outcomes.changed() => if changed.is_err() { return },
                _ = leader.changed() => {}
                _ = resync.tick() => {}
            }
            let is_leader = *leader.borrow_and_update();
            self.status.update(|record| record.leader = Some(is_leader));
            if is_leader && !was_leader {
                // A new term: report every problem once, check every status.
                state.emitted.clear();
            }
            was_leader = is_leader;
            let outcome = outcomes.borrow_and_update().clone();
            let (true, Some(outcome)) = (is_leader, outcome) else {
                continue;
            };
            self.pass(&mut state, &outcome, reporter.as_ref()).await;
        }
    }

    /// One check of every Ingress: status, then Events.
    async fn pass(&self, state: &mut Pass, outcome: &Outcome, reporter: Option<&Reporter>) {
        if let Some(published) = &self.config.addresses {
            let addresses = self.addresses(published).await;
            if state.last_addresses.as_ref() != Some(&addresses) {
                let shown: Vec<String> = addresses.iter().map(ToString::to_string).collect();
                tracing::info!(addresses = ?shown, "publishing Ingress status addresses");
                state.last_addresses = Some(addresses.clone());
            }
            let entries: Entries = entries_of(&addresses);
            let ingresses = self.stores.ingresses().state();
            let writes = state
                .written
                .plan(ingresses.iter().map(|ingress| &**ingress), outcome, &entries);
            for write in writes {
                tokio::time::sleep(state.bucket.take(std::time::Instant::now())).await;
                match status::apply(&self.client, &self.config.field_manager, &write).await {
                    Ok(()) => {
                        tracing::debug!(ingress = %write.key, addresses = write.entries.len(), "status written");
                        self.status.update(|record| record.status_writes += 1);
                        state.written.done(write);
                    }
                    Err(error) => tracing::warn!(ingress = %write.key, %error, "cannot write Ingress status"),
                }
            }
        }
        if let Some(reporter) = reporter {
            for notice in state.emitted.plan(outcome) {
                let reference = ObjectRef::<Ingress>::new(notice.key.name()).within(notice.key.namespace());
                let Some(ingress) = self.stores.ingresses().get(&reference) else {
                    continue;
                };
                let regarding = ingress.object_ref(&());
                tokio::time::sleep(state.bucket.take(std::time::Instant::now())).await;
                match events::emit(&self.client, reporter, &notice, &regarding).await {
                    Ok(()) => {
                        tracing::debug!(ingress = %notice.key, reason = notice.reason.as_str(), "event emitted");
                        self.status.update(|record| record.events_emitted += 1);
                        state.emitted.done(notice);
                    }
                    Err(error) => tracing::warn!(ingress = %notice.key, %error, "cannot emit an Event"),
                }
            }
        }
    }

    /// The addresses to publish now.
    async fn addresses(&self, published: &PublishedAddress) -> Vec<StatusAddress> {
        match published {
            PublishedAddress::Fixed(addresses) => {
                let mut addresses = addresses.clone();
                addresses.sort();
                addresses.dedup();
                addresses
            }
            PublishedAddress::Service { namespace, name } => {
                let watched = self.namespace.as_ref().is_none_or(|watched| watched == namespace);
                let service = if watched {
                    service_in(self.stores.services(), namespace, name)
                } else {
                    // Outside the namespace watched: asked for each pass.
                    let api: Api<Service> = Api::namespaced(self.client.clone(), namespace);
                    match api.get_opt(name).await {
                        Ok(service) => service.map(Arc::new),
                        Err(error) => {
                            tracing::warn!(%error, service = %format!("{namespace}/{name}"), "cannot read the published Service");
                            None
                        }
                    }
                };
                service.map(|service| service_addresses(&service)).unwrap_or_default()
            }
        }
    }
}

/// A Service from the store.
fn service_in(store: &Store<Service>, namespace: &str, name: &str) -> Option<Arc<Service>> {
    store.get(&ObjectRef::new(name).within(namespace))
}

/// The write-back's memory between passes.
struct Pass {
    written: Written,
    emitted: Emitted,
    bucket: Bucket,
    last_addresses: Option<Vec<StatusAddress>>,
}

/// Aborts a task when dropped: the election ends with the writer.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}
