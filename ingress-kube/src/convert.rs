//! `networking.k8s.io/v1` Ingress objects (k8s-openapi types) to
//! ingress-core's input, field by field.
//!
//! The conversion never fails and never judges: an object the API server
//! would reject converts just as well, and [`validate`](ingress_core::validation::validate()) (or
//! [`IngressSet::apply`](ingress_core::IngressSet::apply)) says what is wrong
//! with it, with the field path, as V8 asks.
//!
//! ```
//! use k8s_openapi::api::networking::v1::Ingress;
//!
//! let api: Ingress = serde_json::from_value(serde_json::json!({
//!     "apiVersion": "networking.k8s.io/v1",
//!     "kind": "Ingress",
//!     "metadata": { "name": "example-ingress" },
//!     "spec": { "rules": [{ "host": "hello.nginx.com", "http": { "paths": [{
//!         "path": "/", "pathType": "Prefix",
//!         "backend": { "service": { "name": "nginx-svc", "port": { "number": 80 } } }
//!     }]}}]}
//! })).unwrap();
//!
//! let ingress = ingress_kube::convert_ingress(&api);
//! // No `metadata.namespace`: the object is in "default", as kubectl reads it.
//! assert_eq!(ingress.key().to_string(), "default/example-ingress");
//! assert!(ingress_core::validation::validate(&ingress).is_ok());
//! ```

use std::time::{Duration, SystemTime};

use ingress_core::objects;
use k8s_openapi::api::core::v1 as core_api;
use k8s_openapi::api::networking::v1 as api;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};

/// The namespace of a namespaced object whose `metadata.namespace` is unset
/// or empty, as `kubectl apply` reads a manifest without one.
pub const DEFAULT_NAMESPACE: &str = "default";

/// `metadata.namespace`, or [`DEFAULT_NAMESPACE`] when it is unset or empty.
pub fn namespace_of(metadata: &ObjectMeta) -> &str {
    metadata
        .namespace
        .as_deref()
        .filter(|namespace| !namespace.is_empty())
        .unwrap_or(DEFAULT_NAMESPACE)
}

/// Converts an Ingress, keeping everything ingress-core models:
///
/// - `metadata.namespace` (or [`DEFAULT_NAMESPACE`] when unset or empty),
///   `metadata.name`, and `metadata.creationTimestamp` as a [`SystemTime`];
/// - `spec.ingressClassName`, `spec.defaultBackend`, `spec.rules` and
///   `spec.tls`, in order;
/// - `pathType` as the raw string, so that V3 judges it. k8s-openapi reads
///   a missing `pathType` as the empty string; both become `None`, which V3
///   reports as required;
/// - service ports as given: number 0 and the empty name included, which
///   ingress-core reads as unset, as the API server does.
///
/// Labels, annotations, `status` and the other metadata are not part of
/// routing and are dropped; class selection reads them from the API object
/// ([`ClassSelector`](crate::ClassSelector)).
pub fn convert_ingress(ingress: &api::Ingress) -> objects::Ingress {
    let metadata = &ingress.metadata;
    let spec = ingress.spec.as_ref();
    objects::Ingress {
        namespace: namespace_of(metadata).to_owned(),
        name: metadata.name.clone().unwrap_or_default(),
        creation_timestamp: metadata.creation_timestamp.as_ref().and_then(system_time),
        spec: objects::IngressSpec {
            ingress_class_name: spec.and_then(|spec| spec.ingress_class_name.clone()),
            default_backend: spec.and_then(|spec| spec.default_backend.as_ref()).map(backend),
            rules: spec
                .and_then(|spec| spec.rules.as_deref())
                .unwrap_or_default()
                .iter()
                .map(rule)
                .collect(),
            tls: spec
                .and_then(|spec| spec.tls.as_deref())
                .unwrap_or_default()
                .iter()
                .map(tls)
                .collect(),
        },
    }
}

/// A Kubernetes `Time` as a [`SystemTime`]; `None` only for instants the
/// platform's clock cannot represent.
pub(crate) fn system_time(time: &Time) -> Option<SystemTime> {
    let timestamp = time.0;
    // jiff gives the sub-second part the sign of the whole.
    let offset = Duration::new(
        timestamp.as_second().unsigned_abs(),
        timestamp.subsec_nanosecond().unsigned_abs(),
    );
    if timestamp.as_second() < 0 || timestamp.subsec_nanosecond() < 0 {
        SystemTime::UNIX_EPOCH.checked_sub(offset)
    } else {
        SystemTime::UNIX_EPOCH.checked_add(offset)
    }
}

fn rule(rule: &api::IngressRule) -> objects::IngressRule {
    objects::IngressRule {
        host: rule.host.clone(),
        http: rule.http.as_ref().map(|http| objects::HttpIngressRuleValue {
            paths: http.paths.iter().map(path).collect(),
        }),
    }
}

fn path(path: &api::HTTPIngressPath) -> objects::HttpIngressPath {
    objects::HttpIngressPath {
        path: path.path.clone(),
        path_type: Some(path.path_type.clone()).filter(|path_type| !path_type.is_empty()),
        backend: backend(&path.backend),
    }
}

fn backend(backend: &api::IngressBackend) -> objects::IngressBackend {
    objects::IngressBackend {
        service: backend.service.as_ref().map(|service| objects::IngressServiceBackend {
            name: service.name.clone(),
            port: service.port.as_ref().map(|port| objects::ServiceBackendPort {
                name: port.name.clone(),
                number: port.number,
            }),
        }),
        resource: backend.resource.as_ref().map(resource),
    }
}

fn resource(resource: &core_api::TypedLocalObjectReference) -> objects::TypedLocalObjectReference {
    objects::TypedLocalObjectReference {
        api_group: resource.api_group.clone(),
        kind: resource.kind.clone(),
        name: resource.name.clone(),
    }
}

fn tls(tls: &api::IngressTLS) -> objects::IngressTls {
    objects::IngressTls {
        hosts: tls.hosts.clone().unwrap_or_default(),
        secret_name: tls.secret_name.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Option<SystemTime> {
        system_time(&Time(text.parse().unwrap()))
    }

    #[test]
    fn creation_timestamps_keep_their_instant() {
        let epoch = SystemTime::UNIX_EPOCH;
        assert_eq!(at("1970-01-01T00:00:00Z"), Some(epoch));
        assert_eq!(
            at("2024-05-01T12:00:00Z"),
            Some(epoch + Duration::from_secs(1_714_564_800))
        );
        assert_eq!(at("1970-01-01T00:00:01.5Z"), Some(epoch + Duration::from_millis(1500)));
        assert_eq!(at("1969-12-31T23:59:58.5Z"), Some(epoch - Duration::from_millis(1500)));
    }
}
