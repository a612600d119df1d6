//! `ingress-gateway serve` end to end, the limits against clients that
//! hold connections open or send heads without end: raw bytes (and a raw
//! HTTP/2 client) on 127.0.0.1, a byte-logging upstream behind the real
//! binary.
//!
//! - a request head over `--max-request-head-bytes`: 431, nothing
//!   upstream; one just under it is forwarded whole;
//! - a first request line that does not end within it: 414;
//! - an HTTP/2 header list over it: 431 on that stream, nothing upstream;
//! - `--max-connections`: a connection over the limit waits (in the listen
//!   queue) and is served once another closes.
// Test code: answers are indexed and unwrapped, and a failure is a panic.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

mod support;

use std::time::Duration;

use support::*;

const HOST: &str = "limits.example";

/// An upstream logging bytes, the gateway in front of it (with `extra`
/// flags), and the directory of their manifests.
async fn setup(extra: &[&str]) -> (RawUpstream, Gateway, ManifestDir) {
    let upstream = RawUpstream::start().await;
    let ingress = IngressYaml::new("limits").rule(Some(HOST), [path("Prefix", "/", service_backend("raw", 80))]);
    let dir = ManifestDir::with_files(&[
        ("class.yaml", &our_default_class()),
        ("raw.yaml", &upstream.service("raw")),
        ("limits.yaml", &ingress.to_yaml()),
    ]);
    let gateway = Gateway::start(dir.path(), extra).await;
    (upstream, gateway, dir)
}

/// A request head of exactly `size` bytes: `GET /` with Host and an
/// `X-Pad` field filling the rest.
fn padded_head(size: usize) -> Vec<u8> {
    let start = format!("GET / HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\nX-Pad: ");
    let end = "\r\n\r\n";
    let pad = size - start.len() - end.len();
    let mut head = start.into_bytes();
    head.extend(std::iter::repeat_n(b'a', pad));
    head.extend_from_slice(end.as_bytes());
    head
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_head_over_the_limit_answers_431_and_nothing_goes_upstream() {
    let (upstream, gateway, _dir) = setup(&["--max-request-head-bytes", "16384"]).await;
    let answer = send(gateway.addr, &padded_head(16_385)).await;
    assert_eq!(answer.status, 431, "{}", answer.text());
    // A head that never ends, as a slow client sends it: answered as soon
    // as it is over the limit, not at the head timeout.
    let mut conn = Conn::open(gateway.addr).await;
    let unfinished = padded_head(40_000);
    conn.write(&unfinished[..30_000]).await;
    assert_eq!(conn.read_answer().await.status, 431);
    assert!(upstream.connections().is_empty(), "{:?}", upstream.connections());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_head_just_under_the_limit_is_forwarded_whole() {
    let (upstream, gateway, _dir) = setup(&["--max-request-head-bytes", "16384"]).await;
    // hyper needs the head's end within its buffer: a little under.
    let head = padded_head(16_000);
    let answer = send(gateway.addr, &head).await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    let received = upstream.connections();
    assert_eq!(received.len(), 1);
    let text = received[0].text().to_ascii_lowercase();
    let sent_pad = head.len() - format!("GET / HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\nX-Pad: ").len() - 4;
    assert!(
        text.contains(&format!("x-pad: {}\r\n", "a".repeat(sent_pad))),
        "the pad of {sent_pad} bytes did not arrive whole: {} bytes upstream",
        text.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_request_line_over_the_limit_answers_414() {
    let (upstream, gateway, _dir) = setup(&["--max-request-head-bytes", "8192"]).await;
    let target = format!("/{}", "a".repeat(9000));
    let answer = get(gateway.addr, HOST, &target).await;
    assert_eq!(answer.status, 414, "{}", answer.text());
    assert!(upstream.connections().is_empty());
    // A line that ends within the limit, with fields beyond it: 431.
    let mut head = format!("GET /{} HTTP/1.1\r\nHost: {HOST}\r\nX-Pad: ", "a".repeat(4000)).into_bytes();
    head.extend(std::iter::repeat_n(b'b', 9000));
    head.extend_from_slice(b"\r\n\r\n");
    assert_eq!(send(gateway.addr, &head).await.status, 431);
    assert!(upstream.connections().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_http2_header_list_over_the_limit_answers_431() {
    let (upstream, gateway, _dir) = setup(&["--max-request-head-bytes", "16384"]).await;
    let tcp = tokio::net::TcpStream::connect(gateway.addr).await.unwrap();
    let (client, connection) = step("h2 handshake", h2::client::handshake(tcp)).await.unwrap();
    let driver = tokio::spawn(connection);
    let mut client = step("h2 ready", client.ready()).await.unwrap();
    let request = |pad: usize| {
        http::Request::get(format!("http://{HOST}/"))
            .header("x-pad", "a".repeat(pad))
            .body(())
            .unwrap()
    };
    // Over the limit, as RFC 9113 counts a header list (each field's name
    // and value, and 32 more).
    let (response, _) = client.send_request(request(17_000), true).unwrap();
    let response = step("h2 answer", response).await.unwrap();
    assert_eq!(response.status(), 431);
    assert!(upstream.connections().is_empty());
    // The connection goes on; a list under the limit is forwarded.
    let mut client = step("h2 ready", client.ready()).await.unwrap();
    let (response, _) = client.send_request(request(10_000), true).unwrap();
    let response = step("h2 answer", response).await.unwrap();
    assert_eq!(response.status(), 200);
    let received = upstream.connections();
    assert_eq!(received.len(), 1);
    assert!(received[0].text().contains(&"a".repeat(10_000)));
    driver.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_over_the_limit_waits_and_is_served_once_one_closes() {
    let (_upstream, gateway, _dir) = setup(&["--max-connections", "5"]).await;
    let keep_alive = request("GET", "/", Some(HOST), &[("Connection", "keep-alive")], b"");
    let mut open = Vec::new();
    for _ in 0..5 {
        let mut conn = Conn::open(gateway.addr).await;
        conn.write(&keep_alive).await;
        assert_eq!(conn.read_answer().await.status, 200);
        open.push(conn);
    }
    // The 6th connects (the kernel queues it) but is not served...
    let mut sixth = Conn::open(gateway.addr).await;
    sixth.write(&keep_alive).await;
    let waited = tokio::time::timeout(Duration::from_millis(500), sixth.read_answer()).await;
    assert!(waited.is_err(), "served over the limit: {:?}", waited.map(|a| a.status));
    let metrics = gateway.metrics().await;
    assert!(metrics.contains("ingress_connections_open 5\n"), "{metrics}");
    // ...until one of the five closes.
    drop(open.pop());
    assert_eq!(sixth.read_answer().await.status, 200);
    let metrics = gateway.metrics().await;
    assert!(
        metrics.contains("ingress_connection_limit_waits_total 1\n"),
        "{metrics}"
    );
    assert!(metrics.contains("ingress_connections_open 5\n"), "{metrics}");
}
