//! The feed: one pipeline from a source of Kubernetes objects to the live
//! tables, for every program (a gateway, an embedding app).
//!
//! source -> [`Snapshot`] -> [`Feed`] (selection, [`IngressSet`],
//! compile, endpoints) -> [`Publish`] -> swapped tables.
//!
//! - **Sources.** Manifest files ([`FileSource`], a polling loop on a
//!   thread of its own) and the API server (`cluster::ClusterSource`,
//!   feature `cluster`). A source hands the feed
//!   complete lists of each kind ([`Snapshot`]), never a half-listed
//!   store.
//! - **Core.** [`Feed`] is synchronous and does no I/O: it publishes
//!   nothing until every [`Kind`] has been listed, rebuilds routes only
//!   when Ingresses or IngressClasses changed (validating only the changed
//!   Ingresses; an invalid edit keeps the last valid version, V8), and
//!   endpoints only when Services or EndpointSlices changed (B2), and
//!   certificates (feature `tls`) only when the TLS claims or the Secrets
//!   they name changed (T3), or when a certificate expires or becomes
//!   valid ([`Feed::rebuild_due_at`]).
//! - **Coalescing.** A [`Coalescer`] turns a burst of changes into one
//!   rebuild: after a quiet period, or a maximum delay at the latest.
//! - **Publishing.** [`Tables`] maps each backend to the program's own
//!   value into a [`SharedTable`](ingress_core::SharedTable), and swaps a
//!   [`SharedEndpoints`] on its own; a program with per-backend state
//!   implements [`Publish`] itself. [`FeedStatus`] says whether the first
//!   tables are out (readiness) and where they came from.
//!
//! ```
//! use ingress_core::{Backend, HostHeader, HttpVersion, Outcome, RequestHead};
//! use ingress_kube::ClassSelector;
//! use ingress_kube::feed::{Feed, Snapshot, SourceKind, Tables};
//! use k8s_openapi::api::core::v1::Service;
//! use k8s_openapi::api::discovery::v1::EndpointSlice;
//! use k8s_openapi::api::networking::v1::{Ingress, IngressClass};
//!
//! let class: IngressClass = serde_json::from_value(serde_json::json!({
//!     "metadata": { "name": "gateway",
//!         "annotations": { "ingressclass.kubernetes.io/is-default-class": "true" } },
//!     "spec": { "controller": "ingress-rs.dev/ingress-gateway" }
//! }))?;
//! let ingress: Ingress = serde_json::from_value(serde_json::json!({
//!     "metadata": { "name": "web", "namespace": "shop" },
//!     "spec": { "defaultBackend": { "service": { "name": "web", "port": { "number": 80 } } } }
//! }))?;
//!
//! // Routes lead to Service names.
//! let tables = Tables::new(|backend: &Backend| match backend {
//!     Backend::Service(service) => service.name.to_string(),
//!     other => other.to_string(),
//! });
//! let routes = tables.routes().clone();
//! let mut feed = Feed::new(ClassSelector::default(), tables);
//!
//! // Ingresses and classes are listed, Services and EndpointSlices not yet:
//! // nothing is published.
//! feed.apply(Snapshot::new(SourceKind::ApiServer).with_ingresses([ingress]).with_classes([class]));
//! assert!(feed.rebuild().is_none());
//! assert!(!feed.status().is_ready());
//!
//! let (services, slices): (Vec<Service>, Vec<EndpointSlice>) = (vec![], vec![]);
//! feed.apply(Snapshot::new(SourceKind::ApiServer).with_services(services).with_endpoint_slices(slices));
//! assert!(feed.rebuild().is_some_and(|rebuilt| rebuilt.first));
//! assert!(feed.status().is_ready());
//! let head = RequestHead::new("GET", HttpVersion::Http11, "/").with_host(HostHeader::One(b"any.example"));
//! let Outcome::Routed(route) = routes.load().route_request(&head) else { panic!("not routed") };
//! assert_eq!(route.backend(), "web");
//! # Ok::<(), serde_json::Error>(())
//! ```
//!
//! [`IngressSet`]: ingress_core::IngressSet

#[cfg(feature = "tls")]
mod certificates;
mod coalesce;
mod error;
#[allow(clippy::module_inception)]
mod feed;
mod files;
mod kind;
mod publish;
mod secrets;
mod select;
mod snapshot;
mod status;

pub use coalesce::Coalescer;
pub use error::ReloadError;
pub use feed::{Feed, Rebuilt};
pub use files::{FileSource, FilesLoaded};
pub use kind::{Kind, SourceKind};
pub use publish::{Publish, SharedEndpoints, Tables, Update};
pub use select::IgnoredIngress;
pub use snapshot::Snapshot;
pub use status::{FeedStatus, SourceStatus};

pub(crate) use snapshot::Listed;
