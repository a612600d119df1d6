//! Accepting connections, and letting them finish at shutdown.

use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::io;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Buf as _, Bytes, BytesMut};
use hyper::body::Incoming;
use hyper::server::conn::{http1, http2};
use hyper_util::rt::{TokioExecutor, TokioIo};
use ingress_tower::IngressLayer;
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tower::{Layer as _, ServiceExt as _};

use super::proxy::Proxy;
use super::state::Gateway;
use super::timer::CoarseTimer;

/// Serves the routed traffic until `shutdown` completes, then stops
/// accepting and waits (boundedly) for the requests in flight.
pub(crate) async fn serve(gateway: Arc<Gateway>, listener: TcpListener, shutdown: impl Future<Output = ()>) {
    let layer = IngressLayer::new(gateway.routes.clone());
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
                first = first_bytes(stream, &timer, within) => first,
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
/// What an HTTP/2 client sends first (RFC 9113 section 3.4).
const H2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// A new connection whose protocol is known.
struct Opened {
    io: Prefixed,
    http2: bool,
}

/// Reads, within `within`, enough of what the client sends first to tell
/// HTTP/1 from HTTP/2 (the HTTP/2 preface, or anything else). `None` if it
/// sent nothing in time, or closed.
async fn first_bytes(mut stream: TcpStream, timer: &CoarseTimer, within: Duration) -> Option<Opened> {
    let mut first = BytesMut::with_capacity(FIRST_READ);
    let http2 = timer
        .timeout(within, async {
            loop {
                match stream.read_buf(&mut first).await {
                    Ok(0) | Err(_) => return None,
                    Ok(_) => {}
                }
                let start = first.get(..H2_PREFACE.len()).unwrap_or(&first);
                if !H2_PREFACE.starts_with(start) {
                    return Some(false);
                }
                if first.len() >= H2_PREFACE.len() {
                    return Some(true);
                }
            }
        })
        .await
        .ok()??;
    Some(Opened {
        io: Prefixed {
            first: first.freeze(),
            stream,
        },
        http2,
    })
}

/// Room for the first read: a whole request head, usually.
const FIRST_READ: usize = 4096;

/// A client connection, with the bytes read to tell its protocol put back
/// in front.
struct Prefixed {
    first: Bytes,
    stream: TcpStream,
}

impl AsyncRead for Prefixed {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.first.is_empty() {
            return Pin::new(&mut this.stream).poll_read(cx, buf);
        }
        let count = this.first.len().min(buf.remaining());
        buf.put_slice(this.first.get(..count).unwrap_or_default());
        this.first.advance(count);
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for Prefixed {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
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
