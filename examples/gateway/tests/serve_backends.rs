//! `ingress-gateway serve` end to end, the backend side: endpoints (B1-B3),
//! the 502/503/504 answers, timeouts, and the admin listener. The real
//! binary in front of real backends on 127.0.0.1.
// Test code: answers are indexed and unwrapped, and a failure is a panic.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

mod support;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn b1_round_robin_reaches_all_ten_ready_endpoints_and_never_a_not_ready_one() {
    let ready = Backend::start_many("ready", 10).await;
    let not_ready = Backend::start_many("not-ready", 3).await;
    let mut docs = vec![
        ServiceYaml::new("spread")
            .port(Some("http"), 80, Some("http"))
            .to_yaml(),
    ];
    for (index, backend) in ready.iter().enumerate() {
        // The API reads an unset `ready` as ready: the last one says nothing.
        let condition = (index != 9).then_some(true);
        docs.push(
            EndpointSliceYaml::new(&format!("spread-{index}"), "spread")
                .port(Some("http"), backend.port())
                .endpoint("127.0.0.1", condition)
                .to_yaml(),
        );
    }
    for (index, backend) in not_ready.iter().enumerate() {
        docs.push(
            EndpointSliceYaml::new(&format!("spread-not-ready-{index}"), "spread")
                .port(Some("http"), backend.port())
                .endpoint("127.0.0.1", Some(false))
                .to_yaml(),
        );
    }
    let ingress = IngressYaml::new("lb").rule(Some("lb.example"), [path("Prefix", "/", service_backend("spread", 80))]);
    let dir = ManifestDir::with_files(&[
        ("class.yaml", &our_default_class()),
        ("spread.yaml", &documents(&docs)),
        ("lb.yaml", &ingress.to_yaml()),
    ]);
    let gateway = Gateway::start(dir.path(), &[]).await;

    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for n in 0..100 {
        let seen = get(gateway.addr, "lb.example", &format!("/n/{n}")).await.seen();
        *counts.entry(seen.backend().to_owned()).or_default() += 1;
    }
    let names: Vec<&str> = counts.keys().map(String::as_str).collect();
    let expected: Vec<String> = (0..10).map(|i| format!("ready-{i}")).collect();
    assert_eq!(names, expected, "100 requests over 10 endpoints: {counts:?}");
    assert!(counts.values().all(|&n| n <= 20), "badly skewed: {counts:?}");
    for backend in &not_ready {
        assert_eq!(backend.hits(), 0, "{} is not ready but got traffic", backend.name);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn b1_ports_by_name_and_number_and_named_target_ports() {
    let web = Backend::start("web").await;
    let metrics = Backend::start("metrics").await;
    let plain = Backend::start("plain").await;
    let docs = [
        // Named targetPorts, resolved per EndpointSlice port of the same name
        // as the Service port.
        ServiceYaml::new("named")
            .port(Some("http"), 80, Some("web"))
            .port(Some("monitor"), 9000, Some("metrics"))
            .to_yaml(),
        EndpointSliceYaml::new("named-1", "named")
            .port(Some("http"), web.port())
            .port(Some("monitor"), metrics.port())
            .endpoint("127.0.0.1", Some(true))
            .to_yaml(),
        // One unnamed port with a numeric targetPort.
        ServiceYaml::new("plain")
            .port(None, 8080, Some(plain.port().to_string().as_str()))
            .to_yaml(),
        EndpointSliceYaml::new("plain-1", "plain")
            .port(None, plain.port())
            .endpoint("127.0.0.1", Some(true))
            .to_yaml(),
    ];
    let ingress = IngressYaml::new("ports").rule(
        Some("ports.example"),
        [
            path("Prefix", "/by-name", service_backend("named", "http")),
            path("Prefix", "/by-number", service_backend("named", 80)),
            path("Prefix", "/monitor-by-name", service_backend("named", "monitor")),
            path("Prefix", "/monitor-by-number", service_backend("named", 9000)),
            path("Prefix", "/plain", service_backend("plain", 8080)),
        ],
    );
    let dir = ManifestDir::with_files(&[
        ("class.yaml", &our_default_class()),
        ("services.yaml", &documents(&docs)),
        ("ports.yaml", &ingress.to_yaml()),
    ]);
    let gateway = Gateway::start(dir.path(), &[]).await;

    let cases = [
        ("/by-name", "web"),
        ("/by-number", "web"),
        ("/monitor-by-name", "metrics"),
        ("/monitor-by-number", "metrics"),
        ("/plain", "plain"),
    ];
    for (path, expected) in cases {
        let seen = get(gateway.addr, "ports.example", path).await.seen();
        assert_eq!(seen.backend(), expected, "{path}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn b3_m9_502_503_and_504_answers_never_another_backend() {
    let ok = Backend::start("ok").await;
    let slow = Backend::start("slow").await;
    let spare = Backend::start("spare").await;
    let docs = [
        service_of("ok", &[&ok]),
        service_of("slow", &[&slow]),
        service_of("spare", &[&spare]),
        // The only endpoint refuses connections.
        ServiceYaml::new("refused")
            .port(Some("http"), 80, Some("http"))
            .to_yaml(),
        EndpointSliceYaml::new("refused-1", "refused")
            .port(Some("http"), closed_port())
            .endpoint("127.0.0.1", Some(true))
            .to_yaml(),
        // An endpoint that is not ready (a live server behind it).
        ServiceYaml::new("unready")
            .port(Some("http"), 80, Some("http"))
            .to_yaml(),
        EndpointSliceYaml::new("unready-1", "unready")
            .port(Some("http"), spare.port())
            .endpoint("127.0.0.1", Some(false))
            .to_yaml(),
        // No EndpointSlice at all.
        ServiceYaml::new("empty").port(Some("http"), 80, Some("http")).to_yaml(),
    ];
    let ingress = IngressYaml::new("errors")
        .default_backend(service_backend("spare", 80))
        .rule(
            Some("errors.example"),
            [
                path("Prefix", "/ok", service_backend("ok", 80)),
                path("Prefix", "/slow", service_backend("slow", 80)),
                path("Prefix", "/refused", service_backend("refused", 80)),
                path("Prefix", "/unready", service_backend("unready", 80)),
                path("Prefix", "/empty", service_backend("empty", 80)),
                path("Prefix", "/missing-service", service_backend("missing", 80)),
                path("Prefix", "/missing-port", service_backend("ok", 81)),
                path(
                    "Prefix",
                    "/resource",
                    resource_backend("StorageBucket", "static-assets"),
                ),
            ],
        );
    let dir = ManifestDir::with_files(&[
        ("class.yaml", &our_default_class()),
        ("services.yaml", &documents(&docs)),
        ("errors.yaml", &ingress.to_yaml()),
    ]);
    let gateway = Gateway::start(dir.path(), &["--upstream-timeout-ms", "500"]).await;

    let cases = [
        ("/refused", 502),
        ("/unready", 503),
        ("/empty", 503),
        ("/missing-service", 503),
        ("/missing-port", 503),
        ("/resource", 503),
    ];
    for (path, status) in cases {
        let answer = get(gateway.addr, "errors.example", path).await;
        assert_eq!(answer.status, status, "{path}: {}", answer.text());
        assert!(
            answer.text().starts_with(&status.to_string()),
            "{path}: {}",
            answer.text()
        );
        assert_eq!(answer.backend(), None, "{path} answered by a backend");
    }
    // The default backend of the level is not a stand-in for them (B3).
    assert_eq!(spare.hits(), 0);

    // 504 once --upstream-timeout-ms has passed without an answer.
    let started = Instant::now();
    let answer = get(gateway.addr, "errors.example", "/slow?sleep=3000").await;
    assert_eq!(answer.status, 504, "{}", answer.text());
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(450) && waited < Duration::from_millis(2500),
        "504 after {waited:?}"
    );
    assert_eq!(get(gateway.addr, "errors.example", "/ok").await.seen().backend(), "ok");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_timeout_answers_502_within_its_bound() {
    let stalled = Stalled::start().await;
    let docs = [
        ServiceYaml::new("stalled")
            .port(Some("http"), 80, Some("http"))
            .to_yaml(),
        EndpointSliceYaml::new("stalled-1", "stalled")
            .port(Some("http"), stalled.port)
            .endpoint("127.0.0.1", Some(true))
            .to_yaml(),
    ];
    let ingress = IngressYaml::new("stalled").rule(None, [path("Prefix", "/", service_backend("stalled", 80))]);
    let dir = ManifestDir::with_files(&[
        ("class.yaml", &our_default_class()),
        ("services.yaml", &documents(&docs)),
        ("stalled.yaml", &ingress.to_yaml()),
    ]);
    let flags = ["--connect-timeout-ms", "300", "--upstream-timeout-ms", "20000"];
    let gateway = Gateway::start(dir.path(), &flags).await;

    let started = Instant::now();
    let answer = get(gateway.addr, "stall.example", "/").await;
    let waited = started.elapsed();
    assert_eq!(answer.status, 502, "{}", answer.text());
    assert!(
        waited >= Duration::from_millis(250) && waited < Duration::from_secs(3),
        "502 after {waited:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_never_finishes_its_headers_is_cut_off() {
    let any = Backend::start("any").await;
    let ingress = IngressYaml::new("slowloris").rule(None, [path("Prefix", "/", service_backend("any", 80))]);
    let dir = ManifestDir::with_files(&[
        ("class.yaml", &our_default_class()),
        ("services.yaml", &services(&[&any])),
        ("slowloris.yaml", &ingress.to_yaml()),
    ]);
    let gateway = Gateway::start(dir.path(), &["--header-read-timeout-ms", "300"]).await;

    // Half a head; nothing at all (before hyper knows HTTP/1 from HTTP/2);
    // half the HTTP/2 preface.
    for (what, sent) in [
        ("half a head", &b"GET / HTTP/1.1\r\nHost: a.example\r\nX-Slow: "[..]),
        ("nothing", b""),
        ("half the HTTP/2 preface", b"PRI * HTTP/2.0\r\n"),
    ] {
        let started = Instant::now();
        let mut conn = Conn::open(gateway.addr).await;
        conn.write(sent).await;
        assert!(
            step("the gateway ends the connection", conn.closed_silently()).await,
            "{what}"
        );
        let waited = started.elapsed();
        assert!(
            waited >= Duration::from_millis(250) && waited < Duration::from_secs(2),
            "{what}: cut off after {waited:?}"
        );
    }
    assert_eq!(any.hits(), 0);
    // Others are still served.
    assert_eq!(get(gateway.addr, "a.example", "/").await.seen().backend(), "any");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_health_readiness_metrics_and_routes() {
    let web = Backend::start("web").await;
    let ingress = IngressYaml::new("web").rule(Some("web.example"), [path("Prefix", "/", service_backend("web", 80))]);
    let dir = ManifestDir::with_files(&[
        ("class.yaml", &our_default_class()),
        ("services.yaml", &services(&[&web])),
        ("web.yaml", &ingress.to_yaml()),
    ]);
    let gateway = Gateway::start(dir.path(), &[]).await;

    let health = gateway.admin_get("/healthz").await;
    assert_eq!((health.status, health.text().trim()), (200, "ok"));
    assert_eq!(gateway.admin_get("/readyz").await.status, 200);
    assert_eq!(gateway.admin_get("/nothing-here").await.status, 404);

    for _ in 0..3 {
        assert_eq!(get(gateway.addr, "web.example", "/").await.status, 200);
    }
    assert_eq!(get(gateway.addr, "nobody.example", "/").await.status, 404);
    let metrics = gateway.metrics().await;
    let has = |line: &str| metrics.lines().any(|l| l == line);
    assert!(
        has(r#"ingress_requests_total{ingress="default/web",status="200"} 3"#),
        "{metrics}"
    );
    assert!(has(r#"ingress_requests_total{ingress="",status="404"} 1"#), "{metrics}");
    assert!(
        has(r#"ingress_backend_endpoints{backend="default/web:80"} 1"#),
        "{metrics}"
    );
    assert!(has("ingress_table_routes 1"), "{metrics}");
    assert!(has("ingress_rejected_objects 0"), "{metrics}");
    assert!(metrics.contains("ingress_table_builds_total 1"), "{metrics}");

    let routes = gateway.routes().await;
    assert!(routes["version"].as_u64().unwrap() >= 1, "{routes:#}");
    assert_eq!(routes["diagnostics"].as_array().unwrap().len(), 0, "{routes:#}");
    let all = routes["routes"].as_array().unwrap();
    assert_eq!(all.len(), 1, "{routes:#}");
    let route = &all[0];
    assert_eq!(route["host"], "web.example", "{routes:#}");
    assert_eq!(route["path"], "/");
    assert_eq!(route["pathType"], "Prefix");
    assert_eq!(route["defaultBackend"], false);
    assert_eq!(route["ingress"], "default/web");
    assert_eq!(route["backend"], "default/web:80");
    assert_eq!(route["endpoints"], serde_json::json!([web.addr.to_string()]));
}
