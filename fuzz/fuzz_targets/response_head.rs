//! The gateway's upstream response-head reader on arbitrary bytes:
//! `response_head_end` finds the head, `parse_response_head` reads it and
//! decides the body's framing, for a request method picked from a small
//! set.
//!
//! Input layout: the first byte picks the method (GET, HEAD, POST,
//! CONNECT, PUT, OPTIONS), the second the read size for the incremental
//! head-end search, and the rest are the bytes the upstream sent.
//!
//! Properties:
//! - Nothing panics, on the delimited head nor on the whole input.
//! - The head end is the first `\n` followed by `\n` or `\r\n` (a naive
//!   scan here), whether the bytes are searched at once or as they arrive
//!   in reads, each search taking up where the last stopped.
//! - An accepted head agrees with an independent reading of its lines
//!   (below): the framing has at most one length, `Length(n)` only when
//!   every `Content-Length` value (lines and list elements) is the same
//!   number `n`; a refused or conflicting `Content-Length` is never
//!   accepted; at most one `Content-Length` is passed on, equal to that
//!   number, and none beside `Transfer-Encoding`, which is never passed
//!   on either; a head with both
//!   `Transfer-Encoding` and `Content-Length`, or an HTTP/1.0 head with
//!   `Transfer-Encoding`, never keeps the connection; HEAD, 204 and 304
//!   answers have no body (`Empty`), 101 is `Switched`, other 1xx are
//!   skipped (`None`); a body that runs to the close never keeps the
//!   connection; neither does `Connection: close`.
//! - Differential with httparse: whenever the gateway accepts a head,
//!   httparse with its default configuration (the strictest for
//!   responses: no obs-fold, no space before the colon, no invalid header
//!   lines skipped) and 128 header slots reads it completely, to the last
//!   byte, with the same status code and version. Its header list, minus
//!   the fields the gateway consumes (`Content-Length`,
//!   `Transfer-Encoding`, `Keep-Alive`, and a `Connection` naming only
//!   `close` or `keep-alive`), is what the gateway passes on, value for
//!   value in order for each name. And it is the list the independent
//!   reading finds: same count, names and values.
//!
//! - Differential with hyper's client (`ingress_core_fuzz::hyper_client`),
//!   where it applies: when hyper also accepts the head as the answer to
//!   the same request, it reads the same status and version and expects
//!   the same body length: `n` for `Length(n)`, 0 for `Empty`, no exact
//!   length for `Chunked` or `Close`. Left out, where the two readings
//!   differ on purpose: CONNECT (hyper takes a 2xx answer as a tunnel,
//!   the gateway reads it by its fields), 101 (an upgrade hyper hands
//!   over), and every head hyper refuses (among them HTTP/1.0 with
//!   `Transfer-Encoding`, which the gateway reads and then closes, and
//!   heads over hyper's 100 fields).
//!
//! The gateway parses with httparse itself, so the differential checks
//! what the gateway makes of httparse's reading (dropped, merged or
//! reordered fields, a wrong status or version) rather than httparse.
//! The independent reading is not a full HTTP parser: it is only
//! consulted for heads the gateway accepted, which rules out obs-fold,
//! bad bytes and a malformed status line, so splitting lines at `\n`
//! (dropping one `\r` before it), skipping the empty lines httparse skips
//! before the status line, cutting fields at the first `:` and trimming
//! spaces and tabs is exact there. The gateway allows 128 fields; heads
//! with more are refused by both, so no case is skipped for the limit.
#![no_main]

use bytes::Bytes;
use http::{Method, StatusCode, Version};
use ingress_core_fuzz::hyper_client;
use ingress_gateway::upstream::h1::{ResponseFraming, ResponseHead, parse_response_head, response_head_end};
use libfuzzer_sys::fuzz_target;

/// The header slots the gateway gives httparse (its `MAX_HEADERS`).
const MAX_HEADERS: usize = 128;

const METHODS: [Method; 6] = [
    Method::GET,
    Method::HEAD,
    Method::POST,
    Method::CONNECT,
    Method::PUT,
    Method::OPTIONS,
];

fuzz_target!(|data: &[u8]| {
    let [pick, read, bytes @ ..] = data else {
        return;
    };
    let method = METHODS.get(usize::from(*pick) % METHODS.len()).unwrap_or(&Method::GET);
    let end = response_head_end(bytes, 0);
    assert_eq!(end, naive_head_end(bytes), "head end of {bytes:?}");
    assert_eq!(
        end_found_in_reads(bytes, 1 + usize::from(*read) % 32),
        end,
        "head end found in reads of {bytes:?}"
    );
    // The whole input as a head: anything may come back but a panic.
    let _ = parse_response_head(&Bytes::copy_from_slice(bytes), method);
    let Some(head) = end.and_then(|end| bytes.get(..end)) else {
        return;
    };
    let head = Bytes::copy_from_slice(head);
    let Ok(parsed) = parse_response_head(&head, method) else {
        return;
    };
    let reading = Reading::of(&head);
    let Some(parsed) = parsed else {
        assert!(
            (100..200).contains(&reading.code) && reading.code != 101,
            "{head:?} skipped as interim"
        );
        return;
    };
    check_framing(&head, method, &parsed, &reading);
    check_against_httparse(&head, &parsed, &reading);
    check_against_hyper(&head, method, &parsed);
});

/// The first `\n` followed by `\n` or `\r\n`, just past it.
fn naive_head_end(bytes: &[u8]) -> Option<usize> {
    (0..bytes.len()).find_map(|at| match (bytes.get(at), bytes.get(at + 1), bytes.get(at + 2)) {
        (Some(b'\n'), Some(b'\n'), _) => Some(at + 2),
        (Some(b'\n'), Some(b'\r'), Some(b'\n')) => Some(at + 3),
        _ => None,
    })
}

/// The head end as the connection finds it: searching after each read of
/// `step` bytes, from where the last search stopped.
fn end_found_in_reads(bytes: &[u8], step: usize) -> Option<usize> {
    let mut scanned = 0;
    let mut len = 0;
    while len < bytes.len() {
        len = (len + step).min(bytes.len());
        if let Some(end) = response_head_end(bytes.get(..len)?, scanned) {
            return Some(end);
        }
        scanned = len;
    }
    None
}

/// The head as read here, line by line, without httparse.
struct Reading {
    http10: bool,
    code: u16,
    fields: Vec<(String, Vec<u8>)>,
}

impl Reading {
    fn of(head: &[u8]) -> Self {
        let mut lines = head
            .split(|&byte| byte == b'\n')
            .map(|line| line.strip_suffix(b"\r").unwrap_or(line))
            .skip_while(|line| line.is_empty());
        let status = lines.next().unwrap_or_default();
        let code = status
            .get(9..12)
            .and_then(|digits| std::str::from_utf8(digits).ok())
            .and_then(|digits| digits.parse().ok())
            .unwrap_or_default();
        let fields = lines
            .take_while(|line| !line.is_empty())
            .map(|line| {
                let colon = line.iter().position(|&byte| byte == b':').unwrap_or(line.len());
                let (name, value) = line.split_at(colon);
                let value = value.get(1..).unwrap_or_default();
                let value = trim_ows(value);
                (String::from_utf8_lossy(name).to_ascii_lowercase(), value.to_vec())
            })
            .collect();
        Self {
            http10: status.starts_with(b"HTTP/1.0"),
            code,
            fields,
        }
    }

    fn values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a [u8]> {
        self.fields
            .iter()
            .filter(move |(field, _)| field == name)
            .map(|(_, value)| value.as_slice())
    }

    /// `Some(Some(n))` when every `Content-Length` element is the number
    /// `n`, `Some(None)` without one, `None` when they are bad or differ.
    fn content_length(&self) -> Option<Option<u64>> {
        let mut found = None;
        for element in self
            .values("content-length")
            .flat_map(|value| value.split(|&byte| byte == b','))
        {
            let element = trim_ows(element);
            let valid = !element.is_empty() && element.len() <= 19 && element.iter().all(u8::is_ascii_digit);
            let number: u64 = std::str::from_utf8(element).ok().filter(|_| valid)?.parse().ok()?;
            if found.is_some_and(|earlier| earlier != number) {
                return None;
            }
            found = Some(number);
        }
        Some(found)
    }
}

fn trim_ows(mut value: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = value {
        value = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = value {
        value = rest;
    }
    value
}

fn check_framing(head: &Bytes, method: &Method, parsed: &ResponseHead, reading: &Reading) {
    let context = format!("{method} {head:?}: {parsed:?}");
    let length = reading.content_length();
    let Some(length) = length else {
        panic!("bad or conflicting Content-Length accepted: {context}");
    };
    let encoded = reading.values("transfer-encoding").next().is_some();
    let status = parsed.response().status();
    assert_eq!(status.as_u16(), reading.code, "status: {context}");
    let version = parsed.response().version();
    assert_eq!(version == Version::HTTP_10, reading.http10, "version: {context}");

    let headers = parsed.response().headers();
    assert!(!headers.contains_key("transfer-encoding"), "TE passed on: {context}");
    let lengths: Vec<_> = headers.get_all("content-length").iter().collect();
    assert!(lengths.len() <= 1, "several Content-Length passed on: {context}");
    if let Some(passed) = lengths.first() {
        assert_eq!(
            Some(passed.as_bytes()),
            length.map(|length| length.to_string()).as_deref().map(str::as_bytes),
            "Content-Length passed on: {context}"
        );
        assert!(!encoded, "CL passed on with TE: {context}");
    }

    match parsed.framing() {
        ResponseFraming::Length(n) => {
            assert_eq!(length, Some(*n), "length: {context}");
            assert!(*n > 0 && !encoded, "length: {context}");
        }
        ResponseFraming::Empty => {
            assert!(
                is_bodiless(method, status) || (length == Some(0) && !encoded),
                "empty: {context}"
            );
        }
        ResponseFraming::Chunked(decoder) => assert!(encoded && !decoder.is_done(), "chunked: {context}"),
        ResponseFraming::Close => assert!(!parsed.keeps_connection(), "close-delimited reused: {context}"),
        ResponseFraming::Switched => assert_eq!(status, StatusCode::SWITCHING_PROTOCOLS, "{context}"),
    }
    if status == StatusCode::SWITCHING_PROTOCOLS {
        assert_eq!(*parsed.framing(), ResponseFraming::Switched, "101: {context}");
    } else if is_bodiless(method, status) {
        assert_eq!(*parsed.framing(), ResponseFraming::Empty, "no body: {context}");
    }
    if encoded && (length.is_some() || reading.http10) {
        assert!(!parsed.keeps_connection(), "TE with CL or HTTP/1.0 reused: {context}");
    }
    let close = reading
        .values("connection")
        .flat_map(|value| value.split(|&byte| byte == b','))
        .any(|token| trim_ows(token).eq_ignore_ascii_case(b"close"));
    if close {
        assert!(!parsed.keeps_connection(), "Connection: close reused: {context}");
    }
}

fn is_bodiless(method: &Method, status: StatusCode) -> bool {
    *method == Method::HEAD || status == StatusCode::NO_CONTENT || status == StatusCode::NOT_MODIFIED
}

/// The fields the gateway consumes and does not pass on.
fn consumed(name: &str, value: &[u8]) -> bool {
    match name {
        "content-length" | "transfer-encoding" | "keep-alive" => true,
        "connection" => value
            .split(|&byte| byte == b',')
            .map(trim_ows)
            .filter(|token| !token.is_empty())
            .all(|token| token.eq_ignore_ascii_case(b"close") || token.eq_ignore_ascii_case(b"keep-alive")),
        _ => false,
    }
}

fn check_against_httparse(head: &Bytes, parsed: &ResponseHead, reading: &Reading) {
    let mut slots = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut theirs = httparse::Response::new(&mut slots);
    let status = httparse::ParserConfig::default().parse_response(&mut theirs, head);
    assert_eq!(
        status,
        Ok(httparse::Status::Complete(head.len())),
        "httparse does not read all of {head:?}"
    );
    let response = parsed.response();
    assert_eq!(theirs.code, Some(response.status().as_u16()), "status of {head:?}");
    let version = if response.version() == Version::HTTP_10 { 0 } else { 1 };
    assert_eq!(theirs.version, Some(version), "version of {head:?}");

    let fields: Vec<(String, &[u8])> = theirs
        .headers
        .iter()
        .map(|field| (field.name.to_ascii_lowercase(), field.value))
        .collect();
    let independent: Vec<(String, &[u8])> = reading
        .fields
        .iter()
        .map(|(name, value)| (name.clone(), value.as_slice()))
        .collect();
    assert_eq!(fields, independent, "httparse and the line reading differ on {head:?}");

    let passed: Vec<_> = fields.iter().filter(|(name, value)| !consumed(name, value)).collect();
    let length_passed = usize::from(response.headers().contains_key("content-length"));
    assert_eq!(
        response.headers().len(),
        passed.len() + length_passed,
        "fields passed on from {head:?}: {response:?}"
    );
    for (name, _) in &passed {
        let ours: Vec<&[u8]> = response
            .headers()
            .get_all(name.as_str())
            .iter()
            .map(|value| value.as_bytes())
            .collect();
        let expected: Vec<&[u8]> = passed
            .iter()
            .filter(|(other, _)| other == name)
            .map(|(_, value)| *value)
            .collect();
        assert_eq!(ours, expected, "values of {name} from {head:?}");
    }
}

fn check_against_hyper(head: &Bytes, method: &Method, parsed: &ResponseHead) {
    let status = parsed.response().status();
    if *method == Method::CONNECT || status == StatusCode::SWITCHING_PROTOCOLS {
        return;
    }
    let Some(hyper) = hyper_client::read_head(head, method) else {
        return;
    };
    let context = format!("{method} {head:?}: {parsed:?}, hyper: {hyper:?}");
    assert_eq!(hyper.status, status, "status: {context}");
    assert_eq!(hyper.version, parsed.response().version(), "version: {context}");
    let expected = match parsed.framing() {
        ResponseFraming::Empty => Some(0),
        ResponseFraming::Length(length) => Some(*length),
        ResponseFraming::Chunked(_) | ResponseFraming::Close | ResponseFraming::Switched => None,
    };
    assert_eq!(hyper.exact_length, expected, "body length: {context}");
}
