use super::*;

fn safe(path: &str) -> Result<String, RequestError> {
    canonicalize_path(path, &PathOptions::default()).map(CanonicalPath::into_string)
}

fn ok(path: &str) -> Result<String, RequestError> {
    Ok(path.to_owned())
}

fn check(cases: &[(&str, Result<String, RequestError>)], options: &PathOptions) {
    for (input, expected) in cases {
        let actual = canonicalize_path(input, options).map(CanonicalPath::into_string);
        assert_eq!(&actual, expected, "input {input:?}");
    }
}

#[test]
fn p2_refused_bytes_and_forms() {
    check(
        &[
            ("/a#b", Err(RequestError::InvalidPathByte(b'#'))),
            ("/a?b", Err(RequestError::InvalidPathByte(b'?'))),
            ("/a b", Err(RequestError::InvalidPathByte(b' '))),
            ("/a\\b", Err(RequestError::InvalidPathByte(b'\\'))),
            ("/a\0b", Err(RequestError::InvalidPathByte(0))),
            ("/a\tb", Err(RequestError::InvalidPathByte(b'\t'))),
            ("/a\x7fb", Err(RequestError::InvalidPathByte(0x7F))),
            ("/caf\u{e9}", Err(RequestError::InvalidPathByte(0xC3))),
            ("/a%00b", Err(RequestError::EncodedControlByte(0))),
            ("/a%0d%0Ab", Err(RequestError::EncodedControlByte(0x0D))),
            ("/a%7f", Err(RequestError::EncodedControlByte(0x7F))),
            ("/a%", Err(RequestError::MalformedPercentEncoding)),
            ("/a%4", Err(RequestError::MalformedPercentEncoding)),
            ("/a%zz", Err(RequestError::MalformedPercentEncoding)),
            ("/a/..;x/b", Err(RequestError::DotSegmentWithParameters)),
            ("/a/.;x", Err(RequestError::DotSegmentWithParameters)),
            ("/a/..;", Err(RequestError::DotSegmentWithParameters)),
            ("/a/%2e%2E;jsessionid=1/b", Err(RequestError::DotSegmentWithParameters)),
            ("a/b", Err(RequestError::UnsupportedTargetForm)),
            ("", Err(RequestError::UnsupportedTargetForm)),
            ("*", Err(RequestError::UnsupportedTargetForm)),
            // Not dot segments: kept.
            ("/a/...;x", ok("/a/...;x")),
            ("/a/b;x", ok("/a/b;x")),
            ("/a/.x;y", ok("/a/.x;y")),
        ],
        &PathOptions::default(),
    );
}

#[test]
fn p3_unreserved_decoded_others_upper_case() {
    check(
        &[
            ("/%41%62%7e%2D%5f%2e%30", ok("/Ab~-_.0")),
            ("/a%2cb", ok("/a%2Cb")),
            ("/a%3fb", ok("/a%3Fb")),
            ("/%c3%a9", ok("/%C3%A9")),
            ("/a%25b", ok("/a%25b")),
            // Decoded once: %25 stays, what follows is plain text.
            ("/%252e", ok("/%252e")),
            ("/%252E%252e", ok("/%252E%252e")),
            // Sub-delims stay raw, and are not the same as their escapes.
            ("/a!$&'()*+,;=:@b", ok("/a!$&'()*+,;=:@b")),
            ("/a%21", ok("/a%21")),
            // Characters that are not URI characters get encoded.
            ("/a|b", ok("/a%7Cb")),
            ("/{x}", ok("/%7Bx%7D")),
            ("/\"<>^`[]", ok("/%22%3C%3E%5E%60%5B%5D")),
        ],
        &PathOptions::default(),
    );
}

#[test]
fn p4_dot_segments_resolved() {
    check(
        &[
            ("/a/./b", ok("/a/b")),
            ("/a/../b", ok("/b")),
            ("/a/b/..", ok("/a/")),
            ("/a/b/.", ok("/a/b/")),
            ("/a/b/../", ok("/a/")),
            ("/.", ok("/")),
            ("/./", ok("/")),
            ("/a/%2e%2e/b", ok("/b")),
            ("/a/.%2E/b", ok("/b")),
            ("/a/%2E/b", ok("/a/b")),
            ("/a/b/c/../../d", ok("/a/d")),
            ("/..", Err(RequestError::DotSegmentAboveRoot)),
            ("/../a", Err(RequestError::DotSegmentAboveRoot)),
            ("/a/../..", Err(RequestError::DotSegmentAboveRoot)),
            ("/a/%2e%2e/%2e%2e/b", Err(RequestError::DotSegmentAboveRoot)),
            // `...` is an ordinary segment.
            ("/a/.../b", ok("/a/.../b")),
        ],
        &PathOptions::default(),
    );
}

#[test]
fn p5_repeated_slashes_merged() {
    check(
        &[
            ("//", ok("/")),
            ("///a//b///", ok("/a/b/")),
            ("/a//../b", ok("/b")),
            ("/a/.//b", ok("/a/b")),
        ],
        &PathOptions::default(),
    );
}

#[test]
fn p6_encoded_slashes() {
    check(
        &[
            ("/a%2Fb", Err(RequestError::EncodedSlash)),
            ("/a%2fb", Err(RequestError::EncodedSlash)),
            ("/a%5Cb", Err(RequestError::EncodedSlash)),
            ("/a%5cb", Err(RequestError::EncodedSlash)),
        ],
        &PathOptions::default(),
    );
    check(
        &[
            ("/a%2fb", ok("/a%2Fb")),
            ("/a%5cb/../c", ok("/c")),
            ("/%2F/..", ok("/")),
            // An encoded slash is inside a segment, never a separator.
            ("/..%2F", ok("/..%2F")),
        ],
        &PathOptions::default().with_encoded_slashes(EncodedSlashes::Keep),
    );
}

#[test]
fn p7_path_length_limit() {
    let limit = PathOptions::default().with_max_length(8);
    check(
        &[
            ("/1234567", ok("/1234567")),
            ("/12345678", Err(RequestError::PathTooLong { length: 9, limit: 8 })),
        ],
        &limit,
    );
    let long = format!("/{}", "a".repeat(DEFAULT_MAX_PATH_LENGTH));
    let error = safe(&long).unwrap_err();
    assert_eq!(error.refusal(), crate::canonical::Refusal::UriTooLong);
    assert_eq!(error.rule(), "P7");
    assert!(safe(&long[..DEFAULT_MAX_PATH_LENGTH]).is_ok());
}

#[test]
fn p8_raw_profile_checks_only() {
    let raw = PathOptions::default().with_profile(PathProfile::Raw);
    check(
        &[
            ("/a/../b//c/%41%2f|", ok("/a/../b//c/%41%2f|")),
            ("/a#b", Err(RequestError::InvalidPathByte(b'#'))),
            ("/a b", Err(RequestError::InvalidPathByte(b' '))),
            ("/a%00", Err(RequestError::EncodedControlByte(0))),
            ("/a%g0", Err(RequestError::MalformedPercentEncoding)),
            ("/a/..;x", Err(RequestError::DotSegmentWithParameters)),
            ("/a/%2e;x", Err(RequestError::DotSegmentWithParameters)),
            ("/..", ok("/..")),
        ],
        &raw,
    );
    assert_eq!(
        canonicalize_path("/abcdefghi", &raw.with_max_length(4)),
        Err(RequestError::PathTooLong { length: 10, limit: 4 })
    );
}

#[test]
fn p9_configured_paths_use_the_canonical_encoding() {
    let cases = [
        ("/foo bar", "/foo%20bar"),
        ("/a|b", "/a%7Cb"),
        ("/caf\u{e9}", "/caf%C3%A9"),
        ("/%7euser", "/~user"),
        ("/a%2cb", "/a%2Cb"),
        ("/50%", "/50%25"),
        ("/a%zz", "/a%25zz"),
        ("/q?x#y", "/q%3Fx%23y"),
        ("/{id}", "/%7Bid%7D"),
        // Structure is left alone: such paths are reported, not rewritten.
        ("/a//b/./c", "/a//b/./c"),
        ("/%2e%2e/x", "/../x"),
    ];
    for (configured, expected) in cases {
        assert_eq!(normalize_config_path(configured), expected, "{configured}");
    }
    let options = PathOptions::default();
    assert_eq!(config_path_refusal("/foo%20bar", &options), None);
    assert_eq!(config_path_refusal("/a/", &options), None);
    assert_eq!(
        config_path_refusal("/../x", &options),
        Some(Err(RequestError::DotSegmentAboveRoot))
    );
    assert_eq!(config_path_refusal("/a//b", &options), Some(Ok("/a/b".to_owned())));
    assert_eq!(
        config_path_refusal("/a/%0A", &options),
        Some(Err(RequestError::EncodedControlByte(0x0A)))
    );
    assert_eq!(
        config_path_refusal("/a%2Fb", &options),
        Some(Err(RequestError::EncodedSlash))
    );
    let keep = options.with_encoded_slashes(EncodedSlashes::Keep);
    assert_eq!(config_path_refusal("/a%2Fb", &keep), None);
}

#[test]
fn p7_p9_long_configured_paths_match_short_raw_requests() {
    // `|` is one byte on the wire and three in canonical form: the limit
    // applies to what the client sends, so this rule is reachable.
    let options = PathOptions::default().with_max_length(24);
    let configured = normalize_config_path("/{id}/{id}/{id}").into_owned();
    assert_eq!(configured.len(), 27);
    assert_eq!(config_path_refusal(&configured, &options), None);
    assert_eq!(
        canonicalize_path("/{id}/{id}/{id}", &options).map(CanonicalPath::into_string),
        Ok(configured)
    );
    // Escapes a client cannot send raw count in full.
    let spaces = normalize_config_path("/a b c d e f g h i");
    assert_eq!(
        config_path_refusal(&spaces, &options),
        Some(Err(RequestError::PathTooLong { length: 34, limit: 24 }))
    );
    assert_eq!(
        config_path_refusal("/%7C%7C%7C", &options.clone().with_max_length(4)),
        None
    );
    assert!(config_path_refusal("/%7C%7C%7C", &options.with_max_length(3)).is_some());
}

#[test]
fn p9_request_canonical_forms_are_fixed_points_of_config_encoding() {
    for path in ["/", "/a/b/", "/a%7Cb/%C3%A9", "/x;y=1/@:!", "/%252e"] {
        let canonical = safe(path).unwrap();
        assert_eq!(normalize_config_path(&canonical), canonical);
    }
}

#[test]
fn canonical_paths_are_idempotent() {
    let keep = PathOptions::default().with_encoded_slashes(EncodedSlashes::Keep);
    for path in ["/a/./b/../c//d/", "/%41%2e/%2e%2e/x", "/a|b/{c}", "/x/..%2F"] {
        let once = canonicalize_path(path, &keep).unwrap();
        assert_eq!(canonicalize_path(once.as_str(), &keep), Ok(once.clone()), "{path}");
    }
}

proptest::proptest! {
    /// The allocation-free check agrees with canonicalising and comparing.
    #[test]
    fn is_canonical_agrees_with_canonicalize(
        pieces in proptest::collection::vec(
            proptest::sample::select(&["/", "a", ".", "..", "%2F", "%2f", "%41", "%7C", "%7c", "|", ";", "%00", "%2E", "%", " ", "~"][..]),
            0..10,
        ),
        keep in proptest::bool::ANY,
    ) {
        let path: String = pieces.concat();
        let slashes = if keep { EncodedSlashes::Keep } else { EncodedSlashes::Refuse };
        let options = PathOptions::default().with_encoded_slashes(slashes);
        let canonical = canonicalize_path(&path, &options).is_ok_and(|c| c.as_str() == path);
        proptest::prop_assert_eq!(is_canonical(path.as_bytes(), slashes), canonical, "{:?}", path);
    }
}
