//! The codec's tests, by role, on byte slices; and one test that feeds
//! the parser and the decoder arbitrary glued pieces.

mod chunked;
mod request;
mod response;

use bytes::{Bytes, BytesMut};
use http::Method;
use http::header::HeaderMap;

use super::*;
use crate::upstream::Error;

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
