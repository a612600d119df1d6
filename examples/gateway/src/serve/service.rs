//! The service of one client connection: each request screened
//! ([`super::server`]), on a plain connection perhaps redirected to HTTPS
//! ([`super::redirect`]), then routed by the Ingress layer and forwarded by
//! the proxy; on HTTP/2, each exchange runs in a task of its own that goes
//! on if its stream is cancelled ([`super::streams`]).

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;

use http::{Response, StatusCode};
use http_body_util::Either;
use hyper::body::{Body as _, Incoming};
use ingress_tower::ResponseBody;
use tower::ServiceExt as _;

use super::proxy::{ProxyBody, text};
use super::redirect::Redirect;
use super::server::screen;
use super::state::Gateway;
use super::streams::{Kept, Streams};

/// The body of every answer to a client.
type AnswerBody = Kept<Either<ResponseBody<ProxyBody>, ProxyBody>>;

/// The service of one client connection: each request screened, then
/// routed and forwarded; on HTTP/2 (`streams`), each exchange runs on if
/// its stream is cancelled. A plain connection's requests for TLS hosts
/// get `redirect`'s 308.
pub(super) fn service<S>(
    stack: S,
    gateway: Arc<Gateway>,
    allow_trace: bool,
    streams: Option<Arc<Streams>>,
    redirect: Option<Arc<Redirect>>,
) -> impl hyper::service::Service<
    http::Request<Incoming>,
    Response = Response<AnswerBody>,
    Error = Infallible,
    Future = impl Future<Output = Result<Response<AnswerBody>, Infallible>> + Send + 'static,
> + Clone
+ Send
+ 'static
where
    S: tower::Service<http::Request<Incoming>, Response = Response<ResponseBody<ProxyBody>>, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    hyper::service::service_fn(move |request: http::Request<Incoming>| {
        let stack = stack.clone();
        let gateway = Arc::clone(&gateway);
        let streams = streams.clone();
        let refused = screen(
            gateway.feed.is_ready(),
            request.method(),
            request.version(),
            request.headers(),
            request.body().size_hint().exact().is_some(),
            allow_trace,
        );
        let refused = refused
            .map(|refusal| refusal.answer())
            .or_else(|| redirect.as_ref()?.answer(&request));
        async move {
            let answer = async move {
                if let Some(response) = refused {
                    gateway.metrics.count_request(None, response.status().as_u16());
                    return response.map(Either::Right);
                }
                let response = match stack.oneshot(request).await {
                    Ok(response) => response,
                    Err(never) => match never {},
                };
                // The proxy counts the answers it gives; these are the layer's.
                if !response.body().is_from_inner() {
                    gateway.metrics.count_request(None, response.status().as_u16());
                }
                response.map(Either::Left)
            };
            let response = match streams {
                None => answer.await.map(Kept::plain),
                Some(streams) => streams.run(answer).await.unwrap_or_else(|| {
                    text(StatusCode::BAD_GATEWAY, "502 Bad Gateway: the exchange failed\n")
                        .map(|body| Kept::plain(Either::Right(body)))
                }),
            };
            Ok::<_, Infallible>(response)
        }
    })
}
