//! `ingress-gateway serve` end to end, strict request framing: what the
//! client gets for a request the gateway will not forward as sent, and
//! what the upstream saw of it. Raw bytes in from a client on 127.0.0.1,
//! a byte-logging upstream on 127.0.0.1 behind the real binary.
//!
//! - invalid chunk syntax in a request body: 400, the upstream exchange cut
//!   off (the head, and the chunks before the fault, never a last chunk),
//!   its connection closed and never reused;
//! - a transfer coding other than one final `chunked`: 501 from the gateway
//!   (or 400 from hyper's server, where `chunked` is not last), nothing
//!   upstream;
//! - `TRACE`: 405 with `Allow`, unless `--allow-trace`;
//! - `Upgrade: h2c`: not forwarded; the request goes on as a plain one;
//! - a target over 65534 bytes: 414, as `route` says.
// Test code: answers are indexed and unwrapped, and a failure is a panic.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

mod support;

use support::*;

const HOST: &str = "strict.example";

/// An upstream logging bytes, the gateway in front of it (with `extra`
/// flags), and the directory of their manifests.
async fn setup(upstream: RawUpstream, extra: &[&str]) -> (RawUpstream, Gateway, ManifestDir) {
    let ingress = IngressYaml::new("strict").rule(Some(HOST), [path("Prefix", "/", service_backend("raw", 80))]);
    let dir = ManifestDir::with_files(&[
        ("class.yaml", &our_default_class()),
        ("raw.yaml", &upstream.service("raw")),
        ("strict.yaml", &ingress.to_yaml()),
    ]);
    let gateway = Gateway::start(dir.path(), extra).await;
    (upstream, gateway, dir)
}

/// A request head for `/u` as the client sends it, with `fields` as given.
fn head(method: &str, fields: &[&str]) -> String {
    head_for(method, "/u", fields)
}

/// A request head for `target` as the client sends it.
fn head_for(method: &str, target: &str, fields: &[&str]) -> String {
    let mut head = format!("{method} {target} HTTP/1.1\r\nHost: {HOST}\r\n");
    for field in fields {
        head.push_str(field);
        head.push_str("\r\n");
    }
    head.push_str("\r\n");
    head
}

/// The head a request reached the upstream with, and what followed it.
fn split_head(received: &Received) -> (String, Vec<u8>) {
    let end = received
        .bytes
        .windows(4)
        .position(|window| window == b"\r\n\r\n")
        .unwrap()
        + 4;
    (
        String::from_utf8_lossy(&received.bytes[..end]).to_ascii_lowercase(),
        received.bytes[end..].to_vec(),
    )
}

/// The head of the request for `target` as the upstream got it, lower-cased.
fn upstream_head(upstream: &RawUpstream, method: &str, target: &str) -> String {
    let line = format!("{method} {target} HTTP/1.1\r\n");
    upstream
        .connections()
        .iter()
        .find_map(|received| {
            let text = received.text();
            let start = text.find(&line)?;
            let end = text[start..].find("\r\n\r\n")? + start + 4;
            Some(text[start..end].to_ascii_lowercase())
        })
        .unwrap_or_else(|| panic!("{method} {target} never went upstream"))
}

/// Waits until the upstream saw its connection `index` closed.
async fn closed_upstream(upstream: &RawUpstream, index: usize) -> Received {
    eventually("the upstream connection closed", STEP, || {
        let connection = upstream.connections().get(index).cloned();
        async move { connection.filter(|connection| connection.closed) }
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chunk_syntax_errors_answer_400_and_the_upstream_exchange_is_cut_off() {
    let (upstream, gateway, _dir) = setup(RawUpstream::start().await, &[]).await;
    // (the fault, the body, what the upstream gets of it after the head)
    let cases: [(&str, &[u8], &[u8]); 5] = [
        (
            "hex prefix",
            b"5\r\nhello\r\n0x5\r\nhello\r\n0\r\n\r\n",
            b"5\r\nhello\r\n",
        ),
        ("negative size", b"-5\r\nhello\r\n0\r\n\r\n", b""),
        ("size over 2^64", b"100000000000000000\r\nhello\r\n0\r\n\r\n", b""),
        ("no CRLF after the data", b"5\r\nhelloX0\r\n\r\n", b"5\r\nhello\r\n"),
        ("bare CR", b"5\rhello\r\n0\r\n\r\n", b""),
    ];
    for (case, (fault, body, forwarded)) in cases.into_iter().enumerate() {
        // A good request first: its upstream connection goes back to the
        // pool, and the faulty request may take it.
        let warm = send(gateway.addr, &request("GET", "/warm", Some(HOST), &[], b"")).await;
        assert_eq!(warm.status, 200, "{fault}: {}", warm.text());

        let mut conn = Conn::open(gateway.addr).await;
        let target = format!("/upload/{case}");
        let mut bytes = head_for("POST", &target, &["Transfer-Encoding: chunked"]).into_bytes();
        bytes.extend_from_slice(body);
        conn.write(&bytes).await;
        let answer = conn.read_answer().await;
        assert_eq!(answer.status, 400, "{fault}: {}", answer.text());
        assert!(
            answer.text().starts_with("400 Bad Request"),
            "{fault}: {}",
            answer.text()
        );
        assert!(
            conn.closed_silently().await,
            "{fault}: the client connection stays open"
        );

        // The connection the faulty head went up on: that head, the chunks
        // before the fault, no last chunk; then closed, and never used again.
        // (The upstream reads on its own: the head may be logged a moment
        // after the client has its answer.)
        let line = format!("POST {target} HTTP/1.1\r\n");
        let index = eventually(&format!("{fault}: the head went upstream"), STEP, || {
            let index = upstream
                .connections()
                .iter()
                .position(|received| received.text().contains(&line));
            async move { index }
        })
        .await;
        let cut = closed_upstream(&upstream, index).await;
        let text = cut.text();
        let (_, rest) = text.split_at(text.find(&line).unwrap());
        let (up_head, rest) = rest.split_at(rest.find("\r\n\r\n").unwrap() + 4);
        let up_head = up_head.to_ascii_lowercase();
        assert!(up_head.contains("transfer-encoding: chunked\r\n"), "{fault}: {up_head}");
        assert_eq!(rest.as_bytes(), forwarded, "{fault}: {text}");

        let next = send(
            gateway.addr,
            &request("GET", &format!("/after/{case}"), Some(HOST), &[], b""),
        )
        .await;
        assert_eq!(next.status, 200, "{fault}: {}", next.text());
        let connections = upstream.connections();
        let after = connections
            .iter()
            .rposition(|received| received.text().contains(&format!("GET /after/{case} ")))
            .unwrap();
        assert_ne!(after, index, "{fault}: the cut-off connection was reused");
        assert_eq!(
            upstream.connections()[index].bytes,
            cut.bytes,
            "{fault}: more went on it"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_failing_after_the_answer_head_closes_the_client_connection() {
    // The upstream answers the head at once, with a body it has not ended.
    let (upstream, gateway, _dir) = setup(RawUpstream::start_eager().await, &[]).await;
    let mut conn = Conn::open(gateway.addr).await;
    let mut bytes = head("POST", &["Transfer-Encoding: chunked"]).into_bytes();
    bytes.extend_from_slice(b"5\r\nhello\r\n");
    conn.write(&bytes).await;
    let answer = conn.read_head().await;
    assert_eq!(answer.status, 200);
    // Now the fault: the answer cannot end as if whole; the connection
    // ends without a last chunk.
    conn.write(b"zz\r\nhello\r\n0\r\n\r\n").await;
    let rest = conn.read_rest().await;
    assert!(
        !rest.windows(5).any(|window| window == b"0\r\n\r\n"),
        "the answer ended as if whole: {:?}",
        String::from_utf8_lossy(&rest)
    );
    let cut = closed_upstream(&upstream, 0).await;
    let (_, forwarded) = split_head(&cut);
    assert_eq!(forwarded, b"5\r\nhello\r\n", "{}", cut.text());
    assert_eq!(upstream.connections().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transfer_codings_other_than_one_chunked_are_not_forwarded() {
    let (upstream, gateway, _dir) = setup(RawUpstream::start().await, &[]).await;
    let body = b"5\r\nhello\r\n0\r\n\r\n";
    // (the fields, the answer, who answers)
    let cases: [(&[&str], u16); 6] = [
        // The gateway: codings it does not understand.
        (&["Transfer-Encoding: gzip, chunked"], 501),
        (&["Transfer-Encoding: identity, chunked"], 501),
        (&["Transfer-Encoding: chunked, chunked"], 501),
        (&["Transfer-Encoding: chunked", "Transfer-Encoding: chunked"], 501),
        // hyper's server, before the gateway sees the request: `chunked`
        // not last is no framing at all.
        (&["Transfer-Encoding: chunked, gzip"], 400),
        (&["Transfer-Encoding: gzip"], 400),
    ];
    for (fields, status) in cases {
        let mut bytes = head("POST", fields).into_bytes();
        bytes.extend_from_slice(body);
        let mut conn = Conn::open(gateway.addr).await;
        conn.write(&bytes).await;
        let answer = conn.read_answer().await;
        assert_eq!(answer.status, status, "{fields:?}: {}", answer.text());
        if status == 501 {
            assert_eq!(answer.header("connection"), Some("close"), "{fields:?}");
        }
        assert!(
            conn.closed_silently().await,
            "{fields:?}: the client connection stays open"
        );
        assert!(upstream.connections().is_empty(), "{fields:?} went upstream");
    }
    // One chunked coding goes on, re-framed as chunked.
    let mut bytes = head("POST", &["Transfer-Encoding: Chunked", "Connection: close"]).into_bytes();
    bytes.extend_from_slice(body);
    let answer = send(gateway.addr, &bytes).await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    let connections = upstream.connections();
    let (up_head, rest) = split_head(&connections[0]);
    assert!(up_head.contains("transfer-encoding: chunked\r\n"), "{up_head}");
    assert_eq!(rest, body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trace_answers_405_with_allow_unless_enabled() {
    let (upstream, gateway, _dir) = setup(RawUpstream::start().await, &[]).await;
    let answer = send(gateway.addr, head("TRACE", &["Connection: close"]).as_bytes()).await;
    assert_eq!(answer.status, 405, "{}", answer.text());
    let allow = answer.header("allow").unwrap();
    assert!(allow.contains("GET") && !allow.contains("TRACE"), "{allow}");
    assert!(upstream.connections().is_empty(), "TRACE went upstream");
    drop(gateway);

    let (upstream, gateway, _dir) = setup(upstream, &["--allow-trace"]).await;
    let answer = send(gateway.addr, head("TRACE", &["Connection: close"]).as_bytes()).await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    assert!(upstream.connections()[0].text().starts_with("TRACE /u HTTP/1.1\r\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn h2c_upgrades_are_not_forwarded() {
    let (upstream, gateway, _dir) = setup(RawUpstream::start().await, &[]).await;
    // (the client's fields, the upstream's upgrade fields after)
    let cases: [(&[&str], Option<&str>); 3] = [
        (
            &[
                "Connection: Upgrade, HTTP2-Settings",
                "Upgrade: h2c",
                "HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA",
            ],
            None,
        ),
        (
            &["Connection: upgrade", "Upgrade: H2C", "HTTP2-Settings: AAMAAABk"],
            None,
        ),
        (
            &[
                "Connection: upgrade",
                "Upgrade: h2c, websocket",
                "HTTP2-Settings: AAMAAABk",
            ],
            Some("websocket"),
        ),
    ];
    for (index, (fields, left)) in cases.into_iter().enumerate() {
        let target = format!("/plain/{index}");
        let answer = send(gateway.addr, head_for("GET", &target, fields).as_bytes()).await;
        assert_eq!(answer.status, 200, "{fields:?}: {}", answer.text());
        let up_head = upstream_head(&upstream, "GET", &target);
        assert!(!up_head.contains("h2c"), "{fields:?}: {up_head}");
        assert!(!up_head.contains("http2-settings"), "{fields:?}: {up_head}");
        match left {
            None => {
                assert!(!up_head.contains("upgrade"), "{fields:?}: {up_head}");
                assert!(!up_head.contains("connection:"), "{fields:?}: {up_head}");
            }
            Some(token) => {
                assert!(
                    up_head.contains(&format!("upgrade: {token}\r\n")),
                    "{fields:?}: {up_head}"
                );
                assert!(up_head.contains("connection: upgrade\r\n"), "{fields:?}: {up_head}");
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn p7_a_target_over_65534_bytes_answers_414_as_route_says() {
    let (upstream, gateway, dir) = setup(RawUpstream::start().await, &[]).await;
    // hyper's server answers before the gateway sees the request.
    let long = format!("/{}", "a".repeat(100 * 1024));
    let answer = get(gateway.addr, HOST, &long).await;
    assert_eq!(answer.status, 414);
    let routed = route(dir.path(), &[], &[serde_json::json!({"host": HOST, "target": long})]);
    assert_eq!(routed[0]["outcome"], "uri_too_long", "{}", routed[0]);
    assert!(upstream.connections().is_empty());
    // Just below the limit the target is read, and P7's path limit answers.
    let below = format!("/{}", "a".repeat(65_532));
    let answer = get(gateway.addr, HOST, &below).await;
    assert_eq!(answer.status, 414, "{}", answer.text());
    let routed = route(dir.path(), &[], &[serde_json::json!({"host": HOST, "target": below})]);
    assert_eq!(routed[0]["outcome"], "uri_too_long", "{}", routed[0]);
    assert!(upstream.connections().is_empty());
}
