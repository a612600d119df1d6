//! [`WriteError`]: why the fake refused to store, replace or delete an
//! object.

use std::fmt;

/// Why a write was refused; the HTTP verbs answer it as the API server's
/// `Status` (404, 409, 422).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum WriteError {
    /// The object's `apiVersion` and `kind` name no resource the fake serves.
    UnknownKind {
        /// The object's `apiVersion`.
        api_version: String,
        /// The object's `kind`.
        kind: String,
    },
    /// The object is malformed: not a JSON object, no `metadata.name`, or
    /// a body that cannot be read.
    Invalid(String),
    /// No such object.
    NotFound {
        /// The object's name.
        name: String,
    },
    /// A create found the name taken.
    AlreadyExists {
        /// The object's name.
        name: String,
    },
    /// A write's `metadata.resourceVersion` is not the stored one.
    Conflict {
        /// The object's name.
        name: String,
        /// The version the write expected.
        expected: String,
        /// The stored version.
        stored: String,
    },
    /// A server-side apply sets fields another field manager owns to
    /// other values, without `force`.
    FieldConflict {
        /// The object's name.
        name: String,
        /// The conflicting fields (JSON pointers) and their managers.
        fields: Vec<(String, String)>,
    },
}

impl fmt::Display for WriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownKind { api_version, kind } => {
                write!(f, "no resource for apiVersion {api_version:?}, kind {kind:?}")
            }
            Self::Invalid(why) => write!(f, "invalid object: {why}"),
            Self::NotFound { name } => write!(f, "{name:?} not found"),
            Self::AlreadyExists { name } => write!(f, "{name:?} already exists"),
            Self::Conflict { name, expected, stored } => write!(
                f,
                "Operation cannot be fulfilled on {name:?}: the object has been modified \
                 (resourceVersion {expected} is not the stored {stored}); please apply your \
                 changes to the latest version and try again"
            ),
            Self::FieldConflict { name, fields } => {
                write!(f, "Apply failed on {name:?} with {} conflict(s):", fields.len())?;
                for (field, manager) in fields {
                    write!(f, " conflict with {manager:?}: {field}")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for WriteError {}

impl WriteError {
    /// The HTTP status and `Status.reason` the API server answers with.
    pub(crate) fn status(&self) -> (u16, &'static str) {
        match self {
            Self::UnknownKind { .. } | Self::NotFound { .. } => (404, "NotFound"),
            Self::Invalid(_) => (422, "Invalid"),
            Self::AlreadyExists { .. } => (409, "AlreadyExists"),
            Self::Conflict { .. } | Self::FieldConflict { .. } => (409, "Conflict"),
        }
    }
}
