//! Small rule sets and requests drawn from pools chosen to collide: a few
//! hosts (exact, wildcard, none), a small path-segment alphabet (shared
//! prefixes, case, escapes, dot segments), every path type including
//! invalid ones. Requests are mostly built from the scenario's own rule
//! hosts and paths (as written, one segment longer, one byte shorter, ...),
//! since collisions are where the table and the reference matcher can
//! disagree; a few free-form strings keep the pools honest.
//!
//! Choices cost one input byte each ([`Unstructured::choose`]; a derived
//! enum costs four), and an exhausted input picks the common case, so
//! short inputs already make meaningful tables.

use std::time::{Duration, SystemTime};

use arbitrary::{Arbitrary, Result, Unstructured};
use ingress_core::canonical::{HostSources, RequestError, RequestHost, select_host};
use ingress_core::objects::{HttpIngressRuleValue, IngressRule};
use ingress_core::reference::ReferenceMatch;
use ingress_core::table::RouteTarget;
use ingress_core::{Backend, HostHeader, HttpIngressPath, HttpVersion, Ingress, IngressBackend};

use crate::options::FuzzOptions;

/// Most Ingress objects in one input.
pub const MAX_INGRESSES: usize = 6;
/// Most rules per object, and paths per rule.
pub const MAX_RULES: usize = 4;
/// Most requests in one input.
pub const MAX_REQUESTS: usize = 24;
/// Most segments in a generated path.
const MAX_SEGMENTS: usize = 4;

/// Rule hosts: none, empty, exact, wildcard, and some that validation
/// rejects or that no request can carry.
const RULE_HOSTS: &[Option<&str>] = &[
    None,
    Some("a.com"),
    Some("*.a.com"),
    Some("b.a.com"),
    Some("*.b.a.com"),
    Some("c.a.com"),
    Some("x.b.a.com"),
    Some(""),
    Some("*.com"),
    Some("1.2.3"),
    Some("A.com"),
    Some("a..com"),
];

/// Request hosts: those above and their neighbours, in various spellings.
const REQUEST_HOSTS: &[&str] = &[
    "a.com",
    "b.a.com",
    "c.a.com",
    "x.b.a.com",
    "a.b.a.com",
    "d.a.com",
    "A.COM.",
    "b.a.com:8080",
    "com",
    "other.org",
    "10.0.0.1",
    "[::1]",
    "",
];

/// Labels put in front of a rule host to make a request host.
const LABELS: &[&str] = &["x", "b", "A", "x.y"];

/// True once in `n` (and false on an exhausted input).
fn rarely(u: &mut Unstructured<'_>, n: u8) -> Result<bool> {
    Ok(u.int_in_range(0..=n - 1)? == n - 1)
}

/// Up to `max` items, each parsed by `item`; the count costs one byte.
fn some<'a, T>(
    u: &mut Unstructured<'a>,
    min: usize,
    max: usize,
    item: impl Fn(&mut Unstructured<'a>) -> Result<T>,
) -> Result<Vec<T>> {
    let count = u.int_in_range(min..=max)?;
    (0..count).map(|_| item(u)).collect()
}

/// A scenario: options, objects applied in order, requests.
#[derive(Debug)]
pub struct Scenario {
    /// The table's options.
    pub options: FuzzOptions,
    /// Objects, applied in order (later ones replace earlier ones with the
    /// same key; invalid ones keep the previous version serving).
    pub ingresses: Vec<Ingress>,
    /// Requests to route.
    pub requests: Vec<SmallRequest>,
}

impl<'a> Arbitrary<'a> for Scenario {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let options = u.arbitrary()?;
        let ingresses = some(u, 1, MAX_INGRESSES, small_ingress)?;
        let rule_hosts: Vec<&str> = ingresses
            .iter()
            .flat_map(|i| &i.spec.rules)
            .filter_map(|r| r.host.as_deref())
            .collect();
        let rule_paths: Vec<&str> = ingresses
            .iter()
            .flat_map(|i| &i.spec.rules)
            .flat_map(|r| r.http.iter().flat_map(|h| &h.paths))
            .filter_map(|p| p.path.as_deref())
            .collect();
        let mut requests = Vec::new();
        while requests.len() < MAX_REQUESTS && !u.is_empty() {
            requests.push(small_request(u, &rule_hosts, &rule_paths)?);
        }
        if requests.is_empty() {
            requests.push(small_request(u, &rule_hosts, &rule_paths)?);
        }
        Ok(Self {
            options,
            ingresses,
            requests,
        })
    }
}

fn small_ingress(u: &mut Unstructured<'_>) -> Result<Ingress> {
    let namespace = *u.choose(&["ns", "other"])?;
    let name = *u.choose(&["a", "b", "c", "d", "e"])?;
    let mut ingress = Ingress::new(namespace, name);
    // Few creation times, so that M6 often falls back to the key.
    ingress.creation_timestamp = match u.int_in_range(0..=3u8)? {
        0 => None,
        t => Some(SystemTime::UNIX_EPOCH + Duration::from_secs(u64::from(t))),
    };
    ingress.spec.rules = some(u, 0, MAX_RULES, small_rule)?;
    if u.arbitrary()? {
        ingress.spec.default_backend = Some(backend(u, "d")?);
    }
    Ok(ingress)
}

fn small_rule(u: &mut Unstructured<'_>) -> Result<IngressRule> {
    let host = if rarely(u, 16)? {
        Some(u.arbitrary()?)
    } else {
        u.choose(RULE_HOSTS)?.map(str::to_owned)
    };
    // A rule without `http` sends its host to the default backend (M7).
    let http = if rarely(u, 8)? {
        None
    } else {
        Some(HttpIngressRuleValue {
            paths: some(u, 1, MAX_RULES, small_path)?,
        })
    };
    Ok(IngressRule { host, http })
}

fn small_path(u: &mut Unstructured<'_>) -> Result<HttpIngressPath> {
    let path = path(u)?;
    // `pathType`: mostly valid, sometimes missing or misspelt (V3).
    let path_type = match u.int_in_range(0..=31u8)? {
        29 => None,
        30 => Some("prefix".to_owned()),
        31 => Some(u.arbitrary()?),
        n => Some(
            match n % 3 {
                0 => "Prefix",
                1 => "Exact",
                _ => "ImplementationSpecific",
            }
            .to_owned(),
        ),
    };
    Ok(HttpIngressPath {
        path,
        path_type,
        backend: backend(u, "s")?,
    })
}

/// A service (by port number or name) or a resource.
fn backend(u: &mut Unstructured<'_>, prefix: &str) -> Result<IngressBackend> {
    let n = u.int_in_range(0..=3u8)?;
    Ok(match u.int_in_range(0..=7u8)? {
        6 => IngressBackend::service_port_name(format!("{prefix}{n}"), "http"),
        7 => IngressBackend::resource(Some("k8s.example.com"), "Bucket", format!("{prefix}{n}")),
        _ => IngressBackend::service(format!("{prefix}{n}"), 80),
    })
}

/// A path: segments from the alphabet, sometimes free text or none.
fn path(u: &mut Unstructured<'_>) -> Result<Option<String>> {
    Ok(match u.int_in_range(0..=15u8)? {
        14 => {
            let text: &str = u.arbitrary()?;
            Some(if u.arbitrary()? {
                format!("/{text}")
            } else {
                text.to_owned()
            })
        }
        // No path at all (`None`: for `ImplementationSpecific`, `/`, M8).
        15 => None,
        _ => Some(segments(u)?),
    })
}

/// `/` + segments joined by `/`, with an optional trailing `/`.
fn segments(u: &mut Unstructured<'_>) -> Result<String> {
    let segments = some(u, 0, MAX_SEGMENTS, |u| u.choose(SEGMENTS).copied())?;
    let mut path = format!("/{}", segments.join("/"));
    if u.arbitrary()? && path.len() > 1 {
        path.push('/');
    }
    Ok(path)
}

/// Path segments that collide: shared prefixes, case, escapes of
/// unreserved and reserved characters, dot segments, bytes that need
/// encoding, bytes that requests may not carry raw.
const SEGMENTS: &[&str] = &[
    "a", "ab", "b", "A", "%61", "%41", ".", "..", "%2e", "%2E%2e", "", "x y", "x%20y", "|", "%7c", "~", "%7E", "%2F",
    "%5c", "%zz", "%25", "..;x", "a;x", "\u{e9}", "%C3%A9", "{id}",
];

/// A request: a `Host` header (`None`: HTTP/1.0 without one) and a path as
/// sent (`None`: skip).
#[derive(Debug)]
pub struct SmallRequest {
    /// The `Host` header; `None` for an HTTP/1.0 request without one.
    pub host: Option<Vec<u8>>,
    /// The path as sent.
    pub path: Option<String>,
}

fn small_request(u: &mut Unstructured<'_>, rule_hosts: &[&str], rule_paths: &[&str]) -> Result<SmallRequest> {
    let host = match u.int_in_range(0..=15u8)? {
        0..=7 if !rule_hosts.is_empty() => {
            let rule = *u.choose(rule_hosts)?;
            let host = match (rule.strip_prefix("*."), u.int_in_range(0..=3u8)?) {
                (Some(parent), 3) => parent.to_owned(),
                (Some(parent), _) => format!("{}.{parent}", u.choose(LABELS)?),
                (None, 0 | 1) => rule.to_owned(),
                (None, 2) => format!("{}.{rule}", u.choose(LABELS)?),
                (None, _) => format!("{}.:80", rule.to_ascii_uppercase()),
            };
            Some(host.into_bytes())
        }
        14 => None,
        15 => Some(u.arbitrary()?),
        _ => Some(u.choose(REQUEST_HOSTS)?.as_bytes().to_vec()),
    };
    let path = match u.int_in_range(0..=15u8)? {
        0..=9 if !rule_paths.is_empty() => {
            let rule = *u.choose(rule_paths)?;
            Some(match u.int_in_range(0..=5u8)? {
                0 | 1 => rule.to_owned(),
                2 => format!("{rule}/{}", u.choose(SEGMENTS)?),
                3 => format!("{rule}/"),
                4 => format!("{rule}{}", u.choose(SEGMENTS)?),
                _ => rule.get(..rule.len().saturating_sub(1)).unwrap_or_default().to_owned(),
            })
        }
        15 => Some(u.arbitrary()?),
        _ => path(u)?,
    };
    Ok(SmallRequest { host, path })
}

impl SmallRequest {
    /// The canonical host (H1-H5), as a server would select it.
    pub fn canonical_host(&self) -> std::result::Result<RequestHost, RequestError> {
        select_host(&HostSources {
            version: if self.host.is_some() {
                HttpVersion::Http11
            } else {
                HttpVersion::Http10
            },
            target: None,
            pseudo: None,
            host: self.host.as_deref().map_or(HostHeader::Absent, HostHeader::One),
        })
    }
}

/// A table entry in the reference matcher's terms, for comparison.
pub fn as_reference(target: &RouteTarget<Backend>) -> ReferenceMatch {
    ReferenceMatch::of(target)
}
