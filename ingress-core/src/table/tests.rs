use super::build::host_refusal;
use super::*;
use crate::canon::RequestError;

#[test]
fn empty_table_routes_nothing() {
    let table: RouteTable = RouteTable::default();
    assert!(table.is_empty());
    let root = crate::canonicalize_path("/", &crate::PathOptions::default()).unwrap();
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
