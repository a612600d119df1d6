//! What a source hands the feed: the objects it lists, kind by kind.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use k8s_openapi::api::core::v1::{Secret, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::networking::v1::{Ingress, IngressClass};

use super::kind::{Kind, SourceKind};
use super::secrets::SecretList;
use crate::manifests::{Manifests, SharedObjects, Source, Sourced};

/// An object as a source lists it, and where it was defined when it came
/// from a file.
pub(crate) type Listed<T> = (Arc<T>, Option<Source>);

/// The complete current list of some kinds of object, from one source.
///
/// A kind given here replaces everything the feed held of that kind, and
/// counts as listed: a source gives a kind only once its initial list is
/// complete (never from a half-listed store). A kind not given is left as
/// it was. Objects are shared ([`Arc`]), as a reflector's store holds
/// them, so handing a store's contents over copies no object.
///
/// ```
/// use ingress_kube::feed::{Kind, Snapshot, SourceKind};
/// use k8s_openapi::api::core::v1::{Secret, Service};
///
/// let snapshot = Snapshot::new(SourceKind::ApiServer)
///     .with_services([Service::default()])
///     .with_resource_version(Kind::Service, "4711");
/// assert_eq!(snapshot.kinds(), vec![Kind::Service]);
/// ```
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub(crate) source: SourceKind,
    pub(crate) taken: SystemTime,
    pub(crate) started: Instant,
    pub(crate) ingresses: Option<Vec<Listed<Ingress>>>,
    pub(crate) classes: Option<Vec<Listed<IngressClass>>>,
    pub(crate) services: Option<Vec<Listed<Service>>>,
    pub(crate) slices: Option<Vec<Listed<EndpointSlice>>>,
    pub(crate) secrets: Option<SecretList>,
    pub(crate) resource_versions: BTreeMap<Kind, String>,
}

fn listed<T>(objects: impl IntoIterator<Item = impl Into<Arc<T>>>) -> Vec<Listed<T>> {
    objects.into_iter().map(|object| (object.into(), None)).collect()
}

fn sourced<T: Clone>(objects: &[Sourced<T>]) -> Vec<Listed<T>> {
    objects
        .iter()
        .map(|sourced| (Arc::new(sourced.object.clone()), Some(sourced.source.clone())))
        .collect()
}

/// `objects`, sharing each object (no copy).
fn shared<T>(objects: &[(Arc<T>, Source)]) -> Vec<Listed<T>> {
    objects
        .iter()
        .map(|(object, source)| (Arc::clone(object), Some(source.clone())))
        .collect()
}

impl Snapshot {
    /// No kind yet, from `source`, taken now.
    pub fn new(source: SourceKind) -> Self {
        Self {
            source,
            taken: SystemTime::now(),
            started: Instant::now(),
            ingresses: None,
            classes: None,
            services: None,
            slices: None,
            secrets: None,
            resource_versions: BTreeMap::new(),
        }
    }

    /// Every kind the feed reads, from loaded manifest files, each object
    /// with its place in the files.
    pub fn from_manifests(manifests: &Manifests) -> Self {
        let mut snapshot = Self::new(SourceKind::Files);
        snapshot.ingresses = Some(sourced(manifests.ingresses()));
        snapshot.classes = Some(sourced(manifests.ingress_classes()));
        snapshot.services = Some(sourced(manifests.services()));
        snapshot.slices = Some(sourced(manifests.endpoint_slices()));
        snapshot.secrets = Some(SecretList(sourced(manifests.secrets())));
        snapshot
    }

    /// Every kind the feed reads, from manifest files loaded by
    /// [`Manifests::load_shared`]: as [`Snapshot::from_manifests`] gives
    /// them, each object shared with the cache that holds it.
    pub(crate) fn from_shared(objects: &SharedObjects) -> Self {
        let mut snapshot = Self::new(SourceKind::Files);
        snapshot.ingresses = Some(shared(&objects.ingresses));
        snapshot.classes = Some(shared(&objects.ingress_classes));
        snapshot.services = Some(shared(&objects.services));
        snapshot.slices = Some(shared(&objects.endpoint_slices));
        snapshot.secrets = Some(SecretList(shared(&objects.secrets)));
        snapshot
    }

    /// When the source read the objects (the feed's "last sync"); `new`
    /// takes the current time.
    pub fn with_time(mut self, taken: SystemTime) -> Self {
        self.taken = taken;
        self
    }

    /// When reading started, to measure how long a rebuild took from it;
    /// `new` takes the current instant.
    pub fn with_start(mut self, started: Instant) -> Self {
        self.started = started;
        self
    }

    /// Every Ingress.
    pub fn with_ingresses(mut self, objects: impl IntoIterator<Item = impl Into<Arc<Ingress>>>) -> Self {
        self.ingresses = Some(listed(objects));
        self
    }

    /// Every IngressClass.
    pub fn with_classes(mut self, objects: impl IntoIterator<Item = impl Into<Arc<IngressClass>>>) -> Self {
        self.classes = Some(listed(objects));
        self
    }

    /// Every Service.
    pub fn with_services(mut self, objects: impl IntoIterator<Item = impl Into<Arc<Service>>>) -> Self {
        self.services = Some(listed(objects));
        self
    }

    /// Every EndpointSlice.
    pub fn with_endpoint_slices(mut self, objects: impl IntoIterator<Item = impl Into<Arc<EndpointSlice>>>) -> Self {
        self.slices = Some(listed(objects));
        self
    }

    /// Every Secret the certificates may come from (T1: a `spec.tls[]`
    /// entry's Secret of type `kubernetes.io/tls` in the Ingress's
    /// namespace). Unlike the other kinds, Secrets are not waited for: a
    /// source that never lists them (the API-server source, for now) gets
    /// tables at once, with every TLS host on the default certificate.
    /// Only the Secrets the served Ingresses name are parsed; the `Debug`
    /// output of a snapshot names Secrets without their data.
    pub fn with_secrets(mut self, objects: impl IntoIterator<Item = impl Into<Arc<Secret>>>) -> Self {
        self.secrets = Some(SecretList(listed(objects)));
        self
    }

    /// The resourceVersion of the list a kind was read from (API server
    /// sources), shown in the feed's status.
    pub fn with_resource_version(mut self, kind: Kind, version: impl Into<String>) -> Self {
        self.resource_versions.insert(kind, version.into());
        self
    }

    /// The kinds this snapshot lists, in [`Kind`] order (Secrets, which
    /// have no [`Kind`] yet, are not among them).
    pub fn kinds(&self) -> Vec<Kind> {
        let given = [
            (Kind::Ingress, self.ingresses.is_some()),
            (Kind::IngressClass, self.classes.is_some()),
            (Kind::Service, self.services.is_some()),
            (Kind::EndpointSlice, self.slices.is_some()),
        ];
        given
            .into_iter()
            .filter_map(|(kind, given)| given.then_some(kind))
            .collect()
    }

    /// Where the objects come from.
    pub fn source(&self) -> SourceKind {
        self.source
    }
}
