//! T1: which `spec.tls[]` entry claims each TLS host, in M6 order.

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;
use std::fmt;

use super::SecretRef;
use crate::objects::ObjectKey;
use crate::validation::{HostRule, ValidIngress};

/// One host of one `spec.tls[]` entry: the name (exact, or a one-label
/// wildcard `*.parent`) and the Secret that holds its certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TlsClaim {
    /// The name, as validated (V7): lower case, no trailing dot. Never
    /// [`HostRule::Any`].
    pub host: HostRule,
    /// The Secret named by `secretName`, in the Ingress's namespace;
    /// `None` when the entry names none (the host is a TLS host served
    /// with the default certificate).
    pub secret: Option<SecretRef>,
    /// The Ingress that makes the claim.
    pub ingress: ObjectKey,
    /// The claim's field, e.g. `spec.tls[0].hosts[1]`.
    pub field: String,
}

/// T1/M6: a claim on a host that an earlier claim (in M6 order) already
/// holds with another Secret. The losing claim's Secret never serves that
/// host.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TlsConflict {
    /// The claim that does not serve.
    pub loser: TlsClaim,
    /// The claim that serves the host.
    pub winner: TlsClaim,
}

impl TlsConflict {
    /// The id of the contract rule behind this finding.
    pub fn rule(&self) -> &'static str {
        "T1"
    }
}

impl fmt::Display for TlsConflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (loser, winner) = (&self.loser, &self.winner);
        let secret = |claim: &TlsClaim| match &claim.secret {
            Some(secret) => format!("Secret {secret}"),
            None => "no Secret (the default certificate)".to_owned(),
        };
        write!(
            f,
            "[T1] {} {}: host {} names {}, but {} {} claims it first with {}",
            loser.ingress,
            loser.field,
            loser.host,
            secret(loser),
            winner.ingress,
            winner.field,
            secret(winner),
        )
    }
}

/// The TLS claims of a set of served Ingresses: for each TLS host, the
/// claim that wins (T1: the first in M6 order, so the older Ingress, then
/// the smaller `namespace/name`, then the earlier entry and host), and the
/// claims that lose to it with a different Secret.
///
/// Claims on one host that name the same Secret agree and are not
/// reported. A `spec.tls[]` entry without hosts claims nothing.
///
/// ```
/// use ingress_core::{HttpIngressPath, Ingress, IngressBackend, IngressSet};
/// use ingress_core::objects::IngressTls;
/// use ingress_core::tls::TlsClaims;
///
/// let mut web = Ingress::new("shop", "web")
///     .with_rule(Some("shop.example"), [HttpIngressPath::prefix("/", IngressBackend::service("web", 80))]);
/// web.spec.tls.push(IngressTls { hosts: vec!["shop.example".into()], secret_name: Some("shop-tls".into()) });
/// let mut set = IngressSet::new();
/// set.apply(&web);
///
/// let claims = TlsClaims::from_ingresses(set.serving());
/// let claim = claims.claims().next().unwrap();
/// assert_eq!(claim.host.to_string(), "shop.example");
/// assert_eq!(claim.secret.as_ref().unwrap().to_string(), "shop/shop-tls");
/// assert!(claims.conflicts().is_empty());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TlsClaims {
    winners: BTreeMap<HostRule, TlsClaim>,
    conflicts: Vec<TlsConflict>,
}

impl TlsClaims {
    /// The claims of `ingresses` (served, hence valid, Ingresses, in any
    /// order: they are put in M6 order here).
    pub fn from_ingresses<'a>(ingresses: impl IntoIterator<Item = &'a ValidIngress>) -> Self {
        let mut ordered: Vec<&ValidIngress> = ingresses.into_iter().collect();
        ordered.sort_by(|a, b| a.precedence().cmp(&b.precedence()));
        let mut claims = Self::default();
        for ingress in ordered {
            for (entry_index, entry) in ingress.tls().iter().enumerate() {
                let secret = entry
                    .secret_name()
                    .map(|name| SecretRef::in_namespace_of(ingress.key(), name));
                for (host_index, host) in entry.hosts().iter().enumerate() {
                    if *host == HostRule::Any {
                        continue;
                    }
                    claims.add(TlsClaim {
                        host: host.clone(),
                        secret: secret.clone(),
                        ingress: ingress.key().clone(),
                        field: format!("spec.tls[{entry_index}].hosts[{host_index}]"),
                    });
                }
            }
        }
        claims
    }

    fn add(&mut self, claim: TlsClaim) {
        match self.winners.entry(claim.host.clone()) {
            Entry::Vacant(vacant) => {
                vacant.insert(claim);
            }
            Entry::Occupied(winner) => {
                if winner.get().secret != claim.secret {
                    self.conflicts.push(TlsConflict {
                        loser: claim,
                        winner: winner.get().clone(),
                    });
                }
            }
        }
    }

    /// The winning claim of every TLS host, ordered by host.
    pub fn claims(&self) -> impl Iterator<Item = &TlsClaim> {
        self.winners.values()
    }

    /// The winning claim on `host` (an exact name or a wildcard).
    pub fn get(&self, host: &HostRule) -> Option<&TlsClaim> {
        self.winners.get(host)
    }

    /// The claims that lose to another claim with a different Secret, in
    /// M6 order of the losers.
    pub fn conflicts(&self) -> &[TlsConflict] {
        &self.conflicts
    }

    /// Every Secret some winning claim names, each once, in order.
    pub fn secrets(&self) -> Vec<&SecretRef> {
        let mut secrets: Vec<&SecretRef> = self.winners.values().filter_map(|c| c.secret.as_ref()).collect();
        secrets.sort();
        secrets.dedup();
        secrets
    }

    /// Whether no Ingress claims any TLS host.
    pub fn is_empty(&self) -> bool {
        self.winners.is_empty()
    }

    /// Number of TLS hosts claimed.
    pub fn len(&self) -> usize {
        self.winners.len()
    }
}
