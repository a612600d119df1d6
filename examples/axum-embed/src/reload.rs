//! The manifest file as the source of ingress-kube's feed: routes lead to
//! Service names, swapped live whenever the file changes; with TLS on, the
//! certificates of the Ingresses' `spec.tls` Secrets too.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use ingress_core::{Backend, SharedTable};
use ingress_kube::ClassSelector;
use ingress_kube::feed::{Feed, FileSource, FilesLoaded, Publish as _, ReloadError, Tables, Update};
use ingress_kube::tls::CertificateResolver;

/// Loads the manifest file, then checks it every `poll` on a thread of its
/// own and publishes each change into the returned table. The first load
/// must parse completely; later, a file that does not parse changes
/// nothing (the last good table stays), and invalid objects keep their
/// last valid version (V8).
///
/// With `certificates`, each new certificate table is stored into that
/// resolver too (the next handshake uses it), and what building it found
/// is logged: Ingress, host and Secret names, never Secret data (T3).
pub(crate) fn start(
    path: PathBuf,
    poll: Duration,
    certificates: Option<CertificateResolver>,
) -> anyhow::Result<SharedTable<String>> {
    let tls = certificates.is_some();
    let mut tables = Tables::new(service_name);
    if let Some(resolver) = certificates {
        tables = tables.with_certificates(resolver);
    }
    let routes = tables.routes().clone();
    let publisher = move |update: &Update<'_>| {
        for ignored in update.ignored {
            tracing::info!(%ignored, "not ours");
        }
        if update.routes_changed {
            for diagnostic in update.routes.report().diagnostics() {
                tracing::warn!(%diagnostic, "manifest problem");
            }
        }
        tables.publish(update);
        if tls && update.certificates_changed {
            for finding in update.tls_findings {
                tracing::warn!(%finding, "certificate problem");
            }
            tracing::info!(tls_hosts = update.certificates.len(), "certificates loaded");
        }
        let version = tables.routes().version();
        if update.first {
            tracing::info!(version, routes = update.routes.len(), "routes loaded");
        } else if update.routes_changed {
            tracing::info!(version, routes = update.routes.len(), "routes reloaded");
        } else {
            tracing::info!(version, "manifest changed, routes did not");
        }
    };
    let mut feed = Feed::new(ClassSelector::default(), publisher);
    let mut files = FileSource::new(path, poll);
    let loaded = files.load(&mut feed)?;
    if let Some(error) = loaded.manifests.errors().first() {
        anyhow::bail!("{error}");
    }
    std::thread::Builder::new()
        .name("reload".to_owned())
        .spawn(move || files.watch(feed, report))
        .context("cannot start the reload thread")?;
    Ok(routes)
}

/// Logs a load the feed refused: the last good table stays.
fn report(result: Result<FilesLoaded, ReloadError>) {
    if let Err(error) = result {
        tracing::error!(%error, "manifest not loaded; the last good routes stay");
    }
}

/// Routes lead to Service names: the in-process services are keyed by them.
fn service_name(backend: &Backend) -> String {
    match backend {
        Backend::Service(service) => service.name.to_string(),
        other => other.to_string(),
    }
}
