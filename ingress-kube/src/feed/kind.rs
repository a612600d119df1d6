//! The kinds of object a feed reads, and the kinds of source it reads
//! them from.

use std::fmt;

/// A kind of Kubernetes object the feed reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Kind {
    /// `networking.k8s.io/v1` Ingress: the routes.
    Ingress,
    /// `networking.k8s.io/v1` IngressClass: which Ingresses are ours.
    IngressClass,
    /// `v1` Service: how a backend's port resolves.
    Service,
    /// `discovery.k8s.io/v1` EndpointSlice: a Service's endpoints.
    EndpointSlice,
    /// `v1` Secret of type `kubernetes.io/tls`: certificates (T1). Not in
    /// [`Kind::ALL`]: the feed builds tables without them (every TLS host
    /// gets the default certificate until they come).
    Secret,
}

impl Kind {
    /// Every kind a feed waits for before its first table.
    pub const ALL: [Kind; 4] = [Kind::Ingress, Kind::IngressClass, Kind::Service, Kind::EndpointSlice];

    /// The kind's name, as in a manifest's `kind:`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ingress => "Ingress",
            Self::IngressClass => "IngressClass",
            Self::Service => "Service",
            Self::EndpointSlice => "EndpointSlice",
            Self::Secret => "Secret",
        }
    }

    /// Whether objects of this kind make routes (rather than endpoints).
    pub fn is_route_input(self) -> bool {
        matches!(self, Self::Ingress | Self::IngressClass)
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a feed's objects come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum SourceKind {
    /// Nothing has been read yet.
    #[default]
    None,
    /// Manifest files (a file or a directory).
    Files,
    /// A Kubernetes API server (list and watch).
    ApiServer,
}

impl SourceKind {
    /// A short name: `none`, `files`, `api-server`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Files => "files",
            Self::ApiServer => "api-server",
        }
    }
}

impl fmt::Display for SourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
