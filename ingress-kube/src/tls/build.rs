//! Building the certificate table from the TLS claims and the Secrets.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::SystemTime;

use ingress_core::tls::{CertificateFailure, CertificateTable, SecretRef, TlsClaims};
use k8s_openapi::api::core::v1::Secret;
use rustls::sign::CertifiedKey;

use super::{CertificateError, TlsFinding, TlsSecret};

/// The certificate table rustls serves from: SNI name to chain and key.
pub type CertifiedTable = CertificateTable<Arc<CertifiedKey>>;

/// Builds the certificate table of `claims`, finding each named Secret
/// with `secret` (in the claiming Ingress's namespace, T1), parsing each
/// once, and checking, per host, that its certificate is valid at `now`
/// and covers the host. Every claim whose certificate cannot serve gives
/// a [`TlsFinding`] and leaves its host alone to the default certificate
/// (T3); conflicts between claims (T1) come first in the findings.
///
/// ```
/// use std::time::SystemTime;
/// use ingress_core::tls::TlsClaims;
/// use ingress_core::{HttpIngressPath, Ingress, IngressBackend, IngressSet};
/// use ingress_core::objects::IngressTls;
/// use ingress_kube::tls::build_certificates;
///
/// let mut web = Ingress::new("shop", "web")
///     .with_rule(Some("shop.example"), [HttpIngressPath::prefix("/", IngressBackend::service("web", 80))]);
/// web.spec.tls.push(IngressTls { hosts: vec!["shop.example".into()], secret_name: Some("shop-tls".into()) });
/// let mut set = IngressSet::new();
/// set.apply(&web);
///
/// // No Secrets at all: the host is a TLS host without a certificate.
/// let claims = TlsClaims::from_ingresses(set.serving());
/// let (table, findings) = build_certificates(&claims, |_| None, SystemTime::now());
/// assert!(table.is_tls_host("shop.example"));
/// assert!(table.resolve(Some("shop.example")).is_default());
/// assert_eq!(
///     findings[0].to_string(),
///     "[T3] shop/web spec.tls[0].hosts[0]: host shop.example: Secret shop/shop-tls: not found; the default certificate serves it"
/// );
/// ```
pub fn build_certificates<'a>(
    claims: &TlsClaims,
    mut secret: impl FnMut(&SecretRef) -> Option<&'a Secret>,
    now: SystemTime,
) -> (CertifiedTable, Vec<TlsFinding>) {
    let mut parsed: HashMap<SecretRef, Result<TlsSecret, CertificateError>> = HashMap::new();
    let (table, failures) = CertificateTable::build(claims, |name, host| {
        let entry = parsed.entry(name.clone()).or_insert_with(|| match secret(name) {
            Some(found) => TlsSecret::from_secret(found),
            None => Err(CertificateError::missing(name.clone())),
        });
        certificate_for(entry, host, now)
    });
    (table, findings(claims, failures))
}

/// Each named Secret as last listed (`None`: missing) and what parsing it
/// gave, so that a rebuild parses only the Secrets that changed.
pub(crate) type ParsedSecrets = HashMap<SecretRef, (Option<Arc<Secret>>, Result<TlsSecret, CertificateError>)>;

/// [`build_certificates`], parsing again only the Secrets that differ
/// from those in `cache`, which is left holding this build's Secrets.
/// Also returns when the table would next come out otherwise with the
/// same inputs: the earliest [`TlsSecret::next_validity_change`] of the
/// certificates it checked.
pub(crate) fn build_certificates_cached(
    claims: &TlsClaims,
    mut secret: impl FnMut(&SecretRef) -> Option<Arc<Secret>>,
    cache: &mut ParsedSecrets,
    now: SystemTime,
) -> (CertifiedTable, Vec<TlsFinding>, Option<SystemTime>) {
    let mut fresh = ParsedSecrets::new();
    let (table, failures) = CertificateTable::build(claims, |name, host| {
        let entry = fresh.entry(name.clone()).or_insert_with(|| {
            let found = secret(name);
            match cache.remove(name) {
                Some((before, parsed)) if before == found => (found, parsed),
                _ => {
                    let parsed = match &found {
                        Some(found) => TlsSecret::from_secret(found),
                        None => Err(CertificateError::missing(name.clone())),
                    };
                    (found, parsed)
                }
            }
        });
        certificate_for(&entry.1, host, now)
    });
    *cache = fresh;
    let next_change = cache
        .values()
        .filter_map(|(_, parsed)| parsed.as_ref().ok()?.next_validity_change(now))
        .min();
    (table, findings(claims, failures), next_change)
}

/// The certificate of a parsed Secret for `host`, checked at `now`.
fn certificate_for(
    parsed: &Result<TlsSecret, CertificateError>,
    host: &str,
    now: SystemTime,
) -> Result<Arc<CertifiedKey>, CertificateError> {
    let tls = parsed.as_ref().map_err(Clone::clone)?;
    tls.check(host, now)?;
    Ok(Arc::clone(tls.certified_key()))
}

/// Conflicts (T1) first, then the claims whose certificate cannot serve.
fn findings(claims: &TlsClaims, failures: Vec<CertificateFailure<CertificateError>>) -> Vec<TlsFinding> {
    let mut findings: Vec<TlsFinding> = claims.conflicts().iter().cloned().map(TlsFinding::Conflict).collect();
    findings.extend(failures.into_iter().map(|failure| TlsFinding::Certificate {
        claim: failure.claim,
        error: failure.error,
    }));
    findings
}
