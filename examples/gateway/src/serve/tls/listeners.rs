//! The traffic listeners, plain and TLS, accepted from as one: each
//! accepted connection says which it came from, and is opened (the TLS
//! handshake) in its own task.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;

use super::Stream;
use crate::serve::accept::{self, Backoff};
use crate::serve::metrics::{HandshakeFailure, TlsMetrics};
use crate::serve::redirect::Redirect;
use crate::timer::CoarseTimer;

/// The plain listener, and the TLS one when `--listen-tls` is given.
pub(crate) struct Listeners {
    plain: TcpListener,
    plain_backoff: Backoff,
    /// What plain connections redirect to HTTPS, if anything.
    redirect: Option<Arc<Redirect>>,
    tls: Option<TlsListener>,
}

/// The TLS listener and its one server configuration.
struct TlsListener {
    listener: TcpListener,
    backoff: Backoff,
    acceptor: TlsAcceptor,
}

impl Listeners {
    /// Only the plain listener.
    pub(crate) fn plain(listener: TcpListener) -> Self {
        Self {
            plain: listener,
            plain_backoff: Backoff::default(),
            redirect: None,
            tls: None,
        }
    }

    /// Also accepts TLS connections from `listener`, handshaking with
    /// `config`.
    pub(crate) fn with_tls(mut self, listener: TcpListener, config: Arc<rustls::ServerConfig>) -> Self {
        self.tls = Some(TlsListener {
            listener,
            backoff: Backoff::default(),
            acceptor: TlsAcceptor::from(config),
        });
        self
    }

    /// Plain connections answer requests for TLS hosts with `redirect`.
    pub(crate) fn with_redirect(mut self, redirect: Redirect) -> Self {
        self.redirect = Some(Arc::new(redirect));
        self
    }

    /// The next connection, from either listener (a failing `accept`
    /// backs off on its own listener only).
    pub(crate) async fn next(&mut self) -> Accepted {
        let Self {
            plain,
            plain_backoff,
            redirect,
            tls,
        } = self;
        let (stream, peer, side) = match tls {
            None => {
                let (stream, peer) = accept::next(plain, plain_backoff, "traffic").await;
                (stream, peer, Side::Plain(redirect.clone()))
            }
            Some(tls) => tokio::select! {
                (stream, peer) = accept::next(plain, plain_backoff, "traffic") => {
                    (stream, peer, Side::Plain(redirect.clone()))
                }
                (stream, peer) = accept::next(&mut tls.listener, &mut tls.backoff, "tls") => {
                    (stream, peer, Side::Tls(tls.acceptor.clone()))
                }
            },
        };
        let _ = stream.set_nodelay(true);
        Accepted { stream, peer, side }
    }
}

/// A connection just accepted, not yet read from.
pub(crate) struct Accepted {
    stream: TcpStream,
    /// The client's address.
    pub(crate) peer: SocketAddr,
    side: Side,
}

/// Which listener a connection came from.
enum Side {
    Plain(Option<Arc<Redirect>>),
    Tls(TlsAcceptor),
}

impl Accepted {
    /// Whether the connection is TLS: its requests are forwarded with
    /// `X-Forwarded-Proto: https`.
    pub(crate) fn is_tls(&self) -> bool {
        matches!(self.side, Side::Tls(_))
    }

    /// The HTTPS redirect its requests get, on a plain connection.
    pub(crate) fn redirect(&self) -> Option<Arc<Redirect>> {
        match &self.side {
            Side::Plain(redirect) => redirect.clone(),
            Side::Tls(_) => None,
        }
    }

    /// The connection ready for HTTP: a plain one as it is; a TLS one once
    /// its handshake finished, within `within`. `None` if the handshake
    /// failed or took too long (logged at debug level, by what failed;
    /// counted in `metrics` by reason).
    pub(crate) async fn open(self, timer: &CoarseTimer, within: Duration, metrics: &TlsMetrics) -> Option<Stream> {
        let acceptor = match self.side {
            Side::Plain(_) => return Some(Stream::Plain(self.stream)),
            Side::Tls(acceptor) => acceptor,
        };
        match timer.timeout(within, acceptor.accept(self.stream)).await {
            Ok(Ok(tls)) => {
                metrics.count_handshake();
                Some(Stream::Tls(Box::new(tls)))
            }
            Ok(Err(error)) => {
                tracing::debug!(peer = %self.peer, %error, "TLS handshake failed");
                metrics.count_failure(failure_of(&error));
                None
            }
            Err(_) => {
                tracing::debug!(peer = %self.peer, ?within, "TLS handshake not finished in time");
                metrics.count_failure(HandshakeFailure::Timeout);
                None
            }
        }
    }
}

/// What made a handshake fail: tokio-rustls hands rustls's own error over
/// inside the I/O error; any other I/O error is the connection's.
fn failure_of(error: &io::Error) -> HandshakeFailure {
    match error.get_ref().and_then(|inner| inner.downcast_ref::<rustls::Error>()) {
        Some(rustls::Error::AlertReceived(_)) => HandshakeFailure::ClientAlert,
        Some(_) => HandshakeFailure::Protocol,
        None => HandshakeFailure::Closed,
    }
}
