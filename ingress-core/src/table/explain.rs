//! Why a table answers what it answers: for tools, not for the request path.

use std::sync::Arc;

use crate::canonical::{CanonicalPath, RequestHost};
use crate::validation::HostRule;

use super::target::{Matched, RouteTarget};
use super::{MatchKind, RouteTable};

/// The reasoning behind a lookup: the host level M1 chose, every path rule
/// of that level that matches the path (best first, as M5 ranks them), and
/// the entry that serves.
///
/// ```
/// use ingress_core::{HttpIngressPath, Ingress, IngressBackend, RouteTable, TableOptions};
/// use ingress_core::canonical::{RequestHost, canonicalize_path};
///
/// let table = RouteTable::from_ingresses(
///     [Ingress::new("default", "web").with_rule(None, [
///         HttpIngressPath::prefix("/", IngressBackend::service("root", 80)),
///         HttpIngressPath::prefix("/api", IngressBackend::service("api", 80)),
///     ])],
///     &TableOptions::default(),
/// );
/// let path = canonicalize_path("/api/users", &table.options().path).unwrap();
/// let why = table.explain(&RequestHost::None, &path);
/// assert_eq!(why.matching.len(), 2);
/// assert!(std::sync::Arc::ptr_eq(why.served_by.unwrap(), why.matching[0]));
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub struct Explanation<'t, B> {
    /// The host level M1 selected, if any level applies.
    pub level: Option<HostRule>,
    /// The path rules of that level matching the path, best first: Exact
    /// rules, then Prefix rules longest first.
    pub matching: Vec<&'t Arc<RouteTarget<B>>>,
    /// The entry that serves: what [`RouteTable::find`] returns.
    pub served_by: Option<&'t Arc<RouteTarget<B>>>,
}

impl<B> RouteTable<B> {
    /// Explains the lookup of a canonical host and path. It scans every
    /// entry, so it is for tools (the `route` command), not for serving.
    pub fn explain(&self, host: &RequestHost, path: &CanonicalPath) -> Explanation<'_, B> {
        let chosen = self.index.select(host.name());
        let mut matching: Vec<&Arc<RouteTarget<B>>> = chosen
            .map(|level| self.index.matching(level, path.as_str()))
            .unwrap_or_default()
            .into_iter()
            .filter_map(|target| self.targets.get(usize::try_from(target).ok()?))
            .collect();
        // Best first: Exact, then the longest Prefix (M5).
        matching.sort_by_key(|target| match &target.matched {
            Matched::Rule(rule) => (rule.kind != MatchKind::Exact, usize::MAX - rule.matched_path().len()),
            Matched::DefaultBackend => (true, usize::MAX),
        });
        Explanation {
            level: chosen
                .and_then(|level| self.index.level(level))
                .map(|info| info.host.clone()),
            matching,
            served_by: self.find(host, path),
        }
    }
}
