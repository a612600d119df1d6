//! The request on its way up: its head encoded before any await
//! ([`Outbound`]), and the client's body pushed to the upstream as it comes
//! ([`Upload`]).

use std::fmt;
use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use bytes::{Buf as _, Bytes};
use http::Method;
use http::request::Parts;
use hyper::body::{Body, Incoming};
use tokio::io::AsyncWrite;

use super::Error;
use super::connection::{Connect, Connection};
use super::h1::{self, Forwarded, RequestFraming};
use super::pool::Endpoint;

/// A request ready for an upstream: its head encoded, its body (if any)
/// ready to go. Made before any await, so that the request itself never
/// sits in (and is never moved with) the future that sends it.
pub(crate) struct Outbound {
    pub(super) head: Vec<u8>,
    pub(super) upload: Option<Box<Upload>>,
    pub(super) method: Method,
}

impl Outbound {
    /// A request (Host set, hop-by-hop headers gone, the canonical target
    /// in the URI) as it goes to an upstream.
    pub(crate) fn new(parts: &Parts, body: Incoming, forwarded: &Forwarded<'_>) -> Self {
        let framing = if body.is_end_stream() {
            RequestFraming::Empty
        } else {
            body.size_hint()
                .exact()
                .map_or(RequestFraming::Chunked, RequestFraming::Length)
        };
        Self {
            head: h1::encode_request_head(parts, framing, forwarded),
            upload: (framing != RequestFraming::Empty)
                .then(|| Box::new(Upload::new(body, framing == RequestFraming::Chunked))),
            method: parts.method.clone(),
        }
    }
}

impl fmt::Debug for Outbound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Outbound")
            .field("method", &self.method)
            .field("head_bytes", &self.head.len())
            .field("upload", &self.upload)
            .finish()
    }
}

/// The client's request body on its way to the upstream, pushed by whoever
/// polls the exchange: first the wait for the response head, then the
/// response body, then (once that is complete) a task of its own. While the
/// response streams, the upload moves only as the client reads: a client that
/// reads nothing until it has sent its whole body, to an upstream that
/// echoes it back, stalls once the buffers between them are full.
pub(crate) struct Upload {
    body: Incoming,
    chunked: bool,
    /// Taken from the body (with its chunk framing) and not yet written.
    out: Bytes,
    /// The body has ended; the last chunk, if any, is in `out`.
    ended: bool,
}

impl Upload {
    fn new(body: Incoming, chunked: bool) -> Self {
        Self {
            body,
            chunked,
            out: Bytes::new(),
            ended: false,
        }
    }

    /// Writes what the client has sent so far; ready once all of it is out.
    /// A failure to read the client's body is [`Error::is_request_body`];
    /// any other is the upstream's.
    pub(super) fn poll_send<W: AsyncWrite + Unpin>(
        &mut self,
        writer: &mut W,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(), Error>> {
        loop {
            while !self.out.is_empty() {
                let written = ready!(Pin::new(&mut *writer).poll_write(cx, &self.out)).map_err(Error::io)?;
                if written == 0 {
                    return Poll::Ready(Err(Error::io(io::ErrorKind::WriteZero.into())));
                }
                self.out.advance(written);
            }
            if self.ended {
                return Poll::Ready(Ok(()));
            }
            match ready!(Pin::new(&mut self.body).poll_frame(cx)) {
                None => {
                    self.ended = true;
                    if self.chunked {
                        self.out = Bytes::from_static(h1::LAST_CHUNK);
                    }
                }
                Some(Err(error)) => return Poll::Ready(Err(Error::request_body(error))),
                // Request trailers are dropped: HTTP/1.1 upstreams rarely
                // take them.
                Some(Ok(frame)) => {
                    if let Ok(data) = frame.into_data()
                        && !data.is_empty()
                    {
                        self.out = if self.chunked { h1::encode_chunk(&data) } else { data };
                    }
                }
            }
        }
    }
}

impl fmt::Debug for Upload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Upload")
            .field("chunked", &self.chunked)
            .field("ended", &self.ended)
            .finish_non_exhaustive()
    }
}

/// Longest time the rest of a request body may take after its answer is
/// complete.
const UPLOAD_AFTER_ANSWER: Duration = Duration::from_secs(60);

/// Sends the rest of a request body whose answer is complete already, then
/// gives the connection back.
pub(super) async fn finish_upload<C: Connect>(
    mut connection: Connection<C::Io>,
    mut upload: Box<Upload>,
    home: Arc<Endpoint<C>>,
) {
    let sent = tokio::time::timeout(
        UPLOAD_AFTER_ANSWER,
        poll_fn(|cx| upload.poll_send(&mut connection.io, cx)),
    )
    .await;
    match sent {
        Ok(Ok(())) => home.give_back(connection),
        Ok(Err(error)) => tracing::debug!(%error, "request body not sent whole after its answer"),
        Err(_) => tracing::debug!("request body still going out a minute after its answer; dropped"),
    }
}
