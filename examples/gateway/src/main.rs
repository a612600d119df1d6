//! `ingress-gateway`: the command line over the `ingress_gateway` library.
//! It parses the flags, runs the command, and prints the one error line.

use std::process::ExitCode;

use clap::Parser as _;
use ingress_gateway::cli::Cli;

/// mimalloc: per-request allocations (request and response heads, header
/// maps, futures) are cheaper than with the system allocator, and memory is
/// given back as well. Built without transparent huge pages (the `no_thp`
/// feature, in Cargo.toml), which would count partly used 2 MiB pages
/// whole in the resident set.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // ring is the process's one crypto provider: kube's client takes the
    // default, and with two providers linked none would be chosen for it.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let cli = Cli::parse();
    match ingress_gateway::run(cli.command) {
        Ok(code) => code,
        Err(error) => {
            #[allow(clippy::print_stderr)] // The one place errors reach the user.
            {
                eprintln!("ingress-gateway: {error}");
            }
            ExitCode::from(1)
        }
    }
}
