//! `ingress-gateway serve --kube` writing back: the real binary against
//! the fake API server sets the published address in the status of a
//! served Ingress, emits an Event on a rejected one, and says so in
//! `/routes` and `/metrics`; the write-back flags' usage errors.
// Test code: answers are indexed and unwrapped, and a failure is a panic.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

mod support;

use std::ffi::OsString;
use std::time::{Duration, Instant};

use ingress_test_support::apiserver::FakeApiServer;
use serde_json::{Value, json};
use support::Gateway;

/// How long the gateway may take to converge.
const PATIENCE: Duration = Duration::from_secs(20);

fn ingress(name: &str, host: &str) -> Value {
    json!({
        "apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"rules": [{"host": host, "http": {"paths": [{"path": "/", "pathType": "Prefix",
            "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}]},
    })
}

/// A fake API server holding our default IngressClass, an Ingress `web`
/// for `web.example`, and an Ingress `broken` rejected by V2 (an IP
/// address as host): the one a writing gateway emits an Event on. The
/// directory is for the kubeconfig.
async fn cluster() -> (FakeApiServer, ingress_test_support::ManifestDir) {
    let fake = FakeApiServer::start().await.unwrap();
    fake.apply(json!({
        "apiVersion": "networking.k8s.io/v1", "kind": "IngressClass",
        "metadata": {"name": "gateway",
            "annotations": {"ingressclass.kubernetes.io/is-default-class": "true"}},
        "spec": {"controller": "ingress-rs.dev/ingress-gateway"},
    }))
    .unwrap();
    fake.apply(ingress("web", "web.example")).unwrap();
    fake.apply(ingress("broken", "10.0.0.9")).unwrap();
    (fake, ingress_test_support::ManifestDir::new())
}

async fn until(gateway: &Gateway, what: &str, done: impl Fn() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(
            started.elapsed() < PATIENCE,
            "timed out waiting for {what}\n{}",
            gateway.logs()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publish_status_address_sets_the_status_of_a_served_ingress() {
    let (fake, dir) = cluster().await;
    let kubeconfig = fake.write_kubeconfig(dir.path()).unwrap();
    let args: Vec<OsString> = [
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
        "--publish-status-address",
        "203.0.113.7",
        "--election-id",
        "test-leader",
    ]
    .map(OsString::from)
    .to_vec();
    let env = [
        ("KUBECONFIG", kubeconfig.as_os_str()),
        ("POD_NAME", "gateway-0".as_ref()),
        ("POD_NAMESPACE", "default".as_ref()),
    ];
    let gateway = Gateway::spawn(&args, &env).await;

    let status = |name: &str| {
        fake.get("networking.k8s.io/v1", "Ingress", None, name)
            .and_then(|ingress| ingress.pointer("/status/loadBalancer/ingress").cloned())
    };
    until(&gateway, "web's status", || {
        status("web") == Some(json!([{"ip": "203.0.113.7"}]))
    })
    .await;
    until(&gateway, "broken's event", || {
        !fake.objects("events.k8s.io/v1", "Event", Some("default")).is_empty()
    })
    .await;
    assert_eq!(status("broken"), None, "a rejected Ingress got an address");
    let lease = fake
        .get("coordination.k8s.io/v1", "Lease", Some("default"), "test-leader")
        .unwrap();
    assert_eq!(lease["spec"]["holderIdentity"], "gateway-0");

    let routes = gateway.routes().await;
    assert_eq!(routes["source"]["leader"], true, "{routes:#}");
    assert_eq!(routes["source"]["statusWrites"], 1, "{routes:#}");
    assert_eq!(routes["source"]["eventsEmitted"], 1, "{routes:#}");
    let metrics = gateway.metrics().await;
    assert!(metrics.contains("ingress_feed_leader 1"), "{metrics}");
    assert!(metrics.contains("ingress_feed_status_writes_total 1"), "{metrics}");
    assert!(metrics.contains("ingress_feed_events_emitted_total 1"), "{metrics}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_write_back_serves_the_cluster_and_writes_nothing_to_it() {
    let (fake, dir) = cluster().await;
    let kubeconfig = fake.write_kubeconfig(dir.path()).unwrap();
    let args: Vec<OsString> = [
        "serve",
        "--kube",
        "--no-write-back",
        "--listen",
        "127.0.0.1:0",
        "--admin-listen",
        "127.0.0.1:0",
    ]
    .map(OsString::from)
    .to_vec();
    let env = [
        ("KUBECONFIG", kubeconfig.as_os_str()),
        ("POD_NAME", "gateway-0".as_ref()),
    ];
    let gateway = Gateway::spawn(&args, &env).await;
    let routes = {
        let started = Instant::now();
        loop {
            let routes = gateway.routes().await;
            if routes["routes"].as_array().is_some_and(|routes| !routes.is_empty()) {
                break routes;
            }
            assert!(started.elapsed() < PATIENCE, "no routes\n{}", gateway.logs());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    // Long enough for a gateway that writes back to have taken its Lease
    // (at once) and emitted the Event (on the first tables).
    tokio::time::sleep(Duration::from_secs(2)).await;
    let writes: Vec<String> = fake
        .requests()
        .iter()
        .filter(|request| request.method != http::Method::GET)
        .map(|request| format!("{} {}", request.method, request.path_and_query))
        .collect();
    assert!(writes.is_empty(), "{writes:?}");
    assert!(fake.objects("events.k8s.io/v1", "Event", Some("default")).is_empty());
    assert!(
        fake.objects("coordination.k8s.io/v1", "Lease", Some("default"))
            .is_empty()
    );
    assert_ne!(routes["source"]["leader"], true, "{routes:#}");
}

/// Runs the binary with `args`: its exit code and standard error; one
/// still running after 10 s (it took the flags and serves) is killed and
/// counts as no exit code.
fn exit_of(args: &[&str]) -> (Option<i32>, String) {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_ingress-gateway"))
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(10) {
            child.kill().unwrap();
            let _ = child.wait();
            return (None, "still running: the flags were taken".to_owned());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let output = child.wait_with_output().unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn write_back_flags_need_kube_and_exclude_each_other() {
    let listen = ["--listen", "127.0.0.1:0"];
    for extra in [
        &["--manifests", ".", "--publish-status-address", "203.0.113.7"][..],
        &["--manifests", ".", "--publish-service", "ns/gateway"],
        &["--manifests", ".", "--election-id", "leader"],
        &[
            "--kube",
            "--publish-status-address",
            "203.0.113.7",
            "--publish-service",
            "ns/gateway",
        ],
        &["--kube", "--publish-status-address", "not an address"],
        &["--kube", "--no-write-back", "--publish-status-address", "203.0.113.7"],
        &["--kube", "--no-write-back", "--publish-service", "ns/gateway"],
        &["--kube", "--no-write-back", "--election-id", "leader"],
        &["--manifests", ".", "--no-write-back"],
        &["--kube", "--publish-service", "gateway"],
    ] {
        let mut args = vec!["serve"];
        args.extend_from_slice(extra);
        args.extend_from_slice(&listen);
        let (code, stderr) = exit_of(&args);
        assert_eq!(code, Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains("error:"), "{args:?}: {stderr}");
    }
}
