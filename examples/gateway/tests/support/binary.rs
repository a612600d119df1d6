//! The `ingress-gateway` binary run once per command (`check`, `route`):
//! its exit status, output, and `route`'s JSON answers.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

/// The repository's sample manifests, `examples/manifests/<name>`.
pub fn samples(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../manifests").join(name)
}

/// Runs the binary with `args`, feeding `stdin`, until it exits.
pub fn run(args: &[&str], stdin: &str) -> Output {
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

/// Standard output as text.
pub fn text(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// `route` answers, one JSON value per output line.
pub fn route(manifests: &Path, extra: &[&str], requests: &[Value]) -> Vec<Value> {
    let input: String = requests.iter().map(|r| format!("{r}\n")).collect();
    let mut args = vec!["route", "--manifests", manifests.to_str().unwrap()];
    args.extend_from_slice(extra);
    let output = run(&args, &input);
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
