//! `ingress-gateway serve`: a reverse proxy with Ingress semantics.
//!
//! Manifests in (re-read when they change) or a cluster's objects
//! (watched, `--kube`), through ingress-kube's feed, two tables out: routes (the ingress-core table, behind the
//! ingress-tower layer) and endpoints (ready addresses per backend, in
//! slots the routes hold), each swapped on its own (B2). Every request is
//! routed by the layer, then forwarded by [`proxy`] to a ready endpoint of
//! its backend, round robin, over the connections of [`crate::upstream`].
//!
//! From a cluster the listeners open at once: until every kind has been
//! listed, routed requests get 503 with `Retry-After` and `/readyz` 503;
//! once ready, the gateway stays ready while the feed is stale.

mod accept;
mod admin;
mod endpoints;
mod headers;
mod limits;
mod metrics;
mod proxy;
mod redirect;
mod reload;
mod server;
mod service;
mod sniff;
mod state;
mod streams;
mod tls;
mod tunnel;
mod welcome;

pub(crate) use welcome::welcome;

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use ingress_kube::ClassSelector;
use ingress_kube::cluster::{ClusterSource, Election, PublishedAddress, WriteBack, default_identity};
use ingress_kube::feed::{Coalescer, Feed, FileSource};
use tls::{ListenerCertificates, Listeners};
use tokio::net::TcpListener;

use crate::cli::{ServeArgs, ServeSource};
use crate::upstream::EXPIRY_INTERVAL;
use state::{Gateway, Settings};

pub(crate) fn run(args: &ServeArgs) -> anyhow::Result<ExitCode> {
    let colors = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(colors)
        .with_env_filter(filter)
        .init();
    // One worker: a current-thread runtime, which wakes tasks without the
    // cross-thread bookkeeping of the multi-thread scheduler.
    let mut runtime = match args.workers {
        Some(1) => tokio::runtime::Builder::new_current_thread(),
        Some(workers) => {
            let mut runtime = tokio::runtime::Builder::new_multi_thread();
            runtime.worker_threads(workers);
            runtime
        }
        None => tokio::runtime::Builder::new_multi_thread(),
    };
    runtime.enable_all().build()?.block_on(serve(args))?;
    Ok(ExitCode::SUCCESS)
}

async fn serve(args: &ServeArgs) -> anyhow::Result<()> {
    let settings = Settings {
        upstream_timeout: Duration::from_millis(args.upstream_timeout_ms),
        connect_timeout: Duration::from_millis(args.connect_timeout_ms),
        header_read_timeout: Duration::from_millis(args.header_read_timeout_ms),
        shutdown_timeout: Duration::from_millis(args.shutdown_timeout_ms),
        allow_trace: args.allow_trace,
    };
    let gateway = Gateway::new(settings).context("cannot start the timer thread")?;
    let selector =
        ClassSelector::new(args.source.controller.as_str()).with_watch_without_class(args.source.watch_without_class);
    let certificates = tls::certificates(&args.tls)?;
    let publisher = reload::Publisher::new(Arc::clone(&gateway)).with_certificates(certificates.clone());
    let feed = Feed::new(selector, publisher).with_status(gateway.feed.clone());
    let feed = tls::with_default_certificate(feed, &args.tls);
    let listener = match &args.source.manifests {
        Some(manifests) => {
            let mut feed = feed;
            let interval = Duration::from_millis(args.reload_interval_ms);
            let mut files = FileSource::new(manifests.clone(), interval);
            let loaded = files
                .load(&mut feed)
                .with_context(|| format!("cannot read manifests at {}", manifests.display()))?;
            reload::report(Ok(loaded));
            let listener = listen(&gateway, args, certificates.as_ref()).await?;
            std::thread::Builder::new()
                .name("reload".to_owned())
                .spawn(move || files.watch(feed, reload::report))
                .context("cannot start the reload thread")?;
            listener
        }
        None => {
            let mut source = ClusterSource::infer()
                .await
                .context("cannot find the cluster (KUBECONFIG, ~/.kube/config, in-cluster)")?
                .with_coalescer(Coalescer::new(
                    Duration::from_millis(args.coalesce_quiet_ms),
                    Duration::from_millis(args.coalesce_max_ms),
                ));
            if let Some(namespace) = &args.source.namespace {
                source = source.with_namespace(namespace.as_str());
            }
            if args.source.no_write_back {
                tracing::info!("--no-write-back: no Lease, status or Events are written");
            } else {
                source = source.with_write_back(write_back(&args.source));
            }
            // The TLS listener's certificates come from Secrets.
            if certificates.is_some() {
                source = source.with_certificates();
            }
            // The listeners open at once; until the first tables, every
            // request is answered 503 with Retry-After (`server::screen`).
            let listener = listen(&gateway, args, certificates.as_ref()).await?;
            tracing::info!(
                namespace = source.namespace().unwrap_or("(all)"),
                "watching the cluster"
            );
            tokio::spawn(async move {
                if let Err(error) = source.run(feed).await {
                    tracing::error!(%error, "the cluster source stopped");
                }
            });
            listener
        }
    };
    // Idle upstream connections expire on a thread of their own, on time
    // however long a reload takes.
    let expiring = Arc::clone(&gateway);
    std::thread::Builder::new()
        .name("idle-expiry".to_owned())
        .spawn(move || {
            loop {
                std::thread::sleep(EXPIRY_INTERVAL);
                expiring.pool.expire_idle(expiring.endpoints.load().iter());
            }
        })
        .context("cannot start the idle-expiry thread")?;
    server::serve(gateway, listener, limits::Limits::from(args), shutdown_signal()).await;
    Ok(())
}

/// What the gateway writes back to the cluster: Events always, status
/// when an address is published; by the holder of the `--election-id`
/// Lease only.
fn write_back(source: &ServeSource) -> WriteBack {
    let env = |name: &str| std::env::var(name).ok().filter(|value| !value.is_empty());
    let namespace = env("POD_NAMESPACE")
        .or_else(|| source.namespace.clone())
        .unwrap_or_else(|| "default".to_owned());
    let identity = default_identity();
    let lease = source.election_id.as_deref().unwrap_or(ELECTION_ID);
    tracing::info!(lease, %namespace, %identity, "leader election for status and Events");
    let election = Election::new(lease, namespace, identity);
    let write_back = WriteBack::new().with_events(EVENT_REPORTER).with_election(election);
    if let Some(service) = &source.publish_service {
        write_back.with_addresses(PublishedAddress::Service {
            namespace: service.namespace.clone(),
            name: service.name.clone(),
        })
    } else if !source.publish_status_address.is_empty() {
        write_back.with_addresses(PublishedAddress::Fixed(source.publish_status_address.clone()))
    } else {
        tracing::info!("no --publish-status-address or --publish-service: Ingress status is not written");
        write_back
    }
}

/// The Lease of the leader election, without `--election-id`.
const ELECTION_ID: &str = "ingress-gateway-leader";

/// The controller name on the Events the gateway emits.
const EVENT_REPORTER: &str = "ingress-gateway";

/// Opens the traffic listeners (plain, and TLS with `certificates`), and
/// the admin listener if asked for, which it serves at once.
async fn listen(
    gateway: &Arc<Gateway>,
    args: &ServeArgs,
    certificates: Option<&Arc<ListenerCertificates>>,
) -> anyhow::Result<Listeners> {
    let listener =
        limits::bind(args.listen, args.listen_backlog).with_context(|| format!("cannot listen on {}", args.listen))?;
    announce("listening on", &listener)?;
    let listeners = tls::listen(listener, &args.tls, args.listen_backlog, certificates)?;
    if let Some(admin) = args.admin_listen {
        let admin = TcpListener::bind(admin)
            .await
            .with_context(|| format!("cannot listen on {admin}"))?;
        announce("admin on", &admin)?;
        tokio::spawn(admin::serve(Arc::clone(gateway), admin));
    }
    Ok(listeners)
}

/// Prints where a listener is, on standard output, for scripts and tests
/// that asked for port 0.
fn announce(what: &str, listener: &TcpListener) -> anyhow::Result<()> {
    let address = listener.local_addr()?;
    tracing::info!(%address, "{what}");
    #[allow(clippy::print_stdout)]
    {
        println!("{what} {address}");
    }
    Ok(())
}

/// Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
}
