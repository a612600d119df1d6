//! `ingress-gateway`: Kubernetes Ingress semantics without a cluster, as a
//! library under a thin binary.
//!
//! - `check` reports what is wrong with a set of manifests: rejected
//!   objects, conflicts, rules that can never match, Ingresses of other
//!   classes. Exit status 0 when nothing was rejected, 1 when an object was
//!   rejected or a file failed to parse, 2 for usage errors.
//! - `route` answers which backend a request would reach, and why, exactly
//!   as the server would.
//! - `serve` is a reverse proxy routing by the manifests' Ingresses: its
//!   downstream side (accepting, sniffing HTTP/1 from HTTP/2, the proxy
//!   service, admin and metrics) is private to the crate; its upstream
//!   side's codec and error are public in [`upstream`], and the coarse
//!   timer the per-request timeouts run on in [`timer`].
//!
//! ```
//! use clap::Parser as _;
//! use ingress_gateway::cli::Cli;
//!
//! let cli = Cli::parse_from(["ingress-gateway", "check", "--manifests", "/no/such/manifests"]);
//! let error = ingress_gateway::run(cli.command).unwrap_err();
//! assert!(error.to_string().starts_with("cannot read manifests at /no/such/manifests"), "{error}");
//! ```

mod check;
pub mod cli;
mod loading;
mod reason;
mod route;
mod serve;
pub mod timer;
pub mod upstream;

use std::fmt;
use std::process::ExitCode;

/// Runs one command to its end: the exit status it asks for, or why it
/// could not run.
pub fn run(command: cli::Command) -> Result<ExitCode, CommandError> {
    let result = match command {
        cli::Command::Check(args) => check::run(&args),
        cli::Command::Route(args) => route::run(&args),
        cli::Command::Serve(args) => serve::run(&args),
        cli::Command::Welcome { listen } => serve::welcome(listen),
    };
    result.map_err(CommandError)
}

/// Why a command could not run. Its `Display` is one line: what failed,
/// then each cause after a colon.
pub struct CommandError(anyhow::Error);

impl fmt::Display for CommandError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#}", self.0)
    }
}

impl fmt::Debug for CommandError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl std::error::Error for CommandError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

// The repository's README (its quickstart compiles against the published
// crates' API) and this package's manual are checked as doctests here, the
// one library in the workspace that sees the whole repository.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct RepositoryReadme;

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct GatewayReadme;
