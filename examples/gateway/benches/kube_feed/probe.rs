//! The traffic side: one loopback backend every endpoint points at, and
//! a keep-alive client that asks the gateway whether a host routes yet.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response, header};
use http_body_util::{BodyExt as _, Empty, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;

/// The header the backend marks its answers with.
pub const MARK: &str = "x-bench-backend";

/// Starts the backend on `127.0.0.1`: `200 ok`, marked, for anything.
pub async fn backend() -> std::io::Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            };
            tokio::spawn(async move {
                let service = hyper::service::service_fn(|_request| async {
                    let mut response = Response::new(Full::new(Bytes::from_static(b"ok\n")));
                    response
                        .headers_mut()
                        .insert(MARK, header::HeaderValue::from_static("1"));
                    Ok::<_, Infallible>(response)
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Ok(addr)
}

/// A keep-alive HTTP/1.1 client to one gateway.
#[derive(Clone)]
pub struct Prober {
    client: Client<HttpConnector, Empty<Bytes>>,
    addr: SocketAddr,
}

impl Prober {
    pub fn new(addr: SocketAddr) -> Self {
        Self {
            client: Client::builder(TokioExecutor::new()).build(HttpConnector::new()),
            addr,
        }
    }

    /// Whether `GET /` for `host` reached the backend (a marked 200).
    pub async fn routed(&self, host: &str) -> bool {
        let Ok(request) = Request::get(format!("http://{}/", self.addr))
            .header(header::HOST, host)
            .body(Empty::new())
        else {
            return false;
        };
        let exchange = async {
            let response = self.client.request(request).await.ok()?;
            let routed = response.status() == 200 && response.headers().contains_key(MARK);
            response.into_body().collect().await.ok()?;
            Some(routed)
        };
        matches!(
            tokio::time::timeout(Duration::from_secs(5), exchange).await,
            Ok(Some(true))
        )
    }
}

/// The status of `GET target` with `Host: host` on a new connection, if
/// one came within a second.
pub async fn status(addr: SocketAddr, host: &str, target: &str) -> Option<u16> {
    let client: Client<HttpConnector, Empty<Bytes>> = Client::builder(TokioExecutor::new()).build(HttpConnector::new());
    let request = Request::get(format!("http://{addr}{target}"))
        .header(header::HOST, host)
        .body(Empty::new())
        .ok()?;
    let exchange = async {
        let response = client.request(request).await.ok()?;
        let status = response.status().as_u16();
        response.into_body().collect().await.ok()?;
        Some(status)
    };
    tokio::time::timeout(Duration::from_secs(1), exchange)
        .await
        .ok()
        .flatten()
}
