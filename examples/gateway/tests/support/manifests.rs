//! Manifests that only the gateway's tests need: our IngressClass, and
//! Services whose endpoints are the tests' [`Backend`]s.

use ingress_test_support::{EndpointSliceYaml, IngressClassYaml, ServiceYaml, documents};

use super::backend::Backend;

/// The gateway's controller name (its default `--controller`).
pub const CONTROLLER: &str = "ingress-rs.dev/ingress-gateway";

/// Our IngressClass `ours`, marked default: Ingresses naming no class are
/// ours.
pub fn our_default_class() -> String {
    IngressClassYaml::new("ours", CONTROLLER).default_class().to_yaml()
}

/// Service `name` (port 80 named `http`, targetPort `http`) with one ready
/// endpoint per backend: one EndpointSlice each, since each backend has a
/// port of its own on 127.0.0.1.
pub fn service_of(name: &str, backends: &[&Backend]) -> String {
    let mut docs = vec![ServiceYaml::new(name).port(Some("http"), 80, Some("http")).to_yaml()];
    for (index, backend) in backends.iter().enumerate() {
        docs.push(
            EndpointSliceYaml::new(&format!("{name}-{index}"), name)
                .port(Some("http"), backend.port())
                .endpoint("127.0.0.1", Some(true))
                .to_yaml(),
        );
    }
    documents(docs)
}

/// A Service named after each backend ([`service_of`]), as one file's text.
pub fn services(backends: &[&Backend]) -> String {
    documents(backends.iter().map(|backend| service_of(&backend.name, &[backend])))
}
