//! Object identity: `namespace/name`.
//!
//! ```
//! use ingress_core::ObjectKey;
//!
//! let a = ObjectKey::new("default", "alpha");
//! let b = ObjectKey::new("default", "beta");
//! assert!(a < b);
//! assert_eq!(a.to_string(), "default/alpha");
//! ```

use std::fmt;
use std::sync::Arc;

/// The `namespace/name` of an object. Cheap to clone.
///
/// Ordered by namespace, then name, which is the order M6 uses to break
/// ties between objects created at the same time.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectKey {
    namespace: Arc<str>,
    name: Arc<str>,
}

impl ObjectKey {
    /// The key of object `name` in `namespace`.
    pub fn new(namespace: &str, name: &str) -> Self {
        Self {
            namespace: namespace.into(),
            name: name.into(),
        }
    }

    /// `metadata.namespace`.
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// `metadata.name`.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl fmt::Display for ObjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.namespace, self.name)
    }
}

impl fmt::Debug for ObjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ObjectKey({self})")
    }
}
