//! Spec-exact Kubernetes Ingress routing, as plain data and pure functions.
//!
//! `ingress-core` takes Ingress objects and answers "which route, and why".
//! Its modules follow the way data flows, one concept each:
//!
//! 1. [`objects`]: Ingress objects as they arrive ([`Ingress`] and the
//!    values of its `spec`), invalid ones included, and their
//!    [`ObjectKey`](objects::ObjectKey).
//! 2. [`validation`]: [`validate`](validation::validate()) re-checks each
//!    object with the API server's rules (V1-V7), explains every rejection
//!    (V8) and gives the typed form (hosts, path types, [`Backend`]s).
//! 3. [`set`]: an [`IngressSet`] keeps the objects, and the last valid
//!    version of each.
//! 4. [`table`]: compiling gives an immutable [`RouteTable`]: exact,
//!    wildcard and host-less host levels, each with an Exact index and an
//!    element-wise Prefix index, deterministic conflict resolution, and a
//!    [`BuildReport`](table::BuildReport). A lookup answers an owned
//!    [`Outcome`].
//! 5. [`shared`]: a [`SharedTable`] publishes tables to readers that never
//!    lock.
//! 6. [`tls`]: the `spec.tls[]` claims of the served Ingresses (T1) and a
//!    certificate table that answers an SNI name (T2, T3), generic over
//!    the caller's certificate type.
//! 7. [`canonical`]: per request, the host and path are put in the
//!    canonical form that is matched and forwarded
//!    ([`RouteTable::route_request`] does it for a whole [`RequestHead`]).
//!
//! The root re-exports the names a first program needs; everything else is
//! named through its module. `reference`, a naive matcher that the table is
//! tested against, is compiled with the `reference` cargo feature only.
//!
//! The rules cited (`M4`, `P3`, ...) are those of the project's semantics
//! contract, the [`semantics`] page (`SEMANTICS.md` in the package). It
//! also marks every **\[choice\]** the Ingress API leaves open and every
//! **Reading** of a rule that could be read two ways; where a choice can be
//! changed, the option is [`EncodedSlashes::Keep`](canonical::EncodedSlashes::Keep)
//! (P6), [`TableOptions::fallthrough`] (M2),
//! [`ImplementationSpecific::Exact`](table::ImplementationSpecific::Exact)
//! (M8) or [`PathProfile`](canonical::PathProfile) (P8).
//!
//! No async runtime, no HTTP library and no Kubernetes client types are
//! involved; adapters live in `ingress-tower` and `ingress-kube`. No type of
//! a dependency appears in the public API: the lock-free swap (arc-swap) and
//! the hash tables (hashbrown, foldhash) stay behind this crate's own types.
//!
//! ```
//! use ingress_core::{HostHeader, HttpIngressPath, HttpVersion, Ingress, IngressBackend, Outcome, RequestHead, RouteTable, TableOptions};
//!
//! let ingress = Ingress::new("default", "example-ingress").with_rule(
//!     Some("hello.nginx.com"),
//!     [HttpIngressPath::prefix("/", IngressBackend::service("nginx-svc", 80))],
//! );
//! let table = RouteTable::from_ingresses([ingress], &TableOptions::default());
//!
//! let head = RequestHead::new("GET", HttpVersion::Http11, "/index.html").with_host(HostHeader::One(b"hello.nginx.com"));
//! match table.route_request(&head) {
//!     Outcome::Routed(route) => assert_eq!(route.backend().to_string(), "default/nginx-svc:80"),
//!     other => panic!("{other:?}"),
//! }
//! ```

pub mod canonical;
pub mod objects;
#[cfg(feature = "reference")]
pub mod reference;
pub mod semantics;
pub mod set;
pub mod shared;
pub mod table;
pub mod tls;
pub mod validation;

// What a quickstart needs; everything else is named through its module.
pub use canonical::{HostHeader, HttpVersion, RequestHead};
pub use objects::{HttpIngressPath, Ingress, IngressBackend};
pub use set::IngressSet;
pub use shared::SharedTable;
pub use table::{Outcome, Route, RouteTable, TableOptions};
pub use validation::Backend;

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
