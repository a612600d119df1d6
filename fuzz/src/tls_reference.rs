//! A naive reading of T1-T3 and M1/M6, written from
//! `ingress-core/SEMANTICS.md` for the `tls_claims` target to hold
//! `TlsClaims` and `CertificateTable` against. It works on the objects as
//! written (plain strings), not on the validated forms.
//!
//! - V7: a TLS host is a lower-case DNS-1123 subdomain (labels of
//!   `a-z0-9-`, each starting and ending with a letter or digit, 253 bytes
//!   in all), or `*.` followed by one (253 bytes in all); a `secretName`,
//!   when not empty, is a subdomain too.
//! - T1 with M6: the objects are taken oldest first (no creation time
//!   counts as the newest), then by the string `namespace/name`; then each
//!   object's entries and hosts in order. The first claim on a host (as
//!   written: `a.com` and `*.a.com` are two hosts) wins; a later claim that
//!   names another Secret (or names one where the winner names none, or
//!   the reverse) is a conflict; one that names the same Secret agrees.
//!   The Secret is in the claiming object's namespace; an empty
//!   `secretName` names none.
//! - T2 with M1: an SNI name, in canonical form (H2), gets the exact host's
//!   certificate when a claim holds that host, else the wildcard's of its
//!   parent (one label), else the default. A host whose claim names no
//!   Secret, or whose certificate failed to load, gets the default, and an
//!   exact host never falls back to a wildcard.
//!
//! Two objects whose `namespace/name` strings are equal (possible only
//! with a `/` in a name, from files) are ordered by namespace, then name,
//! as `ObjectKey` documents for this case.

use std::collections::BTreeMap;
use std::time::SystemTime;

use ingress_core::Ingress;
use ingress_core::canonical::{RequestHost, canonicalize_host};

/// A claim on one host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    /// The host as written: `a.com`, or `*.a.com` for a wildcard.
    pub host: String,
    /// The Secret's `namespace/name`, if the entry names one.
    pub secret: Option<String>,
    /// The claiming object's `namespace/name`.
    pub ingress: String,
    /// `spec.tls[i].hosts[j]`.
    pub field: String,
}

/// Whether `host` is a valid `spec.tls[].hosts` entry (V7).
pub fn is_tls_host(host: &str) -> bool {
    host.len() <= 253 && is_subdomain(host.strip_prefix("*.").unwrap_or(host))
}

/// Whether `name` is a valid `secretName` (V7): empty, or a subdomain.
pub fn is_secret_name(name: &str) -> bool {
    name.is_empty() || is_subdomain(name)
}

fn is_subdomain(name: &str) -> bool {
    let label = |label: &str| {
        let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
        label.bytes().next().is_some_and(alnum)
            && label.bytes().last().is_some_and(alnum)
            && label.bytes().all(|b| alnum(b) || b == b'-')
    };
    !name.is_empty() && name.len() <= 253 && name.split('.').all(label)
}

/// The M6 order of objects: older first, none last; then `namespace/name`.
fn m6_key(ingress: &Ingress) -> (bool, Option<SystemTime>, String, &str, &str) {
    (
        ingress.creation_timestamp.is_none(),
        ingress.creation_timestamp,
        format!("{}/{}", ingress.namespace, ingress.name),
        &ingress.namespace,
        &ingress.name,
    )
}

/// The winning claims by host, and the conflicts in the order met.
#[derive(Debug, Default)]
pub struct ReferenceClaims {
    /// The winner of every claimed host, by host as written.
    pub winners: BTreeMap<String, Claim>,
    /// `(loser, winner)`, in M6 order of the losers.
    pub conflicts: Vec<(Claim, Claim)>,
}

impl ReferenceClaims {
    /// The claims of `served` (valid objects, in any order).
    pub fn of(served: &[&Ingress]) -> Self {
        let mut ordered = served.to_vec();
        ordered.sort_by(|a, b| m6_key(a).cmp(&m6_key(b)));
        let mut claims = Self::default();
        for ingress in ordered {
            for (i, entry) in ingress.spec.tls.iter().enumerate() {
                let secret = entry
                    .secret_name
                    .as_deref()
                    .filter(|name| !name.is_empty())
                    .map(|name| format!("{}/{name}", ingress.namespace));
                for (j, host) in entry.hosts.iter().enumerate() {
                    let claim = Claim {
                        host: host.clone(),
                        secret: secret.clone(),
                        ingress: format!("{}/{}", ingress.namespace, ingress.name),
                        field: format!("spec.tls[{i}].hosts[{j}]"),
                    };
                    match claims.winners.get(host) {
                        None => {
                            claims.winners.insert(host.clone(), claim);
                        }
                        Some(winner) if winner.secret != claim.secret => {
                            claims.conflicts.push((claim, winner.clone()));
                        }
                        Some(_) => {}
                    }
                }
            }
        }
        claims
    }

    /// The winners in the table's host order: exact hosts, then wildcards,
    /// each by name (a wildcard by its parent).
    pub fn in_host_order(&self) -> Vec<&Claim> {
        let mut winners: Vec<&Claim> = self.winners.values().collect();
        winners.sort_by_key(|claim| match claim.host.strip_prefix("*.") {
            Some(parent) => (true, parent),
            None => (false, claim.host.as_str()),
        });
        winners
    }

    /// What the SNI name `sni` resolves to, given which winning claims have
    /// a certificate.
    pub fn resolve(&self, sni: Option<&str>, usable: impl Fn(&Claim) -> bool) -> Expected {
        let Some(name) = sni.and_then(canonical_sni) else {
            return Expected::NoSni;
        };
        let served = |claim: &Claim, wildcard: bool| match &claim.secret {
            Some(secret) if usable(claim) => Expected::Certificate {
                secret: secret.clone(),
                host: claim.host.clone(),
                wildcard,
            },
            _ => Expected::Unusable,
        };
        if let Some(claim) = self.winners.get(&name) {
            return served(claim, false);
        }
        let parent = name.split_once('.').map(|(_, parent)| format!("*.{parent}"));
        match parent.and_then(|wildcard| self.winners.get(&wildcard)) {
            Some(claim) => served(claim, true),
            None => Expected::Unknown,
        }
    }

    /// Whether a claim covers `host`, exactly or by a wildcard, usable or
    /// not.
    pub fn is_tls_host(&self, host: &str) -> bool {
        let Some(name) = canonical_sni(host) else {
            return false;
        };
        let parent = name.split_once('.').map(|(_, parent)| format!("*.{parent}"));
        self.winners.contains_key(&name) || parent.is_some_and(|wildcard| self.winners.contains_key(&wildcard))
    }
}

/// The canonical form of an SNI name (H2, as `canonicalize_host` gives
/// it), or `None` for no host name: an IP literal, an empty name, a name
/// `canonicalize_host` refuses, or one with a `:` (an SNI name has no
/// port).
pub fn canonical_sni(sni: &str) -> Option<String> {
    if sni.contains(':') {
        return None;
    }
    match canonicalize_host(sni.as_bytes()) {
        Ok(RequestHost::Name(name)) => Some(name.to_string()),
        _ => None,
    }
}

/// What an SNI name should resolve to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expected {
    /// The certificate loaded for the claim on `host` (as written), from
    /// `secret`; by a wildcard or not.
    Certificate {
        /// The Secret's `namespace/name`.
        secret: String,
        /// The claimed host.
        host: String,
        /// Whether a wildcard claim serves it.
        wildcard: bool,
    },
    /// No name, or none that is a host name.
    NoSni,
    /// No claim covers the name.
    Unknown,
    /// A claim covers it, without a usable certificate.
    Unusable,
}
