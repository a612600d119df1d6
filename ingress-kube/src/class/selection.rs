//! The answer of class selection: ours or not, and why (O1-O3).

use std::fmt;

/// Where an Ingress names its class (O1: the field first, then the
/// annotation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ClassSource {
    /// `spec.ingressClassName`.
    Field,
    /// The legacy annotation `kubernetes.io/ingress.class`, read only when
    /// the field is unset.
    Annotation,
}

impl fmt::Display for ClassSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Field => "spec.ingressClassName",
            Self::Annotation => "annotation kubernetes.io/ingress.class",
        })
    }
}

/// Whether an Ingress is served by this controller, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Selection {
    /// Served.
    Ours(Ours),
    /// Ignored completely (O3): no route, no status.
    NotOurs(NotOurs),
}

impl Selection {
    /// Whether the Ingress is served.
    pub fn is_ours(&self) -> bool {
        matches!(self, Self::Ours(_))
    }

    /// The id of the contract rule behind the answer (`O1`, `O2` or `O3`).
    pub fn rule(&self) -> &'static str {
        match self {
            Self::Ours(ours) => ours.rule(),
            Self::NotOurs(not_ours) => not_ours.rule(),
        }
    }
}

impl fmt::Display for Selection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Ours(ours) => write!(f, "ours: {ours}"),
            Self::NotOurs(not_ours) => write!(f, "not ours: {not_ours}"),
        }
    }
}

/// Why an Ingress is ours.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Ours {
    /// O1: it names a class whose controller is ours.
    Named {
        /// The class.
        class: String,
        /// Where the Ingress names it.
        via: ClassSource,
    },
    /// O2: it names no class, and the default class is ours.
    DefaultClass {
        /// The default class.
        class: String,
    },
    /// O2: it names no class, and Ingresses without a class are watched.
    WithoutClass,
}

impl Ours {
    /// The id of the contract rule behind the answer.
    pub fn rule(&self) -> &'static str {
        match self {
            Self::Named { .. } => "O1",
            Self::DefaultClass { .. } | Self::WithoutClass => "O2",
        }
    }
}

impl fmt::Display for Ours {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Named { class, via } => write!(f, "{via} names our class {class:?}"),
            Self::DefaultClass { class } => write!(f, "no class named, and the default class {class:?} is ours"),
            Self::WithoutClass => f.write_str("no class named, and Ingresses without a class are watched"),
        }
    }
}

/// Why an Ingress is not ours.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum NotOurs {
    /// O3: it names a class of another controller.
    OtherController {
        /// The class.
        class: String,
        /// The class's `spec.controller` (empty when it names none).
        controller: String,
        /// Where the Ingress names it.
        via: ClassSource,
    },
    /// O1: it names a class that is not known.
    UnknownClass {
        /// The class.
        class: String,
        /// Where the Ingress names it.
        via: ClassSource,
    },
    /// O2: it names no class, and the default class is another
    /// controller's.
    DefaultClassNotOurs {
        /// The default class.
        class: String,
        /// Its `spec.controller`.
        controller: String,
    },
    /// O2: it names no class, there is no default class, and Ingresses
    /// without a class are not watched.
    NoClass,
}

impl NotOurs {
    /// The id of the contract rule behind the answer: `O3` for another
    /// controller's class, `O1` for an unknown class, `O2` when no class is
    /// named.
    pub fn rule(&self) -> &'static str {
        match self {
            Self::OtherController { .. } => "O3",
            Self::UnknownClass { .. } => "O1",
            Self::DefaultClassNotOurs { .. } | Self::NoClass => "O2",
        }
    }
}

impl fmt::Display for NotOurs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::OtherController { class, controller, via } if controller.is_empty() => {
                write!(f, "{via} names class {class:?}, which names no controller")
            }
            Self::OtherController { class, controller, via } => {
                write!(f, "{via} names class {class:?} of controller {controller:?}")
            }
            Self::UnknownClass { class, via } => write!(f, "{via} names class {class:?}, which does not exist"),
            Self::DefaultClassNotOurs { class, controller } => write!(
                f,
                "no class named, and the default class {class:?} belongs to controller {controller:?}"
            ),
            Self::NoClass => {
                f.write_str("no class named, no default class, and Ingresses without a class are not watched")
            }
        }
    }
}
