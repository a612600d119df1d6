//! [`EndpointSliceYaml`]: a `discovery.k8s.io/v1` EndpointSlice of one
//! Service as YAML text.
//!
//! ```
//! use ingress_test_support::EndpointSliceYaml;
//!
//! let yaml = EndpointSliceYaml::new("web-1", "web")
//!     .port(Some("http"), 8080)
//!     .endpoint("10.0.0.1", Some(true))
//!     .endpoint("10.0.0.2", None)
//!     .to_yaml();
//! assert!(yaml.contains("    kubernetes.io/service-name: \"web\"\n"));
//! assert!(yaml.ends_with("- addresses: [\"10.0.0.2\"]\n"));
//! ```

use std::fmt::Write as _;

use crate::yaml::{Metadata, quoted};

/// The label that ties a slice to its Service.
const SERVICE_NAME: &str = "kubernetes.io/service-name";

#[derive(Debug, Clone)]
struct Port {
    name: Option<String>,
    port: u16,
}

#[derive(Debug, Clone)]
struct Endpoint {
    address: String,
    ready: Option<bool>,
}

/// An EndpointSlice; `addressType` is `IPv4` unless set.
#[derive(Debug, Clone)]
#[must_use]
pub struct EndpointSliceYaml {
    metadata: Metadata,
    address_type: String,
    ports: Vec<Port>,
    endpoints: Vec<Endpoint>,
}

impl EndpointSliceYaml {
    /// Slice `name` of Service `service`, with no ports and no endpoints.
    pub fn new(name: &str, service: &str) -> Self {
        let mut metadata = Metadata::named(name);
        metadata.labels.push((SERVICE_NAME.to_owned(), service.to_owned()));
        Self {
            metadata,
            address_type: "IPv4".to_owned(),
            ports: Vec::new(),
            endpoints: Vec::new(),
        }
    }

    /// `metadata.namespace`.
    pub fn namespace(mut self, namespace: &str) -> Self {
        self.metadata.namespace = Some(namespace.to_owned());
        self
    }

    /// `addressType`: `IPv4`, `IPv6` or `FQDN`.
    pub fn address_type(mut self, address_type: &str) -> Self {
        address_type.clone_into(&mut self.address_type);
        self
    }

    /// One more `ports[]` entry: its name, if any (it matches the Service
    /// port of that name), and its number.
    pub fn port(mut self, name: Option<&str>, port: u16) -> Self {
        self.ports.push(Port {
            name: name.map(str::to_owned),
            port,
        });
        self
    }

    /// One more `endpoints[]` entry with one address; `ready` is
    /// `conditions.ready`, left out when `None` (which the API reads as
    /// ready).
    pub fn endpoint(mut self, address: &str, ready: Option<bool>) -> Self {
        self.endpoints.push(Endpoint {
            address: address.to_owned(),
            ready,
        });
        self
    }

    /// The YAML document, ending in a line break.
    pub fn to_yaml(&self) -> String {
        let mut out = String::new();
        self.metadata
            .write_head(&mut out, "discovery.k8s.io/v1", "EndpointSlice");
        let _ = writeln!(out, "addressType: {}", self.address_type);
        if !self.ports.is_empty() {
            out.push_str("ports:\n");
        }
        for port in &self.ports {
            out.push_str("- ");
            if let Some(name) = &port.name {
                let _ = write!(out, "name: {name}\n  ");
            }
            let _ = writeln!(out, "port: {}", port.port);
        }
        if self.endpoints.is_empty() {
            out.push_str("endpoints: []\n");
        } else {
            out.push_str("endpoints:\n");
        }
        for endpoint in &self.endpoints {
            let _ = writeln!(out, "- addresses: [{}]", quoted(&endpoint.address));
            if let Some(ready) = endpoint.ready {
                let _ = writeln!(out, "  conditions:\n    ready: {ready}");
            }
        }
        out
    }
}
