//! The certificates the TLS listener serves, kept current from the feed.

use std::fmt;
use std::sync::Arc;

use arc_swap::ArcSwap;
use ingress_kube::feed::Update;
use ingress_kube::tls::{
    CertificateResolver, Certificates, CertifiedTable, DEFAULT_CERTIFICATE_NAME, SelfSignedError,
    self_signed_certificate,
};
use rustls::sign::CertifiedKey;

/// The handshakes' resolver, the self-signed default it started with, and
/// the TLS hosts for the plain listener's redirect. The feed's publisher
/// stores each new certificate table here ([`publish`](Self::publish)).
pub(crate) struct ListenerCertificates {
    resolver: CertificateResolver,
    /// Made at start; serves while no `--default-certificate` Secret is
    /// usable.
    self_signed: Arc<CertifiedKey>,
    /// The table last published: which hosts are TLS hosts (T1).
    hosts: ArcSwap<CertifiedTable>,
}

impl ListenerCertificates {
    /// Only the default certificate, self-signed for `ingress.local`,
    /// until the feed publishes a table.
    pub(crate) fn new() -> Result<Self, SelfSignedError> {
        let self_signed = self_signed_certificate(&[DEFAULT_CERTIFICATE_NAME])?;
        Ok(Self {
            resolver: CertificateResolver::new(Arc::clone(&self_signed)),
            self_signed,
            hosts: ArcSwap::default(),
        })
    }

    /// The resolver the listener's `ServerConfig` asks.
    pub(crate) fn resolver(&self) -> CertificateResolver {
        self.resolver.clone()
    }

    /// Takes a rebuild's certificates, when they changed: the next
    /// handshake uses them (T3: a Secret that cannot serve leaves only its
    /// own hosts to the default). Findings name Ingresses and Secrets, never
    /// their data.
    pub(crate) fn publish(&self, update: &Update<'_>) {
        if !update.certificates_changed {
            return;
        }
        for finding in update.tls_findings {
            tracing::warn!(%finding, "certificate problem");
        }
        let default = update.default_certificate.unwrap_or(&self.self_signed);
        self.resolver
            .store(Certificates::new(Arc::clone(update.certificates), Arc::clone(default)));
        self.hosts.store(Arc::clone(update.certificates));
        tracing::info!(
            tls_hosts = update.certificates.len(),
            default_certificate = if update.default_certificate.is_some() {
                "secret"
            } else {
                "self-signed"
            },
            "certificates loaded"
        );
    }

    /// Whether `host` (canonical: lower case, no port) is claimed by some
    /// served Ingress's `spec.tls`, with a usable certificate or not. With
    /// no TLS host at all, one load and one length test.
    pub(crate) fn is_tls_host(&self, host: &str) -> bool {
        let hosts = self.hosts.load();
        !hosts.is_empty() && hosts.is_tls_host(host)
    }
}

/// Names the TLS hosts only: never key material (T3).
impl fmt::Debug for ListenerCertificates {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ListenerCertificates")
            .field("resolver", &self.resolver)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn before_the_first_table_no_host_is_a_tls_host_and_debug_shows_no_key() {
        let certificates = ListenerCertificates::new().unwrap();
        assert!(!certificates.is_tls_host("shop.example"));
        let debug = format!("{certificates:?}");
        assert!(debug.starts_with("ListenerCertificates"), "{debug}");
        // The self-signed default is in there, but neither its key nor its
        // certificate is printed.
        assert!(!debug.to_ascii_lowercase().contains("key"), "{debug}");
        assert!(debug.len() < 200, "{debug}");
    }
}
