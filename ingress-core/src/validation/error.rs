//! Why an object was rejected.

use std::fmt;

use crate::objects::ObjectKey;

/// An object that failed validation, with every reason found (the API
/// server reports all of them too).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Rejection {
    /// The rejected object.
    pub object: ObjectKey,
    /// Each broken field, in the object's order.
    pub errors: Vec<FieldError>,
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} rejected: ", self.object)?;
        for (i, error) in self.errors.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            error.fmt(f)?;
        }
        Ok(())
    }
}

impl std::error::Error for Rejection {}

/// One broken field.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FieldError {
    /// The field's path, e.g. `spec.rules[0].http.paths[1].path`.
    pub field: String,
    /// What is wrong with it.
    pub reason: Invalid,
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.reason)
    }
}

/// What is wrong with a field. Each names the rule it breaks
/// ([`Invalid::rule`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Invalid {
    /// V1: neither `rules` nor `defaultBackend`.
    NoRulesNorDefaultBackend,
    /// V2: the host is an IP address.
    HostIsIpAddress(String),
    /// V2: the host is not a lowercase DNS-1123 subdomain or a wildcard of one.
    HostNotDnsName(String),
    /// V3: `http` with an empty `paths`.
    NoPaths,
    /// V3: no `pathType`.
    PathTypeMissing,
    /// V3: a `pathType` other than the three known ones.
    PathTypeUnsupported(String),
    /// V4/V5: the path does not start with `/`.
    PathNotAbsolute(String),
    /// V4: the path contains a forbidden sequence.
    PathContains(&'static str),
    /// V4: the path ends in a forbidden suffix.
    PathEndsWith(&'static str),
    /// V6: neither `service` nor `resource`.
    BackendMissing,
    /// V6: both `service` and `resource`.
    BackendAmbiguous,
    /// V6: the Service name is not a DNS-1035 label.
    ServiceNameInvalid(String),
    /// V6: neither `port.number` nor `port.name`.
    PortMissing,
    /// V6: both `port.number` and `port.name`.
    PortAmbiguous,
    /// V6: `port.number` outside 1..=65535.
    PortNumberOutOfRange(i32),
    /// V6: `port.name` is not an IANA service name.
    PortNameInvalid(String),
    /// V6: a required field of `resource` is empty.
    ResourceFieldMissing,
    /// V6: a `resource` field holds a value the API server refuses.
    ResourceFieldInvalid(String),
    /// V7: a TLS host is not a DNS-1123 subdomain or wildcard.
    TlsHostInvalid(String),
    /// V7: `secretName` is not a DNS-1123 subdomain.
    SecretNameInvalid(String),
}

impl Invalid {
    /// The id of the rule in the semantics contract that this breaks
    /// (`"V1"` to `"V7"`).
    pub fn rule(&self) -> &'static str {
        match self {
            Self::NoRulesNorDefaultBackend => "V1",
            Self::HostIsIpAddress(_) | Self::HostNotDnsName(_) => "V2",
            Self::NoPaths | Self::PathTypeMissing | Self::PathTypeUnsupported(_) => "V3",
            Self::PathNotAbsolute(_) | Self::PathContains(_) | Self::PathEndsWith(_) => "V4",
            Self::BackendMissing
            | Self::BackendAmbiguous
            | Self::ServiceNameInvalid(_)
            | Self::PortMissing
            | Self::PortAmbiguous
            | Self::PortNumberOutOfRange(_)
            | Self::PortNameInvalid(_)
            | Self::ResourceFieldMissing
            | Self::ResourceFieldInvalid(_) => "V6",
            Self::TlsHostInvalid(_) | Self::SecretNameInvalid(_) => "V7",
        }
    }
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoRulesNorDefaultBackend => f.write_str("either defaultBackend or rules must be specified"),
            Self::HostIsIpAddress(host) => write!(f, "{host:?} must be a DNS name, not an IP address"),
            Self::HostNotDnsName(host) => write!(
                f,
                "{host:?} must be a lowercase DNS-1123 subdomain (labels of a-z, 0-9 and '-', starting and ending alphanumeric, separated by '.', 253 bytes at most), optionally behind '*.'"
            ),
            Self::NoPaths => f.write_str("at least one path is required"),
            Self::PathTypeMissing => f.write_str("pathType is required (Exact, Prefix or ImplementationSpecific)"),
            Self::PathTypeUnsupported(value) => {
                write!(
                    f,
                    "unsupported pathType {value:?}: expected Exact, Prefix or ImplementationSpecific"
                )
            }
            Self::PathNotAbsolute(path) => write!(f, "{path:?} must be an absolute path (start with '/')"),
            Self::PathContains(sequence) => write!(f, "must not contain {sequence:?}"),
            Self::PathEndsWith(suffix) => write!(f, "must not end with {suffix:?}"),
            Self::BackendMissing => f.write_str("exactly one of service or resource is required, found neither"),
            Self::BackendAmbiguous => f.write_str("exactly one of service or resource is required, found both"),
            Self::ServiceNameInvalid(name) => write!(
                f,
                "service name {name:?} must be a DNS-1035 label (a-z, 0-9 and '-', starting with a letter, ending alphanumeric, 63 bytes at most)"
            ),
            Self::PortMissing => f.write_str("exactly one of port.number or port.name is required, found neither"),
            Self::PortAmbiguous => f.write_str("exactly one of port.number or port.name is required, found both"),
            Self::PortNumberOutOfRange(number) => write!(f, "port number {number} must be between 1 and 65535"),
            Self::PortNameInvalid(name) => write!(
                f,
                "port name {name:?} must be an IANA service name (1 to 15 of a-z, 0-9 and '-', at least one letter, no '-' at either end, no '--')"
            ),
            Self::ResourceFieldMissing => f.write_str("required value is empty"),
            Self::ResourceFieldInvalid(value) => write!(f, "{value:?} is not a valid value here"),
            Self::TlsHostInvalid(host) => {
                write!(
                    f,
                    "TLS host {host:?} must be a lowercase DNS-1123 subdomain, optionally behind '*.'"
                )
            }
            Self::SecretNameInvalid(name) => write!(f, "secret name {name:?} must be a lowercase DNS-1123 subdomain"),
        }
    }
}
