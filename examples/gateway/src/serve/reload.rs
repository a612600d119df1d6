//! The gateway's end of the feed: each rebuild refreshes the backend
//! slots, publishes routes to them when the Ingresses changed, and counts
//! it in the metrics.

use std::sync::Arc;

use ingress_kube::feed::{FilesLoaded, Publish, ReloadError, Update};

use super::endpoints::Upstreams;
use super::state::Gateway;
use super::tls::ListenerCertificates;

/// Publishes the feed's tables into the live [`Gateway`].
pub(crate) struct Publisher {
    gateway: Arc<Gateway>,
    /// The backend slots the routes lead to.
    upstreams: Upstreams,
    /// The TLS listener's certificates, with `--listen-tls`.
    certificates: Option<Arc<ListenerCertificates>>,
}

impl Publisher {
    pub(crate) fn new(gateway: Arc<Gateway>) -> Self {
        Self {
            gateway,
            upstreams: Upstreams::default(),
            certificates: None,
        }
    }

    /// Also publishes each new certificate table to `certificates`.
    pub(crate) fn with_certificates(mut self, certificates: Option<Arc<ListenerCertificates>>) -> Self {
        self.certificates = certificates;
        self
    }
}

impl Publish for Publisher {
    fn publish(&mut self, update: &Update<'_>) {
        let gateway = &self.gateway;
        for ignored in update.ignored {
            let source = update.source_of(&ignored.key).map(ToString::to_string);
            tracing::debug!(%ignored, source, "not ours");
        }
        if let Some(certificates) = &self.certificates {
            certificates.publish(update);
        }
        if update.routes_changed {
            for diagnostic in update.routes.report().diagnostics() {
                tracing::warn!(%diagnostic, "manifest problem");
            }
        }
        if update.endpoints_changed {
            for finding in update.endpoints.findings() {
                tracing::debug!(%finding, "endpoints");
            }
        }
        // Slots first, routes after: a request routed by either table
        // finds its backend's endpoints. New routes are mapped to their
        // slots in the same pass that refreshes them (one lookup per
        // route). An endpoint change alone refreshes the slots in place
        // and publishes no routes (B2).
        let pool = &gateway.pool;
        let routed = if update.routes_changed {
            let mut refresh = self.upstreams.begin(pool, update.endpoints, update.endpoints_changed);
            // Routes of Ingresses that did not change are the published
            // ones, shared: only the others are mapped.
            let published = gateway.routes.load_full();
            let keep = refresh.keeper();
            let routed = update.routes.map_backends_reusing(
                update.previous_routes,
                published.table(),
                |backend| refresh.target(backend),
                keep,
            );
            drop(published);
            refresh.finish();
            Some(routed)
        } else {
            if update.endpoints_changed {
                self.upstreams.refresh_endpoints(pool, update.endpoints);
            }
            None
        };
        if update.routes_changed || update.endpoints_changed {
            gateway.endpoints.store(Arc::new(self.upstreams.endpoints()));
            self.upstreams.record(&gateway.metrics);
        }
        let version = match routed {
            // The feed compared the tables these were mapped from.
            Some(routed) => gateway.routes.replace(routed),
            None => gateway.routes.version(),
        };
        let routes = update.routes.len();
        let rejected = update.routes.report().rejections().count();
        let metrics = &gateway.metrics;
        metrics.table_builds.inc();
        metrics.table_routes.set(i64::try_from(routes).unwrap_or(i64::MAX));
        metrics
            .rejected_objects
            .set(i64::try_from(rejected).unwrap_or(i64::MAX));
        metrics
            .table_build_seconds
            .observe(update.started.elapsed().as_secs_f64());
        metrics.record_source(update.status);
        tracing::info!(
            version,
            routes,
            rejected,
            ignored = update.ignored.len(),
            endpoints = self.upstreams.endpoint_count(),
            ingresses_changed = update.routes_changed,
            endpoints_changed = update.endpoints_changed,
            millis = update.started.elapsed().as_millis(),
            "manifests loaded"
        );
    }
}

/// Logs what one load of the files said: documents that did not parse,
/// and a load refused (the last good tables stay).
pub(crate) fn report(result: Result<FilesLoaded, ReloadError>) {
    match result {
        Ok(loaded) => {
            for error in loaded.manifests.errors() {
                tracing::error!(%error, "manifest does not parse");
            }
            tracing::debug!(parsed = loaded.parsed, "manifest files read");
        }
        Err(error) => {
            if let ReloadError::NoLongerParse { errors, .. } = &error {
                for error in errors {
                    tracing::error!(%error, "manifest does not parse");
                }
            }
            tracing::error!(%error, "reload failed");
        }
    }
}
