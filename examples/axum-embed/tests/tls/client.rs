//! A blocking rustls client (ring) that reports what the server
//! presented, and HTTP/1.1 over it.

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::Duration;

use ingress_test_support::tls::AcceptAnyCertificate;
use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection, StreamOwned};

use super::pki::TestCa;

/// A client: verifying against `ca`, or taking any certificate; it offers
/// `alpn`, and never resumes (a resumed session shows the certificate it
/// began with).
pub(crate) fn client(ca: Option<&TestCa>, alpn: &[&[u8]], sni: bool) -> Arc<ClientConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .unwrap();
    let mut config = match ca {
        Some(ca) => builder.with_root_certificates(ca.roots()).with_no_client_auth(),
        None => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAnyCertificate::new(provider)))
            .with_no_client_auth(),
    };
    config.alpn_protocols = alpn.iter().map(|protocol| protocol.to_vec()).collect();
    config.resumption = rustls::client::Resumption::disabled();
    config.enable_sni = sni;
    Arc::new(config)
}

pub(crate) type Tls = StreamOwned<ClientConnection, TcpStream>;

/// A finished handshake with `sni` as the server name; an error if the
/// client refused the certificate.
pub(crate) fn connect(addr: &str, config: &Arc<ClientConfig>, sni: &str) -> std::io::Result<Tls> {
    let tcp = TcpStream::connect(addr)?;
    tcp.set_read_timeout(Some(Duration::from_secs(10)))?;
    tcp.set_write_timeout(Some(Duration::from_secs(10)))?;
    let name = ServerName::try_from(sni.to_owned()).unwrap();
    let mut tls = StreamOwned::new(ClientConnection::new(Arc::clone(config), name).unwrap(), tcp);
    while tls.conn.is_handshaking() {
        tls.conn.complete_io(&mut tls.sock)?;
    }
    Ok(tls)
}

/// The leaf certificate the server presented.
pub(crate) fn served(tls: &Tls) -> Vec<u8> {
    tls.conn.peer_certificates().unwrap()[0].to_vec()
}

/// The DNS names a certificate covers.
pub(crate) fn names(der: &[u8]) -> Vec<String> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).unwrap();
    let san = cert.subject_alternative_name().unwrap().unwrap();
    san.value
        .general_names
        .iter()
        .filter_map(|name| match name {
            x509_parser::extensions::GeneralName::DNSName(dns) => Some((*dns).to_owned()),
            _ => None,
        })
        .collect()
}

/// One HTTP/1.1 request over `tls`; the status and the body.
pub(crate) fn get(mut tls: Tls, host: &str, target: &str) -> (u16, String) {
    write!(
        tls,
        "GET {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    // The server closes without close_notify when it is done: what came is
    // the answer.
    let _ = tls.read_to_string(&mut response);
    let status = response[9..12].parse().unwrap();
    let body = response.split_once("\r\n\r\n").map_or("", |(_, body)| body).to_owned();
    (status, body)
}
