//! The inner service behind the Ingress layer: forward the routed request
//! to a ready endpoint of its backend.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::uri::{Authority, PathAndQuery, Scheme};
use http::{Request, Response, StatusCode, Uri, Version};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use ingress_core::Route;
use tower::Service;

use super::headers::{add_forwarded, is_upgrade, remove_hop_by_hop};
use super::state::Gateway;
use super::tunnel::tunnel;
use super::upstreams::Target;

/// Errors of a response body, boxed.
pub(crate) type BoxError = Box<dyn std::error::Error + Send + Sync>;
/// The body of every answer: streamed from the upstream, or a short text.
pub(crate) type ProxyBody = BoxBody<Bytes, BoxError>;

/// The downstream peer, put into each request of its connection: its
/// address, formatted once per connection for `X-Forwarded-For`.
#[derive(Debug, Clone)]
pub(crate) struct Client {
    pub(crate) address: HeaderValue,
}

impl Client {
    pub(crate) fn new(peer: SocketAddr) -> Self {
        let address = HeaderValue::from_str(&peer.ip().to_string()).unwrap_or(HeaderValue::from_static("unknown"));
        Self { address }
    }
}

#[derive(Clone)]
pub(crate) struct Proxy {
    gateway: Arc<Gateway>,
}

impl Proxy {
    pub(crate) fn new(gateway: Arc<Gateway>) -> Self {
        Self { gateway }
    }
}

impl Service<Request<Incoming>> for Proxy {
    type Response = Response<ProxyBody>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<Incoming>) -> Self::Future {
        let gateway = Arc::clone(&self.gateway);
        Box::pin(async move { Ok(forward(&gateway, request).await) })
    }
}

pub(crate) fn text(status: StatusCode, text: impl Into<Bytes>) -> Response<ProxyBody> {
    let body = Full::new(text.into()).map_err(|never| match never {}).boxed();
    let mut response = Response::new(body);
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

async fn forward(gateway: &Gateway, mut request: Request<Incoming>) -> Response<ProxyBody> {
    let Some(route) = request.extensions_mut().remove::<Route<Target>>() else {
        return text(
            StatusCode::SERVICE_UNAVAILABLE,
            "503 Service Unavailable: the request was not routed\n",
        );
    };
    let response = match route.backend() {
        Target::Service(upstream) => match upstream.pick() {
            Ok((endpoint, authority)) => send(gateway, request, endpoint, authority).await,
            // B3: no ready endpoint answers 503, never another backend.
            Err(why) => text(
                StatusCode::SERVICE_UNAVAILABLE,
                format!("503 Service Unavailable: {why}\n"),
            ),
        },
        // M9: resource backends are carried, not served.
        Target::Unserved(what) => text(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("503 Service Unavailable: {what} is a resource backend, which this gateway does not serve\n"),
        ),
    };
    gateway
        .metrics
        .count_request(Some(route.ingress()), response.status().as_u16());
    response
}

/// Sends the request to `endpoint` and streams the answer back.
async fn send(
    gateway: &Gateway,
    mut request: Request<Incoming>,
    endpoint: SocketAddr,
    authority: Authority,
) -> Response<ProxyBody> {
    let upgrade = is_upgrade(request.headers());
    let downstream_upgrade = upgrade.then(|| hyper::upgrade::on(&mut request));
    let client = request.extensions_mut().remove::<Client>();
    let (mut parts, body) = request.into_parts();

    // The client's Host goes on unchanged; over HTTP/2 it came as :authority.
    let host = parts.headers.get(header::HOST).cloned().or_else(|| {
        parts
            .uri
            .authority()
            .and_then(|a| HeaderValue::from_str(a.as_str()).ok())
    });
    if let Some(host) = &host {
        parts.headers.insert(header::HOST, host.clone());
    }
    remove_hop_by_hop(&mut parts.headers, upgrade);
    if let Some(client) = client {
        add_forwarded(&mut parts.headers, &client.address, host);
    }
    // The layer already put the canonical path (and the query as the client
    // sent it) into the URI: keep that part, aim it at the endpoint.
    let mut uri = std::mem::take(&mut parts.uri).into_parts();
    uri.scheme = Some(Scheme::HTTP);
    uri.authority = Some(authority);
    if uri.path_and_query.is_none() {
        uri.path_and_query = Some(PathAndQuery::from_static("/"));
    }
    parts.uri = match Uri::from_parts(uri) {
        Ok(uri) => uri,
        Err(error) => return text(StatusCode::BAD_GATEWAY, format!("502 Bad Gateway: {error}\n")),
    };
    parts.version = Version::HTTP_11;
    let upstream_request = Request::from_parts(parts, body);

    let answer = tokio::time::timeout(
        gateway.settings.upstream_timeout,
        gateway.client.request(upstream_request),
    )
    .await;
    let mut response = match answer {
        Err(_) => {
            return text(
                StatusCode::GATEWAY_TIMEOUT,
                "504 Gateway Timeout: the upstream did not answer in time\n",
            );
        }
        Ok(Err(error)) if error.is_connect() => {
            tracing::debug!(%endpoint, %error, "connect failed");
            return text(
                StatusCode::BAD_GATEWAY,
                "502 Bad Gateway: cannot connect to the upstream\n",
            );
        }
        Ok(Err(error)) => {
            tracing::debug!(%endpoint, %error, "upstream failed");
            return text(StatusCode::BAD_GATEWAY, "502 Bad Gateway: the upstream failed\n");
        }
        Ok(Ok(response)) => response,
    };
    let switched = response.status() == StatusCode::SWITCHING_PROTOCOLS;
    match downstream_upgrade {
        Some(downstream) if switched => {
            let upstream = hyper::upgrade::on(&mut response);
            tokio::spawn(tunnel(downstream, upstream));
        }
        _ => remove_hop_by_hop(response.headers_mut(), false),
    }
    response.map(|body| body.map_err(BoxError::from).boxed())
}
