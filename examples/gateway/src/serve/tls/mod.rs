//! HTTPS (`serve --listen-tls`): a second listener whose connections are
//! TLS, terminated with rustls on ring, then served exactly as plain ones
//! (HTTP/2 or HTTP/1.1, as ALPN chose), with `X-Forwarded-Proto: https`
//! upstream; and the certificates it serves (T1-T3 of ingress-core's
//! `SEMANTICS.md`).
//!
//! - One [`ServerConfig`] for the life of the process: TLS 1.2 and 1.3,
//!   ALPN `h2` and `http/1.1`, resumption by session ID and by ticket. Its
//!   certificate resolver is ingress-kube's `CertificateResolver`, into
//!   which the feed's certificate tables are stored ([`ListenerCertificates`]):
//!   a rotated Secret serves from the next handshake on, and open
//!   connections keep the certificate they began with.
//! - SNI picks the certificate (T2): an exact TLS host, else a one-label
//!   wildcard, else the default certificate, which also serves no SNI and
//!   the hosts whose Secret is missing or broken (T3). The default is the
//!   Secret of `--default-certificate NS/NAME` while it is usable, else a
//!   self-signed certificate for `ingress.local` made at start.
//! - A handshake must finish within the header-read timeout.
//! - Nothing here logs or prints key material: the types that hold it
//!   print host names only.
//!
//! ```
//! use std::sync::Arc;
//! use ingress_kube::tls::{CertificateResolver, self_signed_certificate};
//!
//! // What `serve --listen-tls` builds once at start: a resolver serving the
//! // self-signed default to every name until the feed's first table...
//! let default = self_signed_certificate(&["ingress.local"]).unwrap();
//! let resolver = CertificateResolver::new(Arc::clone(&default));
//! assert!(Arc::ptr_eq(&resolver.resolve_name(Some("shop.example")), &default));
//! assert!(Arc::ptr_eq(&resolver.resolve_name(None), &default));
//! // ...in the one server configuration.
//! let provider = Arc::new(rustls::crypto::ring::default_provider());
//! let mut config = rustls::ServerConfig::builder_with_provider(provider)
//!     .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
//!     .unwrap()
//!     .with_no_client_auth()
//!     .with_cert_resolver(Arc::new(resolver.clone()));
//! config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
//! ```

mod certificates;
mod listeners;
mod stream;

pub(crate) use certificates::ListenerCertificates;
pub(crate) use listeners::Listeners;
pub(crate) use stream::Stream;

use std::sync::Arc;

use anyhow::Context as _;
use ingress_core::tls::SecretRef;
use ingress_kube::feed::{Feed, Publish};
use ingress_kube::tls::CertificateResolver;
use rustls::ServerConfig;
use rustls::server::ServerSessionMemoryCache;
use tokio::net::TcpListener;

use super::redirect::Redirect;
use crate::cli::TlsArgs;

/// TLS 1.2 session IDs remembered for resumption (TLS 1.3 resumes by
/// ticket, which the server does not store).
const SESSION_CACHE: usize = 16 * 1024;

/// The certificates to serve, when `--listen-tls` asks for a TLS listener:
/// the self-signed default made now, until the feed's first tables.
pub(crate) fn certificates(args: &TlsArgs) -> anyhow::Result<Option<Arc<ListenerCertificates>>> {
    if args.listen_tls.is_none() {
        return Ok(None);
    }
    let certificates = ListenerCertificates::new().context("cannot make the default certificate")?;
    Ok(Some(Arc::new(certificates)))
}

/// `feed`, taking the default certificate from the Secret
/// `--default-certificate` names, if any.
pub(crate) fn with_default_certificate<P: Publish>(feed: Feed<P>, args: &TlsArgs) -> Feed<P> {
    match &args.default_certificate {
        Some((namespace, name)) => feed.with_default_certificate(SecretRef::new(namespace, name)),
        None => feed,
    }
}

/// The traffic listeners: `plain`, and with `certificates` (from
/// [`certificates`]) the TLS listener, bound (with `backlog`, as the plain
/// one) and announced here, and the
/// plain listener's redirect unless `--https-redirect=false`.
pub(crate) fn listen(
    plain: TcpListener,
    args: &TlsArgs,
    backlog: u32,
    certificates: Option<&Arc<ListenerCertificates>>,
) -> anyhow::Result<Listeners> {
    let listeners = Listeners::plain(plain);
    let (Some(address), Some(certificates)) = (args.listen_tls, certificates) else {
        return Ok(listeners);
    };
    let listener = super::limits::bind(address, backlog).with_context(|| format!("cannot listen on {address}"))?;
    super::announce("tls on", &listener)?;
    let port = listener.local_addr()?.port();
    let config = server_config(&certificates.resolver()).context("cannot set up TLS")?;
    let listeners = listeners.with_tls(listener, Arc::new(config));
    if !args.https_redirect {
        return Ok(listeners);
    }
    let port = args.https_redirect_port.unwrap_or(port);
    Ok(listeners.with_redirect(Redirect::new(Arc::clone(certificates), port)))
}

/// The one server configuration: the resolver's (ring, TLS 1.3 and 1.2,
/// ALPN `h2` then `http/1.1`), with a larger session cache and tickets.
pub(crate) fn server_config(resolver: &CertificateResolver) -> Result<ServerConfig, rustls::Error> {
    let mut config = resolver.server_config()?;
    config.session_storage = ServerSessionMemoryCache::new(SESSION_CACHE);
    config.ticketer = rustls::crypto::ring::Ticketer::new()?;
    Ok(config)
}

#[cfg(test)]
mod tests {
    use ingress_kube::tls::self_signed_certificate;

    use super::*;

    #[test]
    fn the_config_offers_h2_then_http1_and_resumes_sessions() {
        let resolver = CertificateResolver::new(self_signed_certificate(&["ingress.local"]).unwrap());
        let config = server_config(&resolver).unwrap();
        assert_eq!(config.alpn_protocols, [b"h2".to_vec(), b"http/1.1".to_vec()]);
        assert!(config.ticketer.enabled());
        assert!(config.session_storage.can_cache());
        assert_eq!(config.max_early_data_size, 0, "no 0-RTT: replayable requests");
    }
}
