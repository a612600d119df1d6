//! The cluster feed at scale (issue #11's figures), against the fake API
//! server on loopback, with the real `ingress-gateway` binary:
//!
//! - **event-to-route latency**: K times, an Ingress is created or its
//!   host changed, and a keep-alive client polls the gateway until the
//!   new host reaches the backend; measured from just before the write.
//!   Baseline in the same run: the moment a plain kube 5 watcher in this
//!   process sees the same event, so the gap is the gateway's own share
//!   (decode, coalescing quiet period, rebuild, swap);
//! - the gateway's **CPU time** over those K changes, next to the same
//!   number of requests with no change;
//! - **memory and start-up**: VmRSS/VmHWM once ready at N Ingresses +
//!   Services + EndpointSlices fed by the API server, the same objects
//!   from manifest files (`serve --manifests`), and idle gateways with no
//!   objects; the time from spawn to `/readyz` 200 for each.
//!
//! `cargo bench -p ingress-gateway --bench kube_feed` (or
//! `bash bench/kube-feed.sh`); `cargo test --benches` runs it at 100
//! Ingresses and 4 changes, as a check. Knobs: `KUBE_FEED_N` (10000),
//! `KUBE_FEED_K` (200), `KUBE_FEED_QUIET_MS` (10) and `KUBE_FEED_MAX_MS`
//! (100) for the gateway's coalescer, `KUBE_FEED_POLL_US` (500, the
//! pause between polls).
#![allow(
    unreachable_pub,
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a benchmark binary that prints its table"
)]

mod objects;
mod probe;
mod process;
mod watcher;

use std::ffi::{OsStr, OsString};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use ingress_test_support::ManifestDir;
use ingress_test_support::apiserver::FakeApiServer;
use process::{Gateway, Usage};

/// What to run.
struct Settings {
    n: usize,
    k: usize,
    quiet_ms: u64,
    max_ms: u64,
    poll: Duration,
}

fn knob(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

impl Settings {
    /// The knobs, with defaults for a measurement (`cargo bench` passes
    /// `--bench`) or, otherwise (`cargo test --benches`), for a quick
    /// check that the benchmark still runs.
    fn from_env(measuring: bool) -> Self {
        let size = |name, default| usize::try_from(knob(name, default)).unwrap_or(usize::MAX);
        let (n, k) = if measuring { (10_000, 200) } else { (100, 4) };
        Self {
            n: size("KUBE_FEED_N", n).max(2),
            k: size("KUBE_FEED_K", k).max(1),
            quiet_ms: knob("KUBE_FEED_QUIET_MS", 10),
            max_ms: knob("KUBE_FEED_MAX_MS", 100),
            poll: Duration::from_micros(knob("KUBE_FEED_POLL_US", 500)),
        }
    }
}

fn main() -> ExitCode {
    // `cargo bench` passes `--bench`; a filter argument selects nothing here.
    let settings = Settings::from_env(std::env::args().any(|arg| arg == "--bench"));
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("kube_feed: no runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(&settings)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("kube_feed: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Waits until `host` routes through `gateway`, polling every `poll`;
/// the polls it took.
async fn until_routed(prober: &probe::Prober, host: &str, poll: Duration, bound: Duration) -> Result<u64, String> {
    let started = Instant::now();
    let mut polls = 0;
    loop {
        polls += 1;
        if prober.routed(host).await {
            return Ok(polls);
        }
        if started.elapsed() > bound {
            return Err(format!("{host} did not route within {bound:?}"));
        }
        tokio::time::sleep(poll).await;
    }
}

/// Results of the latency phase.
struct Latency {
    watcher: Vec<Duration>,
    gateway: Vec<Duration>,
    gap: Vec<Duration>,
    cpu: Duration,
    cpu_polls_only: Duration,
    polls: u64,
}

async fn latency(settings: &Settings, fake: &FakeApiServer, gateway: &Gateway) -> Result<Latency, String> {
    let seen = watcher::start(fake.client().map_err(|e| e.to_string())?).await?;
    let prober = probe::Prober::new(gateway.addr);
    let bound = Duration::from_secs(10);
    until_routed(&prober, &objects::host(0), settings.poll, bound).await?;
    let n = settings.n;
    let mut result = Latency {
        watcher: Vec::new(),
        gateway: Vec::new(),
        gap: Vec::new(),
        cpu: Duration::ZERO,
        cpu_polls_only: Duration::ZERO,
        polls: 0,
    };
    let before = gateway.usage().cpu;
    for j in 0..settings.k {
        // Even rounds create an Ingress, odd ones move a seeded Ingress to
        // a new host; both to a Service that exists.
        let (object, host) = if j % 2 == 0 {
            let host = format!("new-{j:04}.bench.example");
            (objects::ingress_named(j % n, &format!("new-{j:04}"), &host), host)
        } else {
            let host = format!("moved-{j:04}.bench.example");
            (objects::ingress(j.wrapping_mul(7919) % n, &host), host)
        };
        let written = Instant::now();
        fake.apply(object).map_err(|e| e.to_string())?;
        result.polls += until_routed(&prober, &host, settings.poll, bound).await?;
        let routed = written.elapsed();
        let watched = seen.wait(&host, bound).await?.saturating_duration_since(written);
        result.gateway.push(routed);
        result.watcher.push(watched);
        result.gap.push(routed.saturating_sub(watched));
        // A pause that varies, so that writes do not fall into step with
        // the gateway's timers.
        let pause = 20 + (j.wrapping_mul(37) % 31) as u64;
        tokio::time::sleep(Duration::from_millis(pause)).await;
    }
    result.cpu = gateway.usage().cpu.saturating_sub(before);
    // The CPU baseline: as many requests, paced the same, with no change.
    let before = gateway.usage().cpu;
    let host = objects::host(1);
    for _ in 0..result.polls {
        let _ = prober.routed(&host).await;
        tokio::time::sleep(settings.poll).await;
    }
    for j in 0..settings.k {
        tokio::time::sleep(Duration::from_millis(20 + (j.wrapping_mul(37) % 31) as u64)).await;
    }
    result.cpu_polls_only = gateway.usage().cpu.saturating_sub(before);
    Ok(result)
}

/// The nearest-rank percentile `p` (0..=100) of `values`.
fn percentile(values: &[Duration], p: usize) -> Duration {
    let mut sorted = values.to_vec();
    sorted.sort();
    let rank = (p * sorted.len()).div_ceil(100).max(1);
    sorted.get(rank - 1).copied().unwrap_or_default()
}

fn ms(duration: Duration) -> String {
    format!("{:.1} ms", duration.as_secs_f64() * 1000.0)
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

/// Writes the benchmark's objects as manifest files, one per namespace
/// (JSON values one after another, as `kubectl get -o json` prints them).
fn write_manifests(n: usize, port: u16) -> ManifestDir {
    let dir = ManifestDir::new();
    let mut files = vec![String::new(); objects::NAMESPACES];
    if let Some(first) = files.first_mut() {
        first.push_str(&objects::class().to_string());
        first.push('\n');
    }
    for i in 0..n {
        if let Some(file) = files.get_mut(i % objects::NAMESPACES) {
            for object in [
                objects::service(i, port),
                objects::endpoint_slice(i, port),
                objects::ingress(i, &objects::host(i)),
            ] {
                file.push_str(&object.to_string());
                file.push('\n');
            }
        }
    }
    for (index, text) in files.iter().enumerate() {
        dir.write(&format!("{}.json", objects::namespace(index)), text);
    }
    dir
}

/// One gateway started, made ready, checked, measured after a second of
/// rest, then stopped.
struct Started {
    ready: Duration,
    usage: Usage,
    /// Of `usage.rss`, bytes in transparent huge pages.
    huge: u64,
}

async fn start_measured(
    args: &[&OsStr],
    env: &[(&str, &OsStr)],
    log: &std::path::Path,
    routed: Option<&str>,
) -> Result<(Gateway, Started), String> {
    let gateway = Gateway::spawn(args, env, log)?;
    let ready = gateway
        .until_ready()
        .await
        .map_err(|e| format!("{e}; see {}", log.display()))?;
    if let Some(host) = routed {
        let prober = probe::Prober::new(gateway.addr);
        until_routed(&prober, host, Duration::from_millis(1), Duration::from_secs(10)).await?;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let usage = gateway.usage();
    let huge = gateway.huge_pages();
    Ok((gateway, Started { ready, usage, huge }))
}

async fn run(settings: &Settings) -> Result<(), String> {
    let n = settings.n;
    let work = ManifestDir::new();
    let port = probe::backend().await.map_err(|e| e.to_string())?.port();

    let fake = FakeApiServer::start().await.map_err(|e| e.to_string())?;
    let seeding = Instant::now();
    fake.apply(objects::class()).map_err(|e| e.to_string())?;
    for i in 0..n {
        for object in [
            objects::service(i, port),
            objects::endpoint_slice(i, port),
            objects::ingress(i, &objects::host(i)),
        ] {
            fake.apply(object).map_err(|e| e.to_string())?;
        }
    }
    // The seeding's event log is of no use to a watcher that lists first.
    fake.compact();
    eprintln!(
        "kube_feed: {n} Ingresses, Services and EndpointSlices stored in {:.1?}",
        seeding.elapsed()
    );
    let kubeconfig = fake.write_kubeconfig(work.path()).map_err(|e| e.to_string())?;
    let kube_env: [(&str, &OsStr); 1] = [("KUBECONFIG", kubeconfig.as_os_str())];
    let quiet = OsString::from(settings.quiet_ms.to_string());
    let max = OsString::from(settings.max_ms.to_string());
    let kube_args: Vec<&OsStr> = vec![
        OsStr::new("--kube"),
        OsStr::new("--coalesce-quiet-ms"),
        &quiet,
        OsStr::new("--coalesce-max-ms"),
        &max,
    ];
    let first_host = objects::host(0);
    let last_host = objects::host(n - 1);

    // The gateway fed by the API server: ready, memory, then latency.
    let log = work.path().join("kube.log");
    let (gateway, kube) = start_measured(&kube_args, &kube_env, &log, Some(&last_host)).await?;
    eprintln!(
        "kube_feed: --kube ready in {:.2?}; measuring {} changes",
        kube.ready, settings.k
    );
    let latency = latency(settings, &fake, &gateway).await?;
    let kube_after = gateway.usage();
    let kube_after_huge = gateway.huge_pages();
    drop(gateway);

    // The same objects from files.
    let manifests = write_manifests(n, port);
    let files_args = [OsStr::new("--manifests"), manifests.path().as_os_str()];
    let log = work.path().join("files.log");
    let (gateway, files) = start_measured(&files_args, &[], &log, Some(&first_host)).await?;
    drop(gateway);

    // Idle: no objects at all.
    let empty = FakeApiServer::start().await.map_err(|e| e.to_string())?;
    let empty_config = empty.write_kubeconfig(manifests.path()).map_err(|e| e.to_string())?;
    let log = work.path().join("idle-kube.log");
    let env = [("KUBECONFIG", empty_config.as_os_str())];
    let (gateway, idle_kube) = start_measured(&kube_args, &env, &log, None).await?;
    drop(gateway);
    let empty_dir = ManifestDir::new();
    let idle_args = [OsStr::new("--manifests"), empty_dir.path().as_os_str()];
    let log = work.path().join("idle-files.log");
    let (gateway, idle_files) = start_measured(&idle_args, &[], &log, None).await?;
    drop(gateway);

    print_report(
        settings,
        &latency,
        &[
            ("serve --kube (fake API server)", n, &kube),
            ("serve --manifests (files)", n, &files),
            ("serve --kube, no objects", 0, &idle_kube),
            ("serve --manifests, empty dir", 0, &idle_files),
        ],
        (kube_after, kube_after_huge),
    );
    Ok(())
}

fn print_report(
    settings: &Settings,
    latency: &Latency,
    runs: &[(&str, usize, &Started)],
    (kube_after, kube_after_huge): (Usage, u64),
) {
    let (n, k) = (settings.n, settings.k);
    println!(
        "\nkube feed: {n} Ingresses + {n} Services + {n} EndpointSlices; coalescing {} ms quiet, {} ms at most\n",
        settings.quiet_ms, settings.max_ms
    );
    println!("event-to-route latency, {k} changes (half new Ingresses, half a new host on one):\n");
    println!("| measured to | p50 | p90 | p99 | max |\n|---|---|---|---|---|");
    for (what, values) in [
        ("a kube watcher in the bench sees it", &latency.watcher),
        ("the gateway routes it", &latency.gateway),
        ("difference, per change", &latency.gap),
    ] {
        println!(
            "| {what} | {} | {} | {} | {} |",
            ms(percentile(values, 50)),
            ms(percentile(values, 90)),
            ms(percentile(values, 99)),
            ms(percentile(values, 100))
        );
    }
    let k32 = u32::try_from(k).unwrap_or(u32::MAX).max(1);
    println!(
        "\ngateway CPU: {} over the {k} changes and {} polls, {} over the same polls with no change: {} per change\n",
        ms(latency.cpu),
        latency.polls,
        ms(latency.cpu_polls_only),
        ms(latency.cpu.saturating_sub(latency.cpu_polls_only) / k32)
    );
    println!("| gateway | objects | spawn to ready | VmRSS | VmHWM |\n|---|---|---|---|---|");
    for (what, objects, started) in runs {
        println!(
            "| {what} | {} | {} | {} | {} |",
            objects * 3,
            ms(started.ready),
            mib(started.usage.rss),
            mib(started.usage.hwm)
        );
    }
    println!(
        "\nserve --kube after the latency phase: VmRSS {}, VmHWM {}",
        mib(kube_after.rss),
        mib(kube_after.hwm)
    );
    // A 2 MiB page partly used is resident whole: the allocator is built
    // not to ask for them (examples/gateway/Cargo.toml).
    println!(
        "of which in transparent huge pages (AnonHugePages): once ready {}, after the latency phase {}",
        mib(runs.first().map_or(0, |(_, _, started)| started.huge)),
        mib(kube_after_huge)
    );
}
