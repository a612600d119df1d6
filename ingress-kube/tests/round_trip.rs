//! Real-world-shaped manifests load without error, lose nothing, and route
//! as the Kubernetes docs say: the docs' examples, and objects as
//! `kubectl get -o yaml` and the API server return them (`status`,
//! `managedFields`, annotations, labels, `kind: List`, typed lists).

// The helpers index `serde_json::Value`s and maps they built themselves:
// a missing key is a failed test either way.
#![allow(clippy::indexing_slicing)]

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::*;
use ingress_core::table::DiagnosticKind;
use ingress_kube::{ClassSelector, Manifests, ObjectId, load_set};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde_json::{Value, json};

/// Every object of the fixture files under `dir`, as plain JSON values by
/// identity, Lists unwrapped, read independently of this crate.
fn expected_objects(dir: &Path) -> BTreeMap<String, Value> {
    let mut objects = BTreeMap::new();
    for entry in std::fs::read_dir(dir).expect("a fixture directory") {
        let path = entry.expect("an entry").path();
        let text = std::fs::read_to_string(&path).expect("a fixture");
        let documents: Vec<Value> = if path.extension().is_some_and(|e| e == "json") {
            vec![serde_json::from_str(&text).expect("JSON")]
        } else {
            serde_saphyr::from_multiple(&text).expect("YAML")
        };
        for document in documents {
            let kind = document["kind"].as_str().expect("a kind").to_owned();
            let items = match kind.strip_suffix("List") {
                Some(item_kind) => {
                    let mut items = document["items"].as_array().cloned().unwrap_or_default();
                    for item in &mut items {
                        item.as_object_mut()
                            .expect("an object")
                            .entry("kind")
                            .or_insert(json!(item_kind));
                        let api_version = document["apiVersion"].clone();
                        item.as_object_mut()
                            .expect("an object")
                            .entry("apiVersion")
                            .or_insert(api_version);
                    }
                    items
                }
                None => vec![document],
            };
            for item in items {
                let namespace = item["metadata"]["namespace"].as_str().unwrap_or("default");
                let key = format!(
                    "{} {namespace}/{}",
                    item["kind"].as_str().expect("a kind"),
                    item["metadata"]["name"]
                );
                objects.insert(key.replace('"', ""), item);
            }
        }
    }
    objects
}

/// Every object loaded, serialised back to JSON, by identity.
fn loaded_objects(manifests: &Manifests) -> BTreeMap<String, Value> {
    fn key(id: &ObjectId) -> String {
        let namespace = id.namespace.as_deref().unwrap_or("default");
        format!("{} {namespace}/{}", id.kind, id.name)
    }
    let mut objects = BTreeMap::new();
    let mut add = |id: ObjectId, value: Value| objects.insert(key(&id), value);
    manifests
        .ingresses()
        .iter()
        .for_each(|o| _ = add(o.id(), serde_json::to_value(&o.object).expect("JSON")));
    manifests
        .ingress_classes()
        .iter()
        .for_each(|o| _ = add(o.id(), serde_json::to_value(&o.object).expect("JSON")));
    manifests
        .services()
        .iter()
        .for_each(|o| _ = add(o.id(), serde_json::to_value(&o.object).expect("JSON")));
    manifests
        .endpoint_slices()
        .iter()
        .for_each(|o| _ = add(o.id(), serde_json::to_value(&o.object).expect("JSON")));
    manifests
        .secrets()
        .iter()
        .for_each(|o| _ = add(o.id(), serde_json::to_value(&o.object).expect("JSON")));
    objects
}

/// Loading loses nothing: each object serialises back to what was written.
fn assert_lossless(dir: &str, skipped_kinds: &[&str]) {
    let manifests = Manifests::load(fixture(dir)).expect("fixtures");
    assert!(manifests.errors().is_empty(), "{:?}", manifests.errors());
    assert!(manifests.duplicates().is_empty(), "{:?}", manifests.duplicates());
    let skipped: Vec<_> = manifests.skipped().iter().map(|s| s.kind.as_str()).collect();
    assert_eq!(skipped, skipped_kinds);

    let mut expected = expected_objects(&fixture(dir));
    expected.retain(|key, _| !skipped_kinds.iter().any(|kind| key.starts_with(&format!("{kind} "))));
    let loaded = loaded_objects(&manifests);
    assert_eq!(loaded.keys().collect::<Vec<_>>(), expected.keys().collect::<Vec<_>>());
    for (key, value) in &expected {
        assert_eq!(&loaded[key], value, "{key}");
    }
}

#[test]
fn the_docs_examples_load_without_loss() {
    assert_lossless("docs", &[]);
}

#[test]
fn cluster_output_loads_without_loss() {
    assert_lossless("cluster", &["Pod"]);
}

#[test]
fn the_docs_examples_route_as_documented() {
    // nginx-example, the docs' default class, made ours.
    let loaded = load_set(fixture("docs"), &ClassSelector::new("k8s.io/ingress-nginx")).unwrap();
    let manifests = loaded.manifests();
    assert_eq!(manifests.files(), 8);
    assert_eq!(manifests.ingresses().len(), 8);
    assert_eq!(manifests.ingress_classes().len(), 2);
    assert_eq!(manifests.secrets().len(), 1);
    assert!(loaded.ignored().is_empty(), "{:?}", loaded.ignored());
    assert_eq!(loaded.set().len(), 8);

    let minimal = &manifests
        .ingresses()
        .iter()
        .find(|i| i.id().name == "minimal-ingress")
        .unwrap()
        .object;
    let annotations = minimal.metadata.annotations.as_ref().unwrap();
    assert_eq!(annotations["nginx.ingress.kubernetes.io/rewrite-target"], "/");

    let table = compile(loaded.set());
    // Nothing rejected; the examples overlap where expected: two default
    // backends for the host-less level, and Prefix /bar on foo.bar.com in
    // both the fanout and the wildcard examples.
    let found: Vec<_> = table
        .report()
        .diagnostics()
        .iter()
        .map(|d| (d.object.to_string(), d.kind.rule()))
        .collect();
    assert_eq!(
        found,
        [
            ("default/simple-fanout-example".to_owned(), "M6"),
            ("default/test-ingress".to_owned(), "M7"),
        ],
        "{}",
        table.report()
    );
    assert!(
        matches!(&table.report().diagnostics()[0].kind, DiagnosticKind::Conflict { winner, .. } if winner.object.name() == "ingress-wildcard-host")
    );

    let cases = [
        // Simple fanout.
        ("foo.bar.com", "/foo", "default/service1:4200"),
        ("foo.bar.com", "/foo/x", "default/service1:4200"),
        ("foo.bar.com", "/bar", "default/service1:80"),
        // Name-based virtual hosting.
        ("foo.bar.com", "/", "default/service1:80"),
        ("bar.foo.com", "/anything", "default/service2:80"),
        ("first.bar.com", "/", "default/service1:80"),
        ("second.bar.com", "/", "default/service2:80"),
        // Any other host: the host-less rules.
        ("third.bar.com", "/", "default/service3:80"),
        ("third.bar.com", "/testpath/x", "default/test:80"),
        (
            "third.bar.com",
            "/icons/a.png",
            "StorageBucket.k8s.example.com/default/icon-assets",
        ),
        // Wildcard: exactly one label.
        ("baz.foo.com", "/foo", "default/service2:80"),
        ("baz.foo.com", "/bar", "404"),
        ("a.baz.foo.com", "/foo", "default/service3:80"),
        // TLS example.
        ("https-example.foo.com", "/", "default/service1:80"),
    ];
    for (host, target, expected) in cases {
        assert_eq!(answer(&table, host, target), expected, "{host}{target}");
    }
}

#[test]
fn cluster_output_keeps_what_a_gateway_needs() {
    let loaded = load_set(fixture("cluster"), &ClassSelector::default()).unwrap();
    let manifests = loaded.manifests();
    assert_eq!(manifests.files(), 5);

    // The default class `gateway` is ours; `shop` names it.
    assert!(loaded.ignored().is_empty(), "{:?}", loaded.ignored());
    let table = compile(loaded.set());
    assert!(table.report().is_empty(), "{}", table.report());
    assert_eq!(answer(&table, "hello.nginx.com", "/"), "default/nginx-svc:80");
    assert_eq!(answer(&table, "shop.example.com", "/api/cart"), "shop/shop-api:http");
    assert_eq!(
        answer(&table, "shop.example.com", "/grpc.Shop/Get"),
        "shop/shop-api:grpc"
    );

    // Sources: the items of a YAML List by line; in JSON, items have only
    // the line of their document.
    let example = &manifests
        .ingresses()
        .iter()
        .find(|i| i.id().name == "example-ingress")
        .unwrap()
        .source;
    assert!(example.path.ends_with("kubectl-get-o-yaml.yaml"));
    assert_eq!((example.document, example.line, example.item), (1, 40, Some(1)));
    let pod = &manifests.skipped()[0];
    assert_eq!(
        (pod.api_version.as_str(), pod.source.line, pod.source.item),
        ("v1", 175, Some(4))
    );
    let shop = &manifests
        .ingresses()
        .iter()
        .find(|i| i.id().name == "shop")
        .unwrap()
        .source;
    assert_eq!(
        shop.to_string(),
        format!("{}:1 (document 1, items[0])", shop.path.display())
    );

    // Services with named ports and named target ports.
    let shop_api = &manifests
        .services()
        .iter()
        .find(|s| s.id().name == "shop-api")
        .unwrap()
        .object;
    let ports: Vec<_> = shop_api
        .spec
        .as_ref()
        .unwrap()
        .ports
        .as_ref()
        .unwrap()
        .iter()
        .map(|p| (p.name.clone().unwrap(), p.port, p.target_port.clone().unwrap()))
        .collect();
    assert_eq!(
        ports,
        [
            ("http".to_owned(), 80, IntOrString::String("http-api".into())),
            ("grpc".to_owned(), 9090, IntOrString::String("grpc".into())),
            ("metrics".to_owned(), 9113, IntOrString::Int(9113)),
        ]
    );

    // EndpointSlices with ready and not-ready endpoints.
    let slice = &manifests
        .endpoint_slices()
        .iter()
        .find(|s| s.id().name == "shop-api-r8tnv")
        .unwrap()
        .object;
    let ready: Vec<_> = slice
        .endpoints
        .iter()
        .flatten()
        .map(|e| (e.addresses[0].as_str(), e.conditions.as_ref().and_then(|c| c.ready)))
        .collect();
    assert_eq!(
        ready,
        [
            ("10.244.1.17", Some(true)),
            ("10.244.2.9", Some(false)),
            ("10.244.2.4", Some(false))
        ]
    );
    let labels = slice.metadata.labels.as_ref().unwrap();
    assert_eq!(labels["kubernetes.io/service-name"], "shop-api");

    // A TLS Secret, decoded.
    let secret = &manifests.secrets()[0].object;
    assert_eq!(secret.type_.as_deref(), Some("kubernetes.io/tls"));
    let data = secret.data.as_ref().unwrap();
    assert!(data["tls.crt"].0.starts_with(b"-----BEGIN CERTIFICATE-----"));
    assert!(data["tls.key"].0.starts_with(b"-----BEGIN EC PRIVATE KEY-----"));
}

/// T3: printing what was loaded never shows a Secret's data.
#[test]
fn debug_output_never_shows_secret_data() {
    let loaded = load_set(fixture("cluster"), &ClassSelector::default()).unwrap();
    let printed = [
        format!("{loaded:?}"),
        format!("{:#?}", loaded.manifests()),
        format!("{:?}", loaded.manifests().secrets()),
    ];
    for text in printed {
        assert!(text.contains("Secret shop/shop-tls"), "{text}");
        for secret in ["LS0t", "BEGIN", "[45, 45", "tls.crt", "45,\n"] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
    }
}
