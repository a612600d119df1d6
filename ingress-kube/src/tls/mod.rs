//! Certificates from `kubernetes.io/tls` Secrets, and the SNI resolver a
//! rustls server uses (T1-T3 of the semantics contract; feature `tls`, on
//! by default; ring is the only crypto provider).
//!
//! source -> Secrets -> [`TlsSecret`] (parsed once, key matched) ->
//! [`build_certificates`] (claims of
//! [`TlsClaims`](ingress_core::tls::TlsClaims), names and dates checked
//! per host) -> [`CertifiedTable`] -> [`CertificateResolver::store_table`]
//! -> handshakes.
//!
//! - A claim whose Secret is missing or broken, or whose certificate is
//!   expired, not yet valid or does not cover its host, gives a
//!   [`TlsFinding`], and its host gets the default certificate; every other
//!   host keeps its own (T3).
//! - The default certificate serves no SNI, unknown names and those
//!   hosts: a given one ([`TlsSecret::from_secret`] of the Secret named by
//!   a flag), else [`self_signed_certificate`] made at start.
//! - Validity dates are checked when the table is built, and the feed
//!   builds it again when a certificate it checked expires or becomes
//!   valid ([`Feed::rebuild_due_at`](crate::feed::Feed::rebuild_due_at)),
//!   so a host moves to the default certificate, or back to its own, then.
//! - No type here prints key material in `Debug` or `Display` output, and
//!   no error quotes Secret data.
//!
//! The feed builds the table from manifest Secrets and publishes it in
//! [`Update::certificates`](crate::feed::Update::certificates).
//!
//! ```
//! use std::sync::Arc;
//! use std::time::SystemTime;
//! use ingress_core::tls::TlsClaims;
//! use ingress_kube::tls::{CertificateResolver, build_certificates, self_signed_certificate};
//!
//! let default = self_signed_certificate(&["ingress.local"]).unwrap();
//! let resolver = CertificateResolver::new(Arc::clone(&default));
//! let (table, findings) = build_certificates(&TlsClaims::default(), |_| None, SystemTime::now());
//! assert!(findings.is_empty());
//! resolver.store_table(Arc::new(table));
//! assert!(Arc::ptr_eq(&resolver.resolve_name(Some("any.example")), &default));
//! ```

mod build;
mod certificates;
mod default;
mod error;
mod finding;
mod resolver;
mod secret;

pub use build::{CertifiedTable, build_certificates};
pub(crate) use build::{ParsedSecrets, build_certificates_cached};
pub use certificates::Certificates;
pub use default::{DEFAULT_CERTIFICATE_NAME, SelfSignedError, self_signed_certificate};
pub use error::{CertificateError, TLS_SECRET_TYPE};
pub use finding::TlsFinding;
pub use resolver::CertificateResolver;
pub use secret::{TLS_CERT_KEY, TLS_PRIVATE_KEY_KEY, TlsSecret};
