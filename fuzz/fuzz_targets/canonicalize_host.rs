//! `canonicalize_host` on arbitrary bytes, and `select_host` on arbitrary
//! combinations of HTTP version, absolute-form authority, `:authority` and
//! `Host` headers.
//!
//! Neither may panic. A host name is non-empty, lower-case ASCII, without
//! port or trailing dot, within the H3 limits, and a fixed point; spelling
//! it in upper case, with a port or with a trailing dot changes nothing
//! (H2). An IP literal survives its own display. `select_host` answers as
//! H1 and H5 say: one `Host` at most, the required sources present, and
//! every source present naming the same canonical host.
#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use ingress_core::canonical::{HostSources, RequestError, RequestHost, canonicalize_host, select_host};
use ingress_core::{HostHeader, HttpVersion};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    check_host(data);
    if let Ok(input) = SelectInput::arbitrary_take_rest(Unstructured::new(data)) {
        check_select(&input);
    }
});

fn check_host(authority: &[u8]) {
    let context = String::from_utf8_lossy(authority);
    match canonicalize_host(authority) {
        Err(error) => {
            let _ = (error.to_string(), error.rule(), error.refusal());
        }
        Ok(RequestHost::None) => assert!(authority.is_empty(), "no host from {context:?}"),
        Ok(RequestHost::Ip(ip)) => {
            let shown = RequestHost::Ip(ip).to_string();
            assert_eq!(
                canonicalize_host(shown.as_bytes()),
                Ok(RequestHost::Ip(ip)),
                "IP {shown} from {context:?} does not survive display"
            );
        }
        Ok(RequestHost::Name(name)) => {
            let context = format!("{context:?} -> {name:?}");
            assert!(!name.is_empty(), "empty name: {context}");
            assert!(name.is_ascii(), "non-ASCII name: {context}");
            assert!(!name.bytes().any(|b| b.is_ascii_uppercase()), "upper case: {context}");
            assert!(!name.contains(':'), "port kept: {context}");
            assert!(!name.ends_with('.'), "trailing dot kept: {context}");
            assert!(name.len() <= 253, "over 253 bytes: {context}");
            assert!(
                name.split('.').all(|label| (1..=63).contains(&label.len())),
                "empty or long label: {context}"
            );
            let same = Ok(RequestHost::Name(name.clone()));
            assert_eq!(canonicalize_host(name.as_bytes()), same, "not idempotent: {context}");
            let upper = authority.to_ascii_uppercase();
            assert_eq!(canonicalize_host(&upper), same, "case matters: {context}");
            for spelling in [
                format!("{name}."),
                format!("{name}:443"),
                format!("{name}.:"),
                name.to_ascii_uppercase(),
            ] {
                assert_eq!(
                    canonicalize_host(spelling.as_bytes()),
                    same,
                    "{spelling:?} differs: {context}"
                );
            }
        }
    }
}

/// Authorities that agree and disagree in interesting ways.
const AUTHORITIES: &[&[u8]] = &[
    b"a.com",
    b"A.COM.",
    b"a.com:80",
    b"a.com:",
    b"a.com:65536",
    b"b.com",
    b"",
    b"[::1]",
    b"[::1]:443",
    b"10.0.0.1",
    b"10.0.0.1.:80",
    b"a..com",
    b"user@a.com",
    b"*",
];

#[derive(Debug)]
struct Authority(Vec<u8>);

impl<'a> Arbitrary<'a> for Authority {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(Self(if u.ratio(1, 4)? {
            u.arbitrary()?
        } else {
            u.choose(AUTHORITIES)?.to_vec()
        }))
    }
}

#[derive(Debug, Arbitrary)]
enum Version {
    Http10,
    Http11,
    Http2,
    Http3,
}

#[derive(Debug, Arbitrary)]
enum Host {
    Absent,
    One(Authority),
    Several,
}

#[derive(Debug, Arbitrary)]
struct SelectInput {
    version: Version,
    target: Option<Authority>,
    pseudo: Option<Authority>,
    host: Host,
}

fn check_select(input: &SelectInput) {
    let version = match input.version {
        Version::Http10 => HttpVersion::Http10,
        Version::Http11 => HttpVersion::Http11,
        Version::Http2 => HttpVersion::Http2,
        Version::Http3 => HttpVersion::Http3,
    };
    let header = match &input.host {
        Host::Absent => HostHeader::Absent,
        Host::One(Authority(value)) => HostHeader::One(value),
        Host::Several => HostHeader::Several,
    };
    let sources = HostSources {
        version,
        target: input.target.as_ref().map(|a| a.0.as_slice()),
        pseudo: input.pseudo.as_ref().map(|a| a.0.as_slice()),
        host: header,
    };
    let actual = select_host(&sources);
    if let Err(error) = &actual {
        let _ = (error.to_string(), error.rule(), error.refusal());
    }
    // H5 first: the Host header count and the sources each version needs.
    let one_header = match header {
        HostHeader::Several => {
            assert_eq!(actual, Err(RequestError::SeveralHostHeaders), "{input:?}");
            return;
        }
        HostHeader::One(value) => Some(value),
        HostHeader::Absent => None,
    };
    let missing = match version {
        HttpVersion::Http11 => one_header.is_none(),
        HttpVersion::Http2 | HttpVersion::Http3 => one_header.is_none() && sources.pseudo.is_none(),
        _ => false,
    };
    if missing {
        assert_eq!(actual, Err(RequestError::MissingHost), "{input:?}");
        return;
    }
    // H1: every source present must canonicalise, and to the same host; the
    // answer is that host (or no host, when there is no source at all).
    let hosts: Vec<_> = [sources.target, sources.pseudo, one_header]
        .into_iter()
        .flatten()
        .map(canonicalize_host)
        .collect();
    let expected = match hosts.iter().find(|h| h.is_err()) {
        Some(Err(error)) => Err(error.clone()),
        _ => match hosts.first() {
            None => Ok(RequestHost::None),
            Some(first) if hosts.iter().all(|h| h == first) => first.clone(),
            Some(_) => Err(RequestError::HostsDisagree),
        },
    };
    match (&actual, &expected) {
        (Ok(_), _) | (_, Ok(_)) => assert_eq!(actual, expected, "{input:?}"),
        // Which of several faults is reported first is not specified.
        (Err(actual), Err(expected)) => assert!(
            actual == expected
                || *actual == RequestError::HostsDisagree
                || hosts.iter().any(|h| h.as_ref().err() == Some(actual)),
            "error {actual:?}, expected {expected:?}: {input:?}"
        ),
    }
}
