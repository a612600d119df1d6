//! Why a Service backend has no endpoint to send a request to.

use std::fmt;
use std::sync::Arc;

/// Why [`EndpointTable::resolve`](crate::EndpointTable::resolve) found no
/// ready endpoint for a Service backend. A route to such a backend answers
/// 503, never a different backend (B3).
///
/// The variants follow the resolution steps of B1, first failure first.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum NoEndpoints {
    /// No Service of that name in the backend's namespace.
    UnknownService,
    /// The Service has no TCP port with that number (`spec.ports[].port`)
    /// or name (`spec.ports[].name`).
    UnknownPort,
    /// The Service is of type `ExternalName`, resolved by DNS to the name
    /// it holds; this crate does not support it.
    ExternalName(Arc<str>),
    /// No EndpointSlice of the Service (with `addressType` IPv4 or IPv6)
    /// lists the Service port with a port number.
    NoEndpointSlices,
    /// EndpointSlices list the port, but none of their endpoints is ready.
    NoReadyEndpoints,
}

impl fmt::Display for NoEndpoints {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownService => f.write_str("no such Service"),
            Self::UnknownPort => f.write_str("the Service has no TCP port of that number or name"),
            Self::ExternalName(name) => write!(
                f,
                "the Service is of type ExternalName ({name:?}), which is not supported"
            ),
            Self::NoEndpointSlices => f.write_str("no usable EndpointSlice of the Service lists the port"),
            Self::NoReadyEndpoints => f.write_str("no endpoint of the Service port is ready"),
        }
    }
}

impl std::error::Error for NoEndpoints {}
