//! What one rebuild means for each Ingress, the one place the write-back
//! reads it from: which of our Ingresses are served (their status gets
//! our address) and which were rejected or lost a conflict (they get an
//! Event). A publisher wrapper hands it on after every rebuild.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use ingress_core::objects::ObjectKey;
use ingress_core::table::{Diagnostic, DiagnosticKind};
use tokio::sync::watch;

use crate::feed::{Publish, Update};

/// The longest Event note the API server takes (1 kB).
const MAX_NOTE: usize = 1024;

/// Why an Ingress gets a Warning Event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Reason {
    /// V8: it failed validation.
    Rejected,
    /// M6/M7: a rule or default backend of it loses to another Ingress.
    Conflict,
}

impl Reason {
    /// The Event's `reason`.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Rejected => "Rejected",
            Self::Conflict => "Conflict",
        }
    }
}

/// One rebuild's result per Ingress.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Outcome {
    /// Our Ingresses (O1-O3), valid or not.
    pub(crate) ours: BTreeSet<ObjectKey>,
    /// Those of them that route no traffic: rejected with no earlier valid
    /// version to serve (V8). Usually none, so kept instead of the served
    /// ones (all the others), which would copy `ours` at every rebuild.
    pub(crate) unserved: BTreeSet<ObjectKey>,
    /// Each problem of an Ingress, by reason: the diagnostics as `check`
    /// prints them, one per line, cut at 1 kB.
    pub(crate) problems: BTreeMap<(ObjectKey, Reason), String>,
}

impl Outcome {
    /// Derives the outcome from a rebuild.
    pub(crate) fn of(update: &Update<'_>) -> Self {
        let ours: BTreeSet<ObjectKey> = update.ours().cloned().collect();
        Self::from_parts(ours, update.routes.report().diagnostics())
    }

    /// The outcome of `ours` with `diagnostics`.
    pub(crate) fn from_parts(ours: BTreeSet<ObjectKey>, diagnostics: &[Diagnostic]) -> Self {
        let mut unserved = BTreeSet::new();
        let mut problems: BTreeMap<(ObjectKey, Reason), String> = BTreeMap::new();
        for diagnostic in diagnostics {
            let reason = match &diagnostic.kind {
                DiagnosticKind::Rejected { serving_previous, .. } => {
                    if !serving_previous && ours.contains(&diagnostic.object) {
                        unserved.insert(diagnostic.object.clone());
                    }
                    Reason::Rejected
                }
                DiagnosticKind::Conflict { .. } | DiagnosticKind::DefaultBackendConflict { .. } => Reason::Conflict,
                _ => continue,
            };
            let note = problems.entry((diagnostic.object.clone(), reason)).or_default();
            if !note.is_empty() {
                note.push('\n');
            }
            note.push_str(&diagnostic.to_string());
        }
        for note in problems.values_mut() {
            truncate(note, MAX_NOTE);
        }
        Self {
            ours,
            unserved,
            problems,
        }
    }

    /// Whether `key` is one of our Ingresses and routes traffic.
    pub(crate) fn serves(&self, key: &ObjectKey) -> bool {
        self.ours.contains(key) && !self.unserved.contains(key)
    }
}

/// Cuts `text` to at most `max` bytes, on a character boundary, marking
/// the cut with an ellipsis.
fn truncate(text: &mut String, max: usize) {
    if text.len() <= max {
        return;
    }
    let mut end = max.saturating_sub('…'.len_utf8());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.truncate(end);
    text.push('…');
}

/// The publisher wrapper: derives the [`Outcome`] of each rebuild whose
/// routes changed, hands the latest one to the write-back, then
/// publishes into the program's publisher.
#[derive(Debug)]
pub(crate) struct Observed<P> {
    pub(crate) inner: P,
    pub(crate) outcomes: watch::Sender<Option<Arc<Outcome>>>,
}

impl<P: Publish> Publish for Observed<P> {
    fn publish(&mut self, update: &Update<'_>) {
        if update.routes_changed || self.outcomes.borrow().is_none() {
            let outcome = Arc::new(Outcome::of(update));
            self.outcomes.send_if_modified(|last| {
                let modified = last.as_deref() != Some(&*outcome);
                *last = Some(outcome);
                modified
            });
        } else {
            // Endpoints or Services changed: a published Service address
            // may have too.
            self.outcomes.send_modify(|_| {});
        }
        self.inner.publish(update);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ingress_core::{IngressSet, TableOptions};

    fn ingress(name: &str, host: &str) -> ingress_core::Ingress {
        let ingress: k8s_openapi::api::networking::v1::Ingress = serde_json::from_value(serde_json::json!({
            "metadata": {"name": name, "namespace": "default",
                "creationTimestamp": format!("2026-01-01T00:00:0{}Z", name.len() % 10)},
            "spec": {"rules": [{"host": host, "http": {"paths": [{"path": "/", "pathType": "Prefix",
                "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}]},
        }))
        .unwrap_or_default();
        crate::convert_ingress(&ingress)
    }

    #[test]
    fn v8_rejected_ingresses_are_not_served_and_m6_losers_are_served_with_a_conflict() {
        let mut set = IngressSet::new();
        for ingress in [
            ingress("web", "web.example"),
            ingress("copy", "web.example"),
            ingress("bad", "10.0.0.1"),
        ] {
            set.apply(&ingress);
        }
        let table = set.compile(&TableOptions::default());
        let ours: BTreeSet<ObjectKey> = ["web", "copy", "bad"]
            .iter()
            .map(|n| ObjectKey::new("default", n))
            .collect();
        let outcome = Outcome::from_parts(ours.clone(), table.report().diagnostics());
        let key = |name: &str| ObjectKey::new("default", name);
        assert_eq!(outcome.ours, ours);
        let served: Vec<&str> = ["web", "copy", "bad", "other"]
            .into_iter()
            .filter(|name| outcome.serves(&key(name)))
            .collect();
        assert_eq!(served, ["web", "copy"]);
        let problems: Vec<(&str, Reason)> = outcome.problems.keys().map(|(k, r)| (k.name(), *r)).collect();
        assert_eq!(problems, [("bad", Reason::Rejected), ("copy", Reason::Conflict)]);
        let conflict = outcome
            .problems
            .get(&(key("copy"), Reason::Conflict))
            .map(String::as_str);
        assert!(
            conflict.is_some_and(|note| note.starts_with("[M6]") && note.contains("default/web")),
            "{conflict:?}"
        );
        let rejected = outcome
            .problems
            .get(&(key("bad"), Reason::Rejected))
            .map(String::as_str);
        assert!(
            rejected.is_some_and(|note| note.starts_with("[V8] default/bad") && note.contains("[V2]")),
            "{rejected:?}"
        );
    }

    #[test]
    fn a_long_note_is_cut_on_a_character_boundary() {
        let mut note = "é".repeat(600);
        truncate(&mut note, MAX_NOTE);
        assert!(note.len() <= MAX_NOTE);
        assert!(note.ends_with('…'));
        let mut short = "fine".to_owned();
        truncate(&mut short, MAX_NOTE);
        assert_eq!(short, "fine");
    }
}
