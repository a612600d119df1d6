//! Ingress TLS (T1-T3 of the contract): which certificate each SNI name
//! gets, as plain data.
//!
//! 1. [`TlsClaims`] reads the `spec.tls[]` entries of the served Ingresses
//!    in M6 order: each TLS host (an exact name, or a one-label wildcard)
//!    goes to the first claim on it, naming a [`SecretRef`] in the claiming
//!    Ingress's namespace; later claims with another Secret are reported
//!    as [`TlsConflict`]s (T1).
//! 2. [`CertificateTable::build`] asks the caller for each winning claim's
//!    certificate (this crate does no cryptography and no I/O: loading a
//!    Secret and checking that it covers the host are the caller's). A
//!    claim that fails gives a [`CertificateFailure`] and leaves only its
//!    own host to the default certificate (T3).
//! 3. [`CertificateTable::resolve`] answers an SNI name with a
//!    [`Resolution`]: the exact host's certificate, else the wildcard's,
//!    else the default for a [`Fallback`] reason. SNI picks the
//!    certificate; the canonical `Host` still picks the route (T2), from
//!    the route table, which never looks at certificates.
//!
//! ```
//! use ingress_core::{HttpIngressPath, Ingress, IngressBackend, IngressSet};
//! use ingress_core::objects::IngressTls;
//! use ingress_core::tls::{CertificateTable, Fallback, Resolution, TlsClaims};
//!
//! let backend = || IngressBackend::service("web", 80);
//! let mut web = Ingress::new("shop", "web").with_rule(Some("shop.example"), [HttpIngressPath::prefix("/", backend())]);
//! web.spec.tls.push(IngressTls { hosts: vec!["shop.example".into()], secret_name: Some("shop-tls".into()) });
//! let mut set = IngressSet::new();
//! set.apply(&web);
//!
//! // A loader that finds no Secret: the host falls back to the default.
//! let claims = TlsClaims::from_ingresses(set.serving());
//! let (table, failures) = CertificateTable::<String>::build(&claims, |secret, _| Err(format!("Secret {secret} not found")));
//! assert_eq!(failures[0].error, "Secret shop/shop-tls not found");
//! assert_eq!(table.resolve(Some("shop.example")), Resolution::Default(Fallback::Unusable));
//! assert!(table.is_tls_host("shop.example"));
//! ```

mod claims;
mod resolution;
mod secret_ref;
mod table;

pub use claims::{TlsClaim, TlsClaims, TlsConflict};
pub use resolution::{Fallback, Resolution};
pub use secret_ref::SecretRef;
pub use table::{CertificateFailure, CertificateTable};
