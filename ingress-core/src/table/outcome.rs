//! The answer of a lookup.

use std::sync::Arc;

use crate::canonical::{CanonicalPath, RequestError, RequestHost};
use crate::objects::ObjectKey;
use crate::validation::{Backend, HostRule};

use super::target::{Matched, RouteTarget};

/// What a table answers for a request.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome<B = Backend> {
    /// A path rule or a default backend serves the request.
    Routed(Route<B>),
    /// Nothing serves it: 404.
    NotFound(NotFound),
    /// The request cannot be canonicalised: 400 or 414.
    Refused(RequestError),
}

impl<B> Outcome<B> {
    /// The route, when the request was routed.
    pub fn route(&self) -> Option<&Route<B>> {
        match self {
            Self::Routed(route) => Some(route),
            Self::NotFound(_) | Self::Refused(_) => None,
        }
    }

    /// The route, when the request was routed.
    pub fn into_route(self) -> Option<Route<B>> {
        match self {
            Self::Routed(route) => Some(route),
            Self::NotFound(_) | Self::Refused(_) => None,
        }
    }

    /// The status a server answers with when it does not forward: `None`
    /// for a routed request, else 404, 400 or 414.
    pub fn status_code(&self) -> Option<u16> {
        match self {
            Self::Routed(_) => None,
            Self::NotFound(_) => Some(404),
            Self::Refused(error) => Some(error.refusal().status_code()),
        }
    }
}

/// A routed request: the table entry that serves it and the canonical form
/// it is forwarded in. Cheap to clone (the entry is shared).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route<B = Backend> {
    pub(crate) target: Arc<RouteTarget<B>>,
    pub(crate) host: RequestHost,
    pub(crate) path: CanonicalPath,
}

impl<B> Route<B> {
    /// Where the request goes.
    pub fn backend(&self) -> &B {
        &self.target.backend
    }

    /// The Ingress that routes it.
    pub fn ingress(&self) -> &ObjectKey {
        &self.target.ingress
    }

    /// The path rule that matched, or the default backend.
    pub fn matched(&self) -> &Matched {
        &self.target.matched
    }

    /// Whether a default backend serves (no path rule matched).
    pub fn is_default_backend(&self) -> bool {
        matches!(self.target.matched, Matched::DefaultBackend)
    }

    /// The host level that served.
    pub fn level(&self) -> &HostRule {
        &self.target.level
    }

    /// The whole table entry.
    pub fn target(&self) -> &Arc<RouteTarget<B>> {
        &self.target
    }

    /// The canonical host.
    pub fn host(&self) -> &RequestHost {
        &self.host
    }

    /// The canonical path: what was matched and what is forwarded.
    pub fn path(&self) -> &CanonicalPath {
        &self.path
    }

    /// The canonical path, owned.
    pub fn into_path(self) -> CanonicalPath {
        self.path
    }
}

/// A request nothing serves.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct NotFound {
    /// The canonical host.
    pub host: RequestHost,
    /// The canonical path (`None` for `OPTIONS *`).
    pub path: Option<CanonicalPath>,
    /// The host level that was chosen, if any level applied.
    pub level: Option<HostRule>,
}
