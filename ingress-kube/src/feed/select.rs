//! The route side of a feed: which Ingresses are ours (O1-O3), converted,
//! applied to an [`IngressSet`] one changed object at a time (V8), and
//! compiled.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::Arc;

use foldhash::fast::RandomState;
use ingress_core::objects::ObjectKey;
use ingress_core::{Backend, IngressSet, RouteTable, TableOptions};
use k8s_openapi::api::networking::v1::{Ingress, IngressClass};

use super::snapshot::Listed;
use crate::class::{ClassSelector, IngressClasses, NotOurs, Selection};
use crate::convert::{convert_ingress, namespace_of};
use crate::manifests::Source;

/// An Ingress that is not ours (O3: no route, no status), and why.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct IgnoredIngress {
    /// The Ingress.
    pub key: ObjectKey,
    /// Why it is not ours.
    pub reason: NotOurs,
}

impl fmt::Display for IgnoredIngress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Ingress {} ignored: {} [{}]",
            self.key,
            self.reason,
            self.reason.rule()
        )
    }
}

/// What the last rebuild made of one listed Ingress.
#[derive(Debug)]
struct Seen {
    /// Held so that the address the entry is filed under stays this
    /// object's for as long as the entry lives.
    _object: Arc<Ingress>,
    key: ObjectKey,
    /// `None` when the Ingress is ours.
    not_ours: Option<NotOurs>,
    /// The last rebuild that listed it.
    round: u64,
}

/// Our Ingresses as last applied, the set that keeps their last valid
/// versions, and the table compiled from it.
///
/// A source hands over every Ingress at each change, shared ([`Arc`]) as
/// its store holds them, and a store keeps the same allocation for an
/// object that did not change. So an Ingress listed at the same address as
/// last time, with the same IngressClasses, is skipped without being
/// selected, converted or compared again: a one-object change in a large
/// cluster does work for that object only, up to the compile.
#[derive(Debug, Default)]
pub(crate) struct RouteSide {
    set: IngressSet,
    /// The version of each of our Ingresses last given to `set`: an object
    /// of the same version is not converted or validated again. In key
    /// order, so that a publisher collecting the keys finds them sorted.
    pub(crate) applied: BTreeMap<ObjectKey, Version>,
    /// The listed Ingresses of the last rebuild, by address.
    seen: HashMap<usize, Seen, RandomState>,
    /// Counts rebuilds, to tell the entries of `seen` listed by this one.
    round: u64,
    /// The IngressClasses the entries of `seen` were selected with.
    seen_classes: Vec<Arc<IngressClass>>,
    pub(crate) table: RouteTable<Backend>,
    /// The table `table` replaced at this rebuild, until it is published:
    /// a publisher maps only the entries the two do not share.
    pub(crate) retired: Option<RouteTable<Backend>>,
    pub(crate) ignored: Vec<IgnoredIngress>,
    pub(crate) sources: HashMap<ObjectKey, Source>,
    /// Ingresses validated by the last rebuild.
    pub(crate) validated: usize,
    /// Whether the last rebuild changed the served version of an Ingress
    /// that has or had `spec.tls`: when not, the TLS claims are as they
    /// were and need not be collected again.
    pub(crate) tls_touched: bool,
}

/// Which version of an Ingress was last given to the set.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Version {
    /// An object from an API server: its `uid` and `resourceVersion`,
    /// which change with every change of the object. Cheaper to keep and
    /// compare than the object (a relist hands over every object anew).
    Stored { uid: String, resource_version: String },
    /// An object without them (from a file): the converted object itself.
    Converted(Box<ingress_core::Ingress>),
}

impl Version {
    /// The API server's version of `ingress`, when it has one.
    fn stored(ingress: &Ingress) -> Option<Self> {
        let metadata = &ingress.metadata;
        match (&metadata.uid, &metadata.resource_version) {
            (Some(uid), Some(version)) if !uid.is_empty() && !version.is_empty() => Some(Self::Stored {
                uid: uid.clone(),
                resource_version: version.clone(),
            }),
            _ => None,
        }
    }
}

/// Whether the served version of `key` in `set` has `spec.tls` entries.
fn serves_tls(set: &IngressSet, key: &ObjectKey) -> bool {
    set.get(key).is_some_and(|ingress| !ingress.tls().is_empty())
}

/// Whether two lists hold the same shared objects, in the same order.
fn same_objects<T>(a: &[Arc<T>], b: &[Listed<T>]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(a, (b, _))| Arc::ptr_eq(a, b))
}

impl RouteSide {
    /// The TLS claims of the served Ingresses (T1).
    #[cfg(feature = "tls")]
    pub(crate) fn tls_claims(&self) -> ingress_core::tls::TlsClaims {
        ingress_core::tls::TlsClaims::from_ingresses(self.set.serving())
    }

    /// Selects, converts and applies the Ingresses that are new or changed
    /// since the last rebuild (all of them when `classes` changed), removes
    /// the ones that are gone or no longer ours, and compiles a new table
    /// when the set changed. Returns whether the table differs from the
    /// last one.
    pub(crate) fn rebuild(
        &mut self,
        selector: &ClassSelector,
        options: &TableOptions,
        ingresses: &[Listed<Ingress>],
        classes: &[Listed<IngressClass>],
    ) -> bool {
        let reuse = same_objects(&self.seen_classes, classes);
        if !reuse {
            self.seen_classes = classes.iter().map(|(class, _)| Arc::clone(class)).collect();
        }
        let class_index: IngressClasses = classes.iter().map(|(class, _)| &**class).collect();
        self.round += 1;
        let round = self.round;
        // Listed last time and not now: gone, replaced by a new version
        // (which is in `fresh` if it is still ours), or selected again.
        let mut dropped = Vec::new();
        let mut fresh: HashMap<ObjectKey, &Ingress> = HashMap::new();
        self.sources.clear();
        for (ingress, source) in ingresses {
            let address = Arc::as_ptr(ingress) as usize;
            if reuse && let Some(seen) = self.seen.get_mut(&address) {
                seen.round = round;
                if let Some(source) = source {
                    self.sources.insert(seen.key.clone(), source.clone());
                }
                continue;
            }
            let metadata = &ingress.metadata;
            let key = ObjectKey::new(namespace_of(metadata), metadata.name.as_deref().unwrap_or_default());
            if let Some(source) = source {
                self.sources.insert(key.clone(), source.clone());
            }
            let not_ours = match selector.select(ingress, &class_index) {
                Selection::Ours(_) => {
                    fresh.insert(key.clone(), ingress);
                    None
                }
                Selection::NotOurs(reason) => Some(reason),
            };
            let seen = Seen {
                _object: Arc::clone(ingress),
                key,
                not_ours,
                round,
            };
            dropped.extend(self.seen.insert(address, seen).map(|seen| seen.key));
        }
        let unlisted = self.seen.extract_if(|_, seen| seen.round != round);
        dropped.extend(unlisted.map(|(_, seen)| seen.key));

        let mut touched = false;
        self.tls_touched = false;
        for key in dropped {
            if !fresh.contains_key(&key) && self.applied.remove(&key).is_some() {
                self.tls_touched |= serves_tls(&self.set, &key);
                self.set.remove(&key);
                touched = true;
            }
        }
        self.validated = 0;
        for (key, ingress) in fresh {
            let stored = Version::stored(ingress);
            if stored.is_some() && self.applied.get(&key) == stored.as_ref() {
                continue;
            }
            let converted = convert_ingress(ingress);
            if stored.is_none()
                && let Some(Version::Converted(applied)) = self.applied.get(&key)
                && **applied == converted
            {
                continue;
            }
            let had_tls = serves_tls(&self.set, &key);
            let (_, changed) = self.set.apply_noting_change(&converted);
            self.tls_touched |= changed && (had_tls || serves_tls(&self.set, &key));
            self.validated += 1;
            touched |= changed;
            let version = stored.unwrap_or_else(|| Version::Converted(Box::new(converted)));
            self.applied.insert(key, version);
        }
        self.ignored = self
            .seen
            .values()
            .filter_map(|seen| {
                let reason = seen.not_ours.clone()?;
                Some(IgnoredIngress {
                    key: seen.key.clone(),
                    reason,
                })
            })
            .collect();
        self.ignored.sort_by(|a, b| a.key.cmp(&b.key));
        if !touched {
            return false;
        }
        // The set changed (a served version or a rejection); the table may
        // still route as before (say, only the class field changed).
        let table = self.set.compile_reusing(options, &self.table);
        let changed = table != self.table;
        if changed {
            self.retired = Some(std::mem::replace(&mut self.table, table));
        }
        changed
    }
}
