//! The real socket path: TCP connections on loopback, made by
//! [`TcpConnect`], kept and checked by the pool as in production.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpListener;

use super::TcpConnect;
use crate::upstream::Pool;
use crate::upstream::h1::response_head_end;
use crate::upstream::testing::{get, gets, send, text};

const HELLO: &str = "HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello";

/// A loopback upstream answering `answers` requests per connection with
/// HELLO, then closing; it counts the connections it accepted.
async fn upstream(answers: usize) -> (SocketAddr, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&accepted);
    tokio::spawn(async move {
        while let Ok(Ok((mut stream, _))) = tokio::time::timeout(Duration::from_secs(5), listener.accept()).await {
            counted.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let mut buffer = Vec::new();
                for _ in 0..answers {
                    while response_head_end(&buffer, 0).is_none() {
                        let mut chunk = [0_u8; 1024];
                        match stream.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
                        }
                    }
                    let end = response_head_end(&buffer, 0).unwrap();
                    buffer.drain(..end);
                    if stream.write_all(HELLO.as_bytes()).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (address, accepted)
}

fn tcp_pool() -> Arc<Pool<TcpConnect>> {
    Pool::new(TcpConnect {
        timeout: Duration::from_secs(2),
    })
}

#[tokio::test]
async fn tcp_connections_are_reused_across_requests() {
    let (address, accepted) = upstream(5).await;
    let endpoint = Arc::new(tcp_pool().endpoint(address));
    for request in gets(5).await {
        assert_eq!(text(send(&endpoint, request).await.unwrap()).await, "hello");
    }
    assert_eq!(endpoint.idle_count(), 1);
    assert_eq!(accepted.load(Ordering::SeqCst), 1, "five requests, one connection");
}

#[tokio::test]
async fn a_tcp_connection_closed_while_idle_goes_at_the_next_expiry_run() {
    let (address, _accepted) = upstream(1).await;
    let pool = tcp_pool();
    let endpoint = Arc::new(pool.endpoint(address));
    assert_eq!(text(send(&endpoint, get().await).await.unwrap()).await, "hello");
    assert_eq!(endpoint.idle_count(), 1);
    // The upstream closes after its one answer; the runtime sees it.
    tokio::time::sleep(Duration::from_millis(50)).await;
    pool.expire_idle([&endpoint]);
    assert_eq!(endpoint.idle_count(), 0);
}

#[tokio::test]
async fn refused_connections_are_connect_errors() {
    // Bind, then close: the port refuses connections.
    let address = TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap();
    let endpoint = Arc::new(tcp_pool().endpoint(address));
    let error = send(&endpoint, get().await).await.unwrap_err();
    assert!(error.is_connect(), "{error}");
    assert!(!error.is_timeout() && !error.is_retryable(), "{error}");
}
