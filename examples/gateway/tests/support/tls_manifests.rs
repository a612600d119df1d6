//! Manifest directories with `spec.tls` entries and their Secrets, and the
//! gateway serving them with a TLS listener.

use ingress_test_support::{IngressYaml, ManifestDir, SecretYaml, service_backend};

use super::backend::Backend;
use super::gateway::Gateway;
use super::manifests::{our_default_class, service_of};
use super::tls::Leaf;

/// The Ingress `web` (namespace `default`): everything to the backend
/// `app`, and one `spec.tls[]` entry per `(host, secret)`.
pub fn web(tls: &[(&str, &str)]) -> String {
    let mut ingress = IngressYaml::new("web")
        .default_backend(service_backend("app", 80))
        .to_yaml();
    ingress.push_str("  tls:\n");
    for (host, secret) in tls {
        ingress.push_str(&format!("  - hosts:\n    - \"{host}\"\n    secretName: {secret}\n"));
    }
    ingress
}

/// A manifest directory: our class, the backend's Service, `web(tls)`,
/// and each Secret in a file of its own (`secret-NAME.yaml`).
pub fn manifests(app: &Backend, tls: &[(&str, &str)], secrets: &[(&str, &Leaf)]) -> ManifestDir {
    let dir = ManifestDir::with_files(&[
        ("class.yaml", &our_default_class()),
        ("services.yaml", &service_of("app", &[app])),
        ("web.yaml", &web(tls)),
    ]);
    for (name, leaf) in secrets {
        write_secret(&dir, name, leaf);
    }
    dir
}

pub fn write_secret(dir: &ManifestDir, name: &str, leaf: &Leaf) {
    let yaml = SecretYaml::tls(name, &leaf.cert_pem, &leaf.key_pem).to_yaml();
    dir.write(&format!("secret-{name}.yaml"), yaml);
}

/// The gateway on `dir`, with a TLS listener.
pub async fn start(dir: &ManifestDir, extra: &[&str]) -> (Gateway, std::net::SocketAddr) {
    let mut args = vec!["--listen-tls", "127.0.0.1:0", "--reload-interval-ms", "50"];
    args.extend_from_slice(extra);
    let gateway = Gateway::start(dir.path(), &args).await;
    let tls = gateway.tls.expect("the TLS listener is announced");
    (gateway, tls)
}

/// Whether a DER certificate names `name` (a SAN is its bytes, verbatim).
pub fn names(der: &[u8], name: &str) -> bool {
    der.windows(name.len()).any(|window| window == name.as_bytes())
}
