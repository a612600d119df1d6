//! What the gateway's integration tests share: the real `ingress-gateway`
//! binary run once per command ([`binary`]: `check` and `route`) or kept
//! running ([`gateway`]: `serve`), backends on loopback (127.0.0.1 only),
//! clients that give up after [`STEP`], and the manifests of a test in a
//! directory of its own ([`ManifestDir`], with the YAML builders of
//! `ingress-test-support`). Everything started here stops itself when
//! dropped: the gateway process is killed, backend tasks end, the
//! directory is removed.
// Helpers panic (with the gateway's logs) when a step fails: that is the test
// failing. Each test binary uses a subset of them.
#![allow(
    dead_code,
    unused_imports,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::print_stderr
)]

pub mod backend;
pub mod binary;
pub mod client;
pub mod gateway;
pub mod manifests;
pub mod raw_upstream;
pub mod slow_upstream;
pub mod tls;
pub mod tls_manifests;

use std::future::Future;
use std::time::{Duration, Instant};

pub use backend::{Backend, Stalled, closed_port};
pub use binary::{route, route_one, run, samples, text};
pub use client::{Answer, Conn, Pooled, Seen, get, request, send, try_get};
pub use gateway::Gateway;
pub use ingress_test_support::{
    EndpointSliceYaml, IngressClassYaml, IngressYaml, ManifestDir, ServiceYaml, documents, path, resource_backend,
    service_backend,
};
pub use manifests::{CONTROLLER, our_default_class, service_of, services};
pub use raw_upstream::{RawUpstream, Received};
pub use slow_upstream::SlowUpstream;

/// The longest any single network step (connect, send, read an answer) may
/// take before the test fails.
pub const STEP: Duration = Duration::from_secs(5);

/// Runs `future` under [`STEP`], failing the test with `what` on timeout.
pub async fn step<T>(what: &str, future: impl Future<Output = T>) -> T {
    match tokio::time::timeout(STEP, future).await {
        Ok(value) => value,
        Err(_) => panic!("timed out after {STEP:?}: {what}"),
    }
}

/// Polls `check` every 25 ms until it returns `Some`, for at most `bound`.
pub async fn eventually<T, F, Fut>(what: &str, bound: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let started = Instant::now();
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(started.elapsed() < bound, "not within {bound:?}: {what}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}
