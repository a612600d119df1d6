//! Command-line arguments, as clap reads them.
//!
//! ```
//! use clap::Parser as _;
//! use ingress_gateway::cli::{Cli, Command};
//!
//! let cli = Cli::parse_from(["ingress-gateway", "check", "--manifests", "examples/manifests"]);
//! assert!(matches!(cli.command, Command::Check(_)));
//! ```

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{ArgGroup, Args, Parser, Subcommand, ValueEnum};
use ingress_kube::cluster::StatusAddress;

/// A gateway with Kubernetes Ingress semantics.
#[derive(Debug, Parser)]
#[command(name = "ingress-gateway", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// What to do.
#[derive(Debug, Subcommand)]
#[expect(
    clippy::large_enum_variant,
    reason = "parsed once at start; `serve`'s flags are the bulk of it"
)]
pub enum Command {
    /// Report rejected objects, conflicts, rules that can never match and
    /// Ingresses of other classes; exit 1 if any object was rejected or any
    /// file failed to parse.
    Check(CheckArgs),
    /// Answer which backend requests would reach, and why, as JSON lines.
    Route(RouteArgs),
    /// Serve: a reverse proxy routing by the Ingresses of manifest files
    /// (reloaded when they change) or of a cluster (`--kube`, watched) to
    /// the ready endpoints of their Services.
    Serve(ServeArgs),
    /// Serve a copy of nginx's welcome page: the seed scenario's stand-in
    /// backend where nginx is not installed.
    #[command(hide = true)]
    Welcome {
        /// Where to listen.
        #[arg(long, value_name = "ADDR")]
        listen: SocketAddr,
    },
}

/// Where the manifests are and which Ingresses are ours.
#[derive(Debug, Args)]
pub struct Source {
    /// A manifest file, or a directory read recursively (*.yaml, *.yml, *.json).
    #[arg(long, value_name = "PATH")]
    pub manifests: PathBuf,
    /// Our controller name: IngressClasses with this spec.controller are ours.
    #[arg(long, value_name = "NAME", default_value = ingress_kube::DEFAULT_CONTROLLER)]
    pub controller: String,
    /// Also serve Ingresses that name no class (and no default class is set).
    #[arg(long)]
    pub watch_without_class: bool,
}

/// `check`: where the manifests are, and how to report.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Where the manifests are and which Ingresses are ours.
    #[command(flatten)]
    pub source: Source,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// How `check` reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// One line per finding.
    Text,
    /// One JSON document.
    Json,
}

/// `route`: where the manifests are, and which request to route.
#[derive(Debug, Args)]
pub struct RouteArgs {
    /// Where the manifests are and which Ingresses are ours.
    #[command(flatten)]
    pub source: Source,
    /// The request's Host header; leave it out for a request without one
    /// (judged as HTTP/1.0).
    #[arg(long, requires = "target")]
    pub host: Option<String>,
    /// The request-target as sent on the request line: origin-form
    /// (`/path?query`), absolute-form (`http://host/path`) or `*`. Without
    /// it, requests are read from standard input, one JSON object per line:
    /// {"host": "hello.nginx.com", "target": "/path?q=1"}.
    #[arg(long)]
    pub target: Option<String>,
    /// The request method (for `*`, only OPTIONS is valid).
    #[arg(long, default_value = "GET")]
    pub method: String,
}

/// Where `serve` reads its objects (manifest files or a cluster, exactly
/// one of them), and which Ingresses are ours.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("objects").required(true).args(["manifests", "kube"])))]
pub struct ServeSource {
    /// A manifest file, or a directory read recursively (*.yaml, *.yml, *.json).
    #[arg(long, value_name = "PATH")]
    pub manifests: Option<PathBuf>,
    /// Watch a cluster's API server instead of files. The cluster is found
    /// as kubectl finds it: KUBECONFIG, else ~/.kube/config, else the
    /// in-cluster service account; an http:// server (kubectl proxy) works.
    #[arg(long)]
    pub kube: bool,
    /// With --kube: watch Ingresses, Services and EndpointSlices in this
    /// namespace only (so that a Role can replace the ClusterRole).
    #[arg(long, value_name = "NS", conflicts_with = "manifests")]
    pub namespace: Option<String>,
    /// Our controller name: IngressClasses with this spec.controller are ours.
    #[arg(long, value_name = "NAME", default_value = ingress_kube::DEFAULT_CONTROLLER)]
    pub controller: String,
    /// Also serve Ingresses that name no class (and no default class is set).
    #[arg(long)]
    pub watch_without_class: bool,
    /// With --kube: the address(es) to write into status.loadBalancer.ingress
    /// of every Ingress served: IPs (written as `ip`) or DNS names (as
    /// `hostname`); repeatable, or comma-separated.
    #[arg(
        long,
        value_name = "IP_OR_HOSTNAME",
        value_delimiter = ',',
        conflicts_with_all = ["manifests", "publish_service"]
    )]
    pub publish_status_address: Vec<StatusAddress>,
    /// With --kube: publish the address of this Service (its load
    /// balancer's, else its external IPs, else its cluster IP), followed as
    /// it changes.
    #[arg(long, value_name = "NS/NAME", value_parser = parse_service, conflicts_with = "manifests")]
    pub publish_service: Option<ServiceName>,
    /// With --kube: the Lease that elects the one replica writing status and
    /// Events, in the namespace of POD_NAMESPACE, else --namespace, else
    /// `default`; the replica's identity is POD_NAME, else the host name.
    /// Default: `ingress-gateway-leader`.
    #[arg(long, value_name = "NAME", conflicts_with = "manifests")]
    pub election_id: Option<String>,
    /// With --kube: write nothing to the cluster (no Lease, no status, no
    /// Events), only watch it: for a gateway run beside the cluster's own,
    /// from a laptop say, or with read-only credentials.
    #[arg(
        long,
        conflicts_with_all = ["manifests", "publish_status_address", "publish_service", "election_id"]
    )]
    pub no_write_back: bool,
}

/// A Service named `NS/NAME`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceName {
    /// Its namespace.
    pub namespace: String,
    /// Its name.
    pub name: String,
}

fn parse_service(text: &str) -> Result<ServiceName, String> {
    match text.split_once('/') {
        Some((namespace, name)) if !namespace.is_empty() && !name.is_empty() && !name.contains('/') => {
            Ok(ServiceName {
                namespace: namespace.to_owned(),
                name: name.to_owned(),
            })
        }
        _ => Err(format!("{text:?} is not NAMESPACE/NAME")),
    }
}

/// `serve`: where the objects come from, where to listen, and the timeouts.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Where the objects come from and which Ingresses are ours.
    #[command(flatten)]
    pub source: ServeSource,
    /// Where to serve routed traffic (HTTP/1.1 and HTTP/2 cleartext).
    #[arg(long, value_name = "ADDR")]
    pub listen: SocketAddr,
    /// Where to serve /healthz, /readyz, /metrics and /routes.
    #[arg(long, value_name = "ADDR")]
    pub admin_listen: Option<SocketAddr>,
    /// Worker threads (default: one per core). With 1, the gateway runs on
    /// a single-threaded runtime, which wakes tasks more cheaply.
    #[arg(long)]
    pub workers: Option<usize>,
    /// How often to look for changed manifest files.
    #[arg(long, default_value_t = 1000, value_name = "MS")]
    pub reload_interval_ms: u64,
    /// With --kube: rebuild once no change came for this long...
    #[arg(long, default_value_t = 100, value_name = "MS")]
    pub coalesce_quiet_ms: u64,
    /// ...or this long after the first change of a burst, at the latest.
    #[arg(long, default_value_t = 1000, value_name = "MS")]
    pub coalesce_max_ms: u64,
    /// Longest wait for an upstream's response headers, then 504 (checked
    /// every 100 ms, so up to 100 ms later).
    #[arg(long, default_value_t = 30_000, value_name = "MS")]
    pub upstream_timeout_ms: u64,
    /// Longest wait to connect to an upstream, then 502.
    #[arg(long, default_value_t = 5_000, value_name = "MS")]
    pub connect_timeout_ms: u64,
    /// Longest wait for a client's request headers, also for the first bytes
    /// of a new connection and between keep-alive requests (checked every
    /// 100 ms).
    #[arg(long, default_value_t = 10_000, value_name = "MS")]
    pub header_read_timeout_ms: u64,
    /// Longest wait for requests in flight at shutdown.
    #[arg(long, default_value_t = 10_000, value_name = "MS")]
    pub shutdown_timeout_ms: u64,
    /// Forward TRACE requests to upstreams; without it they are answered
    /// 405, as nginx does (TRACE echoes cookies and credentials back).
    #[arg(long)]
    pub allow_trace: bool,
    // Limits against clients that hold connections or send without end
    // (serve::limits, serve::streams).
    /// Largest request head: request line and header fields (HTTP/1), or
    /// header list (HTTP/2); beyond it, 431 (414 for a first request line
    /// that does not end within it). At least 8192.
    #[arg(long, default_value_t = 32_768, value_name = "BYTES",
          value_parser = clap::value_parser!(u32).range(8192..=1_048_576))]
    pub max_request_head_bytes: u32,
    /// Client connections open at once; at the limit, accepting waits until
    /// one closes (new connections wait in the listen queue).
    #[arg(long, default_value_t = 10_000, value_name = "N",
          value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections: u32,
    /// Connections the kernel queues before they are accepted (capped by
    /// the kernel at net.core.somaxconn).
    #[arg(long, default_value_t = 1024, value_name = "N")]
    pub listen_backlog: u32,
    /// HTTP/2: cancelled streams (RST_STREAM before the answer ended) a
    /// connection may have within --h2-reset-window-ms; one more, and it is
    /// sent GOAWAY.
    #[arg(long, default_value_t = 200, value_name = "N")]
    pub h2_max_resets: u32,
    /// See --h2-max-resets.
    #[arg(long, default_value_t = 10_000, value_name = "MS")]
    pub h2_reset_window_ms: u64,
    /// HTTPS: the TLS listener, its default certificate, the redirect.
    #[command(flatten)]
    pub tls: TlsArgs,
}

/// `serve`'s HTTPS flags.
#[derive(Debug, Args)]
pub struct TlsArgs {
    /// Also serve routed traffic over TLS here (HTTPS: HTTP/2 or HTTP/1.1
    /// by ALPN, TLS 1.2 and 1.3), with the certificates of the Ingresses'
    /// spec.tls Secrets, chosen by SNI.
    #[arg(long, value_name = "ADDR")]
    pub listen_tls: Option<SocketAddr>,
    /// The certificate for no SNI, unknown names and TLS hosts whose Secret
    /// is missing or broken: this kubernetes.io/tls Secret. Without it (or
    /// while it is missing or broken), a self-signed one made at start.
    #[arg(long, value_name = "NS/NAME", value_parser = secret_name, requires = "listen_tls")]
    pub default_certificate: Option<(String, String)>,
    /// With --listen-tls: answer plain-HTTP requests for a host listed in a
    /// served Ingress's spec.tls with 308 to the same URL on HTTPS, except
    /// ACME HTTP-01 challenges (/.well-known/acme-challenge/).
    #[arg(long, value_name = "BOOL", default_value_t = true, action = clap::ArgAction::Set)]
    pub https_redirect: bool,
    /// The port the redirect's Location names (443 is left out); default:
    /// the --listen-tls port. Set it when clients reach the TLS listener
    /// through another port (a Service's 443 to a container's 8443).
    #[arg(long, value_name = "PORT", requires = "listen_tls")]
    pub https_redirect_port: Option<u16>,
}

/// `NS/NAME`: a namespace and a name, neither empty.
fn secret_name(value: &str) -> Result<(String, String), String> {
    match value.split_once('/') {
        Some((namespace, name)) if !namespace.is_empty() && !name.is_empty() && !name.contains('/') => {
            Ok((namespace.to_owned(), name.to_owned()))
        }
        _ => Err(format!("{value:?} is not NAMESPACE/NAME")),
    }
}
