//! The Ingress object and the values inside its `spec`, unvalidated.

use std::time::SystemTime;

use crate::objects::ObjectKey;

/// One Ingress object, unvalidated.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Ingress {
    /// `metadata.namespace`.
    pub namespace: String,
    /// `metadata.name`.
    pub name: String,
    /// `metadata.creationTimestamp`; conflicts go to the older object (M6).
    /// Objects read from files usually have none: they count as the newest.
    pub creation_timestamp: Option<SystemTime>,
    /// `spec`.
    pub spec: IngressSpec,
}

/// `spec` of an Ingress.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IngressSpec {
    /// `spec.ingressClassName`, carried for class selection at the edge;
    /// routing ignores it.
    pub ingress_class_name: Option<String>,
    /// `spec.defaultBackend`.
    pub default_backend: Option<IngressBackend>,
    /// `spec.rules`.
    pub rules: Vec<IngressRule>,
    /// `spec.tls`.
    pub tls: Vec<IngressTls>,
}

/// One entry of `spec.rules`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IngressRule {
    /// `host`; `None` (or empty) means the rule applies to every host.
    pub host: Option<String>,
    /// `http`; a rule without it sends its host to the default backend (M7).
    pub http: Option<HttpIngressRuleValue>,
}

/// `rules[].http`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HttpIngressRuleValue {
    /// `paths`; must not be empty (V3).
    pub paths: Vec<HttpIngressPath>,
}

/// One entry of `rules[].http.paths`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpIngressPath {
    /// `path`, as written.
    pub path: Option<String>,
    /// `pathType`, as written; required, one of `Exact`, `Prefix`,
    /// `ImplementationSpecific` (V3).
    pub path_type: Option<String>,
    /// `backend`.
    pub backend: IngressBackend,
}

impl HttpIngressPath {
    /// A path of the given type (`"Exact"`, `"Prefix"`, `"ImplementationSpecific"`).
    pub fn new(path: impl Into<String>, path_type: impl Into<String>, backend: IngressBackend) -> Self {
        Self {
            path: Some(path.into()),
            path_type: Some(path_type.into()),
            backend,
        }
    }

    /// A `Prefix` path.
    pub fn prefix(path: impl Into<String>, backend: IngressBackend) -> Self {
        Self::new(path, "Prefix", backend)
    }

    /// An `Exact` path.
    pub fn exact(path: impl Into<String>, backend: IngressBackend) -> Self {
        Self::new(path, "Exact", backend)
    }

    /// An `ImplementationSpecific` path.
    pub fn implementation_specific(path: impl Into<String>, backend: IngressBackend) -> Self {
        Self::new(path, "ImplementationSpecific", backend)
    }
}

/// A backend reference: exactly one of `service` or `resource` (V6).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IngressBackend {
    /// `service`.
    pub service: Option<IngressServiceBackend>,
    /// `resource`.
    pub resource: Option<TypedLocalObjectReference>,
}

impl IngressBackend {
    /// A service backend with a numbered port.
    pub fn service(name: impl Into<String>, port: i32) -> Self {
        Self {
            service: Some(IngressServiceBackend {
                name: name.into(),
                port: Some(ServiceBackendPort {
                    name: None,
                    number: Some(port),
                }),
            }),
            resource: None,
        }
    }

    /// A service backend with a named port.
    pub fn service_port_name(name: impl Into<String>, port: impl Into<String>) -> Self {
        Self {
            service: Some(IngressServiceBackend {
                name: name.into(),
                port: Some(ServiceBackendPort {
                    name: Some(port.into()),
                    number: None,
                }),
            }),
            resource: None,
        }
    }

    /// A resource backend (M9).
    pub fn resource(api_group: Option<&str>, kind: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            service: None,
            resource: Some(TypedLocalObjectReference {
                api_group: api_group.map(str::to_owned),
                kind: kind.into(),
                name: name.into(),
            }),
        }
    }
}

/// `backend.service`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IngressServiceBackend {
    /// Service name, in the Ingress's namespace.
    pub name: String,
    /// `port`: exactly one of `name` or `number` (V6).
    pub port: Option<ServiceBackendPort>,
}

/// `backend.service.port`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ServiceBackendPort {
    /// A port name of the Service.
    pub name: Option<String>,
    /// A port number of the Service, 1 to 65535.
    pub number: Option<i32>,
}

/// `backend.resource`: a reference to an object in the Ingress's namespace.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TypedLocalObjectReference {
    /// API group; `None` for the core group.
    pub api_group: Option<String>,
    /// Kind of the referenced object.
    pub kind: String,
    /// Name of the referenced object.
    pub name: String,
}

/// One entry of `spec.tls`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IngressTls {
    /// Host names (or wildcards) the certificate serves.
    pub hosts: Vec<String>,
    /// Secret holding `tls.crt` and `tls.key`, in the Ingress's namespace.
    pub secret_name: Option<String>,
}

impl Ingress {
    /// An Ingress with no rules and no default backend (not yet valid: V1).
    pub fn new(namespace: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            namespace: namespace.into(),
            name: name.into(),
            ..Self::default()
        }
    }

    /// `namespace/name` of this object.
    pub fn key(&self) -> ObjectKey {
        ObjectKey::new(&self.namespace, &self.name)
    }

    /// Adds a rule for `host` (`None`: every host) with the given paths.
    #[must_use]
    pub fn with_rule(mut self, host: Option<&str>, paths: impl IntoIterator<Item = HttpIngressPath>) -> Self {
        self.spec.rules.push(IngressRule {
            host: host.map(str::to_owned),
            http: Some(HttpIngressRuleValue {
                paths: paths.into_iter().collect(),
            }),
        });
        self
    }

    /// Sets `spec.defaultBackend`.
    #[must_use]
    pub fn with_default_backend(mut self, backend: IngressBackend) -> Self {
        self.spec.default_backend = Some(backend);
        self
    }

    /// Sets `metadata.creationTimestamp`.
    #[must_use]
    pub fn with_creation_timestamp(mut self, at: SystemTime) -> Self {
        self.creation_timestamp = Some(at);
        self
    }
}
