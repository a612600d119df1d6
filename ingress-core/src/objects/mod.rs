//! Input types: Ingress objects as they arrive, before validation, and
//! [`ObjectKey`], the `namespace/name` that identifies one.
//!
//! These mirror the shape of `networking.k8s.io/v1` `Ingress` closely enough
//! that a conversion from the Kubernetes API types is a field-by-field copy,
//! and loosely enough that every object the API server could ever have stored
//! (or a hand-written manifest could contain) can be represented, including
//! invalid ones: a missing `pathType`, a port with both a name and a number.
//! [`validate`](crate::validation::validate()) turns them into typed
//! [`ValidIngress`](crate::validation::ValidIngress) values or explains why
//! not.
//!
//! The type names follow the Kubernetes API's (`Ingress`, `IngressBackend`,
//! `IngressRule`, ...), so they clash with k8s-openapi's when both are in
//! scope. Code that handles both (a conversion, say) reads best with one of
//! them named through its module, as `ingress-kube` does:
//! `use k8s_openapi::api::networking::v1 as api;` next to
//! `use ingress_core::objects;`.
//!
//! The builders make the common shapes short:
//!
//! ```
//! use ingress_core::objects::{HttpIngressPath, Ingress, IngressBackend, ObjectKey};
//!
//! let ingress = Ingress::new("default", "example-ingress").with_rule(
//!     Some("hello.nginx.com"),
//!     [HttpIngressPath::prefix("/", IngressBackend::service("nginx-svc", 80))],
//! );
//! assert_eq!(ingress.key(), ObjectKey::new("default", "example-ingress"));
//! assert_eq!(ingress.key().to_string(), "default/example-ingress");
//! assert_eq!(ingress.spec.rules.len(), 1);
//! ```

mod ingress;
mod key;

pub use ingress::{
    HttpIngressPath, HttpIngressRuleValue, Ingress, IngressBackend, IngressRule, IngressServiceBackend, IngressSpec,
    IngressTls, ServiceBackendPort, TypedLocalObjectReference,
};
pub use key::ObjectKey;
