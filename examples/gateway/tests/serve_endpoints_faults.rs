//! `ingress-gateway serve` with endpoints that fail: a connect that fails
//! goes on to another ready endpoint of the same backend (nothing was
//! sent), endpoints that keep refusing are ejected for a while but never
//! all of them, and `/metrics` counts both. The real binary in front of
//! backends on 127.0.0.1, and "dead" endpoints: ports bound then closed,
//! which refuse connections, or listeners that never accept.
// Test code: answers are indexed and unwrapped, and a failure is a panic.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

mod support;

use std::time::{Duration, Instant};

use support::backend::{fingerprint, pattern};
use support::*;

const HOST: &str = "web.example";
const BACKEND: &str = "default/web:80";

/// Service `web` (port 80 named `http`) with one ready endpoint on
/// 127.0.0.1 per port, an Ingress for [`HOST`] to it, and our class.
fn manifests(ports: &[u16]) -> ManifestDir {
    let mut docs = vec![ServiceYaml::new("web").port(Some("http"), 80, Some("http")).to_yaml()];
    for (index, port) in ports.iter().enumerate() {
        docs.push(
            EndpointSliceYaml::new(&format!("web-{index}"), "web")
                .port(Some("http"), *port)
                .endpoint("127.0.0.1", Some(true))
                .to_yaml(),
        );
    }
    let ingress = IngressYaml::new("web").rule(Some(HOST), [path("Prefix", "/", service_backend("web", 80))]);
    ManifestDir::with_files(&[
        ("class.yaml", &our_default_class()),
        ("web.yaml", &documents(&docs)),
        ("ingress.yaml", &ingress.to_yaml()),
    ])
}

/// `count` GETs over keep-alive connections, `workers` at a time; the
/// statuses of the answers, and what went wrong with the others.
async fn load(gateway: &Gateway, count: usize, workers: usize) -> (Vec<u16>, Vec<String>) {
    let client = Pooled::http1(gateway.addr);
    let tasks: Vec<_> = (0..workers)
        .map(|worker| {
            let client = client.clone();
            tokio::spawn(async move {
                let mut answers = Vec::new();
                for n in (worker..count).step_by(workers) {
                    answers.push(client.get(HOST, &format!("/n/{n}")).await);
                }
                answers
            })
        })
        .collect();
    let (mut statuses, mut failures) = (Vec::new(), Vec::new());
    for task in tasks {
        for answer in task.await.unwrap() {
            match answer {
                Ok(answer) => statuses.push(answer.status),
                Err(why) => failures.push(why),
            }
        }
    }
    (statuses, failures)
}

/// The value of `name{backend="default/web:80"}` in the metrics text.
fn metric(metrics: &str, name: &str) -> Option<u64> {
    let prefix = format!("{name}{{backend=\"{BACKEND}\"}} ");
    metrics
        .lines()
        .find_map(|line| line.strip_prefix(&prefix))
        .map(|value| value.trim().parse().unwrap())
}

const RETRIES: &str = "ingress_upstream_connect_retries_total";
const EJECTIONS: &str = "ingress_upstream_ejections_total";
const EJECTED: &str = "ingress_upstream_ejected_endpoints";

/// 1,000 requests to a backend with `dead` refusing endpoints and one
/// live one: none fails, all reach the live one; returns the metrics.
async fn no_request_fails_with_dead_endpoints(dead: usize) -> String {
    let alive = Backend::start("alive").await;
    let mut ports: Vec<u16> = (0..dead).map(|_| closed_port()).collect();
    ports.insert(dead / 2, alive.port());
    let dir = manifests(&ports);
    let gateway = Gateway::start(dir.path(), &[]).await;

    let (statuses, failures) = load(&gateway, 1000, 8).await;
    assert!(failures.is_empty(), "{} failed: {:?}", failures.len(), &failures[..]);
    let not_ok = statuses.iter().filter(|&&status| status != 200).count();
    assert_eq!(not_ok, 0, "answers other than 200 out of {}", statuses.len());
    assert_eq!(alive.hits(), 1000);
    gateway.metrics().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_of_two_endpoints_refusing_fails_none_of_1000_requests() {
    let metrics = no_request_fails_with_dead_endpoints(1).await;
    assert!(metric(&metrics, RETRIES).unwrap() >= 1, "{metrics}");
    assert!(metric(&metrics, EJECTIONS).unwrap() >= 1, "{metrics}");
    assert_eq!(metric(&metrics, EJECTED), Some(1), "{metrics}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nine_of_ten_endpoints_refusing_fail_none_of_1000_requests() {
    let metrics = no_request_fails_with_dead_endpoints(9).await;
    // Without ejection, about 4,000 requests would start at a dead one
    // and retry up to 9 times; ejected, each dead endpoint costs a few
    // retries per back-off period.
    let retries = metric(&metrics, RETRIES).unwrap();
    assert!((9..300).contains(&retries), "{retries} retries\n{metrics}");
    assert!(metric(&metrics, EJECTIONS).unwrap() >= 9, "{metrics}");
    // All nine, unless a back-off period ended since the last ejection
    // (the live endpoint is never ejected).
    let ejected = metric(&metrics, EJECTED).unwrap();
    assert!((1..=9).contains(&ejected), "{metrics}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn all_endpoints_refusing_answer_502_within_the_connect_timeout_never_all_ejected() {
    let dir = manifests(&[closed_port(), closed_port(), closed_port()]);
    let gateway = Gateway::start(dir.path(), &["--connect-timeout-ms", "500"]).await;

    for n in 0..20 {
        let started = Instant::now();
        let answer = get(gateway.addr, HOST, &format!("/n/{n}")).await;
        let waited = started.elapsed();
        assert_eq!(answer.status, 502, "{}", answer.text());
        assert!(waited < Duration::from_secs(1), "502 after {waited:?}");
    }
    let metrics = gateway.metrics().await;
    // Every request tried all three; the last in rotation is never ejected.
    assert_eq!(metric(&metrics, RETRIES), Some(40), "{metrics}");
    assert_eq!(metric(&metrics, EJECTED), Some(2), "{metrics}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connect_timeout_is_retried_on_another_endpoint() {
    let alive = Backend::start("alive").await;
    let stalled = Stalled::start().await;
    let dir = manifests(&[stalled.port, alive.port()]);
    let flags = ["--connect-timeout-ms", "300", "--upstream-timeout-ms", "20000"];
    let gateway = Gateway::start(dir.path(), &flags).await;

    for n in 0..10 {
        let started = Instant::now();
        let answer = get(gateway.addr, HOST, &format!("/n/{n}")).await;
        let waited = started.elapsed();
        assert_eq!(answer.status, 200, "{}", answer.text());
        assert!(waited < Duration::from_secs(2), "200 after {waited:?}");
    }
    assert_eq!(alive.hits(), 10);
    let metrics = gateway.metrics().await;
    assert!(metric(&metrics, RETRIES).unwrap() >= 1, "{metrics}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endpoints_that_never_accept_answer_502_after_twice_the_connect_timeout() {
    let (first, second) = (Stalled::start().await, Stalled::start().await);
    let dir = manifests(&[first.port, second.port]);
    let flags = ["--connect-timeout-ms", "300", "--upstream-timeout-ms", "20000"];
    let gateway = Gateway::start(dir.path(), &flags).await;

    let started = Instant::now();
    let answer = get(gateway.addr, HOST, "/").await;
    let waited = started.elapsed();
    assert_eq!(answer.status, 502, "{}", answer.text());
    // One connect timeout each: the first endpoint, then the second.
    assert!(
        waited >= Duration::from_millis(550) && waited < Duration::from_secs(2),
        "502 after {waited:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ejected_endpoint_gets_traffic_again_once_it_listens() {
    let alive = Backend::start("alive").await;
    let dead = closed_port();
    let dir = manifests(&[dead, alive.port()]);
    let gateway = Gateway::start(dir.path(), &[]).await;

    let client = Pooled::http1(gateway.addr);
    for n in 0..10 {
        let answer = client.get(HOST, &format!("/n/{n}")).await.unwrap();
        assert_eq!(answer.status, 200);
    }
    let metrics = gateway.metrics().await;
    assert_eq!(metric(&metrics, EJECTED), Some(1), "{metrics}");

    // The pod is back on the same address.
    let revived = Backend::start_on("revived", dead).await;
    let (client, revived) = (&client, &revived);
    eventually(
        "the revived endpoint gets a request",
        Duration::from_secs(8),
        || async move {
            let answer = client.get(HOST, "/again").await.unwrap();
            assert_eq!(answer.status, 200);
            (revived.hits() > 0).then_some(())
        },
    )
    .await;
    let metrics = gateway.metrics().await;
    assert_eq!(metric(&metrics, EJECTED), Some(0), "{metrics}");
    // Back in the round robin.
    let before = revived.hits();
    for n in 0..20 {
        assert_eq!(client.get(HOST, &format!("/m/{n}")).await.unwrap().status, 200);
    }
    assert_eq!(revived.hits() - before, 10, "one request in two");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_post_goes_to_the_endpoint_that_accepts_whole_and_once() {
    let alive = Backend::start("alive").await;
    let dir = manifests(&[closed_port(), alive.port()]);
    let gateway = Gateway::start(dir.path(), &[]).await;

    let body = pattern(64 * 1024);
    let mut chunked = Vec::new();
    for chunk in body.chunks(10_000) {
        chunked.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        chunked.extend_from_slice(chunk);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    for n in 0..6 {
        let mut requests = vec![request("POST", &format!("/length/{n}"), Some(HOST), &[], &body)];
        let mut streamed = request(
            "POST",
            &format!("/chunked/{n}"),
            Some(HOST),
            &[("Transfer-Encoding", "chunked")],
            b"",
        );
        streamed.extend_from_slice(&chunked);
        requests.push(streamed);
        for bytes in requests {
            let answer = send(gateway.addr, &bytes).await;
            assert_eq!(answer.status, 200, "{}", answer.text());
            let seen = answer.seen();
            assert_eq!(seen.method(), "POST");
            assert_eq!(seen.body_len(), 64 * 1024);
            assert_eq!(seen.body_hash(), fingerprint(&body));
        }
    }
    assert_eq!(alive.hits(), 12, "each POST reached the live endpoint once");
    let metrics = gateway.metrics().await;
    assert!(metric(&metrics, RETRIES).unwrap() >= 1, "{metrics}");
}
