//! The response body: the inner service's, the fallback's, or a short text
//! the layer wrote itself.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use http_body_util::Full;
use pin_project_lite::pin_project;

/// Errors of a [`ResponseBody`]: whatever the wrapped body's error was, boxed.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

pin_project! {
    /// Body of responses from [`IngressRouting`](crate::IngressRouting): the inner
    /// service's body `B`, the fallback's body `F`, or a short text the
    /// layer answered with itself (400, 414, 503).
    #[derive(Debug)]
    pub struct ResponseBody<B, F = Full<Bytes>> {
        #[pin]
        kind: Kind<B, F>,
    }
}

pin_project! {
    #[project = KindProjection]
    #[derive(Debug)]
    enum Kind<B, F> {
        Inner { #[pin] body: B },
        Fallback { #[pin] body: F },
        Text { #[pin] body: Full<Bytes> },
    }
}

impl<B, F> ResponseBody<B, F> {
    /// Whether the inner service answered (not the fallback, nor the layer
    /// itself with a 400 or 414): for metrics that count routed requests
    /// apart.
    pub fn is_from_inner(&self) -> bool {
        matches!(self.kind, Kind::Inner { .. })
    }

    pub(crate) fn inner(body: B) -> Self {
        Self {
            kind: Kind::Inner { body },
        }
    }

    pub(crate) fn fallback(body: F) -> Self {
        Self {
            kind: Kind::Fallback { body },
        }
    }

    pub(crate) fn text(body: Full<Bytes>) -> Self {
        Self {
            kind: Kind::Text { body },
        }
    }
}

impl<B, F> Body for ResponseBody<B, F>
where
    B: Body<Data = Bytes>,
    B::Error: Into<BoxError>,
    F: Body<Data = Bytes>,
    F::Error: Into<BoxError>,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        match self.project().kind.project() {
            KindProjection::Inner { body } => body.poll_frame(cx).map_err(Into::into),
            KindProjection::Fallback { body } => body.poll_frame(cx).map_err(Into::into),
            KindProjection::Text { body } => body.poll_frame(cx).map_err(|never| match never {}),
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.kind {
            Kind::Inner { body } => body.is_end_stream(),
            Kind::Fallback { body } => body.is_end_stream(),
            Kind::Text { body } => body.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.kind {
            Kind::Inner { body } => body.size_hint(),
            Kind::Fallback { body } => body.size_hint(),
            Kind::Text { body } => body.size_hint(),
        }
    }
}
