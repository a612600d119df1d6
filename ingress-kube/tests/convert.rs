//! Conversion of networking.k8s.io/v1 Ingresses into ingress-core's input:
//! field by field, invalid objects included.

mod common;

use std::time::{Duration, SystemTime};

use common::*;
use ingress_core::objects::{
    HttpIngressRuleValue, IngressRule, IngressServiceBackend, IngressSpec, IngressTls, ServiceBackendPort,
};
use ingress_core::validation::{Invalid, validate};
use ingress_core::{HttpIngressPath, IngressBackend};
use ingress_kube::{DEFAULT_NAMESPACE, convert_ingress};
use serde_json::json;

#[test]
fn every_modelled_field_is_copied() {
    let api = ingress(json!({
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {
            "name": "shop",
            "namespace": "retail",
            "creationTimestamp": "2024-05-01T12:00:00Z",
            "labels": { "app": "shop" },
            "annotations": { "nginx.ingress.kubernetes.io/rewrite-target": "/" }
        },
        "spec": {
            "ingressClassName": "gateway",
            "defaultBackend": { "resource": { "apiGroup": "k8s.example.com", "kind": "StorageBucket", "name": "static-assets" } },
            "tls": [
                { "hosts": ["shop.example", "*.shop.example"], "secretName": "shop-tls" },
                {}
            ],
            "rules": [
                { "host": "shop.example", "http": { "paths": [
                    { "path": "/api", "pathType": "Prefix", "backend": { "service": { "name": "api", "port": { "number": 8080 } } } },
                    { "path": "/grpc", "pathType": "ImplementationSpecific", "backend": { "service": { "name": "api", "port": { "name": "grpc" } } } },
                    { "pathType": "Exact", "backend": { "resource": { "kind": "Bucket", "name": "b" } } }
                ]}},
                { "host": "static.shop.example" },
                { "http": { "paths": [] } }
            ]
        },
        "status": { "loadBalancer": { "ingress": [{ "ip": "192.0.2.1" }] } }
    }));
    let converted = convert_ingress(&api);
    let service = |name: &str, number: Option<i32>, port_name: Option<&str>| IngressBackend {
        service: Some(IngressServiceBackend {
            name: name.into(),
            port: Some(ServiceBackendPort {
                name: port_name.map(Into::into),
                number,
            }),
        }),
        resource: None,
    };
    let expected = ingress_core::Ingress {
        namespace: "retail".into(),
        name: "shop".into(),
        creation_timestamp: Some(SystemTime::UNIX_EPOCH + Duration::from_secs(1_714_564_800)),
        spec: IngressSpec {
            ingress_class_name: Some("gateway".into()),
            default_backend: Some(IngressBackend::resource(
                Some("k8s.example.com"),
                "StorageBucket",
                "static-assets",
            )),
            rules: vec![
                IngressRule {
                    host: Some("shop.example".into()),
                    http: Some(HttpIngressRuleValue {
                        paths: vec![
                            HttpIngressPath::prefix("/api", service("api", Some(8080), None)),
                            HttpIngressPath::implementation_specific("/grpc", service("api", None, Some("grpc"))),
                            HttpIngressPath {
                                path: None,
                                path_type: Some("Exact".into()),
                                backend: IngressBackend::resource(None, "Bucket", "b"),
                            },
                        ],
                    }),
                },
                IngressRule {
                    host: Some("static.shop.example".into()),
                    http: None,
                },
                IngressRule {
                    host: None,
                    http: Some(HttpIngressRuleValue { paths: vec![] }),
                },
            ],
            tls: vec![
                IngressTls {
                    hosts: vec!["shop.example".into(), "*.shop.example".into()],
                    secret_name: Some("shop-tls".into()),
                },
                IngressTls::default(),
            ],
        },
    };
    assert_eq!(converted, expected);
}

#[test]
fn a_missing_namespace_is_default() {
    for metadata in [json!({ "name": "web" }), json!({ "name": "web", "namespace": "" })] {
        let api = ingress(json!({ "metadata": metadata, "spec": {} }));
        let converted = convert_ingress(&api);
        assert_eq!(converted.namespace, DEFAULT_NAMESPACE);
        assert_eq!(converted.key().to_string(), "default/web");
        assert_eq!(converted.creation_timestamp, None);
        assert_eq!(converted.spec, IngressSpec::default());
    }
}

/// The port as written, zero and empty included; ingress-core reads those
/// as unset, as the API server does.
#[test]
fn service_ports_are_kept_as_given() {
    let cases = [
        (
            json!({ "number": 80 }),
            Some(ServiceBackendPort {
                name: None,
                number: Some(80),
            }),
        ),
        (
            json!({ "name": "http" }),
            Some(ServiceBackendPort {
                name: Some("http".into()),
                number: None,
            }),
        ),
        (
            json!({ "number": 0 }),
            Some(ServiceBackendPort {
                name: None,
                number: Some(0),
            }),
        ),
        (
            json!({ "name": "" }),
            Some(ServiceBackendPort {
                name: Some(String::new()),
                number: None,
            }),
        ),
        (
            json!({ "name": "http", "number": 80 }),
            Some(ServiceBackendPort {
                name: Some("http".into()),
                number: Some(80),
            }),
        ),
        (json!({}), Some(ServiceBackendPort::default())),
        (json!(null), None),
    ];
    for (port, expected) in cases {
        let api = ingress(json!({
            "metadata": { "name": "web" },
            "spec": { "defaultBackend": { "service": { "name": "web", "port": port } } }
        }));
        let converted = convert_ingress(&api);
        let backend = converted.spec.default_backend.and_then(|b| b.service).unwrap();
        assert_eq!(backend.port, expected, "{port}");
    }
}

/// Invalid objects convert; ingress-core says what is wrong (V3, V6).
#[test]
fn invalid_objects_convert_and_validation_judges_them() {
    let api = ingress(json!({
        "metadata": { "name": "broken" },
        "spec": { "rules": [{ "http": { "paths": [
            { "path": "/a", "backend": { "service": { "name": "web", "port": { "number": 80 } } } },
            { "path": "/b", "pathType": "Regex", "backend": { "service": { "name": "web", "port": { "number": 0 } } } },
            { "path": "/c", "pathType": "Prefix", "backend": {} }
        ]}}]}
    }));
    let converted = convert_ingress(&api);
    let paths = &converted.spec.rules[0].http.as_ref().unwrap().paths;
    // k8s-openapi reads a missing pathType as "": both become None.
    assert_eq!(paths[0].path_type, None);
    assert_eq!(paths[1].path_type.as_deref(), Some("Regex"));

    let rejection = validate(&converted).unwrap_err();
    let found: Vec<_> = rejection
        .errors
        .iter()
        .map(|error| (error.field.as_str(), error.reason.rule()))
        .collect();
    assert_eq!(
        found,
        [
            ("spec.rules[0].http.paths[0].pathType", "V3"),
            ("spec.rules[0].http.paths[1].pathType", "V3"),
            ("spec.rules[0].http.paths[1].backend.service.port", "V6"),
            ("spec.rules[0].http.paths[2].backend", "V6"),
        ]
    );
    assert_eq!(rejection.errors[0].reason, Invalid::PathTypeMissing);
    assert_eq!(rejection.errors[1].reason, Invalid::PathTypeUnsupported("Regex".into()));
}

#[test]
fn the_seed_scenario_routes() {
    let api = ingress(json!({
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": { "name": "example-ingress" },
        "spec": { "rules": [{ "host": "hello.nginx.com", "http": { "paths": [
            { "path": "/", "pathType": "Prefix", "backend": { "service": { "name": "nginx-svc", "port": { "number": 80 } } } }
        ]}}]}
    }));
    let mut set = ingress_core::IngressSet::new();
    set.apply(&convert_ingress(&api));
    let table = compile(&set);
    assert_eq!(answer(&table, "hello.nginx.com", "/index.html"), "default/nginx-svc:80");
    assert_eq!(answer(&table, "other.example", "/"), "404");
}
