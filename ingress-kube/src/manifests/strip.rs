//! Objects without the fields routing never reads: what the cluster
//! source's stores keep (the public face is `cluster::Strip`), and what a
//! [`FileSource`](crate::feed::FileSource) keeps of the objects it loads.
//! Each kind keeps its identity, the few labels and annotations the feed
//! reads, and the spec and status fields routing, the status writer and
//! Events read; `cluster::Strip` lists them kind by kind.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Secret, Service, ServicePort, ServiceSpec, ServiceStatus};
use k8s_openapi::api::discovery::v1::{Endpoint, EndpointConditions, EndpointPort, EndpointSlice};
use k8s_openapi::api::networking::v1::{Ingress, IngressClass};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use crate::class::{INGRESS_CLASS_ANNOTATION, IS_DEFAULT_CLASS_ANNOTATION};
#[cfg(feature = "cluster")]
use crate::endpoints::EndpointList as _;
use crate::endpoints::SERVICE_NAME_LABEL;

/// The annotation `kubectl apply` keeps a full copy of the object in.
pub(crate) const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// A kind whose unread fields can be dropped in place.
pub(crate) trait StripUnread {
    /// Drops what routing, the status writer and Events never read.
    fn strip_unread(&mut self);
}

/// The entries of a map of labels or annotations under `keys`, if any.
fn keep_only(map: Option<BTreeMap<String, String>>, keys: &[&str]) -> Option<BTreeMap<String, String>> {
    let mut map = map?;
    map.retain(|key, _| keys.contains(&key.as_str()));
    (!map.is_empty()).then_some(map)
}

/// The metadata every kind keeps, with only the `labels` and
/// `annotations` named.
fn keep_meta(meta: &mut ObjectMeta, labels: &[&str], annotations: &[&str]) {
    let meta_taken = std::mem::take(meta);
    *meta = ObjectMeta {
        name: meta_taken.name,
        namespace: meta_taken.namespace,
        uid: meta_taken.uid,
        resource_version: meta_taken.resource_version,
        generation: meta_taken.generation,
        creation_timestamp: meta_taken.creation_timestamp,
        deletion_timestamp: meta_taken.deletion_timestamp,
        labels: keep_only(meta_taken.labels, labels),
        annotations: keep_only(meta_taken.annotations, annotations),
        ..ObjectMeta::default()
    };
}

/// `managedFields` and the last-applied copy out, all else kept.
fn strip_meta(meta: &mut ObjectMeta) {
    meta.managed_fields = None;
    if let Some(annotations) = &mut meta.annotations {
        annotations.remove(LAST_APPLIED);
        if annotations.is_empty() {
            meta.annotations = None;
        }
    }
}

/// `EndpointSlice.endpoints`, to change in place: a list in the
/// k8s-openapi types of Kubernetes 1.33 to 1.35, an optional list from
/// 1.36 on (the library enables no version, so it strips both). The
/// endpoints module has this method only with the feature `cluster`.
#[cfg(not(feature = "cluster"))]
trait EndpointListMut {
    /// The list; `None` when the field is unset.
    fn endpoint_list_mut(&mut self) -> Option<&mut Vec<Endpoint>>;
}

#[cfg(not(feature = "cluster"))]
impl EndpointListMut for Vec<Endpoint> {
    fn endpoint_list_mut(&mut self) -> Option<&mut Vec<Endpoint>> {
        Some(self)
    }
}

#[cfg(not(feature = "cluster"))]
impl EndpointListMut for Option<Vec<Endpoint>> {
    fn endpoint_list_mut(&mut self) -> Option<&mut Vec<Endpoint>> {
        self.as_mut()
    }
}

/// Gives back a vector's spare capacity (a decoded list of one has room
/// for four).
fn fit<T>(list: &mut Option<Vec<T>>) {
    if let Some(list) = list {
        list.shrink_to_fit();
    }
}

impl StripUnread for Ingress {
    fn strip_unread(&mut self) {
        keep_meta(&mut self.metadata, &[], &[INGRESS_CLASS_ANNOTATION]);
        if let Some(spec) = &mut self.spec {
            fit(&mut spec.rules);
            for rule in spec.rules.iter_mut().flatten() {
                if let Some(http) = &mut rule.http {
                    http.paths.shrink_to_fit();
                }
            }
            fit(&mut spec.tls);
            for tls in spec.tls.iter_mut().flatten() {
                fit(&mut tls.hosts);
            }
        }
    }
}

impl StripUnread for IngressClass {
    fn strip_unread(&mut self) {
        keep_meta(&mut self.metadata, &[], &[IS_DEFAULT_CLASS_ANNOTATION]);
    }
}

impl StripUnread for Service {
    fn strip_unread(&mut self) {
        keep_meta(&mut self.metadata, &[], &[]);
        self.spec = self.spec.take().map(|spec| {
            let mut ports = spec.ports.map(|ports| {
                ports
                    .into_iter()
                    .map(|port| ServicePort {
                        name: port.name,
                        port: port.port,
                        protocol: port.protocol,
                        ..ServicePort::default()
                    })
                    .collect()
            });
            fit(&mut ports);
            ServiceSpec {
                type_: spec.type_,
                external_name: spec.external_name,
                cluster_ip: spec.cluster_ip,
                external_ips: spec.external_ips,
                ports,
                ..ServiceSpec::default()
            }
        });
        self.status = self.status.take().map(|status| ServiceStatus {
            load_balancer: status.load_balancer,
            ..ServiceStatus::default()
        });
    }
}

impl StripUnread for EndpointSlice {
    fn strip_unread(&mut self) {
        keep_meta(&mut self.metadata, &[SERVICE_NAME_LABEL], &[]);
        self.ports = self.ports.take().map(|ports| {
            ports
                .into_iter()
                .map(|port| EndpointPort {
                    name: port.name,
                    port: port.port,
                    ..EndpointPort::default()
                })
                .collect()
        });
        fit(&mut self.ports);
        if let Some(endpoints) = self.endpoints.endpoint_list_mut() {
            let kept = std::mem::take(endpoints).into_iter().map(|mut endpoint| {
                endpoint.addresses.shrink_to_fit();
                Endpoint {
                    addresses: endpoint.addresses,
                    conditions: endpoint.conditions.map(|conditions| EndpointConditions {
                        ready: conditions.ready,
                        ..EndpointConditions::default()
                    }),
                    ..Endpoint::default()
                }
            });
            // Collected in place, in the old allocation: shrunk after.
            *endpoints = kept.collect();
            endpoints.shrink_to_fit();
        }
    }
}

/// A Secret loses `managedFields` and the last-applied copy; with the
/// feature `tls`, of its data only `tls.crt` and `tls.key` stay (a
/// `ca.crt` beside them goes). Without it, the feed reads no Secret, and
/// the data is left as it was.
impl StripUnread for Secret {
    fn strip_unread(&mut self) {
        strip_meta(&mut self.metadata);
        #[cfg(feature = "tls")]
        {
            let keep = |key: &String| key == crate::tls::TLS_CERT_KEY || key == crate::tls::TLS_PRIVATE_KEY_KEY;
            if let Some(data) = &mut self.data {
                data.retain(|key, _| keep(key));
            }
            if let Some(data) = &mut self.string_data {
                data.retain(|key, _| keep(key));
            }
        }
    }
}
