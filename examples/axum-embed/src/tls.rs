//! HTTPS (`--listen-tls`): the same axum app behind rustls, its
//! certificates picked by SNI from the Ingresses' `spec.tls` Secrets
//! (T1-T3 of ingress-core's `SEMANTICS.md`) through ingress-kube's
//! `CertificateResolver`, which the feed keeps current: a rotated Secret
//! serves from the next handshake on.
//!
//! [`TlsListener`] is an axum [`Listener`]: `axum::serve` takes it as it
//! takes a `TcpListener`, and serves HTTP/2 or HTTP/1.1 as ALPN chose.

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::serve::Listener;
use ingress_kube::tls::{CertificateResolver, DEFAULT_CERTIFICATE_NAME, self_signed_certificate};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

/// How long a client has to finish its handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// A resolver serving a self-signed certificate for `ingress.local` to
/// every name until the feed stores the Secrets' certificates (T2: it
/// stays the default for no SNI and for names no TLS host covers).
pub(crate) fn resolver() -> anyhow::Result<CertificateResolver> {
    Ok(CertificateResolver::new(self_signed_certificate(&[
        DEFAULT_CERTIFICATE_NAME,
    ])?))
}

/// A TCP listener whose connections come out TLS, handshake done. Each
/// handshake runs in a task of its own, so a slow client holds up no
/// other.
pub(crate) struct TlsListener {
    tcp: TcpListener,
    acceptor: TlsAcceptor,
    handshakes: JoinSet<Option<(TlsStream<TcpStream>, SocketAddr)>>,
}

impl TlsListener {
    /// Handshakes on `tcp` with the certificates `resolver` holds.
    pub(crate) fn new(tcp: TcpListener, resolver: &CertificateResolver) -> anyhow::Result<Self> {
        Ok(Self {
            tcp,
            acceptor: TlsAcceptor::from(Arc::new(resolver.server_config()?)),
            handshakes: JoinSet::new(),
        })
    }
}

impl Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            // Both are cancel-safe: what one side had under way stays.
            tokio::select! {
                accepted = self.tcp.accept() => match accepted {
                    Ok((tcp, peer)) => {
                        self.handshakes.spawn(handshake(self.acceptor.clone(), tcp, peer));
                    }
                    Err(error) => {
                        // Out of file descriptors, say: wait for some to close.
                        tracing::error!(%error, "cannot accept a TLS connection");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                },
                Some(done) = self.handshakes.join_next() => {
                    if let Ok(Some(opened)) = done {
                        return opened;
                    }
                }
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.tcp.local_addr()
    }
}

/// The address and the handshakes under way: no certificate, no key.
impl fmt::Debug for TlsListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsListener")
            .field("address", &self.tcp.local_addr().ok())
            .field("handshakes", &self.handshakes.len())
            .finish_non_exhaustive()
    }
}

/// The TLS handshake on `tcp`, within [`HANDSHAKE_TIMEOUT`]; `None` (logged
/// at debug level) if it failed or took too long.
async fn handshake(
    acceptor: TlsAcceptor,
    tcp: TcpStream,
    peer: SocketAddr,
) -> Option<(TlsStream<TcpStream>, SocketAddr)> {
    match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
        Ok(Ok(tls)) => Some((tls, peer)),
        Ok(Err(error)) => {
            tracing::debug!(%peer, %error, "TLS handshake failed");
            None
        }
        Err(_) => {
            tracing::debug!(%peer, "TLS handshake not finished in time");
            None
        }
    }
}
