//! hyper's HTTP/1 client reading of a response head: the second opinion
//! the `response_head` target compares the gateway's framing with.
//!
//! A hyper client connection on one end of an in-memory pipe sends one
//! request with the given method; the other end reads it, answers with
//! the head and shuts its writing side, and hyper reads the answer.
//! Nothing touches a socket.

use std::sync::LazyLock;

use http::{Method, Request, StatusCode, Version};
use hyper::body::Body as _;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _, DuplexStream};
use tokio::runtime::Runtime;

/// What hyper's client made of a response head.
#[derive(Debug)]
pub struct HyperReading {
    /// The status of the answer hyper returned.
    pub status: StatusCode,
    /// Its version.
    pub version: Version,
    /// The exact length hyper expects of the body: `Some(n)` for a
    /// `Content-Length` body (0 for HEAD, 204 and 304 answers), `None`
    /// for a chunked body or one that runs to the close.
    pub exact_length: Option<u64>,
}

static RUNTIME: LazyLock<Option<Runtime>> =
    LazyLock::new(|| tokio::runtime::Builder::new_current_thread().build().ok());

/// hyper's reading of `head` as the answer to a `method` request, or
/// `None` when hyper refuses it (or the runtime could not be built).
pub fn read_head(head: &[u8], method: &Method) -> Option<HyperReading> {
    let runtime = RUNTIME.as_ref()?;
    runtime.block_on(async {
        let (client, upstream) = tokio::io::duplex(head.len() + 4096);
        let (mut sender, connection) = hyper::client::conn::http1::handshake::<_, String>(TokioIo::new(client))
            .await
            .ok()?;
        let driver = tokio::spawn(connection);
        let request = Request::builder()
            .method(method.clone())
            .uri("/")
            .header("host", "upstream")
            .body(String::new())
            .ok()?;
        // The upstream answers once it has read the request, as a server
        // does: bytes that come before it are no answer to hyper.
        let (answer, _) = tokio::join!(sender.send_request(request), answer_after_request(upstream, head));
        driver.abort();
        let response = answer.ok()?;
        Some(HyperReading {
            status: response.status(),
            version: response.version(),
            exact_length: response.body().size_hint().exact(),
        })
    })
}

/// Reads the request head (the request has no body), then writes `head`
/// and shuts the writing side.
async fn answer_after_request(mut upstream: DuplexStream, head: &[u8]) -> Option<()> {
    let mut request = Vec::new();
    while !request.ends_with(b"\r\n\r\n") {
        let mut byte = [0_u8; 1];
        if upstream.read(&mut byte).await.ok()? == 0 {
            return None;
        }
        request.extend_from_slice(&byte);
    }
    upstream.write_all(head).await.ok()?;
    upstream.shutdown().await.ok()
}
