//! Path canonicalisation (P1-P9).
//!
//! The router matches exactly the bytes the backend will see: a request's
//! path is canonicalised once, the canonical form is matched, and that same
//! form is forwarded. Anything that cannot be canonicalised unambiguously is
//! refused.
//!
//! ```
//! use ingress_core::canonical::{PathOptions, RequestError, canonicalize_path};
//!
//! let safe = PathOptions::default();
//! let canonical = canonicalize_path("//api/./v1/%7Eusers/../items%2c", &safe).unwrap();
//! assert_eq!(canonical.as_str(), "/api/v1/items%2C");
//! assert_eq!(canonicalize_path("/../etc/passwd", &safe), Err(RequestError::DotSegmentAboveRoot));
//! assert_eq!(canonicalize_path("/a%2Fb", &safe), Err(RequestError::EncodedSlash));
//! ```

use std::borrow::Cow;
use std::fmt;

use super::RequestError;

/// Default limit on a path's length in bytes (P7).
pub const DEFAULT_MAX_PATH_LENGTH: usize = 8 * 1024;

/// How request paths are canonicalised.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct PathOptions {
    /// Safe (the default) or raw profile (P8).
    pub profile: PathProfile,
    /// What to do with `%2F` and `%5C` in the safe profile (P6).
    pub encoded_slashes: EncodedSlashes,
    /// Longest path accepted, in bytes; longer ones get 414 (P7).
    pub max_length: usize,
}

impl Default for PathOptions {
    fn default() -> Self {
        Self {
            profile: PathProfile::Safe,
            encoded_slashes: EncodedSlashes::Refuse,
            max_length: DEFAULT_MAX_PATH_LENGTH,
        }
    }
}

impl PathOptions {
    /// Sets the profile.
    #[must_use]
    pub fn with_profile(mut self, profile: PathProfile) -> Self {
        self.profile = profile;
        self
    }

    /// Sets the treatment of encoded slashes.
    #[must_use]
    pub fn with_encoded_slashes(mut self, encoded_slashes: EncodedSlashes) -> Self {
        self.encoded_slashes = encoded_slashes;
        self
    }

    /// Sets the longest accepted path.
    #[must_use]
    pub fn with_max_length(mut self, max_length: usize) -> Self {
        self.max_length = max_length;
        self
    }
}

/// Which canonicalisation requests go through (P8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum PathProfile {
    /// All of P1-P7: decode unreserved escapes, resolve dot segments, merge
    /// slashes, refuse what is ambiguous.
    #[default]
    Safe,
    /// Only P1, P2 and P7: the path is matched and forwarded as received.
    /// For use behind a proxy that already canonicalised; opt-in.
    Raw,
}

/// What `%2F` and `%5C` in a request path do (P6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum EncodedSlashes {
    /// Refuse the request with 400 **\[choice\]**: backends disagree about
    /// whether `%2F` separates segments.
    #[default]
    Refuse,
    /// Keep them as opaque characters inside a segment (upper-case hex).
    Keep,
}

/// A request path in canonical form: what is matched and what is forwarded.
///
/// Only the canonicalisers make one. It always starts with `/`; in the safe
/// profile it has no empty, `.` or `..` segments, no percent-encoded
/// unreserved characters, and upper-case hex in every escape.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CanonicalPath(String);

impl CanonicalPath {
    /// The path.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The path as an owned string.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for CanonicalPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for CanonicalPath {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// What a byte may do in a path.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    /// Stays as it is: unreserved, sub-delims, `:`, `@`.
    Keep,
    /// `/`, the segment separator.
    Slash,
    /// `%`, the start of an escape.
    Percent,
    /// Legal in requests that clients did not encode, but not a URI
    /// character (`"`, `<`, `|`, ...): percent-encoded in canonical form.
    Encode,
    /// Refused raw in a request (P2): controls, space, `#`, `\`, non-ASCII, and `?`
    /// (which ends the path: a caller must split the query off first).
    Refuse,
}

/// The [`Class`] of every byte, built once at compile time.
static CLASSES: [Class; 256] = classes();

#[allow(clippy::indexing_slicing)] // Every index is a byte: always in bounds.
const fn classes() -> [Class; 256] {
    let mut table = [Class::Refuse; 256];
    let mut byte = 0x21;
    while byte < 0x7F {
        table[byte] = Class::Encode;
        byte += 1;
    }
    let keep = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=:@";
    let mut i = 0;
    while i < keep.len() {
        table[keep[i] as usize] = Class::Keep;
        i += 1;
    }
    table[b'/' as usize] = Class::Slash;
    table[b'%' as usize] = Class::Percent;
    table[b'#' as usize] = Class::Refuse;
    // A raw `?` ends the path in every request-target; in a path it can only
    // be a caller's mistake.
    table[b'?' as usize] = Class::Refuse;
    table[b'\\' as usize] = Class::Refuse;
    table
}

fn class(byte: u8) -> Class {
    CLASSES.get(usize::from(byte)).copied().unwrap_or(Class::Refuse)
}

/// Unreserved characters (RFC 3986): decoded when percent-encoded (P3).
pub(crate) fn is_unreserved(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~')
}

fn hex_value(byte: u8) -> Option<u8> {
    match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'a'..=b'f' => Some(byte - b'a' + 10),
        b'A'..=b'F' => Some(byte - b'A' + 10),
        _ => None,
    }
}

/// The byte encoded by `%` at `bytes[at]`, if two hex digits follow.
fn escape_at(bytes: &[u8], at: usize) -> Option<u8> {
    let high = hex_value(*bytes.get(at + 1)?)?;
    let low = hex_value(*bytes.get(at + 2)?)?;
    Some(high << 4 | low)
}

fn push_escaped(out: &mut String, byte: u8) {
    let digit = |nibble: u8| char::from_digit(u32::from(nibble), 16).map_or('0', |c| c.to_ascii_uppercase());
    out.push('%');
    out.push(digit(byte >> 4));
    out.push(digit(byte & 0xF));
}

/// Canonicalises a request path (the part of the target before `?`).
///
/// Returns the canonical path, or why the request must be refused. The
/// path must start with `/`; anything else is not origin-form (P2).
pub fn canonicalize_path(path: &str, options: &PathOptions) -> Result<CanonicalPath, RequestError> {
    if path.len() > options.max_length {
        return Err(RequestError::PathTooLong {
            length: path.len(),
            limit: options.max_length,
        });
    }
    if !path.starts_with('/') {
        return Err(RequestError::UnsupportedTargetForm);
    }
    match options.profile {
        // Most request paths are canonical already: check, then copy once.
        PathProfile::Safe if is_canonical(path.as_bytes(), options.encoded_slashes) => {
            Ok(CanonicalPath(path.to_owned()))
        }
        PathProfile::Safe => canonicalize_safe(path.as_bytes(), options.encoded_slashes).map(CanonicalPath),
        PathProfile::Raw => {
            check_raw(path.as_bytes())?;
            Ok(CanonicalPath(path.to_owned()))
        }
    }
}

/// The safe profile: one pass, writing each segment in canonical form and
/// then deciding whether it is a dot segment to resolve.
fn canonicalize_safe(bytes: &[u8], slashes: EncodedSlashes) -> Result<String, RequestError> {
    let mut out = String::with_capacity(bytes.len());
    out.push('/');
    let mut at = 1;
    loop {
        let segment_start = out.len();
        while let Some(&byte) = bytes.get(at) {
            match class(byte) {
                Class::Keep => out.push(char::from(byte)),
                Class::Slash => break,
                Class::Encode => push_escaped(&mut out, byte),
                Class::Refuse => return Err(RequestError::InvalidPathByte(byte)),
                Class::Percent => {
                    let decoded = escape_at(bytes, at).ok_or(RequestError::MalformedPercentEncoding)?;
                    at += 2;
                    if decoded < 0x20 || decoded == 0x7F {
                        return Err(RequestError::EncodedControlByte(decoded));
                    } else if is_unreserved(decoded) {
                        out.push(char::from(decoded));
                    } else if (decoded == b'/' || decoded == b'\\') && slashes == EncodedSlashes::Refuse {
                        return Err(RequestError::EncodedSlash);
                    } else {
                        push_escaped(&mut out, decoded);
                    }
                }
            }
            at += 1;
        }
        let last = at >= bytes.len();
        match out.get(segment_start..).unwrap_or("") {
            // An empty segment: repeated slashes merge (P5), a trailing one stays.
            "" => {}
            "." => out.truncate(segment_start),
            ".." => {
                if segment_start <= 1 {
                    return Err(RequestError::DotSegmentAboveRoot);
                }
                out.truncate(segment_start - 1);
                let parent_end = out.rfind('/').map_or(1, |slash| slash + 1);
                out.truncate(parent_end);
            }
            segment if is_dot_with_parameters(segment.as_bytes()) => {
                return Err(RequestError::DotSegmentWithParameters);
            }
            _ if last => {}
            _ => out.push('/'),
        }
        if last {
            return Ok(out);
        }
        at += 1;
    }
}

/// `.;...` or `..;...`, where a dot may also be written `%2E`.
fn is_dot_with_parameters(segment: &[u8]) -> bool {
    let mut rest = segment;
    let mut dots = 0;
    loop {
        match rest {
            [b'.', tail @ ..] => rest = tail,
            [b'%', b'2', b'e' | b'E', tail @ ..] => rest = tail,
            [b';', ..] => return (1..=2).contains(&dots),
            _ => return false,
        }
        dots += 1;
    }
}

/// The raw profile: the checks of P2 only, nothing rewritten.
fn check_raw(bytes: &[u8]) -> Result<(), RequestError> {
    for (at, &byte) in bytes.iter().enumerate() {
        match class(byte) {
            Class::Refuse => return Err(RequestError::InvalidPathByte(byte)),
            Class::Percent => {
                let decoded = escape_at(bytes, at).ok_or(RequestError::MalformedPercentEncoding)?;
                if decoded < 0x20 || decoded == 0x7F {
                    return Err(RequestError::EncodedControlByte(decoded));
                }
            }
            Class::Keep | Class::Slash | Class::Encode => {}
        }
    }
    if bytes.split(|&b| b == b'/').any(is_dot_with_parameters) {
        return Err(RequestError::DotSegmentWithParameters);
    }
    Ok(())
}

/// Brings a configured path into the canonical encoding (P9): unreserved
/// escapes decoded, other escapes in upper-case hex, and every byte that a
/// client would have to percent-encode (space, `|`, `#`, `?`, non-ASCII,
/// a `%` that starts no escape, ...) encoded. Slashes and dot segments are
/// left as written: a configured path whose structure is not canonical can
/// never match, which [`config_path_refusal`] reports.
pub(crate) fn normalize_config_path(path: &str) -> Cow<'_, str> {
    let bytes = path.as_bytes();
    if bytes.iter().all(|&b| matches!(class(b), Class::Keep | Class::Slash)) {
        return Cow::Borrowed(path);
    }
    let mut out = String::with_capacity(bytes.len());
    let mut at = 0;
    while let Some(&byte) = bytes.get(at) {
        match class(byte) {
            Class::Keep | Class::Slash => out.push(char::from(byte)),
            Class::Percent => match escape_at(bytes, at) {
                Some(decoded) if is_unreserved(decoded) => {
                    out.push(char::from(decoded));
                    at += 2;
                }
                Some(decoded) => {
                    push_escaped(&mut out, decoded);
                    at += 2;
                }
                None => push_escaped(&mut out, byte),
            },
            Class::Encode | Class::Refuse => push_escaped(&mut out, byte),
        }
        at += 1;
    }
    Cow::Owned(out)
}

/// Why no request path, canonicalised with `options`, can equal the
/// normalised configured path `path` (which starts with `/`): what a
/// request for it becomes instead (its canonical form, or its refusal).
/// `None` when some request can.
pub(crate) fn config_path_refusal(path: &str, options: &PathOptions) -> Option<Result<String, RequestError>> {
    // P7 limits what clients send, and a client may send raw what the
    // canonical form encodes (`|` for `%7C`): measure the shortest request.
    let shortest = match options.profile {
        PathProfile::Safe => shortest_request(path),
        PathProfile::Raw => path.len(),
    };
    if shortest > options.max_length {
        return Some(Err(RequestError::PathTooLong {
            length: shortest,
            limit: options.max_length,
        }));
    }
    if options.profile == PathProfile::Safe && is_canonical(path.as_bytes(), options.encoded_slashes) {
        return None;
    }
    let unlimited = options.clone().with_max_length(usize::MAX);
    match canonicalize_path(path, &unlimited) {
        Ok(canonical) if canonical.as_str() == path => None,
        other => Some(other.map(CanonicalPath::into_string)),
    }
}

/// Whether the safe profile leaves `bytes` exactly as they are, checked
/// in one pass without allocating (the common case for request paths and
/// configured paths alike).
fn is_canonical(bytes: &[u8], slashes: EncodedSlashes) -> bool {
    if bytes.first() != Some(&b'/') {
        return false;
    }
    let mut segment_start = 1;
    let mut at = 1;
    while let Some(&byte) = bytes.get(at) {
        match class(byte) {
            Class::Keep => {}
            Class::Slash => {
                // An empty segment before another `/`, or a dot segment.
                if at == segment_start || is_dot_segment(bytes.get(segment_start..at).unwrap_or_default()) {
                    return false;
                }
                segment_start = at + 1;
            }
            Class::Percent => {
                let canonical_escape = escape_at(bytes, at).is_some_and(|decoded| {
                    !is_unreserved(decoded)
                        && decoded >= 0x20
                        && decoded != 0x7F
                        && (slashes == EncodedSlashes::Keep || (decoded != b'/' && decoded != b'\\'))
                });
                let upper = |offset: usize| bytes.get(at + offset).is_some_and(|b| !b.is_ascii_lowercase());
                if !canonical_escape || !upper(1) || !upper(2) {
                    return false;
                }
                at += 2;
            }
            Class::Encode | Class::Refuse => return false,
        }
        at += 1;
    }
    !is_dot_segment(bytes.get(segment_start..).unwrap_or_default())
}

/// `.`, `..`, or a dot segment with parameters: never in a canonical path.
fn is_dot_segment(segment: &[u8]) -> bool {
    segment.first() == Some(&b'.') && (segment == b"." || segment == b".." || is_dot_with_parameters(segment))
}

/// Length of the shortest request path whose canonical form is `path`:
/// every escape of a byte that clients may also send raw counts one byte.
fn shortest_request(path: &str) -> usize {
    let bytes = path.as_bytes();
    let raw_capable = bytes
        .iter()
        .enumerate()
        // A raw `?` would start the query: `%3F` cannot be sent shorter.
        .filter(|&(at, &byte)| {
            byte == b'%' && escape_at(bytes, at).is_some_and(|b| class(b) == Class::Encode && b != b'?')
        })
        .count();
    path.len() - 2 * raw_capable
}

#[cfg(test)]
mod tests;
