//! Host canonicalisation (H2-H4).
//!
//! ```
//! use ingress_core::canonical::{RequestError, RequestHost, canonicalize_host};
//! use std::net::Ipv4Addr;
//!
//! assert_eq!(canonicalize_host(b"Hello.NGINX.com.:8080"), Ok(RequestHost::Name("hello.nginx.com".into())));
//! assert_eq!(canonicalize_host(b"10.0.0.1:80"), Ok(RequestHost::Ip(Ipv4Addr::new(10, 0, 0, 1).into())));
//! assert_eq!(canonicalize_host(b"user@example.com"), Err(RequestError::Userinfo));
//! ```

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

use super::RequestError;

/// Longest host name in bytes (H3).
const MAX_HOST: usize = 253;
/// Longest label in bytes (H3).
const MAX_LABEL: usize = 63;

/// The host a request is for, in canonical form.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RequestHost {
    /// A host name: ASCII lower case, no port, no trailing dot. Shared:
    /// a routed request's host is the table's own copy when it can be.
    Name(Arc<str>),
    /// An IP literal. It never matches a named host (H4): it is routed like
    /// [`RequestHost::None`].
    Ip(IpAddr),
    /// No host at all (HTTP/1.0 without `Host`, or an empty `Host`).
    None,
}

impl RequestHost {
    /// The host name, when there is one.
    pub fn name(&self) -> Option<&str> {
        match self {
            Self::Name(name) => Some(name),
            Self::Ip(_) | Self::None => None,
        }
    }
}

impl fmt::Display for RequestHost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Name(name) => f.write_str(name),
            Self::Ip(IpAddr::V4(ip)) => ip.fmt(f),
            Self::Ip(IpAddr::V6(ip)) => write!(f, "[{ip}]"),
            Self::None => f.write_str("(no host)"),
        }
    }
}

/// Canonicalises an authority (`host[:port]`, as found in `Host`,
/// `:authority` or an absolute-form target).
///
/// An empty authority is "no host" (HTTP/1.1 allows an empty `Host` for
/// targets without one).
pub fn canonicalize_host(authority: &[u8]) -> Result<RequestHost, RequestError> {
    if authority.is_empty() {
        return Ok(RequestHost::None);
    }
    if let Some(name) = already_canonical(authority) {
        return Ok(RequestHost::Name(name.into()));
    }
    for &byte in authority {
        match byte {
            b'@' => return Err(RequestError::Userinfo),
            b'*' | b'/' | b'\\' | b' ' | 0x00..=0x1F | 0x7F..=0xFF => return Err(RequestError::InvalidHostByte(byte)),
            _ => {}
        }
    }
    if let Some(bracketed) = authority.strip_prefix(b"[") {
        let close = bracketed
            .iter()
            .position(|&b| b == b']')
            .ok_or(RequestError::MalformedIpLiteral)?;
        let (literal, rest) = bracketed.split_at(close);
        check_port(rest.get(1..).unwrap_or_default())?;
        let ip = std::str::from_utf8(literal)
            .ok()
            .and_then(|text| text.parse::<Ipv6Addr>().ok())
            .ok_or(RequestError::MalformedIpLiteral)?;
        return Ok(RequestHost::Ip(IpAddr::V6(ip)));
    }
    let (host, port) = match authority.iter().rposition(|&b| b == b':') {
        Some(colon) => {
            let (host, port) = authority.split_at(colon);
            (host, Some(port.get(1..).unwrap_or_default()))
        }
        None => (authority, None),
    };
    if let Some(port) = port {
        if host.contains(&b':') {
            // An IPv6 address without brackets.
            return Err(RequestError::MalformedIpLiteral);
        }
        check_port_digits(port)?;
    }
    canonical_name(host)
}

/// The common case in one pass: a host name already in canonical form
/// (lower case, no port, no trailing dot, labels of `[a-z0-9_-]` within the
/// lengths, not all digits). Anything else takes the general path.
pub(crate) fn already_canonical(authority: &[u8]) -> Option<&str> {
    if authority.len() > MAX_HOST {
        return None;
    }
    let mut label = 0;
    let mut letters = false;
    for &byte in authority {
        let kind = NAME_BYTES.get(usize::from(byte)).copied().unwrap_or(0);
        if kind == DOT && label > 0 {
            label = 0;
            continue;
        }
        if kind & (LETTER | DIGIT) == 0 || label == MAX_LABEL {
            return None;
        }
        letters |= kind == LETTER;
        label += 1;
    }
    if label == 0 || !letters {
        return None;
    }
    std::str::from_utf8(authority).ok()
}

const LETTER: u8 = 1;
const DIGIT: u8 = 2;
const DOT: u8 = 4;

/// What each byte can be in a canonical host name: `LETTER` for `a-z`, `-`
/// and `_`, `DIGIT`, `DOT`, or 0 (not in canonical names).
static NAME_BYTES: [u8; 256] = name_bytes();

#[allow(clippy::indexing_slicing)] // Every index is a byte: always in bounds.
const fn name_bytes() -> [u8; 256] {
    let mut table = [0; 256];
    let mut byte = b'a';
    while byte <= b'z' {
        table[byte as usize] = LETTER;
        byte += 1;
    }
    let mut digit = b'0';
    while digit <= b'9' {
        table[digit as usize] = DIGIT;
        digit += 1;
    }
    table[b'-' as usize] = LETTER;
    table[b'_' as usize] = LETTER;
    table[b'.' as usize] = DOT;
    table
}

/// After `]`: nothing, or `:` and a port.
fn check_port(rest: &[u8]) -> Result<(), RequestError> {
    match rest {
        [] => Ok(()),
        [b':', port @ ..] => check_port_digits(port),
        _ => Err(RequestError::MalformedIpLiteral),
    }
}

/// Digits only (possibly none), at most 65535 (H2).
fn check_port_digits(port: &[u8]) -> Result<(), RequestError> {
    let mut value: u32 = 0;
    for &byte in port {
        if !byte.is_ascii_digit() {
            return Err(RequestError::InvalidPort);
        }
        value = value * 10 + u32::from(byte - b'0');
        if value > 65535 {
            return Err(RequestError::InvalidPort);
        }
    }
    Ok(())
}

/// A host without port: a name or an IPv4 literal.
fn canonical_name(host: &[u8]) -> Result<RequestHost, RequestError> {
    let host = host.strip_suffix(b".").unwrap_or(host);
    if host.is_empty() {
        return Err(RequestError::EmptyLabel);
    }
    if host.len() > MAX_HOST {
        return Err(RequestError::HostTooLong);
    }
    let mut label = 0;
    let mut letters = false;
    for &byte in host {
        match byte {
            b'.' => {
                if label == 0 {
                    return Err(RequestError::EmptyLabel);
                }
                label = 0;
                continue;
            }
            b'a'..=b'z' | b'A'..=b'Z' | b'-' | b'_' => letters = true,
            b'0'..=b'9' => {}
            _ => return Err(RequestError::InvalidHostByte(byte)),
        }
        label += 1;
        if label > MAX_LABEL {
            return Err(RequestError::HostTooLong);
        }
    }
    if label == 0 {
        return Err(RequestError::EmptyLabel);
    }
    // Every byte was checked to be ASCII above.
    let name = String::from_utf8_lossy(host).to_ascii_lowercase();
    if !letters {
        // Only digits and dots: an IPv4 literal, or nothing valid. Clients
        // read forms like `1.2.3` as addresses, so no name may look like one.
        return name
            .parse::<Ipv4Addr>()
            .map(|ip| RequestHost::Ip(IpAddr::V4(ip)))
            .map_err(|_| RequestError::MalformedIpLiteral);
    }
    Ok(RequestHost::Name(name.into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(host: &str) -> Result<RequestHost, RequestError> {
        Ok(RequestHost::Name(host.into()))
    }

    #[test]
    fn h2_lowercase_port_and_trailing_dot() {
        let cases: &[(&str, Result<RequestHost, RequestError>)] = &[
            ("hello.nginx.com", name("hello.nginx.com")),
            ("HELLO.Nginx.COM", name("hello.nginx.com")),
            ("hello.nginx.com:8080", name("hello.nginx.com")),
            ("hello.nginx.com:", name("hello.nginx.com")),
            ("hello.nginx.com.", name("hello.nginx.com")),
            ("hello.nginx.com.:443", name("hello.nginx.com")),
            ("hello.nginx.com:65535", name("hello.nginx.com")),
            ("hello.nginx.com:65536", Err(RequestError::InvalidPort)),
            ("hello.nginx.com:8o", Err(RequestError::InvalidPort)),
            ("hello.nginx.com:-1", Err(RequestError::InvalidPort)),
            ("hello.nginx.com..", Err(RequestError::EmptyLabel)),
            ("xn--bcher-kva.example", name("xn--bcher-kva.example")),
        ];
        for (input, expected) in cases {
            assert_eq!(&canonicalize_host(input.as_bytes()), expected, "{input}");
        }
    }

    #[test]
    fn h3_refusals() {
        let long_label = format!("{}.com", "a".repeat(64));
        let long_host = vec!["a".repeat(60); 5].join(".");
        let cases: &[(&[u8], RequestError)] = &[
            (b"a..b.com", RequestError::EmptyLabel),
            (b".a.com", RequestError::EmptyLabel),
            (b".", RequestError::EmptyLabel),
            (b":80", RequestError::EmptyLabel),
            (b"user@a.com", RequestError::Userinfo),
            (b"a.com/x", RequestError::InvalidHostByte(b'/')),
            (b"a.com\\x", RequestError::InvalidHostByte(b'\\')),
            (b"a .com", RequestError::InvalidHostByte(b' ')),
            (b"a\x01.com", RequestError::InvalidHostByte(0x01)),
            (b"caf\xc3\xa9.com", RequestError::InvalidHostByte(0xC3)),
            (b"*.a.com", RequestError::InvalidHostByte(b'*')),
            (b"a!.com", RequestError::InvalidHostByte(b'!')),
            (long_label.as_bytes(), RequestError::HostTooLong),
            (long_host.as_bytes(), RequestError::HostTooLong),
            (b"[::g]", RequestError::MalformedIpLiteral),
            (b"[::1", RequestError::MalformedIpLiteral),
            (b"[::1]x", RequestError::MalformedIpLiteral),
            (b"[fe80::1%25eth0]", RequestError::MalformedIpLiteral),
            (b"::1", RequestError::MalformedIpLiteral),
            (b"1.2.3.256", RequestError::MalformedIpLiteral),
            (b"1.2.3", RequestError::MalformedIpLiteral),
            (b"01.2.3.4", RequestError::MalformedIpLiteral),
        ];
        for (input, expected) in cases {
            assert_eq!(
                canonicalize_host(input),
                Err(expected.clone()),
                "{}",
                String::from_utf8_lossy(input)
            );
        }
    }

    #[test]
    fn h3_punycode_is_plain_ascii() {
        // No IDNA mapping: the A-label and its Unicode form are different hosts.
        assert_eq!(
            canonicalize_host(b"XN--BCHER-KVA.example"),
            name("xn--bcher-kva.example")
        );
    }

    #[test]
    fn h4_ip_literals() {
        assert_eq!(
            canonicalize_host(b"10.1.2.3"),
            Ok(RequestHost::Ip("10.1.2.3".parse().unwrap()))
        );
        assert_eq!(
            canonicalize_host(b"10.1.2.3.:80"),
            Ok(RequestHost::Ip("10.1.2.3".parse().unwrap()))
        );
        assert_eq!(canonicalize_host(b"[::1]"), Ok(RequestHost::Ip("::1".parse().unwrap())));
        assert_eq!(
            canonicalize_host(b"[2001:DB8::1]:443"),
            Ok(RequestHost::Ip("2001:db8::1".parse().unwrap()))
        );
        assert_eq!(RequestHost::Ip("::1".parse().unwrap()).name(), None);
    }

    #[test]
    fn empty_authority_is_no_host() {
        assert_eq!(canonicalize_host(b""), Ok(RequestHost::None));
    }
}
