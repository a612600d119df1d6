//! Builders shared by the integration tests.
#![allow(dead_code, unreachable_pub)]

use std::time::{Duration, SystemTime};

use ingress_core::table::Matched;
use ingress_core::{
    HostHeader, HttpIngressPath, HttpVersion, Ingress, IngressBackend, Outcome, RequestHead, RouteTable,
};

/// A path in canonical form (default options).
pub fn canon(path: &str) -> ingress_core::canonical::CanonicalPath {
    ingress_core::canonical::canonicalize_path(path, &ingress_core::canonical::PathOptions::default())
        .expect("a valid path")
}

/// A service backend on port 80.
pub fn svc(name: &str) -> IngressBackend {
    IngressBackend::service(name, 80)
}

pub fn prefix(path: &str, service: &str) -> HttpIngressPath {
    HttpIngressPath::prefix(path, svc(service))
}

pub fn exact(path: &str, service: &str) -> HttpIngressPath {
    HttpIngressPath::exact(path, svc(service))
}

pub fn implementation_specific(path: &str, service: &str) -> HttpIngressPath {
    HttpIngressPath::implementation_specific(path, svc(service))
}

/// An Ingress in namespace `default`, created `age` seconds after the epoch.
pub fn ingress(name: &str, created: u64) -> Ingress {
    Ingress::new("default", name).with_creation_timestamp(SystemTime::UNIX_EPOCH + Duration::from_secs(created))
}

/// Routes an HTTP/1.1 GET and describes the answer: `"<service>"` for a
/// path rule, `"default:<service>"` for a default backend, `"404"`, `"400"`
/// or `"414"`.
pub fn answer(table: &RouteTable, host: Option<&str>, target: &str) -> String {
    let head = match host {
        Some(host) => RequestHead::new("GET", HttpVersion::Http11, target).with_host(HostHeader::One(host.as_bytes())),
        None => RequestHead::new("GET", HttpVersion::Http10, target),
    };
    describe(&table.route_request(&head))
}

pub fn describe(outcome: &Outcome<ingress_core::Backend>) -> String {
    match outcome {
        Outcome::Routed(route) => {
            let ingress_core::Backend::Service(service) = route.backend() else {
                return format!("resource:{}", route.backend());
            };
            match route.matched() {
                Matched::Rule(_) => service.name.to_string(),
                Matched::DefaultBackend => format!("default:{}", service.name),
            }
        }
        other => other.status_code().unwrap_or(0).to_string(),
    }
}
