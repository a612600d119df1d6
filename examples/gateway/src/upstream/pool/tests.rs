//! The pool on in-memory pipes: each test has its own pool, clock and
//! upstream, so none can disturb another.

use std::io;
use std::time::Duration;

use http_body_util::BodyExt as _;
use hyper::body::Body as _;
use tokio::io::AsyncWriteExt as _;

use super::EXPIRY_RUNS;
use crate::upstream::h1::response_head_end;
use crate::upstream::testing::{
    HELLO, Reply, endpoint, get, gets, read_until, request_and_client, requests, scripted, send, text,
};

#[tokio::test]
async fn a_finished_response_frees_its_connection_for_the_next_request() {
    let (endpoint, _pool, counts) = scripted(&[HELLO; 5]);
    for request in gets(5).await {
        let response = send(&endpoint, request).await.unwrap();
        assert_eq!(text(response).await, "hello");
    }
    assert_eq!(endpoint.idle_count(), 1);
    assert_eq!(counts.connections(), 1, "five requests, one connection");
}

#[tokio::test]
async fn a_connection_the_upstream_closed_is_not_reused() {
    // One request per connection, then the upstream closes it.
    let (endpoint, _pool, counts) = scripted(&[HELLO]);
    for request in gets(3).await {
        let response = send(&endpoint, request).await.unwrap();
        assert_eq!(text(response).await, "hello");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(counts.connections(), 3);
}

#[tokio::test]
async fn an_idempotent_request_is_sent_again_when_a_reused_connection_drops_it() {
    // Every connection answers once, then drops the next request unanswered.
    let (endpoint, _pool, counts) = scripted(&[HELLO, Reply::Hang]);
    for request in gets(3).await {
        let response = send(&endpoint, request).await.unwrap();
        assert_eq!(text(response).await, "hello");
    }
    assert_eq!(counts.connections(), 3, "requests 2 and 3 each went out twice");
}

#[tokio::test]
async fn a_request_is_sent_again_once_only() {
    // Five idle connections, each of which drops the next request.
    let (endpoint, _pool, counts) = scripted(&[HELLO, Reply::Hang]);
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
    assert_eq!(counts.deletes(), 2, "sent on one idle connection, then on a new one");
    assert_eq!(endpoint.idle_count(), 5, "the other idle connections were not tried");
}

#[tokio::test]
async fn a_post_is_never_sent_twice() {
    let (endpoint, _pool, counts) = scripted(&[HELLO, Reply::Hang]);
    let mut requests = requests(&[
        "GET /x HTTP/1.1\r\nhost: a.test\r\n\r\n",
        "POST /x HTTP/1.1\r\nhost: a.test\r\ncontent-length: 0\r\n\r\n",
    ])
    .await
    .into_iter();
    let response = send(&endpoint, requests.next().unwrap()).await.unwrap();
    assert_eq!(text(response).await, "hello");
    let error = send(&endpoint, requests.next().unwrap()).await.unwrap_err();
    assert!(!error.is_connect() && !error.is_protocol(), "{error}");
    assert!(error.to_string().starts_with("upstream failed"), "{error}");
    assert_eq!(counts.connections(), 1, "not sent again on a new connection");
}

#[tokio::test]
async fn an_unread_body_keeps_its_connection_out_of_the_pool() {
    let (endpoint, _pool, counts) = scripted(&[HELLO; 2]);
    let mut bodies = Vec::new();
    for request in gets(2).await {
        bodies.push(send(&endpoint, request).await.unwrap());
    }
    assert_eq!(endpoint.idle_count(), 0);
    drop(bodies);
    assert_eq!(
        counts.connections(),
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
    let (endpoint, _pool, counts) = scripted(&[CHUNKED, CHUNKED, TO_CLOSE]);
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
    assert_eq!(counts.connections(), 2);
}

#[tokio::test]
async fn a_head_answer_frees_its_connection_at_once() {
    let (endpoint, _pool, counts) = scripted(&[Reply::Answer("HTTP/1.1 200 OK\r\ncontent-length: 615\r\n\r\n"), HELLO]);
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
    assert_eq!(counts.connections(), 1);
}

#[tokio::test]
async fn request_bodies_go_out_with_their_framing() {
    // The upstream reads the whole chunked body, then answers.
    let (endpoint, _pool, mut accepted) = endpoint();
    let seen = tokio::spawn(async move {
        let mut stream = accepted.accept().await;
        let mut got = Vec::new();
        read_until(&mut stream, &mut got, |got| got.ends_with(b"0\r\n\r\n")).await;
        stream.write_all(b"HTTP/1.1 204 No Content\r\n\r\n").await.unwrap();
        String::from_utf8(got).unwrap()
    });
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
    let (endpoint, _pool, _counts) = scripted(&[EARLY]);
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
    let (endpoint, _pool, _counts) = scripted(&[Reply::Answer("HTTP/1.1 200 OK\r\ncontent-length: x\r\n\r\n")]);
    let error = send(&endpoint, get().await).await.unwrap_err();
    assert!(error.is_protocol(), "{error}");
}

#[tokio::test]
async fn a_body_cut_short_is_an_error_not_an_end() {
    let (endpoint, _pool, _counts) = scripted(&[Reply::Answer("HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nshort")]);
    let response = send(&endpoint, get().await).await.unwrap();
    let error = response.into_body().collect().await.unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::UnexpectedEof);
    assert_eq!(endpoint.idle_count(), 0);
}

#[tokio::test]
async fn idle_connections_expire_after_four_runs() {
    // The connection stays open, waiting for a second request.
    let (endpoint, pool, _counts) = scripted(&[HELLO, HELLO]);
    let response = send(&endpoint, get().await).await.unwrap();
    assert_eq!(text(response).await, "hello");
    for _ in 1..EXPIRY_RUNS {
        pool.expire_idle([&endpoint]);
        assert_eq!(endpoint.idle_count(), 1);
    }
    pool.expire_idle([&endpoint]);
    assert_eq!(endpoint.idle_count(), 0);
}

#[tokio::test]
async fn each_pool_keeps_its_own_idle_clock() {
    let (endpoint, pool, _counts) = scripted(&[HELLO, HELLO]);
    let (_other_endpoint, other_pool, _other_counts) = scripted(&[HELLO]);
    // Another pool's runs do not age this pool's connections.
    for _ in 0..2 * EXPIRY_RUNS {
        other_pool.expire_idle([]);
    }
    assert_eq!(text(send(&endpoint, get().await).await.unwrap()).await, "hello");
    for _ in 1..EXPIRY_RUNS {
        pool.expire_idle([&endpoint]);
    }
    assert_eq!(endpoint.idle_count(), 1);
}

#[tokio::test]
async fn a_connection_closed_while_idle_goes_at_the_next_expiry_run() {
    let (endpoint, pool, _counts) = scripted(&[HELLO]);
    assert_eq!(text(send(&endpoint, get().await).await.unwrap()).await, "hello");
    assert_eq!(endpoint.idle_count(), 1);
    // The upstream closes after its one answer.
    tokio::time::sleep(Duration::from_millis(50)).await;
    pool.expire_idle([&endpoint]);
    assert_eq!(endpoint.idle_count(), 0);
}

#[tokio::test]
async fn small_bodies_go_out_and_leave_the_connection_reusable() {
    let (endpoint, _pool, counts) = scripted(&[HELLO; 3]);
    let post = "POST /x HTTP/1.1\r\nhost: a.test\r\ncontent-length: 5\r\n\r\nhello";
    for request in requests(&[post; 3]).await {
        let response = send(&endpoint, request).await.unwrap();
        assert_eq!(text(response).await, "hello");
    }
    assert_eq!(counts.connections(), 1);
}

#[tokio::test]
async fn the_request_body_keeps_going_after_the_answer_starts() {
    // An echoing upstream: it answers at once, then sends the body back as
    // one chunk once all ten bytes are in.
    let (endpoint, _pool, mut accepted) = endpoint();
    tokio::spawn(async move {
        let mut stream = accepted.accept().await;
        let mut got = Vec::new();
        read_until(&mut stream, &mut got, |got| response_head_end(got, 0).is_some()).await;
        stream
            .write_all(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n")
            .await
            .unwrap();
        let mut body = got.split_off(response_head_end(&got, 0).unwrap());
        read_until(&mut stream, &mut body, |body| body.len() >= 10).await;
        let echo = format!("a\r\n{}\r\n0\r\n\r\n", String::from_utf8(body).unwrap());
        stream.write_all(echo.as_bytes()).await.unwrap();
    });
    // The client sends three bytes of ten, the rest later.
    let (request, mut client) =
        request_and_client("POST /echo HTTP/1.1\r\nhost: a.test\r\ncontent-length: 10\r\n\r\nabc").await;
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

#[tokio::test]
async fn a_body_still_going_out_after_a_complete_answer_is_finished() {
    // The upstream accepts at once (202, no body), then reads the whole
    // ten-byte body, then answers a second request on the same connection
    // with what it got.
    let (endpoint, _pool, mut accepted) = endpoint();
    let made = accepted.made();
    tokio::spawn(async move {
        let mut stream = accepted.accept().await;
        let mut got = Vec::new();
        read_until(&mut stream, &mut got, |got| response_head_end(got, 0).is_some()).await;
        stream
            .write_all(b"HTTP/1.1 202 Accepted\r\ncontent-length: 0\r\n\r\n")
            .await
            .unwrap();
        let mut rest = got.split_off(response_head_end(&got, 0).unwrap());
        // The body, then the second request's head.
        read_until(&mut stream, &mut rest, |rest| {
            response_head_end(rest, 0).is_some_and(|end| end >= 10)
        })
        .await;
        let body = String::from_utf8(rest[..10].to_vec()).unwrap();
        let answer = format!("HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\n{body}");
        stream.write_all(answer.as_bytes()).await.unwrap();
        // Kept open: the connection stays usable.
        tokio::time::sleep(Duration::from_secs(5)).await;
    });
    let (request, mut client) =
        request_and_client("POST /queue HTTP/1.1\r\nhost: a.test\r\ncontent-length: 10\r\n\r\nabc").await;
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
    let response = send(&endpoint, get().await).await.unwrap();
    assert_eq!(text(response).await, "abcdefghij");
    assert_eq!(
        made.load(std::sync::atomic::Ordering::SeqCst),
        1,
        "the connection was reused"
    );
}
