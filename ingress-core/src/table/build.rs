//! Compiling validated Ingresses into a [`RouteTable`].
//!
//! Objects are taken in M6 precedence order (older first, then by
//! `namespace/name`) and each object's rules in their written order, so the
//! first rule to claim a key is the winner and every later claimant is the
//! loser of a conflict. Sorting first makes the table and the report the
//! same whatever order the objects came in.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::canon::{
    RequestError, RequestHost, canonicalize_host, canonicalize_path, config_path_can_match, normalize_config_path,
};
use crate::valid::{Backend, HostRule, ValidIngress, ValidPath};

use super::level::Level;
use super::report::{Diagnostic, DiagnosticKind, Location, Unmatchable};
use super::target::{Matched, RouteTarget, RuleRef};
use super::{MatchKind, RouteTable, TableOptions};

/// Compiles `ingresses` (each `namespace/name` once) into a table whose
/// backends are `map(backend)`; findings go to `diagnostics`.
pub(crate) fn compile<'a, B>(
    ingresses: impl IntoIterator<Item = &'a ValidIngress>,
    options: &TableOptions,
    map: impl FnMut(&Backend) -> B,
    diagnostics: &mut Vec<Diagnostic>,
) -> RouteTable<B> {
    let mut ingresses: Vec<&ValidIngress> = ingresses.into_iter().collect();
    ingresses.sort_by(|a, b| a.precedence().cmp(&b.precedence()));
    let mut compiler = Compiler {
        options,
        map,
        targets: Vec::new(),
        levels: BTreeMap::new(),
        diagnostics,
    };
    for ingress in &ingresses {
        compiler.add_rules(ingress);
    }
    for ingress in &ingresses {
        compiler.add_default_backend(ingress);
    }
    compiler.finish()
}

struct Compiler<'o, B, F> {
    options: &'o TableOptions,
    map: F,
    targets: Vec<Arc<RouteTarget<B>>>,
    levels: BTreeMap<HostRule, Level>,
    diagnostics: &'o mut Vec<Diagnostic>,
}

impl<B, F: FnMut(&Backend) -> B> Compiler<'_, B, F> {
    fn add_rules(&mut self, ingress: &ValidIngress) {
        for (rule_index, rule) in ingress.rules().iter().enumerate() {
            if let Some(error) = host_refusal(rule.host()) {
                self.report(
                    ingress,
                    DiagnosticKind::NeverMatches {
                        field: format!("spec.rules[{rule_index}].host"),
                        reason: Unmatchable::Host(error),
                    },
                );
                continue;
            }
            self.levels.entry(rule.host().clone()).or_default();
            for (path_index, path) in rule.paths().unwrap_or_default().iter().enumerate() {
                self.add_path(ingress, rule.host(), rule_index, path_index, path);
            }
        }
    }

    fn add_path(
        &mut self,
        ingress: &ValidIngress,
        host: &HostRule,
        rule_index: usize,
        path_index: usize,
        path: &ValidPath,
    ) {
        let kind = self.options.match_kind(path.path_type());
        // M8: an empty ImplementationSpecific path means `/`.
        let written = if path.path().is_empty() { "/" } else { path.path() };
        let normalized = normalize_config_path(written);
        let key = match kind {
            MatchKind::Exact => normalized.as_str(),
            MatchKind::Prefix => normalized.strip_suffix('/').unwrap_or(&normalized),
        };
        let field = format!("spec.rules[{rule_index}].http.paths[{path_index}]");
        let matchable = (kind == MatchKind::Prefix && key.is_empty()) || config_path_can_match(key, &self.options.path);
        if !matchable {
            let request = canonicalize_path(&normalized, &self.options.path).map(|c| c.into_string());
            self.report(
                ingress,
                DiagnosticKind::NeverMatches {
                    field,
                    reason: Unmatchable::Path { normalized, request },
                },
            );
            return;
        }
        let target = self.targets.len();
        let Some(level) = self.levels.get_mut(host) else {
            return;
        };
        let existing = match kind {
            MatchKind::Exact => match level.exact.get(key) {
                Some(&existing) => Some(existing),
                None => {
                    level.exact.insert(key.into(), target);
                    None
                }
            },
            MatchKind::Prefix => level.prefix.insert(key, target),
        };
        if let Some(existing) = existing {
            let winner = self.location(existing);
            self.report(
                ingress,
                DiagnosticKind::Conflict {
                    field,
                    level: host.clone(),
                    path: path.path().to_owned(),
                    path_type: path.path_type(),
                    winner,
                },
            );
            return;
        }
        let rule = RuleRef {
            rule_index,
            path_index,
            path: path.path().into(),
            path_type: path.path_type(),
            kind,
            canonical: key.into(),
        };
        let backend = (self.map)(path.backend());
        self.push(ingress, host, Matched::Rule(rule), backend);
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
        for host in hosts {
            if seen.contains(&host) || host_refusal(host).is_some() {
                continue;
            }
            seen.push(host);
            let target = self.targets.len();
            let level = self.levels.entry(host.clone()).or_default();
            if let Some(existing) = level.default {
                let winner = self
                    .targets
                    .get(existing)
                    .map(|t| t.ingress.clone())
                    .unwrap_or_else(|| ingress.key().clone());
                self.report(
                    ingress,
                    DiagnosticKind::DefaultBackendConflict {
                        level: host.clone(),
                        winner,
                    },
                );
                continue;
            }
            level.default = Some(target);
            let backend = (self.map)(backend);
            self.push(ingress, host, Matched::DefaultBackend, backend);
        }
    }

    fn push(&mut self, ingress: &ValidIngress, host: &HostRule, matched: Matched, backend: B) {
        self.targets.push(Arc::new(RouteTarget {
            backend,
            ingress: ingress.key().clone(),
            level: host.clone(),
            matched,
        }));
    }

    fn location(&self, target: usize) -> Location {
        let target = self.targets.get(target);
        Location {
            object: target
                .map(|t| t.ingress.clone())
                .unwrap_or_else(|| crate::ObjectKey::new("", "")),
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

    fn finish(self) -> RouteTable<B> {
        let mut table = RouteTable {
            options: self.options.clone(),
            targets: self.targets,
            exact_hosts: Default::default(),
            wildcard_hosts: Default::default(),
            host_less: None,
            report: Default::default(),
        };
        for (host, level) in self.levels {
            match host {
                HostRule::Any => table.host_less = Some(level),
                HostRule::Exact(name) => {
                    table.exact_hosts.insert(name, level);
                }
                HostRule::Wildcard(parent) => {
                    table.wildcard_hosts.insert(parent, level);
                }
            }
        }
        table
    }
}

/// Why no request can ever be routed to `host`'s level (H3), if so: a
/// valid rule host can still be one that requests cannot carry, such as a
/// 64-byte label or the all-numeric `1.2.3`.
pub(crate) fn host_refusal(host: &HostRule) -> Option<RequestError> {
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
