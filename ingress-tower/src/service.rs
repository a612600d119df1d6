//! The middleware service.

use std::task::{Context, Poll, ready};

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use ingress_core::{Backend, Outcome, SharedTable};
use tower_service::Service;

use crate::body::ResponseBody;
use crate::fallback::NotFoundText;
use crate::future::ResponseFuture;
use crate::request::{route, with_path};

/// Routes each request by the current Ingress table, then calls the inner
/// service (routed) or the fallback (no route). See the [crate docs](crate).
///
/// Routed requests carry an [`ingress_core::Route`] in their extensions and,
/// unless the layer was told to keep URIs, have their path replaced by the
/// canonical path (query untouched). Unrouted ones carry an
/// [`ingress_core::table::NotFound`] to the fallback. Requests that cannot be
/// canonicalised get `400` or `414` with a one-line text body.
#[derive(Debug, Clone)]
pub struct IngressRouting<S, B = Backend, F = NotFoundText> {
    pub(crate) inner: S,
    pub(crate) fallback: F,
    pub(crate) table: SharedTable<B>,
    pub(crate) rewrite_path: bool,
    /// Whether the fallback reads the [`ingress_core::table::NotFound`] record: not
    /// the default 404, so no record is made for it.
    pub(crate) record_not_found: bool,
}

impl<S, B> IngressRouting<S, B> {
    /// Wraps `inner`, routing by `table` (answering 404 when no route serves).
    pub fn new(inner: S, table: SharedTable<B>) -> Self {
        Self {
            inner,
            fallback: NotFoundText,
            table,
            rewrite_path: true,
            record_not_found: false,
        }
    }
}

impl<S, B, F> IngressRouting<S, B, F> {
    /// The inner service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The inner service, mutably.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// Unwraps the inner service.
    pub fn into_inner(self) -> S {
        self.inner
    }

    /// The table this service routes by.
    pub fn table(&self) -> &SharedTable<B> {
        &self.table
    }
}

impl<S, B, F, ReqBody, ResBody, FallbackBody> Service<Request<ReqBody>> for IngressRouting<S, B, F>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    F: Service<Request<ReqBody>, Response = Response<FallbackBody>>,
    S::Error: From<F::Error>,
    B: Clone + Send + Sync + 'static,
{
    type Response = Response<ResponseBody<ResBody, FallbackBody>>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future, F::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        ready!(self.inner.poll_ready(cx))?;
        self.fallback.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, mut request: Request<ReqBody>) -> Self::Future {
        let outcome = route(&self.table.load(), &request);
        match outcome {
            Outcome::Routed(route) => {
                if self.rewrite_path
                    && let Some(uri) = with_path(request.uri(), route.path().as_str())
                {
                    *request.uri_mut() = uri;
                }
                request.extensions_mut().insert(route);
                ResponseFuture::inner(self.inner.call(request))
            }
            Outcome::NotFound(not_found) => {
                if self.record_not_found {
                    request.extensions_mut().insert(not_found);
                }
                ResponseFuture::fallback(self.fallback.call(request))
            }
            Outcome::Refused(error) => {
                let (status, title) = match error.refusal() {
                    ingress_core::canonical::Refusal::UriTooLong => (StatusCode::URI_TOO_LONG, "414 URI Too Long"),
                    _ => (StatusCode::BAD_REQUEST, "400 Bad Request"),
                };
                ResponseFuture::text(status, Bytes::from(format!("{title}: {error}\n")))
            }
            // An outcome this version of the layer does not know: serve nothing.
            _ => ResponseFuture::text(
                StatusCode::SERVICE_UNAVAILABLE,
                Bytes::from_static(b"503 Service Unavailable: this request cannot be served\n"),
            ),
        }
    }
}
