//! The objects of a load as the cache holds them, shared rather than
//! copied: what a [`FileSource`](crate::feed::FileSource) hands the feed,
//! so that its cache and its feed hold one allocation per object.

use std::sync::Arc;

use k8s_openapi::api::core::v1::{Secret, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::networking::v1::{Ingress, IngressClass};

use super::Manifests;
use super::source::{Identified, Source, Sourced};

/// An object as loaded, shared with the cache, and where it was defined.
pub(crate) type Shared<T> = (Arc<T>, Source);

/// Each kind's objects, in load order, as [`Manifests`] would list them.
///
/// No `Debug`: a Secret's data must never reach one (T3).
#[derive(Default)]
pub(crate) struct SharedObjects {
    pub(crate) ingresses: Vec<Shared<Ingress>>,
    pub(crate) ingress_classes: Vec<Shared<IngressClass>>,
    pub(crate) services: Vec<Shared<Service>>,
    pub(crate) endpoint_slices: Vec<Shared<EndpointSlice>>,
    pub(crate) secrets: Vec<Shared<Secret>>,
}

/// A kind [`Manifests`] keeps: where its objects go, owned or shared.
pub(super) trait Kept: Identified + Clone {
    /// The kind's list in `manifests`.
    fn owned(manifests: &mut Manifests) -> &mut Vec<Sourced<Self>>;
    /// The kind's list in `shared`.
    fn shared(shared: &mut SharedObjects) -> &mut Vec<Shared<Self>>;
}

macro_rules! kept {
    ($($kind:ty => $list:ident),* $(,)?) => {$(
        impl Kept for $kind {
            fn owned(manifests: &mut Manifests) -> &mut Vec<Sourced<Self>> {
                &mut manifests.$list
            }

            fn shared(shared: &mut SharedObjects) -> &mut Vec<Shared<Self>> {
                &mut shared.$list
            }
        }
    )*};
}

kept! {
    Ingress => ingresses,
    IngressClass => ingress_classes,
    Service => services,
    EndpointSlice => endpoint_slices,
    Secret => secrets,
}

/// Owned copies of `list`, in order (moved, where nothing else holds an
/// object).
pub(super) fn owned<T: Clone>(list: Vec<Shared<T>>) -> Vec<Sourced<T>> {
    list.into_iter()
        .map(|(object, source)| Sourced::new(Arc::unwrap_or_clone(object), source))
        .collect()
}
