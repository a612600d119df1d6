//! Where a validated route sends requests: a Service port or another
//! object (B1, M9).

use std::fmt;
use std::sync::Arc;

/// Where a route sends requests.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Backend {
    /// A Service port in the Ingress's namespace (B1).
    Service(ServiceBackend),
    /// Any other object, carried through as data (M9).
    Resource(ResourceBackend),
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Service(service) => service.fmt(f),
            Self::Resource(resource) => resource.fmt(f),
        }
    }
}

/// A Service port, by number or name, in a namespace.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ServiceBackend {
    /// Namespace of the Service (the Ingress's own).
    pub namespace: Arc<str>,
    /// Service name.
    pub name: Arc<str>,
    /// Service port.
    pub port: ServicePort,
}

impl fmt::Display for ServiceBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}:{}", self.namespace, self.name, self.port)
    }
}

/// A Service port reference.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ServicePort {
    /// `port.number`.
    Number(u16),
    /// `port.name`.
    Name(Arc<str>),
}

impl fmt::Display for ServicePort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Number(number) => number.fmt(f),
            Self::Name(name) => f.write_str(name),
        }
    }
}

/// A non-Service backend object in a namespace (M9).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ResourceBackend {
    /// Namespace of the object (the Ingress's own).
    pub namespace: Arc<str>,
    /// API group; `None` for the core group.
    pub api_group: Option<Arc<str>>,
    /// Kind.
    pub kind: Arc<str>,
    /// Name.
    pub name: Arc<str>,
}

impl fmt::Display for ResourceBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.api_group {
            Some(group) => write!(f, "{}.{}/{}/{}", self.kind, group, self.namespace, self.name),
            None => write!(f, "{}/{}/{}", self.kind, self.namespace, self.name),
        }
    }
}
