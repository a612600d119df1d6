//! [`ServiceYaml`]: a v1 Service and its ports as YAML text.
//!
//! ```
//! use ingress_test_support::ServiceYaml;
//!
//! let yaml = ServiceYaml::new("web").port(None, 80, None).to_yaml();
//! assert_eq!(yaml, "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  ports:\n  - port: 80\n");
//! ```

use std::fmt::Write as _;

use crate::yaml::Metadata;

#[derive(Debug, Clone)]
struct Port {
    name: Option<String>,
    port: u16,
    target_port: Option<String>,
}

/// A Service. Only what is set is written (a port's protocol is left
/// unset, which the API reads as TCP).
#[derive(Debug, Clone)]
#[must_use]
pub struct ServiceYaml {
    metadata: Metadata,
    ports: Vec<Port>,
}

impl ServiceYaml {
    /// Service `name` with no ports.
    pub fn new(name: &str) -> Self {
        Self {
            metadata: Metadata::named(name),
            ports: Vec::new(),
        }
    }

    /// `metadata.namespace`.
    pub fn namespace(mut self, namespace: &str) -> Self {
        self.metadata.namespace = Some(namespace.to_owned());
        self
    }

    /// One more `spec.ports[]` entry: its name, if any, its number, and its
    /// `targetPort`, if any, written as is (`8080` is a number, `http` a
    /// port name).
    pub fn port(mut self, name: Option<&str>, port: u16, target_port: Option<&str>) -> Self {
        self.ports.push(Port {
            name: name.map(str::to_owned),
            port,
            target_port: target_port.map(str::to_owned),
        });
        self
    }

    /// The YAML document, ending in a line break.
    pub fn to_yaml(&self) -> String {
        let mut out = String::new();
        self.metadata.write_head(&mut out, "v1", "Service");
        if self.ports.is_empty() {
            out.push_str("spec: {}\n");
            return out;
        }
        out.push_str("spec:\n  ports:\n");
        for port in &self.ports {
            out.push_str("  - ");
            if let Some(name) = &port.name {
                let _ = write!(out, "name: {name}\n    ");
            }
            let _ = writeln!(out, "port: {}", port.port);
            if let Some(target) = &port.target_port {
                let _ = writeln!(out, "    targetPort: {target}");
            }
        }
        out
    }
}
