//! The feed's certificate side: Secrets from manifest files, a table
//! published into a rustls resolver apart from the routes, findings.

#![cfg(feature = "tls")]

mod tls_common;

use std::time::{Duration, Instant, SystemTime};

use ingress_core::Backend;
use ingress_core::tls::SecretRef;
use ingress_kube::ClassSelector;
use ingress_kube::feed::{Feed, FileSource, Publish, Snapshot, Tables, Update};
use ingress_kube::tls::{CertificateResolver, self_signed_certificate};
use ingress_kube::{Format, Manifests};
use ingress_test_support::{IngressClassYaml, ManifestDir, SecretYaml, documents};
use tls_common::{Ca, Leaf, handshake};

/// An Ingress (of the default class) with one `spec.tls[]` entry per
/// `(host, secret)`.
fn ingress_yaml(name: &str, tls: &[(&str, &str)]) -> String {
    let mut yaml = format!(
        "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: {name}\n  namespace: web\nspec:\n  defaultBackend:\n    service:\n      name: web\n      port:\n        number: 80\n  tls:\n"
    );
    for (host, secret) in tls {
        yaml.push_str(&format!("  - hosts:\n    - \"{host}\"\n    secretName: {secret}\n"));
    }
    yaml
}

fn class_yaml() -> String {
    IngressClassYaml::new("gateway", "ingress-rs.dev/ingress-gateway")
        .default_class()
        .to_yaml()
}

fn secret_yaml(name: &str, leaf: &Leaf) -> String {
    SecretYaml::tls(name, &leaf.cert_pem, &leaf.key_pem)
        .namespace("web")
        .to_yaml()
}

fn snapshot(docs: &[String]) -> Snapshot {
    let mut manifests = Manifests::new();
    manifests.add_text("all.yaml", Format::Yaml, &documents(docs));
    assert!(manifests.errors().is_empty(), "{:?}", manifests.errors());
    Snapshot::from_manifests(&manifests)
}

/// What each publish said about the certificates.
#[derive(Debug, Default, Clone)]
struct Seen {
    routes_changed: Vec<bool>,
    certificates_changed: Vec<bool>,
    findings: Vec<Vec<String>>,
}

#[derive(Debug)]
struct Recorder<P> {
    inner: P,
    seen: Seen,
}

impl<P: Publish> Publish for Recorder<P> {
    fn publish(&mut self, update: &Update<'_>) {
        self.seen.routes_changed.push(update.routes_changed);
        self.seen.certificates_changed.push(update.certificates_changed);
        self.seen
            .findings
            .push(update.tls_findings.iter().map(ToString::to_string).collect());
        self.inner.publish(update);
    }
}

type Mapped = Tables<String, fn(&Backend) -> String>;

fn feed(resolver: &CertificateResolver) -> Feed<Recorder<Mapped>> {
    let to_string: fn(&Backend) -> String = |backend| backend.to_string();
    let tables = Tables::new(to_string).with_certificates(resolver.clone());
    Feed::new(
        ClassSelector::default(),
        Recorder {
            inner: tables,
            seen: Seen::default(),
        },
    )
}

fn served_by(resolver: &CertificateResolver, ca: &Ca, name: &str, leaf: &Leaf) -> bool {
    handshake(resolver, ca, name, true).leaf.as_ref() == Some(&leaf.der)
}

#[test]
fn t2_feed_publishes_manifest_certificates_into_the_resolver() {
    let ca = Ca::new();
    let (www, wild) = (ca.leaf(&["www.example.com"]), ca.leaf(&["*.example.com"]));
    let resolver = CertificateResolver::new(self_signed_certificate(&["ingress.local"]).unwrap());
    let mut feed = feed(&resolver);
    feed.apply(snapshot(&[
        class_yaml(),
        ingress_yaml("web", &[("www.example.com", "www-tls"), ("*.example.com", "wild-tls")]),
        secret_yaml("www-tls", &www),
        secret_yaml("wild-tls", &wild),
    ]));
    let rebuilt = feed.rebuild().expect("every kind listed");
    assert!(rebuilt.first && rebuilt.certificates_changed);
    assert!(
        feed.publisher().seen.findings[0].is_empty(),
        "{:?}",
        feed.publisher().seen.findings
    );
    assert!(served_by(&resolver, &ca, "www.example.com", &www));
    assert!(served_by(&resolver, &ca, "api.example.com", &wild));
    assert!(handshake(&resolver, &ca, "a.b.example.com", true).verified.is_err());
}

#[test]
fn t3_secret_change_rebuilds_certificates_not_routes() {
    let ca = Ca::new();
    let (first, second) = (ca.leaf(&["www.example.com"]), ca.leaf(&["www.example.com"]));
    let resolver = CertificateResolver::new(self_signed_certificate(&["ingress.local"]).unwrap());
    let mut feed = feed(&resolver);
    let ingress = ingress_yaml("web", &[("www.example.com", "www-tls")]);
    feed.apply(snapshot(&[
        class_yaml(),
        ingress.clone(),
        secret_yaml("www-tls", &first),
    ]));
    feed.rebuild().unwrap();
    assert!(served_by(&resolver, &ca, "www.example.com", &first));

    // The Secret is rotated: certificates only.
    assert!(feed.apply(snapshot(&[
        class_yaml(),
        ingress.clone(),
        secret_yaml("www-tls", &second)
    ])));
    let rebuilt = feed.rebuild().unwrap();
    assert!(rebuilt.certificates_changed && !rebuilt.routes_changed);
    assert!(served_by(&resolver, &ca, "www.example.com", &second));

    // A Secret no Ingress names: nothing is rebuilt.
    let unrelated = secret_yaml("other-tls", &first);
    feed.apply(snapshot(&[
        class_yaml(),
        ingress,
        secret_yaml("www-tls", &second),
        unrelated,
    ]));
    let rebuilt = feed.rebuild().unwrap();
    assert!(!rebuilt.certificates_changed && !rebuilt.routes_changed);
    assert_eq!(feed.publisher().seen.certificates_changed, [true, true, false]);
    assert_eq!(feed.publisher().seen.routes_changed, [true, false, false]);
}

#[test]
fn t3_feed_broken_secret_leaves_other_hosts_serving_and_is_reported() {
    let ca = Ca::new();
    let good = ca.leaf(&["good.example.com"]);
    let bad = ca.leaf(&["bad.example.com"]).with_foreign_key();
    let resolver = CertificateResolver::new(self_signed_certificate(&["ingress.local"]).unwrap());
    let mut feed = feed(&resolver);
    feed.apply(snapshot(&[
        class_yaml(),
        ingress_yaml("good", &[("good.example.com", "good-tls")]),
        ingress_yaml(
            "bad",
            &[("bad.example.com", "bad-tls"), ("gone.example.com", "gone-tls")],
        ),
        secret_yaml("good-tls", &good),
        secret_yaml("bad-tls", &bad),
    ]));
    feed.rebuild().unwrap();
    assert!(served_by(&resolver, &ca, "good.example.com", &good));
    assert!(!served_by(&resolver, &ca, "bad.example.com", &bad));
    assert_eq!(
        feed.publisher().seen.findings[0],
        [
            "[T3] web/bad spec.tls[0].hosts[0]: host bad.example.com: Secret web/bad-tls: tls.key does not match the certificate in tls.crt; the default certificate serves it",
            "[T3] web/bad spec.tls[1].hosts[0]: host gone.example.com: Secret web/gone-tls: not found; the default certificate serves it",
        ]
    );
}

#[test]
fn t2_default_certificate_from_a_secret_serves_unknown_names() {
    let ca = Ca::new();
    let fallback = ca.leaf(&["fallback.example.com"]);
    let resolver = CertificateResolver::new(self_signed_certificate(&["ingress.local"]).unwrap());
    let self_signed = resolver.load().default_certificate().cert[0].clone();
    let tables = Tables::new(|backend: &Backend| backend.to_string()).with_certificates(resolver.clone());
    let mut feed =
        Feed::new(ClassSelector::default(), tables).with_default_certificate(SecretRef::new("web", "fallback-tls"));
    feed.apply(snapshot(&[
        class_yaml(),
        ingress_yaml("web", &[]),
        secret_yaml("fallback-tls", &fallback),
    ]));
    feed.rebuild().unwrap();
    assert!(served_by(&resolver, &ca, "unknown.example.com", &fallback));

    // The Secret goes away: the self-signed default serves again.
    feed.apply(snapshot(&[class_yaml(), ingress_yaml("web", &[])]));
    assert!(feed.rebuild().unwrap().certificates_changed);
    assert_eq!(
        handshake(&resolver, &ca, "unknown.example.com", true).leaf,
        Some(self_signed)
    );
}

#[test]
fn t3_feed_and_snapshot_debug_output_hold_no_secret_data() {
    let ca = Ca::new();
    let leaf = ca.leaf(&["www.example.com"]);
    let docs = [
        class_yaml(),
        ingress_yaml("web", &[("www.example.com", "www-tls")]),
        secret_yaml("www-tls", &leaf),
    ];
    let resolver = CertificateResolver::new(self_signed_certificate(&["ingress.local"]).unwrap());
    let mut feed = feed(&resolver);
    let snapshot_debug = format!("{:?}", snapshot(&docs));
    feed.apply(snapshot(&docs));
    feed.rebuild().unwrap();
    let mut update_debug = String::new();
    let mut capture = |update: &Update<'_>| update_debug = format!("{update:?}");
    let mut manifests = Manifests::new();
    manifests.add_text("all.yaml", Format::Yaml, &documents(&docs));
    let mut second = Feed::new(ClassSelector::default(), &mut capture);
    second.apply(Snapshot::from_manifests(&manifests));
    second.rebuild().unwrap();
    let key_body: String = leaf.key_pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let key_bytes = format!("{:?}", &leaf.key_pem.as_bytes()[..16])
        .trim_end_matches(']')
        .to_owned();
    for output in [
        snapshot_debug,
        format!("{feed:?}"),
        update_debug,
        format!("{manifests:?}"),
    ] {
        // It does speak of the Secret or its host.
        assert!(
            output.contains("www-tls") || output.contains("www.example.com"),
            "{output}"
        );
        assert!(
            !output.contains("PRIVATE KEY") && !output.contains(&key_body[..40]),
            "{output}"
        );
        assert!(!output.contains(&key_bytes), "{output}");
    }
}

#[test]
fn t3_fixing_a_broken_secret_serves_its_host_again() {
    let ca = Ca::new();
    let leaf = ca.leaf(&["www.example.com", "api.example.com"]);
    let resolver = CertificateResolver::new(self_signed_certificate(&["ingress.local"]).unwrap());
    let mut feed = feed(&resolver);
    let broken = secret_yaml("www-tls", &leaf.with_foreign_key());
    let fixed = secret_yaml("www-tls", &leaf);
    let one_host = ingress_yaml("web", &[("www.example.com", "www-tls")]);
    feed.apply(snapshot(&[class_yaml(), one_host.clone(), broken.clone()]));
    feed.rebuild().unwrap();
    assert!(!served_by(&resolver, &ca, "www.example.com", &leaf));

    feed.apply(snapshot(&[class_yaml(), one_host, fixed.clone()]));
    feed.rebuild().unwrap();
    assert!(served_by(&resolver, &ca, "www.example.com", &leaf));

    // Another host on the same, unchanged Secret: served too.
    let two_hosts = ingress_yaml("web", &[("www.example.com", "www-tls"), ("api.example.com", "www-tls")]);
    feed.apply(snapshot(&[class_yaml(), two_hosts.clone(), fixed]));
    assert!(feed.rebuild().unwrap().certificates_changed);
    assert!(served_by(&resolver, &ca, "api.example.com", &leaf));

    // Broken again: both hosts fall back, and both are reported.
    feed.apply(snapshot(&[class_yaml(), two_hosts, broken]));
    feed.rebuild().unwrap();
    assert!(!served_by(&resolver, &ca, "www.example.com", &leaf));
    assert!(!served_by(&resolver, &ca, "api.example.com", &leaf));
    assert_eq!(feed.publisher().seen.findings.last().map(Vec::len), Some(2));
}

#[test]
fn t1_manifest_secret_with_string_data_serves() {
    let ca = Ca::new();
    let leaf = ca.leaf(&["www.example.com"]);
    let secret = SecretYaml::new("www-tls")
        .namespace("web")
        .type_("kubernetes.io/tls")
        .string_data("tls.crt", &leaf.cert_pem)
        .string_data("tls.key", &leaf.key_pem)
        .to_yaml();
    let resolver = CertificateResolver::new(self_signed_certificate(&["ingress.local"]).unwrap());
    let mut feed = feed(&resolver);
    feed.apply(snapshot(&[
        class_yaml(),
        ingress_yaml("web", &[("www.example.com", "www-tls")]),
        secret,
    ]));
    feed.rebuild().unwrap();
    assert!(served_by(&resolver, &ca, "www.example.com", &leaf));
}

/// An Ingress without `spec.tls`, routing `/` of `host` (valid) or
/// `no-slash` (invalid: V-rules refuse a path without a leading `/`).
fn plain_ingress_yaml(name: &str, host: &str, valid: bool) -> String {
    let path = if valid { "/" } else { "no-slash" };
    format!(
        "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: {name}\n  namespace: web\nspec:\n  rules:\n  - host: {host}\n    http:\n      paths:\n      - path: {path}\n        pathType: Prefix\n        backend:\n          service:\n            name: web\n            port:\n              number: 80\n"
    )
}

#[test]
fn t1_v8_claims_follow_the_served_version_and_plain_changes_leave_them() {
    let ca = Ca::new();
    let www = ca.leaf(&["www.example.com"]);
    let resolver = CertificateResolver::new(self_signed_certificate(&["ingress.local"]).unwrap());
    let mut feed = feed(&resolver);
    let secret = secret_yaml("www-tls", &www);
    let with_tls = ingress_yaml("web", &[("www.example.com", "www-tls")]);
    feed.apply(snapshot(&[
        class_yaml(),
        with_tls,
        plain_ingress_yaml("other", "a.example.com", true),
        secret.clone(),
    ]));
    feed.rebuild().unwrap();
    assert!(served_by(&resolver, &ca, "www.example.com", &www));

    // A route change on an Ingress without TLS: the claims are as they were.
    feed.apply(snapshot(&[
        class_yaml(),
        ingress_yaml("web", &[("www.example.com", "www-tls")]),
        plain_ingress_yaml("other", "b.example.com", true),
        secret.clone(),
    ]));
    let rebuilt = feed.rebuild().unwrap();
    assert!(rebuilt.routes_changed && !rebuilt.certificates_changed);
    assert!(served_by(&resolver, &ca, "www.example.com", &www));

    // `web` loses its TLS in an invalid edit: the valid version with TLS
    // keeps serving (V8), and so does its certificate.
    feed.apply(snapshot(&[
        class_yaml(),
        plain_ingress_yaml("web", "www.example.com", false),
        plain_ingress_yaml("other", "b.example.com", true),
        secret.clone(),
    ]));
    feed.rebuild().unwrap();
    assert!(served_by(&resolver, &ca, "www.example.com", &www));

    // Then a valid version without TLS: the claim goes, the default serves.
    feed.apply(snapshot(&[
        class_yaml(),
        plain_ingress_yaml("web", "www.example.com", true),
        plain_ingress_yaml("other", "b.example.com", true),
        secret,
    ]));
    let rebuilt = feed.rebuild().unwrap();
    assert!(rebuilt.certificates_changed);
    assert!(!served_by(&resolver, &ca, "www.example.com", &www));
}

/// Sleeps until the wall clock reads `at`.
fn sleep_until(at: SystemTime) {
    while let Ok(left) = at.duration_since(SystemTime::now()) {
        std::thread::sleep(left.max(Duration::from_millis(1)));
    }
}

/// Two Ingress hosts: one whose certificate becomes valid 4 s from now (an
/// issuer's clock a little ahead of ours), one whose certificate expires
/// 6 s from now. Certificates hold whole seconds: the first is valid from
/// 3 to 4 s from now, the second until 5 to 6 s from now.
fn two_clocked_leaves(ca: &Ca, now: SystemTime) -> (Leaf, Leaf, Vec<String>) {
    let year = Duration::from_secs(365 * 24 * 3600);
    let early = ca.leaf_between(&["early.example.com"], now + Duration::from_secs(4), now + year);
    let late = ca.leaf_between(&["late.example.com"], now - year, now + Duration::from_secs(6));
    let docs = vec![
        class_yaml(),
        ingress_yaml(
            "web",
            &[("early.example.com", "early-tls"), ("late.example.com", "late-tls")],
        ),
        secret_yaml("early-tls", &early),
        secret_yaml("late-tls", &late),
    ];
    (early, late, docs)
}

#[test]
fn t3_a_host_moves_when_its_certificate_becomes_valid_or_expires_with_no_other_change() {
    let ca = Ca::new();
    let now = SystemTime::now();
    let (early, late, docs) = two_clocked_leaves(&ca, now);
    let resolver = CertificateResolver::new(self_signed_certificate(&["ingress.local"]).unwrap());
    let mut feed = feed(&resolver);
    feed.apply(snapshot(&docs));
    feed.rebuild().unwrap();
    assert!(!served_by(&resolver, &ca, "early.example.com", &early));
    assert!(served_by(&resolver, &ca, "late.example.com", &late));
    let findings = feed.publisher().seen.findings[0].clone();
    assert!(
        findings.len() == 1 && findings[0].contains("early.example.com") && findings[0].contains("not valid before"),
        "{findings:?}"
    );

    // The feed asks for a rebuild when `early` becomes valid, and a rebuild
    // before then changes nothing.
    let due = feed.rebuild_due_at().expect("a rebuild is due");
    assert!(
        due > SystemTime::now() && due <= now + Duration::from_secs(4),
        "{due:?}"
    );
    assert!(!feed.rebuild().unwrap().certificates_changed);
    let synced = feed.status().record().last_sync;
    assert!(synced.is_some());
    sleep_until(due);
    let rebuilt = feed.rebuild().unwrap();
    assert!(rebuilt.certificates_changed && !rebuilt.routes_changed);
    assert_eq!(feed.status().record().last_sync, synced, "nothing was read");
    assert!(served_by(&resolver, &ca, "early.example.com", &early));
    assert!(served_by(&resolver, &ca, "late.example.com", &late));
    assert_eq!(feed.publisher().seen.findings.last(), Some(&Vec::new()));

    // Then when `late` expires (just after its notAfter).
    let due = feed.rebuild_due_at().expect("a rebuild is due");
    assert!(
        due > now + Duration::from_secs(4) && due <= now + Duration::from_secs(7),
        "{due:?}"
    );
    sleep_until(due);
    assert!(feed.rebuild().unwrap().certificates_changed);
    assert!(!served_by(&resolver, &ca, "late.example.com", &late));
    assert!(served_by(&resolver, &ca, "early.example.com", &early));
    let findings = feed.publisher().seen.findings.last().cloned().unwrap_or_default();
    assert!(
        findings.len() == 1 && findings[0].contains("late.example.com") && findings[0].contains("expired"),
        "{findings:?}"
    );
    // What is left is `early`'s expiry, a year away.
    let due = feed.rebuild_due_at().expect("early expires some day");
    assert!(due > now + Duration::from_secs(300 * 24 * 3600), "{due:?}");
}

#[test]
fn t3_file_source_polls_rebuild_on_a_certificates_validity_change_without_a_file_change() {
    let ca = Ca::new();
    let now = SystemTime::now();
    let (early, _late, docs) = two_clocked_leaves(&ca, now);
    let dir = ManifestDir::new();
    dir.write("all.yaml", documents(&docs));
    let resolver = CertificateResolver::new(self_signed_certificate(&["ingress.local"]).unwrap());
    let mut feed = feed(&resolver);
    let mut files = FileSource::new(dir.path(), Duration::from_millis(50));
    files.load(&mut feed).expect("the manifests load");
    assert!(!served_by(&resolver, &ca, "early.example.com", &early));
    let due = feed.rebuild_due_at().expect("a rebuild is due");
    assert!(files.poll(&mut feed, Instant::now()).is_none(), "no file changed");
    assert!(!served_by(&resolver, &ca, "early.example.com", &early));
    sleep_until(due);
    assert!(files.poll(&mut feed, Instant::now()).is_none(), "still no file changed");
    assert!(served_by(&resolver, &ca, "early.example.com", &early));
    assert_eq!(feed.publisher().seen.certificates_changed, [true, true]);
}
