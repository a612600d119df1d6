//! Certificates made by rcgen (a CA and leaves it signs), Secrets holding
//! them, and an in-memory rustls handshake against a resolver.
#![allow(dead_code, unreachable_pub)]

use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use ingress_core::objects::IngressTls;
use ingress_core::{HttpIngressPath, Ingress, IngressBackend};
use ingress_kube::tls::CertificateResolver;
use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret;
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair, KeyUsagePurpose, date_time_ymd};
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    ClientConfig, ClientConnection, DigitallySignedStruct, RootCertStore, ServerConfig, ServerConnection,
    SignatureScheme,
};

/// A test certificate authority.
pub struct Ca {
    issuer: CertifiedIssuer<'static, KeyPair>,
}

/// A leaf certificate (PEM, leaf then CA) and its key (PKCS#8 PEM).
#[derive(Clone)]
pub struct Leaf {
    pub cert_pem: String,
    pub key_pem: String,
    pub der: CertificateDer<'static>,
}

impl Ca {
    pub fn new() -> Self {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("test TLS setup");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::DigitalSignature];
        let issuer =
            CertifiedIssuer::self_signed(params, KeyPair::generate().expect("test TLS setup")).expect("test TLS setup");
        Self { issuer }
    }

    pub fn der(&self) -> CertificateDer<'static> {
        self.issuer.der().clone()
    }

    /// A leaf for `names`, valid from 2000 to 4000.
    pub fn leaf(&self, names: &[&str]) -> Leaf {
        self.leaf_dated(names, (2000, 1, 1), (4000, 1, 1))
    }

    pub fn leaf_dated(&self, names: &[&str], not_before: (i32, u8, u8), not_after: (i32, u8, u8)) -> Leaf {
        self.leaf_between(
            names,
            date_time_ymd(not_before.0, not_before.1, not_before.2).into(),
            date_time_ymd(not_after.0, not_after.1, not_after.2).into(),
        )
    }

    /// A leaf for `names` valid between the two moments (written in whole
    /// seconds, rounded down, as certificates hold them).
    pub fn leaf_between(&self, names: &[&str], not_before: SystemTime, not_after: SystemTime) -> Leaf {
        let key = KeyPair::generate().expect("test TLS setup");
        let mut params =
            CertificateParams::new(names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>()).expect("test TLS setup");
        params.not_before = not_before.into();
        params.not_after = not_after.into();
        let cert = params.signed_by(&key, &self.issuer).expect("test TLS setup");
        Leaf {
            cert_pem: format!("{}{}", cert.pem(), self.issuer.pem()),
            key_pem: key.serialize_pem(),
            der: cert.der().clone(),
        }
    }
}

impl Leaf {
    /// This certificate with another key: they do not match.
    pub fn with_foreign_key(&self) -> Leaf {
        Leaf {
            key_pem: KeyPair::generate().expect("test TLS setup").serialize_pem(),
            ..self.clone()
        }
    }
}

/// A `kubernetes.io/tls` Secret holding `leaf`.
pub fn tls_secret(namespace: &str, name: &str, leaf: &Leaf) -> Secret {
    secret(
        namespace,
        name,
        Some("kubernetes.io/tls"),
        &leaf.cert_pem,
        &leaf.key_pem,
    )
}

pub fn secret(namespace: &str, name: &str, type_: Option<&str>, cert: &str, key: &str) -> Secret {
    let mut secret = Secret::default();
    secret.metadata.name = Some(name.to_owned());
    secret.metadata.namespace = Some(namespace.to_owned());
    secret.type_ = type_.map(str::to_owned);
    secret.data = Some(
        [
            ("tls.crt".to_owned(), ByteString(cert.as_bytes().to_vec())),
            ("tls.key".to_owned(), ByteString(key.as_bytes().to_vec())),
        ]
        .into(),
    );
    secret
}

/// An Ingress in `namespace` with one host-less rule and the given
/// `spec.tls[]` entries.
pub fn tls_ingress(namespace: &str, name: &str, tls: &[(&[&str], &str)]) -> Ingress {
    let mut ingress = Ingress::new(namespace, name)
        .with_rule(None, [HttpIngressPath::prefix("/", IngressBackend::service("web", 80))]);
    for (hosts, secret) in tls {
        ingress.spec.tls.push(IngressTls {
            hosts: hosts.iter().map(|h| (*h).to_owned()).collect(),
            secret_name: Some((*secret).to_owned()),
        });
    }
    ingress
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A server config on ring serving from `resolver`.
pub fn server_config(resolver: &CertificateResolver) -> Arc<ServerConfig> {
    let mut config = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .expect("test TLS setup")
        .with_no_client_auth()
        .with_cert_resolver(Arc::new(resolver.clone()));
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Arc::new(config)
}

/// What a handshake gave the client.
#[derive(Debug)]
pub struct Served {
    /// The leaf certificate the server sent.
    pub leaf: Option<CertificateDer<'static>>,
    /// Whether the handshake completed with the certificate verified
    /// against the CA for the name asked for.
    pub verified: Result<(), rustls::Error>,
}

/// The web PKI verifier, recording the leaf it is shown.
#[derive(Debug)]
struct Recording {
    inner: Arc<WebPkiServerVerifier>,
    seen: Mutex<Option<CertificateDer<'static>>>,
}

impl ServerCertVerifier for Recording {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        *self.seen.lock().expect("test TLS setup") = Some(end_entity.clone().into_owned());
        self.inner
            .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// A TLS handshake in memory: a rustls client trusting `ca` connects for
/// `name`, sending it as SNI when `send_sni`, to a server on `resolver`.
pub fn handshake(resolver: &CertificateResolver, ca: &Ca, name: &str, send_sni: bool) -> Served {
    let mut roots = RootCertStore::empty();
    roots.add(ca.der()).expect("test TLS setup");
    let verifier = Arc::new(Recording {
        inner: WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider())
            .build()
            .expect("test TLS setup"),
        seen: Mutex::new(None),
    });
    let mut client_config = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .expect("test TLS setup")
        .dangerous()
        .with_custom_certificate_verifier(Arc::clone(&verifier) as Arc<dyn ServerCertVerifier>)
        .with_no_client_auth();
    client_config.enable_sni = send_sni;
    client_config.alpn_protocols = vec![b"h2".to_vec()];
    let server_name = ServerName::try_from(name.to_owned()).expect("test TLS setup");
    let mut client = ClientConnection::new(Arc::new(client_config), server_name).expect("test TLS setup");
    let mut server = ServerConnection::new(server_config(resolver)).expect("test TLS setup");
    let verified = pump(&mut client, &mut server);
    let leaf = verifier.seen.lock().expect("test TLS setup").take();
    if verified.is_ok() {
        assert_eq!(client.alpn_protocol(), Some(&b"h2"[..]));
    }
    Served { leaf, verified }
}

/// Moves records both ways until both ends finish the handshake or one
/// fails (a bounded number of rounds).
fn pump(client: &mut ClientConnection, server: &mut ServerConnection) -> Result<(), rustls::Error> {
    for _ in 0..16 {
        let mut wire = Vec::new();
        while client.wants_write() {
            client.write_tls(&mut wire).expect("test TLS setup");
        }
        let mut bytes = wire.as_slice();
        while !bytes.is_empty() {
            server.read_tls(&mut bytes).expect("test TLS setup");
            server.process_new_packets()?;
        }
        let mut wire = Vec::new();
        while server.wants_write() {
            server.write_tls(&mut wire).expect("test TLS setup");
        }
        let mut bytes = wire.as_slice();
        while !bytes.is_empty() {
            client.read_tls(&mut bytes).expect("test TLS setup");
            client.process_new_packets()?;
        }
        if !client.is_handshaking() && !server.is_handshaking() {
            return Ok(());
        }
    }
    Err(rustls::Error::General("the handshake did not finish".into()))
}

/// Test-only keys in the older PEM forms (made once with openssl; they
/// protect nothing): an RSA key as PKCS#1 and a P-256 key as SEC1, each
/// with a self-signed certificate for its name, valid for a century.
pub const RSA_PKCS1: (&str, &str) = (
    "-----BEGIN CERTIFICATE-----\nMIIDMzCCAhugAwIBAgIUZYtL02kGza9GGU01STzHXlMsLDUwDQYJKoZIhvcNAQEL\nBQAwGjEYMBYGA1UEAwwPcnNhLmV4YW1wbGUuY29tMCAXDTI2MTIwNDIwNDQ0NVoY\nDzIxMjYxMTEwMjA0NDQ1WjAaMRgwFgYDVQQDDA9yc2EuZXhhbXBsZS5jb20wggEi\nMA0GCSqGSIb3DQEBAQUAA4IBDwAwggEKAoIBAQCvpaneZq11sEge2fyX1PVC3ltw\npVwO627DCxR9hnBGQD+OQzSpT+L5WUxKmf4oRvCEJaenRBuJhN8sNEWcdsHpFNe9\nLW6Ssbm1swqcMNPCBESCVWv8DMZACZpDd2zeZdGPvsQ20sOZrGLMN4ao4BVlG3eF\nRP1TeA2Zjg3zZ+lb1/McTyhLlosuDETfy2hvpQ3ua1bVC6ytvUqSd+JtCS2pMwD0\npnVcYgKJ+r/nlx2iy6WK+CY5RsM5Aa9voZ3blrn8ZKBr++3T3eSZE/g0qGRpB6w3\n0MV0eYRqGPAElnMEDMQF6TtstW/SfteOtaeaffn/wuaEJ5wjJkIh4njH7eltAgMB\nAAGjbzBtMB0GA1UdDgQWBBSV0RA1xcxFdeBtf28EuWOm36PapTAfBgNVHSMEGDAW\ngBSV0RA1xcxFdeBtf28EuWOm36PapTAPBgNVHRMBAf8EBTADAQH/MBoGA1UdEQQT\nMBGCD3JzYS5leGFtcGxlLmNvbTANBgkqhkiG9w0BAQsFAAOCAQEABa/N8fz+Re2H\nuUmYLb1DTMnSzBosWumzXSj/1atXEmDEyAahYvwG8jkqiQhoYf00C0NUdF9lVw3o\nEE4QCQh8eedOBkiIYXaeT2BySsNTIjnA1w2LXk5+d07A+y5DwdwBcYhNQfnfWSCz\nWW97+CZnC4adsSY/lessis9OGCvYg1l7GleOch8/439pstbLDCeWrsOl8WRWjf9u\nVS3TgrZAO5hjdVMMeLaIK4XQ2DZJR0Qc9zlBPeLusTbf+pMwN0KuToGLu9xuUUmt\nabziqYLgInIbvgJZm/yoxHddYeHGQV7YpSRKDjCa6axCerVQ+5HyJUVIc9gC7BCn\nrv+N+rmW3w==\n-----END CERTIFICATE-----\n",
    "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAr6Wp3matdbBIHtn8l9T1Qt5bcKVcDutuwwsUfYZwRkA/jkM0\nqU/i+VlMSpn+KEbwhCWnp0QbiYTfLDRFnHbB6RTXvS1ukrG5tbMKnDDTwgREglVr\n/AzGQAmaQ3ds3mXRj77ENtLDmaxizDeGqOAVZRt3hUT9U3gNmY4N82fpW9fzHE8o\nS5aLLgxE38tob6UN7mtW1Qusrb1KknfibQktqTMA9KZ1XGICifq/55cdosulivgm\nOUbDOQGvb6Gd25a5/GSga/vt093kmRP4NKhkaQesN9DFdHmEahjwBJZzBAzEBek7\nbLVv0n7XjrWnmn35/8LmhCecIyZCIeJ4x+3pbQIDAQABAoIBAEbocQgYmWQOcz8J\nL2C4Fv8UtwNlriFTyBYzLeVy1XZ2z3GGDgdf+bhB5XukaScnZEdk0CbFZvyASHwW\n6hc9FhEbWfDEG4Ra/SauDdV6HLKReHrJM1vAaHRHrCAaYTfzEMOf9qRPN6mdHxFk\nRRd9xwVXLkv9yurcZ1kbMOSXiWyKt+PAEqdiNLryUX5UJ9zv+w7HWWhGGkqAbEgZ\nVChLDdgkuAsO+vCGa37PDG2UKjjkeal+wQ/dBSN9KTGijOJBBGOaabRbpLWScrxp\neLzO3R74TYP1vDU0mGl5N5OWZ5km30BoQTs11h2b739d8KGSgPM48wAduhrEJVmK\nA4ojFv0CgYEA7z8E50MopOxT0EKV8iWuBa5B8bvZryvXsAa/IqM4rLsX3NYr7o8M\nrbjuUd8YE9YkmHRh1tcgMpf7e8VUdzrKEbXDVXicIAfpmYbXWhOgqjemvJl/sIDX\neyWdkCMPSv67WPt5RE45kRjXvIiryXFZdK+4qi+HKmKTlle0TOPpHV8CgYEAu/KA\nGPW6Dwo308CxxM80wYfPInj7x4dFFt5g5cfAXNOla4zOFtXVym1XSpVptFb5miCF\nPHD7uCGqL3VHaG/gzm6uZqBhD6ZmXwjKeiuF3YgSfMLGFVbc8C1A1XJ8R1PB6Ibx\nuZqPP4BDcOBiezo/qDeIDTKgrKfKQk3gwJxNoLMCgYB9g2RBJ1yVWV6HLceYp+fq\nFweFmHWVjryzHnb75wF+rRDRzJJzrxyJrzFoRlBNZ9T/Hl+N5IKByHYo8tdjTbZh\nICiAGKxfqYcGAlXMbeumIVgaLbVtlcp2Ur+ctKf7QjRrdFKkYR2WX6AeytzE6/Bw\nZRfOQOz6cYjYIN74T8EmpQKBgCBzutKUe0/lf8Y8W3WUIZPZE1bsdOz62l8cfrau\nSvS8Rq/PXDZtLcEKKCxkqB/PdMG8I8VP7ObaSTxwj6fkyXhbfBmUT64YGU0Hg46c\nvTyHJkoMh49ftD50UeGJJxRZzf2Mb2iQ23Mnfn2bAOYuJJezHvbIax3kyvOv5sLb\nOjwpAoGBAN/u+y9oKxI2mMpR8Auum5TPrIMA3zbBmjiS2M39ypEeJ55ehuWP3htE\nfuz1TuUMytWDxD5cO135h68z255RlZa2p28XvSt6qQxFwdjaHde5Ojik9QD+oDNH\nvGjdJ10qZd25l9PS8Tj41pCPZegkmAZ6IZTe6IWDMiV1rvhtbSxF\n-----END RSA PRIVATE KEY-----\n",
);
pub const EC_SEC1: (&str, &str) = (
    "-----BEGIN CERTIFICATE-----\nMIIBozCCAUqgAwIBAgIUYiWE7GL5a1+2fIBw0Ry4kQDtxkAwCgYIKoZIzj0EAwIw\nGTEXMBUGA1UEAwwOZWMuZXhhbXBsZS5jb20wIBcNMjYxMjA0MjA0NDQ1WhgPMjEy\nNjExMTAyMDQ0NDVaMBkxFzAVBgNVBAMMDmVjLmV4YW1wbGUuY29tMFkwEwYHKoZI\nzj0CAQYIKoZIzj0DAQcDQgAEvMKzEWMtX7wDaW1GzDqZWlTWTyQ7csfAgDP5TtfN\niCx+W/yXZIEuFw/aDIz+LTBKUucNdDrCm6XQ4NELaB51k6NuMGwwHQYDVR0OBBYE\nFOXoab7BhUlljimlR8Zt5kKp/50cMB8GA1UdIwQYMBaAFOXoab7BhUlljimlR8Zt\n5kKp/50cMA8GA1UdEwEB/wQFMAMBAf8wGQYDVR0RBBIwEIIOZWMuZXhhbXBsZS5j\nb20wCgYIKoZIzj0EAwIDRwAwRAIgBkSD60d7I2K7KmE0inhvWsnwQxiwdFLkUFHK\nig4R3r0CIDKhntdgsqNjj2wcS7vq59RMDSUL03rvx9PPgo3+6/gA\n-----END CERTIFICATE-----\n",
    "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIHfSk26y8lJ57ifZYpzVOq+7KzJKPltniYL2qI3JBEaUoAoGCCqGSM49\nAwEHoUQDQgAEvMKzEWMtX7wDaW1GzDqZWlTWTyQ7csfAgDP5TtfNiCx+W/yXZIEu\nFw/aDIz+LTBKUucNdDrCm6XQ4NELaB51kw==\n-----END EC PRIVATE KEY-----\n",
);
