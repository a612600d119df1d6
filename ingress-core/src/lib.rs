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
//! 6. [`canonical`]: per request, the host and path are put in the
//!    canonical form that is matched and forwarded
//!    ([`RouteTable::route_request`] does it for a whole [`RequestHead`]).
//!
//! The root re-exports the names a first program needs; everything else is
//! named through its module. `reference`, a naive matcher that the table is
//! tested against, is compiled with the `reference` cargo feature only.
//!
//! The rules cited (`M4`, `P3`, ...) are those of the project's semantics
//! contract, `ingress-core/SEMANTICS.md`. No async runtime, no HTTP library
//! and no Kubernetes client types are involved; adapters live in
//! `ingress-tower` and `ingress-kube`. No type of a dependency appears in
//! the public API: the lock-free swap (arc-swap) and the hash tables
//! (hashbrown, foldhash) stay behind this crate's own types.
//!
//! # Choices and readings
//!
//! Where the upstream spec is silent the contract makes a **\[choice\]**;
//! where the contract itself leaves room, this crate makes a reading. Both,
//! in the contract's words where it has them:
//!
//! - **\[choice\] V8.** An object that fails validation is rejected whole,
//!   as the API server would reject it; where a previous valid version of
//!   the same object was being served, that version keeps being served
//!   ([`IngressSet`]), and the diagnostic says so.
//! - **\[choice\] P6.** Encoded `/` and `\` (`%2F`, `%5C`) get 400 by
//!   default, because backends disagree about them;
//!   [`EncodedSlashes::Keep`](canonical::EncodedSlashes::Keep) keeps them
//!   as opaque characters instead.
//! - **\[choice\] M2.** No fallthrough: once a host level is selected, a
//!   request that matches none of its paths goes to that level's default
//!   backend or 404. This is what nginx and Envoy based controllers do; the
//!   Ingress API evaluates the host first. [`TableOptions::fallthrough`]
//!   enables fallthrough; with it on, a host whose only rule has no `http`
//!   also falls through to the path rules of less specific levels before
//!   its default backend serves.
//! - **\[choice\] M6.** Between equal rules, the rule of the older Ingress
//!   wins (`metadata.creationTimestamp`), then the smaller `namespace/name`
//!   (compared as that string), then the earlier position in the object. An
//!   object without a creation time (as read from a file) counts as the
//!   newest.
//! - **\[choice\] M8.** `ImplementationSpecific` matches like Prefix by
//!   default (an empty path means `/`);
//!   [`ImplementationSpecific::Exact`](table::ImplementationSpecific::Exact)
//!   makes it Exact. The regular-expression option is not implemented yet.
//!   Once M8 has been applied, an `ImplementationSpecific` rule and a rule
//!   of the type it became are equal rules under M5 when their paths are.
//! - **Reading, P3.** Only the two hex digits of an escape are upper-cased:
//!   `%252e` stays `%252e` (the contract writes `%252E`, but the `2e` after
//!   `%25` is plain, case-sensitive text; what matters, and is tested, is
//!   that it is never decoded twice).
//! - **Reading, P2.** Every percent-encoded control byte (`%00` to `%1F`,
//!   `%7F`) is refused like `%00`. For requests given as raw request lines
//!   ([`canonicalize_request`](canonical::canonicalize_request())) a raw
//!   `#` anywhere in the target, and control bytes or spaces in the query,
//!   get 400 too; HTTP libraries such as
//!   hyper refuse the latter themselves and cut a fragment off before any
//!   router sees it.
//! - **Reading, H3.** A host made only of digits and dots that is not a
//!   dotted-quad address (`1.2.3`, `123`) gets 400 as a malformed IP
//!   literal, since clients read such forms as addresses; other bytes than
//!   letters, digits, `-`, `_` and `.` get 400 too. An empty `Host` means no
//!   host. `OPTIONS *` is never routed (404).
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
// The semantics contract as documentation (`pub mod semantics`) goes here.
pub mod set;
pub mod shared;
pub mod table;
pub mod validation;

// What a quickstart needs; everything else is named through its module.
pub use canonical::{HostHeader, HttpVersion, RequestHead};
pub use objects::{HttpIngressPath, Ingress, IngressBackend};
pub use set::IngressSet;
pub use shared::SharedTable;
pub use table::{Outcome, Route, RouteTable, TableOptions};
pub use validation::Backend;

#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;
