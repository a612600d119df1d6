//! Validation with the API server's rules (V1-V7 of the contract).
//!
//! Objects read from files never met an API server, and objects stored by an
//! old API server may break today's rules, so every object is re-checked on
//! load. An object with any error is rejected whole (V8); the [`Rejection`]
//! lists every broken field with its path.
//!
//! ```
//! use ingress_core::{validate, HttpIngressPath, Ingress, IngressBackend};
//!
//! let bad = Ingress::new("default", "bad").with_rule(
//!     Some("Hello.example.com"),
//!     [HttpIngressPath::prefix("/a//b", IngressBackend::service("web", 80))],
//! );
//! let rejection = validate(&bad).unwrap_err();
//! let fields: Vec<_> = rejection.errors.iter().map(|e| (e.field.as_str(), e.reason.rule())).collect();
//! assert_eq!(fields, [("spec.rules[0].host", "V2"), ("spec.rules[0].http.paths[0].path", "V4")]);
//! ```

mod error;
pub(crate) mod names;

use std::sync::Arc;

pub use error::{FieldError, Invalid, Rejection};

use crate::object::{HttpIngressPath, Ingress, IngressBackend, IngressRule, IngressTls};
use crate::valid::{
    Backend, HostRule, PathType, ResourceBackend, ServiceBackend, ServicePort, ValidIngress, ValidPath, ValidRule,
    ValidTls,
};

/// Sequences an `Exact` or `Prefix` path must not contain (V4).
const INVALID_PATH_SEQUENCES: [&str; 5] = ["//", "/./", "/../", "%2f", "%2F"];
/// Endings an `Exact` or `Prefix` path must not have (V4).
const INVALID_PATH_SUFFIXES: [&str; 2] = ["/..", "/."];

/// Checks `ingress` with the API server's rules and returns its typed form,
/// or every reason it is invalid.
pub fn validate(ingress: &Ingress) -> Result<ValidIngress, Rejection> {
    let mut check = Check::default();
    let namespace: Arc<str> = ingress.namespace.as_str().into();
    let spec = &ingress.spec;

    if spec.rules.is_empty() && spec.default_backend.is_none() {
        check.fail("spec".to_owned(), Invalid::NoRulesNorDefaultBackend);
    }
    let default_backend = spec
        .default_backend
        .as_ref()
        .and_then(|backend| check.backend(backend, "spec.defaultBackend", &namespace));
    let rules: Vec<_> = spec
        .rules
        .iter()
        .enumerate()
        .filter_map(|(i, rule)| check.rule(rule, i, &namespace))
        .collect();
    let tls: Vec<_> = spec
        .tls
        .iter()
        .enumerate()
        .filter_map(|(i, tls)| check.tls(tls, i))
        .collect();

    if !check.errors.is_empty() {
        return Err(Rejection {
            object: ingress.key(),
            errors: check.errors,
        });
    }
    Ok(ValidIngress {
        key: ingress.key(),
        creation_timestamp: ingress.creation_timestamp,
        ingress_class_name: spec.ingress_class_name.clone(),
        default_backend,
        rules,
        tls,
    })
}

/// Parses a rule or TLS host: exact or wildcard DNS-1123 subdomain (V2).
pub(crate) fn parse_host(host: &str) -> Result<HostRule, Invalid> {
    if let Some(parent) = host.strip_prefix("*.") {
        if names::is_wildcard_dns1123_subdomain(host) {
            return Ok(HostRule::Wildcard(parent.into()));
        }
    } else if names::is_ip_address(host) {
        return Err(Invalid::HostIsIpAddress(host.to_owned()));
    } else if names::is_dns1123_subdomain(host) {
        return Ok(HostRule::Exact(host.into()));
    }
    Err(Invalid::HostNotDnsName(host.to_owned()))
}

/// Collects field errors while walking one object.
#[derive(Default)]
struct Check {
    errors: Vec<FieldError>,
}

impl Check {
    fn fail(&mut self, field: String, reason: Invalid) {
        self.errors.push(FieldError { field, reason });
    }

    fn rule(&mut self, rule: &IngressRule, index: usize, namespace: &Arc<str>) -> Option<ValidRule> {
        let field = format!("spec.rules[{index}]");
        let host = match rule.host.as_deref() {
            None | Some("") => Some(HostRule::Any),
            Some(host) => parse_host(host).map_err(|e| self.fail(format!("{field}.host"), e)).ok(),
        };
        let paths = match &rule.http {
            None => Some(None),
            Some(http) if http.paths.is_empty() => {
                self.fail(format!("{field}.http.paths"), Invalid::NoPaths);
                None
            }
            Some(http) => {
                let before = self.errors.len();
                let paths: Vec<_> = http
                    .paths
                    .iter()
                    .enumerate()
                    .filter_map(|(i, path)| self.path(path, &format!("{field}.http.paths[{i}]"), namespace))
                    .collect();
                (self.errors.len() == before).then_some(Some(paths))
            }
        };
        Some(ValidRule {
            host: host?,
            paths: paths?,
        })
    }

    fn path(&mut self, path: &HttpIngressPath, field: &str, namespace: &Arc<str>) -> Option<ValidPath> {
        let text = path.path.as_deref().unwrap_or("");
        let before = self.errors.len();
        let path_type = match path.path_type.as_deref() {
            None => {
                self.fail(format!("{field}.pathType"), Invalid::PathTypeMissing);
                None
            }
            Some(name) => {
                let parsed = PathType::from_api(name);
                if parsed.is_none() {
                    self.fail(
                        format!("{field}.pathType"),
                        Invalid::PathTypeUnsupported(name.to_owned()),
                    );
                }
                parsed
            }
        };
        match path_type {
            Some(PathType::Exact | PathType::Prefix) => {
                if !text.starts_with('/') {
                    self.fail(format!("{field}.path"), Invalid::PathNotAbsolute(text.to_owned()));
                }
                for sequence in INVALID_PATH_SEQUENCES {
                    if text.contains(sequence) {
                        self.fail(format!("{field}.path"), Invalid::PathContains(sequence));
                    }
                }
                for suffix in INVALID_PATH_SUFFIXES {
                    if text.ends_with(suffix) {
                        self.fail(format!("{field}.path"), Invalid::PathEndsWith(suffix));
                    }
                }
            }
            Some(PathType::ImplementationSpecific) if !text.is_empty() && !text.starts_with('/') => {
                self.fail(format!("{field}.path"), Invalid::PathNotAbsolute(text.to_owned()));
            }
            Some(PathType::ImplementationSpecific) | None => {}
        }
        let backend = self.backend(&path.backend, &format!("{field}.backend"), namespace);
        if self.errors.len() != before {
            return None;
        }
        Some(ValidPath {
            path: text.into(),
            path_type: path_type?,
            backend: backend?,
        })
    }

    fn backend(&mut self, backend: &IngressBackend, field: &str, namespace: &Arc<str>) -> Option<Backend> {
        match (&backend.service, &backend.resource) {
            (None, None) => {
                self.fail(field.to_owned(), Invalid::BackendMissing);
                None
            }
            (Some(_), Some(_)) => {
                self.fail(field.to_owned(), Invalid::BackendAmbiguous);
                None
            }
            (Some(service), None) => {
                let field = format!("{field}.service");
                let before = self.errors.len();
                if !names::is_dns1035_label(&service.name) {
                    self.fail(
                        format!("{field}.name"),
                        Invalid::ServiceNameInvalid(service.name.clone()),
                    );
                }
                let port = self.port(service.port.as_ref(), &format!("{field}.port"));
                (self.errors.len() == before).then_some(())?;
                Some(Backend::Service(ServiceBackend {
                    namespace: namespace.clone(),
                    name: service.name.as_str().into(),
                    port: port?,
                }))
            }
            (None, Some(resource)) => {
                let field = format!("{field}.resource");
                let before = self.errors.len();
                if let Some(group) = &resource.api_group
                    && !names::is_dns1123_subdomain(group)
                {
                    self.fail(
                        format!("{field}.apiGroup"),
                        Invalid::ResourceFieldInvalid(group.clone()),
                    );
                }
                for (name, value) in [("kind", &resource.kind), ("name", &resource.name)] {
                    if value.is_empty() {
                        self.fail(format!("{field}.{name}"), Invalid::ResourceFieldMissing);
                    } else if !names::is_path_segment_name(value) {
                        self.fail(format!("{field}.{name}"), Invalid::ResourceFieldInvalid(value.clone()));
                    }
                }
                (self.errors.len() == before).then_some(())?;
                Some(Backend::Resource(ResourceBackend {
                    namespace: namespace.clone(),
                    api_group: resource.api_group.as_deref().map(Arc::from),
                    kind: resource.kind.as_str().into(),
                    name: resource.name.as_str().into(),
                }))
            }
        }
    }

    fn port(&mut self, port: Option<&crate::object::ServiceBackendPort>, field: &str) -> Option<ServicePort> {
        let port = port.map(|p| (p.number, p.name.as_deref()));
        match port {
            None | Some((None, None)) => {
                self.fail(field.to_owned(), Invalid::PortMissing);
                None
            }
            Some((Some(_), Some(_))) => {
                self.fail(field.to_owned(), Invalid::PortAmbiguous);
                None
            }
            Some((Some(number), None)) => match u16::try_from(number) {
                Ok(number) if number > 0 => Some(ServicePort::Number(number)),
                _ => {
                    self.fail(format!("{field}.number"), Invalid::PortNumberOutOfRange(number));
                    None
                }
            },
            Some((None, Some(name))) => {
                if names::is_iana_port_name(name) {
                    Some(ServicePort::Name(name.into()))
                } else {
                    self.fail(format!("{field}.name"), Invalid::PortNameInvalid(name.to_owned()));
                    None
                }
            }
        }
    }

    fn tls(&mut self, tls: &IngressTls, index: usize) -> Option<ValidTls> {
        let field = format!("spec.tls[{index}]");
        let before = self.errors.len();
        let mut hosts = Vec::with_capacity(tls.hosts.len());
        for (i, host) in tls.hosts.iter().enumerate() {
            let parsed = if host.starts_with("*.") {
                names::is_wildcard_dns1123_subdomain(host)
                    .then(|| parse_host(host).ok())
                    .flatten()
            } else {
                names::is_dns1123_subdomain(host).then(|| HostRule::Exact(host.as_str().into()))
            };
            match parsed {
                Some(rule) => hosts.push(rule),
                None => self.fail(format!("{field}.hosts[{i}]"), Invalid::TlsHostInvalid(host.clone())),
            }
        }
        if let Some(secret) = &tls.secret_name
            && !secret.is_empty()
            && !names::is_dns1123_subdomain(secret)
        {
            self.fail(
                format!("{field}.secretName"),
                Invalid::SecretNameInvalid(secret.clone()),
            );
        }
        (self.errors.len() == before).then(|| ValidTls {
            hosts,
            secret_name: tls.secret_name.as_deref().filter(|s| !s.is_empty()).map(Box::from),
        })
    }
}
