//! A reference matcher written straight from the contract's text: a linear
//! scan over every rule of every Ingress, no index, no cleverness.
//!
//! It exists to be obviously right, not fast. The property tests and fuzz
//! targets check that [`RouteTable`](crate::RouteTable) answers every
//! request exactly as this does; the benchmarks show how much faster the
//! table is. It shares only validation and configured-path encoding (P9)
//! with the table, both of which are tested on their own.
//!
//! Compiled with the `reference` cargo feature only: ingress-core's own
//! tests and benchmarks and the fuzz targets turn it on; a program that
//! routes requests has no use for it.
//!
//! ```
//! use ingress_core::reference::ReferenceMatcher;
//! use ingress_core::{HttpIngressPath, Ingress, IngressBackend, TableOptions};
//! use ingress_core::canonical::RequestHost;
//! use ingress_core::validation::validate;
//!
//! let ingress = validate(&Ingress::new("default", "web").with_rule(
//!     None,
//!     [
//!         HttpIngressPath::prefix("/", IngressBackend::service("root", 80)),
//!         HttpIngressPath::prefix("/aaa", IngressBackend::service("aaa", 80)),
//!     ],
//! ))
//! .unwrap();
//! let reference = ReferenceMatcher::new([&ingress], &TableOptions::default());
//! let hit = reference.route(&RequestHost::None, "/aaa/ccc").unwrap();
//! assert_eq!(hit.rule, Some((0, 1)));
//! ```

use std::sync::Arc;
use std::time::SystemTime;

use crate::canonical::{RequestHost, normalize_config_path};
use crate::objects::ObjectKey;
use crate::table::{MatchKind, RouteTarget, TableOptions};
use crate::validation::{Backend, HostRule, ValidIngress};

fn to_u32(index: usize) -> u32 {
    u32::try_from(index).unwrap_or(u32::MAX)
}

/// M6 order of a path rule: its Ingress's precedence, then its position.
type Order<'a> = ((bool, Option<SystemTime>, &'a ObjectKey), usize, usize);

/// The naive matcher over a set of validated Ingresses.
#[derive(Debug, Clone)]
pub struct ReferenceMatcher<'a> {
    ingresses: Vec<&'a ValidIngress>,
    options: TableOptions,
}

/// What the reference matcher picked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferenceMatch {
    /// The Ingress that serves.
    pub ingress: ObjectKey,
    /// `(rule index, path index)` of the path rule, or `None` for the
    /// default backend.
    pub rule: Option<(u32, u32)>,
    /// The backend.
    pub backend: Backend,
}

impl ReferenceMatch {
    /// A table entry in the reference matcher's terms, to compare the two.
    pub fn of(target: &RouteTarget<Backend>) -> Self {
        Self {
            ingress: target.ingress().clone(),
            rule: target.matched().rule().map(|rule| (rule.rule_index, rule.path_index)),
            backend: target.backend().clone(),
        }
    }
}

impl<'a> ReferenceMatcher<'a> {
    /// A matcher over `ingresses` (each `namespace/name` once).
    pub fn new(ingresses: impl IntoIterator<Item = &'a ValidIngress>, options: &TableOptions) -> Self {
        Self {
            ingresses: ingresses.into_iter().collect(),
            options: options.clone(),
        }
    }

    /// Routes a canonical host and path; `None` means 404.
    pub fn route(&self, host: &RequestHost, path: &str) -> Option<ReferenceMatch> {
        let levels = self.levels(host);
        // M2: without fallthrough only the selected level is consulted.
        let consulted = if self.options.fallthrough {
            &levels
        } else {
            levels.get(..1).unwrap_or_default()
        };
        consulted
            .iter()
            .find_map(|level| self.best_path(level, path))
            .or_else(|| consulted.iter().find_map(|level| self.default_backend(level)))
    }

    /// M1: the exact host if any Ingress names it, then the wildcard of its
    /// parent if any Ingress names that, then the host-less level.
    fn levels(&self, host: &RequestHost) -> Vec<HostRule> {
        let mut levels = Vec::new();
        if let RequestHost::Name(name) = host {
            let exact = HostRule::Exact(Arc::clone(name));
            if self.names(&exact) {
                levels.push(exact);
            }
            if let Some((_, parent)) = name.split_once('.') {
                let wildcard = HostRule::Wildcard(parent.into());
                if self.names(&wildcard) {
                    levels.push(wildcard);
                }
            }
        }
        levels.push(HostRule::Any);
        levels
    }

    fn names(&self, level: &HostRule) -> bool {
        self.ingresses
            .iter()
            .any(|ingress| ingress.rules().iter().any(|rule| rule.host() == level))
    }

    /// M3-M6 within one level.
    fn best_path(&self, level: &HostRule, path: &str) -> Option<ReferenceMatch> {
        // The best match so far, with its rank: (is exact, length of the
        // rule) and its M6 order.
        let mut best: Option<(ReferenceMatch, (bool, usize), Order<'_>)> = None;
        for ingress in &self.ingresses {
            for (rule_index, rule) in ingress.rules().iter().enumerate() {
                if rule.host() != level {
                    continue;
                }
                for (path_index, rule_path) in rule.paths().unwrap_or_default().iter().enumerate() {
                    let written = if rule_path.path().is_empty() {
                        "/"
                    } else {
                        rule_path.path()
                    };
                    let configured = normalize_config_path(written);
                    let kind = self.options.match_kind(rule_path.path_type());
                    let (matches, length) = match kind {
                        MatchKind::Exact => (path == configured, configured.len()),
                        MatchKind::Prefix => {
                            let stripped = configured.strip_suffix('/').unwrap_or(&configured);
                            let matches = path == stripped
                                || path.strip_prefix(stripped).is_some_and(|rest| rest.starts_with('/'));
                            (matches, stripped.len())
                        }
                    };
                    if !matches {
                        continue;
                    }
                    let rank = (kind == MatchKind::Exact, length);
                    let order = (ingress.precedence(), rule_index, path_index);
                    // M5: Exact beats Prefix, a longer Prefix beats a shorter;
                    // M6: of equal rules, the earlier in precedence wins.
                    let better = best.as_ref().is_none_or(|(_, best_rank, best_order)| {
                        rank > *best_rank || (rank == *best_rank && order < *best_order)
                    });
                    if better {
                        let found = ReferenceMatch {
                            ingress: ingress.key().clone(),
                            rule: Some((to_u32(rule_index), to_u32(path_index))),
                            backend: rule_path.backend().clone(),
                        };
                        best = Some((found, rank, order));
                    }
                }
            }
        }
        best.map(|(found, ..)| found)
    }

    /// M7: the default backend of the oldest Ingress that has rules for this
    /// level (or, for the host-less level, no rules at all).
    fn default_backend(&self, level: &HostRule) -> Option<ReferenceMatch> {
        self.ingresses
            .iter()
            .filter(|ingress| {
                let rules = ingress.rules();
                rules.iter().any(|rule| rule.host() == level) || (rules.is_empty() && *level == HostRule::Any)
            })
            .filter_map(|ingress| Some((ingress.precedence(), ingress, ingress.default_backend()?)))
            .min_by(|a, b| a.0.cmp(&b.0))
            .map(|(_, ingress, backend)| ReferenceMatch {
                ingress: ingress.key().clone(),
                rule: None,
                backend: backend.clone(),
            })
    }
}
