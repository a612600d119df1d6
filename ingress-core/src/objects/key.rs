//! Object identity: `namespace/name`.
//!
//! ```
//! use ingress_core::objects::ObjectKey;
//!
//! let a = ObjectKey::new("default", "alpha");
//! let b = ObjectKey::new("default", "beta");
//! assert!(a < b);
//! // As strings: `a-b/x` < `a/x`, since `-` sorts before `/`.
//! assert!(ObjectKey::new("a-b", "x") < ObjectKey::new("a", "x"));
//! // Keys that spell the same string still differ, and still order.
//! assert!(ObjectKey::new("", "/") < ObjectKey::new("/", ""));
//! assert_eq!(a.to_string(), "default/alpha");
//! ```

use std::cmp::Ordering;
use std::fmt;
use std::sync::Arc;

/// The `namespace/name` of an object. Cheap to clone (one reference
/// count), eight bytes wide.
///
/// Ordered as the strings `namespace/name` compare, the order M6 uses to
/// break ties between objects created at the same time.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectKey(Arc<Parts>);

#[derive(PartialEq, Eq, Hash)]
struct Parts {
    namespace: Arc<str>,
    name: Box<str>,
}

/// The order of the strings `namespace/name` (M6 says "the smaller
/// `namespace/name`"), which differs from ordering by namespace first when
/// one namespace is a prefix of another: `a-b/x` < `a/x`.
impl Ord for Parts {
    fn cmp(&self, other: &Self) -> Ordering {
        // Namespaces are usually shared: skip comparing the same text.
        if Arc::ptr_eq(&self.namespace, &other.namespace) || self.namespace == other.namespace {
            return self.name.cmp(&other.name);
        }
        // Names with a `/` in them (possible in files, never in a cluster)
        // can spell the same string: then order by the parts, so that the
        // order stays total and agrees with equality.
        self.text()
            .cmp(other.text())
            .then_with(|| (&self.namespace, &self.name).cmp(&(&other.namespace, &other.name)))
    }
}

impl Parts {
    fn text(&self) -> impl Iterator<Item = u8> + '_ {
        self.namespace
            .bytes()
            .chain(std::iter::once(b'/'))
            .chain(self.name.bytes())
    }
}

impl PartialOrd for Parts {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl ObjectKey {
    /// The key of object `name` in `namespace`.
    pub fn new(namespace: &str, name: &str) -> Self {
        Self::in_namespace(namespace.into(), name)
    }

    /// Which allocation this key is: equal for clones of one key, and
    /// unique among the keys alive at the same time.
    pub(crate) fn identity(&self) -> usize {
        Arc::as_ptr(&self.0) as usize
    }

    /// The key of `name` in a namespace whose name is already shared.
    pub(crate) fn in_namespace(namespace: Arc<str>, name: &str) -> Self {
        Self(Arc::new(Parts {
            namespace,
            name: name.into(),
        }))
    }

    /// `metadata.namespace`.
    pub fn namespace(&self) -> &str {
        &self.0.namespace
    }

    /// `metadata.name`.
    pub fn name(&self) -> &str {
        &self.0.name
    }

    pub(crate) fn shared_namespace(&self) -> &Arc<str> {
        &self.0.namespace
    }
}

impl fmt::Display for ObjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.0.namespace, self.0.name)
    }
}

impl fmt::Debug for ObjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ObjectKey({self})")
    }
}
