//! The response head the gateway reads from an upstream, and what it says
//! about the body that follows: how it is delimited (RFC 9112 section
//! 6.3) and whether the connection may carry another request.
//!
//! ```
//! use bytes::Bytes;
//! use ingress_gateway::upstream::h1::{ResponseFraming, parse_response_head, response_head_end};
//!
//! let read = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
//! let end = response_head_end(read, 0).unwrap();
//! let head = Bytes::copy_from_slice(&read[..end]);
//! let head = parse_response_head(&head, &http::Method::GET).unwrap().unwrap();
//! assert_eq!(head.response().status(), 200);
//! assert_eq!(*head.framing(), ResponseFraming::Length(5));
//! assert!(head.keeps_connection());
//! ```

use std::mem::MaybeUninit;
use std::sync::LazyLock;

use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::{Method, Response, StatusCode, Version};
use memchr::memmem::Finder;

use super::chunked::ChunkedDecoder;
use super::list_tokens;
use crate::upstream::Error;

/// Response heads larger than this are refused (nginx's largest default
/// proxy buffer is 8 KiB; hyper's client allows ~400 KiB).
pub const MAX_HEAD: usize = 64 * 1024;
/// Header fields a response head may have.
pub(super) const MAX_HEADERS: usize = 128;

/// The error for a head that outgrew [`MAX_HEAD`].
pub(crate) const HEAD_TOO_LARGE: Error = Error::protocol("response head too large");

/// How a response body ends.
#[derive(Debug, PartialEq, Eq)]
pub enum ResponseFraming {
    /// No body: HEAD, 204, 304, or `Content-Length: 0`.
    Empty,
    /// `Content-Length` bytes.
    Length(u64),
    /// `Transfer-Encoding: chunked`, decoded by the decoder held here.
    Chunked(ChunkedDecoder),
    /// Until the upstream closes the connection.
    Close,
    /// 101: the connection now speaks another protocol.
    Switched,
}

/// A final response head, and what it says about the rest.
#[derive(Debug)]
pub struct ResponseHead {
    response: Response<()>,
    framing: ResponseFraming,
    keep_alive: bool,
}

impl ResponseHead {
    /// Status, version and the header fields passed on (this hop's framing
    /// fields left out, one normalised `Content-Length` at most).
    pub fn response(&self) -> &Response<()> {
        &self.response
    }

    /// How the body that follows is delimited.
    pub fn framing(&self) -> &ResponseFraming {
        &self.framing
    }

    /// Whether the connection may carry another request once this body
    /// has been read: never after `Connection: close`, an HTTP/1.0 answer
    /// without keep-alive, a body delimited by the close, a message with
    /// both `Transfer-Encoding` and `Content-Length`, or an HTTP/1.0 one
    /// with `Transfer-Encoding` (even when no body follows).
    pub fn keeps_connection(&self) -> bool {
        self.keep_alive
    }

    /// The response head, the framing and [`ResponseHead::keeps_connection`].
    pub fn into_parts(self) -> (Response<()>, ResponseFraming, bool) {
        (self.response, self.framing, self.keep_alive)
    }
}

/// The end of the head in `bytes` (just past the empty line), if it is all
/// there. Bare LF line ends count, as httparse reads them. `scanned` bytes
/// were looked at before (and held no end): the search takes up from there.
pub fn response_head_end(bytes: &[u8], scanned: usize) -> Option<usize> {
    // An end split across reads starts at most two bytes back ("\n\r").
    let from = scanned.saturating_sub(2);
    let rest = bytes.get(from..)?;
    // Two vectorised searches beat one byte loop over a few hundred bytes;
    // the searchers are built once.
    static CRLF: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"\n\r\n"));
    static LF: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"\n\n"));
    let crlf = CRLF.find(rest).map(|at| at + 3);
    // A bare-LF end counts only before the CRLF one.
    let lf = LF
        .find(crlf.and_then(|end| rest.get(..end)).unwrap_or(rest))
        .map(|at| at + 2);
    let end = match (crlf, lf) {
        (Some(crlf), Some(lf)) => crlf.min(lf),
        (end, None) | (None, end) => end?,
    };
    Some(from + end)
}

/// Parses a complete head (as [`response_head_end`] delimits it). Header values
/// share `head`'s memory. The hop-by-hop fields this parse reads anyway
/// (`Transfer-Encoding`, `Keep-Alive`, a `Connection` of only `close` or
/// `keep-alive`) are left out of the map; a `Connection` naming other fields
/// stays, for the proxy to remove them. `None` for an interim (1xx)
/// response, which the caller skips.
pub fn parse_response_head(head: &Bytes, request_method: &Method) -> Result<Option<ResponseHead>, Error> {
    let mut fields = [const { MaybeUninit::<httparse::Header<'_>>::uninit() }; MAX_HEADERS];
    let mut parsed = httparse::Response::new(&mut []);
    match httparse::ParserConfig::default().parse_response_with_uninit_headers(&mut parsed, head, &mut fields) {
        Ok(httparse::Status::Complete(_)) => {}
        Ok(httparse::Status::Partial) => return Err(Error::protocol("incomplete response head")),
        Err(httparse::Error::TooManyHeaders) => return Err(Error::protocol("too many response header fields")),
        Err(_) => return Err(Error::protocol("malformed response head")),
    }
    let status = parsed
        .code
        .and_then(|code| StatusCode::from_u16(code).ok())
        .ok_or(Error::protocol("bad response status"))?;
    if status.is_informational() && status != StatusCode::SWITCHING_PROTOCOLS {
        return Ok(None);
    }
    let version = if parsed.version == Some(0) {
        Version::HTTP_10
    } else {
        Version::HTTP_11
    };

    let mut headers = HeaderMap::with_capacity(parsed.headers.len());
    let mut length: Option<u64> = None;
    let mut encoded = false;
    let mut chunked_last = false;
    let mut close_token = false;
    let mut keep_alive_token = false;
    for field in parsed.headers.iter() {
        let name = HeaderName::from_bytes(field.name.as_bytes()).map_err(|_| Error::protocol("bad header name"))?;
        if name == header::CONTENT_LENGTH {
            let value = content_length(field.value).ok_or(Error::protocol("bad Content-Length"))?;
            if length.is_some_and(|earlier| earlier != value) {
                return Err(Error::protocol("conflicting Content-Length values"));
            }
            length = Some(value);
            // Put back once, normalised, below: a list or repeated lines
            // must not be passed on (RFC 9110 section 8.6).
            continue;
        } else if name == header::TRANSFER_ENCODING {
            encoded = true;
            // Only the last coding says whether the body is chunked.
            if let Some(last) = list_tokens(field.value).last() {
                chunked_last = last.eq_ignore_ascii_case(b"chunked");
            }
            // Hop-by-hop: the framing is this connection's, not passed on.
            continue;
        } else if name == header::CONNECTION {
            let mut other = false;
            for token in list_tokens(field.value) {
                let is_close = token.eq_ignore_ascii_case(b"close");
                let is_keep_alive = token.eq_ignore_ascii_case(b"keep-alive");
                close_token |= is_close;
                keep_alive_token |= is_keep_alive;
                other |= !is_close && !is_keep_alive;
            }
            // Hop-by-hop too; kept only when it names other fields (or an
            // upgrade), for the proxy to act on.
            if !other {
                continue;
            }
        } else if name.as_str() == "keep-alive" {
            continue;
        }
        let value = HeaderValue::from_maybe_shared(head.slice_ref(field.value))
            .map_err(|_| Error::protocol("bad header value"))?;
        headers.append(name, value);
    }

    // HTTP/1.1 persists unless told to close; HTTP/1.0 only when asked to
    // keep alive; `close` wins over anything (RFC 9112 section 9.3).
    let mut close = close_token || (version == Version::HTTP_10 && !keep_alive_token);
    if encoded {
        // Transfer-Encoding overrides Content-Length; a message with both
        // may be an attempt at smuggling, and HTTP/1.0 has no
        // Transfer-Encoding: either way the length is not passed on and
        // the connection is not reused (RFC 9112 sections 6.1 and 6.3),
        // whether or not a body follows (HEAD, 204, 304).
        if length.take().is_some() || version == Version::HTTP_10 {
            close = true;
        }
    }
    let framing = if status == StatusCode::SWITCHING_PROTOCOLS {
        ResponseFraming::Switched
    } else if *request_method == Method::HEAD || status == StatusCode::NO_CONTENT || status == StatusCode::NOT_MODIFIED
    {
        ResponseFraming::Empty
    } else if encoded {
        if chunked_last {
            ResponseFraming::Chunked(ChunkedDecoder::default())
        } else {
            close = true;
            ResponseFraming::Close
        }
    } else {
        match length {
            Some(0) => ResponseFraming::Empty,
            Some(length) => ResponseFraming::Length(length),
            None => {
                close = true;
                ResponseFraming::Close
            }
        }
    };
    if let Some(length) = length {
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    }
    let mut response = Response::new(());
    *response.status_mut() = status;
    *response.version_mut() = version;
    *response.headers_mut() = headers;
    Ok(Some(ResponseHead {
        response,
        framing,
        keep_alive: !close,
    }))
}

/// A `Content-Length` value: digits, or a list of equal ones.
fn content_length(value: &[u8]) -> Option<u64> {
    let mut found = None;
    for token in value.split(|&byte| byte == b',').map(<[u8]>::trim_ascii) {
        let length = decimal(token)?;
        if found.is_some_and(|earlier| earlier != length) {
            return None;
        }
        found = Some(length);
    }
    found
}

fn decimal(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() || digits.len() > 19 {
        return None;
    }
    digits.iter().try_fold(0_u64, |total, &digit| {
        digit
            .is_ascii_digit()
            .then(|| total.checked_mul(10)?.checked_add(u64::from(digit - b'0')))?
    })
}
