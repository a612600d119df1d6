//! Endpoint resolution (B1-B3): Services and EndpointSlices in, the ready
//! endpoint addresses of every Service backend out, in a table of their
//! own that is swapped without rebuilding routes (B2).
//!
//! [`EndpointTable`] is built once from [`Manifests`] (or from plain
//! k8s-openapi objects, as an API-server feed holds them) and answers, per
//! [`ServiceBackend`], either the sorted ready addresses or why there are
//! none ([`NoEndpoints`]: a route to it answers 503, B3). What a `check`
//! should say about the objects is in [`EndpointTable::findings`].
//!
//! ```
//! use std::net::SocketAddr;
//!
//! use ingress_core::validation::{ServiceBackend, ServicePort};
//! use ingress_kube::{EndpointTable, Format, Manifests, NoEndpoints};
//!
//! let mut manifests = Manifests::new();
//! manifests.add_text("shop.yaml", Format::Yaml, r#"
//! apiVersion: v1
//! kind: Service
//! metadata: { name: api, namespace: shop }
//! spec:
//!   ports:
//!   - { name: http, port: 80, targetPort: http-api }
//! ---
//! apiVersion: discovery.k8s.io/v1
//! kind: EndpointSlice
//! metadata:
//!   name: api-x7k2p
//!   namespace: shop
//!   labels: { kubernetes.io/service-name: api }
//! addressType: IPv4
//! ports: [{ name: http, port: 8080 }]
//! endpoints:
//! - addresses: ["10.244.2.9"]
//!   conditions: { ready: true }
//! - addresses: ["10.244.1.17"]
//! - addresses: ["10.244.3.4"]
//!   conditions: { ready: false, serving: true, terminating: true }
//! "#);
//! let table = EndpointTable::from_manifests(&manifests);
//!
//! // By number or by name, the same ready endpoints: the slice's port 8080
//! // for the Service's port "http", sorted; a missing `ready` counts.
//! let backend = |port| ServiceBackend { namespace: "shop".into(), name: "api".into(), port };
//! let expected: Vec<SocketAddr> = vec!["10.244.1.17:8080".parse()?, "10.244.2.9:8080".parse()?];
//! assert_eq!(**table.resolve(&backend(ServicePort::Number(80)))?, *expected);
//! assert_eq!(**table.resolve(&backend(ServicePort::Name("http".into())))?, *expected);
//!
//! // Or why there are none.
//! assert_eq!(table.resolve(&backend(ServicePort::Number(81))), Err(NoEndpoints::UnknownPort));
//! let web = ServiceBackend { namespace: "shop".into(), name: "web".into(), port: ServicePort::Number(80) };
//! assert_eq!(table.resolve(&web), Err(NoEndpoints::UnknownService));
//! assert!(table.findings().is_empty());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod build;
mod finding;
mod reason;
mod slice;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use ingress_core::validation::ServiceBackend;
use k8s_openapi::api::core::v1::Service;
use k8s_openapi::api::discovery::v1::EndpointSlice;

pub use finding::{EndpointFinding, EndpointProblem};
pub use reason::NoEndpoints;
#[cfg(feature = "cluster")]
pub(crate) use slice::EndpointList;

use crate::feed::Listed;
use crate::manifests::Manifests;

/// The label by which an EndpointSlice names its Service (in the slice's
/// namespace).
pub const SERVICE_NAME_LABEL: &str = "kubernetes.io/service-name";

/// The answer for one Service port, computed when the table is built.
type Resolved = Result<Arc<[SocketAddr]>, NoEndpoints>;

/// The ready endpoint addresses of every Service port, by
/// [`ServiceBackend`]: immutable, built once, looked up with one hash
/// lookup per request. Endpoint changes build a new table, never a new
/// routing table (B2).
///
/// How a backend resolves (B1):
///
/// - **Service.** `namespace/name` of the backend (the Ingress's
///   namespace). A Service of type `ExternalName` is not supported: its
///   backends answer [`NoEndpoints::ExternalName`].
/// - **Port.** The Service port with the backend's number
///   (`spec.ports[].port`) or name (`spec.ports[].name`). **\[choice\]**
///   Only TCP ports (protocol `TCP` or unset) are served, HTTP being TCP;
///   of two ports with the same number or name (which the API server
///   refuses), the first is used.
/// - **EndpointSlices.** Those in the Service's namespace whose
///   [`SERVICE_NAME_LABEL`] names the Service, with `addressType` IPv4 or
///   IPv6 (FQDN slices are skipped and reported).
/// - **Endpoint port.** In each slice, the port whose `name` equals the
///   Service port's (both empty or unset for an unnamed port): this is how
///   a named `targetPort` resolves per slice. A slice without such a port
///   gives nothing for that Service port.
/// - **Ready.** An endpoint is used when `conditions.ready` is true or
///   unset (the API reads a nil `ready` as ready); `serving` and
///   `terminating` do not make a not-ready endpoint ready. Each address of
///   a ready endpoint is one [`SocketAddr`]; addresses that do not parse as
///   the slice's type are skipped and reported.
/// - **Order.** Addresses are sorted (IPv4 before IPv6, then by address
///   and port), each once, across all the slices: the same objects in any
///   order build an equal table. Of two Services with the same namespace
///   and name, the later is used.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EndpointTable {
    /// Every TCP Service port, by number and (when named) by name.
    ports: HashMap<ServiceBackend, Resolved>,
    /// Every Service, by namespace and name: what a miss in `ports` means.
    services: HashMap<Arc<str>, HashMap<Arc<str>, ServiceKind>>,
    /// Sorted by source, then object.
    findings: Vec<EndpointFinding>,
}

/// What kind of Service a name stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
enum ServiceKind {
    /// Resolved through its EndpointSlices.
    Cluster,
    /// `type: ExternalName`, with `spec.externalName`.
    ExternalName(Arc<str>),
}

impl EndpointTable {
    /// A table without Services: every backend answers
    /// [`NoEndpoints::UnknownService`].
    pub fn new() -> Self {
        Self::default()
    }

    /// The table of the Services and EndpointSlices of `manifests`; findings
    /// carry the objects' sources.
    pub fn from_manifests(manifests: &Manifests) -> Self {
        build::build(
            manifests.services().iter().map(|s| (&s.object, Some(&s.source))),
            manifests.endpoint_slices().iter().map(|s| (&s.object, Some(&s.source))),
        )
    }

    /// The table of `services` and `slices`, as an API-server feed holds
    /// them (`&[Service]`, say, or the objects behind a store's `Arc`s);
    /// findings carry no source.
    pub fn from_objects<'a>(
        services: impl IntoIterator<Item = &'a Service>,
        slices: impl IntoIterator<Item = &'a EndpointSlice>,
    ) -> Self {
        build::build(
            services.into_iter().map(|service| (service, None)),
            slices.into_iter().map(|slice| (slice, None)),
        )
    }

    /// The table of objects as a feed holds them, with their sources when
    /// they came from files.
    pub(crate) fn from_listed(services: &[Listed<Service>], slices: &[Listed<EndpointSlice>]) -> Self {
        build::build(
            services.iter().map(|(service, source)| (&**service, source.as_ref())),
            slices.iter().map(|(slice, source)| (&**slice, source.as_ref())),
        )
    }

    /// The ready endpoint addresses of `backend`, sorted and never empty
    /// (clone the [`Arc`] to keep them past the table), or why there are
    /// none: then the route answers 503 (B3).
    pub fn resolve(&self, backend: &ServiceBackend) -> Result<&Arc<[SocketAddr]>, NoEndpoints> {
        match self.ports.get(backend) {
            Some(Ok(addresses)) => Ok(addresses),
            Some(Err(reason)) => Err(reason.clone()),
            None => Err(self.missing(backend)),
        }
    }

    /// Why `backend` is not among the Service ports.
    fn missing(&self, backend: &ServiceBackend) -> NoEndpoints {
        let service = self
            .services
            .get(&*backend.namespace)
            .and_then(|services| services.get(&*backend.name));
        match service {
            None => NoEndpoints::UnknownService,
            Some(ServiceKind::ExternalName(name)) => NoEndpoints::ExternalName(Arc::clone(name)),
            Some(ServiceKind::Cluster) => NoEndpoints::UnknownPort,
        }
    }

    /// What building noticed, for a `check` report: Service ports without
    /// ready endpoints, ExternalName Services, EndpointSlices that name no
    /// Service or cannot be used, unparsable addresses. Sorted by source,
    /// then object; empty when everything resolves.
    pub fn findings(&self) -> &[EndpointFinding] {
        &self.findings
    }
}
