//! T1-T3: TLS claims and the certificate table (ingress-core does no
//! cryptography: certificates here are the Secrets' names).

use std::time::{Duration, SystemTime};

use ingress_core::objects::IngressTls;
use ingress_core::tls::{CertificateTable, Fallback, Resolution, SecretRef, TlsClaims};
use ingress_core::validation::HostRule;
use ingress_core::{
    HostHeader, HttpIngressPath, HttpVersion, Ingress, IngressBackend, IngressSet, Outcome, RequestHead, TableOptions,
};

fn ingress(namespace: &str, name: &str, tls: &[(&[&str], Option<&str>)]) -> Ingress {
    let mut ingress = Ingress::new(namespace, name)
        .with_rule(None, [HttpIngressPath::prefix("/", IngressBackend::service(name, 80))]);
    for (hosts, secret) in tls {
        ingress.spec.tls.push(IngressTls {
            hosts: hosts.iter().map(|h| (*h).to_owned()).collect(),
            secret_name: secret.map(str::to_owned),
        });
    }
    ingress
}

fn set(ingresses: &[Ingress]) -> IngressSet {
    let mut set = IngressSet::new();
    for ingress in ingresses {
        set.apply(ingress);
    }
    set
}

/// The table whose "certificate" for each claim is its Secret's
/// `namespace/name`; Secrets listed in `broken` fail to load.
fn table(set: &IngressSet, broken: &[&str]) -> CertificateTable<String> {
    let claims = TlsClaims::from_ingresses(set.serving());
    let (table, _) = CertificateTable::build(&claims, |secret, _host| {
        let name = secret.to_string();
        if broken.contains(&name.as_str()) {
            Err(())
        } else {
            Ok(name)
        }
    });
    table
}

fn served<'a>(table: &'a CertificateTable<String>, sni: Option<&str>) -> Option<&'a str> {
    table.resolve(sni).certificate().map(String::as_str)
}

#[test]
fn t1_exact_name_beats_wildcard() {
    let set = set(&[
        ingress("a", "wild", &[(&["*.example.com"], Some("wild-tls"))]),
        ingress("a", "exact", &[(&["www.example.com"], Some("www-tls"))]),
    ]);
    let table = table(&set, &[]);
    assert_eq!(
        table.resolve(Some("www.example.com")),
        Resolution::Exact(&"a/www-tls".to_owned())
    );
    assert_eq!(
        table.resolve(Some("api.example.com")),
        Resolution::Wildcard(&"a/wild-tls".to_owned())
    );
}

#[test]
fn t1_wildcard_covers_exactly_one_label() {
    let set = set(&[ingress("a", "wild", &[(&["*.example.com"], Some("wild-tls"))])]);
    let table = table(&set, &[]);
    let cases = [
        ("bar.example.com", Some("a/wild-tls")),
        ("example.com", None),
        ("a.bar.example.com", None),
        ("barexample.com", None),
    ];
    for (sni, expected) in cases {
        assert_eq!(served(&table, Some(sni)), expected, "{sni}");
    }
    assert_eq!(
        table.resolve(Some("a.bar.example.com")),
        Resolution::Default(Fallback::Unknown)
    );
}

#[test]
fn t1_sni_is_compared_in_canonical_form() {
    let set = set(&[ingress("a", "web", &[(&["www.example.com"], Some("www-tls"))])]);
    let table = table(&set, &[]);
    for sni in ["www.example.com", "WWW.Example.COM", "www.example.com."] {
        assert_eq!(served(&table, Some(sni)), Some("a/www-tls"), "{sni}");
    }
    for sni in ["www.example.com:443", "10.0.0.1", "", "www..example.com"] {
        assert!(table.resolve(Some(sni)).is_default(), "{sni}");
    }
}

#[test]
fn t1_secret_is_in_the_ingress_namespace() {
    let set = set(&[ingress("shop", "web", &[(&["shop.example"], Some("shop-tls"))])]);
    let claims = TlsClaims::from_ingresses(set.serving());
    let claim = claims.get(&HostRule::Exact("shop.example".into())).expect("claimed");
    assert_eq!(claim.secret, Some(SecretRef::new("shop", "shop-tls")));
    assert_eq!(claim.ingress.to_string(), "shop/web");
    assert_eq!(claim.field, "spec.tls[0].hosts[0]");
    assert_eq!(claims.secrets(), vec![&SecretRef::new("shop", "shop-tls")]);
}

#[test]
fn t1_equal_claims_go_by_the_m6_order() {
    let old = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000);
    let new = old + Duration::from_secs(60);
    // The older Ingress wins whatever its name; among equal times (and
    // without times) the smaller namespace/name wins.
    let set = set(&[
        ingress("a", "newer", &[(&["x.example"], Some("newer-tls"))]).with_creation_timestamp(new),
        ingress("z", "older", &[(&["x.example"], Some("older-tls"))]).with_creation_timestamp(old),
        ingress("a", "b-untimed", &[(&["y.example"], Some("b-tls"))]),
        ingress("a", "a-untimed", &[(&["y.example"], Some("a-tls"))]),
        ingress("a", "same", &[(&["y.example"], Some("a-tls"))]),
    ]);
    let claims = TlsClaims::from_ingresses(set.serving());
    let table = table(&set, &[]);
    assert_eq!(served(&table, Some("x.example")), Some("z/older-tls"));
    assert_eq!(served(&table, Some("y.example")), Some("a/a-tls"));
    // The losers with another Secret are reported; an agreeing claim is not.
    let losers: Vec<String> = claims.conflicts().iter().map(|c| c.loser.ingress.to_string()).collect();
    assert_eq!(losers, ["a/newer", "a/b-untimed"]);
    let first = &claims.conflicts()[0];
    assert_eq!(first.winner.ingress.to_string(), "z/older");
    assert_eq!(first.rule(), "T1");
    assert_eq!(
        first.to_string(),
        "[T1] a/newer spec.tls[0].hosts[0]: host x.example names Secret a/newer-tls, \
         but z/older spec.tls[0].hosts[0] claims it first with Secret z/older-tls"
    );
}

#[test]
fn t1_within_one_ingress_the_first_entry_wins() {
    let set = set(&[ingress(
        "a",
        "web",
        &[
            (&["x.example"], Some("first")),
            (&["x.example", "z.example"], Some("second")),
        ],
    )]);
    let claims = TlsClaims::from_ingresses(set.serving());
    let table = table(&set, &[]);
    assert_eq!(served(&table, Some("x.example")), Some("a/first"));
    assert_eq!(served(&table, Some("z.example")), Some("a/second"));
    assert_eq!(claims.conflicts().len(), 1);
    assert_eq!(claims.conflicts()[0].loser.field, "spec.tls[1].hosts[0]");
}

#[test]
fn t1_rejected_ingress_makes_no_claim() {
    let mut bad = ingress("a", "bad", &[(&["x.example"], Some("bad-tls"))]);
    bad.spec.rules.clear();
    let set = set(&[bad]);
    assert!(TlsClaims::from_ingresses(set.serving()).is_empty());
}

#[test]
fn t2_sni_picks_the_certificate_and_host_picks_the_route() {
    // One certificate for both names; each name routes to its own backend.
    let mut web = Ingress::new("a", "web")
        .with_rule(
            Some("one.example"),
            [HttpIngressPath::prefix("/", IngressBackend::service("one", 80))],
        )
        .with_rule(
            Some("two.example"),
            [HttpIngressPath::prefix("/", IngressBackend::service("two", 80))],
        );
    web.spec.tls.push(IngressTls {
        hosts: vec!["one.example".into()],
        secret_name: Some("one-tls".into()),
    });
    let set = set(&[web]);
    let routes = set.compile(&TableOptions::default());
    let certificates = table(&set, &[]);
    // The SNI name one.example gets its certificate; a request on that
    // connection for Host two.example is routed by its Host.
    assert_eq!(served(&certificates, Some("one.example")), Some("a/one-tls"));
    let head = RequestHead::new("GET", HttpVersion::Http11, "/").with_host(HostHeader::One(b"two.example"));
    let Outcome::Routed(route) = routes.route_request(&head) else {
        panic!("not routed")
    };
    assert_eq!(route.backend().to_string(), "a/two:80");
    // two.example is not a TLS host: its SNI gets the default.
    assert_eq!(
        certificates.resolve(Some("two.example")),
        Resolution::Default(Fallback::Unknown)
    );
    assert!(!certificates.is_tls_host("two.example"));
}

#[test]
fn t2_no_sni_and_unknown_names_get_the_default() {
    let set = set(&[ingress("a", "web", &[(&["www.example.com"], Some("www-tls"))])]);
    let table = table(&set, &[]);
    assert_eq!(table.resolve(None), Resolution::Default(Fallback::NoSni));
    assert_eq!(
        table.resolve(Some("other.example")),
        Resolution::Default(Fallback::Unknown)
    );
}

#[test]
fn t3_broken_secret_affects_only_its_own_hosts() {
    let set = set(&[
        ingress("a", "broken", &[(&["bad.example", "*.bad.example"], Some("bad-tls"))]),
        ingress("a", "good", &[(&["good.example"], Some("good-tls"))]),
    ]);
    let claims = TlsClaims::from_ingresses(set.serving());
    let (table, failures) = CertificateTable::build(&claims, |secret, host| {
        if secret.name() == "bad-tls" {
            Err(format!("{secret} for {host}"))
        } else {
            Ok(secret.to_string())
        }
    });
    let failed: Vec<&str> = failures.iter().map(|f| f.error.as_str()).collect();
    // Exact hosts come before wildcards.
    assert_eq!(failed, ["a/bad-tls for bad.example", "a/bad-tls for *.bad.example"]);
    assert_eq!(
        table.resolve(Some("bad.example")),
        Resolution::Default(Fallback::Unusable)
    );
    assert_eq!(
        table.resolve(Some("x.bad.example")),
        Resolution::Default(Fallback::Unusable)
    );
    assert_eq!(served(&table, Some("good.example")), Some("a/good-tls"));
    // The broken hosts are still TLS hosts.
    assert!(table.is_tls_host("bad.example") && table.is_tls_host("x.bad.example"));
}

#[test]
fn t3_unusable_exact_host_does_not_fall_to_the_wildcard() {
    let set = set(&[ingress(
        "a",
        "web",
        &[
            (&["*.example.com"], Some("wild-tls")),
            (&["www.example.com"], Some("www-tls")),
        ],
    )]);
    let table = table(&set, &["a/www-tls"]);
    assert_eq!(
        table.resolve(Some("www.example.com")),
        Resolution::Default(Fallback::Unusable)
    );
    assert_eq!(served(&table, Some("api.example.com")), Some("a/wild-tls"));
}

#[test]
fn t3_entry_without_secret_serves_the_default() {
    let set = set(&[ingress("a", "web", &[(&["www.example.com"], None)])]);
    let claims = TlsClaims::from_ingresses(set.serving());
    let mut asked = 0;
    let (table, failures) = CertificateTable::build(&claims, |secret, _| {
        asked += 1;
        Ok::<_, ()>(secret.to_string())
    });
    assert_eq!((asked, failures.len()), (0, 0));
    assert_eq!(
        table.resolve(Some("www.example.com")),
        Resolution::Default(Fallback::Unusable)
    );
    assert!(table.is_tls_host("www.example.com"));
}

#[test]
fn t3_debug_output_lists_hosts_not_certificates() {
    let set = set(&[ingress(
        "a",
        "web",
        &[(&["www.example.com", "*.example.com"], Some("www-tls"))],
    )]);
    let table = table(&set, &[]).map(|_| "SECRET-KEY-BYTES".to_owned());
    let debug = format!("{table:?}");
    assert_eq!(
        debug,
        r#"CertificateTable { hosts: ["*.example.com", "www.example.com"] }"#
    );
}

mod reference {
    //! The certificate table against a naive reading of T1 on random
    //! claims: scan the claims in M6 order for the first exact one, else
    //! the first wildcard one of the name's parent.

    use super::*;
    use proptest::prelude::*;

    const LABELS: [&str; 3] = ["a", "b", "c"];

    fn name() -> impl Strategy<Value = String> {
        prop::collection::vec(prop::sample::select(&LABELS[..]), 1..4).prop_map(|labels| labels.join("."))
    }

    fn host() -> impl Strategy<Value = String> {
        (any::<bool>(), name()).prop_map(|(wild, name)| if wild { format!("*.{name}") } else { name })
    }

    /// Per Ingress (named in M6 order), its TLS entries: hosts and a Secret
    /// (`None`: no secretName).
    fn ingresses() -> impl Strategy<Value = Vec<Vec<(Vec<String>, Option<u8>)>>> {
        let entry = (prop::collection::vec(host(), 1..3), prop::option::of(0u8..4));
        prop::collection::vec(prop::collection::vec(entry, 1..3), 1..4)
    }

    /// What the naive reading serves `sni`: `Some(Some(secret))`, or
    /// `Some(None)` for a claimed host without a usable certificate, or
    /// `None` for an unknown name. Secret 3 is broken.
    fn naive(ingresses: &[Vec<(Vec<String>, Option<u8>)>], sni: &str) -> Option<Option<String>> {
        let claims: Vec<(String, Option<String>)> = ingresses
            .iter()
            .enumerate()
            .flat_map(|(index, entries)| {
                entries.iter().flat_map(move |(hosts, secret)| {
                    hosts
                        .iter()
                        .map(move |host| (host.clone(), secret.map(|s| format!("ns/i{index}-s{s}"))))
                })
            })
            .collect();
        let parent = sni.split_once('.').map(|(_, parent)| format!("*.{parent}"));
        let claim = claims
            .iter()
            .find(|(host, _)| host == sni)
            .or_else(|| claims.iter().find(|(host, _)| Some(host) == parent.as_ref()))?;
        Some(claim.1.clone().filter(|secret| !secret.ends_with("-s3")))
    }

    proptest! {
        #[test]
        fn t1_table_agrees_with_a_naive_scan_of_the_claims(ingresses in ingresses(), sni in name()) {
            let objects: Vec<Ingress> = ingresses
                .iter()
                .enumerate()
                .map(|(index, entries)| {
                    let mut ingress = Ingress::new("ns", format!("i{index}"))
                        .with_rule(None, [HttpIngressPath::prefix("/", IngressBackend::service("web", 80))]);
                    for (hosts, secret) in entries {
                        ingress.spec.tls.push(IngressTls {
                            hosts: hosts.clone(),
                            secret_name: secret.map(|s| format!("i{index}-s{s}")),
                        });
                    }
                    ingress
                })
                .collect();
            let set = set(&objects);
            let claims = TlsClaims::from_ingresses(set.serving());
            let (table, _) = CertificateTable::build(&claims, |secret, _| {
                if secret.name().ends_with("-s3") { Err(()) } else { Ok(secret.to_string()) }
            });
            let expected = naive(&ingresses, &sni);
            let got = match table.resolve(Some(&sni)) {
                Resolution::Exact(c) | Resolution::Wildcard(c) => Some(Some(c.clone())),
                Resolution::Default(Fallback::Unusable) => Some(None),
                Resolution::Default(Fallback::Unknown) => None,
                other => panic!("{other:?}"),
            };
            prop_assert_eq!(&got, &expected);
            prop_assert_eq!(table.is_tls_host(&sni), expected.is_some());
        }
    }
}
