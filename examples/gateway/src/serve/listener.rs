//! Accepting connections, and letting them finish at shutdown.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use ingress_tower::IngressLayer;
use tokio::net::{TcpListener, TcpStream};
use tower::{Layer as _, ServiceExt as _};

use super::proxy::Proxy;
use super::state::Gateway;
use super::timer::CoarseTimer;

/// Serves the routed traffic until `shutdown` completes, then stops
/// accepting and waits (boundedly) for the requests in flight.
pub(crate) async fn serve(gateway: Arc<Gateway>, listener: TcpListener, shutdown: impl Future<Output = ()>) {
    let layer = IngressLayer::new(gateway.routes.clone());
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(gateway.timer.clone())
        .header_read_timeout(gateway.settings.header_read_timeout);
    // HTTP/2 connections live long; pings find the peers that vanished.
    builder
        .http2()
        .timer(gateway.timer.clone())
        .keep_alive_interval(H2_PING_INTERVAL)
        .keep_alive_timeout(H2_PING_TIMEOUT);
    let builder = Arc::new(builder);
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    tracing::warn!(%error, "accept failed");
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let stack = layer.layer(Proxy::new(Arc::clone(&gateway), peer));
        let timer = gateway.timer.clone();
        let within = gateway.settings.header_read_timeout;
        let gateway = Arc::clone(&gateway);
        let service = hyper::service::service_fn(move |request: http::Request<Incoming>| {
            let stack = stack.clone();
            let gateway = Arc::clone(&gateway);
            async move {
                let response = stack.oneshot(request).await?;
                // The proxy counts the answers it gives; these are the layer's.
                if !response.body().is_from_inner() {
                    gateway.metrics.count_request(None, response.status().as_u16());
                }
                Ok::<_, Infallible>(response)
            }
        });
        let builder = Arc::clone(&builder);
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            // hyper-util reads the first bytes (HTTP/1 or HTTP/2?) with no
            // time limit; a client that sends nothing is let go here.
            if !first_bytes(&stream, &timer, within).await {
                return;
            }
            let connection = builder
                .serve_connection_with_upgrades(TokioIo::new(stream), service)
                .into_owned();
            if let Err(error) = watcher.watch(connection).await {
                tracing::debug!(%error, "connection ended");
            }
        });
    }
    drop(listener);
    tracing::info!("shutting down: no new connections; finishing requests in flight");
    match tokio::time::timeout(gateway.settings.shutdown_timeout, graceful.shutdown()).await {
        Ok(()) => tracing::info!("all connections finished"),
        Err(_) => tracing::warn!("shutdown bound reached; closing the connections left"),
    }
}

const H2_PING_INTERVAL: Duration = Duration::from_secs(30);
const H2_PING_TIMEOUT: Duration = Duration::from_secs(20);
/// What an HTTP/2 client sends first (RFC 9113 section 3.4).
const H2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// Waits, at most `within`, until the client has sent enough to tell HTTP/1
/// from HTTP/2 (the bytes stay in the socket for hyper to read). False if it
/// sent nothing in time, or closed.
async fn first_bytes(stream: &TcpStream, timer: &CoarseTimer, within: Duration) -> bool {
    let enough = async {
        let mut seen = [0_u8; H2_PREFACE.len()];
        loop {
            match stream.peek(&mut seen).await {
                Ok(0) | Err(_) => return false,
                Ok(count) => match seen.get(..count) {
                    Some(start) if count < H2_PREFACE.len() && H2_PREFACE.starts_with(start) => {
                        // Part of the preface: the socket stays readable, so
                        // wait a little before looking again.
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                    _ => return true,
                },
            }
        }
    };
    timer.timeout(within, enough).await.unwrap_or(false)
}

/// Serves the admin endpoints until the process ends.
pub(crate) async fn serve_admin(gateway: Arc<Gateway>, listener: TcpListener) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let gateway = Arc::clone(&gateway);
        tokio::spawn(async move {
            let service =
                hyper::service::service_fn(move |request| super::admin::answer(Arc::clone(&gateway), request));
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}
