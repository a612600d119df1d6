//! IngressClass selection (O1-O3): which Ingresses this controller serves.
//!
//! - **O1.** An Ingress is ours when its `spec.ingressClassName` names an
//!   IngressClass whose `spec.controller` is our controller name. When the
//!   field is unset, the legacy annotation `kubernetes.io/ingress.class` is
//!   read instead, and its value is looked up exactly like the field.
//! - **O2.** An Ingress with neither is ours only when the default
//!   IngressClass ([`IngressClasses::default_class`]) is ours, or when
//!   [`ClassSelector::with_watch_without_class`] is on.
//! - **O3.** Any other Ingress is ignored completely.
//!
//! Reading: an empty field or annotation value counts as unset, since no
//! class can have an empty name.
//!
//! ```
//! use ingress_kube::{ClassSelector, IngressClasses, NotOurs, Selection};
//! use k8s_openapi::api::networking::v1::Ingress;
//!
//! let ingress: Ingress = serde_json::from_value(serde_json::json!({
//!     "metadata": { "name": "web", "annotations": { "kubernetes.io/ingress.class": "nginx" } },
//!     "spec": { "defaultBackend": { "service": { "name": "web", "port": { "number": 80 } } } }
//! })).unwrap();
//! let selector = ClassSelector::default();
//!
//! // No IngressClass "nginx" is known.
//! let selection = selector.select(&ingress, &IngressClasses::new());
//! assert!(matches!(selection, Selection::NotOurs(NotOurs::UnknownClass { .. })));
//! assert_eq!(
//!     selection.to_string(),
//!     r#"not ours: annotation kubernetes.io/ingress.class names class "nginx", which does not exist"#
//! );
//! ```

mod classes;
mod selection;

pub use classes::{IS_DEFAULT_CLASS_ANNOTATION, IngressClasses};
pub use selection::{ClassSource, NotOurs, Ours, Selection};

use k8s_openapi::api::networking::v1::Ingress;

/// The controller name this crate answers to unless told otherwise: the
/// `spec.controller` of the IngressClasses whose Ingresses we serve.
pub const DEFAULT_CONTROLLER: &str = "ingress-rs.dev/ingress-gateway";

/// The legacy annotation naming an Ingress's class, read when
/// `spec.ingressClassName` is unset (O1).
pub const INGRESS_CLASS_ANNOTATION: &str = "kubernetes.io/ingress.class";

/// Decides which Ingresses are ours (O1-O3): our controller name, and
/// whether Ingresses that name no class are served.
///
/// The default selector uses [`DEFAULT_CONTROLLER`] and does not serve
/// Ingresses without a class unless the default IngressClass is ours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassSelector {
    controller: String,
    watch_without_class: bool,
}

impl Default for ClassSelector {
    fn default() -> Self {
        Self::new(DEFAULT_CONTROLLER)
    }
}

impl ClassSelector {
    /// A selector for the controller named `controller`.
    pub fn new(controller: impl Into<String>) -> Self {
        Self {
            controller: controller.into(),
            watch_without_class: false,
        }
    }

    /// Whether Ingresses that name no class are served even when the
    /// default class is not ours (O2).
    #[must_use]
    pub fn with_watch_without_class(mut self, watch: bool) -> Self {
        self.watch_without_class = watch;
        self
    }

    /// Our controller name.
    pub fn controller(&self) -> &str {
        &self.controller
    }

    /// Whether Ingresses that name no class are served.
    pub fn watches_without_class(&self) -> bool {
        self.watch_without_class
    }

    /// Whether `ingress` is ours, given the known classes, and why.
    pub fn select(&self, ingress: &Ingress, classes: &IngressClasses) -> Selection {
        if let Some((class, via)) = named_class(ingress) {
            return match classes.controller_of(class) {
                Some(controller) if controller == self.controller => Selection::Ours(Ours::Named {
                    class: class.to_owned(),
                    via,
                }),
                Some(controller) => Selection::NotOurs(NotOurs::OtherController {
                    class: class.to_owned(),
                    controller: controller.to_owned(),
                    via,
                }),
                None => Selection::NotOurs(NotOurs::UnknownClass {
                    class: class.to_owned(),
                    via,
                }),
            };
        }
        let default = classes
            .default_class()
            .map(|class| (class, classes.controller_of(class).unwrap_or_default()));
        match default {
            Some((class, controller)) if controller == self.controller => Selection::Ours(Ours::DefaultClass {
                class: class.to_owned(),
            }),
            _ if self.watch_without_class => Selection::Ours(Ours::WithoutClass),
            Some((class, controller)) => Selection::NotOurs(NotOurs::DefaultClassNotOurs {
                class: class.to_owned(),
                controller: controller.to_owned(),
            }),
            None => Selection::NotOurs(NotOurs::NoClass),
        }
    }
}

/// The class an Ingress names: the field, else the annotation; empty
/// values count as unset.
fn named_class(ingress: &Ingress) -> Option<(&str, ClassSource)> {
    let field = ingress
        .spec
        .as_ref()
        .and_then(|spec| spec.ingress_class_name.as_deref())
        .filter(|class| !class.is_empty());
    if let Some(class) = field {
        return Some((class, ClassSource::Field));
    }
    ingress
        .metadata
        .annotations
        .as_ref()
        .and_then(|annotations| annotations.get(INGRESS_CLASS_ANNOTATION))
        .map(String::as_str)
        .filter(|class| !class.is_empty())
        .map(|class| (class, ClassSource::Annotation))
}
