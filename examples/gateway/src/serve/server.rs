//! Serving the routed traffic: each accepted connection sniffed, then
//! served as HTTP/1.1 or HTTP/2 through the Ingress layer and the proxy;
//! at shutdown, no new connections, and the open ones finish (boundedly).
//!
//! Before routing, each request is screened for what the gateway will not
//! forward ([`screen`]): `TRACE` (405, unless `--allow-trace`), and a
//! request body in a transfer coding other than one `chunked` (501). A
//! request body whose chunked framing breaks while it streams upstream is
//! the client's fault, answered 400 ([`body_refused`]). hyper's server
//! answers before the gateway sees a request for the rest: 400 for
//! `Transfer-Encoding` without a final `chunked` (or in HTTP/1.0), 431 for
//! a head over the request-head limit (see [`super::limits`]), 414 for a
//! target over 65534 bytes; a first request line over the head limit gets
//! 414 from the gateway, before hyper reads it ([`sniff`]).

use std::fmt;
use std::future::Future;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::time::Duration;

use http::header::{self, HeaderMap, HeaderValue};
use http::{Method, Response, StatusCode, Version};
use hyper::server::conn::{http1, http2};
use hyper_util::rt::{TokioExecutor, TokioIo};
use ingress_tower::IngressRoutingLayer;
use tokio::sync::watch;
use tower::Layer as _;

use super::headers::is_single_chunked;
use super::limits::{self, ConnectionSlots, Limits, MIN_REQUEST_HEAD, Taken};
use super::proxy::{Proxy, ProxyBody, text};
use super::service::service;
use super::sniff::{self, Opened, Protocol};
use super::state::Gateway;
use super::streams::{self, ResetWindow, Streams};
use super::tls::Listeners;

/// Serves the routed traffic until `shutdown` completes, then stops
/// accepting and waits (boundedly) for the requests in flight.
pub(crate) async fn serve(
    gateway: Arc<Gateway>,
    mut listeners: Listeners,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) {
    let layer = IngressRoutingLayer::new(gateway.routes.clone());
    let allow_trace = gateway.settings.allow_trace;
    let mut servers = Servers {
        http1: http1::Builder::new(),
        http2: http2::Builder::new(TokioExecutor::new()),
    };
    // The read buffer grows with what a client sends, up to the head limit
    // (431 from hyper beyond it), rather than to hyper's 400 KB default.
    servers
        .http1
        .timer(gateway.timer.clone())
        .header_read_timeout(gateway.settings.header_read_timeout)
        .max_buf_size(limits.request_head.max(MIN_REQUEST_HEAD));
    // HTTP/2 connections live long; pings find the peers that vanished.
    servers
        .http2
        .timer(gateway.timer.clone())
        .keep_alive_interval(H2_PING_INTERVAL)
        .keep_alive_timeout(H2_PING_TIMEOUT)
        .max_concurrent_streams(streams::MAX_STREAMS)
        .max_header_list_size(u32::try_from(limits.request_head).unwrap_or(u32::MAX));
    let servers = Arc::new(servers);
    let slots = ConnectionSlots::new(limits.connections, gateway.metrics.limits.connections_open.clone());
    // Every connection holds a receiver: shutdown signals through it, then
    // waits for all of them to be dropped.
    let (stop, stopping) = watch::channel(());
    let mut shutdown = pin!(shutdown);
    loop {
        let slot = tokio::select! {
            taken = slots.take() => match taken {
                Taken::Free(slot) => slot,
                Taken::Waited(slot) => {
                    gateway.metrics.limits.connection_limit_waits.inc();
                    tracing::debug!(limit = limits.connections, "accepting again after waiting at the connection limit");
                    slot
                }
            },
            () = &mut shutdown => break,
        };
        let accepted = tokio::select! {
            accepted = listeners.next() => accepted,
            () = &mut shutdown => break,
        };
        let stack = layer.layer(Proxy::new(Arc::clone(&gateway), accepted.peer).over_tls(accepted.is_tls()));
        // Plain connections: TLS hosts are sent to HTTPS (`super::redirect`).
        let redirect = accepted.redirect();
        let gateway = Arc::clone(&gateway);
        let servers = Arc::clone(&servers);
        let mut stopping = stopping.clone();
        let limits = limits.clone();
        tokio::spawn(async move {
            let _slot = slot;
            // The TLS handshake, on TLS connections.
            let stream = tokio::select! {
                opened = accepted.open(&gateway.timer, gateway.settings.header_read_timeout, &gateway.metrics.tls) => opened,
                _ = stopping.changed() => return,
            };
            let Some(stream) = stream else { return };
            let first = tokio::select! {
                first = sniff::first_bytes(stream, &gateway.timer, gateway.settings.header_read_timeout, limits.request_head) => first,
                _ = stopping.changed() => return,
            };
            let Some(Opened { io, protocol }) = first else {
                // Nothing in time, or closed.
                return;
            };
            match protocol {
                Protocol::Http2 => {
                    let streams = Streams::new(
                        ResetWindow::new(limits.h2_resets, limits.h2_reset_window),
                        gateway.metrics.limits.h2.clone(),
                    );
                    let service = service(stack, gateway, allow_trace, Some(Arc::clone(&streams)), redirect);
                    let connection = servers.http2.serve_connection(TokioIo::new(io), service);
                    let goaway = async move { streams.goaway().await };
                    drive(connection, stopping, goaway, http2::Connection::graceful_shutdown).await;
                }
                Protocol::Http1 => {
                    let service = service(stack, gateway, allow_trace, None, redirect);
                    let connection = servers
                        .http1
                        .serve_connection(TokioIo::new(io), service)
                        .with_upgrades();
                    let never = std::future::pending();
                    drive(
                        connection,
                        stopping,
                        never,
                        http1::UpgradeableConnection::graceful_shutdown,
                    )
                    .await;
                }
                Protocol::Http1LineTooLong => {
                    gateway.metrics.count_request(None, StatusCode::URI_TOO_LONG.as_u16());
                    limits::refuse_long_line(io, limits.request_head).await;
                }
            }
        });
    }
    drop(listeners);
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

/// Runs a connection to its end; once shutdown is signalled, or `goaway`
/// completes, it finishes the requests in flight and takes no more.
async fn drive<C, E>(
    connection: C,
    mut stopping: watch::Receiver<()>,
    goaway: impl Future<Output = ()>,
    stop: fn(Pin<&mut C>),
) where
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
        () = goaway => {
            stop(connection.as_mut());
            connection.await
        }
    };
    if let Err(error) = ended {
        tracing::debug!(%error, "connection ended");
    }
}

/// A request the gateway answers itself, before routing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Refusal {
    /// No routing table yet (from a cluster, the listener opens before the
    /// first tables): 503 with `Retry-After`, whatever the host.
    NotReady,
    /// `TRACE` would reflect the request, cookies and credentials
    /// included, to whoever can script a client: 405 unless enabled.
    Trace,
    /// A transfer coding other than one `chunked`: the gateway cannot
    /// decode it, and re-framing the body would drop it (501).
    TransferCoding,
}

impl Refusal {
    pub(super) fn answer(self) -> Response<ProxyBody> {
        match self {
            Self::NotReady => {
                let mut response = text(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "503 Service Unavailable: no routing table yet\n",
                );
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
                response
            }
            Self::Trace => {
                let mut response = text(
                    StatusCode::METHOD_NOT_ALLOWED,
                    "405 Method Not Allowed: TRACE is not forwarded\n",
                );
                response
                    .headers_mut()
                    .insert(header::ALLOW, HeaderValue::from_static(ALLOWED));
                response
            }
            Self::TransferCoding => {
                let mut response = text(
                    StatusCode::NOT_IMPLEMENTED,
                    "501 Not Implemented: a transfer coding other than chunked\n",
                );
                // The body is in a coding the gateway does not read: nothing
                // after it on this connection can be trusted.
                response
                    .headers_mut()
                    .insert(header::CONNECTION, HeaderValue::from_static("close"));
                response
            }
        }
    }
}

/// The methods a 405 names: every one the gateway forwards.
const ALLOWED: &str = "GET, HEAD, POST, PUT, DELETE, OPTIONS, PATCH";

/// What the gateway refuses to forward, from the request head alone. Two
/// cheap tests for the common request: a method comparison, and whether
/// the body's length is known (a body of unknown length over HTTP/1.1 is
/// the only one that can come with `Transfer-Encoding`; hyper's server
/// refuses the field in HTTP/1.0, and HTTP/2 has none).
pub(super) fn screen(
    ready: bool,
    method: &Method,
    version: Version,
    headers: &HeaderMap,
    length_known: bool,
    allow_trace: bool,
) -> Option<Refusal> {
    if !ready {
        return Some(Refusal::NotReady);
    }
    if method == Method::TRACE && !allow_trace {
        return Some(Refusal::Trace);
    }
    if !length_known && version == Version::HTTP_11 && !is_single_chunked(headers) {
        return Some(Refusal::TransferCoding);
    }
    None
}

/// The answer when the client's request body failed while it went upstream
/// (bad chunk syntax, a connection gone mid-body): 400, as nginx answers.
/// The upstream exchange is dropped with its connection, which never goes
/// back to the pool, and hyper closes the client's connection after this
/// answer, since its request body cannot be read to the end. When the
/// upstream had answered already, the answer is cut short instead (see
/// `upstream::body`), which closes the client's connection too.
pub(crate) fn body_refused(error: &crate::upstream::Error) -> Response<ProxyBody> {
    tracing::debug!(%error, "request body refused");
    let mut response = text(
        StatusCode::BAD_REQUEST,
        "400 Bad Request: the request body is not valid HTTP/1.1 framing\n",
    );
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

const H2_PING_INTERVAL: Duration = Duration::from_secs(30);
const H2_PING_TIMEOUT: Duration = Duration::from_secs(20);

#[cfg(test)]
mod tests {
    use super::*;

    fn te(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(header::TRANSFER_ENCODING, HeaderValue::from_str(value).unwrap());
        }
        headers
    }

    #[test]
    fn trace_is_refused_unless_allowed() {
        let none = HeaderMap::new();
        let trace = screen(true, &Method::TRACE, Version::HTTP_11, &none, true, false);
        assert_eq!(trace, Some(Refusal::Trace));
        assert_eq!(screen(true, &Method::TRACE, Version::HTTP_11, &none, true, true), None);
        assert_eq!(screen(true, &Method::GET, Version::HTTP_11, &none, true, false), None);
        let answer = Refusal::Trace.answer();
        assert_eq!(answer.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert!(!answer.headers()[header::ALLOW].to_str().unwrap().contains("TRACE"));
    }

    #[test]
    fn a_body_in_another_coding_than_one_chunked_is_refused() {
        let refused = |headers: &HeaderMap| screen(true, &Method::POST, Version::HTTP_11, headers, false, false);
        assert_eq!(refused(&te(&["chunked"])), None);
        for codings in [
            &["gzip, chunked"][..],
            &["identity, chunked"],
            &["chunked, chunked"],
            &["chunked", "chunked"],
        ] {
            assert_eq!(refused(&te(codings)), Some(Refusal::TransferCoding), "{codings:?}");
        }
        // A known length (Content-Length, or no body) is never looked at;
        // nor HTTP/2, whose bodies have no transfer coding.
        let odd = te(&["gzip, chunked"]);
        assert_eq!(screen(true, &Method::POST, Version::HTTP_11, &odd, true, false), None);
        assert_eq!(
            screen(true, &Method::POST, Version::HTTP_2, &HeaderMap::new(), false, false),
            None
        );
        let answer = Refusal::TransferCoding.answer();
        assert_eq!(answer.status(), StatusCode::NOT_IMPLEMENTED);
        assert_eq!(answer.headers()[header::CONNECTION], "close");
    }
}
