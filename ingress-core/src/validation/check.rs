//! The checks themselves: one pass over an object, collecting every broken
//! field.

use std::sync::Arc;

use super::names;
use super::{
    Backend, FieldError, HostRule, Invalid, PathType, Rejection, ResourceBackend, ServiceBackend, ServicePort,
    ValidIngress, ValidPath, ValidRule, ValidTls,
};
use crate::objects::{HttpIngressPath, Ingress, IngressBackend, IngressRule, IngressTls, ObjectKey};

/// Sequences an `Exact` or `Prefix` path must not contain (V4).
const INVALID_PATH_SEQUENCES: [&str; 5] = ["//", "/./", "/../", "%2f", "%2F"];
/// Which of [`INVALID_PATH_SEQUENCES`] occur in `path`, in that order;
/// one pass, as every sequence starts with `/` or `%`.
fn invalid_sequences(path: &[u8]) -> impl Iterator<Item = &'static str> {
    let mut found = [false; INVALID_PATH_SEQUENCES.len()];
    for (at, &byte) in path.iter().enumerate() {
        if byte != b'/' && byte != b'%' {
            continue;
        }
        let rest = path.get(at..).unwrap_or_default();
        for (seen, sequence) in found.iter_mut().zip(INVALID_PATH_SEQUENCES) {
            *seen = *seen || rest.starts_with(sequence.as_bytes());
        }
    }
    INVALID_PATH_SEQUENCES
        .into_iter()
        .zip(found)
        .filter_map(|(sequence, seen)| seen.then_some(sequence))
}

/// Endings an `Exact` or `Prefix` path must not have (V4).
const INVALID_PATH_SUFFIXES: [&str; 2] = ["/..", "/."];

/// Checks `ingress` with the API server's rules and returns its typed form,
/// or every reason it is invalid.
pub fn validate(ingress: &Ingress) -> Result<ValidIngress, Rejection> {
    validate_as(ingress, ingress.key())
}

/// [`validate`] with the object's key already made.
pub(crate) fn validate_as(ingress: &Ingress, key: ObjectKey) -> Result<ValidIngress, Rejection> {
    let mut check = Check::default();
    let namespace = Arc::clone(key.shared_namespace());
    let spec = &ingress.spec;

    if spec.rules.is_empty() && spec.default_backend.is_none() {
        check.fail("spec".to_owned(), Invalid::NoRulesNorDefaultBackend);
    }
    let default_backend = spec
        .default_backend
        .as_ref()
        .and_then(|backend| check.backend(backend, At::DefaultBackend, &namespace));
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
            object: key,
            errors: check.errors,
        });
    }
    Ok(ValidIngress {
        key,
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

/// Where in an object a check is: field paths are only spelled out for
/// errors, so valid objects cost no string formatting.
#[derive(Clone, Copy)]
enum At {
    Rule(usize),
    Path(usize, usize),
    DefaultBackend,
    Tls(usize),
}

impl At {
    fn field(self, leaf: &str) -> String {
        match self {
            Self::Rule(rule) => format!("spec.rules[{rule}]{leaf}"),
            Self::Path(rule, path) => format!("spec.rules[{rule}].http.paths[{path}]{leaf}"),
            Self::DefaultBackend => format!("spec.defaultBackend{leaf}"),
            Self::Tls(tls) => format!("spec.tls[{tls}]{leaf}"),
        }
    }

    /// The prefix of backend fields: the default backend, or a path's `.backend`.
    fn backend(self, leaf: &str) -> String {
        match self {
            Self::Path(..) => self.field(&format!(".backend{leaf}")),
            _ => self.field(leaf),
        }
    }
}

/// Collects field errors while walking one object.
#[derive(Default)]
struct Check {
    errors: Vec<FieldError>,
    /// The last Service name seen, shared by the object's backends that
    /// repeat it.
    last_service: Option<Arc<str>>,
}

impl Check {
    fn fail(&mut self, field: String, reason: Invalid) {
        self.errors.push(FieldError { field, reason });
    }

    fn rule(&mut self, rule: &IngressRule, index: usize, namespace: &Arc<str>) -> Option<ValidRule> {
        let at = At::Rule(index);
        let host = match rule.host.as_deref() {
            None | Some("") => Some(HostRule::Any),
            Some(host) => parse_host(host).map_err(|e| self.fail(at.field(".host"), e)).ok(),
        };
        let paths = match &rule.http {
            None => Some(None),
            Some(http) if http.paths.is_empty() => {
                self.fail(at.field(".http.paths"), Invalid::NoPaths);
                None
            }
            Some(http) => {
                let before = self.errors.len();
                let paths: Vec<_> = http
                    .paths
                    .iter()
                    .enumerate()
                    .filter_map(|(i, path)| self.path(path, At::Path(index, i), namespace))
                    .collect();
                (self.errors.len() == before).then_some(Some(paths))
            }
        };
        Some(ValidRule {
            host: host?,
            paths: paths?,
        })
    }

    fn path(&mut self, path: &HttpIngressPath, at: At, namespace: &Arc<str>) -> Option<ValidPath> {
        let text = path.path.as_deref().unwrap_or("");
        let before = self.errors.len();
        let path_type = match path.path_type.as_deref() {
            None => {
                self.fail(at.field(".pathType"), Invalid::PathTypeMissing);
                None
            }
            Some(name) => {
                let parsed = PathType::from_api(name);
                if parsed.is_none() {
                    self.fail(at.field(".pathType"), Invalid::PathTypeUnsupported(name.to_owned()));
                }
                parsed
            }
        };
        match path_type {
            Some(PathType::Exact | PathType::Prefix) => {
                if !text.starts_with('/') {
                    self.fail(at.field(".path"), Invalid::PathNotAbsolute(text.to_owned()));
                }
                for sequence in invalid_sequences(text.as_bytes()) {
                    self.fail(at.field(".path"), Invalid::PathContains(sequence));
                }
                for suffix in INVALID_PATH_SUFFIXES {
                    if text.ends_with(suffix) {
                        self.fail(at.field(".path"), Invalid::PathEndsWith(suffix));
                    }
                }
            }
            Some(PathType::ImplementationSpecific) if !text.is_empty() && !text.starts_with('/') => {
                self.fail(at.field(".path"), Invalid::PathNotAbsolute(text.to_owned()));
            }
            Some(PathType::ImplementationSpecific) | None => {}
        }
        let backend = self.backend(&path.backend, at, namespace);
        if self.errors.len() != before {
            return None;
        }
        Some(ValidPath {
            path: text.into(),
            path_type: path_type?,
            backend: backend?,
        })
    }

    fn backend(&mut self, backend: &IngressBackend, at: At, namespace: &Arc<str>) -> Option<Backend> {
        match (&backend.service, &backend.resource) {
            (None, None) => {
                self.fail(at.backend(""), Invalid::BackendMissing);
                None
            }
            (Some(_), Some(_)) => {
                self.fail(at.backend(""), Invalid::BackendAmbiguous);
                None
            }
            (Some(service), None) => {
                let before = self.errors.len();
                if !names::is_dns1035_label(&service.name) {
                    self.fail(
                        at.backend(".service.name"),
                        Invalid::ServiceNameInvalid(service.name.clone()),
                    );
                }
                let port = self.port(service.port.as_ref(), at);
                (self.errors.len() == before).then_some(())?;
                let name = match &self.last_service {
                    Some(last) if **last == *service.name => Arc::clone(last),
                    _ => {
                        let name: Arc<str> = service.name.as_str().into();
                        self.last_service = Some(Arc::clone(&name));
                        name
                    }
                };
                Some(Backend::Service(ServiceBackend {
                    namespace: namespace.clone(),
                    name,
                    port: port?,
                }))
            }
            (None, Some(resource)) => {
                let before = self.errors.len();
                if let Some(group) = &resource.api_group
                    && !names::is_dns1123_subdomain(group)
                {
                    self.fail(
                        at.backend(".resource.apiGroup"),
                        Invalid::ResourceFieldInvalid(group.clone()),
                    );
                }
                for (leaf, value) in [(".resource.kind", &resource.kind), (".resource.name", &resource.name)] {
                    if value.is_empty() {
                        self.fail(at.backend(leaf), Invalid::ResourceFieldMissing);
                    } else if !names::is_path_segment_name(value) {
                        self.fail(at.backend(leaf), Invalid::ResourceFieldInvalid(value.clone()));
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

    fn port(&mut self, port: Option<&crate::objects::ServiceBackendPort>, at: At) -> Option<ServicePort> {
        // As the API server reads them, a zero number and an empty name are
        // unset (they are Go zero values).
        let port = port.map(|p| {
            (
                p.number.filter(|&n| n != 0),
                p.name.as_deref().filter(|n| !n.is_empty()),
            )
        });
        match port {
            None | Some((None, None)) => {
                self.fail(at.backend(".service.port"), Invalid::PortMissing);
                None
            }
            Some((Some(_), Some(_))) => {
                self.fail(at.backend(".service.port"), Invalid::PortAmbiguous);
                None
            }
            Some((Some(number), None)) => match u16::try_from(number) {
                Ok(number) if number > 0 => Some(ServicePort::Number(number)),
                _ => {
                    self.fail(
                        at.backend(".service.port.number"),
                        Invalid::PortNumberOutOfRange(number),
                    );
                    None
                }
            },
            Some((None, Some(name))) => {
                if names::is_iana_port_name(name) {
                    Some(ServicePort::Name(name.into()))
                } else {
                    self.fail(
                        at.backend(".service.port.name"),
                        Invalid::PortNameInvalid(name.to_owned()),
                    );
                    None
                }
            }
        }
    }

    fn tls(&mut self, tls: &IngressTls, index: usize) -> Option<ValidTls> {
        let at = At::Tls(index);
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
                None => self.fail(at.field(&format!(".hosts[{i}]")), Invalid::TlsHostInvalid(host.clone())),
            }
        }
        if let Some(secret) = &tls.secret_name
            && !secret.is_empty()
            && !names::is_dns1123_subdomain(secret)
        {
            self.fail(at.field(".secretName"), Invalid::SecretNameInvalid(secret.clone()));
        }
        (self.errors.len() == before).then(|| ValidTls {
            hosts,
            secret_name: tls.secret_name.as_deref().filter(|s| !s.is_empty()).map(Box::from),
        })
    }
}
