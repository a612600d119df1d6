//! Where routes lead: one shared slot per backend, holding its ready
//! endpoints (each with its outlier record, see [`health`]) and its
//! round-robin turn.
//!
//! Routes point at slots, not at addresses. A reload first refreshes the
//! slots (creating those of new backends), then publishes the routes: a
//! request routed by the old table or by the new one always finds its
//! backend's endpoints, and endpoint changes never touch the routes (B2).

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::ops::Deref;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use arc_swap::{ArcSwap, Guard};
use foldhash::fast::RandomState;
use ingress_core::Backend;
use ingress_core::validation::ServiceBackend;
use ingress_kube::{EndpointTable, NoEndpoints};
use serde_json::{Value, json};

use self::health::Health;
use self::outlier::Policy;
use super::metrics::{BackendLabels, Metrics};
use super::state::TcpEndpoint as Endpoint;
use crate::upstream::{Pool, TcpConnect};

mod attempts;
mod health;
mod outlier;

pub(crate) use attempts::Attempts;

/// Ready endpoints, or why there are none.
type Resolution = Result<Arc<[Arc<Member>]>, NoEndpoints>;

/// A ready endpoint of a backend, and its record there: kept across
/// refreshes while the address stays in the backend, forgotten once it
/// leaves.
#[derive(Debug)]
pub(crate) struct Member {
    pub(crate) endpoint: Arc<Endpoint>,
    pub(crate) health: Health,
}

/// A backend's ready endpoints as they are at one moment (none when it
/// has none).
pub(crate) struct Members(Guard<Arc<Resolution>>);

impl Deref for Members {
    type Target = [Arc<Member>];

    fn deref(&self) -> &[Arc<Member>] {
        self.0.as_ref().as_ref().map_or(&[], |members| members)
    }
}

/// One Service backend's endpoints, shared by every route to it.
pub(crate) struct Upstream {
    key: ServiceBackend,
    endpoints: ArcSwap<Resolution>,
    /// The next turn: each backend takes its endpoints in order, whatever
    /// other backends are asked meanwhile, and across reloads.
    turn: AtomicUsize,
    /// When its endpoints are ejected.
    policy: Policy,
    /// Taken to count ejected endpoints and set the gauge, so that the
    /// last count taken is the last one set.
    counting: Mutex<()>,
    /// The last refresh of [`Upstreams`] that found a route to it (only
    /// the publishing thread writes it).
    listed: AtomicU64,
}

impl Upstream {
    fn new(key: ServiceBackend, endpoints: Resolution) -> Self {
        Self {
            key,
            endpoints: ArcSwap::from_pointee(endpoints),
            turn: AtomicUsize::new(0),
            policy: Policy::DEFAULT,
            counting: Mutex::new(()),
            listed: AtomicU64::new(0),
        }
    }

    /// The endpoints the next request may try, starting at its turn (B1),
    /// or why none can serve it (B3).
    pub(crate) fn attempts(self: &Arc<Self>, metrics: &Metrics) -> Result<Attempts, NoEndpoints> {
        let members = self.members();
        if let Err(why) = members.0.as_ref() {
            return Err(why.clone());
        }
        let turn = self.turn.fetch_add(1, Ordering::Relaxed);
        Attempts::new(Arc::clone(self), &members, turn, metrics).ok_or(NoEndpoints::NoReadyEndpoints)
    }

    /// The ready endpoints now.
    pub(crate) fn members(&self) -> Members {
        Members(self.endpoints.load())
    }

    pub(crate) fn key(&self) -> &ServiceBackend {
        &self.key
    }

    pub(crate) fn policy(&self) -> &Policy {
        &self.policy
    }

    /// Sets the ejected-endpoints gauge of this backend from its records
    /// (after an ejection or a readmission).
    pub(crate) fn count_ejected(&self, metrics: &Metrics) {
        let _counting = self.counting.lock().unwrap_or_else(PoisonError::into_inner);
        let out = ejected(&self.members(), Instant::now());
        metrics.failover.set_ejected(&self.key, out);
    }

    fn count(&self) -> usize {
        self.endpoints
            .load()
            .as_ref()
            .as_ref()
            .map_or(0, |endpoints| endpoints.len())
    }

    /// The endpoints, or why there are none, as JSON.
    pub(crate) fn describe(&self) -> Value {
        match self.endpoints.load().as_ref() {
            Ok(endpoints) => json!(
                endpoints
                    .iter()
                    .map(|member| member.endpoint.address().to_string())
                    .collect::<Vec<_>>()
            ),
            Err(why) => json!({"unavailable": why.to_string()}),
        }
    }
}

/// Slots are equal when they are for the same backend: a table routing to
/// the same backends equals the last one, whatever their endpoints.
impl PartialEq for Upstream {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}

impl Eq for Upstream {}

impl fmt::Debug for Upstream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Upstream({})", self.key)
    }
}

/// What a route leads to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Target {
    /// A Service backend's slot.
    Service(Arc<Upstream>),
    /// A backend this gateway does not serve (a resource backend, M9).
    Unserved(Arc<str>),
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Service(upstream) => upstream.key.fmt(f),
            Self::Unserved(what) => f.write_str(what),
        }
    }
}

/// Every backend's slot, and every endpoint's connections.
#[derive(Debug, Default)]
pub(crate) struct Upstreams {
    slots: HashMap<ServiceBackend, Arc<Upstream>, RandomState>,
    /// One [`Endpoint`] per address, shared by the backends that lead there
    /// and kept across refreshes (with its idle connections) while in use.
    endpoints: HashMap<SocketAddr, Arc<Endpoint>, RandomState>,
    /// Counts refreshes: a slot not marked with the current one is gone.
    generation: u64,
    /// Backends the last refresh dropped, for the metrics.
    dropped: Vec<ServiceBackend>,
    /// Backends whose slot the last refresh created or gave new
    /// endpoints, for the metrics.
    changed: Vec<ServiceBackend>,
}

/// `key`'s endpoints in `table`: an address already in `old` keeps its
/// member (and outlier record), a new one gets a fresh record, and each
/// address gets the endpoint in `shared` (made in `pool` and added there
/// when new).
fn resolve(
    table: &EndpointTable,
    key: &ServiceBackend,
    old: Option<&Resolution>,
    shared: &mut HashMap<SocketAddr, Arc<Endpoint>, RandomState>,
    pool: &Arc<Pool<TcpConnect>>,
) -> Resolution {
    let records: HashMap<SocketAddr, &Arc<Member>, RandomState> = match old {
        Some(Ok(members)) => members
            .iter()
            .map(|member| (member.endpoint.address(), member))
            .collect(),
        _ => HashMap::default(),
    };
    table.resolve(key).map(|addresses| {
        addresses
            .iter()
            .map(|&address| match records.get(&address) {
                Some(&member) => Arc::clone(member),
                None => {
                    let endpoint = shared
                        .entry(address)
                        .or_insert_with(|| Arc::new(pool.endpoint(address)));
                    Arc::new(Member {
                        endpoint: Arc::clone(endpoint),
                        health: Health::default(),
                    })
                }
            })
            .collect::<Arc<[_]>>()
    })
}

/// Whether two resolutions list the same addresses, or fail alike.
fn same_addresses(old: &Resolution, new: &Resolution) -> bool {
    match (old, new) {
        (Ok(old), Ok(new)) => old
            .iter()
            .map(|m| m.endpoint.address())
            .eq(new.iter().map(|m| m.endpoint.address())),
        (Err(old), Err(new)) => old == new,
        _ => false,
    }
}

impl Upstreams {
    /// Gives every backend in `backends` its endpoints from `table`
    /// (creating the slots of new backends) and forgets the others; old
    /// routes keep the slots they hold. When `table` is the one of the last
    /// refresh (`table_changed` false: only the routes changed), the
    /// backends that had a slot keep it as it is, and only new backends
    /// are looked up: a route change costs one lookup per backend and no
    /// endpoint work.
    /// New endpoints belong to `pool`.
    #[cfg(test)]
    pub(crate) fn refresh<'a>(
        &mut self,
        pool: &Arc<Pool<TcpConnect>>,
        table: &EndpointTable,
        table_changed: bool,
        backends: impl IntoIterator<Item = &'a Backend>,
    ) {
        let mut refresh = self.begin(pool, table, table_changed);
        for backend in backends {
            refresh.target(backend);
        }
        refresh.finish();
    }

    /// Starts a refresh: give each backend in use to
    /// [`Refresh::target`] (or, for a route taken over from the last
    /// table, its target to [`Refresh::keeper`]), then call
    /// [`Refresh::finish`]. Mapping a new route table through `target`
    /// refreshes the slots and maps the table in one lookup per new route;
    /// when only the routes changed, existing slots keep their endpoints.
    pub(crate) fn begin<'u>(
        &'u mut self,
        pool: &'u Arc<Pool<TcpConnect>>,
        table: &'u EndpointTable,
        table_changed: bool,
    ) -> Refresh<'u> {
        self.generation += 1;
        self.changed.clear();
        Refresh {
            upstreams: self,
            pool,
            table,
            table_changed,
        }
    }

    /// Gives every slot its endpoints from a new `table`, for the same
    /// routes (an endpoint change alone, B2): the slots are the backends
    /// the routes use.
    pub(crate) fn refresh_endpoints(&mut self, pool: &Arc<Pool<TcpConnect>>, table: &EndpointTable) {
        self.changed.clear();
        self.resolve_all(pool, table);
        self.dropped.clear();
        self.collect_endpoints();
    }

    /// Gives every slot its endpoints from `table`, noting the ones that
    /// changed.
    fn resolve_all(&mut self, pool: &Arc<Pool<TcpConnect>>, table: &EndpointTable) {
        for (key, upstream) in &self.slots {
            let old = upstream.endpoints.load_full();
            let new = resolve(table, key, Some(&old), &mut self.endpoints, pool);
            if !same_addresses(&old, &new) {
                upstream.endpoints.store(Arc::new(new));
                self.changed.push(key.clone());
            }
        }
    }

    /// Keeps only the endpoints some slot uses (dropping the others' idle
    /// connections).
    fn collect_endpoints(&mut self) {
        let mut in_use = HashMap::with_capacity_and_hasher(self.endpoints.len(), RandomState::default());
        for slot in self.slots.values() {
            if let Ok(members) = slot.endpoints.load().as_ref() {
                for member in members.iter() {
                    in_use
                        .entry(member.endpoint.address())
                        .or_insert_with(|| Arc::clone(&member.endpoint));
                }
            }
        }
        self.endpoints = in_use;
    }

    /// Every endpoint in use.
    pub(crate) fn endpoints(&self) -> Vec<Arc<Endpoint>> {
        self.endpoints.values().cloned().collect()
    }

    /// The slot of `key`, if a route uses it.
    #[cfg(test)]
    pub(crate) fn slot(&self, key: &ServiceBackend) -> Option<Arc<Upstream>> {
        self.slots.get(key).map(Arc::clone)
    }

    /// Ready endpoints over all backends.
    pub(crate) fn endpoint_count(&self) -> usize {
        self.slots.values().map(|slot| slot.count()).sum()
    }

    /// Sets the endpoints-per-backend and ejected-endpoints gauges (one
    /// series per backend in use) of the backends the last refresh added,
    /// changed or dropped; the others' series are as they were.
    pub(crate) fn record(&self, metrics: &Metrics) {
        for key in &self.dropped {
            metrics.backend_endpoints.remove(&BackendLabels {
                backend: key.to_string(),
            });
            metrics.failover.forget(key);
        }
        for key in &self.changed {
            let Some(slot) = self.slots.get(key) else { continue };
            let labels = BackendLabels {
                backend: key.to_string(),
            };
            let count = i64::try_from(slot.count()).unwrap_or(i64::MAX);
            metrics.backend_endpoints.get_or_create(&labels).set(count);
            slot.count_ejected(metrics);
        }
    }
}

/// A refresh under way (see [`Upstreams::begin`]).
pub(crate) struct Refresh<'u> {
    upstreams: &'u mut Upstreams,
    pool: &'u Arc<Pool<TcpConnect>>,
    table: &'u EndpointTable,
    table_changed: bool,
}

impl Refresh<'_> {
    /// What routes to `backend` lead to: its slot, created with its
    /// endpoints when new (the others get new endpoints in
    /// [`Refresh::finish`] when the endpoint table changed).
    pub(crate) fn target(&mut self, backend: &Backend) -> Target {
        let Backend::Service(key) = backend else {
            return Target::Unserved(backend.to_string().into());
        };
        let upstreams = &mut *self.upstreams;
        let generation = upstreams.generation;
        let upstream = match upstreams.slots.get(key) {
            Some(upstream) => Arc::clone(upstream),
            None => {
                let endpoints = resolve(self.table, key, None, &mut upstreams.endpoints, self.pool);
                let upstream = Arc::new(Upstream::new(key.clone(), endpoints));
                upstreams.changed.push(key.clone());
                upstreams.slots.insert(key.clone(), Arc::clone(&upstream));
                upstream
            }
        };
        upstream.listed.store(generation, Ordering::Relaxed);
        Target::Service(upstream)
    }

    /// What notes that a route taken over from the last table still leads
    /// to a target: its slot stays, with no lookup.
    pub(crate) fn keeper(&self) -> impl Fn(&Target) + use<> {
        let generation = self.upstreams.generation;
        move |target| {
            if let Target::Service(upstream) = target {
                upstream.listed.store(generation, Ordering::Relaxed);
            }
        }
    }

    /// Forgets the backends not given since [`Upstreams::begin`], and the
    /// endpoints no slot uses any more (with their idle connections); only
    /// a new endpoint table or a gone backend can leave any behind.
    pub(crate) fn finish(self) {
        let upstreams = self.upstreams;
        let generation = upstreams.generation;
        let mut dropped = Vec::new();
        upstreams.slots.retain(|key, upstream| {
            let listed = upstream.listed.load(Ordering::Relaxed) == generation;
            if !listed {
                dropped.push(key.clone());
            }
            listed
        });
        // The slots of the new routes get the new endpoints before the
        // routes are published; the dropped ones keep theirs for the
        // requests the old routes still send there.
        if self.table_changed {
            upstreams.resolve_all(self.pool, self.table);
        }
        if self.table_changed || !dropped.is_empty() {
            upstreams.collect_endpoints();
        }
        upstreams.dropped = dropped;
    }
}

/// How many of `members` are out of rotation at `now`.
pub(crate) fn ejected(members: &[Arc<Member>], now: Instant) -> usize {
    members.iter().filter(|member| member.health.is_ejected(now)).count()
}

#[cfg(test)]
mod tests;
