//! The real `ingress-gateway serve` process, killed when dropped.

use std::ffi::{OsStr, OsString};
use std::io::{BufRead as _, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::client::{Answer, request, send};

/// How long the process may take to announce its listeners.
const START: Duration = Duration::from_secs(15);

#[derive(Debug)]
pub struct Gateway {
    child: Child,
    /// Routed traffic.
    pub addr: SocketAddr,
    /// /healthz, /readyz, /metrics, /routes.
    pub admin: SocketAddr,
    /// HTTPS, when `--listen-tls` was given (announced before the admin
    /// listener).
    pub tls: Option<SocketAddr>,
    /// Standard error so far (the tracing logs).
    logs: Arc<Mutex<String>>,
}

impl Gateway {
    /// Starts `serve` on `manifests`, listening on 127.0.0.1 ports of its
    /// own, with `extra` flags; returns once both listeners are announced.
    pub async fn start(manifests: &Path, extra: &[&str]) -> Self {
        let mut args: Vec<OsString> = vec!["serve".into(), "--manifests".into(), manifests.into()];
        args.extend(["--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0"].map(OsString::from));
        args.extend(extra.iter().map(OsString::from));
        Self::spawn(&args, &[]).await
    }

    /// Starts the binary with `args` (which must make it announce both
    /// listeners, as `serve --listen .. --admin-listen ..` does) and the
    /// environment variables `env` (`RUST_LOG` is `info` unless `env` sets
    /// it); returns once both are announced.
    pub async fn spawn(args: &[OsString], env: &[(&str, &OsStr)]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_ingress-gateway"))
            .args(args)
            .env("RUST_LOG", "info")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (lines, mut announced) = tokio::sync::mpsc::unbounded_channel();
        let stdout = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let _ = lines.send(line);
            }
        });
        let logs = Arc::new(Mutex::new(String::new()));
        let stderr = child.stderr.take().unwrap();
        let sink = Arc::clone(&logs);
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                let mut logs = sink.lock().unwrap();
                logs.push_str(&line);
                logs.push('\n');
            }
        });
        let unset = SocketAddr::from(([0, 0, 0, 0], 0));
        // From here on, a failure kills the child (Drop).
        let mut gateway = Self {
            child,
            addr: unset,
            admin: unset,
            tls: None,
            logs,
        };
        let started = Instant::now();
        while gateway.addr == unset || gateway.admin == unset {
            let left = START.saturating_sub(started.elapsed());
            let line = match tokio::time::timeout(left, announced.recv()).await {
                Ok(Some(line)) => line,
                Ok(None) => panic!("the gateway ended before listening:\n{}", gateway.logs()),
                Err(_) => panic!("the gateway did not listen within {START:?}:\n{}", gateway.logs()),
            };
            if let Some(addr) = line.strip_prefix("listening on ") {
                gateway.addr = addr.parse().unwrap();
            } else if let Some(addr) = line.strip_prefix("tls on ") {
                gateway.tls = Some(addr.parse().unwrap());
            } else if let Some(addr) = line.strip_prefix("admin on ") {
                gateway.admin = addr.parse().unwrap();
            }
        }
        gateway
    }

    /// Everything the process wrote to standard error so far.
    pub fn logs(&self) -> String {
        self.logs.lock().unwrap().clone()
    }

    /// `GET path` on the admin listener.
    pub async fn admin_get(&self, path: &str) -> Answer {
        send(self.admin, &request("GET", path, Some("admin"), &[], b"")).await
    }

    /// The `/routes` document.
    pub async fn routes(&self) -> Value {
        let answer = self.admin_get("/routes").await;
        assert_eq!(answer.status, 200, "{}", answer.text());
        serde_json::from_slice(&answer.body).unwrap()
    }

    /// The `/metrics` text.
    pub async fn metrics(&self) -> String {
        let answer = self.admin_get("/metrics").await;
        assert_eq!(answer.status, 200, "{}", answer.text());
        answer.text()
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends `signal` (e.g. `TERM`) with kill(1).
    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.pid().to_string())
            .status()
            .unwrap();
        assert!(status.success(), "kill -{signal} failed");
    }

    /// Waits for the process to exit, for at most `bound`.
    pub async fn wait_exit(&mut self, bound: Duration) -> ExitStatus {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                started.elapsed() < bound,
                "the gateway still runs {bound:?} later:\n{}",
                self.logs()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!("--- ingress-gateway logs ---\n{}--- end of logs ---", self.logs());
        }
    }
}
