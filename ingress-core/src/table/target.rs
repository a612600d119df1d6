//! What a table entry routes to, and why.

use std::fmt;
use std::sync::Arc;

use crate::canonical::normalize_config_path;
use crate::objects::ObjectKey;
use crate::validation::{HostRule, PathType};

use super::MatchKind;

/// One entry of a routing table: a path rule or a default backend, with the
/// backend it sends requests to and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteTarget<B = crate::Backend> {
    pub(crate) backend: B,
    pub(crate) ingress: ObjectKey,
    pub(crate) level: HostRule,
    pub(crate) matched: Matched,
}

impl<B> RouteTarget<B> {
    /// Where requests go.
    pub fn backend(&self) -> &B {
        &self.backend
    }

    /// The Ingress this entry comes from.
    pub fn ingress(&self) -> &ObjectKey {
        &self.ingress
    }

    /// The host level this entry belongs to.
    pub fn level(&self) -> &HostRule {
        &self.level
    }

    /// The path rule, or the default backend.
    pub fn matched(&self) -> &Matched {
        &self.matched
    }

    pub(crate) fn map<C>(&self, map: impl FnOnce(&B) -> C) -> RouteTarget<C> {
        RouteTarget {
            backend: map(&self.backend),
            ingress: self.ingress.clone(),
            level: self.level.clone(),
            matched: self.matched.clone(),
        }
    }
}

/// Which part of an Ingress a route comes from: always one of these two.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Matched {
    /// A path of a rule.
    Rule(RuleRef),
    /// The Ingress's `spec.defaultBackend` (M7).
    DefaultBackend,
}

impl Matched {
    /// The rule, unless this is a default backend.
    pub fn rule(&self) -> Option<&RuleRef> {
        match self {
            Self::Rule(rule) => Some(rule),
            Self::DefaultBackend => None,
        }
    }
}

/// A path rule: where it is in its Ingress and how it matches.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct RuleRef {
    /// Index in `spec.rules`.
    pub rule_index: u32,
    /// Index in `spec.rules[rule_index].http.paths`.
    pub path_index: u32,
    /// The path as written.
    pub path: Arc<str>,
    /// The `pathType` as written.
    pub path_type: PathType,
    /// How it matches once M8 is applied.
    pub kind: MatchKind,
}

impl RuleRef {
    /// The path as matched: in canonical encoding (P9), an empty
    /// `ImplementationSpecific` path read as `/` (M8), and for a Prefix rule
    /// one trailing `/` stripped (so `Prefix /` gives the empty string).
    pub fn matched_path(&self) -> String {
        let written = if self.path.is_empty() { "/" } else { &self.path };
        let normalized = normalize_config_path(written);
        match self.kind {
            MatchKind::Exact => normalized.into_owned(),
            MatchKind::Prefix => normalized.strip_suffix('/').unwrap_or(&normalized).to_owned(),
        }
    }

    /// The field path of this rule in its Ingress.
    pub fn field(&self) -> String {
        format!("spec.rules[{}].http.paths[{}]", self.rule_index, self.path_index)
    }
}

impl fmt::Display for RuleRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {:?}", self.path_type, &*self.path)
    }
}
