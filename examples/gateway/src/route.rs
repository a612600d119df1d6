//! `ingress-gateway route`: which backend requests would reach, and why.
//!
//! Each request is built as an `http::Request` (the `http` crate parses the
//! target as hyper does for the server) and routed with
//! [`ingress_tower::route`], the function the server's layer calls: the
//! answers here are the server's answers.

use std::io::{BufRead as _, Write as _};
use std::process::ExitCode;

use http::{Method, Request, Uri, Version, header};
use ingress_core::table::Matched;
use ingress_core::validation::ServicePort;
use ingress_core::{Backend, Outcome, RouteTable};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::cli::RouteArgs;
use crate::loading::load;
use crate::reason;

/// One request from standard input.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Query {
    /// The Host header; `null` or absent: no Host header (HTTP/1.0).
    #[serde(default)]
    host: Option<String>,
    /// The request-target as sent.
    target: String,
    /// The method; GET when absent.
    #[serde(default)]
    method: Option<String>,
}

pub(crate) fn run(args: &RouteArgs) -> anyhow::Result<ExitCode> {
    let compiled = load(&args.source)?;
    let table = &compiled.table;
    let mut out = std::io::stdout().lock();
    if let Some(target) = &args.target {
        writeln!(out, "{}", answer(table, &args.method, args.host.as_deref(), target))?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut invalid = false;
    for (index, line) in std::io::stdin().lock().lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let value = match serde_json::from_str::<Query>(&line) {
            Ok(query) => answer(
                table,
                query.method.as_deref().unwrap_or("GET"),
                query.host.as_deref(),
                &query.target,
            ),
            Err(error) => {
                invalid = true;
                json!({"error": format!("line {}: not a request: {error}", index + 1)})
            }
        };
        writeln!(out, "{value}")?;
    }
    Ok(if invalid { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

/// The longest request-target the server takes: hyper's HTTP/1 server
/// answers 414 for a longer one (the `http` crate refuses it too, which
/// would read here as a malformed target).
const MAX_TARGET: usize = u16::MAX as usize - 1;

/// The answer for one request, as one JSON object.
fn answer(table: &RouteTable, method: &str, host: Option<&str>, target: &str) -> Value {
    if target.len() > MAX_TARGET {
        return refusal(
            "uri_too_long",
            &format!(
                "the request target is {} bytes, over the {MAX_TARGET} the server reads: it answers 414 before routing [P7]",
                target.len()
            ),
        );
    }
    let request = match build(method, host, target) {
        Ok(request) => request,
        Err(reason) => return refusal("bad_request", &reason),
    };
    match ingress_tower::route(table, &request) {
        Outcome::Routed(route) => {
            let (service, port) = match route.backend() {
                Backend::Service(service) => (
                    json!(&*service.name),
                    match &service.port {
                        ServicePort::Number(number) => json!(number),
                        ServicePort::Name(name) => json!(&**name),
                    },
                ),
                _ => (Value::Null, Value::Null),
            };
            let rule = match route.matched() {
                Matched::Rule(rule) => json!({"path": &*rule.path, "pathType": rule.path_type.as_str()}),
                Matched::DefaultBackend => Value::Null,
            };
            json!({
                "outcome": if route.is_default_backend() { "default_backend" } else { "routed" },
                "ingress": route.ingress().to_string(),
                "service": service,
                "port": port,
                "path": route.path().as_str(),
                "rule": rule,
                "reason": reason::routed(table, &route),
            })
        }
        Outcome::NotFound(not_found) => json!({
            "outcome": "not_found",
            "ingress": null,
            "service": null,
            "port": null,
            "path": not_found.path.as_ref().map(|p| p.as_str()),
            "rule": null,
            "reason": reason::not_found(&not_found),
        }),
        Outcome::Refused(error) => {
            let outcome = if error.refusal().status_code() == 414 {
                "uri_too_long"
            } else {
                "bad_request"
            };
            refusal(outcome, &format!("{error} [{}]", error.rule()))
        }
        other => refusal("bad_request", &format!("unexpected outcome {other:?}")),
    }
}

fn refusal(outcome: &str, reason: &str) -> Value {
    json!({
        "outcome": outcome,
        "ingress": null,
        "service": null,
        "port": null,
        "path": null,
        "rule": null,
        "reason": reason,
    })
}

/// The request as the server would have received it: HTTP/1.1 with the
/// given Host header, or HTTP/1.0 without one.
fn build(method: &str, host: Option<&str>, target: &str) -> Result<Request<()>, String> {
    let method: Method = method
        .parse()
        .map_err(|_| format!("{method:?} is not an HTTP method [P2]"))?;
    let uri: Uri = target
        .parse()
        .map_err(|error| format!("the request target {target:?} is not one an HTTP server accepts: {error} [P2]"))?;
    let builder = Request::builder().method(method).uri(uri);
    let builder = match host {
        Some(host) => {
            let value = header::HeaderValue::from_str(host)
                .map_err(|_| format!("the Host header {host:?} holds bytes no header can carry [H3]"))?;
            builder.version(Version::HTTP_11).header(header::HOST, value)
        }
        None => builder.version(Version::HTTP_10),
    };
    builder
        .body(())
        .map_err(|error| format!("not a valid request: {error} [P2]"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(target: &str) -> Value {
        answer(&RouteTable::default(), "GET", Some("hello.nginx.com"), target)["outcome"].clone()
    }

    #[test]
    fn p7_targets_the_server_refuses_for_their_length_are_uri_too_long() {
        // Over the limit: the http crate refuses it; the server answers 414.
        let over = format!("/{}", "a".repeat(100 * 1024));
        assert_eq!(outcome(&over), "uri_too_long");
        let just_over = format!("/{}", "a".repeat(MAX_TARGET));
        assert_eq!(outcome(&just_over), "uri_too_long");
        // At the limit the target parses, and P7's 8 KiB path limit answers.
        let at_limit = format!("/{}", "a".repeat(MAX_TARGET - 1));
        assert_eq!(at_limit.len(), MAX_TARGET);
        assert_eq!(outcome(&at_limit), "uri_too_long");
        // A malformed short target is still a bad request.
        assert_eq!(outcome("/a b"), "bad_request");
    }
}
