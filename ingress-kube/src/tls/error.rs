//! Why a Secret's certificate does not serve a host.

use std::fmt;
use std::time::SystemTime;

use ingress_core::tls::SecretRef;

/// The Secret type `spec.tls[]` Secrets must have.
pub const TLS_SECRET_TYPE: &str = "kubernetes.io/tls";

/// Why a Secret gives no certificate for a host (T3). It names the Secret
/// (and the host, for a certificate that does not cover it) and the
/// problem, never any byte of the Secret's data.
///
/// ```
/// use ingress_core::tls::SecretRef;
/// use ingress_kube::tls::TlsSecret;
/// use k8s_openapi::api::core::v1::Secret;
///
/// let secret: Secret = serde_json::from_value(serde_json::json!({
///     "metadata": { "name": "web-tls", "namespace": "shop" },
///     "type": "Opaque",
/// })).unwrap();
/// let error = TlsSecret::from_secret(&secret).unwrap_err();
/// assert!(error.is_wrong_type());
/// assert_eq!(error.secret(), &SecretRef::new("shop", "web-tls"));
/// assert_eq!(error.to_string(), "Secret shop/web-tls: type is \"Opaque\", not \"kubernetes.io/tls\"");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct CertificateError {
    secret: SecretRef,
    problem: Problem,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Problem {
    Missing,
    WrongType(Option<String>),
    MissingKey(&'static str),
    BadPem(&'static str),
    BadCertificate,
    UnsupportedKey,
    KeyMismatch,
    Expired(SystemTime),
    NotYetValid(SystemTime),
    NotCovering(String),
}

impl CertificateError {
    pub(crate) fn new(secret: SecretRef, problem: Problem) -> Self {
        Self { secret, problem }
    }

    pub(crate) fn missing(secret: SecretRef) -> Self {
        Self::new(secret, Problem::Missing)
    }

    /// The Secret.
    pub fn secret(&self) -> &SecretRef {
        &self.secret
    }

    /// No Secret of that name in the Ingress's namespace.
    pub fn is_missing(&self) -> bool {
        self.problem == Problem::Missing
    }

    /// The Secret's `type` is not `kubernetes.io/tls`.
    pub fn is_wrong_type(&self) -> bool {
        matches!(self.problem, Problem::WrongType(_))
    }

    /// `tls.crt` or `tls.key` is absent, holds no PEM block of the right
    /// kind, or a certificate in it cannot be read.
    pub fn is_bad_pem(&self) -> bool {
        matches!(
            self.problem,
            Problem::MissingKey(_) | Problem::BadPem(_) | Problem::BadCertificate | Problem::UnsupportedKey
        )
    }

    /// The private key does not belong to the certificate.
    pub fn is_key_mismatch(&self) -> bool {
        self.problem == Problem::KeyMismatch
    }

    /// The certificate's `notAfter` has passed.
    pub fn is_expired(&self) -> bool {
        matches!(self.problem, Problem::Expired(_))
    }

    /// The certificate's `notBefore` has not come yet.
    pub fn is_not_yet_valid(&self) -> bool {
        matches!(self.problem, Problem::NotYetValid(_))
    }

    /// The certificate's names do not cover the host claimed for it.
    pub fn is_not_covering(&self) -> bool {
        matches!(self.problem, Problem::NotCovering(_))
    }

    /// The host, for a certificate that does not cover it.
    pub fn host(&self) -> Option<&str> {
        match &self.problem {
            Problem::NotCovering(host) => Some(host),
            _ => None,
        }
    }
}

impl fmt::Display for CertificateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret {}: ", self.secret)?;
        match &self.problem {
            Problem::Missing => f.write_str("not found"),
            Problem::WrongType(Some(found)) => write!(f, "type is {found:?}, not {TLS_SECRET_TYPE:?}"),
            Problem::WrongType(None) => write!(f, "has no type, not {TLS_SECRET_TYPE:?}"),
            Problem::MissingKey(key) => write!(f, "no {key} in its data"),
            Problem::BadPem(key) => write!(f, "{key} is not valid PEM of the expected kind"),
            Problem::BadCertificate => f.write_str("tls.crt holds a certificate that cannot be read"),
            Problem::UnsupportedKey => f.write_str("tls.key is not a supported private key (RSA, ECDSA or Ed25519)"),
            Problem::KeyMismatch => f.write_str("tls.key does not match the certificate in tls.crt"),
            Problem::Expired(at) => write!(f, "the certificate expired at {}", rfc3339(*at)),
            Problem::NotYetValid(at) => write!(f, "the certificate is not valid before {}", rfc3339(*at)),
            Problem::NotCovering(host) => write!(f, "the certificate's names do not cover host {host}"),
        }
    }
}

/// A time as an RFC 3339 UTC date (`2026-01-31T12:00:00Z`).
pub(crate) fn rfc3339(at: SystemTime) -> String {
    let seconds = match at.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(since) => i64::try_from(since.as_secs()).unwrap_or(i64::MAX),
        Err(before) => i64::try_from(before.duration().as_secs()).map_or(i64::MIN, |s| -s),
    };
    let (days, time) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    // Days to a civil date (proleptic Gregorian), after Howard Hinnant's
    // `civil_from_days`.
    let z = days.saturating_add(719_468);
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        time / 3_600,
        time % 3_600 / 60,
        time % 60
    )
}

impl fmt::Debug for CertificateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CertificateError")
            .field("secret", &self.secret)
            .field("problem", &self.problem)
            .finish()
    }
}

impl std::error::Error for CertificateError {}
