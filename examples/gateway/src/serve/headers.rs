//! What a proxy changes in the headers it forwards.

use http::header::{self, HeaderMap, HeaderName, HeaderValue};

/// Hop-by-hop headers (RFC 9110 section 7.6.1): meaningful for one
/// connection only, never forwarded.
const HOP_BY_HOP: [HeaderName; 8] = [
    header::CONNECTION,
    HeaderName::from_static("keep-alive"),
    HeaderName::from_static("proxy-connection"),
    header::PROXY_AUTHENTICATE,
    header::PROXY_AUTHORIZATION,
    header::TE,
    header::TRAILER,
    header::TRANSFER_ENCODING,
];

/// Whether the request asks to switch protocols (`Connection: upgrade`
/// with an `Upgrade` header), as a WebSocket handshake does.
pub(crate) fn is_upgrade(headers: &HeaderMap) -> bool {
    headers.contains_key(header::UPGRADE)
        && connection_tokens(headers).any(|token| token.eq_ignore_ascii_case("upgrade"))
}

fn connection_tokens(headers: &HeaderMap) -> impl Iterator<Item = &str> {
    headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .filter(|token| !token.is_empty())
}

/// Removes hop-by-hop headers, and those the `Connection` header names. An
/// upgrade keeps `Connection: upgrade` and `Upgrade`, which the next hop
/// needs to switch protocols too.
pub(crate) fn remove_hop_by_hop(headers: &mut HeaderMap, upgrade: bool) {
    // Most messages have none of them: one pass over the names, no lookups.
    let present = headers
        .keys()
        .any(|name| name == header::UPGRADE || HOP_BY_HOP.contains(name));
    if !present && !upgrade {
        return;
    }
    let named: Vec<HeaderName> = connection_tokens(headers)
        .filter(|token| !(upgrade && token.eq_ignore_ascii_case("upgrade")))
        .filter_map(|token| HeaderName::from_bytes(token.as_bytes()).ok())
        .collect();
    for name in named.iter().chain(&HOP_BY_HOP) {
        headers.remove(name);
    }
    if upgrade {
        headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
    } else {
        headers.remove(header::UPGRADE);
    }
}

/// Sets `X-Forwarded-For` (the client appended to any list already there),
/// `X-Forwarded-Proto` and `X-Forwarded-Host` (the Host the client sent).
/// They inform the backend; routing never reads them (H6).
pub(crate) fn add_forwarded(headers: &mut HeaderMap, client: &HeaderValue, host: Option<HeaderValue>) {
    let forwarded_for = HeaderName::from_static("x-forwarded-for");
    // Several lines of a list header are one list.
    let earlier: Vec<&str> = headers
        .get_all(&forwarded_for)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .map(str::trim)
        .filter(|value| !value.is_empty())
        .collect();
    if earlier.is_empty() {
        headers.insert(forwarded_for, client.clone());
    } else {
        let list = format!("{}, {}", earlier.join(", "), client.to_str().unwrap_or_default());
        if let Ok(value) = HeaderValue::from_str(&list) {
            headers.insert(forwarded_for, value);
        }
    }
    headers.insert(
        HeaderName::from_static("x-forwarded-proto"),
        HeaderValue::from_static("http"),
    );
    match host {
        Some(host) => headers.insert(HeaderName::from_static("x-forwarded-host"), host),
        None => headers.remove(HeaderName::from_static("x-forwarded-host")),
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(name, value)| {
                (
                    HeaderName::from_bytes(name.as_bytes()).unwrap(),
                    HeaderValue::from_str(value).unwrap(),
                )
            })
            .collect()
    }

    #[test]
    fn hop_by_hop_headers_are_removed() {
        let mut map = headers(&[
            ("connection", "keep-alive, x-private"),
            ("keep-alive", "timeout=5"),
            ("x-private", "secret"),
            ("te", "trailers"),
            ("upgrade", "h2c"),
            ("accept", "*/*"),
        ]);
        remove_hop_by_hop(&mut map, false);
        let left: Vec<_> = map.keys().map(HeaderName::as_str).collect();
        assert_eq!(left, ["accept"]);
    }

    #[test]
    fn upgrades_keep_what_the_next_hop_needs() {
        let mut map = headers(&[
            ("connection", "Upgrade"),
            ("upgrade", "websocket"),
            ("sec-websocket-key", "k"),
        ]);
        assert!(is_upgrade(&map));
        remove_hop_by_hop(&mut map, true);
        assert_eq!(map.get("connection").unwrap(), "upgrade");
        assert_eq!(map.get("upgrade").unwrap(), "websocket");
        assert!(map.contains_key("sec-websocket-key"));
    }

    #[test]
    fn forwarded_for_joins_every_line() {
        let mut map = HeaderMap::new();
        map.append("x-forwarded-for", HeaderValue::from_static("10.0.0.1"));
        map.append("x-forwarded-for", HeaderValue::from_static("10.0.0.2"));
        add_forwarded(&mut map, &HeaderValue::from_static("127.0.0.1"), None);
        assert_eq!(map.get("x-forwarded-for").unwrap(), "10.0.0.1, 10.0.0.2, 127.0.0.1");
        assert!(!map.contains_key("x-forwarded-host"));
    }

    #[test]
    fn forwarded_headers_are_set() {
        let mut map = headers(&[("x-forwarded-for", "10.0.0.1"), ("x-forwarded-host", "spoofed")]);
        add_forwarded(
            &mut map,
            &HeaderValue::from_static("127.0.0.1"),
            Some(HeaderValue::from_static("hello.nginx.com")),
        );
        assert_eq!(map.get("x-forwarded-for").unwrap(), "10.0.0.1, 127.0.0.1");
        assert_eq!(map.get("x-forwarded-proto").unwrap(), "http");
        assert_eq!(map.get("x-forwarded-host").unwrap(), "hello.nginx.com");
    }
}
