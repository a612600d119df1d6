//! Manifests in, an [`IngressSet`] out: load, select our Ingresses (O1-O3),
//! convert them, and keep everything a `check` needs to say.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;

use ingress_core::IngressSet;
use ingress_core::objects::ObjectKey;

use crate::class::{ClassSelector, NotOurs, Selection};
use crate::convert::{convert_ingress, namespace_of};
use crate::manifests::{ManifestError, Manifests, Source};

/// Loads the manifests at `path` (a file or a directory) and builds the set
/// of our Ingresses, as [`Loaded::new`] does. Fails only when `path` itself
/// cannot be read.
pub fn load_set(path: impl AsRef<Path>, selector: &ClassSelector) -> Result<Loaded, ManifestError> {
    Ok(Loaded::new(Manifests::load(path)?, selector))
}

/// Loaded manifests and the [`IngressSet`] of the Ingresses that are ours.
///
/// ```
/// use ingress_kube::{ClassSelector, Format, Loaded, Manifests};
///
/// let mut manifests = Manifests::new();
/// manifests.add_text("web.yaml", Format::Yaml, r#"
/// apiVersion: networking.k8s.io/v1
/// kind: Ingress
/// metadata: { name: web, namespace: shop }
/// spec:
///   ingressClassName: nginx
///   defaultBackend: { service: { name: web, port: { number: 80 } } }
/// "#);
/// let loaded = Loaded::new(manifests, &ClassSelector::default());
/// // No IngressClass "nginx" is known, so the Ingress is not ours.
/// assert!(loaded.set().is_empty());
/// assert_eq!(
///     loaded.ignored()[0].to_string(),
///     r#"web.yaml:2 (document 1): Ingress shop/web ignored: spec.ingressClassName names class "nginx", which does not exist [O1]"#
/// );
/// ```
#[derive(Debug)]
pub struct Loaded {
    manifests: Manifests,
    ingresses: Vec<ingress_core::Ingress>,
    set: IngressSet,
    ignored: Vec<Ignored>,
    sources: HashMap<ObjectKey, Source>,
}

impl Loaded {
    /// Selects the Ingresses of `manifests` that are ours, with the
    /// IngressClasses of `manifests` (O1-O3), converts them, and applies
    /// them to a new [`IngressSet`]. The others are listed in
    /// [`Loaded::ignored`] and take no further part (O3).
    pub fn new(manifests: Manifests, selector: &ClassSelector) -> Self {
        let classes = manifests.classes();
        let mut ingresses = Vec::new();
        let mut ignored = Vec::new();
        let mut sources = HashMap::with_capacity(manifests.ingresses().len());
        for sourced in manifests.ingresses() {
            let metadata = &sourced.object.metadata;
            let key = ObjectKey::new(namespace_of(metadata), metadata.name.as_deref().unwrap_or_default());
            sources.insert(key.clone(), sourced.source.clone());
            match selector.select(&sourced.object, &classes) {
                Selection::Ours(_) => ingresses.push(convert_ingress(&sourced.object)),
                Selection::NotOurs(reason) => ignored.push(Ignored {
                    key,
                    source: sourced.source.clone(),
                    reason,
                }),
            }
        }
        let mut set = IngressSet::new();
        set.sync(&ingresses);
        Self {
            manifests,
            ingresses,
            set,
            ignored,
            sources,
        }
    }

    /// The set of our Ingresses; compile it for a routing table and its
    /// build report.
    pub fn set(&self) -> &IngressSet {
        &self.set
    }

    /// The set of our Ingresses, taken.
    pub fn into_set(self) -> IngressSet {
        self.set
    }

    /// Our Ingresses, converted, in load order. To keep the last valid
    /// version of each object across reloads (V8), give them to the
    /// previous set's [`IngressSet::sync`] instead of using
    /// [`Loaded::set`].
    pub fn ingresses(&self) -> &[ingress_core::Ingress] {
        &self.ingresses
    }

    /// The Ingresses that are not ours, and why, in load order.
    pub fn ignored(&self) -> &[Ignored] {
        &self.ignored
    }

    /// Where the Ingress `key` (ours or not) was defined.
    pub fn source_of(&self, key: &ObjectKey) -> Option<&Source> {
        self.sources.get(key)
    }

    /// Everything loaded: the other kinds, unreadable files and documents,
    /// duplicates, skipped kinds.
    pub fn manifests(&self) -> &Manifests {
        &self.manifests
    }
}

/// An Ingress that is not ours (O3: no route, no status).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Ignored {
    /// The Ingress.
    pub key: ObjectKey,
    /// Where it was defined.
    pub source: Source,
    /// Why it is not ours.
    pub reason: NotOurs,
}

impl fmt::Display for Ignored {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: Ingress {} ignored: {} [{}]",
            self.source,
            self.key,
            self.reason,
            self.reason.rule()
        )
    }
}
