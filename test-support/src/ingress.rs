//! [`IngressYaml`]: an `networking.k8s.io/v1` Ingress as YAML text, with
//! its class, annotations, default backend and rules.
//!
//! ```
//! use ingress_test_support::{IngressYaml, path, service_backend};
//!
//! let yaml = IngressYaml::new("shop")
//!     .class("ours")
//!     .rule(Some("shop.example"), [path("Prefix", "/cart", service_backend("cart", 80))])
//!     .to_yaml();
//! assert!(yaml.contains("  ingressClassName: ours\n"));
//! assert!(yaml.contains("  - host: \"shop.example\"\n"));
//! ```

use std::fmt::Write as _;

use crate::backend::IngressBackend;
use crate::yaml::{Metadata, quoted};

/// One `spec.rules[].http.paths[]` entry; made by [`path`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IngressPath {
    path_type: String,
    path: String,
    backend: IngressBackend,
}

/// A path entry: `path_type` as the manifest spells it (`Prefix`, `Exact`,
/// `ImplementationSpecific`, or anything else a test wants rejected),
/// the `path`, and where it sends traffic.
pub fn path(path_type: &str, path: &str, backend: IngressBackend) -> IngressPath {
    IngressPath {
        path_type: path_type.to_owned(),
        path: path.to_owned(),
        backend,
    }
}

#[derive(Debug, Clone)]
struct Rule {
    host: Option<String>,
    paths: Vec<IngressPath>,
}

/// An Ingress. Only what is set is written: no namespace unless
/// [`IngressYaml::namespace`] names one (a loader reads that as
/// `default`).
#[derive(Debug, Clone)]
#[must_use]
pub struct IngressYaml {
    metadata: Metadata,
    class: Option<String>,
    default_backend: Option<IngressBackend>,
    rules: Vec<Rule>,
}

impl IngressYaml {
    /// An Ingress named `name` with an empty spec.
    pub fn new(name: &str) -> Self {
        Self {
            metadata: Metadata::named(name),
            class: None,
            default_backend: None,
            rules: Vec::new(),
        }
    }

    /// `metadata.namespace`.
    pub fn namespace(mut self, namespace: &str) -> Self {
        self.metadata.namespace = Some(namespace.to_owned());
        self
    }

    /// `metadata.creationTimestamp`, e.g. `2020-01-01T00:00:00Z`.
    pub fn created(mut self, timestamp: &str) -> Self {
        self.metadata.created = Some(timestamp.to_owned());
        self
    }

    /// One more `metadata.annotations` entry.
    pub fn annotation(mut self, key: &str, value: &str) -> Self {
        self.metadata.annotations.push((key.to_owned(), value.to_owned()));
        self
    }

    /// `spec.ingressClassName`.
    pub fn class(mut self, class: &str) -> Self {
        self.class = Some(class.to_owned());
        self
    }

    /// `spec.defaultBackend`.
    pub fn default_backend(mut self, backend: IngressBackend) -> Self {
        self.default_backend = Some(backend);
        self
    }

    /// One more `spec.rules[]` entry: `host` (none for a rule of every
    /// host) and its HTTP paths, in order.
    pub fn rule(mut self, host: Option<&str>, paths: impl IntoIterator<Item = IngressPath>) -> Self {
        self.rules.push(Rule {
            host: host.map(str::to_owned),
            paths: paths.into_iter().collect(),
        });
        self
    }

    /// The YAML document, ending in a line break.
    pub fn to_yaml(&self) -> String {
        let mut out = String::new();
        self.metadata.write_head(&mut out, "networking.k8s.io/v1", "Ingress");
        if self.class.is_none() && self.default_backend.is_none() && self.rules.is_empty() {
            out.push_str("spec: {}\n");
            return out;
        }
        out.push_str("spec:\n");
        if let Some(class) = &self.class {
            let _ = writeln!(out, "  ingressClassName: {class}");
        }
        if let Some(backend) = &self.default_backend {
            out.push_str("  defaultBackend:\n");
            backend.write(&mut out, 4);
        }
        if !self.rules.is_empty() {
            out.push_str("  rules:\n");
        }
        for rule in &self.rules {
            out.push_str("  - ");
            if let Some(host) = &rule.host {
                let _ = write!(out, "host: {}\n    ", quoted(host));
            }
            out.push_str("http:\n      paths:\n");
            for entry in &rule.paths {
                let _ = writeln!(
                    out,
                    "      - path: {}\n        pathType: {}\n        backend:",
                    quoted(&entry.path),
                    entry.path_type
                );
                entry.backend.write(&mut out, 10);
            }
        }
        out
    }
}
