//! Limits against clients that hold connections open or send without end:
//! how large a request head may be, how many client connections are open
//! at once, how long the kernel's queue of connections not yet accepted
//! is, and how many cancelled HTTP/2 streams a connection may have.
//!
//! At `max_connections` open connections the gateway stops calling
//! `accept` until one closes: the connections that arrive meanwhile wait in
//! the kernel's listen queue (`listen_backlog` long, capped by the kernel at
//! `net.core.somaxconn`), and beyond that the kernel drops their SYNs, which
//! clients retry. Nothing is accepted only to be closed, so a client never
//! sees a reset for a connection the gateway could have served a moment
//! later.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use prometheus_client::metrics::gauge::Gauge;
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpSocket};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, TryAcquireError};

/// The smallest request-head limit: hyper's HTTP/1 server reads heads into
/// a buffer that is never smaller.
pub(crate) const MIN_REQUEST_HEAD: usize = 8192;

/// The limits of [`crate::cli::ServeArgs`], as the server uses them.
#[derive(Debug, Clone)]
pub(crate) struct Limits {
    /// The largest request head (request line and header fields; for
    /// HTTP/2, the header list as RFC 9113 counts it), at least
    /// [`MIN_REQUEST_HEAD`].
    pub(crate) request_head: usize,
    /// Client connections open at once.
    pub(crate) connections: usize,
    /// Cancelled HTTP/2 streams a connection may have in
    /// `h2_reset_window` before it is sent GOAWAY.
    pub(crate) h2_resets: u32,
    /// See `h2_resets`.
    pub(crate) h2_reset_window: Duration,
}

impl From<&crate::cli::ServeArgs> for Limits {
    fn from(args: &crate::cli::ServeArgs) -> Self {
        Self {
            request_head: usize::try_from(args.max_request_head_bytes)
                .unwrap_or(usize::MAX)
                .max(MIN_REQUEST_HEAD),
            connections: usize::try_from(args.max_connections).unwrap_or(usize::MAX),
            h2_resets: args.h2_max_resets,
            h2_reset_window: Duration::from_millis(args.h2_reset_window_ms),
        }
    }
}

/// Opens a TCP listener on `address` with a listen queue of `backlog`
/// connections (the kernel caps it at `net.core.somaxconn`).
pub(crate) fn bind(address: SocketAddr, backlog: u32) -> io::Result<TcpListener> {
    let socket = match address {
        SocketAddr::V4(_) => TcpSocket::new_v4()?,
        SocketAddr::V6(_) => TcpSocket::new_v6()?,
    };
    // As std and tokio's `TcpListener::bind` do on Unix: a restarted
    // gateway can listen again while old connections are in TIME_WAIT.
    #[cfg(unix)]
    socket.set_reuseaddr(true)?;
    socket.bind(address)?;
    socket.listen(backlog)
}

/// Answers 414 to an HTTP/1 client whose first request line did not end
/// within `limit` bytes, and closes the connection. What the client sends
/// meanwhile is read and dropped for a moment (as nginx's lingering close
/// does): closing with unread bytes would reset the connection, and the
/// client could lose the answer.
pub(crate) async fn refuse_long_line<S: AsyncRead + AsyncWrite + Unpin>(mut io: S, limit: usize) {
    let body = format!("414 URI Too Long: the request line is over the {limit} bytes of a request head\n");
    let head = format!(
        "HTTP/1.1 414 URI Too Long\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    let written = async {
        io.write_all(head.as_bytes()).await?;
        io.write_all(body.as_bytes()).await?;
        io.shutdown().await
    };
    if tokio::time::timeout(LINGER, written).await.is_err() {
        return;
    }
    let mut sink = [0u8; 4096];
    let _ = tokio::time::timeout(LINGER, async {
        let mut left = LINGER_BYTES;
        while left > 0 {
            match io.read(&mut sink).await {
                Ok(0) | Err(_) => return,
                Ok(read) => left = left.saturating_sub(read),
            }
        }
    })
    .await;
}

/// How long a refused client's bytes are read and dropped, at most.
const LINGER: Duration = Duration::from_secs(2);
/// How many of them, at most.
const LINGER_BYTES: usize = 1 << 20;

/// The slots of open client connections: one is taken before each
/// `accept`, and given back when the connection's task ends.
#[derive(Debug, Clone)]
pub(crate) struct ConnectionSlots {
    slots: Arc<Semaphore>,
    /// The connections open, as a metric.
    open: Gauge,
}

/// A client connection's slot, free again once dropped.
#[derive(Debug)]
pub(crate) struct Slot {
    #[allow(dead_code)]
    permit: OwnedSemaphorePermit,
    open: Gauge,
}

impl Slot {
    fn new(permit: OwnedSemaphorePermit, open: &Gauge) -> Self {
        open.inc();
        Self {
            permit,
            open: open.clone(),
        }
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.open.dec();
    }
}

/// How a slot was taken.
#[derive(Debug)]
pub(crate) enum Taken {
    /// At once.
    Free(Slot),
    /// After waiting for another connection to close (the limit was
    /// reached).
    Waited(Slot),
}

impl ConnectionSlots {
    /// Slots for `limit` connections (at least one), counted in `open`.
    pub(crate) fn new(limit: usize, open: Gauge) -> Self {
        Self {
            slots: Arc::new(Semaphore::new(limit.clamp(1, Semaphore::MAX_PERMITS))),
            open,
        }
    }

    /// A free slot, waiting for one while all are taken.
    pub(crate) async fn take(&self) -> Taken {
        match Arc::clone(&self.slots).try_acquire_owned() {
            Ok(permit) => Taken::Free(Slot::new(permit, &self.open)),
            Err(TryAcquireError::NoPermits | TryAcquireError::Closed) => {
                // The semaphore is never closed: this waits for a slot.
                match Arc::clone(&self.slots).acquire_owned().await {
                    Ok(permit) => Taken::Waited(Slot::new(permit, &self.open)),
                    Err(_) => std::future::pending().await,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_connection_over_the_limit_waits_for_a_slot_to_free() {
        let gauge = Gauge::default();
        let slots = ConnectionSlots::new(2, gauge.clone());
        let Taken::Free(first) = slots.take().await else {
            panic!("the first slot is free")
        };
        let Taken::Free(_second) = slots.take().await else {
            panic!("the second slot is free")
        };
        assert_eq!(gauge.get(), 2);
        let third = tokio::spawn({
            let slots = slots.clone();
            async move { slots.take().await }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!third.is_finished(), "a third connection waits at the limit");
        drop(first);
        let taken = tokio::time::timeout(Duration::from_secs(5), third)
            .await
            .unwrap()
            .unwrap();
        assert!(matches!(taken, Taken::Waited(_)), "{taken:?}");
        assert_eq!(gauge.get(), 2);
        drop(taken);
        assert_eq!(gauge.get(), 1);
    }

    #[tokio::test]
    async fn a_listener_bound_with_a_backlog_accepts() {
        let listener = bind(SocketAddr::from(([127, 0, 0, 1], 0)), 1024).unwrap();
        let address = listener.local_addr().unwrap();
        let client = tokio::net::TcpStream::connect(address);
        let (accepted, connected) = tokio::join!(listener.accept(), client);
        assert_eq!(accepted.unwrap().1, connected.unwrap().local_addr().unwrap());
    }
}
