//! The HTTPS redirect of the plain listener: a request for a host listed in
//! a served Ingress's `spec.tls` (T1) is answered `308 Permanent Redirect`
//! to the same host, path and query on HTTPS, as ingress-nginx does by
//! default; ACME HTTP-01 challenges (`/.well-known/acme-challenge/...`)
//! are routed as usual, so that a certificate can be had over plain HTTP.
//! `--https-redirect=false` turns it off; without `--listen-tls` there is
//! none.
//!
//! The host is the request's (absolute-form target or `:authority`, else
//! `Host`), canonical, without its port; the redirect names the HTTPS
//! port unless it is 443. Requests for hosts without TLS pay one table
//! lookup, and nothing more while no Ingress lists a TLS host.

use std::sync::Arc;

use http::header::{self, HeaderValue};
use http::{Request, Response, StatusCode};
use ingress_core::canonical::{RequestHost, canonicalize_host};

use super::proxy::{ProxyBody, text};
use super::tls::ListenerCertificates;

/// Where ACME HTTP-01 challenges are served (RFC 8555 section 8.3).
const ACME_CHALLENGE: &str = "/.well-known/acme-challenge/";

/// The redirect to HTTPS of requests for TLS hosts.
#[derive(Debug)]
pub(crate) struct Redirect {
    certificates: Arc<ListenerCertificates>,
    /// The port the Location names (left out when 443).
    port: u16,
}

impl Redirect {
    /// Redirects requests for the TLS hosts of `certificates` to `port`.
    pub(crate) fn new(certificates: Arc<ListenerCertificates>, port: u16) -> Self {
        Self { certificates, port }
    }

    /// The 308 answer to `request`, if it gets one.
    pub(crate) fn answer<B>(&self, request: &Request<B>) -> Option<Response<ProxyBody>> {
        let location = location(request, self.port, |host| self.certificates.is_tls_host(host))?;
        let mut response = text(StatusCode::PERMANENT_REDIRECT, "308 Permanent Redirect: use HTTPS\n");
        response.headers_mut().insert(header::LOCATION, location);
        Some(response)
    }
}

/// Where `request` is sent instead, when `is_tls_host` says its host is a
/// TLS host and its path is no ACME challenge.
fn location<B>(request: &Request<B>, port: u16, is_tls_host: impl Fn(&str) -> bool) -> Option<HeaderValue> {
    let target = request.uri().path_and_query().map_or("/", |target| target.as_str());
    // `OPTIONS *` names no resource to redirect to.
    if !target.starts_with('/') || target.starts_with(ACME_CHALLENGE) {
        return None;
    }
    let authority = match request.uri().authority() {
        Some(authority) => authority.as_str().as_bytes(),
        None => {
            let mut hosts = request.headers().get_all(header::HOST).iter();
            let host = hosts.next()?;
            // Several Host fields: routing refuses the request (H5).
            if hosts.next().is_some() {
                return None;
            }
            host.as_bytes()
        }
    };
    // The table compares canonical names itself; only the port goes here,
    // and an IP literal is never a TLS host (H4).
    let name = std::str::from_utf8(authority).ok()?;
    let name = match name.rsplit_once(':') {
        Some((name, _port)) => name,
        None => name,
    };
    if name.starts_with('[') || !is_tls_host(name) {
        return None;
    }
    // Written from the canonical host only: the request's own bytes are
    // not trusted into the header.
    let RequestHost::Name(host) = canonicalize_host(authority).ok()? else {
        return None;
    };
    let location = if port == 443 {
        format!("https://{host}{target}")
    } else {
        format!("https://{host}:{port}{target}")
    };
    HeaderValue::from_str(&location).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(uri: &str, hosts: &[&str]) -> Request<()> {
        let mut request = Request::get(uri).body(()).unwrap();
        for host in hosts {
            request
                .headers_mut()
                .append(header::HOST, HeaderValue::from_str(host).unwrap());
        }
        request
    }

    /// `shop.example` and the names under `*.tls.example` are TLS hosts.
    fn tls_host(host: &str) -> bool {
        let canonical = host.to_ascii_lowercase();
        let canonical = canonical.trim_end_matches('.');
        canonical == "shop.example"
            || canonical
                .strip_suffix(".tls.example")
                .is_some_and(|label| !label.contains('.'))
    }

    fn redirect(request: &Request<()>, port: u16) -> Option<String> {
        location(request, port, tls_host).map(|value| value.to_str().unwrap().to_owned())
    }

    #[test]
    fn a_tls_host_goes_to_the_same_path_and_query_on_https() {
        let request = get("/cart/items?id=7&x=%2F", &["shop.example"]);
        assert_eq!(
            redirect(&request, 443).as_deref(),
            Some("https://shop.example/cart/items?id=7&x=%2F")
        );
        assert_eq!(
            redirect(&request, 8443).as_deref(),
            Some("https://shop.example:8443/cart/items?id=7&x=%2F")
        );
    }

    #[test]
    fn the_host_is_canonical_and_without_the_plain_port() {
        let request = get("/", &["Shop.EXAMPLE.:8080"]);
        assert_eq!(redirect(&request, 443).as_deref(), Some("https://shop.example/"));
        // HTTP/2's :authority (or an absolute-form target) names the host.
        let request = get("http://www.tls.example:80/a", &[]);
        assert_eq!(redirect(&request, 443).as_deref(), Some("https://www.tls.example/a"));
    }

    #[test]
    fn acme_http01_challenges_are_not_redirected() {
        let request = get("/.well-known/acme-challenge/token123", &["shop.example"]);
        assert_eq!(redirect(&request, 443), None);
        // Only that directory: its neighbours are redirected.
        let request = get("/.well-known/acme-challengex", &["shop.example"]);
        assert!(redirect(&request, 443).is_some());
    }

    #[test]
    fn other_hosts_and_odd_requests_are_left_to_routing() {
        for request in [
            get("/", &["plain.example"]),
            // One label only under a wildcard (M1).
            get("/", &["a.b.tls.example"]),
            get("/", &["127.0.0.1"]),
            get("/", &["[::1]:80"]),
            get("/", &[]),
            get("/", &["shop.example", "shop.example"]),
            get("/", &["user@shop.example"]),
            get("*", &["shop.example"]),
        ] {
            assert_eq!(redirect(&request, 443), None, "{request:?}");
        }
    }
}
