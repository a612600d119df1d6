//! Accepting connections, and letting them finish at shutdown.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;

use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use ingress_tower::IngressLayer;
use tokio::net::TcpListener;
use tower::{Layer as _, ServiceExt as _};

use super::proxy::Proxy;
use super::state::Gateway;

/// Serves the routed traffic until `shutdown` completes, then stops
/// accepting and waits (boundedly) for the requests in flight.
pub(crate) async fn serve(gateway: Arc<Gateway>, listener: TcpListener, shutdown: impl Future<Output = ()>) {
    let layer = IngressLayer::new(gateway.routes.clone());
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(gateway.timer.clone())
        .header_read_timeout(gateway.settings.header_read_timeout);
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
        let connection = builder
            .serve_connection_with_upgrades(TokioIo::new(stream), service)
            .into_owned();
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(error) = connection.await {
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
