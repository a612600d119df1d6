//! An axum app whose top-level routing is a Kubernetes Ingress manifest.
//!
//! The backends are in-process axum routers named like the Kubernetes
//! Services the manifest routes to: `nginx-svc` answers "Welcome to nginx!",
//! `api-svc` echoes the route record that `ingress-tower` put into the
//! request. The manifest file is the source of ingress-kube's feed,
//! checked twice a second; an edit swaps the routing table live, and an
//! invalid edit keeps the last good table and logs why.
//!
//! Run it from the repository root:
//!
//! ```text
//! cargo run -p axum-embed -- --manifests examples/axum-embed/ingress.yaml --listen 127.0.0.1:8080
//! ```
//!
//! and try:
//!
//! ```text
//! curl 127.0.0.1:8080 -H "host: hello.nginx.com"                # Welcome to nginx!
//! curl 127.0.0.1:8080/api/v1/../users -H "host: HELLO.nginx.com" # the api-svc echo, path /api/users
//! curl -i 127.0.0.1:8080 -H "host: nowhere.example"              # 404 Not Found
//! curl -i --path-as-is 127.0.0.1:8080/../etc -H "host: hello.nginx.com"  # 400 Bad Request
//! ```
//!
//! Then edit `examples/axum-embed/ingress.yaml` (say, change the host) and
//! watch the log line and the next answers change.
//!
//! With `--listen-tls ADDR` the same app is also served over HTTPS, each
//! handshake's certificate chosen by SNI from the `spec.tls` Secrets in the
//! manifests (see the README).

mod reload;
mod services;
mod tls;

use std::future::IntoFuture as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use axum::Router;
use ingress_tower::{Dispatch, IngressRoutingLayer};
use tower::Layer as _;

/// The command line: `--manifests PATH --listen ADDR [--listen-tls ADDR]
/// [--poll-ms N]`.
struct Args {
    manifests: PathBuf,
    listen: SocketAddr,
    listen_tls: Option<SocketAddr>,
    poll: Duration,
}

fn args() -> anyhow::Result<Args> {
    let mut manifests = PathBuf::from("examples/axum-embed/ingress.yaml");
    let mut listen: SocketAddr = "127.0.0.1:8080".parse()?;
    let mut listen_tls = None;
    let mut poll = Duration::from_millis(500);
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().with_context(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--manifests" => manifests = value.into(),
            "--listen" => listen = value.parse().context("--listen takes ADDR:PORT")?,
            "--listen-tls" => listen_tls = Some(value.parse().context("--listen-tls takes ADDR:PORT")?),
            "--poll-ms" => poll = Duration::from_millis(value.parse().context("--poll-ms takes milliseconds")?),
            _ => {
                anyhow::bail!(
                    "unknown flag {flag}; usage: axum-embed [--manifests PATH] [--listen ADDR] [--listen-tls ADDR] [--poll-ms N]"
                )
            }
        }
    }
    Ok(Args {
        manifests,
        listen,
        listen_tls,
        poll,
    })
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let colors = std::io::IsTerminal::is_terminal(&std::io::stderr());
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(colors)
        .init();
    let args = args()?;

    // With TLS, the feed stores the Secrets' certificates into the
    // resolver the TLS listener's handshakes ask.
    let certificates = args
        .listen_tls
        .map(|_| tls::resolver())
        .transpose()
        .context("cannot make the default certificate")?;
    let table = reload::start(args.manifests, args.poll, certificates.clone())
        .context("the first load of the manifests failed")?;

    // One in-process service per Kubernetes Service name; the Ingress layer
    // in front routes by the manifest. An axum Router with nothing but a
    // fallback hands every request, URI untouched, to that stack.
    let ingress = IngressRoutingLayer::new(table).layer(Dispatch::new(services::by_name()));
    let app = Router::new().fallback_service(ingress);

    let listener = tokio::net::TcpListener::bind(args.listen).await?;
    // The first line on standard output is the address, for scripts and
    // tests; with TLS, the second is the TLS address.
    announce("listening on", listener.local_addr()?);
    let plain = axum::serve(listener, app.clone()).with_graceful_shutdown(shutdown());
    let (Some(address), Some(certificates)) = (args.listen_tls, certificates) else {
        return Ok(plain.await?);
    };
    let tcp = tokio::net::TcpListener::bind(address)
        .await
        .with_context(|| format!("cannot listen on {address}"))?;
    announce("tls on", tcp.local_addr()?);
    let tls = tls::TlsListener::new(tcp, &certificates).context("cannot set up TLS")?;
    let tls = axum::serve(tls, app).with_graceful_shutdown(shutdown());
    tokio::try_join!(plain.into_future(), tls.into_future())?;
    Ok(())
}

/// One line on standard output: what listens, and where.
#[allow(clippy::print_stdout)]
fn announce(what: &str, address: SocketAddr) {
    println!("{what} {address}");
}

async fn shutdown() {
    let _ = tokio::signal::ctrl_c().await;
}
