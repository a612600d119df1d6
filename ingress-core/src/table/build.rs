//! Compiling validated Ingresses into a [`RouteTable`].
//!
//! Objects are taken in M6 precedence order (older first, then by
//! `namespace/name`) and each object's rules in their written order, so the
//! first rule to claim a key is the winner and every later claimant is the
//! loser of a conflict. The [`IngressSet`](crate::IngressSet) keeps its
//! served objects in that order, so the table and the report are the same
//! whatever order the objects came in.

use std::collections::HashMap;
use std::sync::Arc;

use foldhash::fast::RandomState;

use crate::canonical::{
    RequestError, RequestHost, already_canonical, canonicalize_host, config_path_refusal, normalize_config_path,
};
use crate::validation::{Backend, HostRule, ValidIngress, ValidPath};

use super::index::Index;
use super::report::{Diagnostic, DiagnosticKind, Location, Unmatchable};
use super::target::{Matched, RouteTarget, RuleRef};
use super::{MatchKind, RouteTable, TableOptions};

/// Compiles `ingresses` (each `namespace/name` once, in M6 order, as an
/// [`IngressSet`](crate::IngressSet) keeps them) into a table whose
/// backends are `map(backend)`; findings go to `diagnostics`.
pub(crate) fn compile<'a, 'p, B>(
    ingresses: impl IntoIterator<Item = &'a ValidIngress>,
    options: &TableOptions,
    map: impl FnMut(&Backend) -> B,
    reuse: Option<Reuse<'p, B>>,
    diagnostics: &mut Vec<Diagnostic>,
) -> RouteTable<B> {
    let ingresses: Vec<&ValidIngress> = ingresses.into_iter().collect();
    // Checking the order would compare most keys' strings at every compile
    // (objects created in the same second tie on time).
    debug_assert!(ingresses.is_sorted_by(|a, b| a.precedence() < b.precedence()));
    let rules: usize = ingresses.iter().map(|i| i.rules().len()).sum();
    let paths: usize = ingresses
        .iter()
        .flat_map(|i| i.rules())
        .map(|rule| rule.paths().map_or(0, <[_]>::len))
        .sum();
    let mut index = Index::default();
    index.reserve(rules, paths);
    let reuse = reuse.filter(|reuse| reuse.options == options);
    let mut compiler = Compiler {
        options,
        map,
        reuse,
        targets: Vec::with_capacity(paths),
        index,
        diagnostics,
    };
    for ingress in &ingresses {
        compiler.add_rules(ingress);
    }
    for ingress in &ingresses {
        compiler.add_default_backend(ingress);
    }
    let Compiler {
        mut targets, mut index, ..
    } = compiler;
    targets.shrink_to_fit();
    index.shrink_to_fit();
    RouteTable {
        options: options.clone(),
        targets,
        index: Arc::new(index),
        report: Default::default(),
    }
}

/// Where an entry comes from: its Ingress (the allocation of its key,
/// which an unchanged object keeps from one compile to the next), and its
/// rule and path, or `u32::MAX` and the how-manieth default backend entry
/// of that Ingress it is.
type Origin = (usize, u32, u32);

/// The entries of an earlier table, by origin, for a compile to share
/// instead of making equal ones anew.
pub(crate) struct Reuse<'p, B> {
    options: &'p TableOptions,
    entries: HashMap<Origin, &'p Arc<RouteTarget<B>>, RandomState>,
    /// Whether an entry leads where a backend of this compile would.
    same: fn(&B, &Backend) -> bool,
}

impl<'p, B> Reuse<'p, B> {
    pub(crate) fn of(previous: &'p RouteTable<B>, same: fn(&B, &Backend) -> bool) -> Self {
        let mut defaults: HashMap<usize, u32, RandomState> = HashMap::default();
        let entries = previous
            .targets
            .iter()
            .map(|target| {
                let ingress = target.ingress.identity();
                let origin = match &target.matched {
                    Matched::Rule(rule) => (ingress, rule.rule_index, rule.path_index),
                    Matched::DefaultBackend => {
                        let nth = defaults.entry(ingress).or_default();
                        *nth += 1;
                        (ingress, u32::MAX, *nth - 1)
                    }
                };
                (origin, target)
            })
            .collect();
        Self {
            options: &previous.options,
            entries,
            same,
        }
    }
}

struct Compiler<'o, 'p, B, F> {
    options: &'o TableOptions,
    map: F,
    reuse: Option<Reuse<'p, B>>,
    targets: Vec<Arc<RouteTarget<B>>>,
    index: Index,
    diagnostics: &'o mut Vec<Diagnostic>,
}

fn to_u32(value: usize) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

impl<B, F: FnMut(&Backend) -> B> Compiler<'_, '_, B, F> {
    /// The level of a rule's host, unless no request can ever carry that
    /// host (then reported, and `None`).
    fn level(&mut self, ingress: &ValidIngress, host: &HostRule, field: impl FnOnce() -> String) -> Option<u32> {
        if let Some(level) = self.index.existing(host) {
            return Some(level);
        }
        if let Some(error) = host_refusal(host) {
            self.report(
                ingress,
                DiagnosticKind::NeverMatches {
                    field: field(),
                    reason: Unmatchable::Host(error),
                },
            );
            return None;
        }
        Some(self.index.level_for(host))
    }

    fn add_rules(&mut self, ingress: &ValidIngress) {
        for (rule_index, rule) in ingress.rules().iter().enumerate() {
            let Some(level) = self.level(ingress, rule.host(), || format!("spec.rules[{rule_index}].host")) else {
                continue;
            };
            for (path_index, path) in rule.paths().unwrap_or_default().iter().enumerate() {
                self.add_path(ingress, level, rule_index, path_index, path);
            }
        }
    }

    fn add_path(&mut self, ingress: &ValidIngress, level: u32, rule_index: usize, path_index: usize, path: &ValidPath) {
        let kind = self.options.match_kind(path.path_type());
        // M8: an empty ImplementationSpecific path means `/`.
        let written = if path.path().is_empty() { "/" } else { path.path() };
        let normalized = normalize_config_path(written);
        let key = match kind {
            MatchKind::Exact => &*normalized,
            MatchKind::Prefix => normalized.strip_suffix('/').unwrap_or(&normalized),
        };
        let field = || format!("spec.rules[{rule_index}].http.paths[{path_index}]");
        let refusal = match kind {
            // Prefix `/` matches every path.
            MatchKind::Prefix if key.is_empty() => None,
            _ => config_path_refusal(key, &self.options.path),
        };
        if let Some(request) = refusal {
            let reason = Unmatchable::Path {
                normalized: key.to_owned(),
                request,
            };
            self.report(ingress, DiagnosticKind::NeverMatches { field: field(), reason });
            return;
        }
        let target = to_u32(self.targets.len());
        if let Some(existing) = self.index.insert_path(level, kind, key, target) {
            let winner = self.location(existing);
            let host = self.level_host(level);
            self.report(
                ingress,
                DiagnosticKind::Conflict {
                    field: field(),
                    level: host,
                    path: path.path().to_owned(),
                    path_type: path.path_type(),
                    winner,
                },
            );
            return;
        }
        let (rule_index, path_index) = (to_u32(rule_index), to_u32(path_index));
        let same_rule = |matched: &Matched| {
            matched.rule().is_some_and(|rule| {
                rule.rule_index == rule_index
                    && rule.path_index == path_index
                    && rule.path_type == path.path_type()
                    && rule.kind == kind
                    && rule.path == *path.shared_path()
            })
        };
        if self.reuse_entry((ingress, rule_index, path_index), level, same_rule, path.backend()) {
            return;
        }
        let rule = RuleRef {
            rule_index,
            path_index,
            path: Arc::clone(path.shared_path()),
            path_type: path.path_type(),
            kind,
        };
        let backend = (self.map)(path.backend());
        self.push(ingress, level, Matched::Rule(rule), backend);
    }

    /// Shares the earlier table's entry of `origin` if it is this one: the
    /// same Ingress, host level, match and backend.
    fn reuse_entry(
        &mut self,
        (ingress, rule, path): (&ValidIngress, u32, u32),
        level: u32,
        same_match: impl FnOnce(&Matched) -> bool,
        backend: &Backend,
    ) -> bool {
        let Some(reuse) = &self.reuse else {
            return false;
        };
        let key = ingress.key();
        let Some(&entry) = reuse.entries.get(&(key.identity(), rule, path)) else {
            return false;
        };
        let same = entry.ingress == *key
            && self.index.level(level).is_some_and(|info| info.host == entry.level)
            && same_match(&entry.matched)
            && (reuse.same)(&entry.backend, backend);
        if same {
            self.targets.push(Arc::clone(entry));
        }
        same
    }

    /// M7: the default backend serves every host level its Ingress has rules
    /// for; an Ingress without rules serves the host-less level.
    fn add_default_backend(&mut self, ingress: &ValidIngress) {
        let Some(backend) = ingress.default_backend() else {
            return;
        };
        let mut hosts: Vec<&HostRule> = ingress.rules().iter().map(|rule| rule.host()).collect();
        if hosts.is_empty() {
            hosts.push(&HostRule::Any);
        }
        let mut seen = Vec::with_capacity(hosts.len());
        let mut nth = 0;
        for host in hosts {
            if seen.contains(&host) {
                continue;
            }
            seen.push(host);
            // Unreachable hosts were reported with their rules.
            if self.index.existing(host).is_none() && host_refusal(host).is_some() {
                continue;
            }
            let level = self.index.level_for(host);
            let target = to_u32(self.targets.len());
            if let Some(existing) = self.index.set_default(level, target) {
                let winner = self.location(existing).object;
                self.report(
                    ingress,
                    DiagnosticKind::DefaultBackendConflict {
                        level: host.clone(),
                        winner,
                    },
                );
                continue;
            }
            nth += 1;
            let is_default = |matched: &Matched| matches!(matched, Matched::DefaultBackend);
            if self.reuse_entry((ingress, u32::MAX, nth - 1), level, is_default, backend) {
                continue;
            }
            let backend = (self.map)(backend);
            self.push(ingress, level, Matched::DefaultBackend, backend);
        }
    }

    fn level_host(&self, level: u32) -> HostRule {
        self.index.level(level).map_or(HostRule::Any, |info| info.host.clone())
    }

    fn push(&mut self, ingress: &ValidIngress, level: u32, matched: Matched, backend: B) {
        let level = self.level_host(level);
        self.targets.push(Arc::new(RouteTarget {
            backend,
            ingress: ingress.key().clone(),
            level,
            matched,
        }));
    }

    fn location(&self, target: u32) -> Location {
        let target = usize::try_from(target).ok().and_then(|t| self.targets.get(t));
        Location {
            object: target.map_or_else(|| crate::objects::ObjectKey::new("", ""), |t| t.ingress.clone()),
            field: match target.map(|t| &t.matched) {
                Some(Matched::Rule(rule)) => rule.field(),
                _ => "spec.defaultBackend".to_owned(),
            },
        }
    }

    fn report(&mut self, ingress: &ValidIngress, kind: DiagnosticKind) {
        self.diagnostics.push(Diagnostic {
            object: ingress.key().clone(),
            kind,
        });
    }
}

/// Why no request can ever be routed to `host`'s level (H3), if so: a
/// valid rule host can still be one that requests cannot carry, such as a
/// 64-byte label or the all-numeric `1.2.3`.
pub(crate) fn host_refusal(host: &HostRule) -> Option<RequestError> {
    // Most rule hosts are canonical names as they are: no need to build one.
    let name = match host {
        HostRule::Any => return None,
        HostRule::Exact(name) | HostRule::Wildcard(name) => name,
    };
    if already_canonical(name.as_bytes()).is_some() {
        return None;
    }
    let probe = match host {
        HostRule::Any => return None,
        HostRule::Exact(name) => canonicalize_host(name.as_bytes()),
        HostRule::Wildcard(parent) => canonicalize_host(format!("x.{parent}").as_bytes()),
    };
    match probe {
        Ok(RequestHost::Name(_)) => None,
        Ok(_) => Some(RequestError::MalformedIpLiteral),
        Err(error) => Some(error),
    }
}
