use bytes::{Bytes, BytesMut};
use http::header::{HeaderMap, HeaderName, HeaderValue};
use http::request::Parts;
use http::{Method, Request, StatusCode};

use super::chunked::{MAX_CHUNK_LINE, MAX_TRAILERS};
use super::response::MAX_HEADERS;
use super::*;
use crate::upstream::Error;

fn parts(method: &str, target: &str, headers: &[(&str, &str)]) -> Parts {
    let mut request = Request::builder().method(method).uri(target);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.body(()).unwrap().into_parts().0
}

fn head(text: &str, method: &Method) -> Result<Option<ResponseHead>, Error> {
    let bytes = Bytes::copy_from_slice(text.as_bytes());
    assert_eq!(
        response_head_end(&bytes, 0),
        Some(bytes.len()),
        "test heads are complete"
    );
    parse_response_head(&bytes, method)
}

fn framing(text: &str) -> (ResponseFraming, bool) {
    let (_, framing, keeps) = head(text, &Method::GET).unwrap().unwrap().into_parts();
    (framing, keeps)
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
    assert!(text(encode_request_head(&request, RequestFraming::Empty, &plain())).starts_with("GET /?x=1 HTTP/1.1\r\n"));
    let request = parts("OPTIONS", "*", &[]);
    assert!(text(encode_request_head(&request, RequestFraming::Empty, &plain())).starts_with("OPTIONS * HTTP/1.1\r\n"));
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
        String::from_utf8(encode_request_head(&request, RequestFraming::Empty, &forwarded)).unwrap(),
        "GET / HTTP/1.1\r\nx-forwarded-for: 10.0.0.1, 10.0.0.2, 192.0.2.7\r\nx-forwarded-proto: http\r\nx-forwarded-host: hello.nginx.com\r\n\r\n"
    );
}

#[test]
fn request_heads_carry_the_target_headers_and_framing() {
    let request = parts("GET", "/a/b?q=1", &[("host", "x.test"), ("x-one", "1")]);
    assert_eq!(
        text(encode_request_head(&request, RequestFraming::Empty, &plain())),
        "GET /a/b?q=1 HTTP/1.1\r\nhost: x.test\r\nx-one: 1\r\n\r\n"
    );
    let request = parts("POST", "/", &[("content-length", "5")]);
    assert_eq!(
        text(encode_request_head(&request, RequestFraming::Length(5), &plain())),
        "POST / HTTP/1.1\r\ncontent-length: 5\r\n\r\n"
    );
    // A known length without the header (HTTP/2 may leave it out).
    let request = parts("PUT", "/", &[]);
    assert_eq!(
        text(encode_request_head(&request, RequestFraming::Length(7), &plain())),
        "PUT / HTTP/1.1\r\ncontent-length: 7\r\n\r\n"
    );
    let request = parts(
        "POST",
        "/",
        &[("content-length", "9"), ("transfer-encoding", "chunked")],
    );
    assert_eq!(
        text(encode_request_head(&request, RequestFraming::Chunked, &plain())),
        "POST / HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\n"
    );
    // A repeated length goes on once; an empty body with a length says 0.
    let request = parts("PUT", "/", &[("content-length", "5"), ("content-length", "5")]);
    assert_eq!(
        text(encode_request_head(&request, RequestFraming::Length(5), &plain())),
        "PUT / HTTP/1.1\r\ncontent-length: 5\r\n\r\n"
    );
    let request = parts("POST", "/", &[("content-length", "0")]);
    assert_eq!(
        text(encode_request_head(&request, RequestFraming::Empty, &plain())),
        "POST / HTTP/1.1\r\ncontent-length: 0\r\n\r\n"
    );
    let request = parts("POST", "/", &[("content-length", "9")]);
    assert_eq!(
        text(encode_request_head(&request, RequestFraming::Chunked, &plain())),
        "POST / HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\n"
    );
}

#[test]
fn repeated_request_headers_stay_separate_lines() {
    let request = parts("GET", "/", &[("x-a", "1"), ("x-a", "2")]);
    let text = String::from_utf8(encode_request_head(&request, RequestFraming::Empty, &plain())).unwrap();
    assert!(text.contains("x-a: 1\r\nx-a: 2\r\n"), "{text}");
}

#[test]
fn the_head_ends_at_the_first_empty_line() {
    assert_eq!(response_head_end(b"HTTP/1.1 200 OK\r\na: b\r\n\r\nbody", 0), Some(25));
    assert_eq!(response_head_end(b"HTTP/1.1 200 OK\na: b\n\nbody", 0), Some(22));
    assert_eq!(response_head_end(b"HTTP/1.1 200 OK\r\na: b\r\n", 0), None);
    assert_eq!(response_head_end(b"HTTP/1.1 200 OK\r\na: b\r\n\r", 0), None);
    assert_eq!(response_head_end(b"", 0), None);
}

#[test]
fn the_head_end_is_found_however_the_reads_split_it() {
    for text in [&b"HTTP/1.1 200 OK\r\na: b\r\n\r\n"[..], b"HTTP/1.1 200 OK\na: b\n\n"] {
        // Bytes arrive one at a time; each search takes up where the
        // last one stopped.
        let mut scanned = 0;
        for len in 1..text.len() {
            assert_eq!(response_head_end(&text[..len], scanned), None, "{len}");
            scanned = len;
        }
        assert_eq!(response_head_end(text, scanned), Some(text.len()));
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
    assert_eq!(head.response().status(), StatusCode::NOT_FOUND);
    let cookies: Vec<_> = head.response().headers().get_all("set-cookie").iter().collect();
    assert_eq!(cookies, ["a=1", "b=2"]);
    assert_eq!(*head.framing(), ResponseFraming::Length(3));
    assert!(head.keeps_connection());
}

#[test]
fn body_framing_follows_rfc_9112_section_6_3() {
    let cases = [
        (
            "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
            (ResponseFraming::Empty, true),
        ),
        (
            "HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\n",
            (ResponseFraming::Length(5), true),
        ),
        (
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
            (ResponseFraming::Chunked(ChunkedDecoder::new()), true),
        ),
        // Chunked is not last: the body runs to the close.
        (
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
            (ResponseFraming::Close, false),
        ),
        // Neither: to the close.
        ("HTTP/1.1 200 OK\r\n\r\n", (ResponseFraming::Close, false)),
        (
            "HTTP/1.1 204 No Content\r\nContent-Length: 9\r\n\r\n",
            (ResponseFraming::Empty, true),
        ),
        ("HTTP/1.1 304 Not Modified\r\n\r\n", (ResponseFraming::Empty, true)),
        (
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n",
            (ResponseFraming::Switched, true),
        ),
        (
            "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n",
            (ResponseFraming::Length(2), false),
        ),
        (
            "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\n",
            (ResponseFraming::Length(2), false),
        ),
        (
            "HTTP/1.0 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\n",
            (ResponseFraming::Length(2), true),
        ),
        // `close` wins, in any order and over several lines.
        (
            "HTTP/1.0 200 OK\r\nContent-Length: 2\r\nConnection: close, keep-alive\r\n\r\n",
            (ResponseFraming::Length(2), false),
        ),
        (
            "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\nConnection: keep-alive\r\n\r\n",
            (ResponseFraming::Length(2), false),
        ),
        // HTTP/1.0 has no Transfer-Encoding: the framing is suspect, the
        // connection is not reused.
        (
            "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n",
            (ResponseFraming::Chunked(ChunkedDecoder::new()), false),
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
    let names: Vec<_> = head.response().headers().keys().map(HeaderName::as_str).collect();
    assert_eq!(names, ["x-a"]);
    // Naming another field, Connection stays for the proxy to act on.
    let head = head_of("HTTP/1.1 200 OK\r\nConnection: close, x-private\r\nX-Private: 1\r\nContent-Length: 0\r\n\r\n");
    assert_eq!(head.response().headers()["connection"], "close, x-private");
    assert!(!head.keeps_connection());
}

fn head_of(text: &str) -> ResponseHead {
    head(text, &Method::GET).unwrap().unwrap()
}

#[test]
fn content_length_goes_on_once_normalised() {
    for text in [
        "HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 5\r\ncontent-length:5\r\n\r\n",
    ] {
        let head = head(text, &Method::GET).unwrap().unwrap();
        let lengths: Vec<_> = head.response().headers().get_all("content-length").iter().collect();
        assert_eq!(lengths, ["5"], "{text:?}");
    }
}

#[test]
fn a_head_request_has_no_response_body_whatever_the_length() {
    let head = head("HTTP/1.1 200 OK\r\nContent-Length: 615\r\n\r\n", &Method::HEAD)
        .unwrap()
        .unwrap();
    assert_eq!(*head.framing(), ResponseFraming::Empty);
    assert_eq!(head.response().headers()["content-length"], "615");
}

#[test]
fn transfer_encoding_with_content_length_drops_the_length_and_the_connection() {
    let head = head(
        "HTTP/1.1 200 OK\r\nContent-Length: 10\r\nTransfer-Encoding: chunked\r\n\r\n",
        &Method::GET,
    )
    .unwrap()
    .unwrap();
    assert_eq!(*head.framing(), ResponseFraming::Chunked(ChunkedDecoder::new()));
    assert!(!head.keeps_connection());
    assert!(!head.response().headers().contains_key("content-length"));
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
fn dechunk(input: &[u8], step: usize) -> Result<(Vec<u8>, BytesMut), Error> {
    dechunk_with_trailers(input, step).map(|(body, _, rest)| (body, rest))
}

fn dechunk_with_trailers(input: &[u8], step: usize) -> Result<(Vec<u8>, HeaderMap, BytesMut), Error> {
    let mut decoder = ChunkedDecoder::new();
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
                None => return Err(Error::protocol("ran out")),
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
        if let Some(end) = response_head_end(&input, next(input.len() + 1).min(2)) {
            let head = Bytes::copy_from_slice(&input[..end]);
            for method in [Method::GET, Method::HEAD] {
                let _ = parse_response_head(&head, &method);
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

#[test]
fn chunks_encoded_one_by_one_decode_to_the_same_bytes() {
    let mut next = numbers(0x0bad_cafe_f00d_d00d);
    for case in 0..200 {
        let body: Vec<u8> = (0..next(2000)).map(|_| u8::try_from(next(256)).unwrap()).collect();
        let mut wire = Vec::new();
        let mut rest = &body[..];
        while !rest.is_empty() {
            let (piece, after) = rest.split_at(1 + next(rest.len()));
            wire.extend_from_slice(&encode_chunk(&Bytes::copy_from_slice(piece)));
            rest = after;
        }
        wire.extend_from_slice(LAST_CHUNK);
        let (decoded, left) = dechunk(&wire, 1 + next(32)).unwrap();
        assert!(decoded == body, "case {case}");
        assert!(left.is_empty(), "case {case}");
    }
}
