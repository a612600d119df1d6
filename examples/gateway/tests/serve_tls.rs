//! `ingress-gateway serve --listen-tls`: certificates chosen by SNI from
//! the Ingresses' `spec.tls` Secrets (T1-T3 of ingress-core's
//! `SEMANTICS.md`), HTTP/2 and HTTP/1.1 by ALPN, `X-Forwarded-Proto: https`
//! upstream, rotation without a failed handshake, and no key material in
//! the logs or on the admin pages. All on 127.0.0.1, bounded by [`STEP`]
//! per step.

mod support;

use std::time::{Duration, Instant};

use std::ffi::{OsStr, OsString};

use support::tls::{TestCa, TlsClient, manifests, names, start, write_secret};
use support::*;

#[tokio::test]
async fn t2_sni_picks_exact_over_wildcard_and_a_wildcard_covers_one_label() {
    let app = Backend::start("app").await;
    let ca = TestCa::new();
    let (exact, www, wildcard) = (
        ca.leaf(&["shop.example"]),
        ca.leaf(&["www.shop.example"]),
        ca.leaf(&["*.shop.example"]),
    );
    let dir = manifests(
        &app,
        &[
            ("shop.example", "exact-tls"),
            ("www.shop.example", "www-tls"),
            ("*.shop.example", "wild-tls"),
        ],
        &[("exact-tls", &exact), ("www-tls", &www), ("wild-tls", &wildcard)],
    );
    let (_gateway, tls) = start(&dir, &[]).await;
    // A browser's client, checking the chain against the test CA.
    let verifying = TlsClient::verifying(&ca);
    assert_eq!(verifying.served(tls, "shop.example").await, exact.der);
    assert_eq!(
        verifying.served(tls, "www.shop.example").await,
        www.der,
        "exact beats wildcard"
    );
    assert_eq!(verifying.served(tls, "api.shop.example").await, wildcard.der);
    // SNI is compared in canonical form.
    assert_eq!(verifying.served(tls, "API.Shop.Example").await, wildcard.der);
    // Two labels under the wildcard: not covered (M1), the default serves,
    // which the test CA did not sign.
    let any = TlsClient::any_certificate();
    let deeper = any.served(tls, "a.b.shop.example").await;
    assert!(names(&deeper, "ingress.local"), "the self-signed default");
    assert!(verifying.connect(tls, "a.b.shop.example").await.is_err());
}

#[tokio::test]
async fn t3_no_sni_and_unknown_names_get_the_self_signed_default() {
    let app = Backend::start("app").await;
    let ca = TestCa::new();
    let leaf = ca.leaf(&["shop.example"]);
    let dir = manifests(&app, &[("shop.example", "shop-tls")], &[("shop-tls", &leaf)]);
    let (_gateway, tls) = start(&dir, &[]).await;
    let any = TlsClient::any_certificate();
    let unknown = any.served(tls, "unknown.example").await;
    let no_sni = any.clone().without_sni().served(tls, "shop.example").await;
    assert_eq!(unknown, no_sni, "one default certificate");
    assert_ne!(unknown, leaf.der);
    assert!(names(&unknown, "ingress.local"));
    // ...and it serves: the request is routed by Host, not by SNI (T2).
    let mut https = any.connect(tls, "unknown.example").await.unwrap().http().await.unwrap();
    let answer = https.get("shop.example", "/").await.unwrap();
    assert_eq!(answer.seen().backend(), "app");
}

#[tokio::test]
async fn t3_a_broken_or_missing_secret_leaves_only_its_hosts_to_the_default() {
    let app = Backend::start("app").await;
    let ca = TestCa::new();
    let good = ca.leaf(&["good.example"]);
    let other = ca.leaf(&["other.example"]);
    let mut broken = ca.leaf(&["broken.example"]);
    // A key of another certificate: the Secret cannot serve.
    broken.key_pem = other.key_pem.clone();
    let dir = manifests(
        &app,
        &[
            ("good.example", "good-tls"),
            ("broken.example", "broken-tls"),
            ("missing.example", "missing-tls"),
        ],
        &[("good-tls", &good), ("broken-tls", &broken)],
    );
    let (gateway, tls) = start(&dir, &[]).await;
    let any = TlsClient::any_certificate();
    assert_eq!(any.served(tls, "good.example").await, good.der);
    for host in ["broken.example", "missing.example"] {
        let served = any.served(tls, host).await;
        assert!(names(&served, "ingress.local"), "{host} gets the default");
    }
    // Each problem is logged, naming the Ingress, host and Secret.
    let logs = gateway.logs();
    for expected in [
        "host broken.example: Secret default/broken-tls",
        "host missing.example: Secret default/missing-tls: not found",
    ] {
        assert!(logs.contains(expected), "no {expected:?} in:\n{logs}");
    }
}

#[tokio::test]
async fn the_default_certificate_flag_names_a_secret_for_unknown_names() {
    let app = Backend::start("app").await;
    let ca = TestCa::new();
    let fallback = ca.leaf(&["fallback.example"]);
    let dir = manifests(&app, &[], &[("fallback-tls", &fallback)]);
    let (_gateway, tls) = start(&dir, &["--default-certificate", "default/fallback-tls"]).await;
    let any = TlsClient::any_certificate();
    assert_eq!(any.served(tls, "unknown.example").await, fallback.der);
    assert_eq!(any.without_sni().served(tls, "x.example").await, fallback.der);
}

#[tokio::test]
async fn alpn_h2_and_http1_are_both_served_and_forwarded_as_https() {
    let app = Backend::start("app").await;
    let ca = TestCa::new();
    let leaf = ca.leaf(&["shop.example"]);
    let dir = manifests(&app, &[("shop.example", "shop-tls")], &[("shop-tls", &leaf)]);
    let (gateway, tls) = start(&dir, &["--https-redirect=false"]).await;
    let client = TlsClient::verifying(&ca);
    for (offered, chosen) in [
        (&[&b"h2"[..], b"http/1.1"][..], &b"h2"[..]),
        (&[&b"http/1.1"[..]][..], &b"http/1.1"[..]),
        // No ALPN at all: HTTP/1.1.
        (&[][..], &b""[..]),
    ] {
        let connection = client.clone().alpn(offered).connect(tls, "shop.example").await.unwrap();
        assert_eq!(connection.alpn().unwrap_or_default(), chosen);
        let mut https = connection.http().await.unwrap();
        for _ in 0..2 {
            let seen = https.get("shop.example", "/cart?id=1").await.unwrap().seen();
            assert_eq!(seen.header("x-forwarded-proto"), Some("https"), "{chosen:?}");
            assert_eq!(seen.target(), "/cart?id=1");
        }
    }
    // The plain listener still says http.
    let seen = get(gateway.addr, "shop.example", "/").await.seen();
    assert_eq!(seen.header("x-forwarded-proto"), Some("http"));
}

#[tokio::test]
async fn tls_1_2_and_1_3_are_served_and_sessions_resume() {
    let app = Backend::start("app").await;
    let ca = TestCa::new();
    let leaf = ca.leaf(&["shop.example"]);
    let dir = manifests(&app, &[("shop.example", "shop-tls")], &[("shop-tls", &leaf)]);
    let (_gateway, tls) = start(&dir, &[]).await;
    for client in [TlsClient::verifying(&ca), TlsClient::any_certificate().tls12_only()] {
        let first = client.connect(tls, "shop.example").await.unwrap();
        let version = first.version();
        assert!(!first.resumed());
        // TLS 1.3 tickets come after the handshake: a request reads them.
        let mut https = first.http().await.unwrap();
        https.get("shop.example", "/").await.unwrap().seen();
        let again = client.connect(tls, "shop.example").await.unwrap();
        assert_eq!(again.version(), version);
        assert!(again.resumed(), "{version:?} resumes");
    }
}

#[tokio::test]
async fn a_rotated_secret_serves_from_the_next_handshake_and_none_fails() {
    let app = Backend::start("app").await;
    let ca = TestCa::new();
    let old = ca.leaf(&["shop.example"]);
    let new = ca.leaf(&["shop.example"]);
    let dir = manifests(&app, &[("shop.example", "shop-tls")], &[("shop-tls", &old)]);
    let (_gateway, tls) = start(&dir, &[]).await;
    // Full handshakes: a resumed session would show the certificate it
    // began with.
    let client = TlsClient::verifying(&ca).alpn(&[b"http/1.1"]).without_resumption();
    // A connection opened before the rotation...
    let mut open = client.connect(tls, "shop.example").await.unwrap().http().await.unwrap();
    open.get("shop.example", "/").await.unwrap().seen();

    // New connections, one after another, on two tasks, while the Secret
    // is rewritten (cert-manager renewing it).
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut loops = Vec::new();
    for _ in 0..2 {
        let (client, stop) = (client.clone(), std::sync::Arc::clone(&stop));
        let (old, new) = (old.der.clone(), new.der.clone());
        loops.push(tokio::spawn(async move {
            let (mut made, mut failures, mut first_new) = (0_usize, Vec::new(), None);
            let started = Instant::now();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) && started.elapsed() < Duration::from_secs(20) {
                made += 1;
                let exchange = async {
                    let connection = client.connect(tls, "shop.example").await?;
                    let served = connection.certificate();
                    let answer = connection.http().await?.get("shop.example", "/").await?;
                    if answer.status != 200 {
                        return Err(format!("status {}", answer.status));
                    }
                    Ok::<_, String>(served)
                };
                match exchange.await {
                    Ok(served) if served == new => {
                        first_new.get_or_insert(made);
                    }
                    // Once the new certificate was served, never the old again.
                    Ok(served) if served == old && first_new.is_none() => {}
                    Ok(_) => failures.push(format!("connection {made}: an unexpected certificate")),
                    Err(error) => failures.push(format!("connection {made}: {error}")),
                }
            }
            (made, failures, first_new)
        }));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    write_secret(&dir, "shop-tls", &new);
    // Until both loops saw the new certificate, for a while after.
    eventually("the new certificate is served", Duration::from_secs(10), || async {
        let served = client.served(tls, "shop.example").await;
        (served == new.der).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for task in loops {
        let (made, failures, first_new) = task.await.unwrap();
        assert!(failures.is_empty(), "{} of {made} failed: {failures:?}", failures.len());
        let first_new = first_new.unwrap_or_else(|| panic!("the new certificate never served in {made} connections"));
        assert!(first_new > 1, "the old certificate served first");
    }
    // ...goes on after it.
    open.get("shop.example", "/").await.unwrap().seen();
}

#[tokio::test]
async fn key_material_never_reaches_the_logs_or_the_admin_pages() {
    let app = Backend::start("app").await;
    let ca = TestCa::new();
    let (old, new, other) = (
        ca.leaf(&["shop.example"]),
        ca.leaf(&["shop.example"]),
        ca.leaf(&["other.example"]),
    );
    let mut broken = ca.leaf(&["broken.example"]);
    broken.key_pem = other.key_pem.clone();
    let dir = manifests(
        &app,
        &[("shop.example", "shop-tls"), ("broken.example", "broken-tls")],
        &[("shop-tls", &old), ("broken-tls", &broken), ("fallback-tls", &other)],
    );
    let args: Vec<OsString> = [
        "serve",
        "--manifests",
        dir.path().to_str().unwrap(),
        "--listen",
        "127.0.0.1:0",
        "--admin-listen",
        "127.0.0.1:0",
        "--listen-tls",
        "127.0.0.1:0",
        "--default-certificate",
        "default/fallback-tls",
        "--reload-interval-ms",
        "50",
    ]
    .map(OsString::from)
    .to_vec();
    // Everything the gateway logs, down to debug.
    let gateway = Gateway::spawn(&args, &[("RUST_LOG", OsStr::new("debug"))]).await;
    let tls = gateway.tls.unwrap();
    let client = TlsClient::verifying(&ca).without_resumption();
    let mut https = client.connect(tls, "shop.example").await.unwrap().http().await.unwrap();
    https.get("shop.example", "/").await.unwrap().seen();
    // A rotation, and a handshake that fails (a client that trusts
    // nothing the gateway has).
    write_secret(&dir, "shop-tls", &new);
    eventually("the new certificate is served", Duration::from_secs(10), || async {
        (client.served(tls, "shop.example").await == new.der).then_some(())
    })
    .await;
    assert!(
        TlsClient::verifying(&TestCa::new())
            .connect(tls, "shop.example")
            .await
            .is_err()
    );
    let logs = gateway.logs();
    assert!(logs.contains("certificates loaded"), "{logs}");
    assert!(logs.contains("DEBUG"), "debug lines are logged: {logs}");
    let routes = gateway.routes().await.to_string();
    let metrics = gateway.metrics().await;
    for (what, text) in [("logs", &logs), ("/routes", &routes), ("/metrics", &metrics)] {
        assert!(!text.contains("PRIVATE KEY"), "a key's PEM in {what}");
        for leaf in [&old, &new, &other, &broken] {
            assert!(leaf.key_lines().len() >= 2);
            for line in leaf.key_lines() {
                assert!(!text.contains(line), "key material in {what}");
            }
        }
    }
}

/// The value of the metric line starting with `name` (labels included).
fn metric(metrics: &str, name: &str) -> Option<f64> {
    metrics
        .lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
}

#[tokio::test]
async fn failed_handshakes_are_counted_by_reason() {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let app = Backend::start("app").await;
    let ca = TestCa::new();
    let leaf = ca.leaf(&["shop.example"]);
    let dir = manifests(&app, &[("shop.example", "shop-tls")], &[("shop-tls", &leaf)]);
    let (gateway, tls) = start(&dir, &["--header-read-timeout-ms", "1500"]).await;
    let failures = |metrics: &str, reason: &str| {
        metric(
            metrics,
            &format!("ingress_tls_handshake_failures_total{{reason=\"{reason}\"}}"),
        )
    };
    let before = gateway.metrics().await;
    for reason in ["timeout", "closed", "client_alert", "protocol"] {
        assert_eq!(failures(&before, reason), Some(0.0), "{reason}\n{before}");
    }

    // One that finishes.
    TlsClient::verifying(&ca).connect(tls, "shop.example").await.unwrap();
    // A client that does not trust our certificate says so with an alert.
    let stranger = TlsClient::verifying(&TestCa::new());
    assert!(stranger.connect(tls, "shop.example").await.is_err());
    // A TCP check: connect and close.
    drop(step("connect", tokio::net::TcpStream::connect(tls)).await.unwrap());
    // Plain HTTP to the TLS port.
    let mut plain = step("connect", tokio::net::TcpStream::connect(tls)).await.unwrap();
    plain
        .write_all(b"GET / HTTP/1.1\r\nHost: shop.example\r\n\r\n")
        .await
        .unwrap();
    let mut rest = Vec::new();
    let _ = step("the TLS port closes", plain.read_to_end(&mut rest)).await;
    // Silent until the header read timeout.
    let mut silent = step("connect", tokio::net::TcpStream::connect(tls)).await.unwrap();
    let _ = step("the silent connection closes", silent.read_to_end(&mut rest)).await;

    let counted = eventually("every handshake counted", STEP, || async {
        let metrics = gateway.metrics().await;
        let reasons = ["timeout", "closed", "client_alert", "protocol"];
        reasons
            .iter()
            .all(|reason| failures(&metrics, reason) == Some(1.0))
            .then_some(metrics)
    })
    .await;
    assert_eq!(metric(&counted, "ingress_tls_handshakes_total"), Some(1.0), "{counted}");
}
