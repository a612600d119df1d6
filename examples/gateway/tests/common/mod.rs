//! Running the real `ingress-gateway` binary on manifests.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::Value;

/// The repository's sample manifests.
pub fn samples(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../manifests").join(name)
}

/// A directory of manifests for one test, removed when dropped.
pub struct Manifests {
    pub dir: PathBuf,
}

impl Manifests {
    pub fn new(files: &[(&str, &str)]) -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "ingress-gateway-test-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        for (name, text) in files {
            let path = dir.join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        Self { dir }
    }
}

impl Drop for Manifests {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Runs the binary with `args`, feeding `stdin`.
pub fn gateway(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ingress-gateway"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

pub fn text(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// `route` answers, one JSON value per output line.
pub fn route(manifests: &Path, extra: &[&str], requests: &[Value]) -> Vec<Value> {
    let input: String = requests.iter().map(|r| format!("{r}\n")).collect();
    let mut args = vec!["route", "--manifests", manifests.to_str().unwrap()];
    args.extend_from_slice(extra);
    let output = gateway(&args, &input);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    text(&output)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

/// One request to `route`, answered.
pub fn route_one(manifests: &Path, host: Option<&str>, target: &str) -> Value {
    let request = serde_json::json!({"host": host, "target": target});
    route(manifests, &[], &[request]).remove(0)
}

/// Our IngressClass, marked default.
pub const OUR_DEFAULT_CLASS: &str = r#"
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata:
  name: ours
  annotations:
    ingressclass.kubernetes.io/is-default-class: "true"
spec:
  controller: ingress-rs.dev/ingress-gateway
"#;

/// An Ingress manifest: `name`, optional class field, annotations, and
/// rules given as YAML text (indented for `spec.rules`).
pub fn ingress(name: &str, class: Option<&str>, annotations: &str, spec: &str) -> String {
    let class = class.map(|c| format!("  ingressClassName: {c}\n")).unwrap_or_default();
    format!(
        "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: {name}\n  namespace: default\n{annotations}spec:\n{class}{spec}"
    )
}

/// `spec.rules` for one host (or none) with `(pathType, path, service)` paths.
pub fn rules(host: Option<&str>, paths: &[(&str, &str, &str)]) -> String {
    let mut out = String::from("  rules:\n  - ");
    if let Some(host) = host {
        out.push_str(&format!("host: \"{host}\"\n    "));
    }
    out.push_str("http:\n      paths:\n");
    for (kind, path, service) in paths {
        out.push_str(&format!(
            "      - pathType: {kind}\n        path: \"{path}\"\n        backend: {{service: {{name: {service}, port: {{number: 80}}}}}}\n"
        ));
    }
    out
}
