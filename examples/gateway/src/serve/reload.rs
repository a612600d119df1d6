//! Manifests in, tables out, again whenever the files change.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use ingress_core::shared::Published;
use ingress_core::{Backend, IngressSet, RouteTable, TableOptions};
use ingress_kube::{ClassSelector, EndpointTable, Loaded, ManifestCache, Manifests};

use super::endpoints::Upstreams;
use super::state::Gateway;

pub(crate) struct Reloader {
    path: PathBuf,
    selector: ClassSelector,
    /// Keeps the last valid version of each Ingress across reloads (V8).
    set: IngressSet,
    /// The table of the current set, to backend keys.
    table: RouteTable<Backend>,
    /// The backend slots the routes lead to.
    upstreams: Upstreams,
    /// Each file's parsed documents: a reload re-parses only what changed.
    cache: ManifestCache,
    /// Files that did not parse at the last accepted load.
    broken: BTreeSet<PathBuf>,
    /// The files' fingerprint at the last load.
    stamp: u64,
}

impl Reloader {
    pub(crate) fn new(path: PathBuf, selector: ClassSelector) -> Self {
        Self {
            path,
            selector,
            set: IngressSet::new(),
            table: RouteTable::default(),
            upstreams: Upstreams::default(),
            cache: ManifestCache::new(),
            broken: BTreeSet::new(),
            stamp: 0,
        }
    }

    /// Loads the manifests and publishes what changed. A file that stops
    /// parsing changes nothing (the last good tables stay, with the reason
    /// logged); files that did not parse before are no reason to refuse,
    /// since their objects are not served anyway. The first load serves
    /// whatever parsed.
    pub(crate) fn load(&mut self, gateway: &Gateway, first: bool) -> anyhow::Result<()> {
        let started = Instant::now();
        self.stamp = Manifests::stamp(&self.path);
        let manifests = Manifests::load_cached(&self.path, &mut self.cache)?;
        let broken: BTreeSet<PathBuf> = manifests.errors().iter().map(|e| e.path().to_path_buf()).collect();
        for error in manifests.errors() {
            tracing::error!(%error, "manifest does not parse");
        }
        let newly_broken = broken.difference(&self.broken).count();
        if !first && newly_broken > 0 {
            anyhow::bail!("{newly_broken} files no longer parse; the last good routes stay");
        }
        self.broken = broken;
        let loaded = Loaded::new(manifests, &self.selector);
        for ignored in loaded.ignored() {
            tracing::debug!(%ignored, "not ours");
        }
        let ingresses_changed = self.set.sync(loaded.ingresses()) || first;
        if ingresses_changed {
            self.table = self.set.compile(&TableOptions::default());
            for diagnostic in self.table.report().diagnostics() {
                tracing::warn!(%diagnostic, "manifest problem");
            }
        }
        // Endpoints first, routes after: a request routed by either table
        // finds its backend's endpoints.
        let endpoints = EndpointTable::from_manifests(loaded.manifests());
        for finding in endpoints.findings() {
            tracing::debug!(%finding, "endpoints");
        }
        self.upstreams.refresh(
            &gateway.pool,
            &endpoints,
            self.table.targets().iter().map(|target| target.backend()),
        );
        gateway.endpoints.store(Arc::new(self.upstreams.endpoints()));
        let metrics = &gateway.metrics;
        self.upstreams.record(metrics);
        let version = if ingresses_changed {
            let upstreams = &self.upstreams;
            let routed = self.table.map_backends(|backend| upstreams.target(backend));
            match gateway.routes.publish(routed) {
                Published::New { version } | Published::Unchanged { version } => version,
            }
        } else {
            gateway.routes.version()
        };
        let routes = self.table.len();
        let rejected = self.table.report().rejections().count();
        metrics.table_builds.inc();
        metrics.table_routes.set(i64::try_from(routes).unwrap_or(i64::MAX));
        metrics
            .rejected_objects
            .set(i64::try_from(rejected).unwrap_or(i64::MAX));
        metrics.table_build_seconds.observe(started.elapsed().as_secs_f64());
        gateway.ready.store(true, Ordering::Release);
        tracing::info!(
            version,
            routes,
            rejected,
            ignored = loaded.ignored().len(),
            endpoints = self.upstreams.endpoint_count(),
            ingresses_changed,
            parsed = self.cache.last_load().parsed,
            millis = started.elapsed().as_millis(),
            "manifests loaded"
        );
        Ok(())
    }

    /// Checks the files every `interval` and reloads after each change, once
    /// the files have stayed the same for one interval (so that a file being
    /// written is not read half way). Runs on a thread of its own: parsing
    /// and compiling never hold up a thread that serves requests.
    pub(crate) fn watch(mut self, gateway: &Gateway, interval: Duration) {
        let mut settling = None;
        loop {
            std::thread::sleep(interval);
            let now = Manifests::stamp(&self.path);
            if now == self.stamp {
                settling = None;
                continue;
            }
            if settling != Some(now) {
                settling = Some(now);
                continue;
            }
            settling = None;
            if let Err(error) = self.load(gateway, false) {
                tracing::error!(%error, "reload failed");
            }
        }
    }
}
