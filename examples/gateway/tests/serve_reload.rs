//! `ingress-gateway serve` while its manifests change: routes move under
//! load without a failed request, upgraded connections survive swaps,
//! invalid or unparsable edits keep what was served (V8), endpoint changes
//! leave the route table alone (B2).
// Test code: answers are indexed and unwrapped, and a failure is a panic.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures_util::{SinkExt as _, StreamExt as _};
use support::*;
use tokio::net::TcpStream;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::{WebSocketStream, client_async};

/// How long a reload may take to show (the tests poll every 50 ms).
const RELOAD: Duration = Duration::from_secs(5);
const FAST_RELOAD: [&str; 2] = ["--reload-interval-ms", "50"];

/// An Ingress routing `host` (Prefix /) to `service`.
fn route(name: &str, host: &str, service: &str) -> String {
    IngressYaml::new(name)
        .rule(Some(host), [path("Prefix", "/", service_backend(service, 80))])
        .to_yaml()
}

/// Waits until a request for `host` is answered by `backend`; every other
/// answer must come from a backend too.
async fn until_served_by(gateway: &Gateway, host: &str, backend: &str) {
    let failures = until_served_by_noting(gateway, host, backend).await;
    assert!(failures.is_empty(), "while waiting for {backend}: {failures:?}");
}

/// [`until_served_by`], returning the failed answers instead.
async fn until_served_by_noting(gateway: &Gateway, host: &str, backend: &str) -> Vec<String> {
    let started = Instant::now();
    let mut failures = Vec::new();
    loop {
        let answer = get(gateway.addr, host, "/probe").await;
        if answer.status != 200 {
            failures.push(format!("/probe: {} {}", answer.status, answer.text()));
        }
        if answer.backend() == Some(backend) {
            return failures;
        }
        assert!(
            started.elapsed() < RELOAD,
            "{host} not served by {backend} within {RELOAD:?}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// What one client saw: the backend of each answer, in order, and failures.
#[derive(Debug, Default)]
struct Tally {
    backends: Vec<String>,
    failures: Vec<String>,
}

impl Tally {
    /// How many times the answering backend changed.
    fn switches(&self) -> usize {
        self.backends.windows(2).filter(|pair| pair[0] != pair[1]).count()
    }
}

/// Clients sending requests for `host` one after another until stopped:
/// half on new connections each time, half on pooled keep-alive ones.
struct Load {
    stop: Arc<AtomicBool>,
    answered: Arc<AtomicUsize>,
    tasks: Vec<JoinHandle<Tally>>,
}

impl Load {
    fn start(gateway: &Gateway, host: &str, clients: usize) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let answered = Arc::new(AtomicUsize::new(0));
        let tasks = (0..clients)
            .map(|client| {
                let (stop, answered) = (Arc::clone(&stop), Arc::clone(&answered));
                let (addr, host) = (gateway.addr, host.to_owned());
                let pooled = (client % 2 == 1).then(|| Pooled::http1(addr));
                tokio::spawn(async move {
                    let mut tally = Tally::default();
                    let mut n = 0;
                    while !stop.load(Ordering::SeqCst) {
                        n += 1;
                        let target = format!("/c{client}/n{n}");
                        let answer = match &pooled {
                            Some(pooled) => pooled.get(&host, &target).await,
                            None => try_get(addr, &host, &target).await,
                        };
                        match answer {
                            Ok(answer) if answer.status == 200 => {
                                tally.backends.push(answer.backend().unwrap_or("?").to_owned());
                            }
                            Ok(answer) => tally
                                .failures
                                .push(format!("{target}: {} {}", answer.status, answer.text())),
                            Err(error) => tally.failures.push(format!("{target}: {error}")),
                        }
                        answered.fetch_add(1, Ordering::SeqCst);
                    }
                    tally
                })
            })
            .collect();
        Self { stop, answered, tasks }
    }

    /// Waits until `more` answers came after this call.
    async fn answers(&self, more: usize) {
        let mark = self.answered.load(Ordering::SeqCst);
        eventually(&format!("{more} more answers"), Duration::from_secs(10), || async {
            (self.answered.load(Ordering::SeqCst) >= mark + more).then_some(())
        })
        .await;
    }

    async fn stop(mut self) -> Vec<Tally> {
        self.stop.store(true, Ordering::SeqCst);
        let mut tallies = Vec::new();
        for task in std::mem::take(&mut self.tasks) {
            tallies.push(step("a client to stop", task).await.unwrap());
        }
        tallies
    }
}

impl Drop for Load {
    /// A test that fails midway stops its clients before the gateway goes.
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        for task in &self.tasks {
            task.abort();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_edit_moves_a_route_while_clients_send_and_no_request_fails() {
    let a = Backend::start("a").await;
    let b = Backend::start("b").await;
    let dir = ManifestDir::with_files(&[
        ("class.yaml", &our_default_class()),
        ("services.yaml", &services(&[&a, &b])),
        ("live.yaml", &route("live", "live.example", "a")),
    ]);
    let gateway = Gateway::start(dir.path(), &FAST_RELOAD).await;
    let load = Load::start(&gateway, "live.example", 4);
    load.answers(40).await;

    let edits = ["b", "a", "b"];
    for service in edits {
        dir.write("live.yaml", route("live", "live.example", service));
        until_served_by(&gateway, "live.example", service).await;
        load.answers(80).await;
    }
    load.answers(60).await;
    let tallies = load.stop().await;

    let failures: Vec<&String> = tallies.iter().flat_map(|t| &t.failures).collect();
    assert!(failures.is_empty(), "{} failed requests: {failures:#?}", failures.len());
    let total: usize = tallies.iter().map(|t| t.backends.len()).sum();
    assert!(total >= 300, "only {total} requests");
    for (client, tally) in tallies.iter().enumerate() {
        assert!(
            tally.backends.iter().all(|name| name == "a" || name == "b"),
            "client {client}: {:?}",
            tally.backends
        );
        // A swap is atomic: once a client saw the new route, it never sees
        // the old one again; so no more switches than edits.
        assert!(
            tally.switches() <= edits.len(),
            "client {client} switched {} times for {} edits",
            tally.switches(),
            edits.len()
        );
        assert_eq!(tally.backends.last().map(String::as_str), Some("b"), "client {client}");
    }
}

/// `count` Services (without endpoints) and one Ingress routing a host to
/// each: a table with many backends, as a real cluster has.
fn many_backends(count: usize) -> String {
    let mut docs: Vec<String> = (0..count)
        .map(|i| {
            ServiceYaml::new(&format!("filler-{i}"))
                .port(Some("http"), 80, Some("http"))
                .to_yaml()
        })
        .collect();
    let filler = (0..count).fold(IngressYaml::new("filler"), |ingress, i| {
        ingress.rule(
            Some(&format!("filler-{i}.example")),
            [path("Prefix", "/", service_backend(&format!("filler-{i}"), 80))],
        )
    });
    docs.push(filler.to_yaml());
    documents(docs)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edit_that_adds_a_service_and_routes_to_it_fails_no_request() {
    let a = Backend::start("a").await;
    let b = Backend::start("b").await;
    // The route and its Service in one file: each edit brings a Service the
    // gateway has never seen and moves the route to it, in one reload.
    let generation = |k: usize, backend: &Backend| {
        let service = format!("gen-{k}");
        documents(&[service_of(&service, &[backend]), route("gen", "gen.example", &service)])
    };
    let dir = ManifestDir::with_files(&[
        ("class.yaml", &our_default_class()),
        ("filler.yaml", &many_backends(200)),
        ("gen.yaml", &generation(0, &a)),
    ]);
    let gateway = Gateway::start(dir.path(), &FAST_RELOAD).await;
    let load = Load::start(&gateway, "gen.example", 4);
    load.answers(40).await;

    let mut failures = Vec::new();
    for k in 1..=20 {
        let backend = if k % 2 == 1 { &b } else { &a };
        dir.write("gen.yaml", generation(k, backend));
        failures.extend(until_served_by_noting(&gateway, "gen.example", &backend.name).await);
        load.answers(20).await;
    }
    let tallies = load.stop().await;

    failures.extend(tallies.into_iter().flat_map(|t| t.failures));
    assert!(failures.is_empty(), "{} failed requests: {failures:#?}", failures.len());
}

/// A WebSocket through the gateway to `host`.
async fn websocket(gateway: &Gateway, host: &str) -> WebSocketStream<TcpStream> {
    let stream = step("connect", TcpStream::connect(gateway.addr)).await.unwrap();
    let request = format!("ws://{host}/chat").into_client_request().unwrap();
    let (socket, response) = step("WebSocket handshake", client_async(request, stream))
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 101);
    socket
}

/// Sends `text` and returns the echo.
async fn echo(socket: &mut WebSocketStream<TcpStream>, text: &str) -> String {
    step("send a message", socket.send(Message::text(text))).await.unwrap();
    loop {
        let message = step("an echo", socket.next()).await;
        match message {
            Some(Ok(Message::Text(echoed))) => return echoed.as_str().to_owned(),
            Some(Ok(_)) => {}
            other => panic!("no echo for {text:?}: {other:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn websocket_echo_keeps_working_across_reloads() {
    let ws = Backend::start("ws").await;
    let ws2 = Backend::start("ws2").await;
    let other_a = Backend::start("other-a").await;
    let other_b = Backend::start("other-b").await;
    let dir = ManifestDir::with_files(&[
        ("class.yaml", &our_default_class()),
        ("services.yaml", &services(&[&ws, &ws2, &other_a, &other_b])),
        ("ws.yaml", &route("ws", "ws.example", "ws")),
        ("other.yaml", &route("other", "other.example", "other-a")),
    ]);
    let gateway = Gateway::start(dir.path(), &FAST_RELOAD).await;

    let mut socket = websocket(&gateway, "ws.example").await;
    assert_eq!(echo(&mut socket, "before").await, "ws: before");

    // A reload that changes an unrelated route.
    let version = gateway.routes().await["version"].as_u64().unwrap();
    dir.write("other.yaml", route("other", "other.example", "other-b"));
    until_served_by(&gateway, "other.example", "other-b").await;
    assert!(gateway.routes().await["version"].as_u64().unwrap() > version);
    assert_eq!(echo(&mut socket, "after").await, "ws: after");

    // A reload that moves the WebSocket's own route: the open connection
    // stays with its backend, new ones go to the new one.
    dir.write("ws.yaml", route("ws", "ws.example", "ws2"));
    until_served_by(&gateway, "ws.example", "ws2").await;
    assert_eq!(echo(&mut socket, "still").await, "ws: still");
    let mut fresh = websocket(&gateway, "ws.example").await;
    assert_eq!(echo(&mut fresh, "new").await, "ws2: new");

    for socket in [&mut socket, &mut fresh] {
        step("close", socket.close(None)).await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v8_an_edit_that_makes_an_ingress_invalid_keeps_its_last_valid_version() {
    let a = Backend::start("a").await;
    let b = Backend::start("b").await;
    let dir = ManifestDir::with_files(&[
        ("class.yaml", &our_default_class()),
        ("services.yaml", &services(&[&a, &b])),
        ("shop.yaml", &route("shop", "shop.example", "a")),
        ("other.yaml", &route("other", "other.example", "a")),
    ]);
    let gateway = Gateway::start(dir.path(), &FAST_RELOAD).await;
    assert_eq!(get(gateway.addr, "shop.example", "/").await.seen().backend(), "a");

    // V2: an upper-case host. The whole new version is rejected...
    dir.write("shop.yaml", route("shop", "Shop.Example", "b"));
    let diagnostics = eventually("a V8 diagnostic", RELOAD, || async {
        let routes = gateway.routes().await;
        let diagnostics: Vec<String> = routes["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d.as_str().unwrap().to_owned())
            .collect();
        diagnostics.iter().any(|d| d.contains("V8")).then_some(diagnostics)
    })
    .await;
    let v8 = diagnostics.iter().find(|d| d.contains("V8")).unwrap();
    assert!(v8.contains("default/shop"), "{v8}");
    assert!(v8.contains("spec.rules[0].host"), "{v8}");
    // ...and the last valid version keeps being served.
    for _ in 0..5 {
        assert_eq!(get(gateway.addr, "shop.example", "/").await.seen().backend(), "a");
    }
    assert_eq!(get(gateway.addr, "Shop.Example", "/x").await.seen().backend(), "a");
    assert!(
        gateway
            .metrics()
            .await
            .lines()
            .any(|l| l == "ingress_rejected_objects 1"),
        "rejected objects not counted"
    );

    // One bad object never affects another: other's edit is served.
    dir.write("other.yaml", route("other", "other.example", "b"));
    until_served_by(&gateway, "other.example", "b").await;
    assert_eq!(get(gateway.addr, "shop.example", "/").await.seen().backend(), "a");

    // Valid again: the new version replaces the kept one.
    dir.write("shop.yaml", route("shop", "shop.example", "b"));
    until_served_by(&gateway, "shop.example", "b").await;
    let routes = gateway.routes().await;
    assert_eq!(routes["diagnostics"].as_array().unwrap().len(), 0, "{routes:#}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_that_no_longer_parses_keeps_the_last_good_table() {
    let a = Backend::start("a").await;
    let b = Backend::start("b").await;
    let dir = ManifestDir::with_files(&[
        ("class.yaml", &our_default_class()),
        ("services.yaml", &services(&[&a, &b])),
        ("shop.yaml", &route("shop", "shop.example", "a")),
    ]);
    let gateway = Gateway::start(dir.path(), &FAST_RELOAD).await;
    let version = gateway.routes().await["version"].as_u64().unwrap();

    let broken = "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: shop\nspec:\n  rules: [\n";
    dir.write("shop.yaml", broken);
    eventually("the reload to fail", RELOAD, || async {
        gateway.logs().contains("reload failed").then_some(())
    })
    .await;
    for _ in 0..5 {
        assert_eq!(get(gateway.addr, "shop.example", "/").await.seen().backend(), "a");
    }
    assert_eq!(gateway.routes().await["version"].as_u64().unwrap(), version);
    assert_eq!(gateway.admin_get("/readyz").await.status, 200);

    dir.write("shop.yaml", route("shop", "shop.example", "b"));
    until_served_by(&gateway, "shop.example", "b").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_that_never_parsed_does_not_block_later_edits() {
    let a = Backend::start("a").await;
    let b = Backend::start("b").await;
    let dir = ManifestDir::with_files(&[
        ("class.yaml", &our_default_class()),
        ("services.yaml", &services(&[&a, &b])),
        // Not a Kubernetes object (a Helm values file, say): a parse error
        // from the start, and never edited.
        ("values.yaml", "replicaCount: 2\nimage: nginx\n"),
        ("live.yaml", &route("live", "live.example", "a")),
    ]);
    let gateway = Gateway::start(dir.path(), &FAST_RELOAD).await;
    // The first load served what parsed.
    assert_eq!(get(gateway.addr, "live.example", "/").await.seen().backend(), "a");

    // An edit of a valid file is served, as it would be at a restart.
    dir.write("live.yaml", route("live", "live.example", "b"));
    until_served_by(&gateway, "live.example", "b").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edit_that_keeps_the_size_and_modification_time_is_picked_up() {
    let a = Backend::start("a").await;
    let b = Backend::start("b").await;
    // Reproducible builds and archives give every file one fixed time.
    let fixed = std::time::UNIX_EPOCH + Duration::from_secs(1);
    let dir = ManifestDir::with_files(&[
        ("class.yaml", &our_default_class()),
        ("services.yaml", &services(&[&a, &b])),
    ]);
    dir.write_with_mtime("live.yaml", route("live", "live.example", "a"), fixed);
    let gateway = Gateway::start(dir.path(), &FAST_RELOAD).await;
    assert_eq!(get(gateway.addr, "live.example", "/").await.seen().backend(), "a");

    // The same name, size and time; another content (and another file).
    let edit = route("live", "live.example", "b");
    assert_eq!(edit.len(), route("live", "live.example", "a").len());
    dir.write_with_mtime("live.yaml", &edit, fixed);
    until_served_by(&gateway, "live.example", "b").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removing_an_ingress_file_removes_its_routes() {
    let a = Backend::start("a").await;
    let dir = ManifestDir::with_files(&[
        ("class.yaml", &our_default_class()),
        ("services.yaml", &services(&[&a])),
        ("gone.yaml", &route("gone", "gone.example", "a")),
        ("kept.yaml", &route("kept", "kept.example", "a")),
    ]);
    let gateway = Gateway::start(dir.path(), &FAST_RELOAD).await;
    assert_eq!(get(gateway.addr, "gone.example", "/").await.status, 200);

    dir.remove("gone.yaml");
    eventually("gone.example to be gone", RELOAD, || async {
        (get(gateway.addr, "gone.example", "/").await.status == 404).then_some(())
    })
    .await;
    assert_eq!(get(gateway.addr, "kept.example", "/").await.seen().backend(), "a");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn b2_an_endpoint_change_moves_traffic_without_a_new_route_table() {
    let a = Backend::start("a").await;
    let c = Backend::start("c").await;
    let dir = ManifestDir::with_files(&[
        ("class.yaml", &our_default_class()),
        ("endpoints.yaml", &service_of("svc", &[&a])),
        ("svc.yaml", &route("svc", "svc.example", "svc")),
    ]);
    let gateway = Gateway::start(dir.path(), &FAST_RELOAD).await;
    assert_eq!(get(gateway.addr, "svc.example", "/").await.seen().backend(), "a");
    let version = gateway.routes().await["version"].as_u64().unwrap();

    // The pod moved: same Service, another endpoint.
    dir.write("endpoints.yaml", service_of("svc", &[&c]));
    until_served_by(&gateway, "svc.example", "c").await;
    let routes = gateway.routes().await;
    assert_eq!(routes["version"].as_u64().unwrap(), version, "{routes:#}");
    assert_eq!(
        routes["routes"][0]["endpoints"],
        serde_json::json!([c.addr.to_string()])
    );
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_configmap_volume_update_is_picked_up() {
    use std::os::unix::fs::symlink;

    let a = Backend::start("a").await;
    let b = Backend::start("b").await;
    let dir = ManifestDir::with_files(&[
        ("class.yaml", &our_default_class()),
        ("services.yaml", &services(&[&a, &b])),
    ]);
    // The kubelet's layout: live.yaml -> ..data/live.yaml, ..data -> ..v1.
    let root = dir.path();
    std::fs::create_dir(root.join("..v1")).unwrap();
    std::fs::write(root.join("..v1/live.yaml"), route("live", "live.example", "a")).unwrap();
    symlink("..v1", root.join("..data")).unwrap();
    symlink("..data/live.yaml", root.join("live.yaml")).unwrap();
    let gateway = Gateway::start(root, &FAST_RELOAD).await;
    assert_eq!(get(gateway.addr, "live.example", "/").await.seen().backend(), "a");

    // An update: a new timestamped directory, then ..data swapped to it.
    std::fs::create_dir(root.join("..v2")).unwrap();
    std::fs::write(root.join("..v2/live.yaml"), route("live", "live.example", "b")).unwrap();
    symlink("..v2", root.join("..data_tmp")).unwrap();
    std::fs::rename(root.join("..data_tmp"), root.join("..data")).unwrap();
    std::fs::remove_dir_all(root.join("..v1")).unwrap();
    until_served_by(&gateway, "live.example", "b").await;
}
