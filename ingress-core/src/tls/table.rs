//! The compiled certificate table: SNI name -> certificate.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use foldhash::fast::RandomState;

use super::{Fallback, Resolution, SecretRef, TlsClaim, TlsClaims};
use crate::canonical::{RequestHost, already_canonical, canonicalize_host};
use crate::validation::HostRule;

/// What a TLS host serves.
#[derive(Clone, PartialEq, Eq)]
enum Slot<C> {
    Certificate(C),
    /// Claimed, but without a usable certificate: the default serves (T3).
    Unusable,
}

/// A claim whose certificate could not be had, and why (T3): its host is
/// served the default certificate, every other host is unaffected.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CertificateFailure<E> {
    /// The claim.
    pub claim: TlsClaim,
    /// What the caller's loader said.
    pub error: E,
}

/// Certificates by TLS host, built from [`TlsClaims`]: exact names and
/// one-label wildcards, each a level of its own as in M1. Immutable; a
/// program swaps a new table in when Ingresses or Secrets change, apart
/// from the route table (T2: the route table never looks at it).
///
/// `C` is the caller's certificate type (a `rustls` certified key, say):
/// this crate does no cryptography. The caller's loader decides whether a
/// Secret's certificate serves a host, so checking that it covers the name
/// is the caller's.
///
/// ```
/// use ingress_core::{HttpIngressPath, Ingress, IngressBackend, IngressSet};
/// use ingress_core::objects::IngressTls;
/// use ingress_core::tls::{CertificateTable, Fallback, Resolution, TlsClaims};
///
/// let mut web = Ingress::new("shop", "web")
///     .with_rule(Some("shop.example"), [HttpIngressPath::prefix("/", IngressBackend::service("web", 80))]);
/// web.spec.tls.push(IngressTls { hosts: vec!["shop.example".into(), "*.shop.example".into()], secret_name: Some("shop-tls".into()) });
/// let mut set = IngressSet::new();
/// set.apply(&web);
///
/// // The "certificate" is the Secret's name here; a program loads the Secret.
/// let claims = TlsClaims::from_ingresses(set.serving());
/// let (table, failures) = CertificateTable::build(&claims, |secret, _host| Ok::<_, ()>(secret.to_string()));
/// assert!(failures.is_empty());
/// assert_eq!(table.resolve(Some("shop.example")), Resolution::Exact(&"shop/shop-tls".to_owned()));
/// assert_eq!(table.resolve(Some("www.shop.example")), Resolution::Wildcard(&"shop/shop-tls".to_owned()));
/// assert_eq!(table.resolve(Some("a.b.shop.example")), Resolution::Default(Fallback::Unknown));
/// assert_eq!(table.resolve(None), Resolution::Default(Fallback::NoSni));
/// assert!(table.is_tls_host("www.shop.example"));
/// ```
#[derive(Clone)]
pub struct CertificateTable<C> {
    exact: HashMap<Arc<str>, Slot<C>, RandomState>,
    /// By parent: `*.foo.com` is under `foo.com`.
    wildcard: HashMap<Arc<str>, Slot<C>, RandomState>,
}

impl<C> Default for CertificateTable<C> {
    fn default() -> Self {
        Self {
            exact: HashMap::default(),
            wildcard: HashMap::default(),
        }
    }
}

impl<C: PartialEq> PartialEq for CertificateTable<C> {
    fn eq(&self, other: &Self) -> bool {
        self.exact == other.exact && self.wildcard == other.wildcard
    }
}

impl<C: Eq> Eq for CertificateTable<C> {}

impl<C> CertificateTable<C> {
    /// An empty table: every name gets the default certificate.
    pub fn new() -> Self {
        Self::default()
    }

    /// Builds the table of `claims`, asking `load(secret, host)` for the
    /// certificate of each winning claim that names a Secret (`host` is
    /// the claimed name, `*.parent` for a wildcard). A claim whose load
    /// fails, or that names no Secret, leaves its host to the default
    /// certificate; the failures are returned, in host order.
    pub fn build<E>(
        claims: &TlsClaims,
        mut load: impl FnMut(&SecretRef, &str) -> Result<C, E>,
    ) -> (Self, Vec<CertificateFailure<E>>) {
        let mut table = Self::default();
        let mut failures = Vec::new();
        for claim in claims.claims() {
            let (map, key) = match &claim.host {
                HostRule::Exact(host) => (&mut table.exact, host),
                HostRule::Wildcard(parent) => (&mut table.wildcard, parent),
                HostRule::Any => continue,
            };
            let slot = match &claim.secret {
                None => Slot::Unusable,
                Some(secret) => match load(secret, &claim.host.to_string()) {
                    Ok(certificate) => Slot::Certificate(certificate),
                    Err(error) => {
                        failures.push(CertificateFailure {
                            claim: claim.clone(),
                            error,
                        });
                        Slot::Unusable
                    }
                },
            };
            map.insert(Arc::clone(key), slot);
        }
        (table, failures)
    }

    /// The certificate for the SNI name `sni` (`None`: the client sent
    /// none). The name is compared in canonical form (lower case, without
    /// one trailing dot): an exact TLS host first, else the wildcard of
    /// its parent (one label only, as M1), else the default.
    pub fn resolve(&self, sni: Option<&str>) -> Resolution<'_, C> {
        let Some(name) = sni.and_then(canonical_name) else {
            return Resolution::Default(Fallback::NoSni);
        };
        if let Some(slot) = self.exact.get(name.as_ref()) {
            return match slot {
                Slot::Certificate(certificate) => Resolution::Exact(certificate),
                Slot::Unusable => Resolution::Default(Fallback::Unusable),
            };
        }
        let wildcard = name.split_once('.').and_then(|(_, parent)| self.wildcard.get(parent));
        match wildcard {
            Some(Slot::Certificate(certificate)) => Resolution::Wildcard(certificate),
            Some(Slot::Unusable) => Resolution::Default(Fallback::Unusable),
            None => Resolution::Default(Fallback::Unknown),
        }
    }

    /// Whether some `spec.tls[]` entry claims `host` (canonical), exactly
    /// or by a wildcard, whether or not its certificate is usable: the
    /// hosts a server may redirect to HTTPS.
    pub fn is_tls_host(&self, host: &str) -> bool {
        let Some(name) = canonical_name(host) else {
            return false;
        };
        self.exact.contains_key(name.as_ref())
            || name
                .split_once('.')
                .is_some_and(|(_, parent)| self.wildcard.contains_key(parent))
    }

    /// Number of TLS hosts (exact names and wildcards).
    pub fn len(&self) -> usize {
        self.exact.len() + self.wildcard.len()
    }

    /// Whether the table has no TLS host.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The same table with each certificate mapped.
    pub fn map<D>(&self, mut map: impl FnMut(&C) -> D) -> CertificateTable<D> {
        let mut slot = |slot: &Slot<C>| match slot {
            Slot::Certificate(certificate) => Slot::Certificate(map(certificate)),
            Slot::Unusable => Slot::Unusable,
        };
        CertificateTable {
            exact: self.exact.iter().map(|(k, v)| (Arc::clone(k), slot(v))).collect(),
            wildcard: self.wildcard.iter().map(|(k, v)| (Arc::clone(k), slot(v))).collect(),
        }
    }
}

/// The canonical host name of an SNI value, borrowed when it already is
/// one; `None` for an IP literal or something that is no host name.
fn canonical_name(sni: &str) -> Option<Cow<'_, str>> {
    if let Some(name) = already_canonical(sni.as_bytes()) {
        return Some(Cow::Borrowed(name));
    }
    // An SNI name has no port: a `:` makes it no host name at all.
    if sni.contains(':') {
        return None;
    }
    match canonicalize_host(sni.as_bytes()) {
        Ok(RequestHost::Name(name)) => Some(Cow::Owned(name.to_string())),
        _ => None,
    }
}

/// Lists the hosts only: a certificate type need not be `Debug`, and one
/// holding key material must not be printed (T3).
impl<C> fmt::Debug for CertificateTable<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut hosts: Vec<String> = self
            .exact
            .keys()
            .map(|host| host.to_string())
            .chain(self.wildcard.keys().map(|parent| format!("*.{parent}")))
            .collect();
        hosts.sort();
        f.debug_struct("CertificateTable").field("hosts", &hosts).finish()
    }
}
