//! The API server's name checks, written from their definitions.

use std::net::IpAddr;

/// Longest DNS-1123 subdomain.
pub(crate) const MAX_SUBDOMAIN: usize = 253;

/// A lowercase RFC 1123 subdomain: dot-separated labels of `[a-z0-9-]`,
/// each starting and ending alphanumeric, 253 bytes at most.
pub(crate) fn is_dns1123_subdomain(value: &str) -> bool {
    !value.is_empty() && value.len() <= MAX_SUBDOMAIN && value.split('.').all(is_dns1123_label_shape)
}

/// `*.` followed by a DNS-1123 subdomain, 253 bytes at most in all.
pub(crate) fn is_wildcard_dns1123_subdomain(value: &str) -> bool {
    value.len() <= MAX_SUBDOMAIN && value.strip_prefix("*.").is_some_and(is_dns1123_subdomain)
}

/// An RFC 1035 label: `[a-z]([-a-z0-9]*[a-z0-9])?`, 63 bytes at most.
pub(crate) fn is_dns1035_label(value: &str) -> bool {
    value.len() <= 63 && value.as_bytes().first().is_some_and(u8::is_ascii_lowercase) && is_dns1123_label_shape(value)
}

/// An IANA service name as Kubernetes checks port names: 1 to 15 bytes of
/// `[a-z0-9-]`, at least one letter, no `-` at either end, no `--`.
pub(crate) fn is_iana_port_name(value: &str) -> bool {
    let bytes = value.as_bytes();
    (1..=15).contains(&bytes.len())
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
        && bytes.iter().any(u8::is_ascii_lowercase)
        && !value.starts_with('-')
        && !value.ends_with('-')
        && !value.contains("--")
}

/// An IP address as the API server's check sees one (`ParseIPSloppy`):
/// IPv6, or dotted-quad IPv4 whose parts may carry leading zeros
/// (`010.0.0.1`).
pub(crate) fn is_ip_address(value: &str) -> bool {
    value.parse::<IpAddr>().is_ok() || is_sloppy_ipv4(value)
}

/// Four dot-separated decimal numbers up to 255, leading zeros allowed.
fn is_sloppy_ipv4(value: &str) -> bool {
    let mut parts = 0;
    for part in value.split('.') {
        parts += 1;
        let digits = part.trim_start_matches('0');
        let fits = digits.len() <= 3 && digits.parse::<u16>().map_or(digits.is_empty(), |n| n <= 255);
        if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) || !fits {
            return false;
        }
    }
    parts == 4
}

/// A name that can be one segment of an API path: not `.` or `..`, no `/`
/// and no `%`.
pub(crate) fn is_path_segment_name(value: &str) -> bool {
    !value.is_empty() && value != "." && value != ".." && !value.contains(['/', '%'])
}

/// One label of `[a-z0-9-]` that starts and ends alphanumeric (no length
/// limit: Kubernetes checks only the subdomain's total length).
fn is_dns1123_label_shape(label: &str) -> bool {
    let bytes = label.as_bytes();
    let alnum = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    bytes.first().is_some_and(alnum) && bytes.last().is_some_and(alnum) && bytes.iter().all(|b| alnum(b) || *b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v2_subdomains() {
        for ok in ["a", "foo.bar.com", "a-b.c0", "1.2.3", "xn--bcher-kva.example"] {
            assert!(is_dns1123_subdomain(ok), "{ok}");
        }
        let long = format!("{}.com", "a".repeat(250));
        for bad in [
            "", "Foo.com", "foo.com.", ".foo", "a..b", "-a.com", "a-.com", "a_b.com", "*.a.com", &long,
        ] {
            assert!(!is_dns1123_subdomain(bad), "{bad}");
        }
    }

    #[test]
    fn v2_wildcards() {
        assert!(is_wildcard_dns1123_subdomain("*.foo.com"));
        assert!(is_wildcard_dns1123_subdomain("*.com"));
        for bad in ["*", "*.", "*foo.com", "a.*.com", "*.*.com", "**.com", "foo.com"] {
            assert!(!is_wildcard_dns1123_subdomain(bad), "{bad}");
        }
    }

    #[test]
    fn v6_dns1035_and_port_names() {
        assert!(is_dns1035_label("nginx-svc"));
        assert!(!is_dns1035_label("1nginx"));
        assert!(!is_dns1035_label("nginx.svc"));
        assert!(!is_dns1035_label(&"a".repeat(64)));
        assert!(is_iana_port_name("http"));
        assert!(is_iana_port_name("h2c-8080"));
        for bad in ["", "8080", "-http", "http-", "ht--tp", "HTTP", "a-very-long-port-name"] {
            assert!(!is_iana_port_name(bad), "{bad}");
        }
    }

    #[test]
    fn v2_ip_addresses() {
        assert!(is_ip_address("10.0.0.1"));
        assert!(is_ip_address("::1"));
        assert!(!is_ip_address("1.2.3"));
        assert!(!is_ip_address("1.2.3.4.5"));
        assert!(!is_ip_address("1.2.3.256"));
        // Leading zeros still make an address for the API server.
        assert!(is_ip_address("010.0.0.1"));
        assert!(is_ip_address("1.2.3.0004"));
        assert!(is_ip_address("0.0.0.0"));
    }
}
