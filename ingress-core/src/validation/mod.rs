//! Validation with the API server's rules (V1-V7 of the contract), and the
//! validated forms of an Ingress.
//!
//! Objects read from files never met an API server, and objects stored by an
//! old API server may break today's rules, so every object is re-checked on
//! load. An object with any error is rejected whole (V8); the [`Rejection`]
//! lists every broken field with its path.
//!
//! A [`ValidIngress`] can only be made by [`validate`], so everything
//! downstream (the table compiler, the reference matcher) works on objects
//! that passed V1-V7: hosts are [`HostRule`]s, path types [`PathType`]s and
//! backends [`Backend`]s, in the object's namespace.
//!
//! ```
//! use ingress_core::objects::{HttpIngressPath, Ingress, IngressBackend};
//! use ingress_core::validation::{validate, Backend, HostRule, PathType};
//!
//! let ingress = Ingress::new("shop", "web").with_rule(
//!     Some("*.shop.example"),
//!     [HttpIngressPath::exact("/cart", IngressBackend::service("cart", 8080))],
//! );
//! let valid = validate(&ingress).unwrap();
//! let rule = &valid.rules()[0];
//! assert_eq!(rule.host(), &HostRule::Wildcard("shop.example".into()));
//! let path = &rule.paths().unwrap()[0];
//! assert_eq!(path.path_type(), PathType::Exact);
//! let Backend::Service(service) = path.backend() else { unreachable!() };
//! assert_eq!(service.to_string(), "shop/cart:8080");
//!
//! let bad = Ingress::new("default", "bad").with_rule(
//!     Some("Hello.example.com"),
//!     [HttpIngressPath::prefix("/a//b", IngressBackend::service("web", 80))],
//! );
//! let rejection = validate(&bad).unwrap_err();
//! let fields: Vec<_> = rejection.errors.iter().map(|e| (e.field.as_str(), e.reason.rule())).collect();
//! assert_eq!(fields, [("spec.rules[0].host", "V2"), ("spec.rules[0].http.paths[0].path", "V4")]);
//! ```

mod backend;
mod check;
mod error;
mod names;
mod valid;

pub use backend::{Backend, ResourceBackend, ServiceBackend, ServicePort};
pub use check::validate;
pub(crate) use check::validate_as;
pub use error::{FieldError, Invalid, Rejection};
pub use valid::{HostRule, PathType, ValidIngress, ValidPath, ValidRule, ValidTls};
