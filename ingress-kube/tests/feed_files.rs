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
