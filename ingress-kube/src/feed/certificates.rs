//! The certificate side of a feed (feature `tls`): the TLS claims of the
//! served Ingresses and the Secrets they name, compiled into the table a
//! TLS listener serves from, apart from the routes (T2, T3).

use std::fmt;
use std::sync::Arc;
use std::time::SystemTime;

use ingress_core::tls::{SecretRef, TlsClaims};
use k8s_openapi::api::core::v1::Secret;
use rustls::sign::CertifiedKey;

use super::secrets::SecretList;
use crate::tls::{CertificateError, CertifiedTable, ParsedSecrets, TlsFinding, TlsSecret, build_certificates_cached};

/// What the table was last built from: the claims, and each named Secret
/// (`None` when missing) with the default certificate's Secret.
type Inputs = (TlsClaims, Vec<Option<Arc<Secret>>>, Option<Arc<Secret>>);

/// The last certificate table and its findings.
#[derive(Default)]
pub(crate) struct CertificateSide {
    inputs: Option<Inputs>,
    /// The named Secrets as last parsed.
    parsed: ParsedSecrets,
    pub(crate) table: Arc<CertifiedTable>,
    pub(crate) findings: Vec<TlsFinding>,
    /// The default certificate from its Secret, when one is named and
    /// usable.
    pub(crate) default: Option<Arc<CertifiedKey>>,
    /// When a certificate of the table expires or becomes valid: the
    /// table must be built again then, though no input changed.
    pub(crate) next_change: Option<SystemTime>,
}

impl CertificateSide {
    /// Whether the table as built is out of date at `now` because a
    /// certificate's validity changed.
    pub(crate) fn is_due(&self, now: SystemTime) -> bool {
        self.next_change.is_some_and(|at| now >= at)
    }

    /// Rebuilds the table when the claims or the Secrets they name (or the
    /// default's Secret) differ from last time, or when a certificate's
    /// validity changed since ([`is_due`](Self::is_due)). Returns whether
    /// it did.
    pub(crate) fn rebuild(
        &mut self,
        claims: TlsClaims,
        secrets: Option<&SecretList>,
        default_secret: Option<&SecretRef>,
        now: SystemTime,
    ) -> bool {
        let index = secrets.map(SecretList::index).unwrap_or_default();
        let find = |secret: &SecretRef| index.get(&(secret.namespace(), secret.name())).map(|s| Arc::clone(s));
        let named: Vec<Option<Arc<Secret>>> = claims.secrets().into_iter().map(find).collect();
        let default = default_secret.and_then(find);
        let inputs = (claims, named, default);
        if self.inputs.as_ref() == Some(&inputs) && !self.is_due(now) {
            return false;
        }
        let (table, mut findings, next_change) = build_certificates_cached(&inputs.0, find, &mut self.parsed, now);
        self.next_change = next_change;
        self.default = None;
        if let Some(wanted) = default_secret {
            let parsed = match &inputs.2 {
                Some(secret) => TlsSecret::from_secret(secret),
                None => Err(CertificateError::missing(wanted.clone())),
            };
            match parsed {
                Ok(tls) => self.default = Some(Arc::clone(tls.certified_key())),
                Err(error) => findings.push(TlsFinding::DefaultCertificate(error)),
            }
        }
        self.table = Arc::new(table);
        self.findings = findings;
        self.inputs = Some(inputs);
        true
    }
}

/// Names hosts and findings only: never Secret data (T3).
impl fmt::Debug for CertificateSide {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CertificateSide")
            .field("table", &self.table)
            .field("findings", &self.findings)
            .field("default_from_secret", &self.default.is_some())
            .finish()
    }
}
