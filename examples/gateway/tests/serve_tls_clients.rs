//! `serve --listen-tls` against real clients: curl (`--resolve`,
//! `--cacert`, HTTP/2 and HTTP/1.1, following the HTTPS redirect) and
//! `openssl s_client` (`-servername`, no SNI, TLS 1.2, resumption). Each
//! test is skipped, saying so, where the tool is not installed (CI
//! installs the `curl` and `openssl` packages). Loopback only; every
//! command runs under `timeout 20`.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

mod support;

use serde_json::Value;
use support::tls::{TestCa, manifests, run_tool, start, tool};
use support::*;

#[tokio::test]
async fn curl_gets_h2_and_http1_and_follows_the_redirect() {
    let Some(curl) = tool("curl") else { return };
    let app = Backend::start("app").await;
    let ca = TestCa::new();
    let leaf = ca.leaf(&["shop.example"]);
    let dir = manifests(&app, &[("shop.example", "shop-tls")], &[("shop-tls", &leaf)]);
    let ca_file = dir.write("ca.pem", ca.pem());
    let (gateway, tls) = start(&dir, &[]).await;
    let resolve = |port: u16| format!("shop.example:{port}:127.0.0.1");
    let common = |port: u16| {
        vec![
            "--silent".to_owned(),
            "--show-error".to_owned(),
            "--max-time".to_owned(),
            "10".to_owned(),
            "--resolve".to_owned(),
            resolve(port),
            "--cacert".to_owned(),
            ca_file.to_str().unwrap().to_owned(),
        ]
    };
    for (flag, version) in [("--http2", "2"), ("--http1.1", "1.1")] {
        let mut args = common(tls.port());
        args.extend([
            flag.to_owned(),
            "--write-out".to_owned(),
            "\n%{http_version} %{response_code}".to_owned(),
            format!("https://shop.example:{}/cart?id=1", tls.port()),
        ]);
        let (ok, out, err) = run_tool(&curl, &args).await;
        assert!(ok, "curl {flag}: {err}");
        let (body, status) = out.rsplit_once('\n').unwrap();
        assert_eq!(status, format!("{version} 200"));
        let seen: Value = serde_json::from_str(body).unwrap();
        assert_eq!(seen["backend"], "app", "{body}");
        assert_eq!(seen["target"], "/cart?id=1");
        assert_eq!(Seen(seen).header("x-forwarded-proto"), Some("https"));
    }
    // http:// to the plain listener: 308, then the same URL over HTTPS.
    let mut args = common(gateway.addr.port());
    args.extend([
        "--resolve".to_owned(),
        resolve(tls.port()),
        "--location".to_owned(),
        "--write-out".to_owned(),
        "\n%{url_effective} %{num_redirects}".to_owned(),
        format!("http://shop.example:{}/cart", gateway.addr.port()),
    ]);
    let (ok, out, err) = run_tool(&curl, &args).await;
    assert!(ok, "curl --location: {err}");
    let (body, followed) = out.rsplit_once('\n').unwrap();
    assert_eq!(followed, format!("https://shop.example:{}/cart 1", tls.port()));
    assert_eq!(
        Seen(serde_json::from_str(body).unwrap()).header("x-forwarded-proto"),
        Some("https")
    );
}

/// `openssl s_client` with `args`, its output; it must have finished a
/// handshake.
async fn s_client(openssl: &std::path::Path, tls: std::net::SocketAddr, args: &[&str]) -> String {
    let mut all = vec![
        "s_client".to_owned(),
        "-connect".to_owned(),
        tls.to_string(),
        "-showcerts".to_owned(),
    ];
    all.extend(args.iter().map(|arg| (*arg).to_owned()));
    let (_, out, err) = run_tool(openssl, &all).await;
    assert!(
        out.contains("-----BEGIN CERTIFICATE-----"),
        "no handshake: {out}\n{err}"
    );
    out
}

/// The first certificate in `s_client`'s output, as PEM.
fn first_certificate(out: &str) -> String {
    let start = out.find("-----BEGIN CERTIFICATE-----").unwrap();
    let end = out.get(start..).unwrap().find("-----END CERTIFICATE-----").unwrap() + start;
    out.get(start..end).unwrap().to_owned()
}

#[tokio::test]
async fn openssl_s_client_sees_the_certificate_sni_chooses() {
    let Some(openssl) = tool("openssl") else { return };
    let app = Backend::start("app").await;
    let ca = TestCa::new();
    let leaf = ca.leaf(&["shop.example"]);
    let dir = manifests(&app, &[("shop.example", "shop-tls")], &[("shop-tls", &leaf)]);
    let ca_file = dir.write("ca.pem", ca.pem());
    let ca_file = ca_file.to_str().unwrap();
    let (_gateway, tls) = start(&dir, &[]).await;
    let leaf_pem = leaf
        .cert_pem
        .split("-----END CERTIFICATE-----")
        .next()
        .unwrap()
        .to_owned();

    let out = s_client(
        &openssl,
        tls,
        &[
            "-servername",
            "shop.example",
            "-CAfile",
            ca_file,
            "-verify_hostname",
            "shop.example",
            "-alpn",
            "h2,http/1.1",
        ],
    )
    .await;
    assert!(out.contains("Verify return code: 0 (ok)"), "{out}");
    assert!(out.contains("ALPN protocol: h2"), "{out}");
    assert!(out.contains("TLSv1.3"), "{out}");
    assert_eq!(first_certificate(&out), leaf_pem);

    let out = s_client(
        &openssl,
        tls,
        &["-servername", "shop.example", "-alpn", "http/1.1", "-tls1_2"],
    )
    .await;
    assert!(out.contains("ALPN protocol: http/1.1"), "{out}");
    assert!(out.contains("Protocol  : TLSv1.2"), "{out}");

    // An unknown name and no SNI: the default, which the CA did not sign.
    for args in [&["-servername", "unknown.example"][..], &["-noservername"]] {
        let mut args = args.to_vec();
        args.extend(["-CAfile", ca_file]);
        let out = s_client(&openssl, tls, &args).await;
        assert_ne!(first_certificate(&out), leaf_pem, "{args:?}");
        assert!(!out.contains("Verify return code: 0 (ok)"), "{args:?}: {out}");
    }
}

#[tokio::test]
async fn openssl_s_client_resumes_a_tls12_session() {
    let Some(openssl) = tool("openssl") else { return };
    let app = Backend::start("app").await;
    let ca = TestCa::new();
    let leaf = ca.leaf(&["shop.example"]);
    let dir = manifests(&app, &[("shop.example", "shop-tls")], &[("shop-tls", &leaf)]);
    let session = dir.path().join("session.pem");
    let session = session.to_str().unwrap();
    let (_gateway, tls) = start(&dir, &[]).await;
    let first = s_client(
        &openssl,
        tls,
        &["-servername", "shop.example", "-tls1_2", "-sess_out", session],
    )
    .await;
    assert!(first.contains("New, TLSv1.2"), "{first}");
    let again = s_client(
        &openssl,
        tls,
        &["-servername", "shop.example", "-tls1_2", "-sess_in", session],
    )
    .await;
    assert!(again.contains("Reused, TLSv1.2"), "{again}");
}
