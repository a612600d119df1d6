//! Manifests for one test: a directory of its own, written atomically (the
//! gateway never reads a half-written file), and YAML builders.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use super::backend::Backend;

/// A directory of manifests, removed when dropped. Files are written in a
/// sibling staging directory, then renamed into place.
#[derive(Debug)]
pub struct Dir {
    root: PathBuf,
    manifests: PathBuf,
    staging: PathBuf,
}

impl Dir {
    /// A new directory holding `files` (name, YAML text).
    pub fn new(files: &[(&str, &str)]) -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let root = std::env::temp_dir().join(format!(
            "ingress-gateway-serve-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let manifests = root.join("manifests");
        let staging = root.join("staging");
        std::fs::create_dir_all(&manifests).unwrap();
        std::fs::create_dir_all(&staging).unwrap();
        let dir = Self {
            root,
            manifests,
            staging,
        };
        for (name, text) in files {
            dir.write(name, text);
        }
        dir
    }

    /// The path to give `--manifests`.
    pub fn path(&self) -> &Path {
        &self.manifests
    }

    /// Writes (or replaces) `name` in one step: write aside, then rename.
    pub fn write(&self, name: &str, text: &str) {
        let aside = self.staging.join(name);
        std::fs::write(&aside, text).unwrap();
        std::fs::rename(&aside, self.manifests.join(name)).unwrap();
    }

    /// [`Dir::write`], with the file's modification time set to `mtime`
    /// before it is moved into place (as `cp -p`, `rsync -a`, `tar` and
    /// reproducible builds, whose files all have one fixed time, leave it).
    pub fn write_with_mtime(&self, name: &str, text: &str, mtime: std::time::SystemTime) {
        let aside = self.staging.join(name);
        std::fs::write(&aside, text).unwrap();
        std::fs::File::options()
            .write(true)
            .open(&aside)
            .unwrap()
            .set_modified(mtime)
            .unwrap();
        std::fs::rename(&aside, self.manifests.join(name)).unwrap();
    }

    pub fn remove(&self, name: &str) {
        std::fs::remove_file(self.manifests.join(name)).unwrap();
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

/// Our IngressClass, marked default: Ingresses naming no class are ours.
pub const CLASS: &str = r#"apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata:
  name: ours
  annotations:
    ingressclass.kubernetes.io/is-default-class: "true"
spec:
  controller: ingress-rs.dev/ingress-gateway
"#;

/// An Ingress in namespace `default`; `spec` is YAML indented by two spaces.
pub fn ingress(name: &str, spec: &str) -> String {
    format!(
        "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: {name}\n  namespace: default\nspec:\n{spec}"
    )
}

/// One `spec.rules[]` entry: `host` (none for a host-less rule) and its
/// paths as `(pathType, path, backend)`, the backend as YAML (see [`to`]).
pub fn rule(host: Option<&str>, paths: &[(&str, &str, &str)]) -> String {
    let mut out = String::from("  - ");
    if let Some(host) = host {
        out.push_str(&format!("host: \"{host}\"\n    "));
    }
    out.push_str("http:\n      paths:\n");
    for (kind, path, backend) in paths {
        out.push_str(&format!(
            "      - pathType: {kind}\n        path: \"{path}\"\n        backend: {backend}\n"
        ));
    }
    out
}

/// `spec.rules` from [`rule`] entries.
pub fn rules(entries: &[String]) -> String {
    format!("  rules:\n{}", entries.concat())
}

/// `spec.defaultBackend`, the backend as YAML.
pub fn default_backend(backend: &str) -> String {
    format!("  defaultBackend: {backend}\n")
}

/// A service backend, port number 80, as a YAML flow mapping.
pub fn to(service: &str) -> String {
    to_port(service, 80)
}

/// A service backend with the port given by number.
pub fn to_port(service: &str, number: u16) -> String {
    format!("{{service: {{name: {service}, port: {{number: {number}}}}}}}")
}

/// A service backend with the port given by name.
pub fn to_port_name(service: &str, name: &str) -> String {
    format!("{{service: {{name: {service}, port: {{name: {name}}}}}}}")
}

/// A resource backend (M9).
pub fn to_resource(kind: &str, name: &str) -> String {
    format!("{{resource: {{apiGroup: k8s.example.com, kind: {kind}, name: {name}}}}}")
}

/// A Service in namespace `default` with `ports` as (name, port, targetPort).
pub fn service(name: &str, ports: &[(Option<&str>, u16, &str)]) -> String {
    let mut out =
        format!("apiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\n  namespace: default\nspec:\n  ports:\n");
    for (port_name, port, target) in ports {
        out.push_str("  - ");
        if let Some(port_name) = port_name {
            out.push_str(&format!("name: {port_name}\n    "));
        }
        out.push_str(&format!("port: {port}\n    targetPort: {target}\n    protocol: TCP\n"));
    }
    out
}

/// An IPv4 EndpointSlice of Service `service`: ports as (name, number),
/// endpoints as (address, conditions.ready; `None` leaves it unset).
pub fn slice(name: &str, service: &str, ports: &[(Option<&str>, u16)], endpoints: &[(&str, Option<bool>)]) -> String {
    let mut out = format!(
        "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata:\n  name: {name}\n  namespace: default\n  labels:\n    kubernetes.io/service-name: {service}\naddressType: IPv4\nports:\n"
    );
    for (port_name, port) in ports {
        out.push_str("- ");
        if let Some(port_name) = port_name {
            out.push_str(&format!("name: {port_name}\n  "));
        }
        out.push_str(&format!("port: {port}\n  protocol: TCP\n"));
    }
    out.push_str("endpoints:\n");
    for (address, ready) in endpoints {
        match ready {
            Some(ready) => out.push_str(&format!(
                "- addresses: [\"{address}\"]\n  conditions:\n    ready: {ready}\n"
            )),
            None => out.push_str(&format!("- addresses: [\"{address}\"]\n  conditions: {{}}\n")),
        }
    }
    out
}

/// An IngressClass `name` of `controller`, not marked default.
pub fn class(name: &str, controller: &str) -> String {
    format!(
        "apiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata:\n  name: {name}\nspec:\n  controller: {controller}\n"
    )
}

/// Documents joined into one multi-document YAML text.
pub fn documents(docs: &[String]) -> String {
    docs.join("---\n")
}

/// Service `name` (port 80 named `http`, targetPort `http`) with one ready
/// endpoint per backend: one EndpointSlice each, since each backend has a
/// port of its own on 127.0.0.1.
pub fn service_of(name: &str, backends: &[&Backend]) -> String {
    let mut docs = vec![service(name, &[(Some("http"), 80, "http")])];
    for (index, backend) in backends.iter().enumerate() {
        docs.push(slice(
            &format!("{name}-{index}"),
            name,
            &[(Some("http"), backend.port())],
            &[("127.0.0.1", Some(true))],
        ));
    }
    documents(&docs)
}

/// A Service named after each backend ([`service_of`]), as one file's text.
pub fn services(backends: &[&Backend]) -> String {
    let docs: Vec<String> = backends
        .iter()
        .map(|backend| service_of(&backend.name, &[backend]))
        .collect();
    documents(&docs)
}
