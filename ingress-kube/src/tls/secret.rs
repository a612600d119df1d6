//! A `kubernetes.io/tls` Secret, parsed and checked: its chain, its key
//! (matched against the certificate), its names and validity dates.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use ingress_core::tls::SecretRef;
use k8s_openapi::api::core::v1::Secret;
use rustls::Error as RustlsError;
use rustls::InconsistentKeys;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::sign::CertifiedKey;

use super::error::{CertificateError, Problem, TLS_SECRET_TYPE};
use crate::convert::namespace_of;

/// The data key of the PEM certificate chain, leaf first.
pub const TLS_CERT_KEY: &str = "tls.crt";
/// The data key of the PEM private key (PKCS#8, PKCS#1 or SEC1).
pub const TLS_PRIVATE_KEY_KEY: &str = "tls.key";

/// A certificate and its key from a `kubernetes.io/tls` Secret, ready for
/// rustls: the key was loaded with ring and matched against the leaf
/// certificate.
///
/// Its `Debug` output shows the Secret's name, the certificate's names and
/// dates, never key material (T3).
///
/// ```
/// use ingress_kube::tls::TlsSecret;
/// use k8s_openapi::api::core::v1::Secret;
/// use k8s_openapi::ByteString;
///
/// let made = rcgen::generate_simple_self_signed(vec!["shop.example".to_owned()]).unwrap();
/// let mut secret = Secret::default();
/// secret.metadata.name = Some("shop-tls".into());
/// secret.type_ = Some("kubernetes.io/tls".into());
/// secret.data = Some([
///     ("tls.crt".to_owned(), ByteString(made.cert.pem().into_bytes())),
///     ("tls.key".to_owned(), ByteString(made.signing_key.serialize_pem().into_bytes())),
/// ].into());
///
/// let parsed = TlsSecret::from_secret(&secret).unwrap();
/// assert!(parsed.covers("shop.example"));
/// assert!(!parsed.covers("www.shop.example"));
/// assert_eq!(parsed.secret().to_string(), "default/shop-tls");
/// ```
#[derive(Clone)]
pub struct TlsSecret {
    secret: SecretRef,
    key: Arc<CertifiedKey>,
    names: Vec<Box<str>>,
    not_before: SystemTime,
    not_after: SystemTime,
}

impl TlsSecret {
    /// Parses `secret`: its type must be `kubernetes.io/tls`, `tls.crt` a
    /// PEM chain (leaf first) and `tls.key` the leaf's PEM private key.
    /// `stringData` entries win over `data` ones, as the API server merges
    /// them on write (manifest files may use either). Validity dates and
    /// names are not checked here: see [`TlsSecret::check`].
    pub fn from_secret(secret: &Secret) -> Result<Self, CertificateError> {
        let name = SecretRef::new(
            namespace_of(&secret.metadata),
            secret.metadata.name.as_deref().unwrap_or_default(),
        );
        let fail = |problem| CertificateError::new(name.clone(), problem);
        if secret.type_.as_deref() != Some(TLS_SECRET_TYPE) {
            return Err(fail(Problem::WrongType(secret.type_.clone())));
        }
        let field = |key: &'static str| -> Result<&[u8], CertificateError> {
            let text = secret
                .string_data
                .as_ref()
                .and_then(|data| data.get(key))
                .map(String::as_bytes);
            let bytes = secret
                .data
                .as_ref()
                .and_then(|data| data.get(key))
                .map(|b| b.0.as_slice());
            text.or(bytes).ok_or_else(|| fail(Problem::MissingKey(key)))
        };
        let (cert_pem, key_pem) = (field(TLS_CERT_KEY)?, field(TLS_PRIVATE_KEY_KEY)?);

        // The PEM readers' errors are dropped: none of them is worth more
        // than "not valid PEM", and none may quote the data.
        let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(cert_pem)
            .collect::<Result<_, _>>()
            .map_err(|_| fail(Problem::BadPem(TLS_CERT_KEY)))?;
        let leaf = chain.first().ok_or_else(|| fail(Problem::BadPem(TLS_CERT_KEY)))?;
        let key = PrivateKeyDer::from_pem_slice(key_pem).map_err(|_| fail(Problem::BadPem(TLS_PRIVATE_KEY_KEY)))?;

        let (_, parsed) = x509_parser::parse_x509_certificate(leaf).map_err(|_| fail(Problem::BadCertificate))?;
        // The rest of the chain goes to clients as it is: a block that is
        // not a certificate would break their path building, so it breaks
        // the Secret here (T3) rather than every handshake.
        if chain
            .iter()
            .skip(1)
            .any(|intermediate| x509_parser::parse_x509_certificate(intermediate).is_err())
        {
            return Err(fail(Problem::BadCertificate));
        }
        let validity = parsed.validity();
        let not_before = system_time(validity.not_before.timestamp());
        let not_after = system_time(validity.not_after.timestamp());
        let names = dns_names(&parsed).ok_or_else(|| fail(Problem::BadCertificate))?;

        let signing_key =
            rustls::crypto::ring::sign::any_supported_type(&key).map_err(|_| fail(Problem::UnsupportedKey))?;
        let certified = CertifiedKey::new(chain, signing_key);
        match certified.keys_match() {
            Ok(()) | Err(RustlsError::InconsistentKeys(InconsistentKeys::Unknown)) => {}
            Err(RustlsError::InconsistentKeys(InconsistentKeys::KeyMismatch)) => {
                return Err(fail(Problem::KeyMismatch));
            }
            Err(_) => return Err(fail(Problem::BadCertificate)),
        }
        Ok(Self {
            secret: name,
            key: Arc::new(certified),
            names,
            not_before,
            not_after,
        })
    }

    /// The Secret it came from.
    pub fn secret(&self) -> &SecretRef {
        &self.secret
    }

    /// The leaf certificate's DNS names (subject alternative names), lower
    /// case; the subject's common name is not read, as browsers no longer
    /// do.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.names.iter().map(|name| &**name)
    }

    /// The leaf certificate's `notBefore`.
    pub fn not_before(&self) -> SystemTime {
        self.not_before
    }

    /// The leaf certificate's `notAfter`.
    pub fn not_after(&self) -> SystemTime {
        self.not_after
    }

    /// Whether the certificate's names cover `host`, a TLS host of an
    /// Ingress: an exact host is covered by the same name or by a wildcard
    /// name `*.parent` one label above it; a wildcard host `*.parent` only
    /// by the same wildcard name. Compared without regard to ASCII case.
    pub fn covers(&self, host: &str) -> bool {
        let host = host.to_ascii_lowercase();
        let host = host.strip_suffix('.').unwrap_or(&host);
        self.names().any(|name| {
            name == host
                || (!host.starts_with("*.")
                    && name
                        .strip_prefix("*.")
                        .is_some_and(|parent| host.split_once('.').is_some_and(|(_, rest)| rest == parent)))
        })
    }

    /// Whether the certificate may serve `host` at `now`: within its
    /// validity dates, and covering the host.
    pub fn check(&self, host: &str, now: SystemTime) -> Result<(), CertificateError> {
        let fail = |problem| Err(CertificateError::new(self.secret.clone(), problem));
        if now < self.not_before {
            return fail(Problem::NotYetValid(self.not_before));
        }
        if now > self.not_after {
            return fail(Problem::Expired(self.not_after));
        }
        if !self.covers(host) {
            return fail(Problem::NotCovering(host.to_owned()));
        }
        Ok(())
    }

    /// The next moment after `now` at which [`check`](Self::check) gives
    /// another answer for the same host: `notBefore` while the certificate
    /// is not yet valid, a millisecond after `notAfter` while it is, `None` once it
    /// has expired.
    pub fn next_validity_change(&self, now: SystemTime) -> Option<SystemTime> {
        if now < self.not_before {
            Some(self.not_before)
        } else if now <= self.not_after {
            // `check` fails strictly after notAfter (a whole second, as
            // certificates write it): a millisecond later it does.
            self.not_after.checked_add(std::time::Duration::from_millis(1))
        } else {
            None
        }
    }

    /// The chain and signing key, for rustls.
    pub fn certified_key(&self) -> &Arc<CertifiedKey> {
        &self.key
    }
}

/// The DNS names of a certificate's subject alternative names, lower case
/// and without a trailing dot; `None` when the extension cannot be read.
fn dns_names(certificate: &x509_parser::certificate::X509Certificate<'_>) -> Option<Vec<Box<str>>> {
    use x509_parser::extensions::GeneralName;
    let extension = certificate.subject_alternative_name().ok()?;
    let names = extension
        .map(|extension| {
            extension
                .value
                .general_names
                .iter()
                .filter_map(|name| match name {
                    GeneralName::DNSName(name) => {
                        let name = name.to_ascii_lowercase();
                        Some(name.strip_suffix('.').unwrap_or(&name).into())
                    }
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    Some(names)
}

fn system_time(unix: i64) -> SystemTime {
    let magnitude = Duration::from_secs(unix.unsigned_abs());
    let at = if unix >= 0 {
        SystemTime::UNIX_EPOCH.checked_add(magnitude)
    } else {
        SystemTime::UNIX_EPOCH.checked_sub(magnitude)
    };
    at.unwrap_or(SystemTime::UNIX_EPOCH)
}

impl fmt::Debug for TlsSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsSecret")
            .field("secret", &self.secret)
            .field("names", &self.names)
            .field("not_before", &super::error::rfc3339(self.not_before))
            .field("not_after", &super::error::rfc3339(self.not_after))
            .finish_non_exhaustive()
    }
}
