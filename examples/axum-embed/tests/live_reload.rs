//! The example app, run for real on loopback: routing by the manifest, a
//! live edit, an invalid edit that keeps the last good routes.

// In a test, a failure is the test failing.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ingress_test_support::ManifestDir;

/// The manifest file the app watches, in a directory of its own.
const MANIFEST: &str = "ingress.yaml";

/// The app, killed when dropped (then its directory is removed).
struct App {
    child: Child,
    addr: String,
    dir: ManifestDir,
}

impl App {
    /// The manifest's text now.
    fn manifest(&self) -> String {
        std::fs::read_to_string(self.dir.path().join(MANIFEST)).unwrap()
    }

    /// Replaces the manifest in one step.
    fn edit(&self, text: &str) {
        self.dir.write(MANIFEST, text);
    }
}

impl Drop for App {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start() -> App {
    let sample = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/ingress.yaml")).unwrap();
    let dir = ManifestDir::with_files(&[(MANIFEST, &sample)]);
    let manifest = dir.path().join(MANIFEST);
    let mut child = Command::new(env!("CARGO_BIN_EXE_axum-embed"))
        .args([
            "--manifests",
            manifest.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
            "--poll-ms",
            "50",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line.trim().strip_prefix("listening on ").unwrap().to_owned();
    App { child, addr, dir }
}

/// One HTTP/1.1 request; returns the status and the body.
fn get(app: &App, host: &str, target: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(&app.addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        stream,
        "GET {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response[9..12].parse().unwrap();
    let body = response.split_once("\r\n\r\n").map_or("", |(_, body)| body).to_owned();
    (status, body)
}

/// Waits (boundedly) until a request gets `status`.
fn eventually(app: &App, host: &str, target: &str, status: u16) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (got, body) = get(app, host, target);
        if got == status {
            return body;
        }
        assert!(Instant::now() < deadline, "still {got} for {host} {target}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn routes_by_the_manifest_and_swaps_it_live() {
    let app = start();
    let (status, body) = get(&app, "hello.nginx.com", "/");
    assert_eq!(status, 200);
    assert!(body.contains("Welcome to nginx!"));
    let (status, body) = get(&app, "HELLO.nginx.com:80", "/api/v1/../users?x=1");
    assert_eq!(status, 200);
    assert_eq!(
        body,
        "api-svc: api-svc via Ingress default/example-ingress (Prefix \"/api\"), host hello.nginx.com, path /api/users\n"
    );
    assert_eq!(get(&app, "nowhere.example", "/").0, 404);
    assert_eq!(get(&app, "hello.nginx.com", "/../etc").0, 400);

    // A live edit: the host changes.
    let text = app.manifest();
    app.edit(&text.replace("hello.nginx.com", "hello.example.org"));
    assert!(eventually(&app, "hello.example.org", "/", 200).contains("Welcome to nginx!"));
    assert_eq!(get(&app, "hello.nginx.com", "/").0, 404);

    // An invalid object keeps its last valid version (V8); a file that does
    // not parse keeps the last good table.
    let text = app.manifest();
    app.edit(&text.replace("hello.example.org", "Bad.Host"));
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(get(&app, "hello.example.org", "/").0, 200);
    app.edit(&format!("{text}\ngarbage: [\n"));
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(get(&app, "hello.example.org", "/").0, 200);

    // And a good edit after them still applies.
    app.edit(&text.replace("hello.example.org", "hello.nginx.com"));
    eventually(&app, "hello.nginx.com", "/", 200);
}
