//! The inner service behind the Ingress layer: forward the routed request
//! to a ready endpoint of its backend, and to another one of the same
//! backend when a connect fails (see `endpoints::Attempts`).

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{Request, Response, StatusCode, Version};
use hyper::body::{Body, Frame, Incoming, SizeHint};
use ingress_core::Route;
use tower::Service;

use super::endpoints::{Attempts, Target};
use super::headers::{forwardable_upgrade, join_cookies, remove_hop_by_hop, say_trailers_taken};
use super::state::{Gateway, TcpEndpoint};
use super::tunnel::tunnel;
use crate::upstream::{self, Forwarded, Outbound, TcpConnect, UpstreamBody};

/// The body of every answer: streamed from the upstream, or a short text.
pub(crate) enum ProxyBody {
    Upstream(UpstreamBody<TcpConnect>),
    Text(Option<Bytes>),
}

impl Body for ProxyBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        match self.get_mut() {
            Self::Upstream(body) => Pin::new(body).poll_frame(cx),
            Self::Text(text) => Poll::Ready(text.take().map(|text| Ok(Frame::data(text)))),
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            Self::Upstream(body) => body.is_end_stream(),
            Self::Text(text) => text.is_none(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            Self::Upstream(body) => body.size_hint(),
            Self::Text(text) => SizeHint::with_exact(text.as_ref().map_or(0, |text| text.len() as u64)),
        }
    }
}

/// Forwards routed requests for the connection of one downstream peer.
#[derive(Clone)]
pub(crate) struct Proxy {
    gateway: Arc<Gateway>,
    /// The peer's address, formatted once per connection for
    /// `X-Forwarded-For`.
    client: HeaderValue,
}

impl Proxy {
    pub(crate) fn new(gateway: Arc<Gateway>, peer: SocketAddr) -> Self {
        let client = HeaderValue::from_str(&peer.ip().to_string()).unwrap_or(HeaderValue::from_static("unknown"));
        Self { gateway, client }
    }
}

impl Service<Request<Incoming>> for Proxy {
    type Response = Response<ProxyBody>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    /// Everything up to sending is done here, synchronously; the future
    /// holds only the exchange with the upstream (a small future is cheaper
    /// to box and to move).
    fn call(&mut self, mut request: Request<Incoming>) -> Self::Future {
        let Some(route) = request.extensions_mut().remove::<Route<Target>>() else {
            return answer(text(
                StatusCode::SERVICE_UNAVAILABLE,
                "503 Service Unavailable: the request was not routed\n",
            ));
        };
        let attempts = match route.backend() {
            Target::Service(upstream) => upstream.attempts(&self.gateway.metrics).map_err(|why| why.to_string()),
            // M9: resource backends are carried, not served.
            Target::Unserved(what) => Err(format!(
                "{what} is a resource backend, which this gateway does not serve"
            )),
        };
        let mut attempts = match attempts {
            Ok(attempts) => attempts,
            // B3: no ready endpoint answers 503, never another backend.
            Err(why) => {
                let response = text(
                    StatusCode::SERVICE_UNAVAILABLE,
                    format!("503 Service Unavailable: {why}\n"),
                );
                count(&self.gateway, &route, &response);
                return answer(response);
            }
        };
        // A request without a Host names the first endpoint tried, also
        // when a connect failure sends it on to another.
        let (outbound, downstream_upgrade) = self.prepare(request, attempts.endpoint());
        let gateway = Arc::clone(&self.gateway);
        Box::pin(async move {
            let response = exchange(&gateway, &mut attempts, outbound, downstream_upgrade).await;
            count(&gateway, &route, &response);
            Ok(response)
        })
    }
}

/// An answer known before any await.
fn answer(response: Response<ProxyBody>) -> <Proxy as Service<Request<Incoming>>>::Future {
    Box::pin(std::future::ready(Ok(response)))
}

pub(crate) fn text(status: StatusCode, text: impl Into<Bytes>) -> Response<ProxyBody> {
    let mut response = Response::new(ProxyBody::Text(Some(text.into())));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

fn count(gateway: &Gateway, route: &Route<Target>, response: &Response<ProxyBody>) {
    gateway
        .metrics
        .count_request(Some(route.ingress()), response.status().as_u16());
}

impl Proxy {
    /// The request as the upstream gets it: origin-form target, Host kept,
    /// hop-by-hop headers out, `X-Forwarded-*` in; and the client's side of
    /// an upgrade, if it asked for one.
    fn prepare(
        &self,
        mut request: Request<Incoming>,
        endpoint: &TcpEndpoint,
    ) -> (Outbound, Option<hyper::upgrade::OnUpgrade>) {
        let upgrade = forwardable_upgrade(request.headers_mut());
        let downstream_upgrade = upgrade.then(|| hyper::upgrade::on(&mut request));
        let (mut parts, body) = request.into_parts();

        // The client's Host goes on unchanged; over HTTP/2 it came as
        // :authority; a request that had neither (HTTP/1.0) names the endpoint.
        let host = match parts.headers.get(header::HOST) {
            Some(host) => Some(host.clone()),
            None => {
                let host = parts
                    .uri
                    .authority()
                    .and_then(|authority| HeaderValue::from_str(authority.as_str()).ok());
                let sent = host.clone().unwrap_or_else(|| endpoint.host().clone());
                parts.headers.insert(header::HOST, sent);
                host
            }
        };
        if remove_hop_by_hop(&mut parts.headers, upgrade) {
            say_trailers_taken(&mut parts.headers);
        }
        if parts.version == Version::HTTP_2 {
            join_cookies(&mut parts.headers);
        }
        // The layer already put the canonical path (and the query as the
        // client sent it) into the URI; the upstream gets it in origin form,
        // over HTTP/1.1, with `X-Forwarded-*` written as the head is.
        let forwarded = Forwarded {
            client: &self.client,
            host: host.as_ref(),
        };
        (Outbound::new(&parts, body, &forwarded), downstream_upgrade)
    }
}

/// Sends the request to an endpoint of its backend (the next ones while
/// connects fail) and streams the answer back.
async fn exchange(
    gateway: &Gateway,
    attempts: &mut Attempts,
    outbound: Outbound,
    downstream_upgrade: Option<hyper::upgrade::OnUpgrade>,
) -> Response<ProxyBody> {
    let answer = gateway
        .timer
        .timeout(gateway.settings.upstream_timeout, attempts.send(gateway, outbound))
        .await
        .unwrap_or_else(|_| Err(upstream::Error::timeout()));
    let endpoint = attempts.endpoint();
    let mut response = match answer {
        Ok(response) => response,
        Err(error) => return failed(endpoint, &error),
    };
    // The body holds a switched connection exactly when the answer is 101.
    match (downstream_upgrade, response.body_mut().take_switched()) {
        (Some(downstream), Some(upstream)) => {
            remove_hop_by_hop(response.headers_mut(), true);
            tokio::spawn(tunnel(downstream, upstream));
        }
        // Switching protocols the client did not ask for cannot be
        // passed on.
        (None, Some(_)) => {
            tracing::debug!(endpoint = %endpoint.address(), "unrequested 101 from the upstream");
            return text(
                StatusCode::BAD_GATEWAY,
                "502 Bad Gateway: the upstream switched protocols unasked\n",
            );
        }
        // (A response's TE means nothing: not said on.)
        _ => {
            remove_hop_by_hop(response.headers_mut(), false);
        }
    }
    response.map(ProxyBody::Upstream)
}

/// The answer for an exchange that failed: 504 when the upstream did not
/// answer in time, 400 when the client's request body failed, 502
/// otherwise.
fn failed(endpoint: &TcpEndpoint, error: &upstream::Error) -> Response<ProxyBody> {
    if error.is_timeout() {
        return text(
            StatusCode::GATEWAY_TIMEOUT,
            "504 Gateway Timeout: the upstream did not answer in time\n",
        );
    }
    if error.is_request_body() {
        return super::server::body_refused(error);
    }
    if error.is_connect() {
        tracing::debug!(endpoint = %endpoint.address(), %error, "connect failed");
        return text(
            StatusCode::BAD_GATEWAY,
            "502 Bad Gateway: cannot connect to the upstream\n",
        );
    }
    tracing::debug!(endpoint = %endpoint.address(), %error, "upstream failed");
    text(StatusCode::BAD_GATEWAY, "502 Bad Gateway: the upstream failed\n")
}
