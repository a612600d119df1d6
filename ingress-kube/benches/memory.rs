//! Live bytes of each stage of the API-server feed for N Ingresses, N
//! Services and N EndpointSlices (issue #11), counted by a global
//! allocator that tallies every allocation and free.
//!
//! The objects have the shape the `kube_feed` benchmark of the gateway
//! gives its fake API server: written by a client-side `kubectl apply`
//! (labels, annotations, the last-applied copy, `managedFields`) and by the
//! EndpointSlice controller, plus the metadata the API server adds (uid,
//! resourceVersion, creationTimestamp, generation). Stages:
//!
//! - **decode churn**: bytes allocated in all (and freed again) to
//!   decode each object, as the cluster source decodes it and through
//!   kube's `DynamicObject::try_parse`, which it used before;
//! - **decoded**: the objects as the watcher hands them over, each behind
//!   an `Arc` as the store keeps it;
//! - **stripped**: the same after [`Strip`], what the reflector stores
//!   keep;
//! - **endpoint table**: the [`EndpointTable`] built from the stripped
//!   Services and EndpointSlices;
//! - **converted**: `ingress_core::Ingress` from each stripped Ingress,
//!   the [`IngressSet`] they are applied to, and the compiled
//!   `RouteTable` (set dropped).
//!
//! "Held" is bytes allocated minus bytes freed while a stage was built,
//! with the stage's input kept alive outside the count and its
//! temporaries dropped. Not a criterion benchmark: it prints one line per
//! stage. `cargo bench -p kube-ingress-kube --bench memory`; `MEMORY_N`
//! sets N (default 10000).
//!
//! The same objects from manifest files (`serve --manifests`) are counted
//! stage by stage too (`files:` lines, see `memory/files.rs`);
//! `MEMORY_STAGES=cluster` or `MEMORY_STAGES=files` runs one part only.

#![allow(clippy::print_stdout)]

#[path = "memory/files.rs"]
mod files;

use std::alloc::System;
use std::hint::black_box;
use std::sync::Arc;

use ingress_core::{IngressSet, TableOptions};
use ingress_kube::EndpointTable;
use ingress_kube::cluster::Strip;
use k8s_openapi::api::core::v1::Service;
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::networking::v1::Ingress;
use kube::Resource;
use kube::core::DynamicObject;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, Stats, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Namespaces the objects are spread over, as in the gateway's benchmark.
const NAMESPACES: usize = 50;

fn namespace(i: usize) -> String {
    format!("team-{:02}", i % NAMESPACES)
}

fn name(i: usize) -> String {
    format!("app-{i:05}")
}

/// What the API server adds to every object it stores.
fn server_fields(i: usize, kind: usize) -> Value {
    json!({
        "uid": format!("{kind:02x}3e4f5a-0000-4000-8000-{i:012x}"),
        "resourceVersion": (100_000 + i).to_string(),
        "creationTimestamp": "2026-11-02T09:14:27Z",
        "generation": 1,
    })
}

/// The labels the applied manifests carry.
fn labels(i: usize) -> Value {
    json!({
        "app.kubernetes.io/name": name(i),
        "app.kubernetes.io/part-of": namespace(i),
        "app.kubernetes.io/managed-by": "kubectl",
        "environment": "production",
    })
}

/// Every key of `value` as a `fieldsV1` entry (`f:` prefixed, leaves empty).
fn fields_v1(value: &Value) -> Value {
    match value {
        Value::Object(map) => map
            .iter()
            .map(|(key, inner)| (format!("f:{key}"), fields_v1(inner)))
            .collect::<serde_json::Map<_, _>>()
            .into(),
        _ => json!({}),
    }
}

/// An object as a client-side `kubectl apply` leaves it: the applied
/// `spec` in a last-applied annotation, `extra` annotations, labels,
/// one `managedFields` entry, and `filled` (what the server defaults)
/// merged into the spec.
fn applied(api_version: &str, kind: &str, i: usize, spec: Value, extra: &[(&str, &str)], filled: Value) -> Value {
    let metadata = json!({"name": name(i), "namespace": namespace(i), "labels": labels(i)});
    let last = json!({"apiVersion": api_version, "kind": kind, "metadata": metadata, "spec": spec});
    let mut annotations = serde_json::Map::new();
    annotations.insert(ingress_kube::cluster::LAST_APPLIED.into(), last.to_string().into());
    annotations.insert("owner".into(), format!("{}@bench.example", namespace(i)).into());
    for (key, value) in extra {
        annotations.insert((*key).into(), (*value).into());
    }
    let mut spec = spec;
    if let (Value::Object(spec), Value::Object(filled)) = (&mut spec, filled) {
        spec.extend(filled);
    }
    let managed = json!([{
        "manager": "kubectl-client-side-apply", "operation": "Update", "apiVersion": api_version,
        "time": "2026-11-02T09:14:27Z", "fieldsType": "FieldsV1",
        "fieldsV1": {"f:metadata": {"f:annotations": fields_v1(&Value::Object(annotations.clone())),
            "f:labels": fields_v1(&labels(i))}, "f:spec": fields_v1(&spec)},
    }]);
    let mut metadata = json!({"name": name(i), "namespace": namespace(i), "labels": labels(i),
        "annotations": annotations, "managedFields": managed});
    merge(&mut metadata, server_fields(i, kind.len()));
    json!({"apiVersion": api_version, "kind": kind, "metadata": metadata, "spec": spec})
}

fn merge(into: &mut Value, from: Value) {
    if let (Value::Object(into), Value::Object(from)) = (into, from) {
        into.extend(from);
    }
}

fn ingress(i: usize) -> Value {
    let backend = json!({"service": {"name": name(i), "port": {"name": "http"}}});
    let host = format!("{}.{}.bench.example", name(i), namespace(i));
    let spec = json!({"ingressClassName": "gateway", "rules": [{"host": host, "http": {"paths": [
        {"path": "/", "pathType": "Prefix", "backend": backend},
        {"path": "/api", "pathType": "Prefix", "backend": backend},
    ]}}]});
    let extra = [
        ("nginx.ingress.kubernetes.io/proxy-body-size", "8m"),
        ("prometheus.io/scrape", "true"),
    ];
    applied("networking.k8s.io/v1", "Ingress", i, spec, &extra, json!({}))
}

fn service(i: usize) -> Value {
    let spec = json!({"type": "ClusterIP", "selector": {"app.kubernetes.io/name": name(i)},
        "ports": [{"name": "http", "port": 80, "protocol": "TCP", "targetPort": 8080}]});
    let ip = format!("10.96.{}.{}", (i >> 8) & 0xff, i & 0xff);
    let filled = json!({"clusterIP": ip, "clusterIPs": [ip], "internalTrafficPolicy": "Cluster",
        "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack", "sessionAffinity": "None"});
    let mut service = applied("v1", "Service", i, spec, &[], filled);
    merge(&mut service, json!({"status": {"loadBalancer": {}}}));
    service
}

fn endpoint_slice(i: usize) -> Value {
    let mut metadata = json!({
        "name": format!("{}-x7k2p", name(i)), "namespace": namespace(i),
        "generateName": format!("{}-", name(i)),
        "labels": {"kubernetes.io/service-name": name(i),
            "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io",
            "app.kubernetes.io/name": name(i)},
        "annotations": {"endpoints.kubernetes.io/last-change-trigger-time": "2026-11-02T09:14:31Z"},
        "ownerReferences": [{"apiVersion": "v1", "kind": "Service", "name": name(i),
            "uid": format!("5c0b6a1e-0000-4000-8000-{i:012x}"), "controller": true, "blockOwnerDeletion": true}],
        "managedFields": [{"manager": "kube-controller-manager", "operation": "Update",
            "apiVersion": "discovery.k8s.io/v1", "time": "2026-11-02T09:14:31Z", "fieldsType": "FieldsV1",
            "fieldsV1": {"f:addressType": {}, "f:endpoints": {}, "f:ports": {},
                "f:metadata": {"f:annotations": {}, "f:generateName": {}, "f:labels": {}, "f:ownerReferences": {}}}}],
    });
    merge(&mut metadata, server_fields(i, 3));
    json!({
        "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "metadata": metadata,
        "addressType": "IPv4",
        "endpoints": [{
            "addresses": [format!("10.244.{}.{}", (i >> 8) & 0xff, i & 0xff)],
            "conditions": {"ready": true, "serving": true, "terminating": false},
            "nodeName": format!("node-{}", i % 7),
            "targetRef": {"kind": "Pod", "name": format!("{}-6d9f7c5b8-q2w4e", name(i)),
                "namespace": namespace(i), "uid": format!("9a1f0c3d-0000-4000-8000-{i:012x}")},
            "zone": format!("zone-{}", i % 3),
        }],
        "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}],
    })
}

/// Bytes still allocated out of those allocated in the region.
fn held(change: Stats) -> isize {
    let allocated = isize::try_from(change.bytes_allocated).unwrap_or(isize::MAX);
    let freed = isize::try_from(change.bytes_deallocated).unwrap_or(isize::MAX);
    allocated - freed
}

fn report(stage: &str, objects: usize, bytes: isize) {
    let per_object = bytes / isize::try_from(objects.max(1)).unwrap_or(1);
    let mib = bytes as f64 / (1024.0 * 1024.0);
    println!("memory: {stage:<44} {bytes:>11} bytes ({mib:7.2} MiB) {per_object:>6} B/object");
}

/// One object as the cluster source decodes it: kube's watcher hands
/// over a `DynamicObject` (typed metadata, the rest a JSON tree); its
/// metadata is moved into the type and the tree decoded by value.
fn parse<K: DeserializeOwned + Resource>(text: &[u8]) -> K {
    let object: DynamicObject = serde_json::from_slice(text).unwrap_or_else(|error| panic!("bench object: {error}"));
    let mut parsed: K = serde_json::from_value(object.data).unwrap_or_else(|error| panic!("bench object: {error}"));
    *parsed.meta_mut() = object.metadata;
    parsed
}

/// The same through `DynamicObject::try_parse`, which writes the whole
/// object back into a second tree first (the cluster source's decode
/// before it).
fn try_parse<K: DeserializeOwned + Resource>(text: &[u8]) -> K {
    let object: DynamicObject = serde_json::from_slice(text).unwrap_or_else(|error| panic!("bench object: {error}"));
    object
        .try_parse()
        .unwrap_or_else(|error| panic!("bench object: {error}"))
}

/// The objects of `texts` decoded, each behind an `Arc`, stripped or not;
/// with the bytes they hold.
fn decode<K: DeserializeOwned + Resource + Strip>(texts: &[Vec<u8>], strip: bool) -> (Vec<Arc<K>>, isize) {
    let region = Region::new(GLOBAL);
    let objects: Vec<Arc<K>> = texts
        .iter()
        .map(|text| {
            let mut object: K = parse(text);
            if strip {
                object.strip();
            }
            Arc::new(object)
        })
        .collect();
    (objects, held(region.change()))
}

/// Bytes allocated in all (most freed again at once) to decode each of
/// `texts` by `decode` and drop it.
fn churn<K>(texts: &[Vec<u8>], decode: fn(&[u8]) -> K) -> isize {
    let region = Region::new(GLOBAL);
    for text in texts {
        drop(black_box(decode(text)));
    }
    isize::try_from(region.change().bytes_allocated).unwrap_or(isize::MAX)
}

fn encoded(n: usize, object: fn(usize) -> Value) -> Vec<Vec<u8>> {
    (0..n).map(|i| object(i).to_string().into_bytes()).collect()
}

fn main() {
    let n: usize = std::env::var("MEMORY_N")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(10_000);
    let stages = std::env::var("MEMORY_STAGES").unwrap_or_default();
    if stages != "files" {
        cluster(n);
    }
    if stages != "cluster" {
        files::run(n);
    }
}

/// The cluster feed's stages.
fn cluster(n: usize) {
    let ingresses = encoded(n, ingress);
    let services = encoded(n, service);
    let slices = encoded(n, endpoint_slice);
    let wire: usize = [&ingresses, &services, &slices]
        .iter()
        .flat_map(|texts| texts.iter())
        .map(Vec::len)
        .sum();
    println!("memory: {n} Ingresses, {n} Services, {n} EndpointSlices; {wire} bytes of JSON");

    for (label, bytes) in [
        (
            "(a) decode churn, try_parse",
            [
                churn::<Ingress>(&ingresses, try_parse),
                churn::<Service>(&services, try_parse),
                churn::<EndpointSlice>(&slices, try_parse),
            ],
        ),
        (
            "(a) decode churn, as the source decodes",
            [
                churn::<Ingress>(&ingresses, parse),
                churn::<Service>(&services, parse),
                churn::<EndpointSlice>(&slices, parse),
            ],
        ),
    ] {
        report(label, 3 * n, bytes.iter().sum());
    }

    let (mut decoded, mut stripped) = (0isize, 0isize);
    for (strip, label) in [(false, "decoded"), (true, "stripped")] {
        let (kept_ingresses, i_bytes) = decode::<Ingress>(&ingresses, strip);
        let (kept_services, s_bytes) = decode::<Service>(&services, strip);
        let (kept_slices, e_bytes) = decode::<EndpointSlice>(&slices, strip);
        report(&format!("(a/b) {label} Ingresses"), n, i_bytes);
        report(&format!("(a/b) {label} Services"), n, s_bytes);
        report(&format!("(a/b) {label} EndpointSlices"), n, e_bytes);
        let all = i_bytes + s_bytes + e_bytes;
        report(&format!("(a/b) {label}, all three kinds"), 3 * n, all);
        *(if strip { &mut stripped } else { &mut decoded }) = all;
        if !strip {
            drop((kept_ingresses, kept_services, kept_slices));
            continue;
        }

        let region = Region::new(GLOBAL);
        let table = EndpointTable::from_objects(
            kept_services.iter().map(|service| &**service),
            kept_slices.iter().map(|slice| &**slice),
        );
        report("(c) EndpointTable", n, held(region.change()));
        assert!(table.findings().is_empty(), "every bench Service resolves");
        black_box(&table);

        let region = Region::new(GLOBAL);
        let converted: Vec<ingress_core::Ingress> = kept_ingresses
            .iter()
            .map(|ingress| ingress_kube::convert_ingress(ingress))
            .collect();
        report("(d) converted ingress_core::Ingress", n, held(region.change()));

        let region = Region::new(GLOBAL);
        let mut set = IngressSet::new();
        for ingress in &converted {
            set.apply(ingress);
        }
        report("(d) IngressSet", n, held(region.change()));

        let region = Region::new(GLOBAL);
        let routes = set.compile(&TableOptions::default());
        report("(d) RouteTable (compiled)", n, held(region.change()));
        assert_eq!(routes.report().diagnostics().len(), 0, "every bench Ingress is valid");
        black_box((&routes, &set, &converted, &kept_ingresses, &kept_services, &kept_slices));
    }
    println!(
        "memory: stripping keeps {:.1}% of the decoded bytes",
        100.0 * stripped as f64 / decoded.max(1) as f64
    );
}
