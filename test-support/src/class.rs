//! [`IngressClassYaml`]: an IngressClass as YAML text.
//!
//! ```
//! use ingress_test_support::IngressClassYaml;
//!
//! let yaml = IngressClassYaml::new("ours", "ingress-rs.dev/ingress-gateway").default_class().to_yaml();
//! assert!(yaml.contains("ingressclass.kubernetes.io/is-default-class: \"true\"\n"));
//! assert!(yaml.ends_with("spec:\n  controller: ingress-rs.dev/ingress-gateway\n"));
//! ```

use std::fmt::Write as _;

use crate::yaml::Metadata;

/// The annotation that marks an IngressClass as the cluster's default (O2).
const IS_DEFAULT_CLASS: &str = "ingressclass.kubernetes.io/is-default-class";

/// An IngressClass of one controller.
#[derive(Debug, Clone)]
#[must_use]
pub struct IngressClassYaml {
    metadata: Metadata,
    controller: String,
}

impl IngressClassYaml {
    /// IngressClass `name` of `controller`, not marked default.
    pub fn new(name: &str, controller: &str) -> Self {
        Self {
            metadata: Metadata::named(name),
            controller: controller.to_owned(),
        }
    }

    /// Marks the class the default one (the `is-default-class` annotation).
    pub fn default_class(mut self) -> Self {
        self.metadata
            .annotations
            .push((IS_DEFAULT_CLASS.to_owned(), "true".to_owned()));
        self
    }

    /// `metadata.creationTimestamp`, e.g. `2020-01-01T00:00:00Z`: the newest
    /// of two default classes wins.
    pub fn created(mut self, timestamp: &str) -> Self {
        self.metadata.created = Some(timestamp.to_owned());
        self
    }

    /// The YAML document, ending in a line break.
    pub fn to_yaml(&self) -> String {
        let mut out = String::new();
        self.metadata
            .write_head(&mut out, "networking.k8s.io/v1", "IngressClass");
        let _ = writeln!(out, "spec:\n  controller: {}", self.controller);
        out
    }
}
