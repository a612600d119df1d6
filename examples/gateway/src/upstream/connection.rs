//! One connection to an upstream: what it runs on ([`Transport`], made by
//! a [`Connect`]), and one exchange on it: the request head written, the
//! request body pushed while the response head is awaited.

use std::fmt;
use std::future::{Future, poll_fn};
use std::io;
use std::net::SocketAddr;
use std::pin::pin;
use std::task::{Context, Poll, Waker, ready};
use std::time::Duration;

use bytes::BytesMut;
use http::Method;
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _, DuplexStream};
use tokio::net::TcpStream;

use super::Error;
use super::h1::{self, ResponseHead};
use super::upload::Upload;

/// Free buffer space a read asks for at least. A read buffer grows by 8 KiB
/// at a time (its first size): several small answers share one allocation.
const READ_ROOM: usize = 1024;
const FIRST_BUFFER: usize = 8 * 1024;

/// What an upstream connection runs on: a TCP stream in the gateway, an
/// in-memory pipe in tests.
pub(crate) trait Transport: AsyncRead + AsyncWrite + Unpin + Send + 'static {
    /// Reads what can be read now into `buffer`, without waiting:
    /// `WouldBlock` when nothing can. The default polls one read with a
    /// waker that does nothing.
    fn try_read_now(&mut self, buffer: &mut BytesMut) -> io::Result<usize> {
        let mut cx = Context::from_waker(Waker::noop());
        match pin!(self.read_buf(buffer)).poll(&mut cx) {
            Poll::Ready(read) => read,
            Poll::Pending => Err(io::ErrorKind::WouldBlock.into()),
        }
    }
}

/// Tokio answers "would block" without a system call unless the socket has
/// signalled readiness since its last short read.
impl Transport for TcpStream {
    fn try_read_now(&mut self, buffer: &mut BytesMut) -> io::Result<usize> {
        self.try_read_buf(buffer)
    }
}

/// The in-memory pipe the pool's tests run on.
impl Transport for DuplexStream {}

/// Makes new connections to an upstream address.
pub(crate) trait Connect: Send + Sync + 'static {
    /// What the connections run on.
    type Io: Transport;

    /// A new connection to `address`; an error when none can be made
    /// (refused, unreachable, or not in time).
    fn connect(&self, address: SocketAddr) -> impl Future<Output = io::Result<Self::Io>> + Send;
}

/// TCP connections, each made within a timeout, with Nagle's algorithm off.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TcpConnect {
    /// Longest wait for a connection (`TimedOut` after).
    pub(crate) timeout: Duration,
}

impl Connect for TcpConnect {
    type Io = TcpStream;

    async fn connect(&self, address: SocketAddr) -> io::Result<TcpStream> {
        let stream = match tokio::time::timeout(self.timeout, TcpStream::connect(address)).await {
            Ok(connected) => connected?,
            Err(_) => return Err(io::ErrorKind::TimedOut.into()),
        };
        let _ = stream.set_nodelay(true);
        Ok(stream)
    }
}

/// An open connection to an upstream, and what has been read from it but
/// not yet used.
pub(crate) struct Connection<Io> {
    pub(super) io: Io,
    pub(super) buffer: BytesMut,
}

impl<Io> fmt::Debug for Connection<Io> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connection")
            .field("buffered", &self.buffer.len())
            .finish_non_exhaustive()
    }
}

/// A response head, and the state of the request body.
pub(super) struct Answer {
    pub(super) head: ResponseHead,
    /// The part of the request body still to go, if any.
    pub(super) upload: Option<Box<Upload>>,
    /// The upstream stopped taking the request body.
    pub(super) upload_failed: bool,
}

impl<Io: Transport> Connection<Io> {
    pub(super) fn new(io: Io) -> Self {
        Self {
            io,
            buffer: BytesMut::with_capacity(FIRST_BUFFER),
        }
    }

    /// Writes the request head, and reads up to the final response head
    /// while the body (if any) goes out: an upstream may answer before it
    /// has read the whole body. A failure before any byte of an answer is
    /// [`Error::is_retryable`].
    pub(super) async fn exchange(
        &mut self,
        head: &[u8],
        upload: Option<Box<Upload>>,
        method: &Method,
    ) -> Result<Answer, Error> {
        self.io.write_all(head).await.map_err(Error::closed)?;
        let mut upload = upload;
        let mut upload_failed = false;
        let mut reading = HeadRead::default();
        let head = poll_fn(|cx| {
            if let Some(sending) = upload.as_mut() {
                match sending.poll_send(&mut self.io, cx) {
                    Poll::Ready(Ok(())) => upload = None,
                    Poll::Ready(Err(error)) if error.is_request_body() => return Poll::Ready(Err(error)),
                    // The upstream stopped taking the body; it may still
                    // answer (413, say), so the head is still awaited.
                    Poll::Ready(Err(error)) => {
                        tracing::debug!(%error, "upstream stopped reading the request body");
                        upload = None;
                        upload_failed = true;
                    }
                    Poll::Pending => {}
                }
            }
            self.poll_head(cx, method, &mut reading)
        })
        .await?;
        Ok(Answer {
            head,
            upload,
            upload_failed,
        })
    }

    /// Reads until a final response head, skipping interim (1xx) ones.
    fn poll_head(
        &mut self,
        cx: &mut Context<'_>,
        method: &Method,
        reading: &mut HeadRead,
    ) -> Poll<Result<ResponseHead, Error>> {
        loop {
            if let Some(end) = h1::response_head_end(&self.buffer, reading.scanned) {
                reading.scanned = 0;
                let head = self.buffer.split_to(end).freeze();
                match h1::parse_response_head(&head, method) {
                    Ok(Some(head)) => return Poll::Ready(Ok(head)),
                    Ok(None) => continue,
                    Err(error) => return Poll::Ready(Err(error)),
                }
            }
            reading.scanned = self.buffer.len();
            if self.buffer.len() >= h1::MAX_HEAD {
                return Poll::Ready(Err(h1::HEAD_TOO_LARGE));
            }
            let failure = match ready!(self.poll_fill(cx)) {
                Ok(0) if !reading.answered => Error::closed(io::ErrorKind::UnexpectedEof.into()),
                Ok(0) => Error::io(io::ErrorKind::UnexpectedEof.into()),
                Ok(_) => {
                    reading.answered = true;
                    continue;
                }
                Err(error) if !reading.answered && is_reset(&error) => Error::closed(error),
                Err(error) => Error::io(error),
            };
            return Poll::Ready(Err(failure));
        }
    }

    /// Reads more into the buffer; `Ok(0)` at the end of the stream.
    pub(super) fn poll_fill(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        self.buffer.reserve(READ_ROOM);
        pin!(self.io.read_buf(&mut self.buffer)).poll(cx)
    }

    /// Whether an idle connection can carry a request: readable while idle
    /// means closed, reset or sending unasked, all unusable.
    pub(super) fn is_usable(&mut self) -> bool {
        matches!(
            self.io.try_read_now(&mut self.buffer),
            Err(error) if error.kind() == io::ErrorKind::WouldBlock
        )
    }

    /// The connection and any bytes read past the 101 head, for a tunnel.
    pub(crate) fn into_parts(self) -> (Io, BytesMut) {
        (self.io, self.buffer)
    }
}

/// Where the wait for a response head stands.
#[derive(Default)]
struct HeadRead {
    /// Buffered bytes already searched for the end of the head.
    scanned: usize,
    /// Some byte of an answer has come.
    answered: bool,
}

fn is_reset(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted | io::ErrorKind::BrokenPipe
    )
}

#[cfg(test)]
mod tests;
