//! The benchmark's cluster: Ingresses with their Services and
//! EndpointSlices, written as `kubectl apply` leaves them (labels,
//! annotations, the last-applied copy, `managedFields`), so that the
//! source's stripping and the stores' memory see realistic objects.

use serde_json::{Value, json};

/// Namespaces the objects are spread over.
pub const NAMESPACES: usize = 50;

/// The IngressClass every Ingress names.
pub const CLASS: &str = "gateway";

/// The default IngressClass, ours.
pub fn class() -> Value {
    json!({
        "apiVersion": "networking.k8s.io/v1", "kind": "IngressClass",
        "metadata": {"name": CLASS,
            "annotations": {"ingressclass.kubernetes.io/is-default-class": "true"}},
        "spec": {"controller": ingress_kube::DEFAULT_CONTROLLER},
    })
}

/// Object `i`'s namespace.
pub fn namespace(i: usize) -> String {
    format!("team-{:02}", i % NAMESPACES)
}

/// Object `i`'s name (Ingress, Service and slice prefix alike).
pub fn name(i: usize) -> String {
    format!("app-{i:05}")
}

/// The host Ingress `i` is created with.
pub fn host(i: usize) -> String {
    format!("{}.{}.bench.example", name(i), namespace(i))
}

fn labels(i: usize) -> Value {
    json!({
        "app.kubernetes.io/name": name(i),
        "app.kubernetes.io/part-of": namespace(i),
        "app.kubernetes.io/managed-by": "kubectl",
        "environment": "production",
    })
}

/// `managedFields` as a client-side `kubectl apply` writes them: one
/// entry for the annotations, the labels and every `spec` field set.
fn managed_fields(spec: &Value) -> Value {
    json!([{
        "manager": "kubectl-client-side-apply",
        "operation": "Update",
        "apiVersion": "v1",
        "time": "2026-11-02T09:14:27Z",
        "fieldsType": "FieldsV1",
        "fieldsV1": {
            "f:metadata": {"f:annotations": {".": {}, "f:kubectl.kubernetes.io/last-applied-configuration": {},
                "f:owner": {}},
                "f:labels": {".": {}, "f:app.kubernetes.io/managed-by": {}, "f:app.kubernetes.io/name": {},
                    "f:app.kubernetes.io/part-of": {}, "f:environment": {}}},
            "f:spec": field_paths(spec),
        },
    }])
}

/// An object as `kubectl apply` leaves it: labels, the annotations given
/// plus the last-applied copy of what was applied, and `managedFields`;
/// `fill` adds the fields the API server sets (kept out of the copy).
fn applied(api_version: &str, kind: &str, i: usize, spec: &Value, annotations: &[(&str, &str)], fill: Value) -> Value {
    let metadata = json!({"name": name(i), "namespace": namespace(i), "labels": labels(i)});
    let last = json!({"apiVersion": api_version, "kind": kind, "metadata": metadata, "spec": spec});
    let mut all = serde_json::Map::new();
    all.insert(
        "kubectl.kubernetes.io/last-applied-configuration".into(),
        json!(last.to_string()),
    );
    all.insert("owner".into(), json!(format!("{}@bench.example", namespace(i))));
    for (key, value) in annotations {
        all.insert((*key).into(), json!(value));
    }
    let mut spec = spec.clone();
    if let (Some(spec), Value::Object(fill)) = (spec.as_object_mut(), fill) {
        spec.extend(fill);
    }
    json!({
        "apiVersion": api_version, "kind": kind,
        "metadata": {"name": name(i), "namespace": namespace(i), "labels": labels(i),
            "annotations": all, "managedFields": managed_fields(&spec)},
        "spec": spec,
    })
}

/// A `fieldsV1`-like tree of `value`'s keys (lists as leaves).
fn field_paths(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(key, inner)| (format!("f:{key}"), field_paths(inner)))
                .collect(),
        ),
        _ => json!({}),
    }
}

/// Ingress `i` routing `host` (`/` and `/api`) to Service `name(i)`,
/// named `name`.
pub fn ingress_named(i: usize, name: &str, host: &str) -> Value {
    let backend = json!({"service": {"name": self::name(i), "port": {"name": "http"}}});
    let spec = json!({"ingressClassName": CLASS, "rules": [{"host": host, "http": {"paths": [
        {"path": "/", "pathType": "Prefix", "backend": backend},
        {"path": "/api", "pathType": "Prefix", "backend": backend},
    ]}}]});
    let annotations = [
        ("nginx.ingress.kubernetes.io/proxy-body-size", "8m"),
        ("prometheus.io/scrape", "true"),
    ];
    let mut object = applied("networking.k8s.io/v1", "Ingress", i, &spec, &annotations, json!({}));
    if let Some(metadata) = object.get_mut("metadata").and_then(Value::as_object_mut) {
        metadata.insert("name".into(), json!(name));
    }
    object
}

/// Ingress `name(i)` routing `host` (`/` and `/api`) to Service `name(i)`.
pub fn ingress(i: usize, host: &str) -> Value {
    ingress_named(i, &name(i), host)
}

/// Service `name(i)`: port 80 (`http`) to `target_port`.
pub fn service(i: usize, target_port: u16) -> Value {
    let spec = json!({"type": "ClusterIP", "selector": {"app.kubernetes.io/name": name(i)},
        "ports": [{"name": "http", "port": 80, "protocol": "TCP", "targetPort": target_port}]});
    let ip = format!("10.96.{}.{}", (i >> 8) & 0xff, i & 0xff);
    let fill = json!({"clusterIP": ip, "clusterIPs": [ip], "internalTrafficPolicy": "Cluster",
        "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack", "sessionAffinity": "None"});
    let mut service = applied("v1", "Service", i, &spec, &[], fill);
    if let Some(fields) = service.as_object_mut() {
        fields.insert("status".into(), json!({"loadBalancer": {}}));
    }
    service
}

/// The EndpointSlice of Service `name(i)`, as the EndpointSlice
/// controller writes it: one ready endpoint, `127.0.0.1:port`.
pub fn endpoint_slice(i: usize, port: u16) -> Value {
    json!({
        "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
        "metadata": {
            "name": format!("{}-x7k2p", name(i)), "namespace": namespace(i),
            "generateName": format!("{}-", name(i)),
            "labels": {"kubernetes.io/service-name": name(i),
                "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io",
                "app.kubernetes.io/name": name(i)},
            "annotations": {"endpoints.kubernetes.io/last-change-trigger-time": "2026-11-02T09:14:31Z"},
            "ownerReferences": [{"apiVersion": "v1", "kind": "Service", "name": name(i),
                "uid": format!("5c0b6a1e-0000-4000-8000-{i:012x}"),
                "controller": true, "blockOwnerDeletion": true}],
            "managedFields": [{"manager": "kube-controller-manager", "operation": "Update",
                "apiVersion": "discovery.k8s.io/v1", "time": "2026-11-02T09:14:31Z",
                "fieldsType": "FieldsV1", "fieldsV1": {"f:addressType": {}, "f:endpoints": {},
                    "f:metadata": {"f:annotations": {}, "f:generateName": {}, "f:labels": {},
                        "f:ownerReferences": {}}, "f:ports": {}}}],
        },
        "addressType": "IPv4",
        "endpoints": [{
            "addresses": ["127.0.0.1"],
            "conditions": {"ready": true, "serving": true, "terminating": false},
            "nodeName": format!("node-{}", i % 7),
            "targetRef": {"kind": "Pod", "name": format!("{}-6d9f7c5b8-q2w4e", name(i)),
                "namespace": namespace(i), "uid": format!("9a1f0c3d-0000-4000-8000-{i:012x}")},
            "zone": format!("zone-{}", i % 3),
        }],
        "ports": [{"name": "http", "port": port, "protocol": "TCP"}],
    })
}
