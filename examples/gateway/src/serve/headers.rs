//! What a proxy changes in the headers it forwards.

use http::header::{self, HeaderMap, HeaderName, HeaderValue};

use crate::upstream::h1::list_tokens;

/// Hop-by-hop headers (RFC 9110 section 7.6.1, and the older
/// `Proxy-Connection` and proxy authentication fields): meaningful for one
/// connection only, never forwarded. `Trailer` is not one: it announces the
/// trailer fields, which the gateway passes on. A `static`, so that using it
/// builds and drops nothing.
static HOP_BY_HOP: [HeaderName; 7] = [
    header::CONNECTION,
    HeaderName::from_static("keep-alive"),
    HeaderName::from_static("proxy-connection"),
    header::PROXY_AUTHENTICATE,
    header::PROXY_AUTHORIZATION,
    header::TE,
    header::TRANSFER_ENCODING,
];

/// Bit `i` stands for `HOP_BY_HOP[i]`; this one for `Upgrade`, hop-by-hop
/// unless the message switches protocols.
const UPGRADE_BIT: u32 = 1 << HOP_BY_HOP.len();
/// `HOP_BY_HOP[0]`.
const CONNECTION_BIT: u32 = 1;
/// `HOP_BY_HOP[5]`.
const TE_BIT: u32 = 1 << 5;

/// The bit of a header name that [`remove_hop_by_hop`] cares about, if any:
/// [`HOP_BY_HOP`] spelled out as a `match`, which compiles to a few length
/// and byte comparisons (this runs for every header of every message; a
/// test keeps the two in step).
fn hop_by_hop_bit(name: &HeaderName) -> u32 {
    let index = match name.as_str() {
        "connection" => 0,
        "keep-alive" => 1,
        "proxy-connection" => 2,
        "proxy-authenticate" => 3,
        "proxy-authorization" => 4,
        "te" => 5,
        "transfer-encoding" => 6,
        "upgrade" => return UPGRADE_BIT,
        _ => return 0,
    };
    1 << index
}

/// Whether the request asks to switch protocols (`Connection: upgrade`
/// with an `Upgrade` header), as a WebSocket handshake does.
pub(crate) fn is_upgrade(headers: &HeaderMap) -> bool {
    headers.contains_key(header::UPGRADE)
        && field_tokens(headers, &header::CONNECTION).any(|token| token.eq_ignore_ascii_case(b"upgrade"))
}

/// Takes the `h2c` token out of a request's `Upgrade` (with its
/// `HTTP2-Settings`), then says whether an upgrade is still asked for, as
/// [`is_upgrade`] does. The gateway speaks HTTP/1.1 to upstreams and serves
/// HTTP/2 cleartext by prior knowledge only, so no hop could honour h2c: a
/// request that asked for it alone goes on as a plain request (nginx drops
/// it too). Costs one lookup when there is no `Upgrade` field.
pub(crate) fn forwardable_upgrade(headers: &mut HeaderMap) -> bool {
    if !headers.contains_key(header::UPGRADE) {
        return false;
    }
    if upgrade_tokens(headers).any(is_h2c) {
        // The other protocols, joined as one field (tokens of header values
        // joined by ", " make a header value).
        let others: Vec<&[u8]> = upgrade_tokens(headers).filter(|token| !is_h2c(token)).collect();
        let others = (!others.is_empty())
            .then(|| HeaderValue::from_bytes(&others.join(&b", "[..])).ok())
            .flatten();
        headers.remove(header::UPGRADE);
        headers.remove(HTTP2_SETTINGS);
        if let Some(others) = others {
            headers.insert(header::UPGRADE, others);
        }
    }
    is_upgrade(headers)
}

/// The settings an h2c upgrade carries (RFC 7540 section 3.2.1).
const HTTP2_SETTINGS: HeaderName = HeaderName::from_static("http2-settings");

/// The protocols of every `Upgrade` field, values that are not text
/// included.
fn upgrade_tokens(headers: &HeaderMap) -> impl Iterator<Item = &[u8]> {
    headers
        .get_all(header::UPGRADE)
        .iter()
        .flat_map(|value| list_tokens(value.as_bytes()))
}

/// Whether an `Upgrade` token names h2c (`h2c`, any case, any version).
fn is_h2c(token: &[u8]) -> bool {
    token
        .split(|&byte| byte == b'/')
        .next()
        .is_some_and(|name| name.trim_ascii().eq_ignore_ascii_case(b"h2c"))
}

/// Whether a request's transfer codings are exactly one `chunked`, across
/// all its `Transfer-Encoding` fields: the only framing the gateway can
/// decode and forward. Anything else (`gzip, chunked`, `chunked, chunked`,
/// two `chunked` fields) is a coding it does not understand: 501 (RFC 9112
/// section 6.1). Values that are not text count as codings.
pub(crate) fn is_single_chunked(headers: &HeaderMap) -> bool {
    let mut codings = headers
        .get_all(header::TRANSFER_ENCODING)
        .iter()
        .flat_map(|value| list_tokens(value.as_bytes()));
    codings
        .next()
        .is_some_and(|coding| coding.eq_ignore_ascii_case(b"chunked"))
        && codings.next().is_none()
}

/// The list elements of every `name` field (values that are not text are
/// skipped whole).
fn field_tokens<'a>(headers: &'a HeaderMap, name: &HeaderName) -> impl Iterator<Item = &'a [u8]> {
    headers
        .get_all(name)
        .iter()
        .filter(|value| value.to_str().is_ok())
        .flat_map(|value| list_tokens(value.as_bytes()))
}

/// Removes hop-by-hop headers, and those the `Connection` header names. An
/// upgrade keeps `Connection: upgrade` and `Upgrade`, which the next hop
/// needs to switch protocols too. Says whether a `TE` field took trailers:
/// a request that does says so to the next hop too (the gateway passes
/// trailers on), see [`say_trailers_taken`].
pub(crate) fn remove_hop_by_hop(headers: &mut HeaderMap, upgrade: bool) -> bool {
    // One pass over the names says which are there: most messages have none
    // or only `Connection`, and only those present are looked up again.
    let present = headers
        .keys()
        .fold(0_u32, |present, name| present | hop_by_hop_bit(name));
    if present == 0 && !upgrade {
        return false;
    }
    if present & CONNECTION_BIT != 0 {
        // Names the Connection header lists, other than the ones above
        // (usually none: `Connection: keep-alive` or `close`).
        // `Host` is never dropped this way: routing used it, and HTTP/1.1
        // requires it upstream.
        let listed = |token: &&[u8]| {
            ![&b"host"[..], b"upgrade"]
                .iter()
                .any(|name| name.eq_ignore_ascii_case(token))
                && !HOP_BY_HOP
                    .iter()
                    .any(|name| name.as_str().as_bytes().eq_ignore_ascii_case(token))
        };
        if field_tokens(headers, &header::CONNECTION).any(|token| listed(&token)) {
            let named: Vec<HeaderName> = field_tokens(headers, &header::CONNECTION)
                .filter(listed)
                .filter_map(|token| HeaderName::from_bytes(token).ok())
                .collect();
            for name in &named {
                headers.remove(name);
            }
        }
    }
    // A coding may carry parameters (`trailers;q=1` is not valid, but
    // `gzip;q=0.5` is): only the name counts.
    let takes_trailers = present & TE_BIT != 0
        && field_tokens(headers, &header::TE).any(|coding| {
            coding
                .split(|&byte| byte == b';')
                .next()
                .is_some_and(|name| name.trim_ascii().eq_ignore_ascii_case(b"trailers"))
        });
    for (index, name) in HOP_BY_HOP.iter().enumerate() {
        if present & 1 << index != 0 {
            headers.remove(name);
        }
    }
    if upgrade {
        headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
    } else if present & UPGRADE_BIT != 0 {
        headers.remove(header::UPGRADE);
    }
    takes_trailers
}

/// `TE: trailers`, for a request whose client takes them.
pub(crate) fn say_trailers_taken(headers: &mut HeaderMap) {
    headers.insert(header::TE, HeaderValue::from_static("trailers"));
}

/// Joins several `Cookie` fields into one, as HTTP/1.1 requires (RFC 9113
/// section 8.2.3: HTTP/2 clients may split cookies over several fields).
pub(crate) fn join_cookies(headers: &mut HeaderMap) {
    let header::Entry::Occupied(mut entry) = headers.entry(header::COOKIE) else {
        return;
    };
    if entry.iter().nth(1).is_none() {
        return;
    }
    let joined: Vec<&[u8]> = entry.iter().map(HeaderValue::as_bytes).collect();
    if let Ok(value) = HeaderValue::from_bytes(&joined.join(&b"; "[..])) {
        entry.insert(value);
    }
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
            ("te", "gzip"),
            ("upgrade", "h2c"),
            ("accept", "*/*"),
        ]);
        remove_hop_by_hop(&mut map, false);
        let left: Vec<_> = map.keys().map(HeaderName::as_str).collect();
        assert_eq!(left, ["accept"]);
    }

    #[test]
    fn trailers_are_announced_and_taken_end_to_end() {
        // `Trailer` names fields the gateway passes on; `TE: trailers` is
        // said again to the next hop, without this hop's codings.
        let mut map = headers(&[("te", "gzip;q=0.5, Trailers"), ("trailer", "x-sum"), ("accept", "*/*")]);
        assert!(remove_hop_by_hop(&mut map, false));
        assert!(!map.contains_key("te"));
        assert_eq!(map["trailer"], "x-sum");
        let mut map = headers(&[("te", "gzip")]);
        assert!(!remove_hop_by_hop(&mut map, false));
        assert!(map.is_empty());
    }

    #[test]
    fn connection_tokens_are_case_insensitive_and_name_any_header() {
        let mut map = headers(&[
            ("connection", "Keep-Alive, X-Private, Upgrade"),
            ("keep-alive", "timeout=5"),
            ("x-private", "secret"),
            ("upgrade", "websocket"),
            ("transfer-encoding", "chunked"),
            ("x-public", "kept"),
        ]);
        remove_hop_by_hop(&mut map, false);
        let left: Vec<_> = map.keys().map(HeaderName::as_str).collect();
        assert_eq!(left, ["x-public"]);
    }

    #[test]
    fn the_bits_follow_the_list() {
        for (index, name) in HOP_BY_HOP.iter().enumerate() {
            assert_eq!(hop_by_hop_bit(name), 1 << index, "{name}");
        }
        assert_eq!(hop_by_hop_bit(&header::UPGRADE), UPGRADE_BIT);
        assert_eq!(hop_by_hop_bit(&header::HOST), 0);
    }

    #[test]
    fn connection_cannot_name_host_away() {
        let mut map = headers(&[("host", "hello.nginx.com"), ("connection", "host, x-private")]);
        remove_hop_by_hop(&mut map, false);
        let left: Vec<_> = map.keys().map(HeaderName::as_str).collect();
        assert_eq!(left, ["host"]);
    }

    #[test]
    fn split_cookies_become_one_field() {
        let mut map = HeaderMap::new();
        map.append(header::COOKIE, HeaderValue::from_static("a=1"));
        map.append(header::COOKIE, HeaderValue::from_static("b=2; c=3"));
        join_cookies(&mut map);
        let cookies: Vec<_> = map.get_all(header::COOKIE).iter().collect();
        assert_eq!(cookies, ["a=1; b=2; c=3"]);
        let mut single = headers(&[("cookie", "a=1")]);
        join_cookies(&mut single);
        assert_eq!(single.get(header::COOKIE).unwrap(), "a=1");
    }

    #[test]
    fn messages_without_hop_by_hop_headers_are_untouched() {
        let mut map = headers(&[("accept", "*/*"), ("x-forwarded-for", "10.0.0.1")]);
        let before = map.clone();
        remove_hop_by_hop(&mut map, false);
        assert_eq!(map, before);
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
    fn h2c_is_taken_out_and_alone_leaves_a_plain_request() {
        let mut map = headers(&[
            ("connection", "Upgrade, HTTP2-Settings"),
            ("upgrade", "H2C"),
            ("http2-settings", "AAMAAABkAARAAAAAAAIAAAAA"),
        ]);
        assert!(!forwardable_upgrade(&mut map));
        remove_hop_by_hop(&mut map, false);
        assert!(map.is_empty(), "{map:?}");
        // Not named by Connection: still taken out with the h2c token.
        let mut map = headers(&[("connection", "upgrade"), ("upgrade", "h2c"), ("http2-settings", "x")]);
        assert!(!forwardable_upgrade(&mut map));
        remove_hop_by_hop(&mut map, false);
        assert!(map.is_empty(), "{map:?}");
    }

    #[test]
    fn h2c_among_other_upgrades_leaves_the_others() {
        let mut map = headers(&[
            ("connection", "upgrade"),
            ("upgrade", "h2c, websocket"),
            ("upgrade", "foo/2"),
            ("http2-settings", "x"),
        ]);
        assert!(forwardable_upgrade(&mut map));
        assert_eq!(map["upgrade"], "websocket, foo/2");
        assert!(!map.contains_key("http2-settings"));
        remove_hop_by_hop(&mut map, true);
        assert_eq!(map["connection"], "upgrade");
    }

    #[test]
    fn other_upgrades_are_untouched() {
        let mut map = headers(&[("connection", "Upgrade"), ("upgrade", "websocket")]);
        let before = map.clone();
        assert!(forwardable_upgrade(&mut map));
        assert_eq!(map, before);
        let mut plain = headers(&[("accept", "*/*")]);
        assert!(!forwardable_upgrade(&mut plain));
        // An Upgrade without `Connection: upgrade` asks for nothing.
        let mut unasked = headers(&[("upgrade", "websocket")]);
        assert!(!forwardable_upgrade(&mut unasked));
    }

    #[test]
    fn only_one_final_chunked_coding_is_understood() {
        for accepted in ["chunked", "Chunked", " chunked ", ", chunked"] {
            assert!(
                is_single_chunked(&headers(&[("transfer-encoding", accepted)])),
                "{accepted}"
            );
        }
        for refused in [
            "gzip, chunked",
            "identity, chunked",
            "chunked, chunked",
            "gzip",
            "chunked;x=1",
            "",
        ] {
            assert!(
                !is_single_chunked(&headers(&[("transfer-encoding", refused)])),
                "{refused}"
            );
        }
        let twice = headers(&[("transfer-encoding", "chunked"), ("transfer-encoding", "chunked")]);
        assert!(!is_single_chunked(&twice));
        let mut binary = HeaderMap::new();
        binary.append(header::TRANSFER_ENCODING, HeaderValue::from_bytes(b"\xff").unwrap());
        binary.append(header::TRANSFER_ENCODING, HeaderValue::from_static("chunked"));
        assert!(!is_single_chunked(&binary));
        assert!(!is_single_chunked(&HeaderMap::new()));
    }
}
