//! What loading noticed besides errors: duplicate definitions, and objects
//! of kinds this crate does not read.

use std::fmt;

use super::source::{ObjectId, Source};

/// The same object (kind, namespace and name) defined twice, across files
/// or within one. The later definition, in load order, is kept, as
/// `kubectl apply` of the files in that order would leave it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Duplicate {
    /// The object.
    pub object: ObjectId,
    /// The definition that is used: the later one.
    pub kept: Source,
    /// The earlier definition, which it replaced.
    pub dropped: Source,
}

impl fmt::Display for Duplicate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} is defined again at {}; the later definition is used",
            self.dropped, self.object, self.kept
        )
    }
}

/// An object of a kind this crate does not read (say a Deployment, or an
/// Ingress of the removed `extensions/v1beta1` API), skipped.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Skipped {
    /// Its `apiVersion`.
    pub api_version: String,
    /// Its `kind`.
    pub kind: String,
    /// Where it is.
    pub source: Source,
}

impl fmt::Display for Skipped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: skipped {} {}", self.source, self.api_version, self.kind)
    }
}
