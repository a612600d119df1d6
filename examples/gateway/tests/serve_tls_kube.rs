//! `serve --kube --listen-tls`: certificates from `kubernetes.io/tls`
//! Secrets watched in the cluster (the fake API server on loopback), a
//! rotated Secret served from the next handshake, and no Secret read
//! without `--listen-tls`.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

mod support;

use std::ffi::OsString;
use std::time::Duration;

use ingress_test_support::SecretYaml;
use ingress_test_support::apiserver::FakeApiServer;
use serde_json::{Value, json};
use support::tls::{Leaf, TestCa, TlsClient};
use support::*;

fn objects(fake: &FakeApiServer, backend: &Backend) {
    fake.apply(json!({
        "apiVersion": "networking.k8s.io/v1", "kind": "IngressClass",
        "metadata": {"name": "gateway",
            "annotations": {"ingressclass.kubernetes.io/is-default-class": "true"}},
        "spec": {"controller": CONTROLLER},
    }))
    .unwrap();
    fake.apply(json!({
        "apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
        "metadata": {"name": "shop", "namespace": "default"},
        "spec": {
            "tls": [{"hosts": ["shop.example"], "secretName": "shop-tls"}],
            "rules": [{"host": "shop.example", "http": {"paths": [{"path": "/", "pathType": "Prefix",
                "backend": {"service": {"name": "shop", "port": {"number": 80}}}}]}}]},
    }))
    .unwrap();
    fake.apply(json!({
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "shop", "namespace": "default"},
        "spec": {"ports": [{"name": "http", "port": 80, "targetPort": backend.addr.port()}]},
    }))
    .unwrap();
    fake.apply(json!({
        "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
        "metadata": {"name": "shop-1", "namespace": "default",
            "labels": {"kubernetes.io/service-name": "shop"}},
        "addressType": "IPv4",
        "endpoints": [{"addresses": ["127.0.0.1"], "conditions": {"ready": true}}],
        "ports": [{"name": "http", "port": backend.addr.port()}],
    }))
    .unwrap();
}

/// The Secret as the API stores it (base64 `data`), read from the YAML
/// the manifest tests use.
fn secret(leaf: &Leaf) -> Value {
    let yaml = SecretYaml::tls("shop-tls", &leaf.cert_pem, &leaf.key_pem)
        .namespace("default")
        .to_yaml();
    serde_saphyr::from_str(&yaml).unwrap()
}

async fn start(fake: &FakeApiServer, dir: &ManifestDir, extra: &[&str]) -> Gateway {
    let kubeconfig = fake.write_kubeconfig(dir.path()).unwrap();
    let mut args: Vec<OsString> = [
        "serve",
        "--kube",
        "--listen",
        "127.0.0.1:0",
        "--admin-listen",
        "127.0.0.1:0",
        "--coalesce-quiet-ms",
        "20",
        "--coalesce-max-ms",
        "200",
    ]
    .map(OsString::from)
    .to_vec();
    args.extend(extra.iter().map(OsString::from));
    Gateway::spawn(&args, &[("KUBECONFIG", kubeconfig.as_os_str())]).await
}

fn secret_requests(fake: &FakeApiServer) -> usize {
    fake.count_requests(|request| request.path_and_query.contains("secrets"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_secrets_serve_by_sni_and_a_rotation_serves_the_next_handshake() {
    let fake = FakeApiServer::start().await.unwrap();
    let dir = ManifestDir::new();
    let shop = Backend::start("shop").await;
    objects(&fake, &shop);
    let ca = TestCa::new();
    let (old, new) = (ca.leaf(&["shop.example"]), ca.leaf(&["shop.example"]));
    fake.apply(secret(&old)).unwrap();
    let gateway = start(&fake, &dir, &["--listen-tls", "127.0.0.1:0"]).await;
    let tls = gateway.tls.unwrap();
    let client = TlsClient::verifying(&ca).without_resumption();
    // The first tables wait for the Secrets' list: once routed, the
    // certificate is the Secret's.
    let answer = eventually("shop.example is routed over HTTPS", Duration::from_secs(20), || async {
        let mut https = client.connect(tls, "shop.example").await.ok()?.http().await.ok()?;
        let answer = https.get("shop.example", "/").await.ok()?;
        (answer.status == 200).then_some(answer)
    })
    .await;
    assert_eq!(answer.seen().header("x-forwarded-proto"), Some("https"));
    assert_eq!(client.served(tls, "shop.example").await, old.der);
    assert!(secret_requests(&fake) > 0);

    fake.apply(secret(&new)).unwrap();
    eventually("the rotated certificate is served", Duration::from_secs(20), || async {
        (client.served(tls, "shop.example").await == new.der).then_some(())
    })
    .await;
    // And the plain listener redirects the TLS host.
    let answer = get(gateway.addr, "shop.example", "/a").await;
    assert_eq!(answer.status, 308);
    assert_eq!(
        answer.header("location"),
        Some(format!("https://shop.example:{}/a", tls.port()).as_str())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_listen_tls_no_secret_is_read() {
    let fake = FakeApiServer::start().await.unwrap();
    let dir = ManifestDir::new();
    let shop = Backend::start("shop").await;
    objects(&fake, &shop);
    fake.apply(secret(&TestCa::new().leaf(&["shop.example"]))).unwrap();
    let gateway = start(&fake, &dir, &[]).await;
    eventually("shop.example is routed", Duration::from_secs(20), || async {
        let answer = try_get(gateway.addr, "shop.example", "/").await.ok()?;
        (answer.status == 200).then_some(())
    })
    .await;
    assert_eq!(secret_requests(&fake), 0);
}
