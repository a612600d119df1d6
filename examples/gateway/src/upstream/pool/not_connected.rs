//! A connect that fails hands the request back untouched, body unread, so
//! that it can go to another endpoint; a connect past its deadline is a
//! connect failure too.

use std::future::pending;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncWriteExt as _, DuplexStream};
use tokio::time::Instant;

use super::{Pool, SendError};
use crate::upstream::connection::Connect;
use crate::upstream::testing::{ADDRESS, endpoint, outbound, pipes, read_until, requests};

/// Connects that never complete.
#[derive(Debug)]
struct Stall;

impl Connect for Stall {
    type Io = DuplexStream;

    async fn connect(&self, _address: SocketAddr) -> io::Result<DuplexStream> {
        pending().await
    }
}

#[tokio::test]
async fn a_refused_connect_hands_back_the_request_with_its_body_unread() {
    // Nobody accepts: every connect is refused.
    let (refusing, accepted) = pipes();
    drop(accepted);
    let dead = std::sync::Arc::new(Pool::new(refusing).endpoint(ADDRESS));
    let (alive, _pool, mut accepted) = endpoint();
    let seen = tokio::spawn(async move {
        let mut stream = accepted.accept().await;
        let mut got = Vec::new();
        read_until(&mut stream, &mut got, |got| got.ends_with(b"hello, body")).await;
        stream.write_all(b"HTTP/1.1 204 No Content\r\n\r\n").await.unwrap();
        String::from_utf8(got).unwrap()
    });
    let request = requests(&["POST /up HTTP/1.1\r\nhost: a.test\r\ncontent-length: 11\r\n\r\nhello, body"])
        .await
        .pop()
        .unwrap();
    let Err(SendError::NotConnected { error, outbound }) = dead.send(outbound(request), None).await else {
        panic!("a refused connect must hand the request back");
    };
    assert!(error.is_connect(), "{error}");
    let response = alive.send(outbound, None).await.unwrap();
    assert_eq!(response.status(), http::StatusCode::NO_CONTENT);
    let got = seen.await.unwrap();
    assert!(got.starts_with("POST /up HTTP/1.1\r\n"), "{got}");
    assert_eq!(got.matches("hello, body").count(), 1, "{got}");
}

#[tokio::test]
async fn a_connect_still_pending_at_its_deadline_is_a_connect_error() {
    let stalled = std::sync::Arc::new(Pool::new(Stall).endpoint(ADDRESS));
    let request = requests(&["GET / HTTP/1.1\r\nhost: a.test\r\n\r\n"])
        .await
        .pop()
        .unwrap();
    let started = Instant::now();
    let sent = tokio::time::timeout(
        Duration::from_secs(5),
        stalled.send(outbound(request), Some(started + Duration::from_millis(50))),
    )
    .await
    .expect("the deadline ends the connect");
    let Err(SendError::NotConnected { error, .. }) = sent else {
        panic!("a connect past its deadline must hand the request back");
    };
    assert!(error.is_connect() && !error.is_timeout(), "{error}");
    assert!(started.elapsed() >= Duration::from_millis(50));
}
