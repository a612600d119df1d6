//! The shared handle: lock-free readers, atomic swaps, skipped no-op publishes.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;

use common::*;
use ingress_core::canonical::RequestHost;
use ingress_core::shared::Published;
use ingress_core::{RouteTable, SharedTable, TableOptions};

fn version_table(version: usize) -> RouteTable {
    // Every path and the host-less level agree on the version number, so a
    // reader can tell whether it saw one whole table.
    RouteTable::from_ingresses(
        [ingress("web", 1).with_rule(
            None,
            [
                prefix("/", &format!("v{version}")),
                prefix("/a", &format!("v{version}")),
                exact("/a/b", &format!("v{version}")),
            ],
        )],
        &TableOptions::default(),
    )
}

fn service_of(table: &RouteTable, path: &str) -> String {
    let target = table
        .find(&RequestHost::None, &common::canon(path))
        .expect("every version routes every path");
    target.backend().to_string()
}

#[test]
fn publish_counts_versions_and_skips_equal_tables() {
    let shared = SharedTable::new(version_table(1));
    assert_eq!(shared.version(), 1);
    assert_eq!(shared.publish(version_table(1)), Published::Unchanged { version: 1 });
    assert_eq!(shared.publish(version_table(2)), Published::New { version: 2 });
    assert_eq!(shared.publish(version_table(2)), Published::Unchanged { version: 2 });
    let clone = shared.clone();
    assert_eq!(clone.publish(version_table(3)), Published::New { version: 3 });
    assert_eq!(shared.version(), 3);
}

#[test]
fn in_flight_readers_keep_the_table_they_loaded() {
    let shared = SharedTable::new(version_table(1));
    let guard = shared.load();
    let held = shared.load_full();
    shared.publish(version_table(2));
    assert_eq!(service_of(&guard, "/a/b"), "default/v1:80");
    assert_eq!(held.version(), 1);
    assert_eq!(service_of(&shared.load(), "/a/b"), "default/v2:80");
}

#[test]
fn readers_see_whole_tables_while_a_writer_swaps() {
    let shared = SharedTable::new(version_table(0));
    let stop = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = (0..4)
        .map(|_| {
            let shared = shared.clone();
            let stop = Arc::clone(&stop);
            thread::spawn(move || {
                let mut reads = 0u64;
                let mut last_version = 0;
                while !stop.load(Ordering::Relaxed) || reads < 1000 {
                    let table = shared.load();
                    assert!(table.version() >= last_version, "versions never go back");
                    last_version = table.version();
                    let expected = format!("default/v{}:80", table.version() - 1);
                    for path in ["/", "/a/x", "/a/b"] {
                        assert_eq!(service_of(&table, path), expected);
                    }
                    reads += 1;
                }
                reads
            })
        })
        .collect();
    for version in 1..=300 {
        assert_eq!(
            shared.publish(version_table(version)),
            Published::New {
                version: version as u64 + 1
            }
        );
    }
    stop.store(true, Ordering::Relaxed);
    for reader in readers {
        assert!(reader.join().expect("reader panicked") >= 1000);
    }
    assert_eq!(shared.version(), 301);
}
