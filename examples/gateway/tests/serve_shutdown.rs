//! `ingress-gateway serve` at SIGTERM: it stops accepting, lets requests in
//! flight finish within its bound, and exits with success.
// Test code: answers are indexed and unwrapped, and a failure is a panic.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

mod support;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use support::*;
use tokio::net::TcpStream;

fn slow_site(slow: &Backend) -> ManifestDir {
    let ingress = IngressYaml::new("slow").rule(None, [path("Prefix", "/", service_backend("slow", 80))]);
    ManifestDir::with_files(&[
        ("class.yaml", &our_default_class()),
        ("services.yaml", &service_of("slow", &[slow])),
        ("slow.yaml", &ingress.to_yaml()),
    ])
}

/// Waits until connecting to `addr` is refused.
async fn until_refused(addr: SocketAddr) {
    eventually("new connections to be refused", Duration::from_secs(3), || async {
        match tokio::time::timeout(Duration::from_secs(1), TcpStream::connect(addr)).await {
            Ok(Err(_)) => Some(()),
            _ => None,
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_the_request_in_flight_finish_and_exits_0() {
    let slow = Backend::start("slow").await;
    let dir = slow_site(&slow);
    let mut gateway = Gateway::start(dir.path(), &[]).await;

    // An idle keep-alive connection, which must not hold the exit up.
    let mut idle = Conn::open(gateway.addr).await;
    idle.write(&request(
        "GET",
        "/idle",
        Some("slow.example"),
        &[("Connection", "keep-alive")],
        b"",
    ))
    .await;
    assert_eq!(idle.read_answer().await.status, 200);

    let addr = gateway.addr;
    let in_flight = tokio::spawn(async move { get(addr, "slow.example", "/slow?sleep=1500").await });
    eventually(
        "the slow request to reach its backend",
        Duration::from_secs(3),
        || async { (slow.hits() == 2).then_some(()) },
    )
    .await;
    let signalled = Instant::now();
    gateway.signal("TERM");

    until_refused(gateway.addr).await;
    assert!(
        !in_flight.is_finished(),
        "the slow request ended before new connections were refused"
    );
    let answer = step("the request in flight", in_flight).await.unwrap();
    let seen = answer.seen();
    assert_eq!((seen.backend(), seen.target()), ("slow", "/slow?sleep=1500"));
    let status = gateway.wait_exit(Duration::from_secs(5)).await;
    assert!(status.success(), "exit status {status}:\n{}", gateway.logs());
    // The default bound is 10 s: an exit well before it means nothing idle
    // held the shutdown up.
    let took = signalled.elapsed();
    assert!(took < Duration::from_secs(4), "exited {took:?} after SIGTERM");
    assert!(step("the idle connection to close", idle.closed_silently()).await);
    assert!(
        gateway.logs().contains("all connections finished"),
        "{}",
        gateway.logs()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_with_a_request_that_outlasts_the_bound_exits_at_the_bound() {
    let slow = Backend::start("slow").await;
    let dir = slow_site(&slow);
    let mut gateway = Gateway::start(dir.path(), &["--shutdown-timeout-ms", "500"]).await;

    let mut hanging = Conn::open(gateway.addr).await;
    hanging
        .write(&request("GET", "/slow?sleep=20000", Some("slow.example"), &[], b""))
        .await;
    eventually("the request to reach its backend", Duration::from_secs(3), || async {
        (slow.hits() == 1).then_some(())
    })
    .await;
    let signalled = Instant::now();
    gateway.signal("TERM");
    let status = gateway.wait_exit(Duration::from_secs(5)).await;
    let took = signalled.elapsed();
    assert!(status.success(), "exit status {status}:\n{}", gateway.logs());
    assert!(
        took >= Duration::from_millis(450) && took < Duration::from_secs(3),
        "exited {took:?} after SIGTERM"
    );
    assert!(
        step("the cut request", hanging.closed_silently()).await,
        "the hanging request got an answer"
    );
    assert!(gateway.logs().contains("shutdown bound reached"), "{}", gateway.logs());
}
