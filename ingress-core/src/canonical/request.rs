//! Whole requests: the request-target's form (P1, P2) and the choice of
//! authority among target, `:authority` and `Host` (H1, H5).
//!
//! Adapters that already hold a parsed request (hyper's `Uri`, say) call
//! [`select_host`] and [`canonicalize_path`](super::canonicalize_path)
//! themselves; everything else describes the request as a [`RequestHead`].
//!
//! ```
//! use ingress_core::{HostHeader, HttpVersion, RequestHead};
//! use ingress_core::canonical::{PathOptions, RequestHost, canonicalize_request};
//!
//! let head = RequestHead::new("GET", HttpVersion::Http11, "/a/../b?x=%2e")
//!     .with_host(HostHeader::One(b"Shop.Example:8080"));
//! let request = canonicalize_request(&head, &PathOptions::default()).unwrap();
//! assert_eq!(request.host, RequestHost::Name("shop.example".into()));
//! assert_eq!(request.path.unwrap().as_str(), "/b");
//! assert_eq!(request.query, Some("x=%2e"));
//! ```

use super::host::already_canonical;
use super::{CanonicalPath, PathOptions, RequestError, RequestHost, canonicalize_host, canonicalize_path};

/// The HTTP version a request came in with; it decides which host sources
/// are required (H5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HttpVersion {
    /// HTTP/1.0 (and 0.9): `Host` is optional.
    Http10,
    /// HTTP/1.1: exactly one `Host` is required.
    Http11,
    /// HTTP/2: `:authority`, else `Host`.
    Http2,
    /// HTTP/3: as HTTP/2.
    Http3,
}

/// What a request's `Host` headers were.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostHeader<'a> {
    /// No `Host` header.
    Absent,
    /// Exactly one, with this value.
    One(&'a [u8]),
    /// More than one (always 400, H5).
    Several,
}

/// The places a request can name its host (H1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HostSources<'a> {
    /// The request's HTTP version.
    pub version: HttpVersion,
    /// The authority of an absolute-form request-target (HTTP/1.x).
    pub target: Option<&'a [u8]>,
    /// The `:authority` pseudo-header (HTTP/2 and HTTP/3).
    pub pseudo: Option<&'a [u8]>,
    /// The `Host` header(s).
    pub host: HostHeader<'a>,
}

/// Picks the request's host (H1, H5): the absolute-form target's
/// authority, else `:authority`, else `Host`. Every source present must
/// name the same canonical host, or the request is refused.
pub fn select_host(sources: &HostSources<'_>) -> Result<RequestHost, RequestError> {
    select_host_ref(sources, &|_| false).map(HostRef::into_owned)
}

/// A canonical host that may still borrow the request's own bytes: the
/// common case (one `Host` header already in canonical form) needs no copy
/// until the route record is made.
#[derive(Debug)]
pub(crate) enum HostRef<'a> {
    /// A canonical name, borrowed from the request.
    Borrowed(&'a str),
    /// Anything else, canonicalised.
    Owned(RequestHost),
}

impl HostRef<'_> {
    pub(crate) fn name(&self) -> Option<&str> {
        match self {
            Self::Borrowed(name) => Some(name),
            Self::Owned(host) => host.name(),
        }
    }

    pub(crate) fn into_owned(self) -> RequestHost {
        match self {
            Self::Borrowed(name) => RequestHost::Name(name.into()),
            Self::Owned(host) => host,
        }
    }
}

/// `known` tells whether some bytes are a name the caller knows to be
/// canonical (a router's own host names): those skip the byte-by-byte check.
fn select_host_ref<'a>(sources: &HostSources<'a>, known: &dyn Fn(&[u8]) -> bool) -> Result<HostRef<'a>, RequestError> {
    if let (None, None, HostHeader::One(value)) = (sources.target, sources.pseudo, sources.host)
        && sources.version != HttpVersion::Http2
        && sources.version != HttpVersion::Http3
    {
        let canonical = if known(value) {
            std::str::from_utf8(value).ok()
        } else {
            already_canonical(value)
        };
        if let Some(name) = canonical {
            return Ok(HostRef::Borrowed(name));
        }
    }
    select_host_owned(sources).map(HostRef::Owned)
}

fn select_host_owned(sources: &HostSources<'_>) -> Result<RequestHost, RequestError> {
    let header = match sources.host {
        HostHeader::Several => return Err(RequestError::SeveralHostHeaders),
        HostHeader::One(value) => Some(value),
        HostHeader::Absent => None,
    };
    match sources.version {
        HttpVersion::Http11 if header.is_none() => return Err(RequestError::MissingHost),
        HttpVersion::Http2 | HttpVersion::Http3 if header.is_none() && sources.pseudo.is_none() => {
            return Err(RequestError::MissingHost);
        }
        _ => {}
    }
    let mut chosen: Option<RequestHost> = None;
    for source in [sources.target, sources.pseudo, header].into_iter().flatten() {
        let host = canonicalize_host(source)?;
        match &chosen {
            Some(first) if *first != host => return Err(RequestError::HostsDisagree),
            Some(_) => {}
            None => chosen = Some(host),
        }
    }
    Ok(chosen.unwrap_or(RequestHost::None))
}

/// A request-target split into its parts (RFC 9112 section 3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestTarget<'a> {
    /// `/path?query`.
    Origin {
        /// The path, up to `?`.
        path: &'a str,
        /// The query, after `?`, as sent.
        query: Option<&'a str>,
    },
    /// `http://authority/path?query`.
    Absolute {
        /// The authority (`host[:port]`).
        authority: &'a str,
        /// The path (`/` when the target has none).
        path: &'a str,
        /// The query, as sent.
        query: Option<&'a str>,
    },
    /// `*`, on an `OPTIONS` request.
    Asterisk,
}

/// Splits a request-target as sent on the request line. `*` is accepted
/// only for `OPTIONS`; authority-form and opaque forms are refused (P2).
pub fn parse_target<'a>(method: &str, target: &'a str) -> Result<RequestTarget<'a>, RequestError> {
    if target == "*" {
        return if method == "OPTIONS" {
            Ok(RequestTarget::Asterisk)
        } else {
            Err(RequestError::UnsupportedTargetForm)
        };
    }
    if target.starts_with('/') {
        let (path, query) = split_query(target);
        return Ok(RequestTarget::Origin { path, query });
    }
    let scheme_end = target.find("://").ok_or(RequestError::UnsupportedTargetForm)?;
    let scheme = target.get(..scheme_end).unwrap_or_default();
    if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
        return Err(RequestError::UnsupportedTargetForm);
    }
    let rest = target.get(scheme_end + 3..).unwrap_or_default();
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, rest) = rest.split_at(authority_end);
    if authority.is_empty() {
        return Err(RequestError::UnsupportedTargetForm);
    }
    let (path, query) = split_query(rest);
    let path = if path.is_empty() { "/" } else { path };
    Ok(RequestTarget::Absolute { authority, path, query })
}

fn split_query(target: &str) -> (&str, Option<&str>) {
    match target.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (target, None),
    }
}

/// A request as a router sees it before canonicalisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestHead<'a> {
    /// The method (`*` targets are only valid with `OPTIONS`).
    pub method: &'a str,
    /// The HTTP version.
    pub version: HttpVersion,
    /// The request-target exactly as sent.
    pub target: &'a str,
    /// `:authority`, for HTTP/2 and HTTP/3.
    pub pseudo_authority: Option<&'a [u8]>,
    /// The `Host` header(s).
    pub host: HostHeader<'a>,
}

impl<'a> RequestHead<'a> {
    /// A request with no `Host` header and no `:authority`.
    pub fn new(method: &'a str, version: HttpVersion, target: &'a str) -> Self {
        Self {
            method,
            version,
            target,
            pseudo_authority: None,
            host: HostHeader::Absent,
        }
    }

    /// Sets the `Host` header(s).
    #[must_use]
    pub fn with_host(mut self, host: HostHeader<'a>) -> Self {
        self.host = host;
        self
    }

    /// Sets `:authority`.
    #[must_use]
    pub fn with_pseudo_authority(mut self, authority: &'a [u8]) -> Self {
        self.pseudo_authority = Some(authority);
        self
    }
}

/// A request in canonical form, ready for lookup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CanonicalRequest<'a> {
    /// The canonical host.
    pub host: RequestHost,
    /// The canonical path; `None` for an `OPTIONS *` request, which has no
    /// path and is never routed.
    pub path: Option<CanonicalPath>,
    /// The query, byte for byte as sent (P1).
    pub query: Option<&'a str>,
}

/// Canonicalises a whole request: target form, host, path (section 3 of
/// the contract, in its order).
pub fn canonicalize_request<'a>(
    head: &RequestHead<'a>,
    options: &PathOptions,
) -> Result<CanonicalRequest<'a>, RequestError> {
    let target = parse_target(head.method, head.target)?;
    let (authority, path, query) = match target {
        RequestTarget::Origin { path, query } => (None, path, query),
        RequestTarget::Absolute { authority, path, query } => (Some(authority), path, query),
        RequestTarget::Asterisk => (None, "*", None),
    };
    if head.target.contains('#') {
        return Err(RequestError::InvalidPathByte(b'#'));
    }
    // The query is forwarded byte for byte (P1), so it must be something a
    // request line can carry: no control bytes, no spaces (as HTTP parsers
    // such as hyper's refuse them before any router sees the request).
    if let Some(&byte) = query
        .unwrap_or_default()
        .as_bytes()
        .iter()
        .find(|&&b| b <= b' ' || b == 0x7F)
    {
        return Err(RequestError::InvalidTargetByte(byte));
    }
    let sources = HostSources {
        version: head.version,
        target: authority.map(str::as_bytes),
        pseudo: head.pseudo_authority,
        host: head.host,
    };
    let (host, path) = canonicalize_parts(head.method, &sources, path, options)?;
    Ok(CanonicalRequest { host, path, query })
}

/// Canonicalises a request that an HTTP library already took apart: its
/// method, its host sources and the path of its target (`*` for the
/// asterisk form). Returns the canonical host and path; the path is `None`
/// for `OPTIONS *`.
///
/// This and [`canonicalize_request`] are one code path: adapters holding a
/// parsed request (the Tower layer) and tools holding request lines (the
/// `route` command) get the same answers.
pub fn canonicalize_parts(
    method: &str,
    sources: &HostSources<'_>,
    path: &str,
    options: &PathOptions,
) -> Result<(RequestHost, Option<CanonicalPath>), RequestError> {
    canonicalize_parts_ref(method, sources, path, options, &|_| false).map(|(host, path)| (host.into_owned(), path))
}

/// [`canonicalize_parts`], keeping the host borrowed where it can.
pub(crate) fn canonicalize_parts_ref<'a>(
    method: &str,
    sources: &HostSources<'a>,
    path: &str,
    options: &PathOptions,
    known: &dyn Fn(&[u8]) -> bool,
) -> Result<(HostRef<'a>, Option<CanonicalPath>), RequestError> {
    let asterisk = path == "*";
    if asterisk && method != "OPTIONS" {
        return Err(RequestError::UnsupportedTargetForm);
    }
    let host = select_host_ref(sources, known)?;
    let path = if asterisk {
        None
    } else {
        Some(canonicalize_path(path, options)?)
    };
    Ok((host, path))
}

#[cfg(test)]
mod tests;
