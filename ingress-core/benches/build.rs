//! Build cost: validating and compiling 10k Ingresses of 3 paths each
//! (30k paths on 5k hosts, two Ingresses per host), and compiling alone from
//! a prepared `IngressSet`, against building the matchit baseline (one
//! router per host) from the same Ingresses in the same run.

#![allow(clippy::print_stderr)]

mod support;

use std::collections::HashMap;
use std::hint::black_box;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use ingress_core::IngressSet;
use support::{Workload, matchit_routers, options};

const INGRESSES: usize = 10_000;
const PATHS_PER_INGRESS: usize = 3;

fn build(c: &mut Criterion) {
    let workload = Workload::shared_hosts(INGRESSES, PATHS_PER_INGRESS, 7);
    let set = workload.set();
    let options = options();
    let table = set.compile(&options);
    assert!(table.report().diagnostics().is_empty(), "{:?}", table.report());
    eprintln!(
        "build: {} Ingresses, {} paths, {} hosts; table has {} entries",
        workload.ingresses.len(),
        workload.rules.len(),
        workload.hosts.len(),
        table.len(),
    );
    drop(table);

    let mut group = c.benchmark_group("build/10k_ingresses_30k_paths");
    group.sample_size(20);
    // The result is dropped outside the timed section: only building counts.
    group.bench_function("apply_and_compile", |b| {
        b.iter_batched(
            || (),
            |()| {
                let mut set = IngressSet::new();
                for ingress in black_box(&workload.ingresses) {
                    set.apply(ingress);
                }
                let table = set.compile(&options);
                (set, table)
            },
            BatchSize::PerIteration,
        );
    });
    group.bench_function("apply", |b| {
        b.iter_batched(
            || (),
            |()| {
                let mut set = IngressSet::new();
                for ingress in black_box(&workload.ingresses) {
                    set.apply(ingress);
                }
                set
            },
            BatchSize::PerIteration,
        );
    });
    group.bench_function("compile", |b| {
        b.iter_batched(|| (), |()| black_box(&set).compile(&options), BatchSize::PerIteration);
    });
    group.bench_function("matchit_baseline", |b| {
        b.iter_batched(
            || (),
            |()| -> HashMap<String, matchit::Router<usize>> { matchit_routers(black_box(&workload.ingresses)) },
            BatchSize::PerIteration,
        );
    });
    group.finish();
}

criterion_group!(benches, build);
criterion_main!(benches);
