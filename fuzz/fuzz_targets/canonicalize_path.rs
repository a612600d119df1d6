//! `canonicalize_path` on arbitrary text with every option (both profiles,
//! both encoded-slash settings, a short and the default length limit).
//!
//! It must never panic. In the safe profile what it returns is canonical:
//! it starts with `/`, has no empty, `.` or `..` segment (P4, P5), no raw
//! byte a client must encode, every escape is upper-case hex of a byte that
//! is neither unreserved (P3) nor a control byte (P2) nor, unless kept, a
//! slash (P6), and canonicalising it again changes nothing. In the raw
//! profile it is the input unchanged (P8). The options interact only as
//! the contract says: the limit only adds 414s (P7), the raw profile only
//! drops P4/P6 refusals, keeping encoded slashes only drops P6 refusals.
#![no_main]

use ingress_core::canonical::{PathOptions, RequestError, canonicalize_path};
use ingress_core_fuzz::options::{SHORT_MAX_PATH_LENGTH, path_options};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = String::from_utf8_lossy(data);
    let path = path.as_ref();
    let run = |raw, keep, short| {
        let options = path_options(raw, keep, short);
        let result = canonicalize_path(path, &options).map(|c| c.into_string());
        check_one(path, &options, raw, keep, &result);
        result
    };
    for raw in [false, true] {
        for keep in [false, true] {
            let default = run(raw, keep, false);
            let short = run(raw, keep, true);
            // P7: the limit only adds 414s.
            if path.len() <= SHORT_MAX_PATH_LENGTH {
                assert_eq!(short, default, "limit changed a short path's result: {path:?}");
            }
        }
    }
    let safe_refuse = run(false, false, false);
    let safe_keep = run(false, true, false);
    let raw_refuse = run(true, false, false);
    let raw_keep = run(true, true, false);
    // P8: the raw profile applies P1, P2 and P7 only; P6 is not among them.
    assert_eq!(raw_refuse, raw_keep, "raw profile depends on encoded slashes: {path:?}");
    for (safe, keep) in [(&safe_refuse, false), (&safe_keep, true)] {
        match (safe, &raw_refuse) {
            (Ok(_), Err(error)) => panic!("safe accepts what raw refuses ({error:?}), keep={keep}: {path:?}"),
            (Err(error), Ok(_)) => assert!(
                matches!(error, RequestError::DotSegmentAboveRoot | RequestError::EncodedSlash),
                "safe refuses with {error:?} what raw accepts, keep={keep}: {path:?}"
            ),
            _ => {}
        }
    }
    // P6: keeping encoded slashes only turns EncodedSlash refusals into paths.
    match (&safe_refuse, &safe_keep) {
        (Ok(refuse), keep) => assert_eq!(Ok(refuse), keep.as_ref(), "keep changed an accepted path: {path:?}"),
        (Err(error), Ok(_)) => assert_eq!(*error, RequestError::EncodedSlash, "{path:?}"),
        (Err(_), Err(_)) => {}
    }
});

fn check_one(path: &str, options: &PathOptions, raw: bool, keep: bool, result: &Result<String, RequestError>) {
    let limit = options.max_length;
    match result {
        Err(error) => {
            let _ = (error.to_string(), error.rule(), error.refusal().status_code());
            let too_long = RequestError::PathTooLong {
                length: path.len(),
                limit,
            };
            assert_eq!(
                path.len() > limit,
                *error == too_long,
                "P7 on {path:?} (limit {limit}): {error:?}"
            );
        }
        Ok(_) if path.len() > limit => panic!("accepted a path over the limit {limit}: {path:?}"),
        Ok(out) if raw => assert_eq!(out, path, "raw profile rewrote the path"),
        Ok(out) => check_canonical(path, out, options, keep),
    }
}

/// What a safe-profile canonical path looks like (P2-P6), and that it is a
/// fixed point.
fn check_canonical(input: &str, out: &str, options: &PathOptions, keep: bool) {
    let context = format!("input {input:?} -> {out:?} (keep encoded slashes: {keep})");
    assert!(out.starts_with('/'), "no leading '/': {context}");
    assert!(!out.contains("//"), "empty segment: {context}");
    for dot in ["/./", "/../"] {
        assert!(!out.contains(dot), "dot segment {dot:?}: {context}");
    }
    for dot in ["/.", "/.."] {
        assert!(!out.ends_with(dot), "trailing dot segment {dot:?}: {context}");
    }
    for segment in out.split('/') {
        assert!(
            !(segment.starts_with(".;") || segment.starts_with("..;")),
            "dot segment with parameters {segment:?}: {context}"
        );
    }
    let bytes = out.as_bytes();
    let mut at = 0;
    while let Some(&byte) = bytes.get(at) {
        if byte == b'%' {
            let hex = bytes.get(at + 1..at + 3).unwrap_or_default();
            assert!(
                hex.len() == 2 && hex.iter().all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(b)),
                "escape without two upper-case hex digits at {at}: {context}"
            );
            let text = std::str::from_utf8(hex).unwrap_or_default();
            let decoded = u8::from_str_radix(text, 16).unwrap_or_default();
            assert!(
                !(decoded.is_ascii_alphanumeric() || b"-._~".contains(&decoded)),
                "escaped unreserved character %{text}: {context}"
            );
            assert!(
                decoded >= 0x20 && decoded != 0x7F,
                "escaped control byte %{text}: {context}"
            );
            assert!(
                keep || !(decoded == b'/' || decoded == b'\\'),
                "escaped slash %{text} while refused: {context}"
            );
            at += 3;
        } else {
            assert!(
                byte.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/".contains(&byte),
                "raw byte 0x{byte:02X} that must be encoded: {context}"
            );
            at += 1;
        }
    }
    // Idempotent. A canonical path can be longer than the request's (a raw
    // `|` becomes `%7C`), and P7 limits what the client sent, so the second
    // pass gets a limit that admits the output.
    let again = options.clone().with_max_length(options.max_length.max(out.len()));
    let twice = canonicalize_path(out, &again).map(|c| c.into_string());
    assert_eq!(twice.as_deref(), Ok(out), "not idempotent: {context}");
}
