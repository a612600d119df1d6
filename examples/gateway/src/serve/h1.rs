//! HTTP/1.1 toward upstreams, as bytes: the request head the gateway writes,
//! the response head it reads, and how the response body is delimited (RFC
//! 9112). No I/O here; [`super::pool`] drives the sockets.

use std::fmt;
use std::mem::MaybeUninit;
use std::sync::LazyLock;

use bytes::{Buf as _, Bytes, BytesMut};
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::request::Parts;
use http::{Method, Response, StatusCode, Version};
use memchr::memmem::Finder;

use super::headers::list_tokens;

/// Response heads larger than this are refused (nginx's largest default
/// proxy buffer is 8 KiB; hyper's client allows ~400 KiB).
pub(crate) const MAX_HEAD: usize = 64 * 1024;
/// Header fields a response head may have.
const MAX_HEADERS: usize = 128;
/// Longest chunk-size line, extensions included.
const MAX_CHUNK_LINE: usize = 4 * 1024;
/// Trailer section bytes read (and dropped) after the last chunk.
const MAX_TRAILERS: usize = 16 * 1024;

/// What an upstream sent that is not HTTP/1.1 as this gateway reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ProtocolError(&'static str);

impl ProtocolError {
    pub(crate) const TOO_LARGE: Self = Self("response head too large");
}

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for ProtocolError {}

/// How the request body goes to the upstream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outgoing {
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
}

static X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
static X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
static X_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");

/// The request head: the target of `parts.uri` in origin form, headers as
/// they are but for the framing header that `outgoing` calls for and
/// `X-Forwarded-For`, `-Proto` and `-Host`, which `forwarded` sets (the
/// client's own `-Proto` and `-Host` are dropped; its `-For` list, on one
/// line or several, is kept, the client appended).
pub(crate) fn encode_request(parts: &Parts, outgoing: Outgoing, forwarded: &Forwarded<'_>) -> Vec<u8> {
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
    match outgoing {
        // A client that said `Content-Length: 0` gets it said on.
        Outgoing::Empty if had_length => head.extend_from_slice(b"content-length: 0\r\n"),
        Outgoing::Empty => {}
        Outgoing::Length(length) => {
            head.extend_from_slice(format!("content-length: {length}\r\n").as_bytes());
        }
        Outgoing::Chunked => head.extend_from_slice(b"transfer-encoding: chunked\r\n"),
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
    head.extend_from_slice(b"\r\nx-forwarded-proto: http\r\n");
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

/// How a response body ends.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Framing {
    /// No body: HEAD, 204, 304, or `Content-Length: 0`.
    Empty,
    /// `Content-Length` bytes.
    Length(u64),
    /// `Transfer-Encoding: chunked`.
    Chunked(Chunked),
    /// Until the upstream closes the connection.
    Close,
    /// 101: the connection now speaks another protocol.
    Switched,
}

/// A final response head, and what it says about the rest.
#[derive(Debug)]
pub(crate) struct Head {
    pub(crate) response: Response<()>,
    pub(crate) framing: Framing,
    /// Whether the connection may carry another request after this one.
    pub(crate) keep_alive: bool,
}

/// The end of the head in `bytes` (just past the empty line), if it is all
/// there. Bare LF line ends count, as httparse reads them. `scanned` bytes
/// were looked at before (and held no end): the search takes up from there.
pub(crate) fn head_end(bytes: &[u8], scanned: usize) -> Option<usize> {
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

/// Parses a complete head (as [`head_end`] delimits it). Header values
/// share `head`'s memory. The hop-by-hop fields this parse reads anyway
/// (`Transfer-Encoding`, `Keep-Alive`, a `Connection` of only `close` or
/// `keep-alive`) are left out of the map; a `Connection` naming other fields
/// stays, for the proxy to remove them. `None` for an interim (1xx)
/// response, which the caller skips.
pub(crate) fn parse_head(head: &Bytes, request_method: &Method) -> Result<Option<Head>, ProtocolError> {
    let mut fields = [const { MaybeUninit::<httparse::Header<'_>>::uninit() }; MAX_HEADERS];
    let mut parsed = httparse::Response::new(&mut []);
    match httparse::ParserConfig::default().parse_response_with_uninit_headers(&mut parsed, head, &mut fields) {
        Ok(httparse::Status::Complete(_)) => {}
        Ok(httparse::Status::Partial) => return Err(ProtocolError("incomplete response head")),
        Err(httparse::Error::TooManyHeaders) => return Err(ProtocolError("too many response header fields")),
        Err(_) => return Err(ProtocolError("malformed response head")),
    }
    let status = parsed
        .code
        .and_then(|code| StatusCode::from_u16(code).ok())
        .ok_or(ProtocolError("bad response status"))?;
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
        let name = HeaderName::from_bytes(field.name.as_bytes()).map_err(|_| ProtocolError("bad header name"))?;
        if name == header::CONTENT_LENGTH {
            let value = content_length(field.value).ok_or(ProtocolError("bad Content-Length"))?;
            if length.is_some_and(|earlier| earlier != value) {
                return Err(ProtocolError("conflicting Content-Length values"));
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
            .map_err(|_| ProtocolError("bad header value"))?;
        headers.append(name, value);
    }

    // HTTP/1.1 persists unless told to close; HTTP/1.0 only when asked to
    // keep alive; `close` wins over anything (RFC 9112 section 9.3).
    let mut close = close_token || (version == Version::HTTP_10 && !keep_alive_token);
    let framing = if status == StatusCode::SWITCHING_PROTOCOLS {
        Framing::Switched
    } else if *request_method == Method::HEAD || status == StatusCode::NO_CONTENT || status == StatusCode::NOT_MODIFIED
    {
        Framing::Empty
    } else if encoded {
        // Transfer-Encoding overrides Content-Length; a message with both
        // may be an attempt at smuggling, and HTTP/1.0 has no
        // Transfer-Encoding: either way its connection is not reused (RFC
        // 9112 sections 6.1 and 6.3).
        if length.take().is_some() {
            close = true;
        }
        if version == Version::HTTP_10 {
            close = true;
        }
        if chunked_last {
            Framing::Chunked(Chunked::default())
        } else {
            close = true;
            Framing::Close
        }
    } else {
        match length {
            Some(0) => Framing::Empty,
            Some(length) => Framing::Length(length),
            None => {
                close = true;
                Framing::Close
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
    Ok(Some(Head {
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

/// Where a chunked body's decoding stands.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) enum Chunked {
    /// Before a chunk-size line.
    #[default]
    Size,
    /// Inside a chunk: this many data bytes to go.
    Data(u64),
    /// After a chunk's data: its CRLF.
    DataEnd,
    /// After the last chunk: the trailer fields so far (those that do not
    /// parse are dropped), and the bytes they took, up to the empty line.
    Trailers(usize, Box<HeaderMap>),
    /// The body is complete.
    Done,
}

/// One step of decoding.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Decoded {
    Data(Bytes),
    /// The trailer fields, at the end of the body (then [`Decoded::End`]).
    Trailers(HeaderMap),
    /// `buffer` holds no complete next piece: read more.
    NeedMore,
    End,
}

impl Chunked {
    /// Takes what it can from the front of `buffer`: body data, or
    /// framing, which it consumes on its way to the next data or the end.
    pub(crate) fn decode(&mut self, buffer: &mut BytesMut) -> Result<Decoded, ProtocolError> {
        loop {
            match *self {
                Self::Size => {
                    let Some(line) = take_line(buffer, MAX_CHUNK_LINE)? else {
                        return Ok(Decoded::NeedMore);
                    };
                    *self = match chunk_size(&line)? {
                        0 => Self::Trailers(0, Box::default()),
                        size => Self::Data(size),
                    };
                }
                Self::Data(remaining) => {
                    if buffer.is_empty() {
                        return Ok(Decoded::NeedMore);
                    }
                    let available = buffer.len();
                    let take = usize::try_from(remaining).map_or(available, |remaining| remaining.min(available));
                    *self = match remaining - take as u64 {
                        0 => Self::DataEnd,
                        left => Self::Data(left),
                    };
                    return Ok(Decoded::Data(buffer.split_to(take).freeze()));
                }
                Self::DataEnd => match buffer.first().copied() {
                    None => return Ok(Decoded::NeedMore),
                    Some(b'\n') => {
                        buffer.advance(1);
                        *self = Self::Size;
                    }
                    Some(b'\r') => match buffer.get(1).copied() {
                        None => return Ok(Decoded::NeedMore),
                        Some(b'\n') => {
                            buffer.advance(2);
                            *self = Self::Size;
                        }
                        Some(_) => return Err(ProtocolError("chunk data longer than its size")),
                    },
                    Some(_) => return Err(ProtocolError("chunk data longer than its size")),
                },
                Self::Trailers(ref mut seen, ref mut fields) => {
                    let Some(line) = take_line(buffer, MAX_TRAILERS.saturating_sub(*seen))? else {
                        return Ok(Decoded::NeedMore);
                    };
                    if line.is_empty() {
                        let fields = std::mem::take(&mut **fields);
                        *self = Self::Done;
                        if !fields.is_empty() {
                            return Ok(Decoded::Trailers(fields));
                        }
                    } else {
                        *seen += line.len() + 2;
                        if let Some((name, value)) = trailer_field(&line) {
                            fields.append(name, value);
                        }
                    }
                }
                Self::Done => return Ok(Decoded::End),
            }
        }
    }
}

/// The next line of `buffer` without its line end, consumed; `None` while
/// incomplete; an error once it would exceed `limit` bytes.
fn take_line(buffer: &mut BytesMut, limit: usize) -> Result<Option<BytesMut>, ProtocolError> {
    let Some(newline) = buffer.iter().position(|&byte| byte == b'\n') else {
        return if buffer.len() > limit {
            Err(ProtocolError("chunk framing line too long"))
        } else {
            Ok(None)
        };
    };
    if newline > limit {
        return Err(ProtocolError("chunk framing line too long"));
    }
    let mut line = buffer.split_to(newline + 1);
    line.truncate(newline);
    if line.last() == Some(&b'\r') {
        line.truncate(newline - 1);
    }
    Ok(Some(line))
}

/// A trailer line, `name: value`, if it is a valid field.
fn trailer_field(line: &[u8]) -> Option<(HeaderName, HeaderValue)> {
    let colon = line.iter().position(|&byte| byte == b':')?;
    let (name, value) = line.split_at(colon);
    let value = value.get(1..)?.trim_ascii();
    Some((HeaderName::from_bytes(name).ok()?, HeaderValue::from_bytes(value).ok()?))
}

/// A chunk-size line: hex digits, then optional whitespace and extensions
/// (ignored).
fn chunk_size(line: &[u8]) -> Result<u64, ProtocolError> {
    let digits = line.iter().take_while(|byte| byte.is_ascii_hexdigit()).count();
    let (hex, rest) = line.split_at(digits);
    if hex.is_empty() || hex.len() > 15 {
        return Err(ProtocolError("bad chunk size"));
    }
    let rest = rest.trim_ascii_start();
    if !rest.is_empty() && rest.first() != Some(&b';') {
        return Err(ProtocolError("bad chunk size"));
    }
    let size = hex.iter().fold(0_u64, |size, &digit| {
        let value = match digit {
            b'0'..=b'9' => digit - b'0',
            b'a'..=b'f' => digit - b'a' + 10,
            _ => digit - b'A' + 10,
        };
        (size << 4) | u64::from(value)
    });
    Ok(size)
}

#[cfg(test)]
mod tests {
    use http::Request;

    use super::*;

    fn parts(method: &str, target: &str, headers: &[(&str, &str)]) -> Parts {
        let mut request = Request::builder().method(method).uri(target);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.body(()).unwrap().into_parts().0
    }

    fn head(text: &str, method: &Method) -> Result<Option<Head>, ProtocolError> {
        let bytes = Bytes::copy_from_slice(text.as_bytes());
        assert_eq!(head_end(&bytes, 0), Some(bytes.len()), "test heads are complete");
        parse_head(&bytes, method)
    }

    fn framing(text: &str) -> (Framing, bool) {
        let head = head(text, &Method::GET).unwrap().unwrap();
        (head.framing, head.keep_alive)
    }

    /// What the gateway adds for a client at 127.0.0.1 with no Host.
    fn plain() -> Forwarded<'static> {
        static CLIENT: HeaderValue = HeaderValue::from_static("127.0.0.1");
        Forwarded {
            client: &CLIENT,
            host: None,
        }
    }

    /// The head without the `X-Forwarded-*` lines every head ends with.
    fn text(head: Vec<u8>) -> String {
        let text = String::from_utf8(head).unwrap();
        let (head, forwarded) = text
            .split_once("x-forwarded-for: 127.0.0.1\r\nx-forwarded-proto: http\r\n")
            .unwrap();
        assert_eq!(forwarded, "\r\n");
        format!("{head}\r\n")
    }

    #[test]
    fn a_query_without_a_path_gets_one() {
        let request = parts("GET", "http://a.test?x=1", &[]);
        assert!(text(encode_request(&request, Outgoing::Empty, &plain())).starts_with("GET /?x=1 HTTP/1.1\r\n"));
        let request = parts("OPTIONS", "*", &[]);
        assert!(text(encode_request(&request, Outgoing::Empty, &plain())).starts_with("OPTIONS * HTTP/1.1\r\n"));
    }

    #[test]
    fn forwarded_for_joins_every_line_and_proto_and_host_are_ours() {
        let request = parts(
            "GET",
            "/",
            &[
                ("x-forwarded-for", "10.0.0.1"),
                ("x-forwarded-proto", "https"),
                ("x-forwarded-for", " 10.0.0.2 "),
                ("x-forwarded-host", "spoofed"),
                ("x-forwarded-for", ""),
            ],
        );
        let mut request = request;
        request
            .headers
            .append("x-forwarded-for", HeaderValue::from_bytes(b"caf\xe9").unwrap());
        let host = HeaderValue::from_static("hello.nginx.com");
        let forwarded = Forwarded {
            client: &HeaderValue::from_static("192.0.2.7"),
            host: Some(&host),
        };
        assert_eq!(
            String::from_utf8(encode_request(&request, Outgoing::Empty, &forwarded)).unwrap(),
            "GET / HTTP/1.1\r\nx-forwarded-for: 10.0.0.1, 10.0.0.2, 192.0.2.7\r\nx-forwarded-proto: http\r\nx-forwarded-host: hello.nginx.com\r\n\r\n"
        );
    }

    #[test]
    fn request_heads_carry_the_target_headers_and_framing() {
        let request = parts("GET", "/a/b?q=1", &[("host", "x.test"), ("x-one", "1")]);
        assert_eq!(
            text(encode_request(&request, Outgoing::Empty, &plain())),
            "GET /a/b?q=1 HTTP/1.1\r\nhost: x.test\r\nx-one: 1\r\n\r\n"
        );
        let request = parts("POST", "/", &[("content-length", "5")]);
        assert_eq!(
            text(encode_request(&request, Outgoing::Length(5), &plain())),
            "POST / HTTP/1.1\r\ncontent-length: 5\r\n\r\n"
        );
        // A known length without the header (HTTP/2 may leave it out).
        let request = parts("PUT", "/", &[]);
        assert_eq!(
            text(encode_request(&request, Outgoing::Length(7), &plain())),
            "PUT / HTTP/1.1\r\ncontent-length: 7\r\n\r\n"
        );
        let request = parts(
            "POST",
            "/",
            &[("content-length", "9"), ("transfer-encoding", "chunked")],
        );
        assert_eq!(
            text(encode_request(&request, Outgoing::Chunked, &plain())),
            "POST / HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\n"
        );
        // A repeated length goes on once; an empty body with a length says 0.
        let request = parts("PUT", "/", &[("content-length", "5"), ("content-length", "5")]);
        assert_eq!(
            text(encode_request(&request, Outgoing::Length(5), &plain())),
            "PUT / HTTP/1.1\r\ncontent-length: 5\r\n\r\n"
        );
        let request = parts("POST", "/", &[("content-length", "0")]);
        assert_eq!(
            text(encode_request(&request, Outgoing::Empty, &plain())),
            "POST / HTTP/1.1\r\ncontent-length: 0\r\n\r\n"
        );
        let request = parts("POST", "/", &[("content-length", "9")]);
        assert_eq!(
            text(encode_request(&request, Outgoing::Chunked, &plain())),
            "POST / HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\n"
        );
    }

    #[test]
    fn repeated_request_headers_stay_separate_lines() {
        let request = parts("GET", "/", &[("x-a", "1"), ("x-a", "2")]);
        let text = String::from_utf8(encode_request(&request, Outgoing::Empty, &plain())).unwrap();
        assert!(text.contains("x-a: 1\r\nx-a: 2\r\n"), "{text}");
    }

    #[test]
    fn the_head_ends_at_the_first_empty_line() {
        assert_eq!(head_end(b"HTTP/1.1 200 OK\r\na: b\r\n\r\nbody", 0), Some(25));
        assert_eq!(head_end(b"HTTP/1.1 200 OK\na: b\n\nbody", 0), Some(22));
        assert_eq!(head_end(b"HTTP/1.1 200 OK\r\na: b\r\n", 0), None);
        assert_eq!(head_end(b"HTTP/1.1 200 OK\r\na: b\r\n\r", 0), None);
        assert_eq!(head_end(b"", 0), None);
    }

    #[test]
    fn the_head_end_is_found_however_the_reads_split_it() {
        for text in [&b"HTTP/1.1 200 OK\r\na: b\r\n\r\n"[..], b"HTTP/1.1 200 OK\na: b\n\n"] {
            // Bytes arrive one at a time; each search takes up where the
            // last one stopped.
            let mut scanned = 0;
            for len in 1..text.len() {
                assert_eq!(head_end(&text[..len], scanned), None, "{len}");
                scanned = len;
            }
            assert_eq!(head_end(text, scanned), Some(text.len()));
        }
    }

    #[test]
    fn response_heads_keep_status_headers_and_repeats() {
        let head = head(
            "HTTP/1.1 404 Not Here\r\nContent-Length: 3\r\nSet-Cookie: a=1\r\nset-cookie: b=2\r\n\r\n",
            &Method::GET,
        )
        .unwrap()
        .unwrap();
        assert_eq!(head.response.status(), StatusCode::NOT_FOUND);
        let cookies: Vec<_> = head.response.headers().get_all("set-cookie").iter().collect();
        assert_eq!(cookies, ["a=1", "b=2"]);
        assert_eq!(head.framing, Framing::Length(3));
        assert!(head.keep_alive);
    }

    #[test]
    fn body_framing_follows_rfc_9112_section_6_3() {
        let cases = [
            ("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", (Framing::Empty, true)),
            (
                "HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\n",
                (Framing::Length(5), true),
            ),
            (
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
                (Framing::Chunked(Chunked::Size), true),
            ),
            // Chunked is not last: the body runs to the close.
            (
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
                (Framing::Close, false),
            ),
            // Neither: to the close.
            ("HTTP/1.1 200 OK\r\n\r\n", (Framing::Close, false)),
            (
                "HTTP/1.1 204 No Content\r\nContent-Length: 9\r\n\r\n",
                (Framing::Empty, true),
            ),
            ("HTTP/1.1 304 Not Modified\r\n\r\n", (Framing::Empty, true)),
            (
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n",
                (Framing::Switched, true),
            ),
            (
                "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n",
                (Framing::Length(2), false),
            ),
            (
                "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\n",
                (Framing::Length(2), false),
            ),
            (
                "HTTP/1.0 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\n",
                (Framing::Length(2), true),
            ),
            // `close` wins, in any order and over several lines.
            (
                "HTTP/1.0 200 OK\r\nContent-Length: 2\r\nConnection: close, keep-alive\r\n\r\n",
                (Framing::Length(2), false),
            ),
            (
                "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\nConnection: keep-alive\r\n\r\n",
                (Framing::Length(2), false),
            ),
            // HTTP/1.0 has no Transfer-Encoding: the framing is suspect, the
            // connection is not reused.
            (
                "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n",
                (Framing::Chunked(Chunked::Size), false),
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(framing(text), expected, "{text:?}");
        }
    }

    #[test]
    fn hop_by_hop_fields_read_for_framing_stay_out_of_the_map() {
        let head = head(
            "HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\nTransfer-Encoding: chunked\r\nX-A: 1\r\n\r\n",
            &Method::GET,
        )
        .unwrap()
        .unwrap();
        let names: Vec<_> = head.response.headers().keys().map(HeaderName::as_str).collect();
        assert_eq!(names, ["x-a"]);
        // Naming another field, Connection stays for the proxy to act on.
        let head =
            head_of("HTTP/1.1 200 OK\r\nConnection: close, x-private\r\nX-Private: 1\r\nContent-Length: 0\r\n\r\n");
        assert_eq!(head.response.headers()["connection"], "close, x-private");
        assert!(!head.keep_alive);
    }

    fn head_of(text: &str) -> Head {
        head(text, &Method::GET).unwrap().unwrap()
    }

    #[test]
    fn content_length_goes_on_once_normalised() {
        for text in [
            "HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: 5\r\ncontent-length:5\r\n\r\n",
        ] {
            let head = head(text, &Method::GET).unwrap().unwrap();
            let lengths: Vec<_> = head.response.headers().get_all("content-length").iter().collect();
            assert_eq!(lengths, ["5"], "{text:?}");
        }
    }

    #[test]
    fn a_head_request_has_no_response_body_whatever_the_length() {
        let head = head("HTTP/1.1 200 OK\r\nContent-Length: 615\r\n\r\n", &Method::HEAD)
            .unwrap()
            .unwrap();
        assert_eq!(head.framing, Framing::Empty);
        assert_eq!(head.response.headers()["content-length"], "615");
    }

    #[test]
    fn transfer_encoding_with_content_length_drops_the_length_and_the_connection() {
        let head = head(
            "HTTP/1.1 200 OK\r\nContent-Length: 10\r\nTransfer-Encoding: chunked\r\n\r\n",
            &Method::GET,
        )
        .unwrap()
        .unwrap();
        assert_eq!(head.framing, Framing::Chunked(Chunked::Size));
        assert!(!head.keep_alive);
        assert!(!head.response.headers().contains_key("content-length"));
    }

    #[test]
    fn interim_responses_are_skipped_and_bad_heads_refused() {
        assert!(head("HTTP/1.1 100 Continue\r\n\r\n", &Method::GET).unwrap().is_none());
        assert!(
            head("HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n", &Method::GET)
                .unwrap()
                .is_none()
        );
        for bad in [
            "HTTP/1.1 200 OK\r\nContent-Length: 1, 2\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\n",
            "HTTP/1.1 2000 OK\r\n\r\n",
            "SMTP ready\r\n\r\n",
            "HTTP/1.1 200 OK\r\nbad name: x\r\n\r\n",
        ] {
            assert!(head(bad, &Method::GET).is_err(), "{bad:?} accepted");
        }
        let many: String = (0..MAX_HEADERS + 1).map(|index| format!("x-{index}: v\r\n")).collect();
        assert!(head(&format!("HTTP/1.1 200 OK\r\n{many}\r\n"), &Method::GET).is_err());
    }

    /// Feeds `input` to a decoder in pieces of `step` bytes; the body, or
    /// the first error.
    fn dechunk(input: &[u8], step: usize) -> Result<(Vec<u8>, BytesMut), ProtocolError> {
        dechunk_with_trailers(input, step).map(|(body, _, rest)| (body, rest))
    }

    fn dechunk_with_trailers(input: &[u8], step: usize) -> Result<(Vec<u8>, HeaderMap, BytesMut), ProtocolError> {
        let mut decoder = Chunked::default();
        let mut buffer = BytesMut::new();
        let mut body = Vec::new();
        let mut trailers = HeaderMap::new();
        let mut pieces = input.chunks(step);
        loop {
            match decoder.decode(&mut buffer)? {
                Decoded::Data(data) => body.extend_from_slice(&data),
                Decoded::Trailers(fields) => trailers = fields,
                Decoded::End => return Ok((body, trailers, buffer)),
                Decoded::NeedMore => match pieces.next() {
                    Some(piece) => buffer.extend_from_slice(piece),
                    None => return Err(ProtocolError("ran out")),
                },
            }
        }
    }

    #[test]
    fn chunked_bodies_decode_whatever_the_read_sizes() {
        let input = b"5\r\nhello\r\n6;name=value\r\n world\r\nA \r\n0123456789\r\n0\r\nX-Sum: 1\r\n\r\nNEXT";
        for step in [1, 2, 3, 7, input.len()] {
            let (body, rest) = dechunk(input, step).unwrap();
            assert_eq!(body, b"hello world0123456789", "step {step}");
            // The bytes after the body are left for whatever comes next.
            assert!(b"NEXT".starts_with(&rest), "step {step}: {rest:?}");
        }
        // Bare LF line ends.
        assert_eq!(dechunk(b"3\nabc\n0\n\n", 1).unwrap().0, b"abc");
    }

    #[test]
    fn trailer_fields_come_out_at_the_end_and_bad_ones_are_dropped() {
        let input = b"3\r\nabc\r\n0\r\ngrpc-status: 0\r\nbad field\r\nx-sum:  7 \r\n\r\n";
        for step in [1, 5, input.len()] {
            let (body, trailers, _) = dechunk_with_trailers(input, step).unwrap();
            assert_eq!(body, b"abc");
            assert_eq!(trailers.len(), 2, "step {step}: {trailers:?}");
            assert_eq!(trailers["grpc-status"], "0");
            assert_eq!(trailers["x-sum"], "7");
        }
    }

    /// Numbers below a bound from a fixed seed (xorshift): the same cases
    /// on every run.
    fn numbers(seed: u64) -> impl FnMut(usize) -> usize {
        let mut state = seed;
        move |bound| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            usize::try_from(state % bound as u64).unwrap()
        }
    }

    #[test]
    fn random_chunked_bodies_decode_to_what_was_encoded() {
        let mut next = numbers(0x2545_f491_4f6c_dd1d);
        for case in 0..500 {
            let body: Vec<u8> = (0..next(3000)).map(|_| u8::try_from(next(256)).unwrap()).collect();
            let mut encoded = Vec::new();
            let mut rest = &body[..];
            while !rest.is_empty() {
                let (chunk, after) = rest.split_at(1 + next(rest.len()));
                let extension = if next(3) == 0 { ";a=b" } else { "" };
                let size = if next(2) == 0 {
                    format!("{:x}", chunk.len())
                } else {
                    format!("{:X}", chunk.len())
                };
                encoded.extend_from_slice(format!("{size}{extension}\r\n").as_bytes());
                encoded.extend_from_slice(chunk);
                encoded.extend_from_slice(b"\r\n");
                rest = after;
            }
            encoded.extend_from_slice(b"0\r\n\r\n");
            let step = 1 + next(64);
            let (decoded, left) = dechunk(&encoded, step).unwrap();
            assert!(decoded == body, "case {case}, step {step}");
            assert!(left.is_empty());
        }
    }

    #[test]
    fn arbitrary_answers_never_panic_the_parser() {
        // Pieces of heads and chunked bodies, glued at random (fixed seed).
        const PIECES: [&[u8]; 24] = [
            b"HTTP/1.1 ",
            b"HTTP/1.0 ",
            b"200 OK",
            b"101 ",
            b"100 Continue",
            b"204",
            b"\r\n",
            b"\n",
            b"\r",
            b"Content-Length: ",
            b"Transfer-Encoding: chunked",
            b"Connection: close, keep-alive",
            b"5",
            b", ",
            b"0",
            b"ffffffffffffffff",
            b";ext=1",
            b":",
            b" ",
            b"\t",
            b"\x00",
            b"\xff",
            b"x-a: b",
            b"Trailer",
        ];
        let mut next = numbers(0x9e37_79b9_7f4a_7c15);
        for _ in 0..20_000 {
            let input: Vec<u8> = (0..next(40))
                .flat_map(|_| PIECES[next(PIECES.len())].to_vec())
                .collect();
            if let Some(end) = head_end(&input, next(input.len() + 1).min(2)) {
                let head = Bytes::copy_from_slice(&input[..end]);
                for method in [Method::GET, Method::HEAD] {
                    let _ = parse_head(&head, &method);
                }
            }
            let _ = dechunk(&input, 1 + next(8));
        }
    }

    #[test]
    fn malformed_chunked_bodies_are_errors() {
        for bad in [
            &b"g\r\n"[..],
            b"\r\n",
            b"5 x\r\nhello\r\n",
            b"3\r\nhello\r\n",
            b"1000000000000000\r\n",
        ] {
            assert!(dechunk(bad, 1).is_err(), "{bad:?} accepted");
        }
        let long = format!("1;{}\r\n", "e".repeat(MAX_CHUNK_LINE + 1));
        assert!(dechunk(long.as_bytes(), 64).is_err());
        let trailers = format!("0\r\n{}", "x-t: v\r\n".repeat(MAX_TRAILERS / 8 + 1));
        assert!(dechunk(trailers.as_bytes(), 64).is_err());
    }
}
