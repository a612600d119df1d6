//! `--listen-tls`, run for real on loopback: the sample manifest's
//! `spec.tls` host gets its Secret's certificate (T1), other names and no
//! SNI the self-signed default (T2), the answers are routed by the Ingress
//! as on the plain listener, and a Secret rewritten in the manifests serves
//! from the next handshake on. Every read and wait is bounded; the app is
//! killed when the test ends.

// In a test, a failure is the test failing.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

mod client;
mod pki;

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use ingress_test_support::ManifestDir;

use client::{client, connect, get, names, served};
use pki::TestCa;

/// The host of the sample manifest's `spec.tls`, and its Secret's file.
const HOST: &str = "hello.nginx.com";
const SECRET_FILE: &str = "hello-tls.yaml";

/// The app with both listeners, killed when dropped; its log is kept.
struct App {
    child: Child,
    plain: String,
    tls: String,
    dir: ManifestDir,
    log: Arc<Mutex<String>>,
    log_reader: Option<JoinHandle<()>>,
}

impl App {
    /// The sample manifest and `secret`, in a directory of their own.
    fn start(secret: &str) -> Self {
        let sample = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/ingress.yaml")).unwrap();
        let dir = ManifestDir::with_files(&[("ingress.yaml", &sample), (SECRET_FILE, secret)]);
        let mut child = Command::new(env!("CARGO_BIN_EXE_axum-embed"))
            .args(["--manifests", dir.path().to_str().unwrap()])
            .args([
                "--listen",
                "127.0.0.1:0",
                "--listen-tls",
                "127.0.0.1:0",
                "--poll-ms",
                "50",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let log = Arc::new(Mutex::new(String::new()));
        let mut stderr = child.stderr.take().unwrap();
        let sink = Arc::clone(&log);
        let log_reader = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = stderr.read_to_string(&mut text);
            sink.lock().unwrap().push_str(&text);
        });
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut next = |prefix: &str| lines.next().unwrap().unwrap().strip_prefix(prefix).unwrap().to_owned();
        let plain = next("listening on ");
        let tls = next("tls on ");
        Self {
            child,
            plain,
            tls,
            dir,
            log,
            log_reader: Some(log_reader),
        }
    }

    /// Stops the app; everything it logged.
    fn stop(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(reader) = self.log_reader.take() {
            reader.join().unwrap();
        }
        self.log.lock().unwrap().clone()
    }
}

impl Drop for App {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn t1_t2_serves_the_secrets_certificate_by_sni_and_routes_by_the_ingress() {
    let ca = TestCa::new();
    let leaf = ca.leaf();
    let app = App::start(&TestCa::secret(&leaf));
    let http1 = client(Some(&ca), &[b"http/1.1"], true);

    // The TLS host: its Secret's certificate, which a verifying client
    // takes, and the Ingress's routes.
    let tls = connect(&app.tls, &http1, HOST).unwrap();
    assert_eq!(served(&tls), leaf.der);
    let (status, body) = get(tls, HOST, "/");
    assert_eq!(status, 200);
    assert!(body.contains("Welcome to nginx!"), "{body}");
    let (status, body) = get(connect(&app.tls, &http1, HOST).unwrap(), HOST, "/api/v1/../users");
    assert_eq!(status, 200);
    assert_eq!(
        body,
        "api-svc: api-svc via Ingress default/example-ingress (Prefix \"/api\"), host hello.nginx.com, path /api/users\n"
    );

    // h2 is offered first, and spoken: the server's first frame is its
    // SETTINGS (type 4) on stream 0.
    let mut tls = connect(&app.tls, &client(Some(&ca), &[b"h2", b"http/1.1"], true), HOST).unwrap();
    assert_eq!(tls.conn.alpn_protocol(), Some(&b"h2"[..]));
    tls.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\0\x04\0\0\0\0\0")
        .unwrap();
    let mut frame = [0_u8; 9];
    tls.read_exact(&mut frame).unwrap();
    assert_eq!((frame[3], &frame[5..]), (4, &[0_u8; 4][..]), "{frame:?}");

    // An unknown name and no SNI: the self-signed default, which a
    // verifying client refuses. SNI picks the certificate, the Host header
    // the route (T2).
    let any = client(None, &[b"http/1.1"], true);
    let unknown = connect(&app.tls, &any, "unknown.example").unwrap();
    let default = served(&unknown);
    assert_ne!(default, leaf.der);
    assert_eq!(names(&default), ["ingress.local"]);
    assert_eq!(get(unknown, HOST, "/").0, 200);
    let no_sni = connect(&app.tls, &client(None, &[b"http/1.1"], false), HOST).unwrap();
    assert_eq!(served(&no_sni), default);
    assert!(connect(&app.tls, &http1, "unknown.example").is_err());

    // The plain listener serves the same app.
    let mut plain = TcpStream::connect(&app.plain).unwrap();
    plain.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(plain, "GET / HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n").unwrap();
    let mut response = String::new();
    plain.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");

    // No key material in the log (T3).
    let log = app.stop();
    assert!(log.contains("certificates loaded"), "{log}");
    assert!(!log.contains("PRIVATE KEY"), "{log}");
    for line in leaf.key_pem.lines().filter(|line| !line.starts_with("-----")) {
        assert!(!log.contains(line), "a line of the key is in the log");
    }
}

#[test]
fn a_rewritten_secret_serves_from_the_next_handshake() {
    let ca = TestCa::new();
    let (old, new) = (ca.leaf(), ca.leaf());
    let app = App::start(&TestCa::secret(&old));
    let http1 = client(Some(&ca), &[b"http/1.1"], true);
    let open = connect(&app.tls, &http1, HOST).unwrap();
    assert_eq!(served(&open), old.der);

    // cert-manager renewing the Secret: the file is rewritten in one step.
    app.dir.write(SECRET_FILE, TestCa::secret(&new));
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        // Every handshake meanwhile succeeds, with the old or the new one.
        let served = served(&connect(&app.tls, &http1, HOST).unwrap());
        if served == new.der {
            break;
        }
        assert_eq!(served, old.der);
        assert!(Instant::now() < deadline, "the rotated certificate never served");
        std::thread::sleep(Duration::from_millis(50));
    }
    // A new connection is routed as before; the one opened before the
    // rotation keeps the certificate it began with, and still serves.
    let (status, body) = get(connect(&app.tls, &http1, HOST).unwrap(), HOST, "/");
    assert_eq!(status, 200);
    assert!(body.contains("Welcome to nginx!"), "{body}");
    assert_eq!(served(&open), old.der);
    assert_eq!(get(open, HOST, "/").0, 200);
}
