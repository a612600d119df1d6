//! Manifest loading: Kubernetes objects from YAML and JSON files, parsed
//! into k8s-openapi types, each with the place it came from.
//!
//! - A path is a file or a directory, walked recursively for `*.yaml`,
//!   `*.yml` and `*.json` in sorted order (hidden entries skipped).
//! - YAML files hold any number of documents; documents that are empty or
//!   hold only comments are skipped. JSON files hold one value or several.
//! - `kind: List` (any `apiVersion`, items of mixed kinds) and typed lists
//!   such as `IngressList` are unwrapped.
//! - Ingress and IngressClass (`networking.k8s.io/v1`), Service and Secret
//!   (`v1`) and EndpointSlice (`discovery.k8s.io/v1`) are kept; objects of
//!   any other kind are counted in [`Manifests::skipped`].
//! - A document that cannot be parsed is reported with its file, document
//!   number and line ([`ManifestError::Document`]); the other documents and
//!   files still load.
//! - The same object defined twice is reported ([`Duplicate`]); the later
//!   definition is kept, in the earlier one's place.
//! - Reloading with a [`ManifestCache`] ([`Manifests::load_cached`]) parses
//!   only the files that are new or changed, for the same result.
//!
//! ```
//! use ingress_kube::{Format, Manifests};
//!
//! let mut manifests = Manifests::new();
//! manifests.add_text("inline.yaml", Format::Yaml, "\
//! apiVersion: v1
//! kind: Service
//! metadata: { name: nginx-svc }
//! spec: { ports: [{ port: 80 }] }
//! ---
//! apiVersion: apps/v1
//! kind: Deployment
//! metadata: { name: nginx }
//! ---
//! kind: Service
//! metadata: [broken
//! ");
//! assert_eq!(manifests.services().len(), 1);
//! assert_eq!(manifests.services()[0].source.to_string(), "inline.yaml:1 (document 1)");
//! assert_eq!(manifests.skipped()[0].kind, "Deployment");
//! assert!(manifests.errors()[0].to_string().starts_with("inline.yaml:11:"));
//! ```

mod cache;
mod decode;
mod error;
mod findings;
mod fingerprint;
mod format;
pub(crate) mod peek;
mod read;
mod shared;
mod source;
pub(crate) mod split;
pub(crate) mod strip;
mod walk;

use fingerprint::Fingerprint;

use std::collections::HashMap;
use std::collections::hash_map::DefaultHasher;
use std::fmt;
use std::fs;
use std::hash::{Hash as _, Hasher as _};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use k8s_openapi::api::core::v1::{Secret, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::networking::v1::{Ingress, IngressClass};

pub use cache::{CacheStats, ManifestCache};
pub use error::ManifestError;
pub use findings::{Duplicate, Skipped};
pub use format::Format;
pub use source::{ObjectId, Source, Sourced};

pub(crate) use shared::SharedObjects;

use crate::class::IngressClasses;
use decode::{Decoded, Object};
use format::Failure;
use read::{Entry, FileEntries};
use shared::Kept;

/// Objects loaded from manifests, by kind, in load order, with everything
/// loading noticed: unreadable files and documents, duplicates, skipped
/// kinds.
///
/// Its `Debug` output lists objects by name and source only; a Secret's
/// data never appears in it.
#[derive(Default)]
pub struct Manifests {
    ingresses: Vec<Sourced<Ingress>>,
    ingress_classes: Vec<Sourced<IngressClass>>,
    services: Vec<Sourced<Service>>,
    endpoint_slices: Vec<Sourced<EndpointSlice>>,
    secrets: Vec<Sourced<Secret>>,
    skipped: Vec<Skipped>,
    duplicates: Vec<Duplicate>,
    errors: Vec<ManifestError>,
    files: usize,
    /// Where each object is in the vector of its kind.
    positions: HashMap<ObjectId, usize>,
    /// While [`Manifests::load_shared`] loads: the objects, in the place
    /// of the vectors above, which stay empty until [`Manifests::fill`].
    shared: Option<SharedObjects>,
}

impl Manifests {
    /// Nothing loaded yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Loads a file or a directory. Fails only when `path` itself cannot be
    /// read (say, it does not exist); anything wrong below it is reported
    /// in [`Manifests::errors`].
    pub fn load(path: impl AsRef<Path>) -> Result<Self, ManifestError> {
        let mut manifests = Self::new();
        manifests.add_path(path)?;
        Ok(manifests)
    }

    /// A fingerprint of the manifest files at `path` (those
    /// [`Manifests::load`] would read: their names, sizes, times and
    /// identities), taken without reading them. It moves when a manifest
    /// file is added, removed, rewritten or replaced (a ConfigMap volume
    /// update included), so a watcher can reload when it moves. A `path`
    /// that cannot be read has a fingerprint too (that of nothing).
    ///
    /// ```
    /// use ingress_kube::Manifests;
    ///
    /// let dir = tempfile::tempdir().unwrap();
    /// let empty = Manifests::stamp(dir.path());
    /// std::fs::write(dir.path().join("notes.txt"), "not a manifest").unwrap();
    /// assert_eq!(Manifests::stamp(dir.path()), empty);
    /// std::fs::write(dir.path().join("app.yaml"), "kind: Service\n").unwrap();
    /// assert_ne!(Manifests::stamp(dir.path()), empty);
    /// ```
    pub fn stamp(path: impl AsRef<Path>) -> u64 {
        let mut hasher = DefaultHasher::new();
        let mut unreadable = Vec::new();
        for (file, _) in walk::manifest_files(path.as_ref(), &mut unreadable).unwrap_or_default() {
            file.hash(&mut hasher);
            fs::metadata(&file)
                .ok()
                .map(|metadata| Fingerprint::of(&metadata))
                .hash(&mut hasher);
        }
        hasher.finish()
    }

    /// Loads a file or a directory as [`Manifests::load`] does, with the
    /// same result, but parses only the files that are new or changed
    /// since `cache` last read them; the others' objects come from
    /// `cache`, which is then left holding this load's files. See
    /// [`ManifestCache`] for how a change is noticed.
    ///
    /// When `path` itself cannot be read, fails as [`Manifests::load`]
    /// does, and `cache` is emptied.
    pub fn load_cached(path: impl AsRef<Path>, cache: &mut ManifestCache) -> Result<Self, ManifestError> {
        let mut manifests = Self::new();
        manifests.add_cached(path.as_ref(), cache)?;
        Ok(manifests)
    }

    /// Loads as [`Manifests::load_cached`] does, but hands over the objects
    /// as `cache` holds them, shared (no copy), in the order the manifests
    /// would list them; the manifests returned have no objects until
    /// [`Manifests::fill`] is given them.
    pub(crate) fn load_shared(path: &Path, cache: &mut ManifestCache) -> Result<(Self, SharedObjects), ManifestError> {
        let mut manifests = Self {
            shared: Some(SharedObjects::default()),
            ..Self::new()
        };
        let loaded = manifests.add_cached(path, cache);
        let shared = manifests.shared.take().unwrap_or_default();
        loaded.map(|()| (manifests, shared))
    }

    /// Gives manifests loaded by [`Manifests::load_shared`] their objects:
    /// copies of those it handed over.
    pub(crate) fn fill(&mut self, shared: SharedObjects) {
        self.ingresses = shared::owned(shared.ingresses);
        self.ingress_classes = shared::owned(shared.ingress_classes);
        self.services = shared::owned(shared.services);
        self.endpoint_slices = shared::owned(shared.endpoint_slices);
        self.secrets = shared::owned(shared.secrets);
    }

    /// Adds the files at `path` through `cache`.
    fn add_cached(&mut self, path: &Path, cache: &mut ManifestCache) -> Result<(), ManifestError> {
        let files = match walk::manifest_files(path, &mut self.errors) {
            Ok(files) => files,
            Err(error) => {
                cache.forget();
                return Err(walk::read_error(path, error));
            }
        };
        let read = cache.read_files(&files);
        self.add_files(&files, read);
        Ok(())
    }

    /// Adds a file or a directory, as [`Manifests::load`] does. Files are
    /// parsed on as many threads as the machine has cores, and taken in
    /// order.
    pub fn add_path(&mut self, path: impl AsRef<Path>) -> Result<(), ManifestError> {
        let path = path.as_ref();
        let files = walk::manifest_files(path, &mut self.errors).map_err(|error| walk::read_error(path, error))?;
        let read = read::read_files(&files);
        self.add_files(&files, read);
        Ok(())
    }

    /// Adds what reading each of `files` gave, in order.
    fn add_files(&mut self, files: &[(PathBuf, Format)], read: Vec<FileEntries>) {
        for ((file, _), entries) in files.iter().zip(read) {
            self.add_entries(&file.as_path().into(), entries);
        }
    }

    /// Adds one file, read as `format`; a file that cannot be read is
    /// reported in [`Manifests::errors`].
    pub fn add_file(&mut self, path: impl AsRef<Path>, format: Format) {
        let path = path.as_ref();
        self.add_entries(&path.into(), read::read_file(path, format));
    }

    /// Adds the documents of `text`, as if read from a file at `path`
    /// (which need not exist): for manifests from standard input, say.
    pub fn add_text(&mut self, path: impl AsRef<Path>, format: Format, text: &str) {
        self.add_entries(&path.as_ref().into(), Ok(read::read_text(format, text)));
    }

    fn add_entries(&mut self, path: &Arc<Path>, entries: Result<Vec<Entry>, ManifestError>) {
        self.files += 1;
        let entries = match entries {
            Ok(entries) => entries,
            Err(error) => return self.errors.push(error),
        };
        for entry in entries {
            match entry {
                Entry::Decoded { document, decoded } => self.add_decoded(path, document, decoded),
                Entry::Failed { document, failure } => self.add_failure(path, document, failure),
            }
        }
    }

    fn add_failure(&mut self, path: &Arc<Path>, document: usize, failure: Failure) {
        self.errors.push(ManifestError::Document {
            path: Arc::clone(path),
            document,
            line: failure.line,
            column: failure.column,
            message: failure.message,
        });
    }

    fn add_decoded(&mut self, path: &Arc<Path>, document: usize, decoded: Decoded) {
        let (line, item) = match &decoded {
            Decoded::Object { line, item, .. } | Decoded::Skipped { line, item, .. } => (*line, *item),
        };
        let source = Source {
            path: Arc::clone(path),
            document,
            line,
            item,
        };
        let object = match decoded {
            Decoded::Skipped { api_version, kind, .. } => {
                return self.skipped.push(Skipped {
                    api_version,
                    kind,
                    source,
                });
            }
            Decoded::Object { object, .. } => object,
        };
        match object {
            Object::Ingress(object) => self.store(object, source),
            Object::IngressClass(object) => self.store(object, source),
            Object::Service(object) => self.store(object, source),
            Object::EndpointSlice(object) => self.store(object, source),
            Object::Secret(object) => self.store(object, source),
        }
    }

    /// Keeps `object`, replacing an earlier definition of the same object.
    fn store<T: Kept>(&mut self, object: Arc<T>, source: Source) {
        let id = object.object_id();
        if id.name.is_empty() {
            let message = match source.item {
                Some(item) => format!("items[{item}]: metadata.name is missing"),
                None => "metadata.name is missing".to_owned(),
            };
            return self.add_failure(&source.path, source.document, Failure::at(source.line, message));
        }
        let position = self.positions.get(&id).copied();
        let kept = source.clone();
        let (dropped, end) = match &mut self.shared {
            Some(shared) => put(T::shared(shared), position, (object, source)),
            None => put(
                T::owned(self),
                position,
                Sourced::new(Arc::unwrap_or_clone(object), source),
            ),
        };
        match dropped {
            Some(dropped) => self.duplicates.push(Duplicate {
                object: id,
                kept,
                dropped,
            }),
            None => {
                self.positions.insert(id, end);
            }
        }
    }

    /// The Ingresses (`networking.k8s.io/v1`), in load order.
    pub fn ingresses(&self) -> &[Sourced<Ingress>] {
        &self.ingresses
    }

    /// The IngressClasses (`networking.k8s.io/v1`), in load order.
    pub fn ingress_classes(&self) -> &[Sourced<IngressClass>] {
        &self.ingress_classes
    }

    /// The IngressClasses, indexed for class selection.
    pub fn classes(&self) -> IngressClasses {
        self.ingress_classes.iter().map(|class| &class.object).collect()
    }

    /// The Services (`v1`), in load order.
    pub fn services(&self) -> &[Sourced<Service>] {
        &self.services
    }

    /// The EndpointSlices (`discovery.k8s.io/v1`), in load order.
    pub fn endpoint_slices(&self) -> &[Sourced<EndpointSlice>] {
        &self.endpoint_slices
    }

    /// The Secrets (`v1`), in load order. Their data is never logged or
    /// printed by this crate (T3).
    pub fn secrets(&self) -> &[Sourced<Secret>] {
        &self.secrets
    }

    /// The Secret `name` in `namespace` (the later definition, when it is
    /// defined twice), for the certificates of `spec.tls[]` entries.
    pub fn secret(&self, namespace: &str, name: &str) -> Option<&Sourced<Secret>> {
        let id = ObjectId {
            kind: "Secret",
            namespace: Some(namespace.to_owned()),
            name: name.to_owned(),
        };
        let position = *self.positions.get(&id)?;
        self.secrets.get(position)
    }

    /// Objects of other kinds, skipped, in load order.
    pub fn skipped(&self) -> &[Skipped] {
        &self.skipped
    }

    /// Objects defined more than once, in the order the later definitions
    /// were found.
    pub fn duplicates(&self) -> &[Duplicate] {
        &self.duplicates
    }

    /// Files, directories and documents that could not be read, in load
    /// order.
    pub fn errors(&self) -> &[ManifestError] {
        &self.errors
    }

    /// The errors, taken.
    pub(crate) fn take_errors(&mut self) -> Vec<ManifestError> {
        std::mem::take(&mut self.errors)
    }

    /// Number of files read (or given as text), readable or not.
    pub fn files(&self) -> usize {
        self.files
    }
}

/// An object with its source, owned or shared.
trait Placed {
    fn source(self) -> Source;
}

impl<T> Placed for Sourced<T> {
    fn source(self) -> Source {
        self.source
    }
}

impl<T> Placed for shared::Shared<T> {
    fn source(self) -> Source {
        self.1
    }
}

/// Puts `element` in `list` at `position`, in the place of an earlier
/// definition, or else at the end: the source of the definition replaced,
/// if any, and where the element went.
fn put<E: Placed>(list: &mut Vec<E>, position: Option<usize>, element: E) -> (Option<Source>, usize) {
    if let Some(position) = position
        && let Some(slot) = list.get_mut(position)
    {
        return (Some(std::mem::replace(slot, element).source()), position);
    }
    let end = list.len();
    list.push(element);
    (None, end)
}

impl fmt::Debug for Manifests {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Manifests")
            .field("ingresses", &self.ingresses)
            .field("ingress_classes", &self.ingress_classes)
            .field("services", &self.services)
            .field("endpoint_slices", &self.endpoint_slices)
            .field("secrets", &self.secrets)
            .field("skipped", &self.skipped)
            .field("duplicates", &self.duplicates)
            .field("errors", &self.errors)
            .field("files", &self.files)
            .finish_non_exhaustive()
    }
}
