//! Why a request was refused before routing.

use std::fmt;

/// The HTTP answer a refused request gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Refusal {
    /// 400 Bad Request.
    BadRequest,
    /// 414 URI Too Long.
    UriTooLong,
}

impl Refusal {
    /// The HTTP status code.
    pub fn status_code(self) -> u16 {
        match self {
            Self::BadRequest => 400,
            Self::UriTooLong => 414,
        }
    }
}

/// A request that cannot be canonicalised unambiguously, and so is never
/// routed. Each names the rule of the contract that refuses it
/// ([`RequestError::rule`]) and the answer it gets ([`RequestError::refusal`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RequestError {
    /// H5: an HTTP/1.1 request without a `Host` header, or an HTTP/2 request
    /// with neither `:authority` nor `Host`.
    MissingHost,
    /// H5: more than one `Host` header.
    SeveralHostHeaders,
    /// H1: the request target, `:authority` and `Host` name different hosts.
    HostsDisagree,
    /// H2: the port is not a number from 0 to 65535.
    InvalidPort,
    /// H3: the authority carries userinfo (`user@host`).
    Userinfo,
    /// H3: a byte that cannot be part of a host name.
    InvalidHostByte(u8),
    /// H3: an empty label (`a..b`, `.a`).
    EmptyLabel,
    /// H3: a label longer than 63 bytes or a host longer than 253.
    HostTooLong,
    /// H3: an IP literal that does not parse (`[::g]`, `1.2.3.256`, `1.2.3`).
    MalformedIpLiteral,
    /// P2: the request target is neither origin-form nor absolute-form (nor
    /// `*` on an `OPTIONS` request).
    UnsupportedTargetForm,
    /// P2: a byte that must not appear raw in a path (`#`, space, `\`,
    /// control bytes, non-ASCII).
    InvalidPathByte(u8),
    /// P2: a byte no request-target may carry raw (control bytes, space)
    /// in the query of a request line.
    InvalidTargetByte(u8),
    /// P2: `%` not followed by two hex digits.
    MalformedPercentEncoding,
    /// P2: a percent-encoded control byte (`%00` to `%1F`, `%7F`).
    EncodedControlByte(u8),
    /// P2: a dot segment carrying parameters (`..;x`, `.;x`).
    DotSegmentWithParameters,
    /// P4: a `..` that climbs above the root.
    DotSegmentAboveRoot,
    /// P6: an encoded `/` or `\` (`%2F`, `%5C`) while those are refused.
    EncodedSlash,
    /// P7: the path is longer than the configured limit.
    PathTooLong {
        /// Length of the request's path in bytes.
        length: usize,
        /// The configured limit.
        limit: usize,
    },
}

impl RequestError {
    /// The answer this request gets: 414 for [`PathTooLong`](Self::PathTooLong),
    /// 400 for everything else.
    pub fn refusal(&self) -> Refusal {
        match self {
            Self::PathTooLong { .. } => Refusal::UriTooLong,
            _ => Refusal::BadRequest,
        }
    }

    /// The id of the contract rule that refuses the request.
    pub fn rule(&self) -> &'static str {
        match self {
            Self::MissingHost | Self::SeveralHostHeaders => "H5",
            Self::HostsDisagree => "H1",
            Self::InvalidPort => "H2",
            Self::Userinfo
            | Self::InvalidHostByte(_)
            | Self::EmptyLabel
            | Self::HostTooLong
            | Self::MalformedIpLiteral => "H3",
            Self::UnsupportedTargetForm
            | Self::InvalidPathByte(_)
            | Self::InvalidTargetByte(_)
            | Self::MalformedPercentEncoding
            | Self::EncodedControlByte(_)
            | Self::DotSegmentWithParameters => "P2",
            Self::DotSegmentAboveRoot => "P4",
            Self::EncodedSlash => "P6",
            Self::PathTooLong { .. } => "P7",
        }
    }
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MissingHost => f.write_str("the request names no host (HTTP/1.1 needs a Host header)"),
            Self::SeveralHostHeaders => f.write_str("the request has more than one Host header"),
            Self::HostsDisagree => f.write_str("the request target, :authority and Host name different hosts"),
            Self::InvalidPort => f.write_str("the port in the host is not a number from 0 to 65535"),
            Self::Userinfo => f.write_str("the host carries userinfo ('@')"),
            Self::InvalidHostByte(byte) => write!(f, "the host contains byte 0x{byte:02X}, which no host name has"),
            Self::EmptyLabel => f.write_str("the host has an empty label"),
            Self::HostTooLong => f.write_str("the host has a label over 63 bytes or is over 253 bytes"),
            Self::MalformedIpLiteral => f.write_str("the host is a malformed IP literal"),
            Self::UnsupportedTargetForm => {
                f.write_str("the request target is neither origin-form, absolute-form, nor '*' on OPTIONS")
            }
            Self::InvalidPathByte(byte) => write!(f, "the path contains byte 0x{byte:02X}, which must not appear raw"),
            Self::InvalidTargetByte(byte) => {
                write!(
                    f,
                    "the request target contains byte 0x{byte:02X}, which must not appear raw"
                )
            }
            Self::MalformedPercentEncoding => f.write_str("the path has '%' not followed by two hex digits"),
            Self::EncodedControlByte(byte) => write!(f, "the path encodes control byte %{byte:02X}"),
            Self::DotSegmentWithParameters => f.write_str("the path has a dot segment with parameters ('..;' or '.;')"),
            Self::DotSegmentAboveRoot => f.write_str("the path climbs above the root with '..'"),
            Self::EncodedSlash => f.write_str("the path contains an encoded '/' or '\\' (%2F, %5C)"),
            Self::PathTooLong { length, limit } => write!(f, "the path is {length} bytes, over the limit of {limit}"),
        }
    }
}

impl std::error::Error for RequestError {}
