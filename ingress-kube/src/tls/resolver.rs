//! The SNI resolver rustls asks for each handshake's certificate.

use std::fmt;
use std::sync::Arc;

use arc_swap::ArcSwap;
use rustls::ServerConfig;
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
/// [`server_config`](CertificateResolver::server_config) gives the
/// configuration an Ingress controller's listener wants; a program with
/// other needs builds its own around a clone of the resolver.
///
/// ```
/// use std::sync::Arc;
/// use ingress_kube::tls::{CertificateResolver, self_signed_certificate};
///
/// let resolver = CertificateResolver::new(self_signed_certificate(&["ingress.local"]).unwrap());
/// let config = resolver.server_config().unwrap();
/// assert_eq!(config.alpn_protocols, [b"h2".to_vec(), b"http/1.1".to_vec()]);
/// assert_eq!(config.max_early_data_size, 0);
///
/// // Or your own configuration:
/// let provider = Arc::new(rustls::crypto::ring::default_provider());
/// let mine = rustls::ServerConfig::builder_with_provider(provider)
///     .with_safe_default_protocol_versions()
///     .unwrap()
///     .with_no_client_auth()
///     .with_cert_resolver(Arc::new(resolver.clone()));
/// assert!(mine.alpn_protocols.is_empty());
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

    /// A rustls server configuration whose certificates come from this
    /// resolver: ring, TLS 1.3 and 1.2, no client certificates, ALPN `h2`
    /// then `http/1.1`, no early data (0-RTT requests can be replayed).
    /// Session resumption is rustls's default (a small in-memory cache, no
    /// tickets); set `session_storage` and `ticketer` for more.
    pub fn server_config(&self) -> Result<ServerConfig, rustls::Error> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = ServerConfig::builder_with_provider(provider)
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?
            .with_no_client_auth()
            .with_cert_resolver(Arc::new(self.clone()));
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(config)
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
