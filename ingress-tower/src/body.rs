//! The response body: the inner service's, the fallback's, or a short text
//! the layer wrote itself.

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use http_body_util::Full;
use pin_project_lite::pin_project;

/// Errors of a [`ResponseBody`]: whatever the wrapped body's error was, boxed.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A short text body that this crate writes itself: the 400, 414 and 503
/// answers of the layer and [`Dispatch`](crate::Dispatch), and
/// [`NotFoundText`](crate::NotFoundText)'s 404. One frame, then the end.
#[derive(Debug, Clone, Default)]
pub struct TextBody {
    // Kept private so that http-body-util's types stay out of this crate's API.
    body: Full<Bytes>,
}

impl From<Bytes> for TextBody {
    fn from(text: Bytes) -> Self {
        Self { body: Full::new(text) }
    }
}

impl Body for TextBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        Pin::new(&mut self.get_mut().body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

pin_project! {
    /// Body of responses from [`IngressRouting`](crate::IngressRouting): the inner
    /// service's body `B`, the fallback's body `F`, or a short text the
    /// layer answered with itself (400, 414, 503).
    #[derive(Debug)]
    pub struct ResponseBody<B, F = TextBody> {
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
        Text { #[pin] body: TextBody },
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

    pub(crate) fn text(body: TextBody) -> Self {
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
