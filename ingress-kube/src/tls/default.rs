//! The default certificate: given as a Secret, or made at start.

use std::fmt;
use std::sync::Arc;

use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::sign::CertifiedKey;

/// The name of the self-signed default certificate when none is given,
/// the one ingress-nginx's generated certificate carries.
pub const DEFAULT_CERTIFICATE_NAME: &str = "ingress.local";

/// A self-signed certificate (ECDSA P-256, made with rcgen on ring) for
/// `names`: the default certificate when none is given, made at start as
/// ingress-nginx does. Clients that verify certificates refuse it; it only
/// lets a handshake finish for names no Ingress has a certificate for.
///
/// ```
/// use ingress_kube::tls::{DEFAULT_CERTIFICATE_NAME, self_signed_certificate};
///
/// let certificate = self_signed_certificate(&[DEFAULT_CERTIFICATE_NAME]).unwrap();
/// assert_eq!(certificate.cert.len(), 1);
/// ```
pub fn self_signed_certificate(names: &[&str]) -> Result<Arc<CertifiedKey>, SelfSignedError> {
    let names: Vec<String> = names.iter().map(|name| (*name).to_owned()).collect();
    let made = rcgen::generate_simple_self_signed(names).map_err(|error| SelfSignedError(error.to_string()))?;
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(made.signing_key.serialize_der()));
    let signing_key =
        rustls::crypto::ring::sign::any_supported_type(&key).map_err(|error| SelfSignedError(error.to_string()))?;
    Ok(Arc::new(CertifiedKey::new(vec![made.cert.der().clone()], signing_key)))
}

/// A self-signed certificate could not be made (say, a name is not a
/// valid DNS name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelfSignedError(String);

impl fmt::Display for SelfSignedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "could not make a self-signed certificate: {}", self.0)
    }
}

impl std::error::Error for SelfSignedError {}
