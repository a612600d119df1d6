//! Clients: raw HTTP/1.1 over a TCP stream, so that tests send exactly the
//! bytes they mean (odd Hosts, dot segments, no Host at all), and hyper's
//! pooled client for keep-alive and HTTP/2 traffic.

use std::convert::Infallible;
use std::future::{Ready, ready};
use std::net::SocketAddr;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{Request, Version};
use http_body_util::{BodyExt as _, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::connect::dns::Name;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::net::TcpStream;

use super::step;

/// A response as the client read it.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    /// Header names lower-cased, in order.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// What the backend reported it received; fails unless a backend
    /// answered 200.
    pub fn seen(&self) -> Seen {
        assert_eq!(self.status, 200, "expected a backend's answer, got: {}", self.text());
        let json: Value = serde_json::from_slice(&self.body)
            .unwrap_or_else(|error| panic!("not a backend's JSON ({error}): {}", self.text()));
        Seen(json)
    }

    /// The backend that answered (its `x-backend` header), if one did.
    pub fn backend(&self) -> Option<&str> {
        self.header("x-backend")
    }
}

/// A backend's report of the request it received.
#[derive(Debug, Clone)]
pub struct Seen(pub Value);

impl Seen {
    pub fn backend(&self) -> &str {
        self.0["backend"].as_str().unwrap()
    }

    pub fn method(&self) -> &str {
        self.0["method"].as_str().unwrap()
    }

    /// The request-target the backend received: path and query.
    pub fn target(&self) -> &str {
        self.0["target"].as_str().unwrap()
    }

    /// Every value of header `name`, in order.
    pub fn headers(&self, name: &str) -> Vec<&str> {
        self.0["headers"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|pair| pair[0].as_str().is_some_and(|n| n.eq_ignore_ascii_case(name)))
            .filter_map(|pair| pair[1].as_str())
            .collect()
    }

    /// The single value of header `name`; fails if it came several times.
    pub fn header(&self, name: &str) -> Option<&str> {
        let values = self.headers(name);
        assert!(
            values.len() <= 1,
            "header {name} received {} times: {values:?}",
            values.len()
        );
        values.first().copied()
    }

    pub fn body_len(&self) -> u64 {
        self.0["body_len"].as_u64().unwrap()
    }

    pub fn body_hash(&self) -> &str {
        self.0["body_hash"].as_str().unwrap()
    }
}

/// A request's bytes: `method target HTTP/1.1`, `Host` when given, the
/// extra headers, `Content-Length` when there is a body, and
/// `Connection: close` unless the extra headers name a `Connection`.
pub fn request(method: &str, target: &str, host: Option<&str>, extra: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut head = format!("{method} {target} HTTP/1.1\r\n");
    if let Some(host) = host {
        head.push_str(&format!("Host: {host}\r\n"));
    }
    for (name, value) in extra {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    if !body.is_empty() {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    if !extra.iter().any(|(name, _)| name.eq_ignore_ascii_case("connection")) {
        head.push_str("Connection: close\r\n");
    }
    head.push_str("\r\n");
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

/// Sends `bytes` on a new connection to `addr` and reads one answer.
pub async fn send(addr: SocketAddr, bytes: &[u8]) -> Answer {
    let mut conn = Conn::open(addr).await;
    conn.write(bytes).await;
    conn.read_answer().await
}

/// `GET target` with `Host: host` on a new connection.
pub async fn get(addr: SocketAddr, host: &str, target: &str) -> Answer {
    send(addr, &request("GET", target, Some(host), &[], b"")).await
}

/// [`get`] that reports a failure (no connection, a timeout, a malformed
/// answer) instead of failing the test, for clients that keep count.
pub async fn try_get(addr: SocketAddr, host: &str, target: &str) -> Result<Answer, String> {
    let (host, owned) = (host.to_owned(), target.to_owned());
    tokio::spawn(async move { get(addr, &host, &owned).await })
        .await
        .map_err(|error| format!("{target}: {error}"))
}

/// One client connection, for keep-alive and for sending in parts.
#[derive(Debug)]
pub struct Conn {
    stream: BufReader<TcpStream>,
}

impl Conn {
    pub async fn open(addr: SocketAddr) -> Self {
        let stream = step(&format!("connect to {addr}"), TcpStream::connect(addr))
            .await
            .unwrap_or_else(|error| panic!("connect to {addr}: {error}"));
        Self {
            stream: BufReader::new(stream),
        }
    }

    pub async fn write(&mut self, bytes: &[u8]) {
        step("send a request", self.stream.get_mut().write_all(bytes))
            .await
            .unwrap();
    }

    /// Reads one final answer (skipping 1xx interim ones other than 101),
    /// its body delimited by Content-Length, chunked coding or the end of
    /// the connection.
    pub async fn read_answer(&mut self) -> Answer {
        step("read an answer", async {
            loop {
                let answer = self.read_one().await;
                if !(100..200).contains(&answer.status) || answer.status == 101 {
                    return answer;
                }
            }
        })
        .await
    }

    /// Reads one answer's head, and its body unless it is 1xx.
    pub async fn read_one(&mut self) -> Answer {
        let mut answer = self.read_head().await;
        if (100..200).contains(&answer.status) {
            return answer;
        }
        answer.body = self.read_body(&answer).await;
        answer
    }

    /// Reads one answer's head only (as for HEAD requests), body empty.
    pub async fn read_head(&mut self) -> Answer {
        let status_line = self.line().await;
        let status = status_line
            .split(' ')
            .nth(1)
            .and_then(|code| code.parse().ok())
            .unwrap_or_else(|| panic!("not a status line: {status_line:?}"));
        let mut headers = Vec::new();
        loop {
            let line = self.line().await;
            if line.is_empty() {
                break;
            }
            let (name, value) = line.split_once(':').unwrap();
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
        }
        Answer {
            status,
            headers,
            body: Vec::new(),
        }
    }

    async fn read_body(&mut self, answer: &Answer) -> Vec<u8> {
        let mut body = Vec::new();
        if let Some(len) = answer.header("content-length") {
            body = vec![0; len.parse().unwrap()];
            self.stream.read_exact(&mut body).await.unwrap();
        } else if answer
            .header("transfer-encoding")
            .is_some_and(|coding| coding.eq_ignore_ascii_case("chunked"))
        {
            loop {
                let size = self.line().await;
                let size = usize::from_str_radix(size.split(';').next().unwrap().trim(), 16).unwrap();
                let mut chunk = vec![0; size + 2];
                self.stream.read_exact(&mut chunk).await.unwrap();
                chunk.truncate(size);
                if size == 0 {
                    // Trailers, if any, end with an empty line.
                    while !self.line().await.is_empty() {}
                    break;
                }
                body.extend_from_slice(&chunk);
            }
        } else {
            self.stream.read_to_end(&mut body).await.unwrap();
        }
        body
    }

    /// Waits for the server to end the connection; `true` when it does
    /// without sending anything more (EOF or reset).
    pub async fn closed_silently(&mut self) -> bool {
        let mut rest = Vec::new();
        match self.stream.read_to_end(&mut rest).await {
            Ok(_) => rest.is_empty(),
            Err(_) => true,
        }
    }

    /// Reads until the server ends the connection (EOF or reset): what
    /// came before the end.
    pub async fn read_rest(&mut self) -> Vec<u8> {
        let mut rest = Vec::new();
        let _ = step("read to the end", self.stream.read_to_end(&mut rest)).await;
        rest
    }

    async fn line(&mut self) -> String {
        let mut line = Vec::new();
        self.stream.read_until(b'\n', &mut line).await.unwrap();
        assert!(line.ends_with(b"\n"), "connection ended in a head: {line:?}");
        String::from_utf8(line)
            .unwrap()
            .trim_end_matches(['\r', '\n'])
            .to_owned()
    }
}

/// Resolves every name to 127.0.0.1, so that a URI can carry the Host a
/// test chooses while the connection goes to the gateway on loopback.
#[derive(Debug, Clone, Copy)]
pub struct Loopback;

impl tower::Service<Name> for Loopback {
    type Response = std::iter::Once<SocketAddr>;
    type Error = Infallible;
    type Future = Ready<Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _: Name) -> Self::Future {
        ready(Ok(std::iter::once(SocketAddr::from(([127, 0, 0, 1], 0)))))
    }
}

/// hyper's pooled client (keep-alive connections reused across requests).
#[derive(Debug, Clone)]
pub struct Pooled {
    client: Client<HttpConnector<Loopback>, Empty<Bytes>>,
    port: u16,
    version: Version,
}

impl Pooled {
    /// HTTP/1.1 with keep-alive, to the gateway at `addr`.
    pub fn http1(addr: SocketAddr) -> Self {
        let connector = HttpConnector::new_with_resolver(Loopback);
        Self {
            client: Client::builder(TokioExecutor::new()).build(connector),
            port: addr.port(),
            version: Version::HTTP_11,
        }
    }

    /// HTTP/2 over cleartext, with prior knowledge.
    pub fn http2(addr: SocketAddr) -> Self {
        let connector = HttpConnector::new_with_resolver(Loopback);
        Self {
            client: Client::builder(TokioExecutor::new()).http2_only(true).build(connector),
            port: addr.port(),
            version: Version::HTTP_2,
        }
    }

    /// `GET http://{host}:{port}{path}` (Host over HTTP/1.1, :authority over
    /// HTTP/2); the answer, or why there is none.
    pub async fn get(&self, host: &str, path: &str) -> Result<Answer, String> {
        let request = Request::get(format!("http://{host}:{}{path}", self.port))
            .version(self.version)
            .body(Empty::new())
            .map_err(|e| e.to_string())?;
        let exchange = async {
            let response = self.client.request(request).await.map_err(|e| format!("{e:?}"))?;
            let (parts, body) = response.into_parts();
            let body = body.collect().await.map_err(|e| format!("{e:?}"))?.to_bytes();
            Ok::<_, String>(Answer {
                status: parts.status.as_u16(),
                headers: parts
                    .headers
                    .iter()
                    .map(|(n, v)| (n.to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
                    .collect(),
                body: body.to_vec(),
            })
        };
        tokio::time::timeout(super::STEP, exchange)
            .await
            .map_err(|_| "timed out".to_owned())?
    }
}
