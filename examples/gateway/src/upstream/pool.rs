//! Idle connections per upstream endpoint, kept alive and reused.
//!
//! Each [`Endpoint`] keeps its own idle connections, the most recently used
//! taken first (under light load a few stay warm and the rest expire). A
//! connection goes back once its response body has been read to the end
//! (see [`super::body`]). Before reuse, a connection is checked for a close
//! the upstream sent while it was idle. When a reused connection still
//! fails before any byte of an answer, a request without a body and with an
//! idempotent method is sent once more, on a new connection: the upstream's
//! keep-alive timeout races every reuse. When no connection can be made at
//! all, the request comes back untouched ([`SendError::NotConnected`]), so
//! that the caller can send it to another endpoint.
//!
//! The [`Pool`] is what endpoints share: how to connect, and the idle
//! clock that [`Pool::expire_idle`] ticks. Nothing is process-global, so
//! each test builds its own pool over in-memory pipes.

use std::collections::VecDeque;
use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use http::{HeaderValue, Response};
use tokio::time::Instant;

use super::Error;
use super::body::UpstreamBody;
use super::connection::{Answer, Connect, Connection};
use super::h1::{self, ResponseFraming};
use super::upload::Outbound;

/// How often [`Pool::expire_idle`] should run: an idle connection is closed
/// after 3 to 4 s, before common upstream keep-alive timeouts (5 s for
/// Node.js and uvicorn) can close it under a request that is being sent.
pub(crate) const EXPIRY_INTERVAL: Duration = Duration::from_secs(1);
/// Expiry runs an idle connection survives.
const EXPIRY_RUNS: u64 = 4;
/// Idle connections kept per endpoint; more are closed as they come back.
const MAX_IDLE: usize = 512;

/// What every endpoint shares: the way to connect, and the idle clock.
pub(crate) struct Pool<C> {
    connect: C,
    /// A clock that ticks once per expiry run: returning a connection
    /// reads it instead of the system clock.
    clock: AtomicU64,
}

impl<C: Connect> Pool<C> {
    /// A pool whose endpoints connect with `connect`.
    pub(crate) fn new(connect: C) -> Arc<Self> {
        Arc::new(Self {
            connect,
            clock: AtomicU64::new(0),
        })
    }

    /// An endpoint of this pool, with no idle connection yet.
    pub(crate) fn endpoint(self: &Arc<Self>, address: SocketAddr) -> Endpoint<C> {
        // A socket address is always a valid header value; the fallback is
        // never used.
        let host = HeaderValue::from_str(&address.to_string()).unwrap_or(HeaderValue::from_static("upstream.invalid"));
        Endpoint {
            address,
            host,
            idle: Mutex::new(VecDeque::new()),
            pool: Arc::clone(self),
        }
    }

    /// One expiry run over `endpoints`; called every [`EXPIRY_INTERVAL`],
    /// it closes connections idle for between three and four intervals,
    /// and those the upstream closed.
    pub(crate) fn expire_idle<'a>(&self, endpoints: impl IntoIterator<Item = &'a Arc<Endpoint<C>>>) {
        let now = self.clock.fetch_add(1, Ordering::Relaxed) + 1;
        for endpoint in endpoints {
            endpoint.expire(now);
        }
    }
}

impl<C> fmt::Debug for Pool<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pool")
            .field("clock", &self.clock.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

/// Why [`Endpoint::send`] brought no answer.
#[derive(Debug)]
pub(crate) enum SendError {
    /// No connection could be made (refused, unreachable, not in time):
    /// nothing was sent, and the request is handed back untouched.
    NotConnected {
        /// Why ([`Error::is_connect`]).
        error: Error,
        /// The request, to send elsewhere.
        outbound: Outbound,
    },
    /// The exchange failed once connected; what was sent is gone.
    Failed(Error),
}

impl SendError {
    /// The failure, whatever became of the request.
    #[cfg(test)]
    pub(crate) fn into_error(self) -> Error {
        match self {
            Self::NotConnected { error, .. } | Self::Failed(error) => error,
        }
    }
}

/// One ready address of a backend, and its idle connections.
pub(crate) struct Endpoint<C: Connect> {
    address: SocketAddr,
    /// The address as a Host header, for a request that came without one.
    host: HeaderValue,
    idle: Mutex<VecDeque<Idle<C::Io>>>,
    pool: Arc<Pool<C>>,
}

struct Idle<Io> {
    connection: Connection<Io>,
    /// The pool's clock when it came back.
    since: u64,
}

impl<C: Connect> Endpoint<C> {
    pub(crate) fn address(&self) -> SocketAddr {
        self.address
    }

    pub(crate) fn host(&self) -> &HeaderValue {
        &self.host
    }

    /// Sends `outbound` over an idle connection, or a new one, and reads
    /// the response head. A new connection must be made within the
    /// connector's own timeout, and by `connect_by` if given; when none can
    /// be made, nothing was sent and the request comes back whole, its body
    /// unread, to go to another endpoint ([`SendError::NotConnected`]).
    pub(crate) async fn send(
        self: &Arc<Self>,
        outbound: Outbound,
        connect_by: Option<Instant>,
    ) -> Result<Response<UpstreamBody<C>>, SendError> {
        let Outbound {
            head,
            mut upload,
            method,
        } = outbound;
        let again = upload.is_none() && h1::is_idempotent(&method);
        if let Some(mut connection) = self.take_idle() {
            match connection.exchange(&head, upload.take(), &method).await {
                Ok(answer) => return Ok(self.attach(connection, answer)),
                // Once, on a new connection: the upstream may have seen the
                // request and failed on it (RFC 9112 section 9.3.1).
                Err(error) if again && error.is_retryable() => {
                    tracing::debug!(endpoint = %self.address, %error, "reused connection closed; sending again");
                }
                Err(error) => return Err(SendError::Failed(error)),
            }
        }
        // Boxed: connecting is the rare path, and its future is large; kept
        // inline it would make every request's future (moved several times)
        // as large.
        let connecting = self.pool.connect.connect(self.address);
        let connected = match connect_by {
            Some(by) => Box::pin(tokio::time::timeout_at(by, connecting))
                .await
                .unwrap_or_else(|_| Err(io::ErrorKind::TimedOut.into())),
            None => Box::pin(connecting).await,
        };
        let error = match connected {
            Ok(io) => {
                let mut connection = Connection::new(io);
                let answer = connection
                    .exchange(&head, upload, &method)
                    .await
                    .map_err(SendError::Failed)?;
                return Ok(self.attach(connection, answer));
            }
            Err(error) => error,
        };
        // Either no idle connection was tried, or the one tried could carry
        // only a request without a body: the request is whole either way.
        Err(SendError::NotConnected {
            error: Error::connect(error),
            outbound: Outbound { head, upload, method },
        })
    }

    /// The most recently returned connection still open. Those the
    /// upstream closed (or that have bytes nobody asked for) are dropped on
    /// the way.
    fn take_idle(&self) -> Option<Connection<C::Io>> {
        loop {
            // Checked (and closed, if need be) outside the lock.
            let mut connection = self.lock().pop_back()?.connection;
            if connection.is_usable() {
                return Some(connection);
            }
        }
    }

    pub(super) fn give_back(&self, connection: Connection<C::Io>) {
        // Bytes nobody asked for: the upstream is out of step.
        if !connection.buffer.is_empty() {
            return;
        }
        let since = self.pool.clock.load(Ordering::Relaxed);
        let mut idle = self.lock();
        if idle.len() < MAX_IDLE {
            idle.push_back(Idle { connection, since });
        }
    }

    /// Closes connections that have been idle for [`EXPIRY_RUNS`] runs of
    /// [`Pool::expire_idle`], and those the upstream closed.
    fn expire(&self, now: u64) {
        let mut gone = Vec::new();
        {
            let mut idle = self.lock();
            let mut kept = VecDeque::with_capacity(idle.len());
            for mut entry in idle.drain(..) {
                if now.saturating_sub(entry.since) < EXPIRY_RUNS && entry.connection.is_usable() {
                    kept.push_back(entry);
                } else {
                    gone.push(entry);
                }
            }
            *idle = kept;
        }
        // Closed after the lock is released.
        drop(gone);
    }

    /// Idle connections kept now.
    #[cfg(test)]
    pub(super) fn idle_count(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> MutexGuard<'_, VecDeque<Idle<C::Io>>> {
        // The queue is consistent whatever panicked while holding it.
        self.idle.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn attach(self: &Arc<Self>, connection: Connection<C::Io>, answer: Answer) -> Response<UpstreamBody<C>> {
        let Answer {
            head,
            upload,
            upload_failed,
        } = answer;
        let (response, framing, keep_alive) = head.into_parts();
        let home = (keep_alive && !upload_failed).then(|| Arc::clone(self));
        let mut body = UpstreamBody::new(connection, framing, home, upload);
        // An empty body (HEAD, 204, 304, `Content-Length: 0`) may never be
        // polled: the connection is free already.
        if body.framing() == &ResponseFraming::Empty {
            body.finish();
        }
        response.map(|()| body)
    }
}

impl<C: Connect> fmt::Debug for Endpoint<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Endpoint({})", self.address)
    }
}

#[cfg(test)]
mod not_connected;
#[cfg(test)]
mod tests;
