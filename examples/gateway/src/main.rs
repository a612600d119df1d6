//! `ingress-gateway`: Kubernetes Ingress semantics without a cluster.
//!
//! - `ingress-gateway check --manifests PATH` reports what is wrong with a
//!   set of manifests: rejected objects, conflicts, rules that can never
//!   match, Ingresses of other classes. Exit status 0 when nothing was
//!   rejected, 1 when an object was rejected or a file failed to parse, 2
//!   for usage errors.
//! - `ingress-gateway route --manifests PATH --host HOST --target TARGET`
//!   (or JSON lines on standard input) answers which backend a request
//!   would reach, and why, exactly as the server would.

mod check;
mod cli;
mod loading;
mod reason;
mod route;
mod serve;

use std::process::ExitCode;

use clap::Parser;

/// mimalloc: per-request allocations (request and response heads, header
/// maps, futures) are cheaper than with the system allocator, and memory is
/// given back as well.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let result = match cli.command {
        cli::Command::Check(args) => check::run(&args),
        cli::Command::Route(args) => route::run(&args),
        cli::Command::Serve(args) => serve::run(&args),
        cli::Command::Welcome { listen } => serve::welcome(listen),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            #[allow(clippy::print_stderr)] // The one place errors reach the user.
            {
                eprintln!("ingress-gateway: {error:#}");
            }
            ExitCode::from(1)
        }
    }
}
