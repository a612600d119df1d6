//! The response body, read from its upstream connection as the client
//! takes it. The connection goes back to its endpoint once the body has
//! been read to the end; one whose answer was cut short, that switched
//! protocols, that the upstream asked to close or whose request body did
//! not go out whole is never reused. When the client's request body fails
//! (bad chunk syntax) after the answer head went out, the answer fails
//! too: the client's connection is closed rather than given an answer that
//! looks whole.

use std::fmt;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use hyper::body::{Body, Frame, SizeHint};

use super::connection::{Connect, Connection};
use super::h1::{Decoded, ResponseFraming};
use super::pool::Endpoint;
use super::upload::{Upload, finish_upload};

/// An upstream response body; the rest of the request body, if any, goes
/// out as this one is polled.
pub(crate) struct UpstreamBody<C: Connect> {
    /// `None` once the body is over (or its connection has gone to a
    /// tunnel).
    connection: Option<Connection<C::Io>>,
    framing: ResponseFraming,
    /// Where the connection goes after the body, if it may be reused.
    home: Option<Arc<Endpoint<C>>>,
    /// The rest of the request body, still going out.
    upload: Option<Box<Upload>>,
}

impl<C: Connect> UpstreamBody<C> {
    pub(super) fn new(
        connection: Connection<C::Io>,
        framing: ResponseFraming,
        home: Option<Arc<Endpoint<C>>>,
        upload: Option<Box<Upload>>,
    ) -> Self {
        Self {
            connection: Some(connection),
            framing,
            home,
            upload,
        }
    }

    pub(super) fn framing(&self) -> &ResponseFraming {
        &self.framing
    }

    /// The connection of a 101 answer, for the tunnel.
    pub(crate) fn take_switched(&mut self) -> Option<Connection<C::Io>> {
        if self.framing == ResponseFraming::Switched {
            self.connection.take()
        } else {
            None
        }
    }

    /// The body is over: its connection goes back, if it can carry more.
    /// A request body still going out goes on in a task of its own (the
    /// upstream answered before reading all of it, and may read on), unless
    /// the upstream is closing the connection (RFC 9112 section 9.5).
    pub(super) fn finish(&mut self) {
        self.framing = ResponseFraming::Empty;
        let Some(connection) = self.connection.take() else {
            return;
        };
        let home = self.home.take();
        match (self.upload.take(), home) {
            (None, Some(home)) => home.give_back(connection),
            (Some(upload), Some(home)) => {
                if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                    runtime.spawn(finish_upload(connection, upload, home));
                }
            }
            // Closing: dropped here.
            (_, None) => {}
        }
    }

    fn fail(&mut self, error: io::Error) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        self.connection = None;
        self.upload = None;
        self.framing = ResponseFraming::Empty;
        Poll::Ready(Some(Err(error)))
    }
}

impl<C: Connect> fmt::Debug for UpstreamBody<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UpstreamBody")
            .field("framing", &self.framing)
            .field("returns_to", &self.home.as_ref().map(|endpoint| endpoint.address()))
            .finish_non_exhaustive()
    }
}

impl<C: Connect> Body for UpstreamBody<C> {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        let this = self.get_mut();
        if let (Some(upload), Some(connection)) = (this.upload.as_mut(), this.connection.as_mut()) {
            match upload.poll_send(&mut connection.io, cx) {
                Poll::Ready(Ok(())) => this.upload = None,
                // The client's body broke (bad chunk syntax, a client gone):
                // the answer is cut short, which closes the client's
                // connection; the upstream's is dropped with it.
                Poll::Ready(Err(error)) if error.is_request_body() => {
                    tracing::debug!(%error, "request body refused after the answer head");
                    return this.fail(io::Error::other(error));
                }
                Poll::Ready(Err(error)) => {
                    tracing::debug!(%error, "request body not sent whole");
                    this.upload = None;
                    this.home = None;
                }
                Poll::Pending => {}
            }
        }
        loop {
            let Some(connection) = this.connection.as_mut() else {
                return Poll::Ready(None);
            };
            let buffer = &mut connection.buffer;
            // Data already read, if the framing has some to give.
            let data = match &mut this.framing {
                ResponseFraming::Empty | ResponseFraming::Switched => return Poll::Ready(None),
                ResponseFraming::Length(remaining) if !buffer.is_empty() => {
                    let available = buffer.len();
                    let take = usize::try_from(*remaining).map_or(available, |remaining| remaining.min(available));
                    *remaining -= take as u64;
                    let data = buffer.split_to(take).freeze();
                    if *remaining == 0 {
                        this.finish();
                    }
                    Some(data)
                }
                ResponseFraming::Close if !buffer.is_empty() => Some(buffer.split().freeze()),
                ResponseFraming::Chunked(decoder) => match decoder.decode(buffer) {
                    Ok(Decoded::Data(data)) => Some(data),
                    Ok(Decoded::Trailers(fields)) => {
                        this.finish();
                        return Poll::Ready(Some(Ok(Frame::trailers(fields))));
                    }
                    Ok(Decoded::End) => {
                        this.finish();
                        return Poll::Ready(None);
                    }
                    Ok(Decoded::NeedMore) => None,
                    Err(error) => return this.fail(io::Error::new(io::ErrorKind::InvalidData, error)),
                },
                ResponseFraming::Length(_) | ResponseFraming::Close => None,
            };
            if let Some(data) = data {
                return Poll::Ready(Some(Ok(Frame::data(data))));
            }
            let Some(connection) = this.connection.as_mut() else {
                return Poll::Ready(None);
            };
            match ready!(connection.poll_fill(cx)) {
                // The end of a body delimited by the close (its connection
                // was never reusable: `finish` drops it).
                Ok(0) if this.framing == ResponseFraming::Close => {
                    this.finish();
                    return Poll::Ready(None);
                }
                Ok(0) => return this.fail(io::ErrorKind::UnexpectedEof.into()),
                Ok(_) => {}
                Err(error) => return this.fail(error),
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        matches!(
            self.framing,
            ResponseFraming::Empty | ResponseFraming::Switched | ResponseFraming::Length(0)
        )
    }

    fn size_hint(&self) -> SizeHint {
        match self.framing {
            ResponseFraming::Empty | ResponseFraming::Switched => SizeHint::with_exact(0),
            ResponseFraming::Length(remaining) => SizeHint::with_exact(remaining),
            ResponseFraming::Chunked(_) | ResponseFraming::Close => SizeHint::default(),
        }
    }
}
