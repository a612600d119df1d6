//! T1-T3 over real rustls handshakes (in memory, ring on both sides),
//! with certificates made by rcgen: which certificate each SNI name gets,
//! what a broken Secret affects, and that no key material is printed.

#![cfg(feature = "tls")]

mod tls_common;

use std::sync::Arc;
use std::time::SystemTime;

use ingress_core::IngressSet;
use ingress_core::tls::TlsClaims;
use ingress_kube::tls::{
    CertificateResolver, Certificates, TlsFinding, TlsSecret, build_certificates, self_signed_certificate,
};
use k8s_openapi::api::core::v1::Secret;
use tls_common::{Ca, EC_SEC1, Leaf, RSA_PKCS1, handshake, secret, tls_ingress, tls_secret};

/// The resolver over the certificates of `ingresses` and `secrets`, with a
/// self-signed default for `ingress.local`; and the findings.
fn resolver(ingresses: &[ingress_core::Ingress], secrets: &[Secret]) -> (CertificateResolver, Vec<TlsFinding>) {
    let mut set = IngressSet::new();
    for ingress in ingresses {
        set.apply(ingress);
    }
    let claims = TlsClaims::from_ingresses(set.serving());
    let (table, findings) = build_certificates(
        &claims,
        |wanted| {
            secrets.iter().find(|s| {
                s.metadata.name.as_deref() == Some(wanted.name())
                    && s.metadata.namespace.as_deref() == Some(wanted.namespace())
            })
        },
        SystemTime::now(),
    );
    let default = self_signed_certificate(&["ingress.local"]).expect("a default certificate");
    (
        CertificateResolver::from_certificates(Certificates::new(Arc::new(table), default)),
        findings,
    )
}

/// Which of `leaves` a handshake for `name` was served (by index), or
/// `None` for a certificate not among them (the default).
fn served_index(
    resolver: &CertificateResolver,
    ca: &Ca,
    name: &str,
    send_sni: bool,
    leaves: &[&Leaf],
) -> Option<usize> {
    let served = handshake(resolver, ca, name, send_sni);
    let leaf = served.leaf.expect("the server sent a certificate");
    let index = leaves.iter().position(|candidate| candidate.der == leaf);
    // A certificate of ours verifies against the CA; the default does not.
    assert_eq!(
        served.verified.is_ok(),
        index.is_some(),
        "{name}: {:?}",
        served.verified
    );
    index
}

#[test]
fn t1_handshake_exact_name_beats_wildcard() {
    let ca = Ca::new();
    let (exact, wildcard) = (ca.leaf(&["www.example.com"]), ca.leaf(&["*.example.com"]));
    let (resolver, findings) = resolver(
        &[
            tls_ingress("web", "wild", &[(&["*.example.com"], "wild-tls")]),
            tls_ingress("web", "www", &[(&["www.example.com"], "www-tls")]),
        ],
        &[
            tls_secret("web", "wild-tls", &wildcard),
            tls_secret("web", "www-tls", &exact),
        ],
    );
    assert!(findings.is_empty(), "{findings:?}");
    let leaves = [&exact, &wildcard];
    assert_eq!(served_index(&resolver, &ca, "www.example.com", true, &leaves), Some(0));
    assert_eq!(served_index(&resolver, &ca, "api.example.com", true, &leaves), Some(1));
}

#[test]
fn t1_handshake_wildcard_covers_one_label_only() {
    let ca = Ca::new();
    let wildcard = ca.leaf(&["*.example.com"]);
    let (resolver, _) = resolver(
        &[tls_ingress("web", "wild", &[(&["*.example.com"], "wild-tls")])],
        &[tls_secret("web", "wild-tls", &wildcard)],
    );
    let leaves = [&wildcard];
    assert_eq!(served_index(&resolver, &ca, "bar.example.com", true, &leaves), Some(0));
    assert_eq!(served_index(&resolver, &ca, "a.bar.example.com", true, &leaves), None);
    assert_eq!(served_index(&resolver, &ca, "example.com", true, &leaves), None);
}

#[test]
fn t2_handshake_unknown_name_and_no_sni_get_the_default() {
    let ca = Ca::new();
    let exact = ca.leaf(&["www.example.com"]);
    let (resolver, _) = resolver(
        &[tls_ingress("web", "www", &[(&["www.example.com"], "www-tls")])],
        &[tls_secret("web", "www-tls", &exact)],
    );
    let default = resolver.load().default_certificate().cert[0].clone();
    for (name, send_sni) in [("other.example.com", true), ("www.example.com", false)] {
        let served = handshake(&resolver, &ca, name, send_sni);
        assert_eq!(served.leaf.as_ref(), Some(&default), "{name} sni={send_sni}");
        assert!(served.verified.is_err(), "the self-signed default is not trusted");
    }
}

#[test]
fn t2_resolver_store_rotates_certificates_without_a_new_config() {
    let ca = Ca::new();
    let (first, second) = (ca.leaf(&["www.example.com"]), ca.leaf(&["www.example.com"]));
    let ingresses = [tls_ingress("web", "www", &[(&["www.example.com"], "www-tls")])];
    let (resolver, _) = resolver(&ingresses, &[tls_secret("web", "www-tls", &first)]);
    let config = tls_common::server_config(&resolver);
    let (rotated, _) = self::resolver(&ingresses, &[tls_secret("web", "www-tls", &second)]);
    resolver.store_table(Arc::clone(rotated.load().table()));
    // The config made before the swap serves the new certificate.
    let leaves = [&first, &second];
    assert_eq!(served_index(&resolver, &ca, "www.example.com", true, &leaves), Some(1));
    assert!(Arc::strong_count(&config) >= 1);
}

#[test]
fn t3_handshake_broken_secret_leaves_other_hosts_serving() {
    let ca = Ca::new();
    let good = ca.leaf(&["good.example.com"]);
    let bad = ca.leaf(&["bad.example.com"]).with_foreign_key();
    let (resolver, findings) = resolver(
        &[
            tls_ingress("web", "good", &[(&["good.example.com"], "good-tls")]),
            tls_ingress("web", "bad", &[(&["bad.example.com"], "bad-tls")]),
        ],
        &[tls_secret("web", "good-tls", &good), tls_secret("web", "bad-tls", &bad)],
    );
    assert_eq!(findings.len(), 1);
    assert!(findings[0].error().unwrap().is_key_mismatch());
    let leaves = [&good, &bad];
    assert_eq!(served_index(&resolver, &ca, "good.example.com", true, &leaves), Some(0));
    assert_eq!(served_index(&resolver, &ca, "bad.example.com", true, &leaves), None);
}

#[test]
fn t3_each_certificate_problem_is_found_and_named() {
    let ca = Ca::new();
    let ok = ca.leaf(&["ok.example.com"]);
    let expired = ca.leaf_dated(&["expired.example.com"], (2000, 1, 1), (2001, 1, 1));
    let future = ca.leaf_dated(&["future.example.com"], (3999, 1, 1), (4000, 1, 1));
    let elsewhere = ca.leaf(&["elsewhere.example.com"]);
    let mismatch = ca.leaf(&["mismatch.example.com"]).with_foreign_key();
    let hosts = [
        ("missing.example.com", "missing-tls"),
        ("opaque.example.com", "opaque-tls"),
        ("badpem.example.com", "badpem-tls"),
        ("mismatch.example.com", "mismatch-tls"),
        ("expired.example.com", "expired-tls"),
        ("future.example.com", "future-tls"),
        ("uncovered.example.com", "elsewhere-tls"),
        ("ok.example.com", "ok-tls"),
    ];
    let tls: Vec<(&[&str], &str)> = hosts
        .iter()
        .map(|(host, secret)| (std::slice::from_ref(host), *secret))
        .collect();
    let (_, findings) = resolver(
        &[tls_ingress("web", "all", &tls)],
        &[
            secret("web", "opaque-tls", Some("Opaque"), &ok.cert_pem, &ok.key_pem),
            secret(
                "web",
                "badpem-tls",
                Some("kubernetes.io/tls"),
                "not a certificate",
                &ok.key_pem,
            ),
            tls_secret("web", "mismatch-tls", &mismatch),
            tls_secret("web", "expired-tls", &expired),
            tls_secret("web", "future-tls", &future),
            tls_secret("web", "elsewhere-tls", &elsewhere),
            tls_secret("web", "ok-tls", &ok),
        ],
    );
    let errors: Vec<_> = findings
        .iter()
        .map(|f| f.error().expect("a certificate finding"))
        .collect();
    let by_host = |host: &str| {
        let index = findings
            .iter()
            .position(|f| matches!(f, TlsFinding::Certificate { claim, .. } if claim.host.to_string() == host))
            .unwrap_or_else(|| panic!("no finding for {host}"));
        errors[index]
    };
    assert_eq!(findings.len(), 7, "{findings:#?}");
    assert!(by_host("missing.example.com").is_missing());
    assert!(by_host("opaque.example.com").is_wrong_type());
    assert!(by_host("badpem.example.com").is_bad_pem());
    assert!(by_host("mismatch.example.com").is_key_mismatch());
    assert!(by_host("expired.example.com").is_expired());
    assert!(by_host("future.example.com").is_not_yet_valid());
    assert!(by_host("uncovered.example.com").is_not_covering());
    let texts: Vec<String> = findings.iter().map(ToString::to_string).collect();
    let expected = [
        "[T3] web/all spec.tls[4].hosts[0]: host expired.example.com: Secret web/expired-tls: the certificate expired at 2001-01-01T00:00:00Z; the default certificate serves it",
        "[T3] web/all spec.tls[6].hosts[0]: host uncovered.example.com: Secret web/elsewhere-tls: the certificate's names do not cover host uncovered.example.com; the default certificate serves it",
        "[T3] web/all spec.tls[0].hosts[0]: host missing.example.com: Secret web/missing-tls: not found; the default certificate serves it",
    ];
    for line in expected {
        assert!(texts.iter().any(|text| text == line), "{line}\n{texts:#?}");
    }
}

#[test]
fn t3_private_keys_in_pkcs8_pkcs1_and_sec1_pem_are_read() {
    let ca = Ca::new();
    let leaf = ca.leaf(&["www.example.com"]);
    assert!(
        leaf.key_pem.starts_with("-----BEGIN PRIVATE KEY-----"),
        "rcgen writes PKCS#8"
    );
    let cases = [
        ("www.example.com", leaf.cert_pem.as_str(), leaf.key_pem.as_str()),
        ("rsa.example.com", RSA_PKCS1.0, RSA_PKCS1.1),
        ("ec.example.com", EC_SEC1.0, EC_SEC1.1),
    ];
    for (host, cert, key) in cases {
        let parsed = TlsSecret::from_secret(&secret("web", "tls", Some("kubernetes.io/tls"), cert, key))
            .unwrap_or_else(|error| panic!("{host}: {error}"));
        assert!(parsed.check(host, SystemTime::now()).is_ok(), "{host}");
        assert_eq!(parsed.names().collect::<Vec<_>>(), [host]);
    }
    // The RSA key with the EC certificate: found out.
    let crossed = TlsSecret::from_secret(&secret("web", "tls", Some("kubernetes.io/tls"), EC_SEC1.0, RSA_PKCS1.1));
    assert!(crossed.unwrap_err().is_key_mismatch());
}

#[test]
fn t3_a_chain_entry_that_is_not_a_certificate_breaks_the_secret() {
    let ca = Ca::new();
    let leaf = ca.leaf(&["www.example.com"]);
    // The leaf, then its CA: a chain as cert-manager writes it.
    let parsed = TlsSecret::from_secret(&tls_secret("web", "tls", &leaf)).expect("a leaf and its CA");
    assert_eq!(parsed.certified_key().cert.len(), 2);

    // A CERTIFICATE block holding three bytes of nothing in its place.
    let junk = format!(
        "{}-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        leaf.cert_pem
    );
    let broken = TlsSecret::from_secret(&secret("web", "tls", Some("kubernetes.io/tls"), &junk, &leaf.key_pem));
    assert!(broken.unwrap_err().is_bad_pem());
}

#[test]
fn t3_string_data_wins_over_data() {
    let ca = Ca::new();
    let (old, new) = (ca.leaf(&["old.example.com"]), ca.leaf(&["new.example.com"]));
    let mut both = tls_secret("web", "tls", &old);
    both.string_data = Some(
        [
            ("tls.crt".to_owned(), new.cert_pem.clone()),
            ("tls.key".to_owned(), new.key_pem.clone()),
        ]
        .into(),
    );
    let parsed = TlsSecret::from_secret(&both).unwrap();
    assert_eq!(parsed.certified_key().cert[0], new.der);
    assert!(parsed.covers("new.example.com") && !parsed.covers("old.example.com"));
}

#[test]
fn t1_certificate_names_cover_hosts_as_m1_wildcards_do() {
    let ca = Ca::new();
    let parsed = TlsSecret::from_secret(&tls_secret(
        "web",
        "tls",
        &ca.leaf(&["*.example.com", "Apex.Example.com"]),
    ))
    .unwrap();
    for (host, covered) in [
        ("a.example.com", true),
        ("*.example.com", true),
        ("apex.example.com", true),
        ("APEX.example.com.", true),
        ("example.com", false),
        ("a.b.example.com", false),
        ("*.b.example.com", false),
    ] {
        assert_eq!(parsed.covers(host), covered, "{host}");
    }
    // A wildcard TLS host needs the wildcard name itself.
    let exact = TlsSecret::from_secret(&tls_secret("web", "tls", &ca.leaf(&["a.example.com"]))).unwrap();
    assert!(!exact.covers("*.example.com"));
}

#[test]
fn t3_no_key_material_in_debug_or_display_output() {
    let ca = Ca::new();
    let leaf = ca.leaf(&["www.example.com"]);
    let broken = ca.leaf(&["broken.example.com"]).with_foreign_key();
    let secrets = [
        tls_secret("web", "www-tls", &leaf),
        tls_secret("web", "broken-tls", &broken),
    ];
    let (resolver, findings) = resolver(
        &[tls_ingress(
            "web",
            "www",
            &[
                (&["www.example.com"], "www-tls"),
                (&["broken.example.com"], "broken-tls"),
            ],
        )],
        &secrets,
    );
    let parsed = TlsSecret::from_secret(&secrets[0]).unwrap();
    let error = TlsSecret::from_secret(&secrets[1]).unwrap_err();
    let outputs = [
        format!("{resolver:?}"),
        format!("{:?}", resolver.load()),
        format!("{parsed:?}"),
        format!("{parsed:#?}"),
        format!("{error:?} {error}"),
        format!("{findings:?}"),
        findings.iter().map(ToString::to_string).collect::<String>(),
    ];
    // The key's PEM body, a stretch of its base64, its DER bytes as Debug
    // prints a byte list, and as hex.
    let key_pem = &leaf.key_pem;
    let body: String = key_pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let der = rustls::pki_types::pem::PemObject::from_pem_slice(key_pem.as_bytes())
        .map(|key: rustls::pki_types::PrivateKeyDer<'_>| key.secret_der().to_vec())
        .unwrap();
    let der_list = format!("{:?}", &der[..12]).trim_end_matches(']').to_owned();
    let der_hex: String = der[..12].iter().map(|b| format!("{b:02x}")).collect();
    for output in &outputs {
        assert!(!output.contains("PRIVATE KEY"), "{output}");
        assert!(!output.contains("-----BEGIN"), "{output}");
        assert!(!output.contains(&body[20..60]), "{output}");
        assert!(!output.contains(&der_list), "{output}");
        assert!(!output.contains(&der_hex), "{output}");
    }
    // What the output does say: the Secret and the host.
    assert!(outputs[2].contains("web/www-tls") && outputs[2].contains("www.example.com"));
}
