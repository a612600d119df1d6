//! The request head: target, headers, framing, `X-Forwarded-*`.

use http::Request;
use http::header::HeaderValue;
use http::request::Parts;

use super::super::*;

fn parts(method: &str, target: &str, headers: &[(&str, &str)]) -> Parts {
    let mut request = Request::builder().method(method).uri(target);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.body(()).unwrap().into_parts().0
}

/// What the gateway adds for a client at 127.0.0.1 with no Host.
fn plain() -> Forwarded<'static> {
    static CLIENT: HeaderValue = HeaderValue::from_static("127.0.0.1");
    Forwarded {
        client: &CLIENT,
        host: None,
        https: false,
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
        https: false,
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
fn a_tls_client_is_forwarded_as_https() {
    let request = parts("GET", "/", &[("x-forwarded-proto", "http")]);
    let forwarded = Forwarded { https: true, ..plain() };
    assert_eq!(
        String::from_utf8(encode_request_head(&request, RequestFraming::Empty, &forwarded)).unwrap(),
        "GET / HTTP/1.1\r\nx-forwarded-for: 127.0.0.1\r\nx-forwarded-proto: https\r\n\r\n"
    );
}
