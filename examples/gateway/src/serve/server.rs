//! Serving the routed traffic: each accepted connection sniffed, then
//! served as HTTP/1.1 or HTTP/2 through the Ingress layer and the proxy;
//! at shutdown, no new connections, and the open ones finish (boundedly).

use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::time::Duration;

use hyper::body::Incoming;
use hyper::server::conn::{http1, http2};
use hyper_util::rt::{TokioExecutor, TokioIo};
use ingress_tower::IngressRoutingLayer;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower::{Layer as _, ServiceExt as _};

use super::accept::{self, Backoff};
use super::proxy::Proxy;
use super::sniff::{self, Opened};
use super::state::Gateway;

/// Serves the routed traffic until `shutdown` completes, then stops
/// accepting and waits (boundedly) for the requests in flight.
pub(crate) async fn serve(gateway: Arc<Gateway>, mut listener: TcpListener, shutdown: impl Future<Output = ()>) {
    let layer = IngressRoutingLayer::new(gateway.routes.clone());
    let mut servers = Servers {
        http1: http1::Builder::new(),
        http2: http2::Builder::new(TokioExecutor::new()),
    };
    servers
        .http1
        .timer(gateway.timer.clone())
        .header_read_timeout(gateway.settings.header_read_timeout);
    // HTTP/2 connections live long; pings find the peers that vanished.
    servers
        .http2
        .timer(gateway.timer.clone())
        .keep_alive_interval(H2_PING_INTERVAL)
        .keep_alive_timeout(H2_PING_TIMEOUT);
    let servers = Arc::new(servers);
    // Every connection holds a receiver: shutdown signals through it, then
    // waits for all of them to be dropped.
    let (stop, stopping) = watch::channel(());
    let mut shutdown = pin!(shutdown);
    let mut backoff = Backoff::default();
    loop {
        let (stream, peer) = tokio::select! {
            accepted = accept::next(&mut listener, &mut backoff, "traffic") => accepted,
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let stack = layer.layer(Proxy::new(Arc::clone(&gateway), peer));
        let timer = gateway.timer.clone();
        let within = gateway.settings.header_read_timeout;
        let counted = Arc::clone(&gateway);
        let service = hyper::service::service_fn(move |request: http::Request<Incoming>| {
            let stack = stack.clone();
            let gateway = Arc::clone(&counted);
            async move {
                let response = stack.oneshot(request).await?;
                // The proxy counts the answers it gives; these are the layer's.
                if !response.body().is_from_inner() {
                    gateway.metrics.count_request(None, response.status().as_u16());
                }
                Ok::<_, Infallible>(response)
            }
        });
        let servers = Arc::clone(&servers);
        let mut stopping = stopping.clone();
        tokio::spawn(async move {
            let first = tokio::select! {
                first = sniff::first_bytes(stream, &timer, within) => first,
                _ = stopping.changed() => return,
            };
            match first {
                Some(Opened { io, http2: true }) => {
                    let connection = servers.http2.serve_connection(TokioIo::new(io), service);
                    drive(connection, stopping, http2::Connection::graceful_shutdown).await;
                }
                Some(Opened { io, http2: false }) => {
                    let connection = servers
                        .http1
                        .serve_connection(TokioIo::new(io), service)
                        .with_upgrades();
                    drive(connection, stopping, http1::UpgradeableConnection::graceful_shutdown).await;
                }
                // Nothing in time, or closed.
                None => {}
            }
        });
    }
    drop(listener);
    drop(stopping);
    tracing::info!("shutting down: no new connections; finishing requests in flight");
    stop.send_replace(());
    match tokio::time::timeout(gateway.settings.shutdown_timeout, stop.closed()).await {
        Ok(()) => tracing::info!("all connections finished"),
        Err(_) => tracing::warn!("shutdown bound reached; closing the connections left"),
    }
}

/// The HTTP/1.1 and HTTP/2 servers, set up once.
struct Servers {
    http1: http1::Builder,
    http2: http2::Builder<TokioExecutor>,
}

/// Runs a connection to its end; once shutdown is signalled, it finishes the
/// requests in flight and takes no more.
async fn drive<C, E>(connection: C, mut stopping: watch::Receiver<()>, stop: fn(Pin<&mut C>))
where
    C: Future<Output = Result<(), E>>,
    E: fmt::Display,
{
    let mut connection = pin!(connection);
    let ended = tokio::select! {
        biased;
        ended = connection.as_mut() => ended,
        _ = stopping.changed() => {
            stop(connection.as_mut());
            connection.await
        }
    };
    if let Err(error) = ended {
        tracing::debug!(%error, "connection ended");
    }
}

const H2_PING_INTERVAL: Duration = Duration::from_secs(30);
const H2_PING_TIMEOUT: Duration = Duration::from_secs(20);
