//! The manifest-file path at N Ingresses, Services and EndpointSlices:
//! live bytes of each stage from files to a ready feed, counted by the
//! bench's allocator.
//!
//! The objects are those of the cluster stages, without the fields the
//! API server adds (as the gateway's `kube_feed` benchmark writes them for
//! `serve --manifests`), written as 50 JSON files, one value per line,
//! with the default IngressClass in the first. Stages:
//!
//! - **load**: [`FileSource::load`] into a [`Feed`] (with a
//!   [`Tables`] publisher), as `ingress-gateway serve --manifests`
//!   starts: the peak of live bytes while it ran, what is held with its
//!   [`FilesLoaded`] kept, and what stays once that is dropped (the
//!   source's cache, the feed's objects and tables: what a gateway keeps);
//! - **reload**: the same source loading again after one file changed
//!   (one parsed, the others from its cache): peak, and what it added;
//!   then the feed is dropped (what it freed), leaving the source's cache;
//! - **parts**: the same files through the steps `FileSource::load`
//!   takes, each counted on its own: [`Manifests::load`] alone,
//!   [`Manifests::load_cached`] (cache and manifests), the cache once the
//!   manifests are dropped, [`Snapshot::from_manifests`], and the feed's
//!   apply and first rebuild.

use std::fmt::Write as _;
use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Duration;

use ingress_core::Backend;
use ingress_kube::feed::{Feed, FileSource, Snapshot, Tables};
use ingress_kube::{ClassSelector, ManifestCache, Manifests};
use serde_json::{Value, json};

use super::{GLOBAL, endpoint_slice, held, ingress, report, service};

/// Files the objects are spread over, as the gateway's benchmark writes
/// them (one per namespace).
const FILES: usize = 50;

/// Live bytes now: allocated minus freed since the start.
fn live() -> isize {
    let stats = GLOBAL.stats();
    let allocated = isize::try_from(stats.bytes_allocated).unwrap_or(isize::MAX);
    let freed = isize::try_from(stats.bytes_deallocated).unwrap_or(isize::MAX);
    allocated - freed
}

/// The highest live byte count seen while `work` ran, above the count
/// when it started, sampled every 50 µs on a thread of its own (so a
/// lower bound); with `work`'s result.
fn peak<R>(work: impl FnOnce() -> R) -> (R, isize) {
    let start = live();
    let stop = Arc::new(AtomicBool::new(false));
    let sampler = {
        let stop = Arc::clone(&stop);
        thread::spawn(move || {
            let mut highest = start;
            while !stop.load(Ordering::Relaxed) {
                highest = highest.max(live());
                thread::sleep(Duration::from_micros(50));
            }
            highest.max(live())
        })
    };
    let result = work();
    stop.store(true, Ordering::Relaxed);
    let highest = sampler.join().unwrap_or(start);
    (result, highest - start)
}

/// `object` without what the API server adds to what was applied.
fn as_applied(mut object: Value) -> Value {
    if let Some(metadata) = object.get_mut("metadata").and_then(Value::as_object_mut) {
        for field in ["uid", "resourceVersion", "creationTimestamp", "generation"] {
            metadata.remove(field);
        }
    }
    object
}

fn class() -> Value {
    json!({
        "apiVersion": "networking.k8s.io/v1", "kind": "IngressClass",
        "metadata": {"name": "gateway",
            "annotations": {ingress_kube::IS_DEFAULT_CLASS_ANNOTATION: "true"}},
        "spec": {"controller": ingress_kube::DEFAULT_CONTROLLER},
    })
}

/// Writes the objects into `dir` as [`FILES`] JSON files; their size.
fn write(dir: &Path, n: usize) -> usize {
    let mut files = vec![String::new(); FILES];
    if let Some(first) = files.first_mut() {
        let _ = writeln!(first, "{}", class());
    }
    for i in 0..n {
        if let Some(file) = files.get_mut(i % FILES) {
            for object in [service(i), endpoint_slice(i), ingress(i)] {
                let _ = writeln!(file, "{}", as_applied(object));
            }
        }
    }
    for (index, text) in files.iter().enumerate() {
        std::fs::write(dir.join(format!("team-{index:02}.json")), text)
            .unwrap_or_else(|error| panic!("bench file: {error}"));
    }
    files.iter().map(String::len).sum()
}

fn new_feed() -> Feed<impl ingress_kube::feed::Publish> {
    Feed::new(
        ClassSelector::default(),
        Tables::new(|backend: &Backend| backend.to_string()),
    )
}

/// Adds an Ingress to the last file, so that it is parsed again.
fn touch_one(dir: &Path, n: usize) {
    let path = dir.join(format!("team-{:02}.json", FILES - 1));
    let mut text = std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("bench file: {error}"));
    let mut extra = as_applied(ingress(n));
    if let Some(name) = extra.pointer_mut("/metadata/name") {
        *name = json!("app-extra");
    }
    let _ = writeln!(text, "{extra}");
    std::fs::write(&path, text).unwrap_or_else(|error| panic!("bench file: {error}"));
}

/// The manifest-file stages, reported as `files:` lines.
pub(crate) fn run(n: usize) {
    let dir = tempfile::tempdir().unwrap_or_else(|error| panic!("bench dir: {error}"));
    let bytes = write(dir.path(), n);
    let objects = 3 * n + 1;
    println!("files: {n} Ingresses, {n} Services, {n} EndpointSlices in {FILES} JSON files of {bytes} bytes");

    // As the gateway starts: one source, one feed, both kept.
    let start = live();
    let mut feed = new_feed();
    let mut source = FileSource::new(dir.path(), Duration::from_secs(1));
    let (loaded, top) = peak(|| source.load(&mut feed));
    let loaded = loaded.unwrap_or_else(|error| panic!("bench load: {error}"));
    assert_eq!(loaded.manifests.errors().len(), 0, "every bench file parses");
    assert_eq!(loaded.manifests.ingresses().len(), n);
    report("files: FileSource::load, peak during", objects, top);
    report("files: FileSource::load, FilesLoaded kept", objects, live() - start);
    drop(loaded);
    let kept = live() - start;
    report("files: FileSource::load, FilesLoaded dropped", objects, kept);

    touch_one(dir.path(), n);
    let before = live();
    let (reloaded, top) = peak(|| source.load(&mut feed));
    let reloaded = reloaded.unwrap_or_else(|error| panic!("bench reload: {error}"));
    assert_eq!(reloaded.parsed, 1, "one file changed");
    drop(reloaded);
    report("files: reload, one file changed, peak during", objects, top);
    report("files: reload, one file changed, added", objects, live() - before);
    let region = stats_alloc::Region::new(GLOBAL);
    drop(feed);
    report("files: the feed dropped (freed)", objects, -held(region.change()));
    report("files: what the source holds (its cache)", objects, live() - start);
    drop(source);

    // The same steps, one by one.
    let region = stats_alloc::Region::new(GLOBAL);
    let plain = Manifests::load(dir.path()).unwrap_or_else(|error| panic!("bench load: {error}"));
    report("files: Manifests::load", objects, held(region.change()));
    drop(plain);

    let region = stats_alloc::Region::new(GLOBAL);
    let mut cache = ManifestCache::new();
    let manifests = Manifests::load_cached(dir.path(), &mut cache).unwrap_or_else(|error| panic!("bench: {error}"));
    report(
        "files: Manifests::load_cached, cache + manifests",
        objects,
        held(region.change()),
    );

    let region = stats_alloc::Region::new(GLOBAL);
    let snapshot = Snapshot::from_manifests(&manifests);
    report("files: Snapshot::from_manifests", objects, held(region.change()));

    let region = stats_alloc::Region::new(GLOBAL);
    drop(manifests);
    report("files: Manifests dropped (freed)", objects, -held(region.change()));

    let region = stats_alloc::Region::new(GLOBAL);
    let mut feed = new_feed();
    feed.apply(snapshot);
    let rebuilt = feed.rebuild();
    assert!(rebuilt.is_some_and(|rebuilt| rebuilt.first), "the first tables");
    report(
        "files: Feed apply + first rebuild (tables)",
        objects,
        held(region.change()),
    );
    black_box((&cache, &feed));
}
