//! Bytes held by a compiled `RouteTable` of 30k paths (10k Ingresses of 3
//! paths, two Ingresses per host) and by the matchit baseline (one router
//! per host) for the same rules, measured by counting allocations.
//!
//! Not a criterion benchmark: it prints one line per structure. "Held" is
//! bytes allocated minus bytes freed while the structure was built, with
//! every temporary (and, for the table, the `IngressSet` it was compiled
//! from) already dropped, so it is what stays live while the structure does.

#![allow(clippy::print_stdout)]

mod support;

use std::alloc::System;
use std::collections::HashMap;
use std::hint::black_box;
use std::mem::size_of;
use std::sync::Arc;

use ingress_core::objects::ObjectKey;
use ingress_core::table::{Matched, RouteTarget};
use ingress_core::validation::HostRule;
use ingress_core::{Backend, RouteTable};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, Stats, StatsAlloc};
use support::{Workload, matchit_routers, options};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Target for the table of 30k paths.
const TARGET_BYTES: isize = 10_000_000;

/// Bytes still allocated out of those allocated in the region. (stats_alloc
/// already counts a reallocation's growth or shrinkage in `bytes_allocated`
/// or `bytes_deallocated`; `bytes_reallocated` is the same amount again.)
fn held(change: Stats) -> isize {
    let allocated = isize::try_from(change.bytes_allocated).unwrap_or(isize::MAX);
    let freed = isize::try_from(change.bytes_deallocated).unwrap_or(isize::MAX);
    allocated - freed
}

fn live_blocks(change: Stats) -> isize {
    let allocations = isize::try_from(change.allocations).unwrap_or(isize::MAX);
    let deallocations = isize::try_from(change.deallocations).unwrap_or(isize::MAX);
    allocations - deallocations
}

fn mib(bytes: isize) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn report(what: &str, paths: usize, change: Stats) -> isize {
    let bytes = held(change);
    let per_path = bytes / isize::try_from(paths.max(1)).unwrap_or(1);
    println!(
        "memory: {what:<48} {bytes:>11} bytes held ({:6.2} MiB, {per_path:>4} B/path, {:>6} live allocations)",
        mib(bytes),
        live_blocks(change),
    );
    bytes
}

fn main() {
    let workload = Workload::shared_hosts(10_000, 3, 7);
    let paths = workload.rules.len();
    let options = options();
    println!(
        "memory: {} Ingresses, {paths} paths, {} hosts",
        workload.ingresses.len(),
        workload.hosts.len()
    );

    let region = Region::new(GLOBAL);
    let set = workload.set();
    let set_bytes = held(region.change());
    drop(set);

    let region = Region::new(GLOBAL);
    let table = {
        let set = workload.set();
        set.compile(&options)
    };
    let table_change = region.change();
    assert_eq!(table.report().diagnostics().len(), 0);
    let table = black_box(table);

    let region = Region::new(GLOBAL);
    let routers: HashMap<String, matchit::Router<usize>> = matchit_routers(&workload.ingresses);
    let routers_change = region.change();
    let routers = black_box(routers);

    let table_bytes = report("RouteTable (compiled, IngressSet dropped)", paths, table_change);
    let matchit_bytes = report("matchit baseline HashMap<String, Router<usize>>", paths, routers_change);
    println!(
        "memory: {:<48} {set_bytes:>11} bytes held ({:6.2} MiB)",
        "IngressSet (validated input, for reference)",
        mib(set_bytes),
    );
    let ratio = table_bytes as f64 / matchit_bytes.max(1) as f64;
    println!(
        "memory: table / matchit = {ratio:.2}; target table < {TARGET_BYTES} bytes: {}",
        if table_bytes < TARGET_BYTES { "met" } else { "MISSED" }
    );
    breakdown(&table, table_bytes);

    // Cross-check: dropping each structure frees what it was counted as holding.
    let region = Region::new(GLOBAL);
    drop(table);
    let table_freed = region.change().bytes_deallocated;
    let region = Region::new(GLOBAL);
    drop(routers);
    let routers_freed = region.change().bytes_deallocated;
    println!("memory: check: dropping frees {table_freed} bytes (table) and {routers_freed} bytes (matchit)");
}

/// Bytes a deep copy of `targets` holds: the vector, one `Arc` block per
/// entry and the strings each entry owns (`Arc` strings are shared, not
/// counted).
fn entries_bytes<B: Clone>(targets: &[Arc<RouteTarget<B>>]) -> isize {
    let region = Region::new(GLOBAL);
    let copy: Vec<Arc<RouteTarget<B>>> = targets.iter().map(|t| Arc::new(RouteTarget::clone(t))).collect();
    let bytes = held(region.change());
    drop(black_box(copy));
    bytes
}

/// Where the table's bytes go, from what the public API can copy: the
/// entries (deep-copied), the host levels with their indexes (a copy of the
/// table with `()` backends, minus its entries), and the rest (strings shared
/// with the validated objects, such as object keys and service names, plus
/// spare capacity that copies do not have).
fn breakdown(table: &RouteTable, total: isize) {
    let entries = entries_bytes(table.targets());
    let region = Region::new(GLOBAL);
    let unit = table.map_backends(|_| ());
    let unit_bytes = held(region.change());
    let levels = unit_bytes - entries_bytes(unit.targets());
    drop(black_box(unit));
    let rest = total - entries - levels;
    let paths = isize::try_from(table.len().max(1)).unwrap_or(1);
    println!(
        "memory: table breakdown: entries {entries} ({} B/entry), host levels + indexes ~{levels} ({} B/entry), \
         shared strings + spare capacity ~{rest}",
        entries / paths,
        levels / paths,
    );
    println!(
        "memory: size_of: RouteTarget<Backend> {} = Backend {} + ObjectKey {} + HostRule {} + Matched {} (+ padding)",
        size_of::<RouteTarget<Backend>>(),
        size_of::<Backend>(),
        size_of::<ObjectKey>(),
        size_of::<HostRule>(),
        size_of::<Matched>(),
    );
}
