//! Where each loaded object came from, and the identity duplicates are
//! found by.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use k8s_openapi::api::core::v1::{Secret, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::networking::v1::{Ingress, IngressClass};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::{Metadata, Resource};

use crate::convert::namespace_of;

/// Where an object (or a document) is in the manifests: its file, its
/// document in the file, and its line.
///
/// Documents and lines are both numbered from 1, as editors and compilers
/// number lines. Displayed as `path:line (document N)`, with `, items[I]`
/// for an object inside a List.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub struct Source {
    /// The file: the path given to [`Manifests::load`](crate::Manifests::load),
    /// joined with the entries below it for a directory.
    pub path: Arc<Path>,
    /// The document's number in the file, from 1. Every document of a YAML
    /// stream counts, empty ones included; each value of a JSON file is one.
    pub document: usize,
    /// The line the object starts on, from 1: the document's first line of
    /// content, or the item's first line inside a YAML List.
    pub line: usize,
    /// For an object inside a List, its index in `items`, from 0 as in
    /// `items[0]`.
    pub item: Option<usize>,
}

impl Source {
    /// A source outside any List.
    pub fn new(path: impl Into<Arc<Path>>, document: usize, line: usize) -> Self {
        Self {
            path: path.into(),
            document,
            line,
            item: None,
        }
    }

    /// The same source, inside a List at index `item`.
    #[must_use]
    pub fn with_item(mut self, item: usize) -> Self {
        self.item = Some(item);
        self
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{} (document {}", self.path.display(), self.line, self.document)?;
        if let Some(item) = self.item {
            write!(f, ", items[{item}]")?;
        }
        f.write_str(")")
    }
}

/// A loaded object and where it came from.
///
/// Its `Debug` output names the kind, the object and the source, never the
/// object's contents, so that printing a [`Manifests`](crate::Manifests)
/// cannot reveal a Secret's data (T3).
#[derive(Clone, PartialEq)]
#[non_exhaustive]
pub struct Sourced<T> {
    /// The object, as parsed.
    pub object: T,
    /// Where it came from.
    pub source: Source,
}

impl<T> Sourced<T> {
    /// An object and its source.
    pub fn new(object: T, source: Source) -> Self {
        Self { object, source }
    }
}

/// A kind [`Manifests`](crate::Manifests) holds, and the identity
/// duplicates are found by.
pub(super) trait Identified {
    /// The object's kind, namespace and name.
    fn object_id(&self) -> ObjectId;
}

/// `id()` and a `Debug` that shows no contents, for each kind
/// [`Manifests`](crate::Manifests) holds.
macro_rules! sourced_kinds {
    ($($kind:ty => $namespaced:expr),* $(,)?) => {$(
        impl Sourced<$kind> {
            /// The object's identity: kind, namespace and name.
            pub fn id(&self) -> ObjectId {
                self.object.object_id()
            }
        }

        impl Identified for $kind {
            fn object_id(&self) -> ObjectId {
                ObjectId::new(<$kind as Resource>::KIND, $namespaced, self.metadata())
            }
        }

        impl fmt::Debug for Sourced<$kind> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct("Sourced")
                    .field("object", &format_args!("{}", self.id()))
                    .field("source", &self.source)
                    .finish()
            }
        }
    )*};
}

sourced_kinds! {
    Ingress => true,
    IngressClass => false,
    Service => true,
    EndpointSlice => true,
    Secret => true,
}

/// An object's identity among the manifests: its kind, namespace (for
/// namespaced kinds, [`DEFAULT_NAMESPACE`](crate::DEFAULT_NAMESPACE) when
/// unset) and name. Two definitions with the same identity are
/// duplicates.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub struct ObjectId {
    /// `kind`, e.g. `Ingress`.
    pub kind: &'static str,
    /// `metadata.namespace`; `None` for cluster-scoped kinds (IngressClass).
    pub namespace: Option<String>,
    /// `metadata.name`.
    pub name: String,
}

impl ObjectId {
    fn new(kind: &'static str, namespaced: bool, metadata: &ObjectMeta) -> Self {
        Self {
            kind,
            namespace: namespaced.then(|| namespace_of(metadata).to_owned()),
            name: metadata.name.clone().unwrap_or_default(),
        }
    }
}

impl fmt::Display for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.namespace {
            Some(namespace) => write!(f, "{} {namespace}/{}", self.kind, self.name),
            None => write!(f, "{} {}", self.kind, self.name),
        }
    }
}
