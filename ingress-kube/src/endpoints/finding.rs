//! What building an endpoint table noticed, for a `check` report.

use std::fmt;

use super::reason::NoEndpoints;
use crate::manifests::{ObjectId, Source};

/// Something about a Service or an EndpointSlice that leaves a backend
/// without endpoints, or an object this crate cannot use, with the
/// object's [`Source`] when it came from [`Manifests`](crate::Manifests).
///
/// Displayed as `source: object: problem [rule]`, without the source when
/// there is none. Ordered by source, then object, then problem: the order
/// of [`EndpointTable::findings`](crate::EndpointTable::findings).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub struct EndpointFinding {
    /// Where the object was defined; `None` for objects not read from
    /// manifests.
    pub source: Option<Source>,
    /// The Service or EndpointSlice.
    pub object: ObjectId,
    /// What is wrong.
    pub problem: EndpointProblem,
}

impl fmt::Display for EndpointFinding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(source) = &self.source {
            write!(f, "{source}: ")?;
        }
        write!(f, "{}: {} [{}]", self.object, self.problem, self.problem.rule())
    }
}

/// What an [`EndpointFinding`] is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum EndpointProblem {
    /// A Service port without any ready endpoint: requests routed to it
    /// are answered 503 (B3).
    NoReadyEndpoints {
        /// `spec.ports[].port`.
        port: u16,
        /// `spec.ports[].name`, when set.
        name: Option<String>,
        /// [`NoEndpoints::NoEndpointSlices`] or
        /// [`NoEndpoints::NoReadyEndpoints`].
        reason: NoEndpoints,
    },
    /// A Service of type `ExternalName`, which this crate does not
    /// support: backends naming it have no endpoints.
    ExternalName {
        /// `spec.externalName`.
        external_name: String,
    },
    /// An EndpointSlice without the `kubernetes.io/service-name` label:
    /// no Service uses it.
    NoServiceLabel,
    /// An EndpointSlice whose `kubernetes.io/service-name` label names no
    /// Service in the slice's namespace.
    UnknownService {
        /// The label's value.
        service: String,
    },
    /// An EndpointSlice whose `addressType` is neither IPv4 nor IPv6
    /// (FQDN, say): skipped.
    UnsupportedAddressType {
        /// `addressType`.
        address_type: String,
    },
    /// An EndpointSlice port without a port number in 1-65535: the slice
    /// gives no endpoint for that port.
    BadPort {
        /// The field, e.g. `ports[1].port`.
        field: String,
        /// The value; `None` when it is missing.
        port: Option<i32>,
    },
    /// An address that is not an IP address of the slice's `addressType`:
    /// skipped.
    BadAddress {
        /// The field, e.g. `endpoints[2].addresses[0]`.
        field: String,
        /// The value.
        address: String,
        /// The slice's `addressType`.
        address_type: String,
    },
}

impl EndpointProblem {
    /// The rule of the semantics contract the problem is about: `B3` for a
    /// Service port without ready endpoints, `B1` for everything else.
    pub fn rule(&self) -> &'static str {
        match self {
            Self::NoReadyEndpoints { .. } => "B3",
            _ => "B1",
        }
    }
}

impl fmt::Display for EndpointProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoReadyEndpoints { port, name, reason } => {
                write!(f, "port {port}")?;
                if let Some(name) = name {
                    write!(f, " ({name})")?;
                }
                write!(f, " has no ready endpoint: {reason}; requests for it are answered 503")
            }
            Self::ExternalName { external_name } => write!(
                f,
                "type ExternalName ({external_name:?}) is not supported; backends naming it have no endpoints"
            ),
            Self::NoServiceLabel => f.write_str("no label kubernetes.io/service-name: no Service uses the slice"),
            Self::UnknownService { service } => write!(
                f,
                "label kubernetes.io/service-name names Service {service:?}, which does not exist in the slice's namespace"
            ),
            Self::UnsupportedAddressType { address_type } => {
                write!(f, "addressType {address_type:?} is not supported; the slice is skipped")
            }
            Self::BadPort {
                field,
                port: Some(port),
            } => {
                write!(
                    f,
                    "{field}: {port} is not a port number; the slice gives no endpoint for it"
                )
            }
            Self::BadPort { field, port: None } => {
                write!(f, "{field}: missing; the slice gives no endpoint for the port")
            }
            Self::BadAddress {
                field,
                address,
                address_type,
            } => write!(f, "{field}: {address:?} is not an {address_type} address; skipped"),
        }
    }
}
