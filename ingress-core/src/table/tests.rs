use super::build::host_refusal;
use super::*;
use crate::canonical::{PathOptions, RequestError};

#[test]
fn empty_table_routes_nothing() {
    let table: RouteTable = RouteTable::default();
    assert!(table.is_empty());
    let root = crate::canonical::canonicalize_path("/", &crate::canonical::PathOptions::default()).unwrap();
    assert!(table.find(&RequestHost::None, &root).is_none());
    assert!(table.find(&RequestHost::Name("a.com".into()), &root).is_none());
    assert_eq!(table.selected_level(&RequestHost::None), None);
}

#[test]
fn h3_hosts_requests_cannot_carry() {
    assert_eq!(host_refusal(&HostRule::Any), None);
    assert_eq!(host_refusal(&HostRule::Exact("a.com".into())), None);
    assert_eq!(host_refusal(&HostRule::Wildcard("1.2".into())), None);
    assert_eq!(
        host_refusal(&HostRule::Exact("1.2.3".into())),
        Some(RequestError::MalformedIpLiteral)
    );
    let long = format!("{}.com", "a".repeat(64));
    assert_eq!(
        host_refusal(&HostRule::Exact(long.as_str().into())),
        Some(RequestError::HostTooLong)
    );
    assert_eq!(
        host_refusal(&HostRule::Wildcard(long.as_str().into())),
        Some(RequestError::HostTooLong)
    );
}

#[test]
fn explain_lists_every_matching_rule_of_the_level_best_first() {
    use crate::canonical::canonicalize_path;
    use crate::{HttpIngressPath, Ingress, IngressBackend, TableOptions};
    let backend = || IngressBackend::service("web", 80);
    let table = RouteTable::from_ingresses(
        [
            Ingress::new("default", "a").with_rule(
                Some("a.com"),
                [
                    HttpIngressPath::prefix("/", backend()),
                    HttpIngressPath::prefix("/x", backend()),
                    HttpIngressPath::exact("/x/y", backend()),
                    HttpIngressPath::prefix("/x/y", backend()),
                    HttpIngressPath::prefix("/z", backend()),
                ],
            ),
            Ingress::new("default", "b").with_rule(None, [HttpIngressPath::prefix("/", backend())]),
        ],
        &TableOptions::default(),
    );
    let host = RequestHost::Name("a.com".into());
    let path = canonicalize_path("/x/y", &PathOptions::default()).unwrap();
    let why = table.explain(&host, &path);
    let found: Vec<_> = why
        .matching
        .iter()
        .map(|t| t.matched().rule().unwrap().to_string())
        .collect();
    assert_eq!(
        found,
        [r#"Exact "/x/y""#, r#"Prefix "/x/y""#, r#"Prefix "/x""#, r#"Prefix "/""#]
    );
    assert_eq!(why.level, Some(HostRule::Exact("a.com".into())));
    assert!(Arc::ptr_eq(why.served_by.unwrap(), why.matching[0]));
    let none = table.explain(&RequestHost::Name("b.com".into()), &path);
    assert_eq!(none.level, Some(HostRule::Any));
    assert_eq!(none.matching.len(), 1);
}
