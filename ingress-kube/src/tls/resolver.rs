//! The SNI resolver rustls asks for each handshake's certificate.

use std::fmt;
use std::sync::Arc;

use arc_swap::ArcSwap;
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;

use super::{Certificates, CertifiedTable};

/// A rustls [`ResolvesServerCert`] over the live [`Certificates`]: one
/// `ServerConfig` serves for the life of the process, and a new table is
/// [`store`](CertificateResolver::store)d when Ingresses or Secrets change
/// (handshakes under way keep the certificate they got). Cloning gives
/// another handle to the same certificates.
///
/// SNI picks the certificate (T2): the name rustls read from the
/// ClientHello, already in lower case; no SNI gets the default.
///
/// ```
/// use std::sync::Arc;
/// use ingress_kube::tls::{CertificateResolver, self_signed_certificate};
///
/// let resolver = CertificateResolver::new(self_signed_certificate(&["ingress.local"]).unwrap());
/// let provider = Arc::new(rustls::crypto::ring::default_provider());
/// let config = rustls::ServerConfig::builder_with_provider(provider)
///     .with_safe_default_protocol_versions()
///     .unwrap()
///     .with_no_client_auth()
///     .with_cert_resolver(Arc::new(resolver.clone()));
/// assert!(config.alpn_protocols.is_empty());
/// // Later, from the feed: resolver.store_table(table);
/// ```
#[derive(Clone)]
pub struct CertificateResolver {
    current: Arc<ArcSwap<Certificates>>,
}

impl CertificateResolver {
    /// A resolver serving `default` to every name until a table is stored.
    pub fn new(default: Arc<CertifiedKey>) -> Self {
        Self::from_certificates(Certificates::only_default(default))
    }

    /// A resolver serving `certificates`.
    pub fn from_certificates(certificates: Certificates) -> Self {
        Self {
            current: Arc::new(ArcSwap::from_pointee(certificates)),
        }
    }

    /// The current certificates.
    pub fn load(&self) -> Arc<Certificates> {
        self.current.load_full()
    }

    /// Makes `certificates` current.
    pub fn store(&self, certificates: Certificates) {
        self.current.store(Arc::new(certificates));
    }

    /// Makes `table` current, keeping the default certificate. (One
    /// writer is assumed: a concurrent [`store`](Self::store) of another
    /// default may be undone.)
    pub fn store_table(&self, table: Arc<CertifiedTable>) {
        let next = self.current.load().with_table(table);
        self.current.store(Arc::new(next));
    }

    /// The certificate for the SNI name `sni`: what a handshake gets.
    pub fn resolve_name(&self, sni: Option<&str>) -> Arc<CertifiedKey> {
        Arc::clone(self.current.load().resolve(sni))
    }
}

impl ResolvesServerCert for CertificateResolver {
    fn resolve(&self, client_hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.resolve_name(client_hello.server_name()))
    }
}

/// Lists the TLS hosts only: never key material (T3).
impl fmt::Debug for CertificateResolver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CertificateResolver")
            .field("current", &self.current.load())
            .finish()
    }
}
