//! `ingress-gateway serve` end to end, the backend side: endpoints (B1-B3),
//! the 502/503/504 answers, timeouts, and the admin listener. The real
//! binary in front of real backends on 127.0.0.1.
// Test code: answers are indexed and unwrapped, and a failure is a panic.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

mod serve_support;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serve_support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn b1_round_robin_reaches_all_ten_ready_endpoints_and_never_a_not_ready_one() {
    let ready = Backend::start_many("ready", 10).await;
    let not_ready = Backend::start_many("not-ready", 3).await;
    let mut docs = vec![service("spread", &[(Some("http"), 80, "http")])];
    for (index, backend) in ready.iter().enumerate() {
        // The API reads an unset `ready` as ready: the last one says nothing.
        let condition = (index != 9).then_some(true);
        docs.push(slice(
            &format!("spread-{index}"),
            "spread",
            &[(Some("http"), backend.port())],
            &[("127.0.0.1", condition)],
        ));
    }
    for (index, backend) in not_ready.iter().enumerate() {
        docs.push(slice(
            &format!("spread-not-ready-{index}"),
            "spread",
            &[(Some("http"), backend.port())],
            &[("127.0.0.1", Some(false))],
        ));
    }
    let spec = rules(&[rule(Some("lb.example"), &[("Prefix", "/", &to("spread"))])]);
    let dir = Dir::new(&[
        ("class.yaml", CLASS),
        ("spread.yaml", &documents(&docs)),
        ("lb.yaml", &ingress("lb", &spec)),
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
        service(
            "named",
            &[(Some("http"), 80, "web"), (Some("monitor"), 9000, "metrics")],
        ),
        slice(
            "named-1",
            "named",
            &[(Some("http"), web.port()), (Some("monitor"), metrics.port())],
            &[("127.0.0.1", Some(true))],
        ),
        // One unnamed port with a numeric targetPort.
        service("plain", &[(None, 8080, &plain.port().to_string())]),
        slice(
            "plain-1",
            "plain",
            &[(None, plain.port())],
            &[("127.0.0.1", Some(true))],
        ),
    ];
    let spec = rules(&[rule(
        Some("ports.example"),
        &[
            ("Prefix", "/by-name", &to_port_name("named", "http")),
            ("Prefix", "/by-number", &to_port("named", 80)),
            ("Prefix", "/monitor-by-name", &to_port_name("named", "monitor")),
            ("Prefix", "/monitor-by-number", &to_port("named", 9000)),
            ("Prefix", "/plain", &to_port("plain", 8080)),
        ],
    )]);
    let dir = Dir::new(&[
        ("class.yaml", CLASS),
        ("services.yaml", &documents(&docs)),
        ("ports.yaml", &ingress("ports", &spec)),
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
        service("refused", &[(Some("http"), 80, "http")]),
        slice(
            "refused-1",
            "refused",
            &[(Some("http"), closed_port())],
            &[("127.0.0.1", Some(true))],
        ),
        // An endpoint that is not ready (a live server behind it).
        service("unready", &[(Some("http"), 80, "http")]),
        slice(
            "unready-1",
            "unready",
            &[(Some("http"), spare.port())],
            &[("127.0.0.1", Some(false))],
        ),
        // No EndpointSlice at all.
        service("empty", &[(Some("http"), 80, "http")]),
    ];
    let spec = format!(
        "{}{}",
        default_backend(&to("spare")),
        rules(&[rule(
            Some("errors.example"),
            &[
                ("Prefix", "/ok", &to("ok")),
                ("Prefix", "/slow", &to("slow")),
                ("Prefix", "/refused", &to("refused")),
                ("Prefix", "/unready", &to("unready")),
                ("Prefix", "/empty", &to("empty")),
                ("Prefix", "/missing-service", &to("missing")),
                ("Prefix", "/missing-port", &to_port("ok", 81)),
                ("Prefix", "/resource", &to_resource("StorageBucket", "static-assets")),
            ],
        )])
    );
    let dir = Dir::new(&[
        ("class.yaml", CLASS),
        ("services.yaml", &documents(&docs)),
        ("errors.yaml", &ingress("errors", &spec)),
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
        service("stalled", &[(Some("http"), 80, "http")]),
        slice(
            "stalled-1",
            "stalled",
            &[(Some("http"), stalled.port)],
            &[("127.0.0.1", Some(true))],
        ),
    ];
    let spec = rules(&[rule(None, &[("Prefix", "/", &to("stalled"))])]);
    let dir = Dir::new(&[
        ("class.yaml", CLASS),
        ("services.yaml", &documents(&docs)),
        ("stalled.yaml", &ingress("stalled", &spec)),
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
    let spec = rules(&[rule(None, &[("Prefix", "/", &to("any"))])]);
    let dir = Dir::new(&[
        ("class.yaml", CLASS),
        ("services.yaml", &services(&[&any])),
        ("slowloris.yaml", &ingress("slowloris", &spec)),
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
    let spec = rules(&[rule(Some("web.example"), &[("Prefix", "/", &to("web"))])]);
    let dir = Dir::new(&[
        ("class.yaml", CLASS),
        ("services.yaml", &services(&[&web])),
        ("web.yaml", &ingress("web", &spec)),
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
