//! What building the certificate table found: T1 conflicts and T3
//! certificates that cannot serve their host.

use std::fmt;

use ingress_core::objects::ObjectKey;
use ingress_core::tls::{TlsClaim, TlsConflict};

use super::CertificateError;

/// One TLS finding about one Ingress, for logs and `check`. Its text names
/// the Ingress, the field, the host and the Secret, never Secret data.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TlsFinding {
    /// T1/M6: a claim on a host that an earlier claim holds with another
    /// Secret.
    Conflict(TlsConflict),
    /// T3: a claim whose Secret gives no certificate for its host (missing,
    /// wrong type, bad PEM, key mismatch, expired or not yet valid, not
    /// covering the host); the host gets the default certificate, and no
    /// other host is affected.
    Certificate {
        /// The claim.
        claim: TlsClaim,
        /// Why its certificate does not serve.
        error: CertificateError,
    },
    /// The Secret given as the default certificate gives none; the
    /// self-signed default serves instead.
    DefaultCertificate(CertificateError),
}

impl TlsFinding {
    /// The id of the contract rule behind this finding.
    pub fn rule(&self) -> &'static str {
        match self {
            Self::Conflict(conflict) => conflict.rule(),
            Self::Certificate { .. } | Self::DefaultCertificate(_) => "T3",
        }
    }

    /// The Ingress it is about (none for the default certificate).
    pub fn ingress(&self) -> Option<&ObjectKey> {
        match self {
            Self::Conflict(conflict) => Some(&conflict.loser.ingress),
            Self::Certificate { claim, .. } => Some(&claim.ingress),
            Self::DefaultCertificate(_) => None,
        }
    }

    /// The certificate problem, if this finding is one.
    pub fn error(&self) -> Option<&CertificateError> {
        match self {
            Self::Certificate { error, .. } | Self::DefaultCertificate(error) => Some(error),
            Self::Conflict(_) => None,
        }
    }
}

impl fmt::Display for TlsFinding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Conflict(conflict) => conflict.fmt(f),
            Self::Certificate { claim, error } => write!(
                f,
                "[T3] {} {}: host {}: {error}; the default certificate serves it",
                claim.ingress, claim.field, claim.host
            ),
            Self::DefaultCertificate(error) => {
                write!(f, "[T3] default certificate: {error}; a self-signed one serves instead")
            }
        }
    }
}
