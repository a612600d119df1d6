//! Connections to upstream endpoints: HTTP/1.1, kept alive and reused.
//!
//! The exchange runs in the task of the request that needs it: the request
//! head (and body) are written and the response read by the request's own
//! future, and the response body by the downstream connection as it sends
//! the body on. No task per upstream connection, no channels between tasks.
//!
//! Each endpoint keeps its own idle connections, the most recently used
//! taken first (under light load a few stay warm and the rest expire). A
//! connection goes back once its response body has been read to the end; one
//! whose answer was cut short, that switched protocols, that the upstream
//! asked to close or whose request body did not go out whole is never
//! reused. A request body keeps going out after the response head has come
//! (an upstream may answer first and read on, as echoing ones do). Before
//! reuse, a connection is checked for a close the upstream sent while it was
//! idle (no system call unless the socket has become readable). When a
//! reused connection still fails before any byte of an answer, a request
//! without a body and with an idempotent method is sent once more, on a new
//! connection: the upstream's keep-alive timeout races every reuse.

use std::collections::VecDeque;
use std::fmt;
use std::future::{Future as _, poll_fn};
use std::io;
use std::net::SocketAddr;
use std::pin::{Pin, pin};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use bytes::{Buf as _, Bytes, BytesMut};
use http::request::Parts;
use http::{HeaderValue, Method, Response};
use hyper::body::{Body, Frame, Incoming, SizeHint};
use tokio::io::{AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _};
use tokio::net::TcpStream;

use super::h1::{self, Decoded, Forwarded, Framing, Head, Outgoing, ProtocolError};

/// A request ready for an upstream: its head encoded, its body (if any)
/// ready to go. Made before any await, so that the request itself never
/// sits in (and is never moved with) the future that sends it.
pub(crate) struct Outbound {
    head: Vec<u8>,
    upload: Option<Box<Upload>>,
    method: Method,
}

impl Outbound {
    /// A request (Host set, hop-by-hop headers gone, the canonical target
    /// in the URI) as it goes to an upstream.
    pub(crate) fn new(parts: &Parts, body: Incoming, forwarded: &Forwarded<'_>) -> Self {
        let outgoing = if body.is_end_stream() {
            Outgoing::Empty
        } else {
            body.size_hint().exact().map_or(Outgoing::Chunked, Outgoing::Length)
        };
        Self {
            head: h1::encode_request(parts, outgoing, forwarded),
            upload: (outgoing != Outgoing::Empty).then(|| Box::new(Upload::new(body, outgoing == Outgoing::Chunked))),
            method: parts.method.clone(),
        }
    }
}

impl fmt::Debug for Outbound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Outbound")
            .field("method", &self.method)
            .field("head_bytes", &self.head.len())
            .field("upload", &self.upload)
            .finish()
    }
}

/// How often [`expire_idle`] should run: an idle connection is closed after
/// 3 to 4 s, before common upstream keep-alive timeouts (5 s for Node.js and
/// uvicorn) can close it under a request that is being sent.
pub(crate) const EXPIRY_INTERVAL: Duration = Duration::from_secs(1);
/// Expiry runs an idle connection survives.
const EXPIRY_RUNS: u64 = 4;

/// A clock that ticks once per expiry run: returning a connection reads it
/// instead of the system clock.
static EPOCH: AtomicU64 = AtomicU64::new(0);
/// Idle connections kept per endpoint; more are closed as they come back.
const MAX_IDLE: usize = 512;
/// Free buffer space a read asks for at least. A read buffer grows by 8 KiB
/// at a time (its first size): several small answers share one allocation.
const READ_ROOM: usize = 1024;
const FIRST_BUFFER: usize = 8 * 1024;

/// One ready address of a backend, and its idle connections.
pub(crate) struct Endpoint {
    address: SocketAddr,
    /// The address as a Host header, for a request that came without one.
    host: HeaderValue,
    idle: Mutex<VecDeque<Idle>>,
}

struct Idle {
    connection: Connection,
    /// [`EPOCH`] when it came back.
    since: u64,
}

/// Why a request got no response from the upstream.
#[derive(Debug)]
pub(crate) enum SendError {
    /// No connection: refused, unreachable, or not made within the timeout.
    Connect(io::Error),
    /// The connection failed while sending or before the response head.
    Upstream(io::Error),
    /// The upstream's answer was not HTTP/1.1 as the gateway reads it.
    Protocol(ProtocolError),
    /// The client's request body failed (it went away mid-body).
    Downstream(hyper::Error),
}

impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Connect(error) => write!(f, "cannot connect: {error}"),
            Self::Upstream(error) => write!(f, "upstream failed: {error}"),
            Self::Protocol(error) => write!(f, "upstream answer refused: {error}"),
            Self::Downstream(error) => write!(f, "request body failed: {error}"),
        }
    }
}

/// How one exchange on a connection failed.
enum Failure {
    /// The connection closed or reset before any byte of an answer: the
    /// upstream may never have seen the request.
    Closed(io::Error),
    Other(SendError),
}

impl From<Failure> for SendError {
    fn from(failure: Failure) -> Self {
        match failure {
            Failure::Closed(error) => Self::Upstream(error),
            Failure::Other(error) => error,
        }
    }
}

impl Endpoint {
    pub(crate) fn new(address: SocketAddr) -> Self {
        // A socket address is always a valid header value; the fallback is
        // never used.
        let host = HeaderValue::from_str(&address.to_string()).unwrap_or(HeaderValue::from_static("upstream.invalid"));
        Self {
            address,
            host,
            idle: Mutex::new(VecDeque::new()),
        }
    }

    pub(crate) fn address(&self) -> SocketAddr {
        self.address
    }

    pub(crate) fn host(&self) -> &HeaderValue {
        &self.host
    }

    /// Sends `request` (origin-form target, Host set, hop-by-hop headers
    /// gone) over an idle connection, or a new one made within
    /// `connect_timeout`, and reads the response head.
    pub(crate) async fn send(
        self: &Arc<Self>,
        outbound: Outbound,
        connect_timeout: Duration,
    ) -> Result<Response<UpstreamBody>, SendError> {
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
                Err(Failure::Closed(error)) if again => {
                    tracing::debug!(endpoint = %self.address, %error, "reused connection closed; sending again");
                }
                Err(failure) => return Err(failure.into()),
            }
        }
        // Boxed: connecting is the rare path, and its future is large; kept
        // inline it would make every request's future (moved several times)
        // as large.
        let mut connection = Box::pin(self.connect(connect_timeout)).await?;
        let answer = connection.exchange(&head, upload, &method).await?;
        Ok(self.attach(connection, answer))
    }

    async fn connect(&self, timeout: Duration) -> Result<Connection, SendError> {
        let stream = match tokio::time::timeout(timeout, TcpStream::connect(self.address)).await {
            Ok(Ok(stream)) => stream,
            Ok(Err(error)) => return Err(SendError::Connect(error)),
            Err(_) => return Err(SendError::Connect(io::ErrorKind::TimedOut.into())),
        };
        let _ = stream.set_nodelay(true);
        Ok(Connection {
            stream,
            buffer: BytesMut::with_capacity(FIRST_BUFFER),
        })
    }

    /// The most recently returned connection still open. Those the
    /// upstream closed (or that have bytes nobody asked for) are dropped on
    /// the way.
    fn take_idle(&self) -> Option<Connection> {
        loop {
            // Checked (and closed, if need be) outside the lock.
            let mut connection = self.lock().pop_back()?.connection;
            if connection.is_usable() {
                return Some(connection);
            }
        }
    }

    fn give_back(&self, connection: Connection) {
        // Bytes nobody asked for: the upstream is out of step.
        if !connection.buffer.is_empty() {
            return;
        }
        let mut idle = self.lock();
        if idle.len() < MAX_IDLE {
            idle.push_back(Idle {
                connection,
                since: EPOCH.load(Ordering::Relaxed),
            });
        }
    }

    /// Closes connections that have been idle for [`EXPIRY_RUNS`] runs of
    /// [`expire_idle`], and those the upstream closed.
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
    fn idle_count(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> MutexGuard<'_, VecDeque<Idle>> {
        // The queue is consistent whatever panicked while holding it.
        self.idle.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn attach(self: &Arc<Self>, connection: Connection, answer: Answer) -> Response<UpstreamBody> {
        let Answer {
            head,
            upload,
            upload_failed,
        } = answer;
        let Head {
            response,
            framing,
            keep_alive,
        } = head;
        let mut body = UpstreamBody {
            connection: Some(connection),
            framing,
            home: (keep_alive && !upload_failed).then(|| Arc::clone(self)),
            upload,
        };
        // An empty body (HEAD, 204, 304, `Content-Length: 0`) may never be
        // polled: the connection is free already.
        if body.framing == Framing::Empty {
            body.finish();
        }
        response.map(|()| body)
    }
}

/// One expiry run over `endpoints`; called every [`EXPIRY_INTERVAL`], it
/// closes connections idle for between three and four intervals.
pub(crate) fn expire_idle<'a>(endpoints: impl IntoIterator<Item = &'a Arc<Endpoint>>) {
    let now = EPOCH.fetch_add(1, Ordering::Relaxed) + 1;
    for endpoint in endpoints {
        endpoint.expire(now);
    }
}

impl fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Endpoint({})", self.address)
    }
}

/// An open connection to an upstream, and what has been read from it but
/// not yet used.
pub(crate) struct Connection {
    stream: TcpStream,
    buffer: BytesMut,
}

impl fmt::Debug for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connection")
            .field("peer", &self.stream.peer_addr().ok())
            .field("buffered", &self.buffer.len())
            .finish()
    }
}

/// A response head, and the state of the request body.
struct Answer {
    head: Head,
    /// The part of the request body still to go, if any.
    upload: Option<Box<Upload>>,
    /// The upstream stopped taking the request body.
    upload_failed: bool,
}

impl Connection {
    /// Writes the request head, and reads up to the final response head
    /// while the body (if any) goes out: an upstream may answer before it
    /// has read the whole body.
    async fn exchange(&mut self, head: &[u8], upload: Option<Box<Upload>>, method: &Method) -> Result<Answer, Failure> {
        self.stream.write_all(head).await.map_err(Failure::Closed)?;
        let mut upload = upload;
        let mut upload_failed = false;
        let mut reading = HeadRead::default();
        let head = poll_fn(|cx| {
            if let Some(sending) = upload.as_mut() {
                match sending.poll_send(&mut self.stream, cx) {
                    Poll::Ready(Ok(())) => upload = None,
                    Poll::Ready(Err(BodyFailure::Downstream(error))) => {
                        return Poll::Ready(Err(Failure::Other(SendError::Downstream(error))));
                    }
                    // The upstream stopped taking the body; it may still
                    // answer (413, say), so the head is still awaited.
                    Poll::Ready(Err(BodyFailure::Upstream(error))) => {
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
    ) -> Poll<Result<Head, Failure>> {
        loop {
            if let Some(end) = h1::head_end(&self.buffer, reading.scanned) {
                reading.scanned = 0;
                let head = self.buffer.split_to(end).freeze();
                match h1::parse_head(&head, method) {
                    Ok(Some(head)) => return Poll::Ready(Ok(head)),
                    Ok(None) => continue,
                    Err(error) => return Poll::Ready(Err(Failure::Other(SendError::Protocol(error)))),
                }
            }
            reading.scanned = self.buffer.len();
            if self.buffer.len() >= h1::MAX_HEAD {
                return Poll::Ready(Err(Failure::Other(SendError::Protocol(ProtocolError::TOO_LARGE))));
            }
            let failure = match ready!(self.poll_fill(cx)) {
                Ok(0) if !reading.answered => Failure::Closed(io::ErrorKind::UnexpectedEof.into()),
                Ok(0) => Failure::Other(SendError::Upstream(io::ErrorKind::UnexpectedEof.into())),
                Ok(_) => {
                    reading.answered = true;
                    continue;
                }
                Err(error) if !reading.answered && is_reset(&error) => Failure::Closed(error),
                Err(error) => Failure::Other(SendError::Upstream(error)),
            };
            return Poll::Ready(Err(failure));
        }
    }

    /// Reads more into the buffer; `Ok(0)` at the end of the stream.
    fn poll_fill(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        self.buffer.reserve(READ_ROOM);
        pin!(self.stream.read_buf(&mut self.buffer)).poll(cx)
    }

    /// Whether an idle connection can carry a request: readable while idle
    /// means closed, reset or sending unasked, all unusable. Tokio answers
    /// "would block" without a system call unless the socket has signalled
    /// readiness since its last short read.
    fn is_usable(&mut self) -> bool {
        matches!(
            self.stream.try_read_buf(&mut self.buffer),
            Err(error) if error.kind() == io::ErrorKind::WouldBlock
        )
    }

    /// The connection and any bytes read past the 101 head, for a tunnel.
    pub(crate) fn into_parts(self) -> (TcpStream, BytesMut) {
        (self.stream, self.buffer)
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

/// Longest time the rest of a request body may take after its answer is
/// complete.
const UPLOAD_AFTER_ANSWER: Duration = Duration::from_secs(60);

/// Sends the rest of a request body whose answer is complete already, then
/// gives the connection back.
async fn finish_upload(mut connection: Connection, mut upload: Box<Upload>, home: Arc<Endpoint>) {
    let sent = tokio::time::timeout(
        UPLOAD_AFTER_ANSWER,
        poll_fn(|cx| upload.poll_send(&mut connection.stream, cx)),
    )
    .await;
    match sent {
        Ok(Ok(())) => home.give_back(connection),
        Ok(Err(error)) => tracing::debug!(%error, "request body not sent whole after its answer"),
        Err(_) => tracing::debug!("request body still going out a minute after its answer; dropped"),
    }
}

/// Why a request body stopped going out.
enum BodyFailure {
    /// Reading it from the client failed.
    Downstream(hyper::Error),
    /// Writing it to the upstream failed.
    Upstream(io::Error),
}

impl fmt::Display for BodyFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Downstream(error) => write!(f, "from the client: {error}"),
            Self::Upstream(error) => write!(f, "to the upstream: {error}"),
        }
    }
}

/// The client's request body on its way to the upstream, pushed by whoever
/// polls the exchange: first the wait for the response head, then the
/// response body, then (once that is complete) a task of its own. While the
/// response streams, the upload moves only as the client reads: a client that
/// reads nothing until it has sent its whole body, to an upstream that
/// echoes it back, stalls once the buffers between them are full.
pub(crate) struct Upload {
    body: Incoming,
    chunked: bool,
    /// Taken from the body (with its chunk framing) and not yet written.
    out: Bytes,
    /// The body has ended; the last chunk, if any, is in `out`.
    ended: bool,
}

impl Upload {
    fn new(body: Incoming, chunked: bool) -> Self {
        Self {
            body,
            chunked,
            out: Bytes::new(),
            ended: false,
        }
    }

    /// Writes what the client has sent so far; ready once all of it is out.
    fn poll_send<W: AsyncWrite + Unpin>(
        &mut self,
        writer: &mut W,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(), BodyFailure>> {
        loop {
            while !self.out.is_empty() {
                let written =
                    ready!(Pin::new(&mut *writer).poll_write(cx, &self.out)).map_err(BodyFailure::Upstream)?;
                if written == 0 {
                    return Poll::Ready(Err(BodyFailure::Upstream(io::ErrorKind::WriteZero.into())));
                }
                self.out.advance(written);
            }
            if self.ended {
                return Poll::Ready(Ok(()));
            }
            match ready!(Pin::new(&mut self.body).poll_frame(cx)) {
                None => {
                    self.ended = true;
                    if self.chunked {
                        self.out = Bytes::from_static(b"0\r\n\r\n");
                    }
                }
                Some(Err(error)) => return Poll::Ready(Err(BodyFailure::Downstream(error))),
                // Request trailers are dropped: HTTP/1.1 upstreams rarely
                // take them.
                Some(Ok(frame)) => {
                    if let Ok(data) = frame.into_data()
                        && !data.is_empty()
                    {
                        self.out = if self.chunked { chunk(&data) } else { data };
                    }
                }
            }
        }
    }
}

impl fmt::Debug for Upload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Upload")
            .field("chunked", &self.chunked)
            .field("ended", &self.ended)
            .finish_non_exhaustive()
    }
}

/// `data` as one chunk, ready for a single write.
fn chunk(data: &Bytes) -> Bytes {
    let mut framed = BytesMut::with_capacity(data.len() + 20);
    framed.extend_from_slice(format!("{:x}\r\n", data.len()).as_bytes());
    framed.extend_from_slice(data);
    framed.extend_from_slice(b"\r\n");
    framed.freeze()
}

/// An upstream response body, read from its connection as the client takes
/// it; the connection goes back to its endpoint at the end.
pub(crate) struct UpstreamBody {
    /// `None` once the body is over (or its connection has gone to a
    /// tunnel).
    connection: Option<Connection>,
    framing: Framing,
    /// Where the connection goes after the body, if it may be reused.
    home: Option<Arc<Endpoint>>,
    /// The rest of the request body, still going out.
    upload: Option<Box<Upload>>,
}

impl UpstreamBody {
    /// The connection of a 101 answer, for the tunnel.
    pub(crate) fn take_switched(&mut self) -> Option<Connection> {
        if self.framing == Framing::Switched {
            self.connection.take()
        } else {
            None
        }
    }

    /// The body is over: its connection goes back, if it can carry more.
    /// A request body still going out goes on in a task of its own (the
    /// upstream answered before reading all of it, and may read on), unless
    /// the upstream is closing the connection (RFC 9112 section 9.5).
    fn finish(&mut self) {
        self.framing = Framing::Empty;
        let Some(connection) = self.connection.take() else {
            return;
        };
        let home = self.home.take();
        match (self.upload.take(), home) {
            (None, Some(home)) => home.give_back(connection),
            (Some(upload), Some(home)) => {
                if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                    runtime.spawn(finish_upload(connection, upload, home));
                }
            }
            // Closing: dropped here.
            (_, None) => {}
        }
    }

    fn fail(&mut self, error: io::Error) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        self.connection = None;
        self.upload = None;
        self.framing = Framing::Empty;
        Poll::Ready(Some(Err(error)))
    }
}

impl fmt::Debug for UpstreamBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UpstreamBody")
            .field("framing", &self.framing)
            .field("returns_to", &self.home.as_ref().map(|endpoint| endpoint.address))
            .finish_non_exhaustive()
    }
}

impl Body for UpstreamBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        let this = self.get_mut();
        if let (Some(upload), Some(connection)) = (this.upload.as_mut(), this.connection.as_mut()) {
            match upload.poll_send(&mut connection.stream, cx) {
                Poll::Ready(Ok(())) => this.upload = None,
                Poll::Ready(Err(error)) => {
                    tracing::debug!(%error, "request body not sent whole");
                    this.upload = None;
                    this.home = None;
                }
                Poll::Pending => {}
            }
        }
        loop {
            let Some(connection) = this.connection.as_mut() else {
                return Poll::Ready(None);
            };
            let buffer = &mut connection.buffer;
            // Data already read, if the framing has some to give.
            let data = match &mut this.framing {
                Framing::Empty | Framing::Switched => return Poll::Ready(None),
                Framing::Length(remaining) if !buffer.is_empty() => {
                    let available = buffer.len();
                    let take = usize::try_from(*remaining).map_or(available, |remaining| remaining.min(available));
                    *remaining -= take as u64;
                    let data = buffer.split_to(take).freeze();
                    if *remaining == 0 {
                        this.finish();
                    }
                    Some(data)
                }
                Framing::Close if !buffer.is_empty() => Some(buffer.split().freeze()),
                Framing::Chunked(decoder) => match decoder.decode(buffer) {
                    Ok(Decoded::Data(data)) => Some(data),
                    Ok(Decoded::Trailers(fields)) => {
                        this.finish();
                        return Poll::Ready(Some(Ok(Frame::trailers(fields))));
                    }
                    Ok(Decoded::End) => {
                        this.finish();
                        return Poll::Ready(None);
                    }
                    Ok(Decoded::NeedMore) => None,
                    Err(error) => return this.fail(io::Error::new(io::ErrorKind::InvalidData, error)),
                },
                Framing::Length(_) | Framing::Close => None,
            };
            if let Some(data) = data {
                return Poll::Ready(Some(Ok(Frame::data(data))));
            }
            let Some(connection) = this.connection.as_mut() else {
                return Poll::Ready(None);
            };
            match ready!(connection.poll_fill(cx)) {
                // The end of a body delimited by the close (its connection
                // was never reusable: `finish` drops it).
                Ok(0) if this.framing == Framing::Close => {
                    this.finish();
                    return Poll::Ready(None);
                }
                Ok(0) => return this.fail(io::ErrorKind::UnexpectedEof.into()),
                Ok(_) => {}
                Err(error) => return this.fail(error),
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        matches!(self.framing, Framing::Empty | Framing::Switched | Framing::Length(0))
    }

    fn size_hint(&self) -> SizeHint {
        match self.framing {
            Framing::Empty | Framing::Switched => SizeHint::with_exact(0),
            Framing::Length(remaining) => SizeHint::with_exact(remaining),
            Framing::Chunked(_) | Framing::Close => SizeHint::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use http::Request;
    use http_body_util::BodyExt as _;
    use tokio::io::AsyncReadExt as _;
    use tokio::net::TcpListener;

    use super::*;

    /// What a test upstream does with each request on a connection, in
    /// order; after the last, it closes the connection.
    #[derive(Clone, Copy)]
    enum Reply {
        /// Writes these bytes (a whole answer).
        Answer(&'static str),
        /// Reads the request head, then closes without a word (as an
        /// upstream whose keep-alive timeout fired under the request).
        Hang,
    }

    /// DELETE requests the test upstreams have seen (one test sends them).
    static DELETES: AtomicU64 = AtomicU64::new(0);

    /// A raw HTTP/1.1 upstream on loopback, giving every connection the same
    /// `replies`; its handle says how many connections it accepted (it
    /// stops accepting after 500 ms without one).
    async fn upstream(replies: &'static [Reply]) -> (SocketAddr, tokio::task::JoinHandle<usize>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let handle = tokio::spawn(async move {
            let mut accepted = 0;
            while let Ok(Ok((mut stream, _))) =
                tokio::time::timeout(Duration::from_millis(500), listener.accept()).await
            {
                accepted += 1;
                tokio::spawn(async move {
                    let mut buffer = Vec::new();
                    for reply in replies {
                        // Read one request head (bodies are left unread).
                        while h1::head_end(&buffer, 0).is_none() {
                            let mut chunk = [0_u8; 1024];
                            match stream.read(&mut chunk).await {
                                Ok(0) | Err(_) => return,
                                Ok(n) => buffer.extend_from_slice(&chunk[..n]),
                            }
                        }
                        let end = h1::head_end(&buffer, 0).unwrap();
                        let head: Vec<u8> = buffer.drain(..end).collect();
                        if head.starts_with(b"DELETE") {
                            DELETES.fetch_add(1, Ordering::SeqCst);
                        }
                        match reply {
                            Reply::Answer(answer) => {
                                if stream.write_all(answer.as_bytes()).await.is_err() {
                                    return;
                                }
                            }
                            Reply::Hang => return,
                        }
                    }
                });
            }
            accepted
        });
        (address, handle)
    }

    const HELLO: Reply = Reply::Answer("HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello");

    /// A loopback hyper server handing over the requests it gets (answering
    /// each after `hold`), and a client connection to it.
    async fn downstream(hold: Duration) -> (TcpStream, tokio::sync::mpsc::UnboundedReceiver<Request<Incoming>>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let (sink, source) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(async move {
            let (stream, _) = listener.accept().await.unwrap();
            let service = hyper::service::service_fn(move |request: Request<Incoming>| {
                let _ = sink.send(request);
                async move {
                    tokio::time::sleep(hold).await;
                    Ok::<_, std::convert::Infallible>(Response::new(http_body_util::Empty::<Bytes>::new()))
                }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                .await;
        });
        (TcpStream::connect(address).await.unwrap(), source)
    }

    /// `request` with its target in origin form, as the proxy sends it on.
    fn origin_form(request: Request<Incoming>) -> Request<Incoming> {
        let (mut parts, body) = request.into_parts();
        parts.uri = http::Uri::from(parts.uri.path_and_query().unwrap().clone());
        Request::from_parts(parts, body)
    }

    /// Requests with `Incoming` bodies, as the server hands them over: the
    /// raw `texts` sent one after the other on one connection.
    async fn requests(texts: &[&'static str]) -> Vec<Request<Incoming>> {
        let (mut client, mut source) = downstream(Duration::ZERO).await;
        let mut taken = Vec::new();
        for text in texts {
            client.write_all(text.as_bytes()).await.unwrap();
            taken.push(origin_form(source.recv().await.unwrap()));
        }
        // The client side stays open while the bodies are read.
        std::mem::forget(client);
        taken
    }

    #[tokio::test]
    async fn a_body_still_going_out_after_a_complete_answer_is_finished() {
        // The upstream accepts at once (202, no body), then reads the whole
        // ten-byte body, then answers a second request on the same
        // connection with what it got.
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let accepted = tokio::spawn(async move {
            let (mut stream, _) = listener.accept().await.unwrap();
            let mut got = Vec::new();
            read_until(&mut stream, &mut got, |got| h1::head_end(got, 0).is_some()).await;
            stream
                .write_all(b"HTTP/1.1 202 Accepted\r\ncontent-length: 0\r\n\r\n")
                .await
                .unwrap();
            let mut rest = got.split_off(h1::head_end(&got, 0).unwrap());
            // The body, then the second request's head.
            read_until(&mut stream, &mut rest, |rest| {
                h1::head_end(rest, 0).is_some_and(|end| end >= 10)
            })
            .await;
            let body = String::from_utf8(rest[..10].to_vec()).unwrap();
            let answer = format!("HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\n{body}");
            stream.write_all(answer.as_bytes()).await.unwrap();
            // No second connection comes.
            tokio::time::timeout(Duration::from_millis(300), listener.accept())
                .await
                .is_ok()
        });
        let (request, mut client) =
            request_and_client("POST /queue HTTP/1.1\r\nhost: a.test\r\ncontent-length: 10\r\n\r\nabc").await;
        let endpoint = Arc::new(Endpoint::new(address));
        let response = send(&endpoint, request).await.unwrap();
        assert_eq!(response.status(), http::StatusCode::ACCEPTED);
        assert_eq!(text(response).await, "");
        client.write_all(b"defghij").await.unwrap();
        // Once the rest is out, the connection is back for the next request.
        for _ in 0..100 {
            if endpoint.idle_count() == 1 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let response = send(&endpoint, gets(1).await.pop().unwrap()).await.unwrap();
        assert_eq!(text(response).await, "abcdefghij");
        assert!(!accepted.await.unwrap(), "the connection was reused");
    }

    /// One request as the server hands it over, and the client connection
    /// it came on (to send more of its body), held open for 5 s.
    async fn request_and_client(text: &'static str) -> (Request<Incoming>, TcpStream) {
        let (mut client, mut source) = downstream(Duration::from_secs(5)).await;
        client.write_all(text.as_bytes()).await.unwrap();
        (origin_form(source.recv().await.unwrap()), client)
    }

    /// Reads from `stream` onto `got` until `enough(got)`; the stream must
    /// not end first.
    async fn read_until(stream: &mut TcpStream, got: &mut Vec<u8>, enough: impl Fn(&[u8]) -> bool) {
        let mut piece = [0_u8; 1024];
        while !enough(got) {
            let n = stream.read(&mut piece).await.unwrap();
            assert_ne!(n, 0, "closed after {:?}", String::from_utf8_lossy(got));
            got.extend_from_slice(&piece[..n]);
        }
    }

    /// Sends `request` to `endpoint` (connect timeout 2 s).
    async fn send(endpoint: &Arc<Endpoint>, request: Request<Incoming>) -> Result<Response<UpstreamBody>, SendError> {
        let (parts, body) = request.into_parts();
        let forwarded = Forwarded {
            client: &HeaderValue::from_static("127.0.0.1"),
            host: None,
        };
        endpoint
            .send(Outbound::new(&parts, body, &forwarded), Duration::from_secs(2))
            .await
    }

    async fn gets(count: usize) -> Vec<Request<Incoming>> {
        requests(&vec!["GET /x HTTP/1.1\r\nhost: a.test\r\n\r\n"; count]).await
    }

    async fn text(response: Response<UpstreamBody>) -> String {
        let body = response.into_body().collect().await.unwrap().to_bytes();
        String::from_utf8(body.to_vec()).unwrap()
    }

    #[tokio::test]
    async fn a_finished_response_frees_its_connection_for_the_next_request() {
        let (address, accepted) = upstream(&[HELLO; 5]).await;
        let endpoint = Arc::new(Endpoint::new(address));
        for request in gets(5).await {
            let response = send(&endpoint, request).await.unwrap();
            assert_eq!(text(response).await, "hello");
        }
        assert_eq!(endpoint.idle_count(), 1);
        assert_eq!(accepted.await.unwrap(), 1, "five requests, one connection");
    }

    #[tokio::test]
    async fn a_connection_the_upstream_closed_is_not_reused() {
        // One request per connection, then the upstream closes it.
        let (address, accepted) = upstream(&[HELLO]).await;
        let endpoint = Arc::new(Endpoint::new(address));
        for request in gets(3).await {
            let response = send(&endpoint, request).await.unwrap();
            assert_eq!(text(response).await, "hello");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(accepted.await.unwrap(), 3);
    }

    #[tokio::test]
    async fn an_idempotent_request_is_sent_again_when_a_reused_connection_drops_it() {
        // Every connection answers once, then drops the next request unanswered.
        let (address, accepted) = upstream(&[HELLO, Reply::Hang]).await;
        let endpoint = Arc::new(Endpoint::new(address));
        for request in gets(3).await {
            let response = send(&endpoint, request).await.unwrap();
            assert_eq!(text(response).await, "hello");
        }
        assert_eq!(accepted.await.unwrap(), 3, "requests 2 and 3 each went out twice");
    }

    #[tokio::test]
    async fn a_request_is_sent_again_once_only() {
        // Five idle connections, each of which drops the next request.
        let (address, _accepted) = upstream(&[HELLO, Reply::Hang]).await;
        let endpoint = Arc::new(Endpoint::new(address));
        let mut texts = vec!["GET /x HTTP/1.1\r\nhost: a.test\r\n\r\n"; 5];
        texts.push("DELETE /x HTTP/1.1\r\nhost: a.test\r\n\r\n");
        let mut requests = requests(&texts).await.into_iter();
        let mut held = Vec::new();
        for request in requests.by_ref().take(5) {
            held.push(send(&endpoint, request).await.unwrap());
        }
        for response in held {
            assert_eq!(text(response).await, "hello");
        }
        assert_eq!(endpoint.idle_count(), 5);
        let answer = send(&endpoint, requests.next().unwrap()).await;
        // The retry went to a new connection, which answered.
        assert_eq!(text(answer.unwrap()).await, "hello");
        assert_eq!(
            DELETES.load(Ordering::SeqCst),
            2,
            "sent on one idle connection, then on a new one"
        );
        assert_eq!(endpoint.idle_count(), 5, "the other idle connections were not tried");
    }

    #[tokio::test]
    async fn a_post_is_never_sent_twice() {
        let (address, _accepted) = upstream(&[HELLO, Reply::Hang]).await;
        let endpoint = Arc::new(Endpoint::new(address));
        let mut requests = requests(&[
            "GET /x HTTP/1.1\r\nhost: a.test\r\n\r\n",
            "POST /x HTTP/1.1\r\nhost: a.test\r\ncontent-length: 0\r\n\r\n",
        ])
        .await
        .into_iter();
        let response = send(&endpoint, requests.next().unwrap()).await.unwrap();
        assert_eq!(text(response).await, "hello");
        let error = send(&endpoint, requests.next().unwrap()).await.unwrap_err();
        assert!(matches!(error, SendError::Upstream(_)), "{error}");
    }

    #[tokio::test]
    async fn an_unread_body_keeps_its_connection_out_of_the_pool() {
        let (address, accepted) = upstream(&[HELLO; 2]).await;
        let endpoint = Arc::new(Endpoint::new(address));
        let mut bodies = Vec::new();
        for request in gets(2).await {
            bodies.push(send(&endpoint, request).await.unwrap());
        }
        assert_eq!(endpoint.idle_count(), 0);
        drop(bodies);
        assert_eq!(
            accepted.await.unwrap(),
            2,
            "the second request could not share the first's connection"
        );
    }

    #[tokio::test]
    async fn chunked_and_close_delimited_bodies_arrive_whole() {
        const CHUNKED: Reply = Reply::Answer(
            "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n7;x=y\r\n, world\r\n0\r\nx-t: 1\r\n\r\n",
        );
        const TO_CLOSE: Reply = Reply::Answer("HTTP/1.1 200 OK\r\n\r\nuntil the end");
        let (address, accepted) = upstream(&[CHUNKED, CHUNKED, TO_CLOSE]).await;
        let endpoint = Arc::new(Endpoint::new(address));
        let mut requests = gets(4).await.into_iter();
        for _ in 0..2 {
            let response = send(&endpoint, requests.next().unwrap()).await.unwrap();
            // The framing was this connection's: not passed on.
            assert!(!response.headers().contains_key("transfer-encoding"));
            let whole = response.into_body().collect().await.unwrap();
            assert_eq!(whole.trailers().unwrap()["x-t"], "1");
            assert_eq!(whole.to_bytes(), "hello, world");
        }
        let response = send(&endpoint, requests.next().unwrap()).await.unwrap();
        assert_eq!(text(response).await, "until the end");
        // A body that ended with its connection leaves nothing to reuse.
        assert_eq!(endpoint.idle_count(), 0);
        let response = send(&endpoint, requests.next().unwrap()).await.unwrap();
        assert_eq!(text(response).await, "hello, world");
        assert_eq!(accepted.await.unwrap(), 2);
    }

    #[tokio::test]
    async fn a_head_answer_frees_its_connection_at_once() {
        let (address, accepted) =
            upstream(&[Reply::Answer("HTTP/1.1 200 OK\r\ncontent-length: 615\r\n\r\n"), HELLO]).await;
        let endpoint = Arc::new(Endpoint::new(address));
        let mut requests = requests(&[
            "HEAD /x HTTP/1.1\r\nhost: a.test\r\n\r\n",
            "GET /x HTTP/1.1\r\nhost: a.test\r\n\r\n",
        ])
        .await
        .into_iter();
        let head = send(&endpoint, requests.next().unwrap()).await.unwrap();
        assert_eq!(head.headers()["content-length"], "615");
        assert!(head.body().is_end_stream());
        assert_eq!(endpoint.idle_count(), 1, "free before its (empty) body is read");
        let response = send(&endpoint, requests.next().unwrap()).await.unwrap();
        assert_eq!(text(response).await, "hello");
        drop(head);
        assert_eq!(accepted.await.unwrap(), 1);
    }

    #[tokio::test]
    async fn request_bodies_go_out_with_their_framing() {
        // The upstream echoes what it got after the head, then closes.
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let seen = tokio::spawn(async move {
            let (mut stream, _) = listener.accept().await.unwrap();
            let mut got = Vec::new();
            read_until(&mut stream, &mut got, |got| got.ends_with(b"0\r\n\r\n")).await;
            stream.write_all(b"HTTP/1.1 204 No Content\r\n\r\n").await.unwrap();
            String::from_utf8(got).unwrap()
        });
        let endpoint = Arc::new(Endpoint::new(address));
        let request =
            requests(&["POST /up HTTP/1.1\r\nhost: a.test\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"])
                .await
                .pop()
                .unwrap();
        let response = send(&endpoint, request).await.unwrap();
        assert_eq!(response.status(), http::StatusCode::NO_CONTENT);
        let got = seen.await.unwrap();
        assert!(got.starts_with("POST /up HTTP/1.1\r\n"), "{got}");
        assert_eq!(got.matches("transfer-encoding").count(), 1, "{got}");
        assert!(got.contains("\r\ntransfer-encoding: chunked\r\n"), "{got}");
        assert!(got.ends_with("\r\n\r\n3\r\nabc\r\n0\r\n\r\n"), "{got}");
    }

    #[tokio::test]
    async fn an_answer_before_the_body_is_taken_ends_the_connection() {
        const EARLY: Reply = Reply::Answer("HTTP/1.1 413 Content Too Large\r\ncontent-length: 3\r\n\r\nbig");
        let (address, _accepted) = upstream(&[EARLY]).await;
        let endpoint = Arc::new(Endpoint::new(address));
        // Announces 1 MiB and sends 3 bytes: the rest never comes.
        let request = requests(&["PUT /x HTTP/1.1\r\nhost: a.test\r\ncontent-length: 1048576\r\n\r\nabc"])
            .await
            .pop()
            .unwrap();
        let response = tokio::time::timeout(Duration::from_secs(5), send(&endpoint, request))
            .await
            .expect("the early answer arrives while the body is still expected")
            .unwrap();
        assert_eq!(response.status(), http::StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(text(response).await, "big");
        assert_eq!(
            endpoint.idle_count(),
            0,
            "the unfinished request keeps its connection out"
        );
    }

    #[tokio::test]
    async fn malformed_answers_are_protocol_errors() {
        let (address, _accepted) = upstream(&[Reply::Answer("HTTP/1.1 200 OK\r\ncontent-length: x\r\n\r\n")]).await;
        let endpoint = Arc::new(Endpoint::new(address));
        let request = gets(1).await.pop().unwrap();
        let error = send(&endpoint, request).await.unwrap_err();
        assert!(matches!(error, SendError::Protocol(_)), "{error}");
    }

    #[tokio::test]
    async fn a_body_cut_short_is_an_error_not_an_end() {
        let (address, _accepted) =
            upstream(&[Reply::Answer("HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nshort")]).await;
        let endpoint = Arc::new(Endpoint::new(address));
        let request = gets(1).await.pop().unwrap();
        let response = send(&endpoint, request).await.unwrap();
        let error = response.into_body().collect().await.unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::UnexpectedEof);
        assert_eq!(endpoint.idle_count(), 0);
    }

    #[tokio::test]
    async fn idle_connections_expire_after_four_runs() {
        // The connection stays open, waiting for a second request.
        let (address, _accepted) = upstream(&[HELLO, HELLO]).await;
        let endpoint = Arc::new(Endpoint::new(address));
        let request = gets(1).await.pop().unwrap();
        let response = send(&endpoint, request).await.unwrap();
        assert_eq!(text(response).await, "hello");
        for _ in 1..EXPIRY_RUNS {
            expire_idle([&endpoint]);
            assert_eq!(endpoint.idle_count(), 1);
        }
        expire_idle([&endpoint]);
        assert_eq!(endpoint.idle_count(), 0);
    }

    #[tokio::test]
    async fn a_connection_closed_while_idle_goes_at_the_next_expiry_run() {
        let (address, _accepted) = upstream(&[HELLO]).await;
        let endpoint = Arc::new(Endpoint::new(address));
        let request = gets(1).await.pop().unwrap();
        assert_eq!(text(send(&endpoint, request).await.unwrap()).await, "hello");
        assert_eq!(endpoint.idle_count(), 1);
        // The upstream closes after its one answer; the runtime sees it.
        tokio::time::sleep(Duration::from_millis(50)).await;
        expire_idle([&endpoint]);
        assert_eq!(endpoint.idle_count(), 0);
    }

    #[tokio::test]
    async fn refused_connections_are_connect_errors() {
        // Bind, then close: the port refuses connections.
        let address = TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap();
        let endpoint = Arc::new(Endpoint::new(address));
        let request = gets(1).await.pop().unwrap();
        let error = send(&endpoint, request).await.unwrap_err();
        assert!(matches!(error, SendError::Connect(_)), "{error}");
    }

    #[tokio::test]
    async fn small_bodies_go_out_and_leave_the_connection_reusable() {
        let (address, accepted) = upstream(&[HELLO; 3]).await;
        let endpoint = Arc::new(Endpoint::new(address));
        let post = "POST /x HTTP/1.1\r\nhost: a.test\r\ncontent-length: 5\r\n\r\nhello";
        for request in requests(&[post; 3]).await {
            let response = send(&endpoint, request).await.unwrap();
            assert_eq!(text(response).await, "hello");
        }
        assert_eq!(accepted.await.unwrap(), 1);
    }

    #[tokio::test]
    async fn the_request_body_keeps_going_after_the_answer_starts() {
        // An echoing upstream: it answers at once, then sends the body back
        // as one chunk once all ten bytes are in.
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let (mut stream, _) = listener.accept().await.unwrap();
            let mut got = Vec::new();
            read_until(&mut stream, &mut got, |got| h1::head_end(got, 0).is_some()).await;
            stream
                .write_all(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n")
                .await
                .unwrap();
            let mut body = got.split_off(h1::head_end(&got, 0).unwrap());
            read_until(&mut stream, &mut body, |body| body.len() >= 10).await;
            let echo = format!("a\r\n{}\r\n0\r\n\r\n", String::from_utf8(body).unwrap());
            stream.write_all(echo.as_bytes()).await.unwrap();
        });
        // The client sends three bytes of ten, the rest later.
        let (request, mut client) =
            request_and_client("POST /echo HTTP/1.1\r\nhost: a.test\r\ncontent-length: 10\r\n\r\nabc").await;
        let endpoint = Arc::new(Endpoint::new(address));
        let response = send(&endpoint, request).await.unwrap();
        assert_eq!(response.status(), http::StatusCode::OK);
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(100)).await;
            client.write_all(b"defghij").await.unwrap();
            // Kept open until the test ends.
            tokio::time::sleep(Duration::from_secs(5)).await;
        });
        let echoed = tokio::time::timeout(Duration::from_secs(3), text(response))
            .await
            .expect("the echo completes");
        assert_eq!(echoed, "abcdefghij");
    }
}
