//! The human sentence of a `route` answer: which host level was chosen,
//! which rule won and over what.

use std::fmt::Write as _;

use ingress_core::canonical::RequestHost;
use ingress_core::table::{DiagnosticKind, Matched, NotFound};
use ingress_core::validation::HostRule;
use ingress_core::{Route, RouteTable};

/// Why the host level was chosen (M1, H4).
fn level(host: &RequestHost, level: &HostRule) -> String {
    match (level, host) {
        (HostRule::Exact(name), _) => format!("Ingress rules name host {name}"),
        (HostRule::Wildcard(parent), _) => format!("host {host} is covered by the wildcard *.{parent}"),
        (HostRule::Any, RequestHost::Name(name)) => {
            format!("no Ingress rule names host {name} or a wildcard over it, so the host-less rules apply")
        }
        (HostRule::Any, RequestHost::Ip(ip)) => {
            format!("{ip} is an IP address, which never matches a named host, so the host-less rules apply (H4)")
        }
        (HostRule::Any, RequestHost::None) => "the request names no host, so the host-less rules apply".to_owned(),
    }
}

pub(crate) fn routed(table: &RouteTable, route: &Route) -> String {
    let mut reason = level(route.host(), route.level());
    let path = route.path();
    match route.matched() {
        Matched::Rule(rule) => {
            let _ = write!(reason, "; {rule} of {} matches {path}", route.ingress());
            let why = table.explain(route.host(), path);
            let others: Vec<String> = why
                .matching
                .iter()
                .filter(|other| !std::sync::Arc::ptr_eq(other, route.target()))
                .filter_map(|other| {
                    let other_rule = other.matched().rule()?;
                    let by = if rule.kind != other_rule.kind {
                        "Exact beats Prefix"
                    } else {
                        "longer"
                    };
                    Some(format!("{other_rule} of {} ({by}, M5)", other.ingress()))
                })
                .collect();
            if !others.is_empty() {
                let _ = write!(reason, ", and wins over {}", others.join(", "));
            }
            // Equal rules it shadows (they are not in the table).
            let field = rule.field();
            let shadowed: Vec<String> = table
                .report()
                .diagnostics()
                .iter()
                .filter_map(|d| match &d.kind {
                    DiagnosticKind::Conflict {
                        field: lost, winner, ..
                    } if winner.object == *route.ingress() && winner.field == field => {
                        Some(format!("{} {lost}", d.object))
                    }
                    _ => None,
                })
                .collect();
            if !shadowed.is_empty() {
                let _ = write!(reason, "; it shadows the equal rule of {} (M6)", shadowed.join(", "));
            }
        }
        Matched::DefaultBackend => {
            let _ = write!(
                reason,
                "; no path rule there matches {path}, so the default backend of {} serves (M7)",
                route.ingress()
            );
        }
    }
    reason
}

pub(crate) fn not_found(not_found: &NotFound) -> String {
    let Some(path) = &not_found.path else {
        return "OPTIONS * asks about the server itself and is never routed".to_owned();
    };
    match &not_found.level {
        Some(chosen) => format!(
            "{}; no path rule there matches {path} and none of its Ingresses has a default backend (M2: no fallthrough to other hosts' rules)",
            level(&not_found.host, chosen)
        ),
        None => match &not_found.host {
            RequestHost::Name(name) => format!(
                "no Ingress rule names host {name} or a wildcard over it, and there are no host-less rules or default backends"
            ),
            RequestHost::Ip(ip) => format!(
                "{ip} is an IP address, which never matches a named host (H4), and there are no host-less rules or default backends"
            ),
            RequestHost::None => {
                "the request names no host, and there are no host-less rules or default backends".to_owned()
            }
        },
    }
}
