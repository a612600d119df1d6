//! What the stores keep: each object without the fields routing never
//! reads, stripped before it is stored so that the stores stay small.

use k8s_openapi::api::core::v1::Service;
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::networking::v1::{Ingress, IngressClass};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

/// The annotation `kubectl apply` keeps a full copy of the object in.
pub const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// An object kind the cluster source watches, and what of it is dropped
/// before it is stored.
///
/// Every kind loses `metadata.managedFields` and the
/// [`LAST_APPLIED`] annotation (other annotations stay: the legacy class
/// annotation is one). Ingresses keep their `status` (only
/// `loadBalancer`, a few addresses): the status writer compares it with
/// what it would write. Services keep theirs, for `--publish-service`.
///
/// ```
/// use ingress_kube::cluster::{LAST_APPLIED, Strip};
/// use k8s_openapi::api::networking::v1::Ingress;
///
/// let mut ingress: Ingress = serde_json::from_value(serde_json::json!({
///     "metadata": { "name": "web", "managedFields": [{ "manager": "kubectl" }],
///         "annotations": { LAST_APPLIED: "{}", "kubernetes.io/ingress.class": "gateway" } },
///     "status": { "loadBalancer": { "ingress": [{ "ip": "192.0.2.1" }] } }
/// }))?;
/// ingress.strip();
/// assert!(ingress.metadata.managed_fields.is_none());
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

fn strip_meta(meta: &mut ObjectMeta) {
    meta.managed_fields = None;
    if let Some(annotations) = &mut meta.annotations {
        annotations.remove(LAST_APPLIED);
        if annotations.is_empty() {
            meta.annotations = None;
        }
    }
}

impl Strip for Ingress {
    fn strip(&mut self) {
        strip_meta(&mut self.metadata);
    }
}

impl Strip for IngressClass {
    fn strip(&mut self) {
        strip_meta(&mut self.metadata);
    }
}

impl Strip for Service {
    fn strip(&mut self) {
        strip_meta(&mut self.metadata);
    }
}

impl Strip for EndpointSlice {
    fn strip(&mut self) {
        strip_meta(&mut self.metadata);
    }
}

/// A `kubernetes.io/tls` Secret keeps `tls.crt` and `tls.key` and nothing
/// else of its data (a `ca.crt` beside them, say).
#[cfg(feature = "tls")]
impl Strip for k8s_openapi::api::core::v1::Secret {
    fn strip(&mut self) {
        strip_meta(&mut self.metadata);
        let keep = |key: &String| key == crate::tls::TLS_CERT_KEY || key == crate::tls::TLS_PRIVATE_KEY_KEY;
        if let Some(data) = &mut self.data {
            data.retain(|key, _| keep(key));
        }
        if let Some(data) = &mut self.string_data {
            data.retain(|key, _| keep(key));
        }
    }
}
