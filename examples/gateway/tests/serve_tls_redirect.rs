//! The plain listener's redirect to HTTPS: a request for a host listed in a
//! served Ingress's `spec.tls` gets 308 to the same URL on the TLS
//! listener, but ACME HTTP-01 challenges, hosts without TLS and a gateway
//! without `--listen-tls` are routed as usual, and `--https-redirect=false`
//! turns it off. All on 127.0.0.1, each step bounded by [`STEP`].

mod support;

use support::tls::{TestCa, TlsClient, manifests, start};
use support::*;

#[tokio::test]
async fn a_plain_request_for_a_tls_host_is_sent_to_the_same_url_on_https() {
    let app = Backend::start("app").await;
    let ca = TestCa::new();
    let leaf = ca.leaf(&["shop.example", "*.tls.example"]);
    let dir = manifests(
        &app,
        &[("shop.example", "shop-tls"), ("*.tls.example", "shop-tls")],
        &[("shop-tls", &leaf)],
    );
    let (gateway, tls) = start(&dir, &[]).await;
    let port = tls.port();
    for (host, target, location) in [
        (
            "shop.example",
            "/cart?id=1",
            format!("https://shop.example:{port}/cart?id=1"),
        ),
        ("Shop.Example:80", "/", format!("https://shop.example:{port}/")),
        ("api.tls.example", "/v1", format!("https://api.tls.example:{port}/v1")),
    ] {
        let answer = get(gateway.addr, host, target).await;
        assert_eq!(answer.status, 308, "{host}{target}: {}", answer.text());
        assert_eq!(answer.header("location"), Some(location.as_str()));
        assert_eq!(app.hits(), 0, "a redirect is answered by the gateway");
    }
    // HTTP/2 over cleartext is redirected too.
    let answer = Pooled::http2(gateway.addr).get("shop.example", "/h2").await.unwrap();
    assert_eq!(answer.status, 308);
    assert_eq!(
        answer.header("location"),
        Some(format!("https://shop.example:{port}/h2").as_str())
    );
    // Where it leads, the same request is served, as https.
    let client = TlsClient::verifying(&ca);
    let mut https = client.connect(tls, "shop.example").await.unwrap().http().await.unwrap();
    let seen = https.get("shop.example", "/cart?id=1").await.unwrap().seen();
    assert_eq!(seen.target(), "/cart?id=1");
    assert_eq!(seen.header("x-forwarded-proto"), Some("https"));
}

#[tokio::test]
async fn acme_challenges_and_hosts_without_tls_are_routed_as_usual() {
    let app = Backend::start("app").await;
    let ca = TestCa::new();
    let leaf = ca.leaf(&["shop.example"]);
    let dir = manifests(&app, &[("shop.example", "shop-tls")], &[("shop-tls", &leaf)]);
    let (gateway, _tls) = start(&dir, &[]).await;
    let seen = get(gateway.addr, "shop.example", "/.well-known/acme-challenge/token-1")
        .await
        .seen();
    assert_eq!(seen.target(), "/.well-known/acme-challenge/token-1");
    assert_eq!(seen.header("x-forwarded-proto"), Some("http"));
    // A host no spec.tls lists.
    let seen = get(gateway.addr, "plain.example", "/cart").await.seen();
    assert_eq!(seen.target(), "/cart");
    // Next to the challenge directory: redirected.
    assert_eq!(
        get(gateway.addr, "shop.example", "/.well-known/other").await.status,
        308
    );
}

#[tokio::test]
async fn https_redirect_false_turns_it_off_and_the_port_flag_names_the_public_port() {
    let app = Backend::start("app").await;
    let ca = TestCa::new();
    let leaf = ca.leaf(&["shop.example"]);
    let dir = manifests(&app, &[("shop.example", "shop-tls")], &[("shop-tls", &leaf)]);
    {
        let (gateway, _tls) = start(&dir, &["--https-redirect=false"]).await;
        let seen = get(gateway.addr, "shop.example", "/cart").await.seen();
        assert_eq!(seen.target(), "/cart");
    }
    {
        // Behind a Service whose port 443 leads to the TLS listener.
        let (gateway, _tls) = start(&dir, &["--https-redirect-port", "443"]).await;
        let answer = get(gateway.addr, "shop.example", "/cart").await;
        assert_eq!(answer.status, 308);
        assert_eq!(answer.header("location"), Some("https://shop.example/cart"));
    }
    {
        // No TLS listener: nowhere to redirect to.
        let gateway = Gateway::start(dir.path(), &[]).await;
        assert_eq!(gateway.tls, None);
        let seen = get(gateway.addr, "shop.example", "/cart").await.seen();
        assert_eq!(seen.target(), "/cart");
    }
}
