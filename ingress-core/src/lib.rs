//! Spec-exact Kubernetes Ingress routing, as plain data and pure functions.
//!
//! `ingress-core` takes Ingress objects and answers "which route, and why":
//!
//! 1. [`validate`] re-checks each object with the API server's rules
//!    (V1-V7) and explains every rejection (V8).
//! 2. [`IngressSet`] keeps the objects, and the last valid version of each.
//! 3. Compiling gives an immutable [`RouteTable`]: exact, wildcard and
//!    host-less host levels, each with an Exact index and an element-wise
//!    Prefix trie, deterministic conflict resolution, and a [`BuildReport`].
//! 4. [`SharedTable`] publishes tables to readers that never lock.
//! 5. Per request, [`canonicalize_request`] (or [`canonicalize_host`] and
//!    [`canonicalize_path`]) produce the canonical form that is matched and
//!    forwarded, and the table returns an owned [`Outcome`].
//!
//! The rules cited (`M4`, `P3`, ...) are those of the project's semantics
//! contract, `shared/spec/ingress-semantics.md`. No async runtime, no HTTP
//! library and no Kubernetes client types are involved; adapters live in
//! `ingress-tower` and `ingress-kube`.
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

mod canon;
mod key;
mod object;
pub mod reference;
mod shared;
mod snapshot;
mod table;
mod valid;
mod validate;

pub use canon::{
    CanonicalPath, CanonicalRequest, DEFAULT_MAX_PATH_LENGTH, EncodedSlashes, HostHeader, HostSources, HttpVersion,
    PathOptions, PathProfile, Refusal, RequestError, RequestHead, RequestHost, RequestTarget, canonicalize_host,
    canonicalize_parts, canonicalize_path, canonicalize_request, parse_target, select_host,
};
pub use key::ObjectKey;
pub use object::{
    HttpIngressPath, HttpIngressRuleValue, Ingress, IngressBackend, IngressRule, IngressServiceBackend, IngressSpec,
    IngressTls, ServiceBackendPort, TypedLocalObjectReference,
};
pub use shared::{Published, SharedTable, TableGuard, Versioned};
pub use snapshot::{Applied, IngressSet};
pub use table::{
    BuildReport, Diagnostic, DiagnosticKind, ImplementationSpecific, Location, MatchKind, Matched, NotFound, Outcome,
    Route, RouteTable, RouteTarget, RuleRef, TableOptions, Unmatchable,
};
pub use valid::{
    Backend, HostRule, PathType, ResourceBackend, ServiceBackend, ServicePort, ValidIngress, ValidPath, ValidRule,
    ValidTls,
};
pub use validate::{FieldError, Invalid, Rejection, validate};

#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;
