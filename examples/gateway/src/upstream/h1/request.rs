//! The request head the gateway writes to an upstream: origin-form target,
//! the client's headers but for this hop's framing, and `X-Forwarded-*`.

use http::Method;
use http::header::{self, HeaderName, HeaderValue};
use http::request::Parts;

/// How the request body is framed on its way to the upstream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RequestFraming {
    /// No body (any `Content-Length: 0` the client sent goes along).
    Empty,
    /// Exactly this many bytes, announced by `Content-Length`.
    Length(u64),
    /// Length unknown up front: `Transfer-Encoding: chunked`.
    Chunked,
}

/// What the gateway tells an upstream about the client (H6: informs the
/// backend; routing never reads these headers).
#[derive(Debug)]
pub(crate) struct Forwarded<'a> {
    /// The client's address: appended to any `X-Forwarded-For` list.
    pub(crate) client: &'a HeaderValue,
    /// The Host the client sent: `X-Forwarded-Host` (none without one).
    pub(crate) host: Option<&'a HeaderValue>,
    /// The client came over TLS: `X-Forwarded-Proto: https` (else `http`).
    pub(crate) https: bool,
}

static X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
static X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
static X_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");

/// The request head: the target of `parts.uri` in origin form, headers as
/// they are but for the framing header that `framing` calls for and
/// `X-Forwarded-For`, `-Proto` and `-Host`, which `forwarded` sets (the
/// client's own `-Proto` and `-Host` are dropped; its `-For` list, on one
/// line or several, is kept, the client appended).
pub(crate) fn encode_request_head(parts: &Parts, framing: RequestFraming, forwarded: &Forwarded<'_>) -> Vec<u8> {
    let target = parts.uri.path_and_query().map_or("/", |target| target.as_str());
    let size = parts.method.as_str().len()
        + forwarded.client.len()
        + forwarded.host.map_or(0, HeaderValue::len)
        + target.len()
        + parts
            .headers
            .iter()
            .map(|(name, value)| name.as_str().len() + value.len() + 4)
            .sum::<usize>()
        + 160;
    let mut head = Vec::with_capacity(size);
    head.extend_from_slice(parts.method.as_str().as_bytes());
    head.push(b' ');
    // An absolute-form target with an empty path (`http://a.test?x=1`)
    // leaves only the query: the origin form needs its `/`.
    if target.starts_with('?') {
        head.push(b'/');
    }
    head.extend_from_slice(target.as_bytes());
    head.extend_from_slice(b" HTTP/1.1\r\n");
    let mut had_length = false;
    let mut earlier_for = false;
    for (name, value) in &parts.headers {
        if *name == X_FORWARDED_FOR {
            earlier_for = true;
            continue;
        }
        if *name == X_FORWARDED_PROTO || *name == X_FORWARDED_HOST {
            continue;
        }
        // The framing is this hop's own: exactly one header, written below
        // (the client's could be repeated, or say chunked).
        if name == header::CONTENT_LENGTH {
            had_length = true;
            continue;
        }
        if name == header::TRANSFER_ENCODING {
            continue;
        }
        head.extend_from_slice(name.as_str().as_bytes());
        head.extend_from_slice(b": ");
        head.extend_from_slice(value.as_bytes());
        head.extend_from_slice(b"\r\n");
    }
    match framing {
        // A client that said `Content-Length: 0` gets it said on.
        RequestFraming::Empty if had_length => head.extend_from_slice(b"content-length: 0\r\n"),
        RequestFraming::Empty => {}
        RequestFraming::Length(length) => {
            head.extend_from_slice(format!("content-length: {length}\r\n").as_bytes());
        }
        RequestFraming::Chunked => head.extend_from_slice(b"transfer-encoding: chunked\r\n"),
    }
    head.extend_from_slice(b"x-forwarded-for: ");
    if earlier_for {
        // Several lines of a list header are one list.
        // Entries that are not text are dropped, not passed on.
        for earlier in parts.headers.get_all(&X_FORWARDED_FOR) {
            let Ok(earlier) = earlier.to_str() else { continue };
            let earlier = earlier.trim().as_bytes();
            if !earlier.is_empty() {
                head.extend_from_slice(earlier);
                head.extend_from_slice(b", ");
            }
        }
    }
    head.extend_from_slice(forwarded.client.as_bytes());
    head.extend_from_slice(if forwarded.https {
        b"\r\nx-forwarded-proto: https\r\n"
    } else {
        b"\r\nx-forwarded-proto: http\r\n"
    });
    if let Some(host) = forwarded.host {
        head.extend_from_slice(b"x-forwarded-host: ");
        head.extend_from_slice(host.as_bytes());
        head.extend_from_slice(b"\r\n");
    }
    head.extend_from_slice(b"\r\n");
    head
}

/// Whether a request may be sent again after a reused connection failed
/// before answering (RFC 9110 section 9.2.2).
pub(crate) fn is_idempotent(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE | Method::PUT | Method::DELETE
    )
}
