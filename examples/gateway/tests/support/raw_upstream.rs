//! An upstream that logs the bytes it receives, per connection, so that a
//! test can say exactly what went upstream: nothing, a head alone, a body
//! cut short, and on which connection.
//!
//! It answers `200 OK` with body `ok` once a whole request has come (the
//! head, then `Content-Length` bytes or a chunked body up to its last
//! chunk); a request that never completes gets no answer. Connections are
//! kept alive, so a gateway may reuse them. [`RawUpstream::start_eager`]
//! answers each head at once instead, with a chunked body it never ends.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use ingress_test_support::{EndpointSliceYaml, ServiceYaml, documents};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// What one connection brought.
#[derive(Debug, Clone, Default)]
pub struct Received {
    /// Every byte read, in order.
    pub bytes: Vec<u8>,
    /// The peer closed (or reset) the connection.
    pub closed: bool,
    /// Answers given on it.
    pub answered: usize,
}

impl Received {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }
}

/// The upstream; stops accepting when dropped.
#[derive(Debug)]
pub struct RawUpstream {
    pub addr: SocketAddr,
    connections: Arc<Mutex<Vec<Received>>>,
    task: JoinHandle<()>,
}

impl RawUpstream {
    /// Listens on 127.0.0.1, on a port of its own.
    pub async fn start() -> Self {
        Self::listen(false).await
    }

    /// Like [`RawUpstream::start`], but answers as soon as a request head
    /// has come: `200 OK`, chunked, one chunk `ok`, and no last chunk.
    pub async fn start_eager() -> Self {
        Self::listen(true).await
    }

    async fn listen(eager: bool) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let connections: Arc<Mutex<Vec<Received>>> = Arc::default();
        let log = Arc::clone(&connections);
        let task = tokio::spawn(async move {
            loop {
                let Ok((mut stream, _)) = listener.accept().await else {
                    continue;
                };
                let index = {
                    let mut log = log.lock().unwrap();
                    log.push(Received::default());
                    log.len() - 1
                };
                let log = Arc::clone(&log);
                tokio::spawn(async move {
                    let mut pending = Vec::new();
                    let mut buffer = [0_u8; 16 * 1024];
                    loop {
                        let read = stream.read(&mut buffer).await.unwrap_or(0);
                        let answers = {
                            let mut log = log.lock().unwrap();
                            let entry = &mut log[index];
                            if read == 0 {
                                entry.closed = true;
                                return;
                            }
                            entry.bytes.extend_from_slice(&buffer[..read]);
                            pending.extend_from_slice(&buffer[..read]);
                            let mut answers = 0;
                            let complete = if eager { head_end } else { complete_request };
                            while let Some(used) = complete(&pending) {
                                pending.drain(..used);
                                answers += 1;
                            }
                            entry.answered += answers;
                            answers
                        };
                        for _ in 0..answers {
                            let answer: &[u8] = if eager {
                                b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\nok\r\n"
                            } else {
                                b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"
                            };
                            if stream.write_all(answer).await.is_err() {
                                return;
                            }
                        }
                    }
                });
            }
        });
        Self {
            addr,
            connections,
            task,
        }
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// What each connection accepted so far brought, in accepting order.
    pub fn connections(&self) -> Vec<Received> {
        self.connections.lock().unwrap().clone()
    }

    /// Service `name` (port 80 named `http`) whose one ready endpoint is
    /// this upstream, as one file's text.
    pub fn service(&self, name: &str) -> String {
        documents([
            ServiceYaml::new(name).port(Some("http"), 80, Some("http")).to_yaml(),
            EndpointSliceYaml::new(&format!("{name}-0"), name)
                .port(Some("http"), self.port())
                .endpoint("127.0.0.1", Some(true))
                .to_yaml(),
        ])
    }
}

impl Drop for RawUpstream {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The length of the first request head in `bytes`, if one is there.
fn head_end(bytes: &[u8]) -> Option<usize> {
    Some(bytes.windows(4).position(|window| window == b"\r\n\r\n")? + 4)
}

/// The length of the first whole request in `bytes`, if one is there.
fn complete_request(bytes: &[u8]) -> Option<usize> {
    let head_end = head_end(bytes)?;
    let head = String::from_utf8_lossy(&bytes[..head_end]).to_ascii_lowercase();
    let field = |name: &str| {
        head.lines()
            .find_map(|line| line.strip_prefix(name).map(|value| value.trim().to_owned()))
    };
    if let Some(length) = field("content-length:") {
        let end = head_end + length.parse::<usize>().ok()?;
        return (bytes.len() >= end).then_some(end);
    }
    if field("transfer-encoding:").is_some() {
        let body = &bytes[head_end..];
        let last = body.windows(5).position(|window| window == b"0\r\n\r\n")?;
        // The last chunk starts the body or follows a chunk's CRLF.
        if last == 0 || body[..last].ends_with(b"\r\n") {
            return Some(head_end + last + 5);
        }
        return None;
    }
    Some(head_end)
}
