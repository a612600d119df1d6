//! Reading an `http::Request` into the inputs of ingress-core. This is the
//! whole of the adapter's knowledge of HTTP; the decisions are the core's.

use http::header::HOST;
use http::{Request, Uri, Version};
use ingress_core::canonical::HostSources;
use ingress_core::{HostHeader, HttpVersion, Outcome, RouteTable};

pub(crate) fn http_version(version: Version) -> HttpVersion {
    match version {
        Version::HTTP_09 | Version::HTTP_10 => HttpVersion::Http10,
        Version::HTTP_2 => HttpVersion::Http2,
        Version::HTTP_3 => HttpVersion::Http3,
        _ => HttpVersion::Http11,
    }
}

/// Where the request names its host (H1): for HTTP/1.x the URI's authority
/// comes from an absolute-form target; for HTTP/2 and HTTP/3 it is
/// `:authority`.
pub(crate) fn host_sources<B>(request: &Request<B>) -> HostSources<'_> {
    let version = http_version(request.version());
    let authority = request.uri().authority().map(|a| a.as_str().as_bytes());
    let (target, pseudo) = match version {
        HttpVersion::Http2 | HttpVersion::Http3 => (None, authority),
        _ => (authority, None),
    };
    let mut hosts = request.headers().get_all(HOST).iter();
    let host = match (hosts.next(), hosts.next()) {
        (None, _) => HostHeader::Absent,
        (Some(value), None) => HostHeader::One(value.as_bytes()),
        (Some(_), Some(_)) => HostHeader::Several,
    };
    HostSources {
        version,
        target,
        pseudo,
        host,
    }
}

/// Routes an `http::Request` by `table` exactly as [`IngressRouting`](crate::IngressRouting)
/// does: the host sources, the path and the method go to
/// [`RouteTable::route_parts`]. Tools that answer "which backend would this
/// request reach" (the gateway's `route` command) call this, so they agree
/// with the server by construction.
///
/// ```
/// use http::Request;
/// use ingress_core::{HttpIngressPath, Ingress, IngressBackend, Outcome, RouteTable, TableOptions};
///
/// let table = RouteTable::from_ingresses(
///     [Ingress::new("default", "web").with_rule(Some("a.example"), [HttpIngressPath::prefix("/", IngressBackend::service("web", 80))])],
///     &TableOptions::default(),
/// );
/// let request = Request::get("/x/../y").header("host", "A.example").body(()).unwrap();
/// let Outcome::Routed(route) = ingress_tower::route(&table, &request) else { panic!() };
/// assert_eq!(route.path().as_str(), "/y");
/// ```
pub fn route<B, T>(table: &RouteTable<B>, request: &Request<T>) -> Outcome<B> {
    table.route_parts(request.method().as_str(), &host_sources(request), request.uri().path())
}

/// The URI with its path replaced by `path`, query untouched; `None` when
/// the path is already `path` (or the result would not be a valid URI,
/// which canonical paths never cause).
pub(crate) fn with_path(uri: &Uri, path: &str) -> Option<Uri> {
    if uri.path() == path {
        return None;
    }
    let path_and_query = match uri.query() {
        Some(query) => format!("{path}?{query}"),
        None => path.to_owned(),
    };
    let mut parts = uri.clone().into_parts();
    parts.path_and_query = Some(path_and_query.parse().ok()?);
    Uri::from_parts(parts).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn h1_sources_by_version() {
        let request = Request::builder()
            .uri("http://a.com/x")
            .header(HOST, "a.com")
            .body(())
            .unwrap();
        let sources = host_sources(&request);
        assert_eq!(sources.target, Some(&b"a.com"[..]));
        assert_eq!(sources.pseudo, None);
        assert_eq!(sources.host, HostHeader::One(b"a.com"));

        let request = Request::builder()
            .version(Version::HTTP_2)
            .uri("https://b.com/x")
            .header(HOST, "b.com")
            .header(HOST, "c.com")
            .body(())
            .unwrap();
        let sources = host_sources(&request);
        assert_eq!(sources.target, None);
        assert_eq!(sources.pseudo, Some(&b"b.com"[..]));
        assert_eq!(sources.host, HostHeader::Several);
    }

    #[test]
    fn path_rewrite_keeps_query_and_authority() {
        let uri: Uri = "http://a.com/x/../y?q=%2e".parse().unwrap();
        assert_eq!(with_path(&uri, "/y").unwrap(), "http://a.com/y?q=%2e");
        let origin: Uri = "/a//b".parse().unwrap();
        assert_eq!(with_path(&origin, "/a/b").unwrap(), "/a/b");
        assert_eq!(with_path(&"/same".parse().unwrap(), "/same"), None);
    }
}
