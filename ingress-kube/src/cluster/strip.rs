//! What the stores keep: each object without the fields routing never
//! reads, stripped before it is stored so that the stores stay small. The
//! manifest loader strips the objects of a `FileSource` with the same code
//! (`manifests/strip.rs`), which this trait calls.

use k8s_openapi::api::core::v1::Service;
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::networking::v1::{Ingress, IngressClass};

use crate::manifests::strip::StripUnread as _;

/// The annotation `kubectl apply` keeps a full copy of the object in.
pub const LAST_APPLIED: &str = crate::manifests::strip::LAST_APPLIED;

/// An object kind the cluster source watches, and what of it is dropped
/// before it is stored: what neither routing, nor the status writer, nor
/// Events read.
///
/// Every kind keeps, of its metadata, the name, namespace, uid,
/// resourceVersion, generation and creation and deletion timestamps (the
/// store's key, the status writer's and Events' reference, M6's order),
/// and only the labels and annotations read:
///
/// - **Ingress**: only the legacy class annotation
///   ([`INGRESS_CLASS_ANNOTATION`](crate::INGRESS_CLASS_ANNOTATION), O1),
///   no label (this controller takes no options from annotations: other
///   controllers' annotations, often many per Ingress, are dropped); the
///   whole `spec`, and the `status` (a few addresses: the status writer
///   compares it with what it would write).
/// - **IngressClass**: only the default-class annotation
///   ([`IS_DEFAULT_CLASS_ANNOTATION`](crate::IS_DEFAULT_CLASS_ANNOTATION),
///   O2), no label; the whole `spec`.
/// - **Service**: no label or annotation; of `spec`, `type`,
///   `externalName`, `clusterIP`, `externalIPs` and each port's `name`,
///   `port` and `protocol` (B1 and `--publish-service`); of `status`, the
///   load balancer's addresses.
/// - **EndpointSlice**: the
///   [`SERVICE_NAME_LABEL`](crate::SERVICE_NAME_LABEL), no annotation;
///   `addressType`, each port's `name` and `port`, each endpoint's
///   `addresses` and `conditions.ready` (B1).
///
/// So `managedFields` and the [`LAST_APPLIED`] copy are never stored, and
/// a change to a field dropped here leaves the stored object equal to the
/// last one. The lists kept are shrunk to their length.
///
/// ```
/// use ingress_kube::cluster::{LAST_APPLIED, Strip};
/// use k8s_openapi::api::networking::v1::Ingress;
///
/// let mut ingress: Ingress = serde_json::from_value(serde_json::json!({
///     "metadata": { "name": "web", "managedFields": [{ "manager": "kubectl" }],
///         "labels": { "app": "web" },
///         "annotations": { LAST_APPLIED: "{}", "kubernetes.io/ingress.class": "gateway" } },
///     "status": { "loadBalancer": { "ingress": [{ "ip": "192.0.2.1" }] } }
/// }))?;
/// ingress.strip();
/// assert!(ingress.metadata.managed_fields.is_none());
/// assert!(ingress.metadata.labels.is_none());
/// let annotations = ingress.metadata.annotations.unwrap_or_default();
/// assert!(!annotations.contains_key(LAST_APPLIED));
/// assert!(annotations.contains_key("kubernetes.io/ingress.class"));
/// let addresses = ingress.status.and_then(|status| status.load_balancer).and_then(|lb| lb.ingress);
/// let addresses = addresses.unwrap_or_default();
/// assert_eq!(addresses.first().and_then(|address| address.ip.as_deref()), Some("192.0.2.1"));
/// # Ok::<(), serde_json::Error>(())
/// ```
pub trait Strip {
    /// Drops what routing never reads.
    fn strip(&mut self);
}

/// `Strip` for each kind, as the manifest loader strips it for a
/// `FileSource` (the same fields, kept by the same code).
macro_rules! strip_as_loaded {
    ($($kind:ty),* $(,)?) => {$(
        impl Strip for $kind {
            fn strip(&mut self) {
                self.strip_unread();
            }
        }
    )*};
}

strip_as_loaded!(Ingress, IngressClass, Service, EndpointSlice);

// A `kubernetes.io/tls` Secret keeps `tls.crt` and `tls.key` and nothing
// else of its data (a `ca.crt` beside them, say).
#[cfg(feature = "tls")]
strip_as_loaded!(k8s_openapi::api::core::v1::Secret);

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use k8s_openapi::api::core::v1::ServicePort;
    use k8s_openapi::api::discovery::v1::EndpointPort;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

    use super::*;
    use crate::SERVICE_NAME_LABEL;
    use crate::endpoints::EndpointList as _;
    use crate::endpoints::EndpointTable;
    use crate::{
        ClassSelector, INGRESS_CLASS_ANNOTATION, IS_DEFAULT_CLASS_ANNOTATION, IngressClasses, NotOurs, Selection,
    };
    use serde_json::json;

    /// Metadata as `kubectl apply` and the API server leave it.
    fn applied_meta(name: &str) -> serde_json::Value {
        json!({
            "name": name, "namespace": "shop", "uid": "u-1", "resourceVersion": "42", "generation": 3,
            "creationTimestamp": "2026-11-02T09:14:27Z", "generateName": "x-",
            "labels": { "app": name, SERVICE_NAME_LABEL: "api" },
            "annotations": { LAST_APPLIED: "{}", INGRESS_CLASS_ANNOTATION: "gateway",
                IS_DEFAULT_CLASS_ANNOTATION: "true", "owner": "team" },
            "ownerReferences": [{ "apiVersion": "v1", "kind": "Service", "name": "api", "uid": "u-0" }],
            "finalizers": ["example.com/keep"],
            "managedFields": [{ "manager": "kubectl" }],
        })
    }

    fn assert_identity_kept(meta: &ObjectMeta) {
        assert_eq!(meta.name.as_deref(), Some("api"));
        assert_eq!(meta.namespace.as_deref(), Some("shop"));
        assert_eq!(meta.uid.as_deref(), Some("u-1"));
        assert_eq!(meta.resource_version.as_deref(), Some("42"));
        assert_eq!(meta.generation, Some(3));
        assert!(meta.creation_timestamp.is_some());
        assert!(meta.managed_fields.is_none());
        assert!(meta.owner_references.is_none());
        assert!(meta.finalizers.is_none());
        assert!(meta.generate_name.is_none());
    }

    fn keys(map: Option<&BTreeMap<String, String>>) -> Vec<&str> {
        map.into_iter().flatten().map(|(key, _)| key.as_str()).collect()
    }

    #[test]
    fn an_ingress_keeps_its_spec_status_and_class_annotation_only() {
        let spec = json!({ "rules": [{ "host": "a.example", "http": { "paths": [{ "path": "/", "pathType": "Prefix",
            "backend": { "service": { "name": "api", "port": { "number": 80 } } } }] } }],
            "tls": [{ "hosts": ["a.example"], "secretName": "a-tls" }] });
        let mut ingress: Ingress = serde_json::from_value(json!({ "metadata": applied_meta("api"), "spec": spec,
            "status": { "loadBalancer": { "ingress": [{ "ip": "192.0.2.1" }] } } }))
        .unwrap();
        let before = ingress.clone();
        ingress.strip();
        assert_identity_kept(&ingress.metadata);
        assert!(ingress.metadata.labels.is_none());
        assert_eq!(keys(ingress.metadata.annotations.as_ref()), [INGRESS_CLASS_ANNOTATION]);
        assert_eq!(ingress.spec, before.spec);
        assert_eq!(ingress.status, before.status);
        // Class selection still reads the class from the annotation.
        let classes: IngressClasses = std::iter::empty().collect();
        let selection = ClassSelector::default().select(&ingress, &classes);
        assert!(
            matches!(&selection, Selection::NotOurs(NotOurs::UnknownClass { class, .. }) if class == "gateway"),
            "{selection:?}"
        );
    }

    #[test]
    fn an_ingress_class_keeps_its_spec_and_default_annotation_only() {
        let mut class: IngressClass = serde_json::from_value(json!({ "metadata": applied_meta("api"),
            "spec": { "controller": "example.com/gateway" } }))
        .unwrap();
        class.strip();
        assert_identity_kept(&class.metadata);
        assert!(class.metadata.labels.is_none());
        assert_eq!(keys(class.metadata.annotations.as_ref()), [IS_DEFAULT_CLASS_ANNOTATION]);
        // O2 still reads the default class from it.
        let classes: IngressClasses = [&class].into_iter().collect();
        assert_eq!(classes.default_class(), Some("api"));
        let controller = class.spec.and_then(|spec| spec.controller);
        assert_eq!(controller.as_deref(), Some("example.com/gateway"));
    }

    #[test]
    fn a_service_keeps_ports_type_and_addresses_only() {
        let mut service: Service = serde_json::from_value(json!({ "metadata": applied_meta("api"),
            "spec": { "type": "LoadBalancer", "clusterIP": "10.96.0.10", "clusterIPs": ["10.96.0.10"],
                "externalIPs": ["198.51.100.2"], "selector": { "app": "api" }, "sessionAffinity": "None",
                "ipFamilies": ["IPv4"], "ports": [{ "name": "http", "port": 80, "protocol": "TCP",
                    "targetPort": 8080, "nodePort": 30080, "appProtocol": "http" }] },
            "status": { "loadBalancer": { "ingress": [{ "ip": "203.0.113.9" }] },
                "conditions": [{ "type": "Ready", "status": "True", "lastTransitionTime": "2026-11-02T09:14:27Z",
                    "reason": "Up", "message": "" }] } }))
        .unwrap();
        let addresses = crate::cluster::service_addresses(&service);
        service.strip();
        assert_identity_kept(&service.metadata);
        assert!(service.metadata.labels.is_none());
        assert!(service.metadata.annotations.is_none());
        let spec = service.spec.clone().unwrap_or_default();
        assert_eq!(spec.type_.as_deref(), Some("LoadBalancer"));
        assert_eq!(spec.cluster_ip.as_deref(), Some("10.96.0.10"));
        assert_eq!(spec.external_ips, Some(vec!["198.51.100.2".to_owned()]));
        assert!(spec.selector.is_none() && spec.cluster_ips.is_none() && spec.ip_families.is_none());
        assert!(spec.session_affinity.is_none());
        let expected = ServicePort {
            name: Some("http".to_owned()),
            port: 80,
            protocol: Some("TCP".to_owned()),
            ..ServicePort::default()
        };
        assert_eq!(spec.ports, Some(vec![expected]));
        let status = service.status.clone().unwrap_or_default();
        assert!(status.conditions.is_none());
        // `--publish-service` reads the same addresses.
        assert_eq!(crate::cluster::service_addresses(&service), addresses);
    }

    #[test]
    fn an_external_name_service_keeps_its_name() {
        let mut service: Service = serde_json::from_value(json!({ "metadata": applied_meta("api"),
            "spec": { "type": "ExternalName", "externalName": "edge.example.com" } }))
        .unwrap();
        service.strip();
        let spec = service.spec.unwrap_or_default();
        assert_eq!(spec.type_.as_deref(), Some("ExternalName"));
        assert_eq!(spec.external_name.as_deref(), Some("edge.example.com"));
    }

    #[test]
    fn an_endpoint_slice_keeps_what_b1_reads() {
        let mut slice: EndpointSlice = serde_json::from_value(json!({ "metadata": applied_meta("api"),
            "addressType": "IPv4",
            "ports": [{ "name": "http", "port": 8080, "protocol": "TCP", "appProtocol": "http" }],
            "endpoints": [
                { "addresses": ["10.244.1.17"], "conditions": { "ready": true, "serving": true, "terminating": false },
                  "nodeName": "node-1", "zone": "zone-a", "hostname": "api-0",
                  "targetRef": { "kind": "Pod", "name": "api-0", "namespace": "shop", "uid": "p-1" } },
                { "addresses": ["10.244.2.9"], "conditions": { "ready": false, "serving": true } },
                { "addresses": ["10.244.3.4"] }
            ] }))
        .unwrap();
        let service: Service = serde_json::from_value(json!({ "metadata": { "name": "api", "namespace": "shop" },
            "spec": { "ports": [{ "name": "http", "port": 80 }] } }))
        .unwrap();
        let table_before = EndpointTable::from_objects([&service], [&slice]);
        slice.strip();
        assert_identity_kept(&slice.metadata);
        assert_eq!(keys(slice.metadata.labels.as_ref()), [SERVICE_NAME_LABEL]);
        assert!(slice.metadata.annotations.is_none());
        assert_eq!(slice.address_type, "IPv4");
        let port = EndpointPort {
            name: Some("http".to_owned()),
            port: Some(8080),
            ..EndpointPort::default()
        };
        assert_eq!(slice.ports, Some(vec![port]));
        let endpoints = slice.endpoints.endpoint_list();
        let ready: Vec<Option<bool>> = endpoints
            .iter()
            .map(|endpoint| endpoint.conditions.as_ref().and_then(|conditions| conditions.ready))
            .collect();
        assert_eq!(ready, [Some(true), Some(false), None]);
        let first = &endpoints[0];
        assert_eq!(first.addresses, ["10.244.1.17"]);
        assert!(first.node_name.is_none() && first.zone.is_none() && first.hostname.is_none());
        assert!(first.target_ref.is_none());
        assert!(
            first
                .conditions
                .as_ref()
                .is_some_and(|c| c.serving.is_none() && c.terminating.is_none())
        );
        // The table built from the stripped slice is the same.
        assert_eq!(EndpointTable::from_objects([&service], [&slice]), table_before);
    }

    #[test]
    fn stripped_lists_hold_no_spare_room() {
        // Decoded from text, a list of one has room for four.
        let text = r#"{ "metadata": { "name": "api" }, "addressType": "IPv4",
            "ports": [{ "name": "http", "port": 8080 }], "endpoints": [{ "addresses": ["10.244.1.17"] }] }"#;
        let mut slice: EndpointSlice = serde_json::from_str(text).unwrap();
        slice.strip();
        let endpoints = slice.endpoints.endpoint_list_mut().map_or(0, |list| list.capacity());
        assert_eq!(endpoints, 1);
        assert_eq!(slice.ports.as_ref().map(Vec::capacity), Some(1));
    }
}
