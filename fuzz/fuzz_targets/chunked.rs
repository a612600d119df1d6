//! The gateway's chunked-body decoder, on arbitrary bytes and on bodies it
//! encoded itself, fed in arbitrary reads as a socket delivers them.
//!
//! Input layout: the first byte sets the largest read (1 to 64 bytes), the
//! second seeds the read sizes, the rest is the body bytes for part (a);
//! the same input, read by `arbitrary`, is the chunks of part (b).
//!
//! (a) Arbitrary bytes: decoding never panics; the data it yields is never
//! more than it was given, and is a subsequence of the input taken from
//! the front, in order; decoding the input whole and in reads gives the
//! same data, the same trailer fields and the same outcome (the end of
//! the body at the same byte, a refusal, or a body still incomplete);
//! after `End` it yields `End` again and takes nothing; `is_done` is true
//! exactly after `End`. Differential with httparse's `parse_chunk_size`
//! on the first size line: when that line ends with CRLF and holds no
//! other CR or LF, the gateway accepts it exactly when httparse does
//! (except 16 hex digits, which httparse takes and the gateway refuses:
//! its sizes stop at 15), and then the first data it yields is that many
//! bytes (or all there are) right after the line.
//!
//! (b) Round trip: non-empty chunks, each through `encode_chunk`, then
//! `LAST_CHUNK` or a last chunk with trailer fields, then bytes of
//! whatever comes next, decode in arbitrary reads to the same bytes, the
//! same trailer fields and `End`, leaving the next bytes untouched.
#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use bytes::{Bytes, BytesMut};
use http::header::{HeaderMap, HeaderName, HeaderValue};
use ingress_gateway::upstream::h1::{ChunkedDecoder, Decoded, LAST_CHUNK, encode_chunk};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let [largest, seed, bytes @ ..] = data {
        check_arbitrary_bytes(bytes, 1 + usize::from(*largest) % 64, *seed);
    }
    if let Ok(input) = RoundTrip::arbitrary_take_rest(Unstructured::new(data)) {
        check_round_trip(&input);
    }
});

/// Read sizes from 1 to `largest`, from a seed (xorshift).
fn reads(largest: usize, seed: u8) -> impl FnMut() -> usize {
    let mut state = u32::from(seed) | 0x100;
    move || {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        1 + usize::try_from(state).unwrap_or(0) % largest
    }
}

/// How a decoding ended.
#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    /// `End`, with the input bytes after the body.
    End(Vec<u8>),
    /// An error.
    Refused,
    /// `NeedMore` with nothing left to give.
    Incomplete,
}

/// What a decoding yielded.
#[derive(Debug, PartialEq, Eq)]
struct Decoding {
    data: Vec<u8>,
    trailers: Option<HeaderMap>,
    outcome: Outcome,
    /// The first `Data` the decoder yielded.
    first: Option<Bytes>,
}

/// Decodes `input` given in reads of the sizes `next_read` picks.
fn decode(input: &[u8], mut next_read: impl FnMut() -> usize) -> Decoding {
    let mut decoder = ChunkedDecoder::new();
    let mut buffer = BytesMut::new();
    let mut given = 0;
    let mut decoding = Decoding {
        data: Vec::new(),
        trailers: None,
        outcome: Outcome::Incomplete,
        first: None,
    };
    loop {
        let decoded = match decoder.decode(&mut buffer) {
            Ok(decoded) => decoded,
            Err(_) => {
                decoding.outcome = Outcome::Refused;
                break;
            }
        };
        assert!(
            !decoder.is_done() || decoded == Decoded::End || matches!(decoded, Decoded::Trailers(_)),
            "done before the end: {decoded:?}"
        );
        match decoded {
            Decoded::Data(data) => {
                assert!(!data.is_empty(), "empty data from {input:?}");
                if decoding.first.is_none() {
                    decoding.first = Some(data.clone());
                }
                decoding.data.extend_from_slice(&data);
                assert!(decoding.data.len() <= given, "more data than given: {input:?}");
            }
            Decoded::Trailers(fields) => {
                assert!(decoding.trailers.is_none(), "trailers twice: {input:?}");
                assert!(!fields.is_empty(), "empty trailers: {input:?}");
                decoding.trailers = Some(fields);
            }
            Decoded::NeedMore => {
                let Some(rest) = input.get(given..).filter(|rest| !rest.is_empty()) else {
                    break;
                };
                let read = next_read().min(rest.len());
                buffer.extend_from_slice(rest.get(..read).unwrap_or_default());
                given += read;
            }
            Decoded::End => {
                assert!(decoder.is_done(), "End but not done: {input:?}");
                let left = buffer.clone();
                assert_eq!(decoder.decode(&mut buffer).ok(), Some(Decoded::End), "{input:?}");
                assert_eq!(buffer, left, "took bytes after End: {input:?}");
                let mut rest = left.to_vec();
                rest.extend_from_slice(input.get(given..).unwrap_or_default());
                decoding.outcome = Outcome::End(rest);
                break;
            }
        }
    }
    if decoding.outcome != Outcome::Refused && !matches!(decoding.outcome, Outcome::End(_)) {
        assert!(!decoder.is_done(), "done without End: {input:?}");
    }
    decoding
}

fn is_subsequence(needle: &[u8], haystack: &[u8]) -> bool {
    let mut rest = haystack.iter();
    needle.iter().all(|byte| rest.any(|other| other == byte))
}

fn check_arbitrary_bytes(input: &[u8], largest: usize, seed: u8) {
    let whole = decode(input, || usize::MAX);
    assert!(whole.data.len() <= input.len(), "more data than input: {input:?}");
    assert!(is_subsequence(&whole.data, input), "data not from the input: {input:?}");
    let split = decode(input, reads(largest, seed));
    assert_eq!(
        (&whole.data, &whole.trailers, &whole.outcome),
        (&split.data, &split.trailers, &split.outcome),
        "whole and in reads of at most {largest} differ on {input:?}"
    );
    check_first_size_line(input, &whole);
}

/// The first size line against httparse's reading of it.
fn check_first_size_line(input: &[u8], whole: &Decoding) {
    let Some(newline) = input.iter().position(|&byte| byte == b'\n') else {
        return;
    };
    let Some(line) = input.get(..newline) else {
        return;
    };
    let Some(size_line) = line.strip_suffix(b"\r") else {
        return;
    };
    if size_line.contains(&b'\r') {
        return;
    }
    let digits = size_line.iter().take_while(|byte| byte.is_ascii_hexdigit()).count();
    if digits == 16 {
        return;
    }
    let after = input.get(newline + 1..).unwrap_or_default();
    // The gateway accepted the line when it yielded data, trailers or the
    // end, or asked for more after it.
    let accepted = whole.outcome != Outcome::Refused || whole.first.is_some() || whole.trailers.is_some();
    match httparse::parse_chunk_size(input) {
        Ok(httparse::Status::Complete((at, size))) => {
            assert_eq!(at, newline + 1, "httparse line end in {input:?}");
            if size == 0 {
                assert!(whole.first.is_none(), "data after a last chunk: {input:?}");
                // A last chunk: what follows is trailers, not data.
                return;
            }
            let expected = after.get(..usize::try_from(size).unwrap_or(usize::MAX).min(after.len()));
            if after.is_empty() {
                assert_eq!(whole.outcome, Outcome::Incomplete, "size line {line:?} refused");
            } else {
                assert_eq!(whole.first.as_deref(), expected, "first chunk of {input:?}");
            }
        }
        Ok(httparse::Status::Partial) => {}
        Err(_) => assert!(!accepted, "size line {line:?} accepted, httparse refuses it"),
    }
}

/// Bodies encoded the gateway's way.
#[derive(Debug, Arbitrary)]
struct RoundTrip {
    chunks: Vec<Vec<u8>>,
    /// Trailer fields: a name from a small set, a value of visible ASCII
    /// (the first 16, 64 bytes at most).
    trailers: Vec<(u8, Vec<u8>)>,
    next: Vec<u8>,
    largest: u8,
    seed: u8,
}

const TRAILER_NAMES: [&str; 4] = ["grpc-status", "grpc-message", "x-checksum", "server-timing"];

fn check_round_trip(input: &RoundTrip) {
    let mut wire = Vec::new();
    let mut body = Vec::new();
    for chunk in input.chunks.iter().filter(|chunk| !chunk.is_empty()) {
        wire.extend_from_slice(&encode_chunk(&Bytes::copy_from_slice(chunk)));
        body.extend_from_slice(chunk);
    }
    let mut expected = HeaderMap::new();
    if input.trailers.is_empty() {
        wire.extend_from_slice(LAST_CHUNK);
    } else {
        wire.extend_from_slice(b"0\r\n");
        // At most 16 fields of 64 bytes: well within the decoder's limit
        // on trailer bytes.
        for (pick, value) in input.trailers.iter().take(16) {
            let name = TRAILER_NAMES
                .get(usize::from(*pick) % TRAILER_NAMES.len())
                .unwrap_or(&"x-checksum");
            let value: Vec<u8> = value.iter().take(64).map(|byte| 0x21 + byte % 0x5e).collect();
            wire.extend_from_slice(name.as_bytes());
            wire.extend_from_slice(b": ");
            wire.extend_from_slice(&value);
            wire.extend_from_slice(b"\r\n");
            if let Ok(value) = HeaderValue::from_bytes(&value) {
                expected.append(HeaderName::from_static(name), value);
            }
        }
        wire.extend_from_slice(b"\r\n");
    }
    let body_end = wire.len();
    wire.extend_from_slice(&input.next);
    let decoding = decode(&wire, reads(1 + usize::from(input.largest), input.seed));
    let context = format!("{input:?} as {:?}", Bytes::copy_from_slice(&wire));
    assert!(decoding.data == body, "data: {context}");
    assert_eq!(
        decoding.trailers,
        (!expected.is_empty()).then_some(expected),
        "trailers: {context}"
    );
    assert_eq!(
        decoding.outcome,
        Outcome::End(wire.get(body_end..).unwrap_or_default().to_vec()),
        "outcome: {context}"
    );
}
