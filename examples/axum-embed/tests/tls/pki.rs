//! A throwaway CA and its leaves for the test host, made with rcgen, as
//! `kubernetes.io/tls` Secrets hold them.

use ingress_test_support::SecretYaml;
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use rustls::RootCertStore;

use super::HOST;

/// A throwaway CA, and leaves it signs, as a `kubernetes.io/tls` Secret
/// holds them.
pub(crate) struct TestCa(CertifiedIssuer<'static, KeyPair>);

/// A leaf certificate and its key (PKCS#8), PEM, and the leaf's DER as a
/// handshake presents it.
pub(crate) struct Leaf {
    pub(crate) cert_pem: String,
    pub(crate) key_pem: String,
    pub(crate) der: Vec<u8>,
}

impl TestCa {
    /// A new CA, with a new key.
    pub(crate) fn new() -> Self {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        Self(CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap())
    }

    /// A new leaf, with a new key, for [`HOST`].
    pub(crate) fn leaf(&self) -> Leaf {
        let key = KeyPair::generate().unwrap();
        let cert = CertificateParams::new(vec![HOST.to_owned()])
            .unwrap()
            .signed_by(&key, &self.0)
            .unwrap();
        Leaf {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
            der: cert.der().to_vec(),
        }
    }

    /// The CA alone, as a client's trust roots.
    pub(crate) fn roots(&self) -> RootCertStore {
        let mut roots = RootCertStore::empty();
        roots.add(self.0.der().clone()).unwrap();
        roots
    }

    /// The Secret the sample manifest names, holding `leaf`.
    pub(crate) fn secret(leaf: &Leaf) -> String {
        SecretYaml::tls("hello-tls", &leaf.cert_pem, &leaf.key_pem)
            .namespace("default")
            .to_yaml()
    }
}
