//! Helpers shared by the integration tests.
#![allow(dead_code, unreachable_pub)]

use std::path::{Path, PathBuf};

use ingress_core::{HostHeader, HttpVersion, IngressSet, Outcome, RequestHead, RouteTable, TableOptions};
use ingress_kube::{Format, ManifestError, Manifests};
use ingress_test_support::{IngressYaml, ServiceYaml, service_backend};
use k8s_openapi::api::networking::v1::{Ingress, IngressClass};

/// `tests/fixtures/<sub>`.
pub fn fixture(sub: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(sub)
}

/// An Ingress from its JSON form.
pub fn ingress(json: serde_json::Value) -> Ingress {
    serde_json::from_value(json).expect("an Ingress")
}

/// An IngressClass from its JSON form.
pub fn ingress_class(json: serde_json::Value) -> IngressClass {
    serde_json::from_value(json).expect("an IngressClass")
}

/// Routes an HTTP/1.1 GET and describes the answer: `"<ns>/<svc>:<port>"`
/// for a path rule, `"default:<backend>"` for a default backend, or the
/// status code.
pub fn answer(table: &RouteTable, host: &str, target: &str) -> String {
    let head = RequestHead::new("GET", HttpVersion::Http11, target).with_host(HostHeader::One(host.as_bytes()));
    match table.route_request(&head) {
        Outcome::Routed(route) if route.is_default_backend() => format!("default:{}", route.backend()),
        Outcome::Routed(route) => route.backend().to_string(),
        other => other.status_code().unwrap_or(0).to_string(),
    }
}

/// Compiles a set with the default options.
pub fn compile(set: &IngressSet) -> RouteTable {
    set.compile(&TableOptions::default())
}

/// A Service `web` with port 80, as YAML (seven lines: tests count them).
pub fn web_service() -> String {
    ServiceYaml::new("web").port(None, 80, None).to_yaml()
}

/// An Ingress `name` whose default backend is Service `web` port 80, as
/// YAML (ten lines: tests count them).
pub fn ingress_yaml(name: &str) -> String {
    IngressYaml::new(name)
        .default_backend(service_backend("web", 80))
        .to_yaml()
}

/// The manifests of `text`, read as file `test.yaml`.
pub fn from_yaml(text: &str) -> Manifests {
    let mut manifests = Manifests::new();
    manifests.add_text("test.yaml", Format::Yaml, text);
    manifests
}

/// `(document, line, column, message)` of each document error.
pub fn document_errors(manifests: &Manifests) -> Vec<(usize, usize, Option<usize>, String)> {
    manifests
        .errors()
        .iter()
        .map(|error| match error {
            ManifestError::Document {
                document,
                line,
                column,
                message,
                ..
            } => (*document, *line, *column, message.clone()),
            other => panic!("not a document error: {other}"),
        })
        .collect()
}

/// The names of the Ingresses loaded, in order.
pub fn ingress_names(manifests: &Manifests) -> Vec<String> {
    manifests.ingresses().iter().map(|i| i.id().name).collect()
}
