//! The first bytes of a new connection: enough of them to tell HTTP/1
//! from HTTP/2 (whose clients open with a fixed preface), put back in
//! front of the connection for the server that reads it.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Buf as _, Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, ReadBuf};

use crate::timer::CoarseTimer;

/// What an HTTP/2 client sends first (RFC 9113 section 3.4).
const H2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// A new connection whose protocol is known.
pub(crate) struct Opened<S> {
    pub(crate) io: Prefixed<S>,
    pub(crate) protocol: Protocol,
}

/// What a new connection speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Protocol {
    /// HTTP/1, with its first request line read whole.
    Http1,
    /// HTTP/2 (its preface was read).
    Http2,
    /// HTTP/1, but the first request line does not end within the
    /// request-head limit: 414, as nginx answers.
    Http1LineTooLong,
}

/// Reads, within `within`, enough of what the client sends first to tell
/// HTTP/1 from HTTP/2: the HTTP/2 preface, or anything else and then the
/// rest of the first line, up to `max_line` bytes (hyper's server would
/// answer 431 for a request line over its buffer; the gateway answers 414,
/// as for a target over hyper's limit). `None` if it sent nothing in time,
/// or closed.
pub(crate) async fn first_bytes<S: AsyncRead + Unpin>(
    mut stream: S,
    timer: &CoarseTimer,
    within: Duration,
    max_line: usize,
) -> Option<Opened<S>> {
    let mut first = BytesMut::with_capacity(FIRST_READ);
    let protocol = timer
        .timeout(within, async {
            // How far the first line has been looked for a line feed.
            let mut scanned = 0;
            loop {
                if first.len() == first.capacity() {
                    // Grown at most to the limit (the allocator may round up).
                    first.reserve(first.len().clamp(1, max_line.saturating_sub(first.len()).max(1)));
                }
                match stream.read_buf(&mut first).await {
                    Ok(0) | Err(_) => return None,
                    Ok(_) => {}
                }
                let start = first.get(..H2_PREFACE.len()).unwrap_or(&first);
                if H2_PREFACE.starts_with(start) {
                    if first.len() >= H2_PREFACE.len() {
                        return Some(Protocol::Http2);
                    }
                    continue;
                }
                if memchr::memchr(b'\n', first.get(scanned..).unwrap_or_default()).is_some() {
                    return Some(Protocol::Http1);
                }
                if first.len() >= max_line {
                    return Some(Protocol::Http1LineTooLong);
                }
                scanned = first.len();
            }
        })
        .await
        .ok()??;
    Some(Opened {
        io: Prefixed {
            first: first.freeze(),
            stream,
        },
        protocol,
    })
}

/// Room for the first read: a whole request head, usually.
const FIRST_READ: usize = 4096;

/// A client connection, with the bytes read to tell its protocol put back
/// in front.
pub(crate) struct Prefixed<S> {
    first: Bytes,
    stream: S,
}

impl<S: AsyncRead + Unpin> AsyncRead for Prefixed<S> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.first.is_empty() {
            return Pin::new(&mut this.stream).poll_read(cx, buf);
        }
        let count = this.first.len().min(buf.remaining());
        buf.put_slice(this.first.get(..count).unwrap_or_default());
        this.first.advance(count);
        if this.first.is_empty() {
            // The buffer goes now, not with the connection.
            this.first = Bytes::new();
        }
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Prefixed<S> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::AsyncWriteExt as _;

    use super::*;

    /// What `first_bytes` makes of a client that sends `sent` and then
    /// waits (or closes, if `close`), and everything the server then reads.
    async fn sniff(sent: &[u8], close: bool) -> Option<(bool, Vec<u8>)> {
        let (protocol, read) = sniff_within(sent, close, 1024).await?;
        assert_ne!(protocol, Protocol::Http1LineTooLong);
        Some((protocol == Protocol::Http2, read))
    }

    /// As `sniff`, with a first line of at most `max_line` bytes.
    async fn sniff_within(sent: &[u8], close: bool, max_line: usize) -> Option<(Protocol, Vec<u8>)> {
        let timer = CoarseTimer::new().unwrap();
        let (mut client, server) = tokio::io::duplex(64 * 1024);
        client.write_all(sent).await.unwrap();
        if close {
            drop(client);
        } else {
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(300)).await;
                drop(client);
            });
        }
        let opened = first_bytes(server, &timer, Duration::from_millis(200), max_line).await?;
        let mut read = Vec::new();
        let mut io = opened.io;
        let _ = io.read_to_end(&mut read).await;
        Some((opened.protocol, read))
    }

    #[tokio::test]
    async fn the_http2_preface_says_http2_and_is_read_again_by_the_server() {
        let mut sent = H2_PREFACE.to_vec();
        sent.extend_from_slice(b"\x00\x00\x00\x04");
        assert_eq!(sniff(&sent, true).await, Some((true, sent)));
    }

    #[tokio::test]
    async fn anything_else_is_http1_from_its_first_differing_byte() {
        let sent = b"GET / HTTP/1.1\r\n".to_vec();
        assert_eq!(sniff(&sent, true).await, Some((false, sent)));
        // A prefix of the preface that goes astray.
        let sent = b"PRI * HTTP/1.1\r\n".to_vec();
        assert_eq!(sniff(&sent, false).await, Some((false, sent)));
    }

    #[tokio::test]
    async fn a_first_line_without_end_within_the_limit_is_too_long() {
        let mut sent = b"GET /".to_vec();
        sent.extend(std::iter::repeat_n(b'a', 9000));
        let (protocol, _) = sniff_within(&sent, true, 8192).await.unwrap();
        assert_eq!(protocol, Protocol::Http1LineTooLong);
        // The line ends within the limit: HTTP/1, everything read again.
        sent.truncate(8000);
        sent.extend_from_slice(b" HTTP/1.1\r\nX-Pad: ");
        sent.extend(std::iter::repeat_n(b'b', 20_000));
        assert_eq!(
            sniff_within(&sent, true, 8192).await,
            Some((Protocol::Http1, sent.clone()))
        );
        // A line still arriving, within the limit, is waited for.
        assert_eq!(sniff_within(b"GET /abc", false, 8192).await, None);
    }

    #[tokio::test]
    async fn silence_or_a_close_before_the_protocol_is_known_is_nothing() {
        assert_eq!(sniff(b"", true).await, None);
        assert_eq!(sniff(b"PRI * HTTP/2", true).await, None, "closed inside the preface");
        assert_eq!(sniff(b"PRI", false).await, None, "nothing more in time");
    }
}
