//! Connections to upstream endpoints: HTTP/1.1, kept alive and reused.
//!
//! Each endpoint keeps its own idle connections, the most recently used
//! taken first (under light load a few stay warm and the rest expire). A
//! connection goes back once its response body has been read to the end; one
//! whose answer was cut short, that switched protocols or that the upstream
//! closed is never reused. A request that finds an idle connection closed
//! before the request went out is retried on another, as an HTTP client
//! must (the upstream's keep-alive timeout races every reuse).
//!
//! Nothing here spawns per request: one task per upstream connection drives
//! it, as hyper requires.

use std::collections::VecDeque;
use std::fmt;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::HeaderValue;
use http::{Request, Response};
use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

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

/// One ready address of a backend, and its idle connections.
pub(crate) struct Endpoint {
    address: SocketAddr,
    /// The address as a Host header, for a request that came without one.
    host: HeaderValue,
    idle: Mutex<VecDeque<Idle>>,
}

struct Idle {
    sender: SendRequest<Incoming>,
    /// [`EPOCH`] when it came back.
    since: u64,
}

/// Why a request got no response from the upstream.
#[derive(Debug)]
pub(crate) enum SendError {
    /// No connection: refused, unreachable, or not made within the timeout.
    Connect(std::io::Error),
    /// The connection failed while sending or before the response head.
    Upstream(hyper::Error),
}

impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Connect(error) => write!(f, "cannot connect: {error}"),
            Self::Upstream(error) => write!(f, "upstream failed: {error}"),
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

    /// Sends `request` (origin-form target, Host set) over an idle
    /// connection, or a new one made within `connect_timeout`.
    pub(crate) async fn send(
        self: &Arc<Self>,
        mut request: Request<Incoming>,
        connect_timeout: Duration,
    ) -> Result<Response<PooledBody>, SendError> {
        while let Some(mut sender) = self.take_idle() {
            match sender.try_send_request(request).await {
                Ok(response) => return Ok(self.attach(response, sender)),
                Err(mut error) => match error.take_message() {
                    // It closed before the request went out: nothing was
                    // sent, so another connection may take it.
                    Some(unsent) => request = unsent,
                    None => return Err(SendError::Upstream(error.into_error())),
                },
            }
        }
        // Boxed: connecting is the rare path, and its future is large; kept
        // inline it would make every request's future (moved several times)
        // as large.
        let mut sender = Box::pin(self.connect(connect_timeout)).await?;
        let response = sender.send_request(request).await.map_err(SendError::Upstream)?;
        Ok(self.attach(response, sender))
    }

    async fn connect(&self, timeout: Duration) -> Result<SendRequest<Incoming>, SendError> {
        let stream = match tokio::time::timeout(timeout, TcpStream::connect(self.address)).await {
            Ok(Ok(stream)) => stream,
            Ok(Err(error)) => return Err(SendError::Connect(error)),
            Err(_) => return Err(SendError::Connect(std::io::ErrorKind::TimedOut.into())),
        };
        let _ = stream.set_nodelay(true);
        let (sender, connection) = http1::Builder::new()
            .handshake(TokioIo::new(stream))
            .await
            .map_err(SendError::Upstream)?;
        let address = self.address;
        tokio::spawn(async move {
            if let Err(error) = connection.with_upgrades().await {
                tracing::debug!(%address, %error, "upstream connection ended");
            }
        });
        Ok(sender)
    }

    /// The most recently returned connection that can take a request now.
    /// Closed ones are dropped on the way; one still finishing its last
    /// exchange stays for a later request.
    fn take_idle(&self) -> Option<SendRequest<Incoming>> {
        let mut idle = self.lock();
        let mut index = idle.len();
        while index > 0 {
            index -= 1;
            let Some(candidate) = idle.get(index) else { break };
            if candidate.sender.is_closed() {
                idle.remove(index);
            } else if candidate.sender.is_ready() {
                return idle.remove(index).map(|entry| entry.sender);
            }
        }
        None
    }

    fn give_back(&self, sender: SendRequest<Incoming>) {
        if sender.is_closed() {
            return;
        }
        let mut idle = self.lock();
        if idle.len() < MAX_IDLE {
            idle.push_back(Idle {
                sender,
                since: EPOCH.load(Ordering::Relaxed),
            });
        }
    }

    /// Closes connections that have been idle for [`EXPIRY_RUNS`] runs of
    /// [`expire_idle`] (and those the upstream closed).
    fn expire(&self, now: u64) {
        self.lock()
            .retain(|entry| !entry.sender.is_closed() && now.saturating_sub(entry.since) < EXPIRY_RUNS);
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

    fn attach(self: &Arc<Self>, response: Response<Incoming>, sender: SendRequest<Incoming>) -> Response<PooledBody> {
        let switched = response.status() == http::StatusCode::SWITCHING_PROTOCOLS;
        response.map(|inner| {
            let mut body = PooledBody {
                inner,
                home: (!switched).then(|| (Arc::clone(self), sender)),
            };
            // An empty body (HEAD, 204, 304, `Content-Length: 0`) may never
            // be polled: the connection is free already.
            if body.inner.is_end_stream() {
                body.release();
            }
            body
        })
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

/// An upstream response body that hands its connection back to the
/// endpoint once read to the end.
pub(crate) struct PooledBody {
    inner: Incoming,
    home: Option<(Arc<Endpoint>, SendRequest<Incoming>)>,
}

impl PooledBody {
    fn release(&mut self) {
        if let Some((endpoint, sender)) = self.home.take() {
            endpoint.give_back(sender);
        }
    }
}

impl fmt::Debug for PooledBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PooledBody")
            .field("returns_to", &self.home.as_ref().map(|(endpoint, _)| endpoint.address))
            .finish_non_exhaustive()
    }
}

impl Body for PooledBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        let this = self.get_mut();
        let frame = Pin::new(&mut this.inner).poll_frame(cx);
        match &frame {
            Poll::Ready(None) => this.release(),
            Poll::Ready(Some(Ok(_))) if this.inner.is_end_stream() => this.release(),
            // A broken body leaves the connection in no state to reuse.
            Poll::Ready(Some(Err(_))) => this.home = None,
            _ => {}
        }
        frame
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use http_body_util::BodyExt as _;
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    use tokio::net::TcpListener;

    use super::*;

    /// A raw HTTP/1.1 upstream on loopback answering `count` requests per
    /// connection with `body`, then closing; returns how many connections
    /// it accepted.
    async fn upstream(per_connection: usize, body: &'static str) -> (SocketAddr, tokio::task::JoinHandle<usize>) {
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
                    for _ in 0..per_connection {
                        // Read one request head (these requests have no body).
                        while !buffer.windows(4).any(|w| w == b"\r\n\r\n") {
                            let mut chunk = [0_u8; 1024];
                            match stream.read(&mut chunk).await {
                                Ok(0) | Err(_) => return,
                                Ok(n) => buffer.extend_from_slice(&chunk[..n]),
                            }
                        }
                        let end = buffer.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
                        buffer.drain(..end);
                        let answer = format!("HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n{body}", body.len());
                        if stream.write_all(answer.as_bytes()).await.is_err() {
                            return;
                        }
                    }
                });
            }
            accepted
        });
        (address, handle)
    }

    /// A request with an empty `Incoming` body, as the server hands them over:
    /// taken from a loopback hyper server.
    async fn requests(count: usize) -> Vec<Request<Incoming>> {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let (sink, mut source) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(async move {
            let (stream, _) = listener.accept().await.unwrap();
            let service = hyper::service::service_fn(move |request: Request<Incoming>| {
                let _ = sink.send(request);
                async { Ok::<_, std::convert::Infallible>(Response::new(http_body_util::Empty::<Bytes>::new())) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
        let mut stream = TcpStream::connect(address).await.unwrap();
        let mut taken = Vec::new();
        for _ in 0..count {
            stream
                .write_all(b"GET /x HTTP/1.1\r\nhost: a.test\r\n\r\n")
                .await
                .unwrap();
            let request = source.recv().await.unwrap();
            let (mut parts, body) = request.into_parts();
            parts.uri = http::Uri::from_static("/x");
            taken.push(Request::from_parts(parts, body));
        }
        taken
    }

    async fn text(response: Response<PooledBody>) -> String {
        let body = response.into_body().collect().await.unwrap().to_bytes();
        String::from_utf8(body.to_vec()).unwrap()
    }

    #[tokio::test]
    async fn a_finished_response_frees_its_connection_for_the_next_request() {
        let (address, accepted) = upstream(usize::MAX, "hello").await;
        let endpoint = Arc::new(Endpoint::new(address));
        for request in requests(5).await {
            let response = endpoint.send(request, Duration::from_secs(2)).await.unwrap();
            assert_eq!(text(response).await, "hello");
            // Let the connection's task see the end of the exchange.
            tokio::task::yield_now().await;
        }
        assert_eq!(endpoint.idle_count(), 1);
        assert_eq!(accepted.await.unwrap(), 1, "five requests, one connection");
    }

    #[tokio::test]
    async fn a_connection_the_upstream_closed_is_not_reused() {
        // One request per connection, then the upstream closes it.
        let (address, accepted) = upstream(1, "once").await;
        let endpoint = Arc::new(Endpoint::new(address));
        for request in requests(3).await {
            let response = endpoint.send(request, Duration::from_secs(2)).await.unwrap();
            assert_eq!(text(response).await, "once");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(accepted.await.unwrap(), 3);
    }

    #[tokio::test]
    async fn an_unread_body_keeps_its_connection_out_of_the_pool() {
        let (address, accepted) = upstream(usize::MAX, "unread").await;
        let endpoint = Arc::new(Endpoint::new(address));
        let mut bodies = Vec::new();
        for request in requests(2).await {
            bodies.push(endpoint.send(request, Duration::from_secs(2)).await.unwrap());
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
    async fn idle_connections_expire_after_four_runs() {
        let (address, _accepted) = upstream(usize::MAX, "idle").await;
        let endpoint = Arc::new(Endpoint::new(address));
        let request = requests(1).await.pop().unwrap();
        let response = endpoint.send(request, Duration::from_secs(2)).await.unwrap();
        assert_eq!(text(response).await, "idle");
        for _ in 1..EXPIRY_RUNS {
            expire_idle([&endpoint]);
            assert_eq!(endpoint.idle_count(), 1);
        }
        expire_idle([&endpoint]);
        assert_eq!(endpoint.idle_count(), 0);
    }

    #[tokio::test]
    async fn refused_connections_are_connect_errors() {
        // Bind, then close: the port refuses connections.
        let address = TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap();
        let endpoint = Arc::new(Endpoint::new(address));
        let request = requests(1).await.pop().unwrap();
        let error = endpoint.send(request, Duration::from_secs(2)).await.unwrap_err();
        assert!(matches!(error, SendError::Connect(_)), "{error}");
    }
}
