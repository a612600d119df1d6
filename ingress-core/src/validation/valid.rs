//! Validated Ingress objects and the typed values inside them.

use std::fmt;
use std::sync::Arc;
use std::time::SystemTime;

use super::Backend;
use crate::objects::ObjectKey;

/// An Ingress that passed validation (V1-V7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidIngress {
    pub(crate) key: ObjectKey,
    pub(crate) creation_timestamp: Option<SystemTime>,
    pub(crate) ingress_class_name: Option<String>,
    pub(crate) default_backend: Option<Backend>,
    pub(crate) rules: Vec<ValidRule>,
    pub(crate) tls: Vec<ValidTls>,
}

impl ValidIngress {
    /// `namespace/name`.
    pub fn key(&self) -> &ObjectKey {
        &self.key
    }

    /// `metadata.creationTimestamp`, if known.
    pub fn creation_timestamp(&self) -> Option<SystemTime> {
        self.creation_timestamp
    }

    /// `spec.ingressClassName`.
    pub fn ingress_class_name(&self) -> Option<&str> {
        self.ingress_class_name.as_deref()
    }

    /// `spec.defaultBackend`.
    pub fn default_backend(&self) -> Option<&Backend> {
        self.default_backend.as_ref()
    }

    /// `spec.rules`, in order.
    pub fn rules(&self) -> &[ValidRule] {
        &self.rules
    }

    /// `spec.tls`, in order.
    pub fn tls(&self) -> &[ValidTls] {
        &self.tls
    }

    /// The M6 precedence key: older first, objects without a creation time
    /// last **\[choice\]** (a file-loaded object counts as the newest), then
    /// by `namespace/name`.
    pub(crate) fn precedence(&self) -> (bool, Option<SystemTime>, &ObjectKey) {
        (self.creation_timestamp.is_none(), self.creation_timestamp, &self.key)
    }
}

/// One validated rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidRule {
    pub(crate) host: HostRule,
    pub(crate) paths: Option<Vec<ValidPath>>,
}

impl ValidRule {
    /// Which requests' hosts this rule is for.
    pub fn host(&self) -> &HostRule {
        &self.host
    }

    /// The rule's paths; `None` when the rule has no `http` (M7: the host
    /// goes to the Ingress's default backend).
    pub fn paths(&self) -> Option<&[ValidPath]> {
        self.paths.as_deref()
    }
}

/// The host part of a rule.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HostRule {
    /// No host: the rule applies to every request that no named host claims.
    Any,
    /// One exact host name, e.g. `foo.bar.com`.
    Exact(Arc<str>),
    /// `*.<parent>`: any one label in front of the parent domain. Holds the
    /// parent (`bar.com` for `*.bar.com`).
    Wildcard(Arc<str>),
}

impl fmt::Display for HostRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Any => f.write_str("*"),
            Self::Exact(host) => f.write_str(host),
            Self::Wildcard(parent) => write!(f, "*.{parent}"),
        }
    }
}

/// One validated path of a rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidPath {
    pub(crate) path: Arc<str>,
    pub(crate) path_type: PathType,
    pub(crate) backend: Backend,
}

impl ValidPath {
    /// The path exactly as written (empty for an `ImplementationSpecific`
    /// path that was left out).
    pub fn path(&self) -> &str {
        &self.path
    }

    pub(crate) fn shared_path(&self) -> &Arc<str> {
        &self.path
    }

    /// The `pathType`.
    pub fn path_type(&self) -> PathType {
        self.path_type
    }

    /// Where matching requests go.
    pub fn backend(&self) -> &Backend {
        &self.backend
    }
}

/// `pathType` of an Ingress path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PathType {
    /// The whole path, byte for byte (M3).
    Exact,
    /// Element-wise path prefix (M4).
    Prefix,
    /// Left to the implementation; see [`ImplementationSpecific`](crate::table::ImplementationSpecific) (M8).
    ImplementationSpecific,
}

impl PathType {
    /// The name used in the Kubernetes API.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Exact => "Exact",
            Self::Prefix => "Prefix",
            Self::ImplementationSpecific => "ImplementationSpecific",
        }
    }

    /// Parses the API name; `None` for anything else (case-sensitive).
    pub fn from_api(name: &str) -> Option<Self> {
        match name {
            "Exact" => Some(Self::Exact),
            "Prefix" => Some(Self::Prefix),
            "ImplementationSpecific" => Some(Self::ImplementationSpecific),
            _ => None,
        }
    }
}

impl fmt::Display for PathType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One validated `spec.tls` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidTls {
    pub(crate) hosts: Vec<HostRule>,
    pub(crate) secret_name: Option<Box<str>>,
}

impl ValidTls {
    /// Names the certificate serves (exact or wildcard).
    pub fn hosts(&self) -> &[HostRule] {
        &self.hosts
    }

    /// The Secret with the certificate, if named.
    pub fn secret_name(&self) -> Option<&str> {
        self.secret_name.as_deref()
    }
}
