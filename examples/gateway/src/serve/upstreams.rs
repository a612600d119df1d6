//! Ready endpoints per backend, and which one serves the next request.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};

use ingress_core::{Backend, RouteTable, ServiceBackend};
use ingress_kube::{EndpointTable, Manifests, NoEndpoints};
use serde_json::{Value, json};

use super::metrics::{BackendLabels, Metrics};

/// The endpoint table of one load, with a round-robin turn per backend.
#[derive(Debug, Default)]
pub(crate) struct Upstreams {
    table: EndpointTable,
    /// The next turn of every backend the routes use: each backend takes
    /// its endpoints in order, whatever other backends are asked meanwhile.
    turns: HashMap<ServiceBackend, AtomicUsize>,
}

impl Upstreams {
    /// The endpoints of `manifests`, for the backends `routes` uses.
    pub(crate) fn new(manifests: &Manifests, routes: &RouteTable) -> Self {
        let turns = routes
            .targets()
            .iter()
            .filter_map(|target| match target.backend() {
                Backend::Service(service) => Some((service.clone(), AtomicUsize::new(0))),
                _ => None,
            })
            .collect();
        Self {
            table: EndpointTable::from_manifests(manifests),
            turns,
        }
    }

    /// The endpoint for the next request to `backend` (B1), or why none
    /// can serve it (B3).
    pub(crate) fn pick(&self, backend: &ServiceBackend) -> Result<SocketAddr, NoEndpoints> {
        let endpoints = self.table.resolve(backend)?;
        let turn = self
            .turns
            .get(backend)
            .map_or(0, |turn| turn.fetch_add(1, Ordering::Relaxed));
        endpoints
            .get(turn % endpoints.len().max(1))
            .copied()
            .ok_or(NoEndpoints::NoReadyEndpoints)
    }

    /// Ready endpoints over all the backends in use.
    pub(crate) fn endpoint_count(&self) -> usize {
        self.turns
            .keys()
            .filter_map(|backend| self.table.resolve(backend).ok())
            .map(|e| e.len())
            .sum()
    }

    /// Sets the endpoints-per-backend gauge to this load's counts.
    pub(crate) fn record(&self, metrics: &Metrics) {
        let _guard = metrics.endpoints_lock.lock();
        metrics.backend_endpoints.clear();
        for backend in self.turns.keys() {
            let count = self.table.resolve(backend).map_or(0, |e| e.len());
            let labels = BackendLabels {
                backend: backend.to_string(),
            };
            metrics
                .backend_endpoints
                .get_or_create(&labels)
                .set(i64::try_from(count).unwrap_or(i64::MAX));
        }
    }

    /// The endpoints of `backend`, or why there are none, as JSON.
    pub(crate) fn describe(&self, backend: &Backend) -> Value {
        match backend {
            Backend::Service(service) => match self.table.resolve(service) {
                Ok(endpoints) => json!(endpoints.iter().map(ToString::to_string).collect::<Vec<_>>()),
                Err(why) => json!({"unavailable": why.to_string()}),
            },
            _ => json!({"unavailable": "resource backends are not served"}),
        }
    }
}
