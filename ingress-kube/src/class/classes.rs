//! The known IngressClasses: which controller each one names, and which
//! one is the cluster's default class (O2).

use std::cmp::Reverse;
use std::collections::BTreeMap;
use std::time::SystemTime;

use k8s_openapi::api::networking::v1::IngressClass;

use crate::convert::system_time;

/// The annotation that marks an IngressClass as the default class, when its
/// value is exactly `"true"` (O2).
pub const IS_DEFAULT_CLASS_ANNOTATION: &str = "ingressclass.kubernetes.io/is-default-class";

/// IngressClasses by name: each one's `spec.controller`, and the default
/// class among them.
///
/// ```
/// use ingress_kube::IngressClasses;
/// use k8s_openapi::api::networking::v1::IngressClass;
///
/// let class: IngressClass = serde_json::from_value(serde_json::json!({
///     "metadata": {
///         "name": "gateway",
///         "annotations": { "ingressclass.kubernetes.io/is-default-class": "true" }
///     },
///     "spec": { "controller": "ingress-rs.dev/ingress-gateway" }
/// })).unwrap();
/// let classes: IngressClasses = [&class].into_iter().collect();
/// assert_eq!(classes.controller_of("gateway"), Some("ingress-rs.dev/ingress-gateway"));
/// assert_eq!(classes.default_class(), Some("gateway"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IngressClasses {
    classes: BTreeMap<String, Class>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Class {
    controller: String,
    is_default: bool,
    created: Option<SystemTime>,
}

impl IngressClasses {
    /// No classes.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a class, or replaces the class of the same name. A class without
    /// `metadata.name` is not added.
    pub fn insert(&mut self, class: &IngressClass) {
        let metadata = &class.metadata;
        let Some(name) = metadata.name.as_deref() else {
            return;
        };
        let is_default = metadata
            .annotations
            .as_ref()
            .and_then(|annotations| annotations.get(IS_DEFAULT_CLASS_ANNOTATION))
            .is_some_and(|value| value == "true");
        let controller = class
            .spec
            .as_ref()
            .and_then(|spec| spec.controller.clone())
            .unwrap_or_default();
        self.classes.insert(
            name.to_owned(),
            Class {
                controller,
                is_default,
                created: metadata.creation_timestamp.as_ref().and_then(system_time),
            },
        );
    }

    /// Removes the class `name`. Returns whether it was there.
    pub fn remove(&mut self, name: &str) -> bool {
        self.classes.remove(name).is_some()
    }

    /// The `spec.controller` of class `name` (empty when the class names
    /// none), or `None` when no such class is known.
    pub fn controller_of(&self, name: &str) -> Option<&str> {
        self.classes.get(name).map(|class| class.controller.as_str())
    }

    /// The default class (O2): among the classes annotated
    /// `ingressclass.kubernetes.io/is-default-class: "true"`, the newest by
    /// `metadata.creationTimestamp`; equal timestamps go to the smallest
    /// name. **\[choice\]** A class without a creation time (as read from a
    /// file) counts as the newest, as ingress-core reads objects without one
    /// (M6).
    pub fn default_class(&self) -> Option<&str> {
        self.classes
            .iter()
            .filter(|(_, class)| class.is_default)
            .max_by_key(|(name, class)| (class.created.is_none(), class.created, Reverse(*name)))
            .map(|(name, _)| name.as_str())
    }

    /// Number of classes.
    pub fn len(&self) -> usize {
        self.classes.len()
    }

    /// Whether no class is known.
    pub fn is_empty(&self) -> bool {
        self.classes.is_empty()
    }
}

impl<'a> FromIterator<&'a IngressClass> for IngressClasses {
    fn from_iter<I: IntoIterator<Item = &'a IngressClass>>(classes: I) -> Self {
        let mut known = Self::new();
        for class in classes {
            known.insert(class);
        }
        known
    }
}

impl<'a> Extend<&'a IngressClass> for IngressClasses {
    fn extend<I: IntoIterator<Item = &'a IngressClass>>(&mut self, classes: I) {
        for class in classes {
            self.insert(class);
        }
    }
}
