//! How a table is compiled and how it matches.

use crate::canonical::PathOptions;
use crate::validation::PathType;

/// Options for compiling and querying a [`RouteTable`](crate::RouteTable).
///
/// ```
/// use ingress_core::TableOptions;
/// use ingress_core::canonical::{PathOptions, PathProfile};
/// use ingress_core::table::ImplementationSpecific;
///
/// let options = TableOptions::default()
///     .with_implementation_specific(ImplementationSpecific::Exact)
///     .with_path(PathOptions::default().with_profile(PathProfile::Raw));
/// assert!(!options.fallthrough);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub struct TableOptions {
    /// Request path canonicalisation; configured paths are checked against
    /// the same options (P9).
    pub path: PathOptions,
    /// How `ImplementationSpecific` paths match (M8).
    pub implementation_specific: ImplementationSpecific,
    /// Let a request that matches no path of its host level try the less
    /// specific levels (exact host, then wildcard, then host-less) before
    /// any default backend (M2). Off by default **\[choice\]**.
    ///
    /// With it on, the first level with a matching path wins; when no level
    /// has one, the default backend of the most specific level that has a
    /// default backend serves.
    pub fallthrough: bool,
}

impl TableOptions {
    /// Sets the path options.
    #[must_use]
    pub fn with_path(mut self, path: PathOptions) -> Self {
        self.path = path;
        self
    }

    /// Sets the `ImplementationSpecific` policy.
    #[must_use]
    pub fn with_implementation_specific(mut self, policy: ImplementationSpecific) -> Self {
        self.implementation_specific = policy;
        self
    }

    /// Turns fallthrough between host levels on or off.
    #[must_use]
    pub fn with_fallthrough(mut self, fallthrough: bool) -> Self {
        self.fallthrough = fallthrough;
        self
    }

    /// How a path of type `path_type` matches under these options.
    pub fn match_kind(&self, path_type: PathType) -> MatchKind {
        match (path_type, self.implementation_specific) {
            (PathType::Exact, _) | (PathType::ImplementationSpecific, ImplementationSpecific::Exact) => {
                MatchKind::Exact
            }
            (PathType::Prefix, _) | (PathType::ImplementationSpecific, ImplementationSpecific::Prefix) => {
                MatchKind::Prefix
            }
        }
    }
}

/// How `ImplementationSpecific` paths match (M8) **\[choice\]**.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum ImplementationSpecific {
    /// Like `Prefix` (the default); an empty path means `/`.
    #[default]
    Prefix,
    /// Like `Exact`; an empty path means `/`.
    Exact,
}

/// The matching a rule gets once `ImplementationSpecific` is resolved.
///
/// Two rules of the same host level with the same `MatchKind` and the same
/// canonical path are equal rules, resolved by M6.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MatchKind {
    /// Byte for byte (M3).
    Exact,
    /// Element-wise prefix (M4).
    Prefix,
}
