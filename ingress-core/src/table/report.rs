//! The build report: everything a compile noticed.

use std::fmt;

use crate::canonical::RequestError;
use crate::objects::ObjectKey;
use crate::validation::FieldError;
use crate::validation::{HostRule, PathType};

/// What compiling a table found: rejected objects, conflicts, rules that
/// can never match. Deterministic: the same objects give the same report,
/// in the same order, whatever order they came in.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BuildReport {
    pub(crate) diagnostics: Vec<Diagnostic>,
}

impl BuildReport {
    /// Every diagnostic: rejections first (by object), then the compile's
    /// findings in precedence order.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    /// Whether any object was rejected.
    pub fn has_rejections(&self) -> bool {
        self.rejections().next().is_some()
    }

    /// The rejected objects.
    pub fn rejections(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics
            .iter()
            .filter(|d| matches!(d.kind, DiagnosticKind::Rejected { .. }))
    }

    /// Whether there is nothing to report.
    pub fn is_empty(&self) -> bool {
        self.diagnostics.is_empty()
    }
}

impl fmt::Display for BuildReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for diagnostic in &self.diagnostics {
            writeln!(f, "{diagnostic}")?;
        }
        Ok(())
    }
}

/// One finding about one object.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Diagnostic {
    /// The object it is about.
    pub object: ObjectKey,
    /// What was found.
    pub kind: DiagnosticKind,
}

/// What a diagnostic found.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DiagnosticKind {
    /// V8: the object failed validation and is not served as it is now.
    Rejected {
        /// Every broken field.
        errors: Vec<FieldError>,
        /// Whether an earlier valid version of the object is still served.
        serving_previous: bool,
    },
    /// M5/M6: a path rule equal to one that takes precedence; it never
    /// serves.
    Conflict {
        /// The losing rule's field, e.g. `spec.rules[0].http.paths[1]`.
        field: String,
        /// Its host level.
        level: HostRule,
        /// Its path as written.
        path: String,
        /// Its `pathType`.
        path_type: PathType,
        /// The rule that wins.
        winner: Location,
    },
    /// M7: a default backend for a host level that an earlier Ingress
    /// already provides.
    DefaultBackendConflict {
        /// The host level.
        level: HostRule,
        /// The Ingress whose default backend serves.
        winner: ObjectKey,
    },
    /// P9/H3: a rule no canonical request can ever match.
    NeverMatches {
        /// The rule's field.
        field: String,
        /// Why.
        reason: Unmatchable,
    },
}

impl DiagnosticKind {
    /// The id of the contract rule behind this finding.
    pub fn rule(&self) -> &'static str {
        match self {
            Self::Rejected { .. } => "V8",
            Self::Conflict { .. } => "M6",
            Self::DefaultBackendConflict { .. } => "M7",
            Self::NeverMatches { reason, .. } => match reason {
                Unmatchable::Host(_) => "H3",
                Unmatchable::Path { .. } => "P9",
            },
        }
    }
}

/// Where a winning rule is.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Location {
    /// Its Ingress.
    pub object: ObjectKey,
    /// Its field.
    pub field: String,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.object, self.field)
    }
}

/// Why a rule can never match.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Unmatchable {
    /// Requests naming this host are refused before routing.
    Host(RequestError),
    /// No canonical request path equals (or starts with) this path.
    Path {
        /// The path in canonical encoding.
        normalized: String,
        /// What a request with that path becomes: its canonical form, or the
        /// reason it is refused.
        request: Result<String, RequestError>,
    },
}

impl fmt::Display for Unmatchable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Host(error) => write!(f, "requests for this host are refused: {error}"),
            Self::Path {
                normalized,
                request: Ok(canonical),
            } => write!(
                f,
                "path {normalized:?} is not canonical: a request for it is routed as {canonical:?}"
            ),
            Self::Path {
                normalized,
                request: Err(error),
            } => write!(f, "a request for path {normalized:?} is refused: {error}"),
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let object = &self.object;
        let rule = self.kind.rule();
        match &self.kind {
            DiagnosticKind::Rejected {
                errors,
                serving_previous,
            } => {
                let kept = if *serving_previous {
                    "the previous valid version is still served"
                } else {
                    "not served"
                };
                write!(f, "[{rule}] {object}: rejected, {kept}")?;
                for error in errors {
                    write!(f, "; {error} [{}]", error.reason.rule())?;
                }
                Ok(())
            }
            DiagnosticKind::Conflict {
                field,
                level,
                path,
                path_type,
                winner,
            } => write!(
                f,
                "[{rule}] {object} {field}: {path_type} {path:?} on host {level} is shadowed by the equal rule {winner}"
            ),
            DiagnosticKind::DefaultBackendConflict { level, winner } => write!(
                f,
                "[{rule}] {object} spec.defaultBackend: host {level} already takes the default backend of {winner}"
            ),
            DiagnosticKind::NeverMatches { field, reason } => {
                write!(f, "[{rule}] {object} {field}: can never match: {reason}")
            }
        }
    }
}
