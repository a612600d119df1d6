//! The gateway under measurement: the real `ingress-gateway serve`
//! process, its announced listeners, and what `/proc` says about it
//! (resident memory, CPU time). Killed when dropped.

use std::ffi::OsStr;
use std::io::{BufRead as _, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long a gateway may take to announce its listeners, and to become
/// ready.
const START: Duration = Duration::from_secs(120);

/// A running gateway.
pub struct Gateway {
    child: Child,
    /// Routed traffic.
    pub addr: SocketAddr,
    /// `/readyz` and friends.
    pub admin: SocketAddr,
    /// When the process was spawned.
    pub spawned: Instant,
}

impl Gateway {
    /// Spawns `serve` with `args` (plus loopback listeners) and `env`;
    /// standard error goes to `log`. Returns once both listeners are
    /// announced.
    pub fn spawn(args: &[&OsStr], env: &[(&str, &OsStr)], log: &Path) -> Result<Self, String> {
        let log = std::fs::File::create(log).map_err(|e| format!("log file: {e}"))?;
        let spawned = Instant::now();
        let mut child = Command::new(env!("CARGO_BIN_EXE_ingress-gateway"))
            .arg("serve")
            .args(args)
            .args(["--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0"])
            .envs(env.iter().copied())
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .map_err(|e| format!("spawn the gateway: {e}"))?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let mut gateway = Self {
            child,
            addr: SocketAddr::from(([0, 0, 0, 0], 0)),
            admin: SocketAddr::from(([0, 0, 0, 0], 0)),
            spawned,
        };
        // The announcements come first; the rest of stdout is drained by a
        // thread so that the process never blocks on it.
        let mut lines = BufReader::new(stdout).lines();
        while gateway.addr.port() == 0 || gateway.admin.port() == 0 {
            let line = lines
                .next()
                .ok_or("the gateway ended before listening")?
                .map_err(|e| e.to_string())?;
            let parse = |text: &str| text.parse::<SocketAddr>().map_err(|e| e.to_string());
            if let Some(addr) = line.strip_prefix("listening on ") {
                gateway.addr = parse(addr)?;
            } else if let Some(addr) = line.strip_prefix("admin on ") {
                gateway.admin = parse(addr)?;
            }
        }
        std::thread::spawn(move || lines.for_each(drop));
        Ok(gateway)
    }

    /// Waits until `/readyz` answers 200; the time from spawn to ready.
    pub async fn until_ready(&self) -> Result<Duration, String> {
        loop {
            if crate::probe::status(self.admin, "admin", "/readyz").await == Some(200) {
                return Ok(self.spawned.elapsed());
            }
            if self.spawned.elapsed() > START {
                return Err(format!("not ready within {START:?}"));
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// The process's `/proc/PID/status` and `/proc/PID/stat` now.
    pub fn usage(&self) -> Usage {
        Usage::of(self.child.id())
    }

    /// Bytes of its resident set in transparent huge pages now
    /// (`AnonHugePages` in `/proc/PID/smaps_rollup`; 0 if unreadable).
    /// Apart from [`usage`](Self::usage), which the CPU figures read
    /// often: the kernel walks the whole address space for this.
    pub fn huge_pages(&self) -> u64 {
        let rollup = std::fs::read_to_string(format!("/proc/{}/smaps_rollup", self.child.id())).unwrap_or_default();
        rollup
            .lines()
            .find_map(|line| line.strip_prefix("AnonHugePages:"))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.parse::<u64>().ok())
            .unwrap_or(0)
            * 1024
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Memory and CPU time of a process.
#[derive(Debug, Clone, Copy, Default)]
pub struct Usage {
    /// `VmRSS`, bytes.
    pub rss: u64,
    /// `VmHWM` (peak resident), bytes.
    pub hwm: u64,
    /// User plus system time.
    pub cpu: Duration,
}

impl Usage {
    fn of(pid: u32) -> Self {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        let kib = |key: &str| {
            status
                .lines()
                .find_map(|line| line.strip_prefix(key))
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|n| n.parse::<u64>().ok())
                .unwrap_or(0)
                * 1024
        };
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        // Fields after the command name (which may hold spaces, inside
        // parentheses): state is field 3, utime 14, stime 15.
        let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
        let fields: Vec<&str> = after.split_whitespace().collect();
        let ticks = |index: usize| fields.get(index).and_then(|f| f.parse::<u64>().ok()).unwrap_or(0);
        let cpu_ticks = ticks(11) + ticks(12);
        Self {
            rss: kib("VmRSS:"),
            hwm: kib("VmHWM:"),
            cpu: Duration::from_secs_f64(cpu_ticks as f64 / clock_ticks() as f64),
        }
    }
}

/// `sysconf(_SC_CLK_TCK)`, as `getconf` reports it (100 on Linux).
fn clock_ticks() -> u64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .and_then(|text| text.trim().parse().ok())
        .filter(|ticks| *ticks > 0)
        .unwrap_or(100)
}
