//! What the layer adds to a request: the same requests through a bare inner
//! service and through `Ingress<inner>`, in process, at 10 and 10k rules.
//!
//! The inner service answers at once; each request is built, called and
//! polled to completion with a no-op waker, so the difference between the
//! two is the layer's own work: reading the host sources, canonicalising
//! host and path, one table load and lookup, the route record in the
//! extensions, and the URI rewrite when the path was not canonical.

#![allow(clippy::unwrap_used, clippy::indexing_slicing, missing_docs)]

use std::convert::Infallible;
use std::future::{Future, Ready, ready};
use std::hint::black_box;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use http::{Request, Response};
use http_body_util::Full;
use ingress_core::{HttpIngressPath, Ingress, IngressBackend, RouteTable, SharedTable, TableOptions};
use ingress_tower::IngressLayer;
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

/// Host and target of each request: mostly hits, some with a suffix or a
/// non-canonical spelling, some misses.
fn requests(rules: usize) -> Vec<(String, String)> {
    let hosts = rules.div_ceil(5);
    (0..REQUESTS)
        .map(|i| {
            let host = format!("app-{}.example.com", (i * 7919) % hosts);
            let path = PATHS[i % PATHS.len()];
            let target = match i % 4 {
                0 => path.to_owned(),
                1 => format!("{}/item/42?x=1", path.trim_end_matches('/')),
                2 => format!("{}//a/./b", path.trim_end_matches('/')),
                _ => "/nope".to_owned(),
            };
            (host, target)
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
        let requests = requests(rules);
        let mut group = c.benchmark_group(format!("layer/{rules}_rules"));
        group.throughput(Throughput::Elements(REQUESTS as u64));
        let mut bare = Inner;
        group.bench_function("bare_inner", |b| b.iter(|| run(&mut bare, black_box(&requests))));
        let mut layered = IngressLayer::new(table.clone()).layer(Inner);
        group.bench_function("ingress_layer", |b| b.iter(|| run(&mut layered, black_box(&requests))));
        group.finish();
    }
}

criterion_group!(benches, layer);
criterion_main!(benches);
