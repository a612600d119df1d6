//! What an SNI name resolves to.

use std::fmt;

/// The certificate an SNI name gets from a
/// [`CertificateTable`](super::CertificateTable) (T1, T2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Resolution<'a, C> {
    /// The certificate of an exact TLS host equal to the name.
    Exact(&'a C),
    /// The certificate of the wildcard `*.parent`, the name being one label
    /// in front of `parent` (as M1).
    Wildcard(&'a C),
    /// No certificate of the table serves this name: the caller's default
    /// certificate does, for the reason given.
    Default(Fallback),
}

impl<'a, C> Resolution<'a, C> {
    /// The table's certificate, or `None` when the default serves.
    pub fn certificate(&self) -> Option<&'a C> {
        match self {
            Self::Exact(certificate) | Self::Wildcard(certificate) => Some(certificate),
            Self::Default(_) => None,
        }
    }

    /// Whether the default certificate serves.
    pub fn is_default(&self) -> bool {
        matches!(self, Self::Default(_))
    }
}

/// Why the default certificate serves a handshake.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Fallback {
    /// The client sent no SNI name (or one that is not a host name).
    NoSni,
    /// No TLS host covers the name.
    Unknown,
    /// A TLS host covers the name, but its claim has no usable
    /// certificate: no Secret named, or the Secret missing or broken, or
    /// not covering the name (T3).
    Unusable,
}

impl fmt::Display for Fallback {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::NoSni => "no SNI",
            Self::Unknown => "no TLS host for this name",
            Self::Unusable => "the TLS host has no usable certificate",
        })
    }
}
