//! Where a path or a default backend sends traffic: `IngressBackend`, a
//! Service port (by number or by name) or a resource (M9).
//!
//! ```
//! use ingress_test_support::{resource_backend, service_backend};
//!
//! assert_ne!(service_backend("web", 80), service_backend("web", "http"));
//! assert_ne!(service_backend("web", 80), resource_backend("StorageBucket", "assets"));
//! ```

use std::fmt::Write as _;

/// The port of a Service backend: `port.number` or `port.name`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BackendPort {
    /// `port.number`.
    Number(u16),
    /// `port.name`.
    Name(String),
}

impl From<u16> for BackendPort {
    fn from(number: u16) -> Self {
        Self::Number(number)
    }
}

impl From<&str> for BackendPort {
    fn from(name: &str) -> Self {
        Self::Name(name.to_owned())
    }
}

/// An Ingress backend; made by [`service_backend`] or [`resource_backend`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IngressBackend(Target);

#[derive(Debug, Clone, PartialEq, Eq)]
enum Target {
    Service { name: String, port: BackendPort },
    Resource { kind: String, name: String },
}

/// A backend of Service `name`, port `port`: a number (`80`) or a port
/// name (`"http"`).
pub fn service_backend(name: &str, port: impl Into<BackendPort>) -> IngressBackend {
    IngressBackend(Target::Service {
        name: name.to_owned(),
        port: port.into(),
    })
}

/// A resource backend (M9): object `name` of `kind` in API group
/// `k8s.example.com`.
pub fn resource_backend(kind: &str, name: &str) -> IngressBackend {
    IngressBackend(Target::Resource {
        kind: kind.to_owned(),
        name: name.to_owned(),
    })
}

impl IngressBackend {
    /// The backend's fields as a block mapping, each key indented by
    /// `indent` spaces.
    pub(crate) fn write(&self, out: &mut String, indent: usize) {
        let pad = " ".repeat(indent);
        match &self.0 {
            Target::Service { name, port } => {
                let _ = writeln!(out, "{pad}service:\n{pad}  name: {name}\n{pad}  port:");
                let _ = match port {
                    BackendPort::Number(number) => writeln!(out, "{pad}    number: {number}"),
                    BackendPort::Name(name) => writeln!(out, "{pad}    name: {name}"),
                };
            }
            Target::Resource { kind, name } => {
                let _ = writeln!(
                    out,
                    "{pad}resource:\n{pad}  apiGroup: k8s.example.com\n{pad}  kind: {kind}\n{pad}  name: {name}"
                );
            }
        }
    }
}
