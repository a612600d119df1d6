use super::*;

fn name(host: &str) -> RequestHost {
    RequestHost::Name(host.into())
}

fn sources<'a>(
    version: HttpVersion,
    target: Option<&'a str>,
    pseudo: Option<&'a str>,
    host: HostHeader<'a>,
) -> HostSources<'a> {
    HostSources {
        version,
        target: target.map(str::as_bytes),
        pseudo: pseudo.map(str::as_bytes),
        host,
    }
}

#[test]
fn h1_authority_sources_in_order_and_must_agree() {
    use HttpVersion::*;
    let one = HostHeader::One;
    let cases = [
        // Absolute-form target first; Host agreeing after canonicalisation.
        (
            sources(Http11, Some("a.com:80"), None, one(b"A.com.")),
            Ok(name("a.com")),
        ),
        (
            sources(Http11, Some("a.com"), None, one(b"b.com")),
            Err(RequestError::HostsDisagree),
        ),
        // An empty Host is "no host", which disagrees with a named target.
        (
            sources(Http11, Some("a.com"), None, one(b"")),
            Err(RequestError::HostsDisagree),
        ),
        // HTTP/2: :authority, else Host.
        (
            sources(Http2, None, Some("a.com"), HostHeader::Absent),
            Ok(name("a.com")),
        ),
        (
            sources(Http2, None, Some("a.com:8443"), one(b"a.com")),
            Ok(name("a.com")),
        ),
        (
            sources(Http2, None, Some("a.com"), one(b"b.com")),
            Err(RequestError::HostsDisagree),
        ),
        (sources(Http2, None, None, one(b"b.com")), Ok(name("b.com"))),
        (
            sources(Http3, None, Some("[::1]:443"), HostHeader::Absent),
            Ok(RequestHost::Ip("::1".parse().unwrap())),
        ),
        // A bad source refuses the request even if another is fine.
        (
            sources(Http11, Some("a.com"), None, one(b"a..com")),
            Err(RequestError::EmptyLabel),
        ),
    ];
    for (input, expected) in cases {
        assert_eq!(select_host(&input), expected, "{input:?}");
    }
}

#[test]
fn h5_host_header_requirements() {
    use HttpVersion::*;
    let cases = [
        (
            sources(Http11, None, None, HostHeader::Absent),
            Err(RequestError::MissingHost),
        ),
        (
            sources(Http11, Some("a.com"), None, HostHeader::Absent),
            Err(RequestError::MissingHost),
        ),
        (
            sources(Http11, None, None, HostHeader::Several),
            Err(RequestError::SeveralHostHeaders),
        ),
        (
            sources(Http10, None, None, HostHeader::Several),
            Err(RequestError::SeveralHostHeaders),
        ),
        (
            sources(Http2, None, Some("a.com"), HostHeader::Several),
            Err(RequestError::SeveralHostHeaders),
        ),
        (
            sources(Http2, None, None, HostHeader::Absent),
            Err(RequestError::MissingHost),
        ),
        // HTTP/1.0 without Host: no host.
        (sources(Http10, None, None, HostHeader::Absent), Ok(RequestHost::None)),
        (
            sources(Http10, Some("a.com"), None, HostHeader::Absent),
            Ok(name("a.com")),
        ),
        // An empty Host on HTTP/1.1 is allowed and means no host.
        (sources(Http11, None, None, HostHeader::One(b"")), Ok(RequestHost::None)),
    ];
    for (input, expected) in cases {
        let actual = select_host(&input);
        assert_eq!(actual, expected, "{input:?}");
        if let Err(error) = actual {
            assert!(["H1", "H5"].contains(&error.rule()), "{error:?}");
        }
    }
}

#[test]
fn p1_query_kept_byte_for_byte() {
    let head =
        RequestHead::new("GET", HttpVersion::Http11, "/a/%2e/b?x=%2e%2E&y=/../z?w").with_host(HostHeader::One(b"h"));
    let request = canonicalize_request(&head, &PathOptions::default()).unwrap();
    assert_eq!(request.path.unwrap().as_str(), "/a/b");
    assert_eq!(request.query, Some("x=%2e%2E&y=/../z?w"));
    let empty = RequestHead::new("GET", HttpVersion::Http11, "/?").with_host(HostHeader::One(b"h"));
    assert_eq!(
        canonicalize_request(&empty, &PathOptions::default()).unwrap().query,
        Some("")
    );
}

#[test]
fn p2_target_forms() {
    let cases: &[(&str, &str, Result<RequestTarget<'_>, RequestError>)] = &[
        (
            "GET",
            "/p?q",
            Ok(RequestTarget::Origin {
                path: "/p",
                query: Some("q"),
            }),
        ),
        (
            "GET",
            "http://a.com/p?q",
            Ok(RequestTarget::Absolute {
                authority: "a.com",
                path: "/p",
                query: Some("q"),
            }),
        ),
        (
            "GET",
            "HTTPS://a.com",
            Ok(RequestTarget::Absolute {
                authority: "a.com",
                path: "/",
                query: None,
            }),
        ),
        (
            "GET",
            "http://a.com?q",
            Ok(RequestTarget::Absolute {
                authority: "a.com",
                path: "/",
                query: Some("q"),
            }),
        ),
        ("OPTIONS", "*", Ok(RequestTarget::Asterisk)),
        ("GET", "*", Err(RequestError::UnsupportedTargetForm)),
        ("GET", "http:a.com/p", Err(RequestError::UnsupportedTargetForm)),
        ("GET", "ftp://a.com/p", Err(RequestError::UnsupportedTargetForm)),
        ("GET", "http:///p", Err(RequestError::UnsupportedTargetForm)),
        ("CONNECT", "a.com:443", Err(RequestError::UnsupportedTargetForm)),
        ("GET", "p", Err(RequestError::UnsupportedTargetForm)),
        ("GET", "", Err(RequestError::UnsupportedTargetForm)),
    ];
    for (method, target, expected) in cases {
        assert_eq!(&parse_target(method, target), expected, "{method} {target}");
    }
}

#[test]
fn p2_query_bytes_a_request_line_cannot_carry() {
    for (target, byte) in [
        ("/a?x y", b' '),
        ("/a?x=\r\nEvil: 1", b'\r'),
        ("/a?\0", 0),
        ("/a?\x7f", 0x7F),
    ] {
        let head = RequestHead::new("GET", HttpVersion::Http11, target).with_host(HostHeader::One(b"h"));
        assert_eq!(
            canonicalize_request(&head, &PathOptions::default()),
            Err(RequestError::InvalidTargetByte(byte)),
            "{target:?}"
        );
    }
    // Anything else in the query passes through untouched.
    let head = RequestHead::new("GET", HttpVersion::Http11, "/a?%zz&caf\u{e9}=|").with_host(HostHeader::One(b"h"));
    assert_eq!(
        canonicalize_request(&head, &PathOptions::default()).unwrap().query,
        Some("%zz&caf\u{e9}=|")
    );
}

#[test]
fn p2_raw_hash_anywhere_in_the_target_is_refused() {
    for target in ["/a#b", "/a?q#f", "http://h/#"] {
        let head = RequestHead::new("GET", HttpVersion::Http11, target).with_host(HostHeader::One(b"h"));
        assert_eq!(
            canonicalize_request(&head, &PathOptions::default()),
            Err(RequestError::InvalidPathByte(b'#')),
            "{target}"
        );
    }
}

#[test]
fn absolute_form_host_and_userinfo() {
    let head = RequestHead::new("GET", HttpVersion::Http11, "http://Shop.Example:80/x/../y")
        .with_host(HostHeader::One(b"shop.example"));
    let request = canonicalize_request(&head, &PathOptions::default()).unwrap();
    assert_eq!(request.host, name("shop.example"));
    assert_eq!(request.path.unwrap().as_str(), "/y");
    let userinfo = RequestHead::new("GET", HttpVersion::Http10, "http://u:p@a.com/");
    assert_eq!(
        canonicalize_request(&userinfo, &PathOptions::default()),
        Err(RequestError::Userinfo)
    );
}

#[test]
fn options_asterisk_has_no_path() {
    let head = RequestHead::new("OPTIONS", HttpVersion::Http11, "*").with_host(HostHeader::One(b"a.com"));
    let request = canonicalize_request(&head, &PathOptions::default()).unwrap();
    assert_eq!(request.path, None);
    assert_eq!(request.host, name("a.com"));
}
