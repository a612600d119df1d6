//! The feed's core on plain values: no files, no threads.

mod common;

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::answer;
use ingress_core::table::DiagnosticKind;
use ingress_core::{Backend, IngressSet, RouteTable, TableOptions};
use ingress_kube::feed::{Feed, Kind, Publish, Snapshot, SourceKind, Tables, Update};
use ingress_kube::{ClassSelector, EndpointTable, convert_ingress};
use k8s_openapi::api::core::v1::Service;
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::networking::v1::{Ingress, IngressClass};
use serde_json::json;

/// One publish, as the publisher saw it.
#[derive(Debug, Clone)]
struct Seen {
    first: bool,
    routes: Option<RouteTable>,
    endpoints: Option<Arc<EndpointTable>>,
    ignored: Vec<String>,
}

/// Keeps every publish.
#[derive(Debug, Default)]
struct Recorder(Vec<Seen>);

impl Publish for Recorder {
    fn publish(&mut self, update: &Update<'_>) {
        self.0.push(Seen {
            first: update.first,
            routes: update.routes_changed.then(|| update.routes.clone()),
            endpoints: update.endpoints_changed.then(|| Arc::clone(update.endpoints)),
            ignored: update.ignored.iter().map(ToString::to_string).collect(),
        });
    }
}

impl Recorder {
    fn last(&self) -> &Seen {
        self.0.last().expect("a publish")
    }
}

fn class(controller: &str) -> IngressClass {
    serde_json::from_value(json!({
        "metadata": { "name": "gateway",
            "annotations": { "ingressclass.kubernetes.io/is-default-class": "true" } },
        "spec": { "controller": controller }
    }))
    .expect("an IngressClass")
}

fn ours() -> IngressClass {
    class("ingress-rs.dev/ingress-gateway")
}

/// An Ingress routing `host` to the Service `service`, port 80.
fn ingress(name: &str, host: &str, service: &str) -> Ingress {
    serde_json::from_value(json!({
        "metadata": { "name": name },
        "spec": { "rules": [{ "host": host, "http": { "paths": [{
            "path": "/", "pathType": "Prefix",
            "backend": { "service": { "name": service, "port": { "number": 80 } } }
        }]}}]}
    }))
    .expect("an Ingress")
}

fn service(name: &str) -> Service {
    serde_json::from_value(json!({
        "metadata": { "name": name },
        "spec": { "ports": [{ "port": 80 }] }
    }))
    .expect("a Service")
}

fn slice(service: &str, address: &str) -> EndpointSlice {
    serde_json::from_value(json!({
        "metadata": { "name": format!("{service}-1"), "labels": { "kubernetes.io/service-name": service } },
        "addressType": "IPv4",
        "ports": [{ "port": 8080 }],
        "endpoints": [{ "addresses": [address] }]
    }))
    .expect("an EndpointSlice")
}

fn snapshot() -> Snapshot {
    Snapshot::new(SourceKind::ApiServer)
}

/// A feed that has published once: `web` at web.example to Service `web`,
/// whose endpoint is 10.0.0.1.
fn started() -> Feed<Recorder> {
    let mut feed = Feed::new(ClassSelector::default(), Recorder::default());
    feed.apply(
        snapshot()
            .with_ingresses([ingress("web", "web.example", "web")])
            .with_classes([ours()])
            .with_services([service("web")])
            .with_endpoint_slices([slice("web", "10.0.0.1")]),
    );
    feed.rebuild().expect("a first rebuild");
    feed
}

fn routes(seen: &Seen) -> &RouteTable {
    seen.routes.as_ref().expect("routes published")
}

fn addresses(endpoints: &EndpointTable, service: &str) -> Vec<String> {
    let backend = ingress_core::validation::ServiceBackend {
        namespace: "default".into(),
        name: service.into(),
        port: ingress_core::validation::ServicePort::Number(80),
    };
    endpoints
        .resolve(&backend)
        .map(|addresses| addresses.iter().map(ToString::to_string).collect())
        .unwrap_or_default()
}

#[test]
fn nothing_is_published_before_every_kind_is_listed() {
    let mut feed = Feed::new(ClassSelector::default(), Recorder::default());
    feed.apply(snapshot().with_ingresses([ingress("web", "web.example", "web")]));
    feed.apply(snapshot().with_classes([ours()]));
    feed.apply(snapshot().with_services([service("web")]));
    assert_eq!(feed.unsynced(), vec![Kind::EndpointSlice]);
    assert!(feed.rebuild().is_none());
    assert!(feed.publisher().0.is_empty());
    assert!(!feed.status().is_ready());

    // The last kind listed, even empty: the first tables go out, both.
    feed.apply(snapshot().with_endpoint_slices(Vec::<EndpointSlice>::new()));
    assert!(feed.is_synced());
    let rebuilt = feed.rebuild().expect("a rebuild");
    assert!(rebuilt.first && rebuilt.routes_changed && rebuilt.endpoints_changed);
    assert!(feed.status().is_ready());
    let seen = feed.publisher().last();
    assert!(seen.first);
    assert_eq!(answer(routes(seen), "web.example", "/"), "default/web:80");
    assert!(seen.endpoints.is_some());
}

#[test]
fn an_ingress_change_publishes_routes_and_not_endpoints() {
    let mut feed = started();
    assert!(feed.apply(snapshot().with_ingresses([ingress("web", "web.example", "api")])));
    let rebuilt = feed.rebuild().expect("a rebuild");
    assert!(rebuilt.routes_changed && !rebuilt.endpoints_changed && !rebuilt.first);
    let seen = feed.publisher().last();
    assert_eq!(answer(routes(seen), "web.example", "/"), "default/api:80");
    assert!(seen.endpoints.is_none());
}

#[test]
fn b2_an_endpoint_slice_change_publishes_endpoints_and_not_routes() {
    let mut feed = started();
    assert!(feed.apply(snapshot().with_endpoint_slices([slice("web", "10.0.0.2")])));
    let rebuilt = feed.rebuild().expect("a rebuild");
    assert!(rebuilt.endpoints_changed && !rebuilt.routes_changed);
    assert_eq!(rebuilt.validated, 0);
    let seen = feed.publisher().last();
    assert!(seen.routes.is_none());
    let endpoints = seen.endpoints.as_ref().expect("endpoints published");
    assert_eq!(addresses(endpoints, "web"), ["10.0.0.2:8080"]);
}

#[test]
fn b2_a_service_change_publishes_endpoints_and_not_routes() {
    let mut feed = started();
    let renumbered: Service = serde_json::from_value(json!({
        "metadata": { "name": "web" }, "spec": { "ports": [{ "port": 81 }] }
    }))
    .expect("a Service");
    feed.apply(snapshot().with_services([renumbered]));
    let rebuilt = feed.rebuild().expect("a rebuild");
    assert!(rebuilt.endpoints_changed && !rebuilt.routes_changed);
    let endpoints = feed.publisher().last().endpoints.clone().expect("endpoints published");
    assert!(addresses(&endpoints, "web").is_empty());
}

#[test]
fn the_same_objects_again_publish_nothing_new() {
    let mut feed = started();
    let again = snapshot()
        .with_ingresses([ingress("web", "web.example", "web")])
        .with_classes([ours()])
        .with_services([service("web")])
        .with_endpoint_slices([slice("web", "10.0.0.1")]);
    assert!(!feed.apply(again));
    let rebuilt = feed.rebuild().expect("a rebuild");
    assert!(!rebuilt.routes_changed && !rebuilt.endpoints_changed);
    assert_eq!(rebuilt.validated, 0);
}

#[test]
fn only_changed_ingresses_are_validated_again() {
    let mut feed = Feed::new(ClassSelector::default(), Recorder::default());
    let three = |third: &str| {
        [
            ingress("a", "a.example", "a"),
            ingress("b", "b.example", "b"),
            ingress("c", "c.example", third),
        ]
    };
    feed.apply(
        snapshot()
            .with_ingresses(three("c"))
            .with_classes([ours()])
            .with_services(Vec::<Service>::new())
            .with_endpoint_slices(Vec::<EndpointSlice>::new()),
    );
    assert_eq!(feed.rebuild().expect("a rebuild").validated, 3);
    feed.apply(snapshot().with_ingresses(three("d")));
    let rebuilt = feed.rebuild().expect("a rebuild");
    assert_eq!(rebuilt.validated, 1);
    assert!(rebuilt.routes_changed);
    let table = routes(feed.publisher().last());
    assert_eq!(answer(table, "a.example", "/"), "default/a:80");
    assert_eq!(answer(table, "c.example", "/"), "default/d:80");
}

/// A feed that has published three Ingresses `a`, `b` and `c`, shared as a
/// reflector's store holds them (the same allocation at every snapshot
/// until an object changes), and the three.
fn shared_three() -> (Feed<Recorder>, [Arc<Ingress>; 3]) {
    let three = ["a", "b", "c"].map(|name| Arc::new(ingress(name, &format!("{name}.example"), name)));
    let mut feed = Feed::new(ClassSelector::default(), Recorder::default());
    feed.apply(
        snapshot()
            .with_ingresses(three.clone())
            .with_classes([ours()])
            .with_services(Vec::<Service>::new())
            .with_endpoint_slices(Vec::<EndpointSlice>::new()),
    );
    assert_eq!(feed.rebuild().expect("a rebuild").validated, 3);
    (feed, three)
}

#[test]
fn shared_unchanged_objects_are_skipped_and_changes_around_them_land() {
    let (mut feed, [a, _, _]) = shared_three();

    // In one snapshot: `a` untouched (same allocation), `b` edited (a new
    // allocation under the same name), `c` deleted, `d` created.
    let b2 = Arc::new(ingress("b", "b.example", "b2"));
    let d = Arc::new(ingress("d", "d.example", "d"));
    feed.apply(snapshot().with_ingresses([Arc::clone(&a), b2, d]));
    let rebuilt = feed.rebuild().expect("a rebuild");
    assert_eq!(rebuilt.validated, 2, "b's new version and d");
    let table = routes(feed.publisher().last());
    assert_eq!(answer(table, "a.example", "/"), "default/a:80");
    assert_eq!(answer(table, "b.example", "/"), "default/b2:80");
    assert_eq!(answer(table, "c.example", "/"), "404");
    assert_eq!(answer(table, "d.example", "/"), "default/d:80");
}

/// `ingress(name, host, service)` as an API server stores it: with a uid
/// and a resourceVersion.
fn stored(name: &str, host: &str, service: &str, version: &str) -> Ingress {
    let mut ingress = ingress(name, host, service);
    ingress.metadata.uid = Some(format!("uid-{name}"));
    ingress.metadata.resource_version = Some(version.to_owned());
    ingress
}

#[test]
fn a_relist_of_the_same_versions_validates_nothing_and_a_new_version_lands() {
    let mut feed = Feed::new(ClassSelector::default(), Recorder::default());
    feed.apply(
        snapshot()
            .with_ingresses([stored("a", "a.example", "a", "7"), stored("b", "b.example", "b", "8")])
            .with_classes([ours()])
            .with_services(Vec::<Service>::new())
            .with_endpoint_slices(Vec::<EndpointSlice>::new()),
    );
    assert_eq!(feed.rebuild().expect("a rebuild").validated, 2);

    // A relist (after 410 Gone, say): every object decoded anew, the same
    // versions.
    feed.apply(snapshot().with_ingresses([stored("a", "a.example", "a", "7"), stored("b", "b.example", "b", "8")]));
    let rebuilt = feed.rebuild().expect("a rebuild");
    assert_eq!(rebuilt.validated, 0);
    assert!(!rebuilt.routes_changed);

    // The version is what is compared, not the object: an API server never
    // stores two contents under one resourceVersion, so none is converted.
    feed.apply(snapshot().with_ingresses([stored("a", "a.example", "a", "7"), stored("b", "b.example", "x", "8")]));
    assert_eq!(feed.rebuild().expect("a rebuild").validated, 0);

    // `b` at a new version.
    feed.apply(snapshot().with_ingresses([stored("a", "a.example", "a", "7"), stored("b", "b.example", "b2", "9")]));
    let rebuilt = feed.rebuild().expect("a rebuild");
    assert_eq!(rebuilt.validated, 1);
    let table = routes(feed.publisher().last());
    assert_eq!(answer(table, "a.example", "/"), "default/a:80");
    assert_eq!(answer(table, "b.example", "/"), "default/b2:80");
}

#[test]
fn o3_a_new_version_naming_another_class_drops_the_ingress() {
    let mut feed = started();
    let mut other: Ingress = ingress("web", "web.example", "web");
    if let Some(spec) = other.spec.as_mut() {
        spec.ingress_class_name = Some("nginx".to_owned());
    }
    feed.apply(snapshot().with_ingresses([other]));
    assert!(feed.rebuild().expect("a rebuild").routes_changed);
    let seen = feed.publisher().last();
    assert_eq!(answer(routes(seen), "web.example", "/"), "404");
    assert_eq!(seen.ignored.len(), 1, "{:?}", seen.ignored);
}

#[test]
fn o3_a_class_change_and_a_deletion_in_one_snapshot_both_land() {
    let (mut feed, [a, b, _]) = shared_three();

    // `c` deleted while the default class passes to another controller.
    feed.apply(
        snapshot()
            .with_ingresses([Arc::clone(&a), Arc::clone(&b)])
            .with_classes([class("k8s.io/ingress-nginx")]),
    );
    assert!(feed.rebuild().expect("a rebuild").routes_changed);
    let seen = feed.publisher().last();
    assert!(routes(seen).is_empty());
    assert_eq!(seen.ignored.len(), 2, "a and b, not the deleted c: {:?}", seen.ignored);

    // The class is ours again: exactly the two listed Ingresses come back.
    feed.apply(snapshot().with_classes([ours()]));
    feed.rebuild().expect("a rebuild");
    let seen = feed.publisher().last();
    let table = routes(seen);
    assert_eq!(answer(table, "a.example", "/"), "default/a:80");
    assert_eq!(answer(table, "b.example", "/"), "default/b:80");
    assert_eq!(answer(table, "c.example", "/"), "404");
    assert!(seen.ignored.is_empty());
}

#[test]
fn v8_an_invalid_edit_keeps_the_last_valid_version_and_reports_it() {
    let mut feed = started();
    // V2: an upper-case host.
    feed.apply(snapshot().with_ingresses([ingress("web", "Web.Example", "api")]));
    let rebuilt = feed.rebuild().expect("a rebuild");
    assert!(rebuilt.routes_changed, "the report changed");
    let table = routes(feed.publisher().last());
    assert_eq!(answer(table, "web.example", "/"), "default/web:80");
    let [diagnostic] = table.report().diagnostics() else {
        panic!("{}", table.report())
    };
    assert_eq!(diagnostic.object.to_string(), "default/web");
    assert!(matches!(
        diagnostic.kind,
        DiagnosticKind::Rejected {
            serving_previous: true,
            ..
        }
    ));

    // Valid again: the new version replaces the kept one.
    feed.apply(snapshot().with_ingresses([ingress("web", "web.example", "api")]));
    feed.rebuild().expect("a rebuild");
    let table = routes(feed.publisher().last());
    assert_eq!(answer(table, "web.example", "/"), "default/api:80");
    assert!(table.report().is_empty());
}

#[test]
fn o1_o3_a_class_change_drops_an_ingress() {
    let mut feed = started();
    // O1: the Ingress names our class.
    let mut named = ingress("web", "web.example", "web");
    if let Some(spec) = named.spec.as_mut() {
        spec.ingress_class_name = Some("gateway".to_owned());
    }
    feed.apply(snapshot().with_ingresses([named]));
    let rebuilt = feed.rebuild().expect("a rebuild");
    // Validated again, but it routes as before: no new table.
    assert_eq!(rebuilt.validated, 1);
    assert!(!rebuilt.routes_changed);

    // The class now belongs to another controller.
    feed.apply(snapshot().with_classes([class("k8s.io/ingress-nginx")]));
    let rebuilt = feed.rebuild().expect("a rebuild");
    assert!(rebuilt.routes_changed && !rebuilt.endpoints_changed);
    let seen = feed.publisher().last();
    assert_eq!(answer(routes(seen), "web.example", "/"), "404");
    assert_eq!(seen.ignored.len(), 1);
    assert!(
        seen.ignored[0].starts_with("Ingress default/web ignored:"),
        "{:?}",
        seen.ignored
    );
    assert!(seen.ignored[0].ends_with("[O3]"), "{:?}", seen.ignored);

    // Ours again: the Ingress comes back.
    feed.apply(snapshot().with_classes([ours()]));
    feed.rebuild().expect("a rebuild");
    let seen = feed.publisher().last();
    assert_eq!(answer(routes(seen), "web.example", "/"), "default/web:80");
    assert!(seen.ignored.is_empty());
}

#[test]
fn o2_without_a_default_class_an_ingress_without_one_is_not_ours() {
    let mut feed = started();
    feed.apply(snapshot().with_classes(Vec::<IngressClass>::new()));
    feed.rebuild().expect("a rebuild");
    let seen = feed.publisher().last();
    assert_eq!(answer(routes(seen), "web.example", "/"), "404");
    assert_eq!(seen.ignored.len(), 1);
    assert!(seen.ignored[0].contains("[O2]"), "{:?}", seen.ignored);
}

#[test]
fn a_removed_ingress_loses_its_routes() {
    let mut feed = started();
    feed.apply(snapshot().with_ingresses(Vec::<Ingress>::new()));
    assert!(feed.rebuild().expect("a rebuild").routes_changed);
    assert!(routes(feed.publisher().last()).is_empty());
}

#[test]
fn the_status_says_where_the_tables_came_from() {
    let mut feed = started();
    let when = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    feed.status().update(|record| record.watch_restarts = 2);
    feed.apply(
        snapshot()
            .with_endpoint_slices([slice("web", "10.0.0.2"), slice("api", "10.0.0.3")])
            .with_resource_version(Kind::EndpointSlice, "4711")
            .with_time(when),
    );
    feed.rebuild().expect("a rebuild");
    let record = feed.status().record();
    assert_eq!(record.source, SourceKind::ApiServer);
    assert_eq!(record.last_sync, Some(when));
    assert_eq!(record.objects[&Kind::Ingress], 1);
    assert_eq!(record.objects[&Kind::EndpointSlice], 2);
    assert_eq!(record.resource_versions[&Kind::EndpointSlice], "4711");
    assert_eq!(
        (record.rebuilds, record.route_builds, record.endpoint_builds),
        (2, 1, 2)
    );
    // The source's own counters survive a rebuild.
    assert_eq!(record.watch_restarts, 2);
    assert!(record.last_sync.is_some_and(|sync| sync < SystemTime::now()));
}

#[test]
fn tables_map_backends_as_compile_with_does() {
    let name = |backend: &Backend| match backend {
        Backend::Service(service) => service.name.to_string(),
        other => other.to_string(),
    };
    let tables = Tables::new(name);
    let shared = tables.routes().clone();
    let endpoints = tables.endpoints().clone();
    let mut feed = Feed::new(ClassSelector::default(), tables);
    let web = ingress("web", "web.example", "web");
    feed.apply(
        snapshot()
            .with_ingresses([web.clone()])
            .with_classes([ours()])
            .with_services([service("web")])
            .with_endpoint_slices([slice("web", "10.0.0.1")]),
    );
    feed.rebuild().expect("a rebuild");

    let mut set = IngressSet::new();
    set.apply(&convert_ingress(&web));
    assert_eq!(*shared.load().table(), set.compile_with(&TableOptions::default(), name));
    assert_eq!(addresses(&endpoints.load(), "web"), ["10.0.0.1:8080"]);

    // B2: an endpoint change swaps the endpoints, not the routes.
    let version = shared.version();
    feed.apply(snapshot().with_endpoint_slices([slice("web", "10.0.0.9")]));
    feed.rebuild().expect("a rebuild");
    assert_eq!(shared.version(), version);
    assert_eq!(addresses(&endpoints.load(), "web"), ["10.0.0.9:8080"]);
}
