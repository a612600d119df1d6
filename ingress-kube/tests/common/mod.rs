//! Helpers shared by the integration tests.
#![allow(dead_code, unreachable_pub)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use ingress_core::{HostHeader, HttpVersion, IngressSet, Outcome, RequestHead, RouteTable, TableOptions};
use ingress_kube::{Format, ManifestError, Manifests};
use k8s_openapi::api::networking::v1::{Ingress, IngressClass};

/// `tests/fixtures/<sub>`.
pub fn fixture(sub: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(sub)
}

/// A fresh directory under the system's temporary directory, removed when
/// dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(name: &str) -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let unique = format!(
            "ingress-kube-{}-{}-{name}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let path = std::env::temp_dir().join(unique);
        std::fs::create_dir_all(&path).expect("a temporary directory");
        Self(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    /// Writes `contents` to `relative` (creating its directories) and
    /// returns the file's path.
    pub fn write(&self, relative: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.0.join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("a directory");
        }
        std::fs::write(&path, contents).expect("a written file");
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
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

/// A Service `web` with port 80, as YAML.
pub const SERVICE: &str = "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  ports:\n  - port: 80\n";

/// An Ingress `name` whose default backend is Service `web` port 80, as
/// YAML.
pub fn ingress_yaml(name: &str) -> String {
    format!(
        "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: {name}\nspec:\n  defaultBackend:\n    service:\n      name: web\n      port:\n        number: 80\n"
    )
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
