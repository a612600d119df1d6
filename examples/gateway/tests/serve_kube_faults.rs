//! `ingress-gateway serve --kube` through every API-server fault the
//! cluster feed promises to survive, with a client sending requests the
//! whole time: watch streams that break or end, a compaction (410, relist
//! with changes made during the gap), the API server refusing connections
//! and answering 503, and an object that does not decode. No request to
//! the stable route may fail, `/readyz` must stay 200, and every change
//! made during the faults must be routed at the end.
// Test code: answers are indexed and unwrapped, a failure is a panic, and
// the measured catch-up times are printed for the record.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::print_stderr)]

mod support;

use std::ffi::OsString;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use ingress_test_support::apiserver::{FakeApiServer, Outage};
use serde_json::{Value, json};
use support::client::{Answer, request, send};
use support::{Backend, Gateway};
use tokio::task::JoinHandle;

/// The longest any one wait for the gateway to converge may take.
const PATIENCE: Duration = Duration::from_secs(15);

/// The client's pace: one request to the stable route per tick.
const PACE: Duration = Duration::from_millis(7);

/// How long each outage lasts: short enough that kube's own retries of a
/// 503 (up to 15, from 5 ms apart, doubling: a request sent at the start
/// of a 3 s outage is retried about 2 s after it ends) and its watcher
/// backoff (0.8 s, doubling) catch up within a few seconds.
const OUTAGE: Duration = Duration::from_secs(3);

/// `serve --kube` with `KUBECONFIG` at `kubeconfig`, coalescing briefly.
async fn start(kubeconfig: &Path) -> Gateway {
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
    ]
    .map(OsString::from)
    .to_vec();
    Gateway::spawn(&args, &[("KUBECONFIG", kubeconfig.as_os_str())]).await
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

/// One request on a new connection; a failure to connect, send or read
/// (within the support's step bound) is an `Err`, never a panic here.
async fn try_send(addr: SocketAddr, host: &str, target: &str) -> Result<Answer, String> {
    let bytes = request("GET", target, Some(host), &[], b"");
    tokio::spawn(async move { send(addr, &bytes).await })
        .await
        .map_err(|error| format!("no answer: {error}"))
}

/// What the client saw: one entry per request, in order.
#[derive(Debug, Default)]
struct Record {
    /// Requests to the stable route: the backend's name on a 200, else
    /// what came instead.
    traffic: Vec<(Duration, Result<String, String>)>,
    /// `/readyz` statuses.
    ready: Vec<(Duration, Result<u16, String>)>,
}

/// A client sending `GET /` for `host` every [`PACE`] and asking
/// `/readyz` every tenth tick, until stopped.
struct Client {
    stop: Arc<AtomicBool>,
    task: JoinHandle<Record>,
}

impl Client {
    fn start(gateway: &Gateway, host: &str) -> Self {
        let (addr, admin, host) = (gateway.addr, gateway.admin, host.to_owned());
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = Arc::clone(&stop);
        let task = tokio::spawn(async move {
            let started = Instant::now();
            let mut record = Record::default();
            let mut tick = tokio::time::interval(PACE);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut count = 0_u64;
            while !stopped.load(Ordering::SeqCst) {
                tick.tick().await;
                let seen = match try_send(addr, &host, "/").await {
                    Ok(answer) if answer.status == 200 => answer
                        .backend()
                        .map(str::to_owned)
                        .ok_or_else(|| "a 200 without x-backend".to_owned()),
                    Ok(answer) => Err(format!("{} {}", answer.status, answer.text())),
                    Err(error) => Err(error),
                };
                record.traffic.push((started.elapsed(), seen));
                if count.is_multiple_of(10) {
                    let ready = try_send(admin, "admin", "/readyz").await.map(|a| a.status);
                    record.ready.push((started.elapsed(), ready));
                }
                count += 1;
            }
            record
        });
        Self { stop, task }
    }

    async fn stop(self) -> Record {
        self.stop.store(true, Ordering::SeqCst);
        tokio::time::timeout(PATIENCE, self.task).await.unwrap().unwrap()
    }
}

/// The value of the first metric line starting with `name` (with or
/// without labels), or 0 when there is none.
fn metric(metrics: &str, name: &str) -> f64 {
    metrics
        .lines()
        .filter(|line| !line.starts_with('#'))
        .find(|line| line.starts_with(name))
        .and_then(|line| line.rsplit(' ').next())
        .and_then(|value| value.parse().ok())
        .unwrap_or(0.0)
}

/// Waits until a request for `host` is answered by `backend` (or, with
/// `None`, answered 404); how long it took.
async fn until_routed(gateway: &Gateway, host: &str, backend: Option<&str>) -> Duration {
    let started = Instant::now();
    loop {
        let answer = try_send(gateway.addr, host, "/").await;
        let done = match (&answer, backend) {
            (Ok(answer), Some(backend)) => answer.backend() == Some(backend),
            (Ok(answer), None) => answer.status == 404,
            (Err(_), _) => false,
        };
        if done {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < PATIENCE,
            "{host} not routed to {backend:?} within {PATIENCE:?}: {answer:?}\n{}",
            gateway.logs()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Waits until the gateway's `/metrics` satisfy `check`.
async fn until_metrics(gateway: &Gateway, what: &str, check: impl Fn(&str) -> bool) -> Duration {
    let started = Instant::now();
    loop {
        let metrics = gateway.metrics().await;
        if check(&metrics) {
            return started.elapsed();
        }
        assert!(started.elapsed() < PATIENCE, "never {what}:\n{metrics}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn lists_of_ingresses(fake: &FakeApiServer) -> usize {
    fake.count_requests(|r| r.is_list_of("/ingresses"))
}

fn watches_of_ingresses(fake: &FakeApiServer) -> usize {
    fake.count_requests(|r| r.is_watch() && r.path().ends_with("/ingresses"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_request_fails_and_every_change_lands_through_every_api_server_fault() {
    let fake = FakeApiServer::start().await.unwrap();
    let dir = ingress_test_support::ManifestDir::new();
    let kubeconfig = fake.write_kubeconfig(dir.path()).unwrap();
    let web = Backend::start("web").await;
    let other = Backend::start("other").await;
    fake.apply(class()).unwrap();
    service_of(&fake, "web", &web);
    service_of(&fake, "other", &other);
    fake.apply(ingress("stable", "stable.example", "web")).unwrap();
    fake.apply(ingress("doomed", "doomed.example", "other")).unwrap();
    let gateway = start(&kubeconfig).await;
    until_routed(&gateway, "stable.example", Some("web")).await;
    until_routed(&gateway, "doomed.example", Some("other")).await;
    let client = Client::start(&gateway, "stable.example");
    tokio::time::sleep(Duration::from_millis(300)).await;

    // 1. Watch streams broken mid-stream, three times; a change made in
    // between still arrives, and a broken stream resumes without a LIST.
    let lists_before = lists_of_ingresses(&fake);
    for round in 0..3 {
        fake.drop_watches();
        if round == 1 {
            fake.apply(ingress("after-drop", "after-drop.example", "other"))
                .unwrap();
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    until_routed(&gateway, "after-drop.example", Some("other")).await;

    // 2. Streams that end every 150 ms (cleanly, as at `timeoutSeconds`):
    // kube resumes each from its last resourceVersion.
    let watches_before = watches_of_ingresses(&fake);
    fake.set_watch_lifetime(Some(Duration::from_millis(150)));
    fake.drop_watches();
    tokio::time::sleep(Duration::from_millis(800)).await;
    fake.apply(ingress("short-lived", "short-lived.example", "other"))
        .unwrap();
    tokio::time::sleep(Duration::from_millis(800)).await;
    until_routed(&gateway, "short-lived.example", Some("other")).await;
    fake.set_watch_lifetime(None);
    let resumed = watches_of_ingresses(&fake) - watches_before;
    assert!(
        resumed >= 5,
        "only {resumed} Ingress watches while streams ended every 150 ms"
    );
    assert_eq!(
        lists_of_ingresses(&fake),
        lists_before,
        "a stream that broke or ended made the gateway list again"
    );

    // 3. A partition, during which one Ingress is deleted and one added,
    // then the log is compacted: the watches resume into a 410 and list
    // again; the relist drops the deleted one and adds the new one.
    fake.cut_off();
    tokio::time::sleep(Duration::from_millis(300)).await;
    fake.delete("networking.k8s.io/v1", "Ingress", Some("default"), "doomed")
        .unwrap();
    fake.apply(ingress("added", "added.example", "other")).unwrap();
    fake.compact();
    tokio::time::sleep(Duration::from_millis(300)).await;
    fake.reconnect();
    let relisted = Instant::now();
    until_routed(&gateway, "added.example", Some("other")).await;
    until_routed(&gateway, "doomed.example", None).await;
    let after_410 = relisted.elapsed();
    assert!(
        lists_of_ingresses(&fake) > lists_before,
        "no LIST of Ingresses after the 410"
    );
    let metrics = gateway.metrics().await;
    assert!(metric(&metrics, "ingress_feed_relists") >= 1.0, "{metrics}");

    // 4. The API server refuses every connection for a while; a change
    // made meanwhile lands once it is back.
    fake.set_outage(Some(Outage::Refuse));
    until_metrics(&gateway, "stale during the refusal", |m| {
        metric(m, "ingress_feed_stale ") == 1.0
    })
    .await;
    fake.apply(ingress("refused", "refused.example", "other")).unwrap();
    tokio::time::sleep(OUTAGE).await;
    fake.set_outage(None);
    let back = Instant::now();
    until_routed(&gateway, "refused.example", Some("other")).await;
    let after_refusal = back.elapsed();
    until_metrics(&gateway, "fresh after the refusal", |m| {
        metric(m, "ingress_feed_stale ") == 0.0
    })
    .await;

    // 5. The API server answers 503 to everything for a while (kube's
    // client retries those itself before the watcher sees an error).
    fake.set_outage(Some(Outage::Unavailable));
    tokio::time::sleep(Duration::from_millis(500)).await;
    fake.apply(ingress("unavailable", "unavailable.example", "other"))
        .unwrap();
    tokio::time::sleep(OUTAGE).await;
    fake.set_outage(None);
    let back = Instant::now();
    until_routed(&gateway, "unavailable.example", Some("other")).await;
    let after_503 = back.elapsed();

    // 6. An Ingress that does not decode as an Ingress is skipped; the
    // ones after it still route.
    let mut broken = ingress("broken", "broken.example", "other");
    broken["spec"]["rules"] = json!("not a list of rules");
    fake.apply(broken).unwrap();
    fake.apply(ingress("after-broken", "after-broken.example", "other"))
        .unwrap();
    until_routed(&gateway, "after-broken.example", Some("other")).await;
    until_metrics(&gateway, "counting the object that did not decode", |m| {
        metric(m, "ingress_feed_decode_errors") >= 1.0
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;

    let record = client.stop().await;

    // Every request to the stable route reached its backend.
    let failed: Vec<_> = record
        .traffic
        .iter()
        .filter(|(_, seen)| seen.as_deref() != Ok("web"))
        .collect();
    assert!(
        failed.is_empty(),
        "{} of {} requests failed, first ones: {:?}\n{}",
        failed.len(),
        record.traffic.len(),
        failed.iter().take(5).collect::<Vec<_>>(),
        gateway.logs()
    );
    // A steady pace of 7 ms for well over ten seconds.
    assert!(record.traffic.len() >= 1000, "only {} requests", record.traffic.len());
    let not_ready: Vec<_> = record.ready.iter().filter(|(_, r)| *r != Ok(200)).collect();
    assert!(not_ready.is_empty(), "/readyz was not 200: {not_ready:?}");

    // Every change made during the faults is routed; the deleted one is not.
    for host in [
        "after-drop.example",
        "short-lived.example",
        "added.example",
        "refused.example",
        "unavailable.example",
        "after-broken.example",
    ] {
        let answer = try_send(gateway.addr, host, "/").await.unwrap();
        assert_eq!(answer.backend(), Some("other"), "{host}: {}", answer.text());
    }
    assert_eq!(try_send(gateway.addr, "doomed.example", "/").await.unwrap().status, 404);
    assert_eq!(try_send(gateway.addr, "broken.example", "/").await.unwrap().status, 404);

    eprintln!(
        "{} requests, none failed; changes routed {after_410:?} after the partition ended (410, relist), \
         {after_refusal:?} after the refusal ended, {after_503:?} after the 503s ended",
        record.traffic.len()
    );
}
