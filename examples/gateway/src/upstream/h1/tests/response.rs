//! Response heads: where they end, what they keep, how the body is framed.

use bytes::Bytes;
use http::header::HeaderName;
use http::{Method, StatusCode};

use super::super::response::MAX_HEADERS;
use super::super::*;
use crate::upstream::Error;

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
fn transfer_encoding_with_content_length_closes_even_when_no_body_follows() {
    // Found by the response_head fuzz target: the smuggling guard sat in
    // the branch for answers with a body, so HEAD, 204 and 304 answers
    // with both fields kept the connection and passed the length on.
    let both = "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (status, method) in [
        ("200 OK", Method::HEAD),
        ("204 No Content", Method::GET),
        ("304 Not Modified", Method::GET),
    ] {
        let text = format!("HTTP/1.1 {status}\r\n{both}");
        let head = head(&text, &method).unwrap().unwrap();
        assert_eq!(*head.framing(), ResponseFraming::Empty, "{text:?}");
        assert!(!head.keeps_connection(), "{method} {text:?}");
        assert!(!head.response().headers().contains_key("content-length"), "{text:?}");
    }
    // HTTP/1.0 has no Transfer-Encoding, body or not.
    let head = head(
        "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n",
        &Method::HEAD,
    )
    .unwrap()
    .unwrap();
    assert!(!head.keeps_connection());
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
