//! `ingress-gateway check` on `spec.tls[]`: every certificate problem is
//! reported with the Ingress, its file, the host and the Secret (T1-T3).

mod support;

use ingress_test_support::SecretYaml;
use serde_json::Value;
use support::*;

// Test-only certificates (made once with rcgen; they protect nothing): a
// CA-signed leaf for ok.example.com valid until 4000, one for
// expired.example.com that expired in 2001, and a key of neither.
/// Leaf for ok.example.com, then its CA.
const OK_CERT: &str = "-----BEGIN CERTIFICATE-----\nMIIBYzCCAQmgAwIBAgIUTnZxmVzBoPxcBMah/6dtMZ4i7rAwCgYIKoZIzj0EAwIw\nITEfMB0GA1UEAwwWcmNnZW4gc2VsZiBzaWduZWQgY2VydDAgFw0wMDAxMDEwMDAw\nMDBaGA80MDAwMDEwMTAwMDAwMFowITEfMB0GA1UEAwwWcmNnZW4gc2VsZiBzaWdu\nZWQgY2VydDBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABHnHzuU4BX3K3I9K3CkN\nSQ1VBoNreU4BM+2LYcryKSCUSCIXXbi6J4F2xAHqwYdmIQvqc/i2RBpK+GB4+UvI\n+cKjHTAbMBkGA1UdEQQSMBCCDm9rLmV4YW1wbGUuY29tMAoGCCqGSM49BAMCA0gA\nMEUCIQDAFvg8Jgfw31o3SqQi6VeDD6yGoWXZS6G3VaDPaYCjJwIgYSt/ZBw4Qv1p\niUADHnU3dz1xRRlwsB1+k+XfZDRMJeU=\n-----END CERTIFICATE-----\n-----BEGIN CERTIFICATE-----\nMIIBiDCCAS6gAwIBAgIUf4gbEf6ESOB21kDN8pIeC4nFGsgwCgYIKoZIzj0EAwIw\nITEfMB0GA1UEAwwWcmNnZW4gc2VsZiBzaWduZWQgY2VydDAgFw03NTAxMDEwMDAw\nMDBaGA80MDk2MDEwMTAwMDAwMFowITEfMB0GA1UEAwwWcmNnZW4gc2VsZiBzaWdu\nZWQgY2VydDBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABIV30NQXgnmCIAtrlGK/\nqXffxoKh9h7z10HGFVNE42lJZMRyqzCp8UpjM61ECBtYKh51oQnD+bUAVQGJOXiL\nFmejQjBAMA4GA1UdDwEB/wQEAwIChDAdBgNVHQ4EFgQU7DDoYK0Xd6KvXdrTiRAu\nYK8hDVQwDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNIADBFAiB5JbBMZo0N\nBqb5WpclTXFFnzHQ80lOi4PLjrSfP7phFQIhAIqRA87Wv4M7vCQbdhBzgxjP//HV\n6w/DG2t0dEAmD0W/\n-----END CERTIFICATE-----\n";
/// Its PKCS#8 key.
const OK_KEY: &str = "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgmP+seCuKu4P2Kn71\nzizAjkIHkyBbJORyQoFyvqbTelOhRANCAAR5x87lOAV9ytyPStwpDUkNVQaDa3lO\nATPti2HK8ikglEgiF124uieBdsQB6sGHZiEL6nP4tkQaSvhgePlLyPnC\n-----END PRIVATE KEY-----\n";
/// Leaf for expired.example.com (2000-2001), then its CA.
const EXPIRED_CERT: &str = "-----BEGIN CERTIFICATE-----\nMIIBZDCCAQugAwIBAgITPwCcZlORn6lbJgP59f9Pw3JaoTAKBggqhkjOPQQDAjAh\nMR8wHQYDVQQDDBZyY2dlbiBzZWxmIHNpZ25lZCBjZXJ0MB4XDTAwMDEwMTAwMDAw\nMFoXDTAxMDEwMTAwMDAwMFowITEfMB0GA1UEAwwWcmNnZW4gc2VsZiBzaWduZWQg\nY2VydDBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABHwC/EZQB6dNlV0QYjVJP3rC\nO5kYtmlx8SOd4+sGQtBTavYpbMzdZLvxrVThOBbEKTXG/1pOeb6fGMVupheqDWWj\nIjAgMB4GA1UdEQQXMBWCE2V4cGlyZWQuZXhhbXBsZS5jb20wCgYIKoZIzj0EAwID\nRwAwRAIgOgjKCa+I4hlldkSekLWWezFDWwkTfOFrugMQavbsD7UCIF6BacfSgVk+\n8hU3SjMhuFcINN70G4CWjqDl6S/jlmHM\n-----END CERTIFICATE-----\n-----BEGIN CERTIFICATE-----\nMIIBiDCCAS6gAwIBAgIUf4gbEf6ESOB21kDN8pIeC4nFGsgwCgYIKoZIzj0EAwIw\nITEfMB0GA1UEAwwWcmNnZW4gc2VsZiBzaWduZWQgY2VydDAgFw03NTAxMDEwMDAw\nMDBaGA80MDk2MDEwMTAwMDAwMFowITEfMB0GA1UEAwwWcmNnZW4gc2VsZiBzaWdu\nZWQgY2VydDBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABIV30NQXgnmCIAtrlGK/\nqXffxoKh9h7z10HGFVNE42lJZMRyqzCp8UpjM61ECBtYKh51oQnD+bUAVQGJOXiL\nFmejQjBAMA4GA1UdDwEB/wQEAwIChDAdBgNVHQ4EFgQU7DDoYK0Xd6KvXdrTiRAu\nYK8hDVQwDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNIADBFAiB5JbBMZo0N\nBqb5WpclTXFFnzHQ80lOi4PLjrSfP7phFQIhAIqRA87Wv4M7vCQbdhBzgxjP//HV\n6w/DG2t0dEAmD0W/\n-----END CERTIFICATE-----\n";
/// Its key.
const EXPIRED_KEY: &str = "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgPC/qPAuBdcKG+QvV\neMWiSdVDcwpdYQpjg1bBtKfaB42hRANCAAR8AvxGUAenTZVdEGI1ST96wjuZGLZp\ncfEjnePrBkLQU2r2KWzM3WS78a1U4TgWxCk1xv9aTnm+nxjFbqYXqg1l\n-----END PRIVATE KEY-----\n";
/// A key that matches no certificate here.
const OTHER_KEY: &str = "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgBGJT+Umvg5dxo4Wx\ngPPF+rPbBjlHpCBlaeF0iAI54dyhRANCAAQVtqNcueUBiyp+Bdq/GVfpw1T+PHS2\nkN4Hjj8KtRy70+qsa4VGPH0Bdw53IIMbSPvgK1aP2aAVeAjhCzfF+sO6\n-----END PRIVATE KEY-----\n";

/// Our class, an Ingress with one `spec.tls[]` entry per case, and the
/// Secrets of the cases that have one.
fn manifests() -> ManifestDir {
    let cases = [
        ("ok.example.com", "ok-tls"),
        ("missing.example.com", "missing-tls"),
        ("opaque.example.com", "opaque-tls"),
        ("badpem.example.com", "badpem-tls"),
        ("mismatch.example.com", "mismatch-tls"),
        ("other.example.com", "ok-tls"),
        ("expired.example.com", "expired-tls"),
    ];
    let mut ingress = IngressYaml::new("web")
        .default_backend(service_backend("web", 80))
        .to_yaml();
    ingress.push_str("  tls:\n");
    for (host, secret) in cases {
        ingress.push_str(&format!("  - hosts:\n    - {host}\n    secretName: {secret}\n"));
    }
    let secrets = [
        SecretYaml::tls("ok-tls", OK_CERT, OK_KEY),
        SecretYaml::tls("opaque-tls", OK_CERT, OK_KEY).type_("Opaque"),
        SecretYaml::tls("badpem-tls", "not PEM", OK_KEY),
        SecretYaml::tls("mismatch-tls", OK_CERT, OTHER_KEY),
        SecretYaml::tls("expired-tls", EXPIRED_CERT, EXPIRED_KEY),
    ];
    ManifestDir::with_files(&[
        ("class.yaml", &our_default_class()),
        ("web.yaml", &ingress),
        ("secrets.yaml", &documents(secrets.iter().map(SecretYaml::to_yaml))),
    ])
}

#[test]
fn t3_check_reports_each_certificate_problem_with_ingress_and_secret() {
    let dir = manifests();
    let output = run(&["check", "--manifests", dir.path().to_str().unwrap()], "");
    // Like conflicts, TLS findings are warnings: every Ingress is served.
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let out = text(&output);
    let expect = [
        "host missing.example.com: Secret default/missing-tls: not found;",
        "host opaque.example.com: Secret default/opaque-tls: type is \"Opaque\", not \"kubernetes.io/tls\";",
        "host badpem.example.com: Secret default/badpem-tls: tls.crt is not valid PEM",
        "host mismatch.example.com: Secret default/mismatch-tls: tls.key does not match the certificate in tls.crt;",
        "host other.example.com: Secret default/ok-tls: the certificate's names do not cover host other.example.com;",
        "host expired.example.com: Secret default/expired-tls: the certificate expired at 2001-01-01T00:00:00Z;",
    ];
    for line in expect {
        let found = out
            .lines()
            .find(|l| l.contains(line))
            .unwrap_or_else(|| panic!("missing {line:?} in:\n{out}"));
        assert!(
            found.starts_with("tls: ") && found.contains("web.yaml:") && found.contains("[T3] default/web spec.tls["),
            "{found}"
        );
    }
    assert!(!out.contains("host ok.example.com:"), "{out}");
    assert!(out.contains("0 duplicates, 6 TLS findings\n"), "{out}");
    // No key material in the report.
    assert!(!out.contains("PRIVATE KEY") && !out.contains(&OK_KEY[40..80]), "{out}");
}

#[test]
fn t3_check_json_gives_each_tls_finding_its_kind() {
    let dir = manifests();
    let output = run(
        &["check", "--manifests", dir.path().to_str().unwrap(), "--format", "json"],
        "",
    );
    assert_eq!(output.status.code(), Some(0));
    let report: Value = serde_json::from_str(&text(&output)).unwrap();
    let tls = report["tls"].as_array().unwrap();
    let kinds: Vec<(&str, &str)> = tls
        .iter()
        .map(|f| (f["host"].as_str().unwrap(), f["kind"].as_str().unwrap()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("badpem.example.com", "bad_pem"),
            ("expired.example.com", "expired"),
            ("mismatch.example.com", "key_mismatch"),
            ("missing.example.com", "missing"),
            ("opaque.example.com", "wrong_type"),
            ("other.example.com", "not_covering"),
        ]
    );
    let first = &tls[0];
    assert_eq!(
        (first["rule"].as_str(), first["ingress"].as_str()),
        (Some("T3"), Some("default/web"))
    );
    assert_eq!(first["secret"], "default/badpem-tls");
    assert_eq!(first["field"], "spec.tls[3].hosts[0]");
    assert!(first["source"]["file"].as_str().unwrap().ends_with("web.yaml"));
    assert_eq!(report["summary"]["tls_findings"], 6);
}

#[test]
fn t1_check_reports_a_tls_host_claimed_with_two_secrets() {
    let older = IngressYaml::new("older")
        .created("2020-01-01T00:00:00Z")
        .default_backend(service_backend("a", 80));
    let newer = IngressYaml::new("newer").default_backend(service_backend("b", 80));
    let with_tls = |yaml: String, secret: &str| {
        format!("{yaml}  tls:\n  - hosts:\n    - ok.example.com\n    secretName: {secret}\n")
    };
    let dir = ManifestDir::with_files(&[
        ("class.yaml", &our_default_class()),
        ("older.yaml", &with_tls(older.to_yaml(), "ok-tls")),
        ("newer.yaml", &with_tls(newer.to_yaml(), "new-tls")),
        ("secrets.yaml", &SecretYaml::tls("ok-tls", OK_CERT, OK_KEY).to_yaml()),
    ]);
    let output = run(&["check", "--manifests", dir.path().to_str().unwrap()], "");
    let out = text(&output);
    assert!(
        out.contains(
            "[T1] default/newer spec.tls[0].hosts[0]: host ok.example.com names Secret default/new-tls, but default/older spec.tls[0].hosts[0] claims it first with Secret default/ok-tls"
        ),
        "{out}"
    );
    // The losing claim's missing Secret is never looked at: one finding.
    assert!(out.contains("0 duplicates, 1 TLS finding\n"), "{out}");
}
