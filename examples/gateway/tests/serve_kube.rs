//! `ingress-gateway serve --kube`: the real binary against the fake API
//! server (through `KUBECONFIG`, plain http on loopback), routing to
//! loopback backends.
// Test code: answers are indexed and unwrapped, and a failure is a panic.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

mod support;

use std::ffi::OsString;
use std::path::Path;
use std::time::{Duration, Instant};

use ingress_test_support::apiserver::FakeApiServer;
use serde_json::{Value, json};
use support::binary::run;
use support::client::{Answer, request, send};
use support::{Backend, Gateway};

/// How long the gateway may take to converge.
const PATIENCE: Duration = Duration::from_secs(20);

/// `serve --kube` with `KUBECONFIG` at `kubeconfig`, and `extra` flags.
async fn start(kubeconfig: &Path, extra: &[&str]) -> Gateway {
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

/// What a cluster-fed gateway is asked in these tests.
trait Ask {
    async fn get(&self, host: &str) -> Answer;
    async fn until_served_by(&self, host: &str, backend: &str);
}

impl Ask for Gateway {
    async fn get(&self, host: &str) -> Answer {
        send(self.addr, &request("GET", "/", Some(host), &[], b"")).await
    }

    /// Waits until a request for `host` is answered by `backend`.
    async fn until_served_by(&self, host: &str, backend: &str) {
        let started = Instant::now();
        loop {
            let answer = self.get(host).await;
            if answer.backend() == Some(backend) {
                return;
            }
            assert!(
                started.elapsed() < PATIENCE,
                "{host} not served by {backend}: {} {}\n{}",
                answer.status,
                answer.text(),
                self.logs()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

fn class() -> Value {
    json!({
        "apiVersion": "networking.k8s.io/v1", "kind": "IngressClass",
        "metadata": {"name": "gateway",
            "annotations": {"ingressclass.kubernetes.io/is-default-class": "true"}},
        "spec": {"controller": "ingress-rs.dev/ingress-gateway"},
    })
}

fn ingress(name: &str, host: &str, service: &str) -> Value {
    json!({
        "apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"rules": [{"host": host, "http": {"paths": [{"path": "/", "pathType": "Prefix",
            "backend": {"service": {"name": service, "port": {"number": 80}}}}]}}]},
    })
}

/// Service `name` (port 80) with one ready endpoint: `backend`.
fn service_of(fake: &FakeApiServer, name: &str, backend: &Backend) {
    fake.apply(json!({
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"ports": [{"name": "http", "port": 80, "targetPort": backend.addr.port()}]},
    }))
    .unwrap();
    fake.apply(json!({
        "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
        "metadata": {"name": format!("{name}-1"), "namespace": "default",
            "labels": {"kubernetes.io/service-name": name}},
        "addressType": "IPv4",
        "endpoints": [{"addresses": ["127.0.0.1"], "conditions": {"ready": true}}],
        "ports": [{"name": "http", "port": backend.addr.port()}],
    }))
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_503_with_retry_after_until_synced_then_routes_what_the_cluster_adds() {
    let fake = FakeApiServer::start().await.unwrap();
    let dir = ingress_test_support::ManifestDir::new();
    let kubeconfig = fake.write_kubeconfig(dir.path()).unwrap();
    let web = Backend::start("web").await;
    let shop = Backend::start("shop").await;
    fake.apply(class()).unwrap();
    fake.apply(ingress("web", "web.example", "web")).unwrap();
    service_of(&fake, "web", &web);
    // The lists fail: the gateway listens, but has no table yet.
    fake.fail_lists(Some(500));
    let gateway = start(&kubeconfig, &[]).await;

    let answer = gateway.get("web.example").await;
    assert_eq!(answer.status, 503, "{}", answer.text());
    assert_eq!(answer.header("retry-after"), Some("1"));
    let other = gateway.get("unknown.example").await;
    assert_eq!(other.status, 503, "not a 404 before the first table");
    assert_eq!(gateway.admin_get("/readyz").await.status, 503);
    assert_eq!(gateway.admin_get("/healthz").await.status, 200);

    fake.fail_lists(None);
    gateway.until_served_by("web.example", "web").await;
    assert_eq!(gateway.admin_get("/readyz").await.status, 200);
    assert_eq!(gateway.get("unknown.example").await.status, 404);

    // An Ingress added in the cluster routes traffic.
    service_of(&fake, "shop", &shop);
    fake.apply(ingress("shop", "shop.example", "shop")).unwrap();
    gateway.until_served_by("shop.example", "shop").await;

    let routes: Value = serde_json::from_slice(&gateway.admin_get("/routes").await.body).unwrap();
    assert_eq!(routes["source"]["kind"], "api-server");
    assert_eq!(routes["source"]["objects"]["Ingress"], 2);
    assert!(
        routes["source"]["resourceVersions"]["Ingress"].is_string(),
        "{routes:#}"
    );
    let metrics = gateway.admin_get("/metrics").await.text();
    assert!(
        metrics.contains("ingress_feed_source{source=\"api-server\"} 1"),
        "{metrics}"
    );
    assert!(metrics.contains("ingress_feed_stale 0"), "{metrics}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stays_ready_and_serving_while_the_api_server_is_away() {
    let fake = FakeApiServer::start().await.unwrap();
    let dir = ingress_test_support::ManifestDir::new();
    let kubeconfig = fake.write_kubeconfig(dir.path()).unwrap();
    let web = Backend::start("web").await;
    fake.apply(class()).unwrap();
    fake.apply(ingress("web", "web.example", "web")).unwrap();
    service_of(&fake, "web", &web);
    let gateway = start(&kubeconfig, &["--namespace", "default"]).await;
    gateway.until_served_by("web.example", "web").await;

    fake.set_outage(Some(ingress_test_support::apiserver::Outage::Refuse));
    fake.drop_watches();
    let started = Instant::now();
    loop {
        let metrics = gateway.admin_get("/metrics").await.text();
        if metrics.contains("ingress_feed_stale 1") {
            break;
        }
        assert!(started.elapsed() < PATIENCE, "never stale:\n{metrics}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(gateway.admin_get("/readyz").await.status, 200);
    assert_eq!(gateway.get("web.example").await.backend(), Some("web"));
    assert!(gateway.logs().contains("stale"), "{}", gateway.logs());
    fake.set_outage(None);
}

#[test]
fn kube_and_manifests_together_or_a_namespace_without_kube_are_usage_errors() {
    for args in [
        &["serve", "--kube", "--manifests", ".", "--listen", "127.0.0.1:0"][..],
        &[
            "serve",
            "--manifests",
            ".",
            "--namespace",
            "shop",
            "--listen",
            "127.0.0.1:0",
        ],
        &["serve", "--listen", "127.0.0.1:0"],
    ] {
        let output = run(args, "");
        assert_eq!(output.status.code(), Some(2), "{args:?}");
    }
}
