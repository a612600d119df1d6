//! The reflector stores the source keeps: the cluster's objects as last
//! listed and watched, stripped. Reachable for others (a status writer).

use std::fmt;

#[cfg(feature = "tls")]
use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::api::core::v1::Service;
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::networking::v1::{Ingress, IngressClass};
use kube::runtime::reflector::Store;
use kube::runtime::reflector::store::Writer;

/// Read handles to the source's stores, one per kind. Cloning gives more
/// handles to the same stores. A store shows a complete list: during a
/// relist it keeps the previous one until the new list is complete.
///
/// Its `Debug` output counts the objects of each kind and shows none of
/// them (the Secret store holds key material).
#[derive(Clone)]
pub struct Stores {
    pub(crate) ingresses: Store<Ingress>,
    pub(crate) classes: Store<IngressClass>,
    pub(crate) services: Store<Service>,
    pub(crate) slices: Store<EndpointSlice>,
    #[cfg(feature = "tls")]
    pub(crate) secrets: Store<Secret>,
}

impl fmt::Debug for Stores {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = f.debug_struct("Stores");
        out.field("ingresses", &self.ingresses.len())
            .field("classes", &self.classes.len())
            .field("services", &self.services.len())
            .field("endpoint_slices", &self.slices.len());
        #[cfg(feature = "tls")]
        out.field("secrets", &self.secrets.len());
        out.finish()
    }
}

/// The write ends, one per watcher.
pub(crate) struct Writers {
    pub(crate) ingresses: Writer<Ingress>,
    pub(crate) classes: Writer<IngressClass>,
    pub(crate) services: Writer<Service>,
    pub(crate) slices: Writer<EndpointSlice>,
    #[cfg(feature = "tls")]
    pub(crate) secrets: Writer<Secret>,
}

impl Stores {
    pub(crate) fn new() -> (Self, Writers) {
        let (ingresses, ingress_writer) = kube::runtime::reflector::store();
        let (classes, class_writer) = kube::runtime::reflector::store();
        let (services, service_writer) = kube::runtime::reflector::store();
        let (slices, slice_writer) = kube::runtime::reflector::store();
        #[cfg(feature = "tls")]
        let (secrets, secret_writer) = kube::runtime::reflector::store();
        let stores = Self {
            ingresses,
            classes,
            services,
            slices,
            #[cfg(feature = "tls")]
            secrets,
        };
        let writers = Writers {
            ingresses: ingress_writer,
            classes: class_writer,
            services: service_writer,
            slices: slice_writer,
            #[cfg(feature = "tls")]
            secrets: secret_writer,
        };
        (stores, writers)
    }

    /// The Ingresses (of every class: selection is the feed's).
    pub fn ingresses(&self) -> &Store<Ingress> {
        &self.ingresses
    }

    /// The IngressClasses.
    pub fn classes(&self) -> &Store<IngressClass> {
        &self.classes
    }

    /// The Services.
    pub fn services(&self) -> &Store<Service> {
        &self.services
    }

    /// The EndpointSlices that name their Service.
    pub fn endpoint_slices(&self) -> &Store<EndpointSlice> {
        &self.slices
    }
}

#[cfg(feature = "tls")]
impl Stores {
    /// The `kubernetes.io/tls` Secrets, when the source watches them
    /// ([`ClusterSource::with_certificates`](super::ClusterSource::with_certificates));
    /// stripped to `tls.crt` and `tls.key`.
    pub fn tls_secrets(&self) -> &Store<Secret> {
        &self.secrets
    }
}
