//! What the layer adds to a request: the same requests through a bare inner
//! service and through `IngressRouting<inner>`, in process, at 10 and 10k rules.
//!
//! The inner service answers at once; each request is built, called and
//! polled to completion with a no-op waker, so the difference between the
//! two is the layer's own work: reading the host sources, canonicalising
//! host and path, one table load and lookup, the route record in the
//! extensions, the 404 answer for unknown hosts, and the URI rewrite when
//! the path was not canonical. Two request mixes: canonical paths (what
//! traffic mostly is) and paths that all need rewriting.

#![allow(clippy::unwrap_used, clippy::indexing_slicing, missing_docs)]

use std::convert::Infallible;
use std::future::{Future, Ready, ready};
use std::hint::black_box;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use http::{Request, Response};
use http_body_util::Full;
use ingress_core::{HttpIngressPath, Ingress, IngressBackend, RouteTable, SharedTable, TableOptions};
use ingress_tower::IngressRoutingLayer;
use tower::{Layer, Service};

const PATHS: &[&str] = &[
    "/",
    "/api",
    "/api/v1",
    "/static",
    "/assets/js",
    "/login",
    "/healthz",
    "/docs/v1",
];
const REQUESTS: usize = 1024;

/// `rules` rules over `rules / 5` hosts (5 paths each, every third Exact).
fn table(rules: usize) -> SharedTable {
    let hosts = rules.div_ceil(5);
    let ingresses = (0..hosts).map(|h| {
        let paths = (0..5).map(|p| {
            let path = PATHS[(h + p) % PATHS.len()];
            let backend = IngressBackend::service(format!("svc-{}", h % 50), 8080);
            if p % 3 == 2 {
                HttpIngressPath::exact(path, backend)
            } else {
                HttpIngressPath::prefix(path, backend)
            }
        });
        Ingress::new("bench", format!("ing-{h}")).with_rule(Some(&format!("app-{h}.example.com")), paths)
    });
    SharedTable::new(RouteTable::from_ingresses(ingresses, &TableOptions::default()))
}

/// Which requests a run sends.
#[derive(Clone, Copy)]
enum Mix {
    /// What traffic mostly is: canonical paths, 7 in 8 routed (some with a
    /// suffix under a Prefix rule), 1 in 8 unknown hosts (404).
    Canonical,
    /// Every path needs canonicalising (`//`, `.`), so every routed request
    /// also gets its URI rewritten.
    Rewritten,
}

/// Host and target of each request.
fn requests(rules: usize, mix: Mix) -> Vec<(String, String)> {
    let hosts = rules.div_ceil(5);
    (0..REQUESTS)
        .map(|i| {
            let host = format!("app-{}.example.com", (i * 7919) % hosts);
            let path = PATHS[i % PATHS.len()].trim_end_matches('/');
            match (mix, i % 8) {
                (Mix::Canonical, 7) => ("unknown.example.org".to_owned(), "/".to_owned()),
                (Mix::Canonical, n) if n % 2 == 0 => (host, format!("{path}/item/42?x=1")),
                (Mix::Canonical, _) if path.is_empty() => (host, "/".to_owned()),
                (Mix::Canonical, _) => (host, path.to_owned()),
                (Mix::Rewritten, _) => (host, format!("{path}//a/./b?x=1")),
            }
        })
        .collect()
}

#[derive(Clone)]
struct Inner;

impl Service<Request<()>> for Inner {
    type Response = Response<Full<Bytes>>;
    type Error = Infallible;
    type Future = Ready<Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<()>) -> Self::Future {
        black_box(&request);
        ready(Ok(Response::new(Full::new(Bytes::from_static(b"ok")))))
    }
}

fn run<S>(service: &mut S, requests: &[(String, String)])
where
    S: Service<Request<()>>,
{
    let mut cx = Context::from_waker(Waker::noop());
    for (host, target) in requests {
        let request = Request::get(target.as_str())
            .header(http::header::HOST, host.as_str())
            .body(())
            .unwrap();
        let future = pin!(service.call(request));
        assert!(future.poll(&mut cx).is_ready());
    }
}

fn layer(c: &mut Criterion) {
    for rules in [10, 10_000] {
        let table = table(rules);
        for (name, mix) in [("canonical", Mix::Canonical), ("rewritten", Mix::Rewritten)] {
            let requests = requests(rules, mix);
            let mut group = c.benchmark_group(format!("layer/{rules}_rules/{name}"));
            group.throughput(Throughput::Elements(REQUESTS as u64));
            let mut bare = Inner;
            group.bench_function("bare_inner", |b| b.iter(|| run(&mut bare, black_box(&requests))));
            let mut layered = IngressRoutingLayer::new(table.clone()).layer(Inner);
            group.bench_function("ingress_layer", |b| b.iter(|| run(&mut layered, black_box(&requests))));
            // The difference itself, each layered run timed right after a bare
            // one, so that the machine's drift between the two cancels out.
            group.bench_function("added_by_layer", |b| {
                b.iter_custom(|iterations| {
                    let mut added = Duration::ZERO;
                    for _ in 0..iterations {
                        let start = Instant::now();
                        run(&mut bare, black_box(&requests));
                        let bare_time = start.elapsed();
                        let start = Instant::now();
                        run(&mut layered, black_box(&requests));
                        added += start.elapsed().saturating_sub(bare_time);
                    }
                    added
                });
            });
            group.finish();
        }
    }
}

criterion_group!(benches, layer);
criterion_main!(benches);
