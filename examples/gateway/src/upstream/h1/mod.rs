//! HTTP/1.1 toward upstreams, as bytes (RFC 9112): the request head the
//! gateway writes, the response head it reads with the framing decision
//! for the body behind it, and chunked coding both ways. No I/O here: the
//! [`crate::upstream`] connections drive the sockets, and every function
//! here works on byte slices, so the fuzz targets call them directly.
//!
//! ```
//! use bytes::{Bytes, BytesMut};
//! use ingress_gateway::upstream::h1::{Decoded, ResponseFraming, parse_response_head, response_head_end};
//!
//! let mut read = BytesMut::from(&b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n"[..]);
//! let end = response_head_end(&read, 0).unwrap();
//! let head = parse_response_head(&read.split_to(end).freeze(), &http::Method::GET).unwrap().unwrap();
//! let (_, framing, reusable) = head.into_parts();
//! let ResponseFraming::Chunked(mut decoder) = framing else { panic!("chunked") };
//! assert!(reusable);
//! assert_eq!(decoder.decode(&mut read).unwrap(), Decoded::Data(Bytes::from_static(b"hi")));
//! assert_eq!(decoder.decode(&mut read).unwrap(), Decoded::End);
//! ```

mod chunked;
mod request;
mod response;

pub use chunked::{ChunkedDecoder, Decoded, LAST_CHUNK, encode_chunk};
pub(crate) use request::{Forwarded, RequestFraming, encode_request_head, is_idempotent};
pub(crate) use response::HEAD_TOO_LARGE;
pub use response::{MAX_HEAD, ResponseFraming, ResponseHead, parse_response_head, response_head_end};

/// The elements of a comma-separated list value, trimmed, empty ones
/// skipped.
pub(crate) fn list_tokens(value: &[u8]) -> impl Iterator<Item = &[u8]> {
    value
        .split(|&byte| byte == b',')
        .map(<[u8]>::trim_ascii)
        .filter(|token| !token.is_empty())
}

#[cfg(test)]
mod tests;
