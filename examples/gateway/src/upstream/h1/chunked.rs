//! Chunked transfer coding (RFC 9112 section 7.1): decoding the response
//! bodies upstreams send, encoding the request bodies the gateway sends.
//!
//! ```
//! use bytes::{Bytes, BytesMut};
//! use ingress_gateway::upstream::h1::{ChunkedDecoder, Decoded, LAST_CHUNK, encode_chunk};
//!
//! let mut wire = BytesMut::new();
//! wire.extend_from_slice(&encode_chunk(&Bytes::from_static(b"hello")));
//! wire.extend_from_slice(LAST_CHUNK);
//! let mut decoder = ChunkedDecoder::new();
//! assert_eq!(decoder.decode(&mut wire).unwrap(), Decoded::Data(Bytes::from_static(b"hello")));
//! assert_eq!(decoder.decode(&mut wire).unwrap(), Decoded::End);
//! assert!(decoder.is_done() && wire.is_empty());
//! ```

use bytes::{Buf as _, Bytes, BytesMut};
use http::header::{HeaderMap, HeaderName, HeaderValue};

use crate::upstream::Error;

/// Longest chunk-size line, extensions included.
pub(super) const MAX_CHUNK_LINE: usize = 4 * 1024;
/// Trailer section bytes read (and dropped) after the last chunk.
pub(super) const MAX_TRAILERS: usize = 16 * 1024;

/// The end of a chunked body without trailer fields: the last chunk and
/// the empty line.
pub const LAST_CHUNK: &[u8] = b"0\r\n\r\n";

/// `data` as one chunk (size line, data, line end), ready for a single
/// write. Empty data would read as the last chunk: callers skip it.
pub fn encode_chunk(data: &Bytes) -> Bytes {
    let mut framed = BytesMut::with_capacity(data.len() + 20);
    framed.extend_from_slice(format!("{:x}\r\n", data.len()).as_bytes());
    framed.extend_from_slice(data);
    framed.extend_from_slice(b"\r\n");
    framed.freeze()
}

/// Decodes one chunked body, whatever sizes the reads come in.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ChunkedDecoder {
    state: State,
}

/// Where a chunked body's decoding stands.
#[derive(Debug, Default, PartialEq, Eq)]
enum State {
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
pub enum Decoded {
    /// Body data, taken from the front of the buffer.
    Data(Bytes),
    /// The trailer fields, at the end of the body (then [`Decoded::End`]).
    Trailers(HeaderMap),
    /// `buffer` holds no complete next piece: read more.
    NeedMore,
    /// The body is complete; what follows in the buffer is not its.
    End,
}

impl ChunkedDecoder {
    /// A decoder before the first chunk-size line.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether the whole body has been decoded.
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// Takes what it can from the front of `buffer`: body data, or
    /// framing, which it consumes on its way to the next data or the end.
    /// The data it yields is never more than the bytes it was given, and
    /// after [`Decoded::End`] it takes nothing more.
    pub fn decode(&mut self, buffer: &mut BytesMut) -> Result<Decoded, Error> {
        let state = &mut self.state;
        loop {
            match *state {
                State::Size => {
                    let Some(line) = take_line(buffer, MAX_CHUNK_LINE)? else {
                        return Ok(Decoded::NeedMore);
                    };
                    *state = match chunk_size(&line)? {
                        0 => State::Trailers(0, Box::default()),
                        size => State::Data(size),
                    };
                }
                State::Data(remaining) => {
                    if buffer.is_empty() {
                        return Ok(Decoded::NeedMore);
                    }
                    let available = buffer.len();
                    let take = usize::try_from(remaining).map_or(available, |remaining| remaining.min(available));
                    *state = match remaining - take as u64 {
                        0 => State::DataEnd,
                        left => State::Data(left),
                    };
                    return Ok(Decoded::Data(buffer.split_to(take).freeze()));
                }
                State::DataEnd => match buffer.first().copied() {
                    None => return Ok(Decoded::NeedMore),
                    Some(b'\n') => {
                        buffer.advance(1);
                        *state = State::Size;
                    }
                    Some(b'\r') => match buffer.get(1).copied() {
                        None => return Ok(Decoded::NeedMore),
                        Some(b'\n') => {
                            buffer.advance(2);
                            *state = State::Size;
                        }
                        Some(_) => return Err(Error::protocol("chunk data longer than its size")),
                    },
                    Some(_) => return Err(Error::protocol("chunk data longer than its size")),
                },
                State::Trailers(ref mut seen, ref mut fields) => {
                    let Some(line) = take_line(buffer, MAX_TRAILERS.saturating_sub(*seen))? else {
                        return Ok(Decoded::NeedMore);
                    };
                    if line.is_empty() {
                        let fields = std::mem::take(&mut **fields);
                        *state = State::Done;
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
                State::Done => return Ok(Decoded::End),
            }
        }
    }
}

/// The next line of `buffer` without its line end, consumed; `None` while
/// incomplete; an error once it would exceed `limit` bytes.
fn take_line(buffer: &mut BytesMut, limit: usize) -> Result<Option<BytesMut>, Error> {
    let Some(newline) = buffer.iter().position(|&byte| byte == b'\n') else {
        return if buffer.len() > limit {
            Err(Error::protocol("chunk framing line too long"))
        } else {
            Ok(None)
        };
    };
    if newline > limit {
        return Err(Error::protocol("chunk framing line too long"));
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

/// A chunk-size line: hex digits, then optional spaces or tabs and
/// extensions (ignored). Other whitespace is refused, as RFC 9112's
/// `BWS` and httparse and hyper have it.
fn chunk_size(line: &[u8]) -> Result<u64, Error> {
    let digits = line.iter().take_while(|byte| byte.is_ascii_hexdigit()).count();
    let (hex, rest) = line.split_at(digits);
    if hex.is_empty() || hex.len() > 15 {
        return Err(Error::protocol("bad chunk size"));
    }
    let blank = rest.iter().take_while(|&&byte| byte == b' ' || byte == b'\t').count();
    let rest = rest.get(blank..).unwrap_or_default();
    if !rest.is_empty() && rest.first() != Some(&b';') {
        return Err(Error::protocol("bad chunk size"));
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
