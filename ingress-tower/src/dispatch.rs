//! One inner service per backend.

use std::collections::HashMap;
use std::fmt;
use std::future::{Future, Ready};
use std::hash::Hash;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use ingress_core::Route;
use pin_project_lite::pin_project;
use tower::ServiceExt;
use tower::util::Oneshot;
use tower_service::Service;

use crate::body::{ResponseBody, TextBody};
use crate::future::ResponseFuture;

/// Calls the service registered for the routed request's backend, found
/// through the [`Route`] that [`IngressRouting`](crate::IngressRouting) put into the
/// request. A backend with no service (or a request that was not routed)
/// gets `503 Service Unavailable` (M9, B3: never a different backend).
///
/// Services are cloned per request and driven to readiness before the
/// call, so `poll_ready` of `Dispatch` itself is always ready (axum routers
/// and handlers are cheap to clone).
pub struct Dispatch<B, S> {
    services: Arc<HashMap<B, S>>,
}

impl<B, S> Dispatch<B, S> {
    /// Dispatches to `services`, keyed by the table's backend values.
    pub fn new(services: HashMap<B, S>) -> Self {
        Self {
            services: Arc::new(services),
        }
    }
}

impl<B, S> Clone for Dispatch<B, S> {
    fn clone(&self) -> Self {
        Self {
            services: Arc::clone(&self.services),
        }
    }
}

impl<B: fmt::Debug, S> fmt::Debug for Dispatch<B, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Dispatch")
            .field("backends", &self.services.keys().collect::<Vec<_>>())
            .finish()
    }
}

type Unused<E> = Ready<Result<Response<TextBody>, E>>;

pin_project! {
    /// The response future of [`Dispatch`]: the backend's service called
    /// once it is ready, or a 503 written by `Dispatch` itself.
    pub struct DispatchFuture<S, ReqBody>
    where
        S: Service<Request<ReqBody>>,
    {
        // Private: tower's `Oneshot` is no part of this crate's API.
        #[pin]
        inner: ResponseFuture<Oneshot<S, Request<ReqBody>>, Unused<S::Error>>,
    }
}

impl<S: Service<Request<ReqBody>>, ReqBody> fmt::Debug for DispatchFuture<S, ReqBody> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DispatchFuture").finish_non_exhaustive()
    }
}

impl<S, ReqBody, ResBody> Future for DispatchFuture<S, ReqBody>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
{
    type Output = Result<Response<ResponseBody<ResBody>>, S::Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.project().inner.poll(cx)
    }
}

impl<B, S, ReqBody, ResBody> Service<Request<ReqBody>> for Dispatch<B, S>
where
    B: Hash + Eq + Clone + Send + Sync + 'static,
    S: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone,
{
    type Response = Response<ResponseBody<ResBody>>;
    type Error = S::Error;
    type Future = DispatchFuture<S, ReqBody>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        let service = request
            .extensions()
            .get::<Route<B>>()
            .and_then(|route| self.services.get(route.backend()));
        let inner = match service {
            Some(service) => ResponseFuture::inner(service.clone().oneshot(request)),
            None => ResponseFuture::text(
                StatusCode::SERVICE_UNAVAILABLE,
                Bytes::from_static(b"503 Service Unavailable: the backend of this route is not served here\n"),
            ),
        };
        DispatchFuture { inner }
    }
}
