//! The route side of a feed: which Ingresses are ours (O1-O3), converted,
//! applied to an [`IngressSet`] one changed object at a time (V8), and
//! compiled.

use std::collections::HashMap;
use std::fmt;

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

/// Our Ingresses as last applied, the set that keeps their last valid
/// versions, and the table compiled from it.
#[derive(Debug, Default)]
pub(crate) struct RouteSide {
    set: IngressSet,
    /// The converted version of each of our Ingresses last given to `set`:
    /// an object equal to it is not validated again.
    pub(crate) applied: HashMap<ObjectKey, ingress_core::Ingress>,
    pub(crate) table: RouteTable<Backend>,
    pub(crate) ignored: Vec<IgnoredIngress>,
    pub(crate) sources: HashMap<ObjectKey, Source>,
    /// Ingresses validated by the last rebuild.
    pub(crate) validated: usize,
}

impl RouteSide {
    /// The TLS claims of the served Ingresses (T1).
    #[cfg(feature = "tls")]
    pub(crate) fn tls_claims(&self) -> ingress_core::tls::TlsClaims {
        ingress_core::tls::TlsClaims::from_ingresses(self.set.serving())
    }

    /// Selects, converts and applies `ingresses` with `classes`, and
    /// compiles a new table when anything was applied or removed. Returns
    /// whether the table differs from the last one.
    pub(crate) fn rebuild(
        &mut self,
        selector: &ClassSelector,
        options: &TableOptions,
        ingresses: &[Listed<Ingress>],
        classes: &[Listed<IngressClass>],
    ) -> bool {
        let classes: IngressClasses = classes.iter().map(|(class, _)| &**class).collect();
        let mut ours = HashMap::with_capacity(self.applied.len());
        self.ignored.clear();
        self.sources.clear();
        for (ingress, source) in ingresses {
            let metadata = &ingress.metadata;
            let key = ObjectKey::new(namespace_of(metadata), metadata.name.as_deref().unwrap_or_default());
            if let Some(source) = source {
                self.sources.insert(key.clone(), source.clone());
            }
            match selector.select(ingress, &classes) {
                Selection::Ours(_) => {
                    ours.insert(key, ingress);
                }
                Selection::NotOurs(reason) => self.ignored.push(IgnoredIngress { key, reason }),
            }
        }

        let mut touched = false;
        let set = &mut self.set;
        self.applied.retain(|key, _| {
            let keep = ours.contains_key(key);
            if !keep {
                set.remove(key);
                touched = true;
            }
            keep
        });
        self.validated = 0;
        for (key, ingress) in ours {
            let converted = convert_ingress(ingress);
            if self.applied.get(&key) == Some(&converted) {
                continue;
            }
            set.apply(&converted);
            self.validated += 1;
            touched = true;
            self.applied.insert(key, converted);
        }
        if !touched {
            return false;
        }
        let table = set.compile(options);
        let changed = table != self.table;
        self.table = table;
        changed
    }
}
