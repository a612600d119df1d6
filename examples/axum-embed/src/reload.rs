//! Manifest file in, routing table out, again whenever the file changes.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use ingress_core::shared::Published;
use ingress_core::{Backend, IngressSet, RouteTable, SharedTable, TableOptions};
use ingress_kube::{ClassSelector, Loaded, Manifests};

/// The manifest file and the objects loaded from it so far.
pub(crate) struct Routes {
    path: PathBuf,
    /// Keeps the last valid version of each Ingress across reloads (V8).
    set: IngressSet,
    /// What the file looked like at the last load: modification time and
    /// length, so that an edit is noticed without reading the file.
    seen: Option<(SystemTime, u64)>,
}

impl Routes {
    pub(crate) fn new(path: PathBuf) -> Self {
        Self {
            path,
            set: IngressSet::new(),
            seen: None,
        }
    }

    fn stamp(&self) -> Option<(SystemTime, u64)> {
        let metadata = std::fs::metadata(&self.path).ok()?;
        Some((metadata.modified().ok()?, metadata.len()))
    }

    /// Reads the file and compiles a table of Service names. A file that
    /// cannot be read, or a document that does not parse, changes nothing:
    /// the error is returned and the last good table stays. Invalid objects
    /// keep their last valid version (V8) and are logged.
    pub(crate) fn load(&mut self) -> anyhow::Result<RouteTable<String>> {
        self.seen = self.stamp();
        let manifests = Manifests::load(&self.path)?;
        if let Some(error) = manifests.errors().first() {
            anyhow::bail!("{error}");
        }
        let loaded = Loaded::new(manifests, &ClassSelector::default());
        for ignored in loaded.ignored() {
            tracing::info!(%ignored, "not ours");
        }
        self.set.sync(loaded.ingresses());
        let table = self.set.compile_with(&TableOptions::default(), service_name);
        for diagnostic in table.report().diagnostics() {
            tracing::warn!(%diagnostic, "manifest problem");
        }
        Ok(table)
    }

    /// Checks the file every `poll` and publishes a new table after each
    /// change.
    pub(crate) async fn watch(mut self, table: SharedTable<String>, poll: Duration) {
        let mut interval = tokio::time::interval(poll);
        loop {
            interval.tick().await;
            if self.stamp() == self.seen {
                continue;
            }
            match self.load() {
                Ok(new) => {
                    let routes = new.len();
                    match table.publish(new) {
                        Published::New { version } => tracing::info!(version, routes, "routes reloaded"),
                        Published::Unchanged { version } => tracing::info!(version, "manifest changed, routes did not"),
                    }
                }
                Err(error) => tracing::error!(%error, "manifest not loaded; the last good routes stay"),
            }
        }
    }
}

/// Routes lead to Service names: the in-process services are keyed by them.
fn service_name(backend: &Backend) -> String {
    match backend {
        Backend::Service(service) => service.name.to_string(),
        other => other.to_string(),
    }
}
