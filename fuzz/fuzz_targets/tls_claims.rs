//! `TlsClaims::from_ingresses` and `CertificateTable::build`/`resolve`
//! against the naive reading of T1-T3, M1 and M6 in `src/tls_reference.rs`,
//! on Ingresses with colliding `spec.tls` entries (`src/tls_claims.rs`)
//! applied to an `IngressSet` in order.
//!
//! - V7/V8: an object that validation accepts has only valid TLS hosts and
//!   Secret names by the naive check, and an object with nothing else to
//!   refuse is accepted exactly then; the set serves, for each object, its
//!   last valid version.
//! - T1/M6: the winning claim of every host (its Secret, object and field)
//!   and the conflicts, in order, are the reference's; the claims do not
//!   depend on the order the served objects come in; `get`, `len` and
//!   `secrets` agree with the winners.
//! - T3: the table loads each winning claim that names a Secret once, in
//!   host order, with the claimed host; the failures are the loads that
//!   failed, in that order.
//! - T2/M1: every SNI name (each claimed host as written, in upper case,
//!   with a trailing dot, one and two labels deeper; for a wildcard a name
//!   one label and two labels under it and its parent; names no claim
//!   spells; the input's own; none) resolves as the reference says:
//!   the exact host's certificate, else the wildcard's one label up, else
//!   the default, with the same reason (no SNI, unknown, unusable); and
//!   `is_tls_host` agrees.
#![no_main]

use std::collections::BTreeMap;
use std::sync::Arc;

use ingress_core::tls::{CertificateTable, Fallback, Resolution, TlsClaim, TlsClaims};
use ingress_core::validation::{HostRule, ValidIngress, validate};
use ingress_core::{Ingress, IngressBackend, IngressSet};
use ingress_core_fuzz::tls_claims::{ClaimsScenario, OTHER_NAMES};
use ingress_core_fuzz::tls_reference::{Claim, Expected, ReferenceClaims, is_secret_name, is_tls_host};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|scenario: ClaimsScenario| {
    let served = apply(&scenario.ingresses);
    let mut set = IngressSet::new();
    for ingress in &scenario.ingresses {
        set.apply(ingress);
    }
    let mut serving: Vec<&ValidIngress> = set.serving().collect();
    serving.sort_by(|a, b| (a.key().namespace(), a.key().name()).cmp(&(b.key().namespace(), b.key().name())));
    let served_keys: Vec<(&str, &str)> = served.iter().map(|i| (i.namespace.as_str(), i.name.as_str())).collect();
    let serving_keys: Vec<(&str, &str)> = serving.iter().map(|i| (i.key().namespace(), i.key().name())).collect();
    assert_eq!(serving_keys, served_keys, "the set serves other objects");

    let claims = TlsClaims::from_ingresses(serving.iter().copied());
    let reference = ReferenceClaims::of(&served);
    check_claims(&claims, &reference);
    assert_eq!(
        TlsClaims::from_ingresses(serving.iter().rev().copied()),
        claims,
        "the claims depend on the order of the objects"
    );

    let fails = |secret: &str, host: &str| {
        let name = secret.rsplit_once('/').map_or(secret, |(_, name)| name);
        scenario.failing_secrets.contains(&name) || scenario.failing_hosts.contains(&host)
    };
    let mut loads = Vec::new();
    let (table, failures) = CertificateTable::build(&claims, |secret, host| {
        let secret = secret.to_string();
        loads.push((secret.clone(), host.to_owned()));
        if fails(&secret, host) {
            Err(format!("{secret} for {host} does not load"))
        } else {
            Ok((secret, host.to_owned()))
        }
    });
    let in_order = reference.in_host_order();
    let expected_loads: Vec<(String, String)> = in_order
        .iter()
        .filter_map(|claim| Some((claim.secret.clone()?, claim.host.clone())))
        .collect();
    assert_eq!(loads, expected_loads, "the table loaded other certificates");
    let failed: Vec<String> = failures.iter().map(|f| f.claim.host.to_string()).collect();
    let expected_failed: Vec<String> = expected_loads
        .iter()
        .filter(|(secret, host)| fails(secret, host))
        .map(|(_, host)| host.clone())
        .collect();
    assert_eq!(failed, expected_failed, "other failures");
    assert_eq!(table.len(), reference.winners.len());

    let usable = |claim: &Claim| {
        claim
            .secret
            .as_deref()
            .is_some_and(|secret| !fails(secret, &claim.host))
    };
    for sni in sni_names(&reference, &scenario.names) {
        let got = match table.resolve(sni.as_deref()) {
            Resolution::Exact((secret, host)) => Expected::Certificate {
                secret: secret.clone(),
                host: host.clone(),
                wildcard: false,
            },
            Resolution::Wildcard((secret, host)) => Expected::Certificate {
                secret: secret.clone(),
                host: host.clone(),
                wildcard: true,
            },
            Resolution::Default(Fallback::NoSni) => Expected::NoSni,
            Resolution::Default(Fallback::Unknown) => Expected::Unknown,
            Resolution::Default(Fallback::Unusable) => Expected::Unusable,
            other => panic!("a resolution the reference does not know: {other:?}"),
        };
        let expected = reference.resolve(sni.as_deref(), usable);
        assert_eq!(
            got, expected,
            "SNI {sni:?}: table (left) and reference (right) disagree\n{table:?}"
        );
        if let Some(sni) = &sni {
            assert_eq!(
                table.is_tls_host(sni),
                reference.is_tls_host(sni),
                "is_tls_host({sni:?})"
            );
        }
    }
});

/// Each object's last valid version, by namespace and name, after checking
/// validation against the naive V7.
fn apply(ingresses: &[Ingress]) -> Vec<&Ingress> {
    let mut served: BTreeMap<(&str, &str), &Ingress> = BTreeMap::new();
    for ingress in ingresses {
        let valid = validate(ingress).is_ok();
        let v7 = ingress.spec.tls.iter().all(|entry| {
            entry.hosts.iter().all(|host| is_tls_host(host)) && entry.secret_name.as_deref().is_none_or(is_secret_name)
        });
        if valid {
            assert!(
                v7,
                "accepted an object with an invalid TLS host or Secret name: {ingress:?}"
            );
        }
        let nothing_else =
            ingress.spec.rules.is_empty() && ingress.spec.default_backend == Some(IngressBackend::service("web", 80));
        if nothing_else {
            assert_eq!(valid, v7, "V7 decided otherwise: {ingress:?}");
        }
        if valid {
            served.insert((&ingress.namespace, &ingress.name), ingress);
        }
    }
    served.into_values().collect()
}

fn as_claim(claim: &TlsClaim) -> Claim {
    Claim {
        host: claim.host.to_string(),
        secret: claim.secret.as_ref().map(ToString::to_string),
        ingress: claim.ingress.to_string(),
        field: claim.field.clone(),
    }
}

fn check_claims(claims: &TlsClaims, reference: &ReferenceClaims) {
    let winners: Vec<Claim> = claims.claims().map(as_claim).collect();
    let expected: Vec<Claim> = reference.in_host_order().into_iter().cloned().collect();
    assert_eq!(winners, expected, "winning claims: crate (left), reference (right)");
    let conflicts: Vec<(Claim, Claim)> = claims
        .conflicts()
        .iter()
        .map(|conflict| {
            assert_eq!(conflict.rule(), "T1");
            assert!(conflict.to_string().starts_with("[T1] "));
            (as_claim(&conflict.loser), as_claim(&conflict.winner))
        })
        .collect();
    assert_eq!(
        conflicts, reference.conflicts,
        "conflicts: crate (left), reference (right)"
    );
    assert_eq!(claims.len(), reference.winners.len());
    assert_eq!(claims.is_empty(), reference.winners.is_empty());
    for claim in reference.winners.values() {
        let host = match claim.host.strip_prefix("*.") {
            Some(parent) => HostRule::Wildcard(Arc::from(parent)),
            None => HostRule::Exact(Arc::from(claim.host.as_str())),
        };
        assert_eq!(claims.get(&host).map(as_claim).as_ref(), Some(claim));
    }
    let mut secrets: Vec<&str> = reference.winners.values().filter_map(|c| c.secret.as_deref()).collect();
    secrets.sort_unstable();
    secrets.dedup();
    let got: Vec<String> = claims.secrets().iter().map(ToString::to_string).collect();
    assert_eq!(got, secrets);
}

/// The SNI names to resolve: around every claimed host, names no claim
/// spells, the input's own, and none.
fn sni_names(reference: &ReferenceClaims, own: &[Option<String>]) -> Vec<Option<String>> {
    let mut names: Vec<Option<String>> = vec![None];
    for host in reference.winners.keys() {
        let around = match host.strip_prefix("*.") {
            Some(parent) => vec![
                format!("x.{parent}"),
                format!("X.{}.", parent.to_ascii_uppercase()),
                format!("a.b.{parent}"),
                parent.to_owned(),
                host.clone(),
            ],
            None => vec![
                host.clone(),
                host.to_ascii_uppercase(),
                format!("{host}."),
                format!("x.{host}"),
                format!("a.b.{host}"),
            ],
        };
        names.extend(around.into_iter().map(Some));
    }
    names.extend(OTHER_NAMES.iter().map(|name| Some((*name).to_owned())));
    names.extend(own.iter().cloned());
    names
}
