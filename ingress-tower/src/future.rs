//! The response future of [`IngressRouting`](crate::IngressRouting).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use http::{Response, StatusCode};
use pin_project_lite::pin_project;

use crate::body::{ResponseBody, TextBody};
use crate::fallback::text_response;

pin_project! {
    /// Resolves to the inner service's response, the fallback's, or a
    /// response the layer wrote itself.
    #[derive(Debug)]
    pub struct ResponseFuture<S, F> {
        #[pin]
        kind: Kind<S, F>,
    }
}

pin_project! {
    #[project = KindProjection]
    #[derive(Debug)]
    enum Kind<S, F> {
        Inner { #[pin] future: S },
        Fallback { #[pin] future: F },
        Text { status: StatusCode, text: Option<Bytes> },
    }
}

impl<S, F> ResponseFuture<S, F> {
    pub(crate) fn inner(future: S) -> Self {
        Self {
            kind: Kind::Inner { future },
        }
    }

    pub(crate) fn fallback(future: F) -> Self {
        Self {
            kind: Kind::Fallback { future },
        }
    }

    /// A plain-text answer, built when polled: this keeps the future small.
    pub(crate) fn text(status: StatusCode, text: Bytes) -> Self {
        Self {
            kind: Kind::Text {
                status,
                text: Some(text),
            },
        }
    }
}

impl<S, F, B, FB, E, FE> Future for ResponseFuture<S, F>
where
    S: Future<Output = Result<Response<B>, E>>,
    F: Future<Output = Result<Response<FB>, FE>>,
    E: From<FE>,
{
    type Output = Result<Response<ResponseBody<B, FB>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let response = match self.project().kind.project() {
            KindProjection::Inner { future } => ready!(future.poll(cx))?.map(ResponseBody::inner),
            KindProjection::Fallback { future } => ready!(future.poll(cx))?.map(ResponseBody::fallback),
            KindProjection::Text { status, text } => match text.take() {
                Some(text) => text_response::<TextBody>(*status, text).map(ResponseBody::text),
                // Polled after completion: stay pending rather than panic.
                None => return Poll::Pending,
            },
        };
        Poll::Ready(Ok(response))
    }
}
