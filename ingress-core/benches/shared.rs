//! What reading through the live handle costs: `SharedTable::load()` and
//! then `find`, per request, against `find` on the table itself, at 10k
//! rules on the same request set.

#![allow(clippy::print_stderr)]

mod support;

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ingress_core::SharedTable;
use support::{Workload, options};

const REQUESTS: usize = 2048;

fn shared(c: &mut Criterion) {
    let workload = Workload::many_hosts(10_000, 2);
    let shared = SharedTable::new(workload.set().compile(&options()));
    // The very table the handle holds, so both sides read the same memory
    // (a clone would be laid out differently, and faster or slower for it).
    let held = shared.load_full();
    let table = held.table();
    let requests = workload.requests(REQUESTS, 0x5EED);
    eprintln!(
        "shared: {} rules on {} hosts, {} requests",
        workload.rules.len(),
        workload.hosts.len(),
        requests.len(),
    );

    let mut group = c.benchmark_group("shared/10k_rules");
    group.throughput(Throughput::Elements(requests.len() as u64));
    group.bench_function("table_find", |b| {
        b.iter(|| {
            for request in black_box(&requests) {
                black_box(table.find(&request.host, &request.path));
            }
        });
    });
    group.bench_function("load_then_find", |b| {
        b.iter(|| {
            for request in black_box(&requests) {
                // One load per request, as a server does.
                let current = shared.load();
                black_box(current.find(&request.host, &request.path));
            }
        });
    });
    group.bench_function("load_only", |b| {
        b.iter(|| {
            for _ in black_box(&requests) {
                black_box(shared.load().version());
            }
        });
    });
    group.finish();
}

criterion_group!(benches, shared);
criterion_main!(benches);
