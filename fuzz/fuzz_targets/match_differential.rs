//! The compiled `RouteTable` against the reference matcher, as
//! `ingress-core/tests/differential.rs` compares them, on small rule sets
//! built to collide (hosts exact, wildcard and none; a small segment
//! alphabet with escapes and dot segments; every path type, invalid ones
//! too; default backends; creation times) under every table option.
//!
//! Every request that canonicalises (with the table's own options) must get
//! the same entry from `RouteTable::find` as from `ReferenceMatcher::route`;
//! refused requests are skipped. `route_request` must agree with `find`.
#![no_main]

use ingress_core::canonical::{RequestHost, canonicalize_path};
use ingress_core::reference::ReferenceMatcher;
use ingress_core::{HostHeader, HttpVersion, IngressSet, Outcome, RequestHead};
use ingress_core_fuzz::small::{Scenario, as_reference};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|scenario: Scenario| {
    let options = scenario.options.table();
    let mut set = IngressSet::new();
    for ingress in &scenario.ingresses {
        set.apply(ingress);
    }
    let table = set.compile(&options);
    let reference = ReferenceMatcher::new(set.serving(), &options);
    for request in &scenario.requests {
        let Ok(host) = request.canonical_host() else { continue };
        let Some(raw_path) = request.path.as_deref() else {
            continue;
        };
        let Ok(path) = canonicalize_path(raw_path, &table.options().path) else {
            continue;
        };
        let fast = table.find(&host, &path).map(|t| as_reference(t));
        let slow = reference.route(&host, path.as_str());
        assert_eq!(
            fast,
            slow,
            "table (left) and reference (right) disagree on host {host:?} path {:?} (sent as {raw_path:?})\n{}",
            path.as_str(),
            table.report()
        );
        check_route_request(&table, request.host.as_deref(), &host, raw_path, fast.is_some());
    }
});

/// The whole-request entry point answers as `find` on the same request.
fn check_route_request(
    table: &ingress_core::RouteTable,
    header: Option<&[u8]>,
    host: &RequestHost,
    raw_path: &str,
    found: bool,
) {
    // Only origin-form targets without a query: then the target is the path.
    if !raw_path.starts_with('/') || raw_path.contains('?') {
        return;
    }
    let head = match header {
        Some(value) => RequestHead::new("GET", HttpVersion::Http11, raw_path).with_host(HostHeader::One(value)),
        None => RequestHead::new("GET", HttpVersion::Http10, raw_path),
    };
    match table.route_request(&head) {
        Outcome::Routed(route) => {
            assert!(found, "route_request routed what find did not: {raw_path:?}");
            assert_eq!(route.host(), host);
            let expected = table.find(host, route.path());
            assert_eq!(
                expected,
                Some(route.target()),
                "route_request and find differ on {raw_path:?}"
            );
        }
        Outcome::NotFound(_) => assert!(!found, "route_request found nothing where find did: {raw_path:?}"),
        Outcome::Refused(error) => panic!("route_request refused {raw_path:?} ({error:?}) that canonicalises"),
        other => panic!("unexpected outcome {other:?}"),
    }
}
