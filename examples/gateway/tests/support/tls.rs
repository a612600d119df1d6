//! TLS for the tests: a throwaway CA and its leaf certificates (rcgen,
//! ECDSA P-256), and a rustls client that reports which certificate the
//! gateway served and speaks HTTP/1.1 or HTTP/2 over the connection, as
//! ALPN chose. Nothing here prints a key: [`Leaf`]'s `Debug` names it only.

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http::{Request, Version};
use http_body_util::{BodyExt as _, Empty};
use hyper::client::conn::{http1, http2};
use hyper_util::rt::{TokioExecutor, TokioIo};
use ingress_test_support::tls::AcceptAnyCertificate;
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, RootCertStore};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

pub use super::tls_manifests::{manifests, names, start, web, write_secret};

use super::client::Answer;
use super::step;

/// A CA made for one test.
pub struct TestCa {
    issuer: CertifiedIssuer<'static, KeyPair>,
}

impl std::fmt::Debug for TestCa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TestCa")
    }
}

/// A leaf certificate and its key, as a `kubernetes.io/tls` Secret holds
/// them.
#[derive(Clone)]
pub struct Leaf {
    /// The leaf, then the CA.
    pub cert_pem: String,
    /// PKCS#8.
    pub key_pem: String,
    /// The leaf alone, as a handshake shows it.
    pub der: Vec<u8>,
}

/// Names nothing secret.
impl std::fmt::Debug for Leaf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Leaf").finish_non_exhaustive()
    }
}

impl Leaf {
    /// The base64 lines of the key's PEM: what must never be logged.
    pub fn key_lines(&self) -> Vec<&str> {
        self.key_pem
            .lines()
            .filter(|line| !line.starts_with("-----") && line.len() >= 16)
            .collect()
    }
}

impl TestCa {
    pub fn new() -> Self {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "ingress-gateway test CA");
        let issuer = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
        Self { issuer }
    }

    /// The CA certificate, PEM.
    pub fn pem(&self) -> String {
        self.issuer.pem()
    }

    /// A new leaf (new key) for `names` (`*.x` for a wildcard).
    pub fn leaf(&self, names: &[&str]) -> Leaf {
        let names: Vec<String> = names.iter().map(|name| (*name).to_owned()).collect();
        let params = CertificateParams::new(names).unwrap();
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        Leaf {
            cert_pem: format!("{}{}", cert.pem(), self.issuer.pem()),
            key_pem: key.serialize_pem(),
            der: cert.der().to_vec(),
        }
    }

    fn roots(&self) -> RootCertStore {
        let mut roots = RootCertStore::empty();
        roots.add(self.issuer.der().clone()).unwrap();
        roots
    }
}

impl Default for TestCa {
    fn default() -> Self {
        Self::new()
    }
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A TLS client; it offers `h2` and `http/1.1` unless told otherwise.
/// Its connections share one session store (resumption).
#[derive(Debug, Clone)]
pub struct TlsClient {
    /// Verify against these roots; `None`: take any certificate.
    roots: Option<RootCertStore>,
    alpn: Vec<Vec<u8>>,
    sni: bool,
    tls12_only: bool,
    resume: bool,
    config: Arc<ClientConfig>,
}

impl TlsClient {
    /// Verifies the gateway's certificate against `ca`, as a browser would.
    pub fn verifying(ca: &TestCa) -> Self {
        Self::new(Some(ca.roots()))
    }

    /// Takes any certificate (the self-signed default too): for tests
    /// that look at which certificate was served.
    pub fn any_certificate() -> Self {
        Self::new(None)
    }

    fn new(roots: Option<RootCertStore>) -> Self {
        let mut client = Self {
            roots,
            alpn: vec![b"h2".to_vec(), b"http/1.1".to_vec()],
            sni: true,
            tls12_only: false,
            resume: true,
            config: Arc::new(
                ClientConfig::builder_with_provider(provider())
                    .with_safe_default_protocol_versions()
                    .unwrap()
                    .with_root_certificates(RootCertStore::empty())
                    .with_no_client_auth(),
            ),
        };
        client.build();
        client
    }

    fn build(&mut self) {
        let provider = provider();
        let versions: &[&rustls::SupportedProtocolVersion] = if self.tls12_only {
            &[&rustls::version::TLS12]
        } else {
            rustls::DEFAULT_VERSIONS
        };
        let builder = ClientConfig::builder_with_provider(Arc::clone(&provider))
            .with_protocol_versions(versions)
            .unwrap();
        let mut config = match &self.roots {
            Some(roots) => builder.with_root_certificates(roots.clone()).with_no_client_auth(),
            None => builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(AcceptAnyCertificate::new(provider)))
                .with_no_client_auth(),
        };
        config.alpn_protocols = self.alpn.clone();
        config.enable_sni = self.sni;
        if !self.resume {
            config.resumption = rustls::client::Resumption::disabled();
        }
        self.config = Arc::new(config);
    }

    /// Offers these ALPN protocols only.
    pub fn alpn(mut self, protocols: &[&[u8]]) -> Self {
        self.alpn = protocols.iter().map(|p| p.to_vec()).collect();
        self.build();
        self
    }

    /// Sends no SNI.
    pub fn without_sni(mut self) -> Self {
        self.sni = false;
        self.build();
        self
    }

    /// A full handshake every time (a resumed session shows the
    /// certificate of the session it resumes).
    pub fn without_resumption(mut self) -> Self {
        self.resume = false;
        self.build();
        self
    }

    /// TLS 1.2 only.
    pub fn tls12_only(mut self) -> Self {
        self.tls12_only = true;
        self.build();
        self
    }

    /// A handshake with the gateway at `addr` for the name `sni`.
    pub async fn connect(&self, addr: SocketAddr, sni: &str) -> Result<Tls, String> {
        let connector = TlsConnector::from(Arc::clone(&self.config));
        let name = ServerName::try_from(sni.to_owned()).map_err(|e| e.to_string())?;
        let handshake = async {
            let tcp = TcpStream::connect(addr).await.map_err(|e| format!("connect: {e}"))?;
            connector
                .connect(name, tcp)
                .await
                .map_err(|e| format!("handshake: {e}"))
        };
        let stream = tokio::time::timeout(super::STEP, handshake)
            .await
            .map_err(|_| "handshake timed out".to_owned())??;
        Ok(Tls { stream })
    }

    /// The leaf certificate served to `sni`.
    pub async fn served(&self, addr: SocketAddr, sni: &str) -> Vec<u8> {
        self.connect(addr, sni).await.unwrap().certificate()
    }
}

/// One TLS connection to the gateway, handshake done.
#[derive(Debug)]
pub struct Tls {
    stream: TlsStream<TcpStream>,
}

impl Tls {
    /// The leaf certificate the gateway served.
    pub fn certificate(&self) -> Vec<u8> {
        let certificates = self.stream.get_ref().1.peer_certificates().unwrap();
        certificates[0].to_vec()
    }

    /// The protocol ALPN chose.
    pub fn alpn(&self) -> Option<Vec<u8>> {
        self.stream.get_ref().1.alpn_protocol().map(<[u8]>::to_vec)
    }

    /// The TLS version agreed.
    pub fn version(&self) -> Option<rustls::ProtocolVersion> {
        self.stream.get_ref().1.protocol_version()
    }

    /// Whether the session was resumed (TLS 1.3: a ticket was taken).
    pub fn resumed(&self) -> bool {
        self.stream.get_ref().1.handshake_kind() == Some(rustls::HandshakeKind::Resumed)
    }

    /// HTTP over the connection, as ALPN chose (HTTP/1.1 without ALPN).
    pub async fn http(self) -> Result<Https, String> {
        let h2 = self.alpn().as_deref() == Some(b"h2");
        let io = TokioIo::new(self.stream);
        if h2 {
            let (sender, connection) = http2::handshake(TokioExecutor::new(), io)
                .await
                .map_err(|e| e.to_string())?;
            tokio::spawn(connection);
            Ok(Https::H2(sender))
        } else {
            let (sender, connection) = http1::handshake(io).await.map_err(|e| e.to_string())?;
            tokio::spawn(connection);
            Ok(Https::H1(sender))
        }
    }
}

/// Requests over one TLS connection.
#[derive(Debug)]
pub enum Https {
    H1(http1::SendRequest<Empty<Bytes>>),
    H2(http2::SendRequest<Empty<Bytes>>),
}

impl Https {
    /// `GET path` for `host` (Host over HTTP/1.1, :authority over HTTP/2).
    pub async fn get(&mut self, host: &str, path: &str) -> Result<Answer, String> {
        let exchange = async {
            let response = match self {
                Self::H1(sender) => {
                    let request = Request::get(path)
                        .header("host", host)
                        .body(Empty::new())
                        .map_err(|e| e.to_string())?;
                    sender.ready().await.map_err(|e| e.to_string())?;
                    sender.send_request(request).await
                }
                Self::H2(sender) => {
                    let request = Request::get(format!("https://{host}{path}"))
                        .version(Version::HTTP_2)
                        .body(Empty::new())
                        .map_err(|e| e.to_string())?;
                    sender.ready().await.map_err(|e| e.to_string())?;
                    sender.send_request(request).await
                }
            }
            .map_err(|e| format!("{e:?}"))?;
            let (parts, body) = response.into_parts();
            let body = body.collect().await.map_err(|e| format!("{e:?}"))?.to_bytes();
            Ok::<_, String>(Answer {
                status: parts.status.as_u16(),
                headers: parts
                    .headers
                    .iter()
                    .map(|(n, v)| (n.to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
                    .collect(),
                body: body.to_vec(),
            })
        };
        step("an HTTPS exchange", exchange).await
    }
}

/// A command-line tool the real-client tests run, when installed; `None`
/// says (on standard error) that the test is skipped, and why.
pub fn tool(name: &str) -> Option<std::path::PathBuf> {
    let path = std::env::var_os("PATH")?;
    let found = std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file());
    if found.is_none() {
        eprintln!("skipped: `{name}` is not installed (apt-get install curl openssl)");
    }
    found
}

/// Runs `program` with `args` off the test's runtime (its backends keep
/// answering), bounded by `timeout(1)`; its exit success, standard output
/// and standard error.
pub async fn run_tool(program: &std::path::Path, args: &[String]) -> (bool, String, String) {
    let mut command = std::process::Command::new("timeout");
    command.arg("20").arg(program).args(args);
    command.stdin(std::process::Stdio::null());
    let output = tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}
