//! Which Secret a `spec.tls[]` entry names.

use std::fmt;

use crate::objects::ObjectKey;

/// A Secret named by a `spec.tls[]` entry: always in the namespace of the
/// Ingress that names it (T1). Ordered and displayed as `namespace/name`.
///
/// ```
/// use ingress_core::tls::SecretRef;
///
/// let secret = SecretRef::new("shop", "shop-tls");
/// assert_eq!((secret.namespace(), secret.name()), ("shop", "shop-tls"));
/// assert_eq!(secret.to_string(), "shop/shop-tls");
/// ```
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SecretRef(ObjectKey);

impl SecretRef {
    /// The Secret `name` in `namespace`.
    pub fn new(namespace: &str, name: &str) -> Self {
        Self(ObjectKey::new(namespace, name))
    }

    pub(crate) fn in_namespace_of(ingress: &ObjectKey, name: &str) -> Self {
        Self(ObjectKey::in_namespace(ingress.shared_namespace().clone(), name))
    }

    /// `metadata.namespace` of the Secret.
    pub fn namespace(&self) -> &str {
        self.0.namespace()
    }

    /// `metadata.name` of the Secret.
    pub fn name(&self) -> &str {
        self.0.name()
    }

    /// The Secret's `namespace/name` as an object key.
    pub fn key(&self) -> &ObjectKey {
        &self.0
    }
}

impl fmt::Display for SecretRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::Debug for SecretRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretRef({self})")
    }
}
