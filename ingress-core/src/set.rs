//! The set of Ingresses a table is compiled from, with V8's memory: when a
//! new version of an object is invalid, its last valid version stays.
//!
//! ```
//! use ingress_core::{HttpIngressPath, Ingress, IngressBackend, IngressSet, TableOptions};
//! use ingress_core::set::Applied;
//!
//! let mut set = IngressSet::new();
//! let good = Ingress::new("default", "web")
//!     .with_rule(None, [HttpIngressPath::prefix("/", IngressBackend::service("web", 80))]);
//! assert_eq!(set.apply(&good), Applied::Accepted);
//!
//! // An edit that breaks the object: the previous version keeps serving.
//! let broken = Ingress::new("default", "web")
//!     .with_rule(None, [HttpIngressPath::prefix("no-slash", IngressBackend::service("web", 80))]);
//! assert_eq!(set.apply(&broken), Applied::Rejected { serving_previous: true });
//!
//! let table = set.compile(&TableOptions::default());
//! assert_eq!(table.len(), 1);
//! assert!(table.report().has_rejections());
//! ```

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;
use std::time::SystemTime;

use foldhash::fast::RandomState;

use crate::objects::Ingress;
use crate::objects::ObjectKey;
use crate::table::{BuildReport, Diagnostic, DiagnosticKind, Reuse, RouteTable, TableOptions, compile};
use crate::validation::{Backend, ValidIngress};
use crate::validation::{Rejection, validate_as};

/// What [`IngressSet::apply`] did with an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Applied {
    /// The object is valid and is served as given.
    Accepted,
    /// The object is invalid (V8).
    Rejected {
        /// Whether an earlier valid version is still served.
        serving_previous: bool,
    },
}

/// Ingress objects by `namespace/name`, each with the version that is
/// served and, when the newest version is invalid, why.
#[derive(Debug, Clone, Default)]
pub struct IngressSet {
    objects: HashMap<ObjectKey, Entry, RandomState>,
    /// The served objects in M6 order. Compiling a table and collecting
    /// TLS claims both want that order; kept here, their sorts find it done
    /// (a check of the order is linear) instead of sorting every object at
    /// every change, and walking it needs no lookup by key.
    order: BTreeSet<Rank>,
    /// Namespace names, shared by every object (and route) in them.
    namespaces: HashSet<Arc<str>, RandomState>,
}

/// A served object where it stands in M6 order: its
/// `ValidIngress::precedence`, owned, which alone orders and tells ranks
/// apart (the set holds one served version per key).
#[derive(Debug, Clone)]
struct Rank(bool, Option<SystemTime>, ObjectKey, Arc<ValidIngress>);

impl Rank {
    fn of(ingress: &Arc<ValidIngress>) -> Self {
        let (untimed, created, key) = ingress.precedence();
        Self(untimed, created, key.clone(), Arc::clone(ingress))
    }

    fn precedence(&self) -> (bool, Option<SystemTime>, &ObjectKey) {
        (self.0, self.1, &self.2)
    }
}

impl PartialEq for Rank {
    fn eq(&self, other: &Self) -> bool {
        self.precedence() == other.precedence()
    }
}

impl Eq for Rank {}

impl PartialOrd for Rank {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Rank {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.precedence().cmp(&other.precedence())
    }
}

impl PartialEq for IngressSet {
    fn eq(&self, other: &Self) -> bool {
        self.objects == other.objects
    }
}

impl Eq for IngressSet {}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Entry {
    serving: Option<Arc<ValidIngress>>,
    rejection: Option<Rejection>,
}

impl IngressSet {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds or replaces an object. An invalid object replaces nothing: the
    /// last valid version of the same object (if any) keeps being served,
    /// and the rejection is kept for the report.
    pub fn apply(&mut self, ingress: &Ingress) -> Applied {
        self.apply_noting_change(ingress).0
    }

    /// [`IngressSet::apply`], and whether the set changed: when not (the
    /// same valid object again, or the same rejection again), a table
    /// compiled before is still the table of this set.
    ///
    /// ```
    /// use ingress_core::{HttpIngressPath, Ingress, IngressBackend, IngressSet};
    ///
    /// let web = Ingress::new("default", "web").with_rule(None, [HttpIngressPath::prefix("/", IngressBackend::service("web", 80))]);
    /// let mut set = IngressSet::new();
    /// assert!(set.apply_noting_change(&web).1);
    /// assert!(!set.apply_noting_change(&web).1);
    /// ```
    pub fn apply_noting_change(&mut self, ingress: &Ingress) -> (Applied, bool) {
        let key = self.key_of(ingress);
        let validated = validate_as(ingress, key.clone());
        let mut changed = false;
        let entry = self.objects.entry(key).or_insert_with(|| {
            changed = true;
            Entry::default()
        });
        match validated {
            Ok(valid) => {
                let same = entry.serving.as_deref() == Some(&valid);
                changed |= entry.rejection.is_some() || !same;
                if !same {
                    if let Some(old) = &entry.serving {
                        self.order.remove(&Rank::of(old));
                    }
                    let valid = Arc::new(valid);
                    self.order.insert(Rank::of(&valid));
                    entry.serving = Some(valid);
                }
                entry.rejection = None;
                (Applied::Accepted, changed)
            }
            Err(rejection) => {
                changed |= entry.rejection.as_ref() != Some(&rejection);
                entry.rejection = Some(rejection);
                let applied = Applied::Rejected {
                    serving_previous: entry.serving.is_some(),
                };
                (applied, changed)
            }
        }
    }

    fn key_of(&mut self, ingress: &Ingress) -> ObjectKey {
        let namespace = match self.namespaces.get(ingress.namespace.as_str()) {
            Some(namespace) => Arc::clone(namespace),
            None => {
                let namespace: Arc<str> = ingress.namespace.as_str().into();
                self.namespaces.insert(Arc::clone(&namespace));
                namespace
            }
        };
        ObjectKey::in_namespace(namespace, &ingress.name)
    }

    /// Removes an object (and its last valid version). Returns whether it
    /// was there.
    pub fn remove(&mut self, key: &ObjectKey) -> bool {
        let Some(entry) = self.objects.remove(key) else {
            return false;
        };
        if let Some(serving) = &entry.serving {
            self.order.remove(&Rank::of(serving));
        }
        true
    }

    /// Makes the set hold exactly `ingresses` (say, after re-reading every
    /// manifest): objects not among them are removed, the others applied,
    /// each keeping its last valid version when the new one is invalid.
    /// Returns whether anything changed: when not, a table compiled before
    /// is still the table of this set.
    ///
    /// ```
    /// use ingress_core::{HttpIngressPath, Ingress, IngressBackend, IngressSet};
    ///
    /// let web = Ingress::new("default", "web").with_rule(None, [HttpIngressPath::prefix("/", IngressBackend::service("web", 80))]);
    /// let mut set = IngressSet::new();
    /// assert!(set.sync([&web]));
    /// assert!(!set.sync([&web]));
    /// assert!(set.sync([]));
    /// ```
    pub fn sync<'a>(&mut self, ingresses: impl IntoIterator<Item = &'a Ingress>) -> bool {
        let mut seen = HashSet::new();
        let mut changed = false;
        for ingress in ingresses {
            let (_, this_changed) = self.apply_noting_change(ingress);
            changed |= this_changed;
            seen.insert(ingress.key());
        }
        let before = self.objects.len();
        let order = &mut self.order;
        self.objects.retain(|key, entry| {
            let keep = seen.contains(key);
            if let (false, Some(serving)) = (keep, &entry.serving) {
                order.remove(&Rank::of(serving));
            }
            keep
        });
        changed || self.objects.len() != before
    }

    /// The served version of an object.
    pub fn get(&self, key: &ObjectKey) -> Option<&ValidIngress> {
        self.objects.get(key).and_then(|entry| entry.serving.as_deref())
    }

    /// Every served object, in M6 order (oldest first, then by
    /// `namespace/name`).
    pub fn serving(&self) -> impl Iterator<Item = &ValidIngress> {
        self.order.iter().map(|Rank(_, _, _, ingress)| &**ingress)
    }

    /// Number of objects known (served or rejected).
    pub fn len(&self) -> usize {
        self.objects.len()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.objects.is_empty()
    }

    /// Compiles the served objects into a table of [`Backend`]s.
    pub fn compile(&self, options: &TableOptions) -> RouteTable<Backend> {
        self.compile_with(options, Backend::clone)
    }

    /// Compiles the served objects into a table whose routes lead to
    /// `map(backend)`: an application's own handler values, say.
    pub fn compile_with<B>(&self, options: &TableOptions, map: impl FnMut(&Backend) -> B) -> RouteTable<B> {
        self.compile_inner(options, map, None)
    }

    fn compile_inner<B>(
        &self,
        options: &TableOptions,
        map: impl FnMut(&Backend) -> B,
        reuse: Option<Reuse<'_, B>>,
    ) -> RouteTable<B> {
        let mut diagnostics: Vec<Diagnostic> = self
            .objects
            .values()
            .filter_map(|entry| {
                let rejection = entry.rejection.as_ref()?;
                Some(Diagnostic {
                    object: rejection.object.clone(),
                    kind: DiagnosticKind::Rejected {
                        errors: rejection.errors.clone(),
                        serving_previous: entry.serving.is_some(),
                    },
                })
            })
            .collect();
        diagnostics.sort_by(|a, b| a.object.cmp(&b.object));
        let table = compile(self.serving(), options, map, reuse, &mut diagnostics);
        table.with_report(BuildReport { diagnostics })
    }

    /// [`compile`](Self::compile), sharing every entry of `previous` (a
    /// table this set compiled before) that comes out the same: same
    /// Ingress version, host level, rule and backend. The result equals
    /// what `compile` gives; after a change to a few objects of a large
    /// set, only their entries are new, so less is allocated now and
    /// freed with the old table, and a program that maps tables (see
    /// [`RouteTable::map_backends_reusing`]) can tell the unchanged entries
    /// by address.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use ingress_core::{HttpIngressPath, Ingress, IngressBackend, IngressSet, TableOptions};
    ///
    /// let rule = |name: &str, service: &str| {
    ///     Ingress::new("default", name)
    ///         .with_rule(Some(&format!("{name}.example")), [HttpIngressPath::prefix("/", IngressBackend::service(service, 80))])
    /// };
    /// let options = TableOptions::default();
    /// let mut set = IngressSet::new();
    /// set.apply(&rule("a", "one"));
    /// set.apply(&rule("b", "two"));
    /// let first = set.compile(&options);
    ///
    /// set.apply(&rule("b", "three"));
    /// let second = set.compile_reusing(&options, &first);
    /// assert_eq!(second, set.compile(&options));
    /// let a = |table: &ingress_core::RouteTable| Arc::clone(&table.targets()[0]);
    /// assert!(Arc::ptr_eq(&a(&first), &a(&second)));
    /// assert!(!Arc::ptr_eq(&first.targets()[1], &second.targets()[1]));
    /// ```
    pub fn compile_reusing(&self, options: &TableOptions, previous: &RouteTable<Backend>) -> RouteTable<Backend> {
        self.compile_inner(options, Backend::clone, Some(Reuse::of(previous, |a, b| a == b)))
    }
}
