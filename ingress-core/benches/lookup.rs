//! Lookup cost of the compiled table against two baselines in the same run:
//! one matchit router per host (the Exact/Prefix encoding of
//! `tests/differential.rs`) and the linear reference matcher.
//!
//! Each benchmark routes a whole pre-generated request set per iteration
//! (canonical host and path, about 70% aimed at rules, the rest near misses
//! and unknown hosts), so criterion's element throughput is requests per
//! second and time / elements is the cost of one request.

#![allow(clippy::indexing_slicing, clippy::print_stderr)]

mod support;

use std::collections::HashMap;
use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ingress_core::reference::ReferenceMatcher;
use support::{Request, Workload, check_agreement, matchit_find, matchit_routers, options};

/// Requests routed per iteration.
const REQUESTS: usize = 2048;

/// Requests the linear scan routes per iteration at 100k rules, where one
/// request costs a scan of every rule.
const LINEAR_REQUESTS_AT_100K: usize = 128;

fn bench_workload(c: &mut Criterion, name: &str, workload: &Workload, linear_requests: usize) {
    let set = workload.set();
    let table = set.compile(&options());
    assert!(table.report().diagnostics().is_empty(), "{:?}", table.report());
    let routers: HashMap<String, matchit::Router<usize>> = matchit_routers(&workload.ingresses);
    let routers_foldhash: HashMap<String, matchit::Router<usize>, foldhash::fast::RandomState> =
        matchit_routers(&workload.ingresses);
    let reference = ReferenceMatcher::new(set.serving(), &options());
    let requests = workload.requests(REQUESTS, 0x5EED);
    let hits = check_agreement(workload, &table, &routers, &reference, &requests, 64);
    eprintln!(
        "{name}: {} rules on {} hosts, {} requests ({hits} hits); linear scan routes the first {linear_requests}",
        workload.rules.len(),
        workload.hosts.len(),
        requests.len(),
    );

    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::Elements(requests.len() as u64));
    group.bench_function("table", |b| {
        b.iter(|| {
            for request in black_box(&requests) {
                black_box(table.find(&request.host, &request.path));
            }
        });
    });
    group.bench_function("matchit", |b| {
        b.iter(|| {
            for request in black_box(&requests) {
                black_box(matchit_find(&routers, request));
            }
        });
    });
    group.bench_function("matchit_foldhash", |b| {
        b.iter(|| {
            for request in black_box(&requests) {
                black_box(matchit_find(&routers_foldhash, request));
            }
        });
    });
    let linear: &[Request] = &requests[..linear_requests.min(requests.len())];
    group.throughput(Throughput::Elements(linear.len() as u64));
    group.sample_size(10);
    group.bench_function("linear", |b| {
        b.iter(|| {
            for request in black_box(linear) {
                black_box(reference.route(&request.host, request.path.as_str()));
            }
        });
    });
    group.finish();
}

fn lookup(c: &mut Criterion) {
    bench_workload(c, "lookup/1k_rules", &Workload::many_hosts(1_000, 1), REQUESTS);
    bench_workload(c, "lookup/10k_rules", &Workload::many_hosts(10_000, 2), REQUESTS);
    bench_workload(
        c,
        "lookup/100k_rules",
        &Workload::many_hosts(100_000, 3),
        LINEAR_REQUESTS_AT_100K,
    );
    bench_workload(c, "lookup/1k_rules_one_host", &Workload::one_host(1_000, 4), REQUESTS);
}

criterion_group!(benches, lookup);
criterion_main!(benches);
