//! What the upstream tests share: requests with real `Incoming` bodies
//! (from a hyper server over an in-memory pipe), in-memory upstreams that
//! follow a script, and the sending of one request.

use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderValue, Request, Response};
use http_body_util::BodyExt as _;
use hyper::body::Incoming;
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWriteExt as _, DuplexStream};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

use super::connection::Connect;
use super::h1::{Forwarded, response_head_end};
use super::{Endpoint, Error, Outbound, Pool, SendError, UpstreamBody};

/// Room in each direction of a test pipe.
const PIPE: usize = 64 * 1024;

/// A connector whose connections are in-memory pipes: the upstream's ends
/// come out of the [`Accepted`] made with it.
#[derive(Debug)]
pub(super) struct Pipes {
    sink: UnboundedSender<DuplexStream>,
    made: Arc<AtomicUsize>,
}

/// The upstream's side of [`Pipes`].
#[derive(Debug)]
pub(super) struct Accepted {
    source: UnboundedReceiver<DuplexStream>,
    made: Arc<AtomicUsize>,
}

pub(super) fn pipes() -> (Pipes, Accepted) {
    let (sink, source) = unbounded_channel();
    let made = Arc::new(AtomicUsize::new(0));
    (
        Pipes {
            sink,
            made: Arc::clone(&made),
        },
        Accepted { source, made },
    )
}

impl Connect for Pipes {
    type Io = DuplexStream;

    async fn connect(&self, _address: SocketAddr) -> io::Result<DuplexStream> {
        let (ours, theirs) = tokio::io::duplex(PIPE);
        self.sink
            .send(theirs)
            .map_err(|_| io::Error::from(io::ErrorKind::ConnectionRefused))?;
        self.made.fetch_add(1, Ordering::SeqCst);
        Ok(ours)
    }
}

impl Accepted {
    /// The next connection made.
    pub(super) async fn accept(&mut self) -> DuplexStream {
        self.source.recv().await.expect("the pool is alive")
    }

    /// A counter of the connections made so far.
    pub(super) fn made(&self) -> Arc<AtomicUsize> {
        Arc::clone(&self.made)
    }
}

/// Where every test endpoint says it is.
pub(super) const ADDRESS: SocketAddr = SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 8080);

/// An endpoint of a pool of its own, over in-memory pipes.
pub(super) fn endpoint() -> (Arc<Endpoint<Pipes>>, Arc<Pool<Pipes>>, Accepted) {
    let (pipes, accepted) = pipes();
    let pool = Pool::new(pipes);
    (Arc::new(pool.endpoint(ADDRESS)), pool, accepted)
}

/// What a test upstream does with each request on a connection, in order;
/// after the last, it closes the connection.
#[derive(Debug, Clone, Copy)]
pub(super) enum Reply {
    /// Writes these bytes (a whole answer).
    Answer(&'static str),
    /// Reads the request head, then closes without a word (as an upstream
    /// whose keep-alive timeout fired under the request).
    Hang,
}

pub(super) const HELLO: Reply = Reply::Answer("HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello");

/// What a scripted upstream counts.
#[derive(Debug, Clone)]
pub(super) struct Counts {
    made: Arc<AtomicUsize>,
    deletes: Arc<AtomicUsize>,
}

impl Counts {
    /// Connections made to it.
    pub(super) fn connections(&self) -> usize {
        self.made.load(Ordering::SeqCst)
    }

    /// DELETE request heads it has read.
    pub(super) fn deletes(&self) -> usize {
        self.deletes.load(Ordering::SeqCst)
    }
}

/// An endpoint whose every connection gets the same `replies`.
pub(super) fn scripted(replies: &'static [Reply]) -> (Arc<Endpoint<Pipes>>, Arc<Pool<Pipes>>, Counts) {
    let (endpoint, pool, mut accepted) = endpoint();
    let counts = Counts {
        made: accepted.made(),
        deletes: Arc::new(AtomicUsize::new(0)),
    };
    let deletes = Arc::clone(&counts.deletes);
    tokio::spawn(async move {
        while let Some(stream) = accepted.source.recv().await {
            tokio::spawn(follow(stream, replies, Arc::clone(&deletes)));
        }
    });
    (endpoint, pool, counts)
}

/// One connection of a scripted upstream.
async fn follow(mut stream: DuplexStream, replies: &'static [Reply], deletes: Arc<AtomicUsize>) {
    let mut buffer = Vec::new();
    for reply in replies {
        // Read one request head (bodies are left unread).
        while response_head_end(&buffer, 0).is_none() {
            let mut chunk = [0_u8; 1024];
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buffer.extend_from_slice(chunk.get(..n).unwrap_or_default()),
            }
        }
        let end = response_head_end(&buffer, 0).unwrap_or_default();
        let head: Vec<u8> = buffer.drain(..end).collect();
        if head.starts_with(b"DELETE") {
            deletes.fetch_add(1, Ordering::SeqCst);
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
}

/// A hyper server over an in-memory pipe handing over the requests it gets
/// (answering each after `hold`), and the client's end of the pipe.
async fn downstream(hold: Duration) -> (DuplexStream, UnboundedReceiver<Request<Incoming>>) {
    let (client, server) = tokio::io::duplex(PIPE);
    let (sink, source) = unbounded_channel();
    tokio::spawn(async move {
        let service = hyper::service::service_fn(move |request: Request<Incoming>| {
            let _ = sink.send(request);
            async move {
                tokio::time::sleep(hold).await;
                Ok::<_, Infallible>(Response::new(http_body_util::Empty::<Bytes>::new()))
            }
        });
        let _ = hyper::server::conn::http1::Builder::new()
            .serve_connection(hyper_util::rt::TokioIo::new(server), service)
            .await;
    });
    (client, source)
}

/// `request` with its target in origin form, as the proxy sends it on.
fn origin_form(request: Request<Incoming>) -> Request<Incoming> {
    let (mut parts, body) = request.into_parts();
    if let Some(target) = parts.uri.path_and_query().cloned() {
        parts.uri = http::Uri::from(target);
    }
    Request::from_parts(parts, body)
}

/// Requests with `Incoming` bodies, as the server hands them over: the raw
/// `texts` sent one after the other on one connection.
pub(super) async fn requests(texts: &[&'static str]) -> Vec<Request<Incoming>> {
    let (mut client, mut source) = downstream(Duration::ZERO).await;
    let mut taken = Vec::new();
    for text in texts {
        client.write_all(text.as_bytes()).await.expect("the server reads");
        taken.push(origin_form(source.recv().await.expect("a request")));
    }
    // The client side stays open while the bodies are read.
    std::mem::forget(client);
    taken
}

/// `count` GET requests.
pub(super) async fn gets(count: usize) -> Vec<Request<Incoming>> {
    requests(&vec!["GET /x HTTP/1.1\r\nhost: a.test\r\n\r\n"; count]).await
}

/// One GET request.
pub(super) async fn get() -> Request<Incoming> {
    requests(&["GET /x HTTP/1.1\r\nhost: a.test\r\n\r\n"])
        .await
        .pop()
        .expect("one request")
}

/// One request as the server hands it over, and the client's end of its
/// connection (to send more of its body), answered after 5 s.
pub(super) async fn request_and_client(text: &'static str) -> (Request<Incoming>, DuplexStream) {
    let (mut client, mut source) = downstream(Duration::from_secs(5)).await;
    client.write_all(text.as_bytes()).await.expect("the server reads");
    (origin_form(source.recv().await.expect("a request")), client)
}

/// Reads from `stream` onto `got` until `enough(got)`; the stream must not
/// end first.
pub(super) async fn read_until(
    stream: &mut (impl AsyncRead + Unpin),
    got: &mut Vec<u8>,
    enough: impl Fn(&[u8]) -> bool,
) {
    let mut piece = [0_u8; 1024];
    while !enough(got) {
        let n = stream.read(&mut piece).await.expect("readable");
        assert_ne!(n, 0, "closed after {:?}", String::from_utf8_lossy(got));
        got.extend_from_slice(piece.get(..n).unwrap_or_default());
    }
}

/// `request` as it goes upstream.
pub(super) fn outbound(request: Request<Incoming>) -> Outbound {
    let (parts, body) = request.into_parts();
    let forwarded = Forwarded {
        client: &HeaderValue::from_static("127.0.0.1"),
        host: None,
    };
    Outbound::new(&parts, body, &forwarded)
}

/// Sends `request` to `endpoint`.
pub(super) async fn send<C: Connect>(
    endpoint: &Arc<Endpoint<C>>,
    request: Request<Incoming>,
) -> Result<Response<UpstreamBody<C>>, Error> {
    endpoint
        .send(outbound(request), None)
        .await
        .map_err(SendError::into_error)
}

/// The whole body, as text.
pub(super) async fn text<C: Connect>(response: Response<UpstreamBody<C>>) -> String {
    let body = response.into_body().collect().await.expect("a whole body").to_bytes();
    String::from_utf8(body.to_vec()).expect("text")
}
