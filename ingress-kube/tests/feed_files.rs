//! The files source on a temporary directory: settling, broken files,
//! the first load, endpoint-only changes (B2).

mod common;

use std::time::{Duration, Instant};

use common::answer;
use ingress_core::{Backend, SharedTable};
use ingress_kube::ClassSelector;
use ingress_kube::feed::{Feed, FileSource, ReloadError, SharedEndpoints, SourceKind, Tables};
use ingress_test_support::{
    EndpointSliceYaml, IngressClassYaml, IngressYaml, ManifestDir, ServiceYaml, path, service_backend,
};

const INTERVAL: Duration = Duration::from_millis(100);

type Published = Feed<Tables<Backend, fn(&Backend) -> Backend>>;

fn class() -> String {
    IngressClassYaml::new("gateway", "ingress-rs.dev/ingress-gateway")
        .default_class()
        .to_yaml()
}

fn route(name: &str, host: &str, service: &str) -> String {
    IngressYaml::new(name)
        .rule(Some(host), [path("Prefix", "/", service_backend(service, 80))])
        .to_yaml()
}

fn endpoints(address: &str) -> String {
    ingress_test_support::documents([
        ServiceYaml::new("web").port(None, 80, None).to_yaml(),
        EndpointSliceYaml::new("web-1", "web")
            .port(None, 8080)
            .endpoint(address, None)
            .to_yaml(),
    ])
}

/// A feed into plain tables, and handles to them.
fn feed() -> (Published, SharedTable<Backend>, SharedEndpoints) {
    let tables = Tables::new(Backend::clone as fn(&Backend) -> Backend);
    let (routes, endpoints) = (tables.routes().clone(), tables.endpoints().clone());
    (Feed::new(ClassSelector::default(), tables), routes, endpoints)
}

fn served(routes: &SharedTable<Backend>, host: &str) -> String {
    answer(routes.load().table(), host, "/")
}

/// Polls as the watch loop does, one interval apart, until a load.
fn poll_until_loaded(files: &mut FileSource, feed: &mut Published) -> Result<(), ReloadError> {
    let start = Instant::now();
    for step in 0..10 {
        if let Some(result) = files.poll(feed, start + INTERVAL * step) {
            return result.map(drop);
        }
    }
    panic!("no load after 10 polls");
}

#[test]
fn the_first_load_serves_whatever_parsed() {
    let dir = ManifestDir::with_files(&[
        ("class.yaml", &class()),
        ("values.yaml", "replicaCount: 2\n"),
        ("web.yaml", &route("web", "web.example", "web")),
    ]);
    let (mut feed, routes, _) = feed();
    let mut files = FileSource::new(dir.path(), INTERVAL);
    let loaded = files.load(&mut feed).expect("a load");
    assert_eq!(loaded.manifests.errors().len(), 1);
    assert!(loaded.rebuilt.is_some_and(|rebuilt| rebuilt.first));
    assert!(feed.status().is_ready());
    assert_eq!(feed.status().record().source, SourceKind::Files);
    assert_eq!(served(&routes, "web.example"), "default/web:80");
}

#[test]
fn an_edit_is_loaded_once_the_files_have_settled() {
    let dir = ManifestDir::with_files(&[
        ("class.yaml", &class()),
        ("web.yaml", &route("web", "web.example", "web")),
    ]);
    let (mut feed, routes, _) = feed();
    let mut files = FileSource::new(dir.path(), INTERVAL);
    files.load(&mut feed).expect("a load");
    let start = Instant::now();
    assert!(files.poll(&mut feed, start).is_none(), "nothing changed");

    dir.write("web.yaml", route("web", "web.example", "website"));
    // Seen changed, not yet settled: not loaded.
    assert!(files.poll(&mut feed, start + INTERVAL).is_none());
    assert_eq!(served(&routes, "web.example"), "default/web:80");
    // The same one interval later: loaded.
    let loaded = files
        .poll(&mut feed, start + INTERVAL * 2)
        .expect("a load")
        .expect("loaded");
    assert!(loaded.rebuilt.is_some_and(|rebuilt| rebuilt.routes_changed));
    assert_eq!(served(&routes, "web.example"), "default/website:80");
    assert!(files.poll(&mut feed, start + INTERVAL * 3).is_none());
}

#[test]
fn a_file_that_no_longer_parses_keeps_the_last_good_tables() {
    let dir = ManifestDir::with_files(&[
        ("class.yaml", &class()),
        ("web.yaml", &route("web", "web.example", "web")),
    ]);
    let (mut feed, routes, _) = feed();
    let mut files = FileSource::new(dir.path(), INTERVAL);
    files.load(&mut feed).expect("a load");
    let version = routes.version();

    dir.write("web.yaml", "kind: Ingress\nmetadata: [\n");
    let error = poll_until_loaded(&mut files, &mut feed).expect_err("refused");
    assert!(
        matches!(&error, ReloadError::NoLongerParse { newly_broken: 1, errors } if errors.len() == 1),
        "{error:?}"
    );
    assert_eq!(error.to_string(), "1 files no longer parse; the last good routes stay");
    assert_eq!(routes.version(), version);
    assert_eq!(served(&routes, "web.example"), "default/web:80");

    // Repaired, with an edit: served.
    dir.write("web.yaml", route("web", "web.example", "api"));
    poll_until_loaded(&mut files, &mut feed).expect("loaded");
    assert_eq!(served(&routes, "web.example"), "default/api:80");
}

#[test]
fn a_file_that_never_parsed_does_not_block_later_edits() {
    let dir = ManifestDir::with_files(&[
        ("class.yaml", &class()),
        ("values.yaml", "replicaCount: 2\n"),
        ("web.yaml", &route("web", "web.example", "web")),
    ]);
    let (mut feed, routes, _) = feed();
    let mut files = FileSource::new(dir.path(), INTERVAL);
    files.load(&mut feed).expect("a load");
    dir.write("web.yaml", route("web", "web.example", "api"));
    poll_until_loaded(&mut files, &mut feed).expect("loaded");
    assert_eq!(served(&routes, "web.example"), "default/api:80");
}

#[test]
fn b2_an_endpoint_edit_publishes_endpoints_and_not_routes() {
    let dir = ManifestDir::with_files(&[
        ("class.yaml", &class()),
        ("web.yaml", &route("web", "web.example", "web")),
        ("endpoints.yaml", &endpoints("10.0.0.1")),
    ]);
    let (mut feed, routes, endpoints_table) = feed();
    let mut files = FileSource::new(dir.path(), INTERVAL);
    files.load(&mut feed).expect("a load");
    let version = routes.version();
    let backend = |routes: &SharedTable<Backend>| match routes.load().targets()[0].backend() {
        Backend::Service(service) => service.clone(),
        other => panic!("{other}"),
    };
    let key = backend(&routes);
    let resolved = |table: &SharedEndpoints| table.load().resolve(&key).map(|a| a[0].to_string());
    assert_eq!(resolved(&endpoints_table).as_deref(), Ok("10.0.0.1:8080"));

    dir.write("endpoints.yaml", endpoints("10.0.0.22"));
    poll_until_loaded(&mut files, &mut feed).expect("loaded");
    assert_eq!(resolved(&endpoints_table).as_deref(), Ok("10.0.0.22:8080"));
    assert_eq!(routes.version(), version);
}

#[test]
fn an_unreadable_path_is_refused() {
    let dir = ManifestDir::new();
    let (mut feed, _, _) = feed();
    let mut files = FileSource::new(dir.path().join("missing"), INTERVAL);
    let error = files.load(&mut feed).expect_err("refused");
    assert!(matches!(error, ReloadError::Unreadable(_)), "{error:?}");
    assert!(error.to_string().contains("missing"), "{error}");
    assert!(!feed.status().is_ready());
}

/// Ingress `web` as `kubectl apply` leaves it: a label, another
/// controller's annotation set to `owner`, the last-applied copy and
/// `managedFields`.
fn applied_route(owner: &str) -> String {
    format!(
        "apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  labels: {{ app: web }}
  annotations:
    example.com/owner: {owner}
    kubectl.kubernetes.io/last-applied-configuration: '{{\"kind\":\"Ingress\"}}'
  managedFields:
  - {{ manager: kubectl, operation: Update }}
spec:
  rules:
  - host: web.example
    http:
      paths:
      - {{ path: /, pathType: Prefix, backend: {{ service: {{ name: web, port: {{ number: 80 }} }} }} }}
"
    )
}

#[test]
fn objects_are_kept_without_what_routing_never_reads() {
    let dir = ManifestDir::with_files(&[("class.yaml", &class()), ("web.yaml", &applied_route("team-a"))]);
    let (mut feed, routes, _) = feed();
    let mut files = FileSource::new(dir.path(), INTERVAL);
    let loaded = files.load(&mut feed).expect("a load");
    let metadata = &loaded.manifests.ingresses()[0].object.metadata;
    assert!(metadata.labels.is_none(), "{:?}", metadata.labels);
    assert!(metadata.annotations.is_none(), "{:?}", metadata.annotations);
    assert!(metadata.managed_fields.is_none());
    assert_eq!(served(&routes, "web.example"), "default/web:80");
    let version = routes.version();

    // An edit of what routing never reads: the file is parsed again, and
    // the feed finds nothing to validate.
    dir.write("web.yaml", applied_route("team-b"));
    let loaded = files.load(&mut feed).expect("a reload");
    assert_eq!(loaded.parsed, 1);
    let rebuilt = loaded.rebuilt.expect("a rebuild");
    assert_eq!((rebuilt.validated, rebuilt.routes_changed), (0, false));
    assert_eq!(routes.version(), version);
}

const TLS_DATA: &str = "c2VjcmV0LWNlcnRpZmljYXRl";

/// A TLS Secret, with a `ca.crt` beside its certificate and key.
fn tls_secret() -> String {
    format!(
        "apiVersion: v1\nkind: Secret\nmetadata: {{ name: web-tls }}\ntype: kubernetes.io/tls\n\
         data: {{ tls.crt: {TLS_DATA}, tls.key: {TLS_DATA}, ca.crt: {TLS_DATA} }}\n"
    )
}

/// A List whose Service `web` is defined again, after `endpoints.yaml`'s,
/// and a second Ingress.
fn list(host: &str) -> String {
    format!(
        "apiVersion: v1
kind: List
items:
- {{ apiVersion: v1, kind: Service, metadata: {{ name: web }}, spec: {{ ports: [{{ port: 80 }}] }} }}
- {{ apiVersion: v1, kind: ConfigMap, metadata: {{ name: settings }} }}
- apiVersion: networking.k8s.io/v1
  kind: Ingress
  metadata: {{ name: api }}
  spec: {{ rules: [{{ host: {host} }}] }}
"
    )
}

/// Kind, name and source of every object, in order.
fn listed(manifests: &ingress_kube::Manifests) -> Vec<String> {
    let mut listed = Vec::new();
    let mut add = |id: ingress_kube::ObjectId, source: &ingress_kube::Source| listed.push(format!("{id} {source}"));
    manifests.ingresses().iter().for_each(|o| add(o.id(), &o.source));
    manifests.ingress_classes().iter().for_each(|o| add(o.id(), &o.source));
    manifests.services().iter().for_each(|o| add(o.id(), &o.source));
    manifests.endpoint_slices().iter().for_each(|o| add(o.id(), &o.source));
    manifests.secrets().iter().for_each(|o| add(o.id(), &o.source));
    listed
}

#[test]
fn a_reload_gives_the_manifests_a_first_load_gives() {
    let dir = ManifestDir::with_files(&[
        (
            "a.yaml",
            &ingress_test_support::documents([class(), applied_route("team-a"), tls_secret()]),
        ),
        ("endpoints.yaml", &endpoints("10.0.0.1")),
        ("list.yaml", &list("api.example")),
    ]);
    let (mut reloading, _, _) = feed();
    let mut files = FileSource::new(dir.path(), INTERVAL);
    files.load(&mut reloading).expect("a load");
    dir.write("list.yaml", list("api2.example"));
    let reloaded = files.load(&mut reloading).expect("a reload");
    assert_eq!(reloaded.parsed, 1);

    let (mut fresh_feed, _, _) = feed();
    let fresh = FileSource::new(dir.path(), INTERVAL)
        .load(&mut fresh_feed)
        .expect("a load");
    let (reloaded, fresh) = (&reloaded.manifests, &fresh.manifests);
    assert_eq!(reloaded.ingresses(), fresh.ingresses());
    assert_eq!(reloaded.ingress_classes(), fresh.ingress_classes());
    assert_eq!(reloaded.services(), fresh.services());
    assert_eq!(reloaded.endpoint_slices(), fresh.endpoint_slices());
    assert!(reloaded.secrets() == fresh.secrets(), "the Secrets differ");
    assert_eq!(format!("{reloaded:?}"), format!("{fresh:?}"));

    // The same objects, duplicates and skipped kinds as a plain load,
    // in the same order, from the same places.
    let plain = ingress_kube::Manifests::load(dir.path()).expect("a plain load");
    assert_eq!(listed(reloaded), listed(&plain));
    assert_eq!(reloaded.duplicates(), plain.duplicates());
    assert_eq!(reloaded.skipped(), plain.skipped());
    assert_eq!(
        reloaded.services()[0].source.path.file_name(),
        Some("list.yaml".as_ref())
    );
    let secret = reloaded.secret("default", "web-tls").expect("the Secret, by name");
    #[cfg(feature = "tls")]
    assert_eq!(
        secret.object.data.as_ref().map(|data| data.len()),
        Some(2),
        "ca.crt dropped"
    );
    #[cfg(not(feature = "tls"))]
    assert_eq!(secret.object.data.as_ref().map(|data| data.len()), Some(3));
    assert!(
        !format!("{reloaded:?}").contains(TLS_DATA),
        "no Secret data in Debug output"
    );
}
