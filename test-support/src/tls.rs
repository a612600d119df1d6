//! A TLS client verifier for tests that look at what a server presents
//! (feature `tls`).
//!
//! ```
//! use std::sync::Arc;
//! use ingress_test_support::tls::AcceptAnyCertificate;
//!
//! let provider = Arc::new(rustls::crypto::ring::default_provider());
//! let config = rustls::ClientConfig::builder_with_provider(Arc::clone(&provider))
//!     .with_safe_default_protocol_versions()
//!     .unwrap()
//!     .dangerous()
//!     .with_custom_certificate_verifier(Arc::new(AcceptAnyCertificate::new(provider)))
//!     .with_no_client_auth();
//! assert!(config.enable_sni);
//! ```

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};

/// Takes any certificate chain (a self-signed default too) while still
/// checking the handshake's signatures with `provider`'s algorithms: a
/// test can then read the certificate it was served and judge it itself.
/// Never for anything but tests.
#[derive(Debug)]
pub struct AcceptAnyCertificate(Arc<CryptoProvider>);

impl AcceptAnyCertificate {
    /// A verifier checking signatures with `provider`.
    pub fn new(provider: Arc<CryptoProvider>) -> Self {
        Self(provider)
    }
}

impl ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
