//! Backends: hyper servers on 127.0.0.1 that answer with who they are and
//! what they received, as JSON, and echo WebSocket messages.
//!
//! The query steers them: `sleep=MS` answers after MS milliseconds,
//! `download=N` answers N bytes of a known pattern instead of JSON. A
//! request header `x-want-hop: 1` makes the answer carry hop-by-hop headers.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use futures_util::{SinkExt as _, StreamExt as _};
use http::{Request, Response, StatusCode, header};
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use serde_json::json;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::Role;

/// One backend server; stops accepting when dropped.
#[derive(Debug)]
pub struct Backend {
    pub name: Arc<str>,
    pub addr: SocketAddr,
    hits: Arc<AtomicUsize>,
    task: JoinHandle<()>,
}

#[derive(Debug)]
struct State {
    name: Arc<str>,
    hits: Arc<AtomicUsize>,
}

impl Backend {
    /// Starts a backend named `name` on 127.0.0.1, on a port of its own.
    pub async fn start(name: &str) -> Self {
        Self::start_on(name, 0).await
    }

    /// Starts a backend named `name` on 127.0.0.1:`port` (a port that
    /// refused connections until now, say).
    pub async fn start_on(name: &str, port: u16) -> Self {
        let listener = TcpListener::bind(("127.0.0.1", port)).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let name: Arc<str> = name.into();
        let hits = Arc::new(AtomicUsize::new(0));
        let state = Arc::new(State {
            name: Arc::clone(&name),
            hits: Arc::clone(&hits),
        });
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let state = Arc::clone(&state);
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |request| answer(Arc::clone(&state), request));
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .with_upgrades()
                        .await;
                });
            }
        });
        Self { name, addr, hits, task }
    }

    /// Starts `count` backends named `{prefix}-0`, `{prefix}-1`, ...
    pub async fn start_many(prefix: &str, count: usize) -> Vec<Self> {
        let mut backends = Vec::with_capacity(count);
        for index in 0..count {
            backends.push(Self::start(&format!("{prefix}-{index}")).await);
        }
        backends
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Requests received so far (counted on arrival, before any sleep).
    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

impl Drop for Backend {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A loopback port that refuses connections: bound, then closed.
pub fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// A loopback port whose connections never complete: a listener with a
/// backlog of one that never accepts, its queue filled, so that the kernel
/// drops further SYNs. Keep the value alive as long as the port is used.
#[derive(Debug)]
pub struct Stalled {
    pub port: u16,
    _listener: TcpListener,
    _queued: Vec<tokio::net::TcpStream>,
}

impl Stalled {
    pub async fn start() -> Self {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.bind(SocketAddr::from(([127, 0, 0, 1], 0))).unwrap();
        let listener = socket.listen(1).unwrap();
        let addr = listener.local_addr().unwrap();
        let mut queued = Vec::new();
        // Fill the accept queue; once it is full, connects hang.
        for _ in 0..4 {
            match tokio::time::timeout(Duration::from_millis(200), tokio::net::TcpStream::connect(addr)).await {
                Ok(Ok(stream)) => queued.push(stream),
                _ => break,
            }
        }
        Self {
            port: addr.port(),
            _listener: listener,
            _queued: queued,
        }
    }
}

/// FNV-1a, to compare large bodies without echoing them.
pub fn fingerprint(bytes: &[u8]) -> String {
    let hash = bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("{hash:016x}")
}

/// The `download=N` pattern: byte `i` is `b'a' + i % 26`.
pub fn pattern(len: usize) -> Vec<u8> {
    (b'a'..=b'z').cycle().take(len).collect()
}

fn query_number(request: &Request<Incoming>, key: &str) -> Option<u64> {
    request.uri().query()?.split('&').find_map(|pair| {
        let (name, value) = pair.split_once('=')?;
        (name == key).then(|| value.parse().ok()).flatten()
    })
}

async fn answer(state: Arc<State>, mut request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    state.hits.fetch_add(1, Ordering::SeqCst);
    if request.headers().contains_key("sec-websocket-key") {
        return Ok(websocket(&state, &mut request));
    }
    let sleep = query_number(&request, "sleep");
    let download = query_number(&request, "download");
    let want_hop = request.headers().contains_key("x-want-hop");
    let target = request
        .uri()
        .path_and_query()
        .map_or_else(String::new, |target| target.as_str().to_owned());
    let headers: Vec<(String, String)> = request
        .headers()
        .iter()
        .map(|(name, value)| (name.to_string(), String::from_utf8_lossy(value.as_bytes()).into_owned()))
        .collect();
    let method = request.method().to_string();
    let version = format!("{:?}", request.version());
    let body = match request.into_body().collect().await {
        Ok(body) => body.to_bytes(),
        Err(error) => Bytes::from(format!("<body error: {error}>")),
    };
    if let Some(ms) = sleep {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
    let payload = match download {
        Some(len) => Bytes::from(pattern(usize::try_from(len).unwrap())),
        None => {
            let small = (body.len() <= 4096).then(|| String::from_utf8_lossy(&body).into_owned());
            let seen = json!({
                "backend": &*state.name,
                "method": method,
                "target": target,
                "version": version,
                "headers": headers,
                "body_len": body.len(),
                "body_hash": fingerprint(&body),
                "body": small,
            });
            Bytes::from(seen.to_string())
        }
    };
    let mut response = Response::new(Full::new(payload));
    let headers = response.headers_mut();
    headers.insert("x-backend", state.name.parse().unwrap());
    if want_hop {
        headers.insert(header::CONNECTION, "x-backend-private".parse().unwrap());
        headers.insert("x-backend-private", "1".parse().unwrap());
        headers.insert("keep-alive", "timeout=5".parse().unwrap());
    }
    Ok(response)
}

/// Accepts a WebSocket handshake; then every text message comes back as
/// `{name}: {message}`.
fn websocket(state: &State, request: &mut Request<Incoming>) -> Response<Full<Bytes>> {
    let key = request.headers().get("sec-websocket-key").unwrap().as_bytes();
    let accept = derive_accept_key(key);
    let upgrade = hyper::upgrade::on(request);
    let name = Arc::clone(&state.name);
    tokio::spawn(async move {
        let Ok(upgraded) = upgrade.await else { return };
        let mut socket = WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Server, None).await;
        while let Some(Ok(message)) = socket.next().await {
            let reply = match message {
                Message::Text(text) => Message::text(format!("{name}: {}", text.as_str())),
                Message::Close(_) => break,
                _ => continue,
            };
            if socket.send(reply).await.is_err() {
                break;
            }
        }
    });
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let headers = response.headers_mut();
    headers.insert(header::CONNECTION, "upgrade".parse().unwrap());
    headers.insert(header::UPGRADE, "websocket".parse().unwrap());
    headers.insert(header::SEC_WEBSOCKET_ACCEPT, accept.parse().unwrap());
    response
}
