//! The default answer for requests no route serves: 404 with a short text.

use std::convert::Infallible;
use std::future::{Ready, ready};
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{Request, Response, StatusCode, header};
use tower_service::Service;

use crate::body::TextBody;

/// Answers every request with `404 Not Found` and a one-line text body.
/// Replace it with [`IngressRoutingLayer::fallback`](crate::IngressRoutingLayer::fallback).
#[derive(Debug, Clone, Copy, Default)]
pub struct NotFoundText;

impl<ReqBody> Service<Request<ReqBody>> for NotFoundText {
    type Response = Response<TextBody>;
    type Error = Infallible;
    type Future = Ready<Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _: Request<ReqBody>) -> Self::Future {
        let text = Bytes::from_static(b"404 Not Found: no Ingress rule matches this request\n");
        ready(Ok(text_response(StatusCode::NOT_FOUND, text)))
    }
}

/// A plain-text response.
pub(crate) fn text_response<B: From<Bytes>>(status: StatusCode, text: Bytes) -> Response<B> {
    let mut response = Response::new(B::from(text));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}
