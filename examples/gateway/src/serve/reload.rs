//! Manifests in, tables out, again whenever the files change.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash as _, Hasher as _};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use ingress_core::{IngressSet, Published, TableOptions};
use ingress_kube::{ClassSelector, Loaded, Manifests};

use super::state::Gateway;
use super::upstreams::Upstreams;

pub(crate) struct Reloader {
    path: PathBuf,
    selector: ClassSelector,
    /// Keeps the last valid version of each Ingress across reloads (V8).
    set: IngressSet,
    /// A fingerprint of the files' names, sizes and times at the last load.
    stamp: u64,
}

impl Reloader {
    pub(crate) fn new(path: PathBuf, selector: ClassSelector) -> Self {
        Self {
            path,
            selector,
            set: IngressSet::new(),
            stamp: 0,
        }
    }

    /// Loads the manifests and publishes new tables. With `keep_last_good`,
    /// files that fail to parse change nothing (the last good tables stay);
    /// on the first load there is nothing to keep, and what parsed is served.
    pub(crate) fn load(&mut self, gateway: &Gateway, keep_last_good: bool) -> anyhow::Result<()> {
        let started = Instant::now();
        self.stamp = stamp(&self.path);
        let manifests = Manifests::load(&self.path)?;
        for error in manifests.errors() {
            tracing::error!(%error, "manifest does not parse");
        }
        if keep_last_good && !manifests.errors().is_empty() {
            anyhow::bail!(
                "{} manifest errors; the last good routes stay",
                manifests.errors().len()
            );
        }
        let loaded = Loaded::new(manifests, &self.selector);
        for ignored in loaded.ignored() {
            tracing::debug!(%ignored, "not ours");
        }
        self.set.sync(loaded.ingresses());
        let table = self.set.compile(&TableOptions::default());
        for diagnostic in table.report().diagnostics() {
            tracing::warn!(%diagnostic, "manifest problem");
        }
        let routes = table.len();
        let rejected = table.report().rejections().count();
        let metrics = &gateway.metrics;
        metrics.table_builds.inc();
        metrics.table_routes.set(i64::try_from(routes).unwrap_or(i64::MAX));
        metrics
            .rejected_objects
            .set(i64::try_from(rejected).unwrap_or(i64::MAX));
        let upstreams = Upstreams::new(loaded.manifests(), &table);
        let version = match gateway.routes.publish(table) {
            Published::New { version } | Published::Unchanged { version } => version,
        };
        let endpoints = upstreams.endpoint_count();
        upstreams.record(metrics);
        gateway.upstreams.store(Arc::new(upstreams));
        metrics.table_build_seconds.observe(started.elapsed().as_secs_f64());
        gateway.ready.store(true, Ordering::Release);
        tracing::info!(
            version,
            routes,
            rejected,
            ignored = loaded.ignored().len(),
            endpoints,
            millis = started.elapsed().as_millis(),
            "manifests loaded"
        );
        Ok(())
    }

    /// Checks the files every `interval` and reloads after each change.
    pub(crate) async fn watch(mut self, gateway: Arc<Gateway>, interval: Duration) {
        let mut ticks = tokio::time::interval(interval);
        loop {
            ticks.tick().await;
            if stamp(&self.path) == self.stamp {
                continue;
            }
            if let Err(error) = self.load(&gateway, true) {
                tracing::error!(%error, "reload failed");
            }
        }
    }
}

/// A fingerprint of every manifest file's name, size and modification time.
fn stamp(path: &Path) -> u64 {
    let mut hasher = DefaultHasher::new();
    visit(path, 0, &mut |file, metadata| {
        file.hash(&mut hasher);
        metadata.len().hash(&mut hasher);
        metadata.modified().ok().hash(&mut hasher);
    });
    hasher.finish()
}

/// Directories deeper than this are not looked into (a link loop ends here).
const MAX_DEPTH: usize = 16;

fn visit(path: &Path, depth: usize, each: &mut dyn FnMut(&Path, &std::fs::Metadata)) {
    let Ok(metadata) = std::fs::metadata(path) else {
        return;
    };
    if !metadata.is_dir() {
        each(path, &metadata);
        return;
    }
    if depth >= MAX_DEPTH {
        return;
    }
    let Ok(entries) = std::fs::read_dir(path) else {
        return;
    };
    let mut children: Vec<PathBuf> = entries.filter_map(|entry| Some(entry.ok()?.path())).collect();
    children.sort();
    for child in children {
        let hidden = child
            .file_name()
            .is_some_and(|name| name.to_string_lossy().starts_with('.'));
        if !hidden {
            visit(&child, depth + 1, each);
        }
    }
}
