//! Kubernetes Events on Ingresses, so that `kubectl describe ingress`
//! says why a route does not work: a Warning `Rejected` (V8, the fields
//! and V-rules as `check` prints them) or `Conflict` (M6/M7, naming the
//! winning Ingress), each emitted once per distinct message: again only
//! when the message changes, or after the problem was fixed and came back.

use std::collections::BTreeMap;

use ingress_core::objects::ObjectKey;
use k8s_openapi::api::core::v1::ObjectReference;
use kube::Client;
use kube::runtime::events::{Event, EventType, Recorder, Reporter};

use super::outcome::{Outcome, Reason};

/// One Event to emit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Notice {
    pub(crate) key: ObjectKey,
    pub(crate) reason: Reason,
    pub(crate) note: String,
}

/// The message last emitted per Ingress and reason.
#[derive(Debug, Default)]
pub(crate) struct Emitted {
    last: BTreeMap<(ObjectKey, Reason), String>,
}

impl Emitted {
    /// The Events `outcome` calls for that were not emitted yet; forgets
    /// problems that are gone, so that they are reported if they return.
    pub(crate) fn plan(&mut self, outcome: &Outcome) -> Vec<Notice> {
        self.last.retain(|key, _| outcome.problems.contains_key(key));
        outcome
            .problems
            .iter()
            .filter(|(key, note)| self.last.get(key) != Some(note))
            .map(|((key, reason), note)| Notice {
                key: key.clone(),
                reason: *reason,
                note: note.clone(),
            })
            .collect()
    }

    /// Records an Event the API server took.
    pub(crate) fn done(&mut self, notice: Notice) {
        self.last.insert((notice.key, notice.reason), notice.note);
    }

    /// Forgets everything: a new leader reports every problem once.
    pub(crate) fn clear(&mut self) {
        self.last.clear();
    }
}

/// Emits `notice` about the Ingress `regarding` (an `events.k8s.io/v1`
/// Event in its namespace).
///
/// A recorder per Event: kube's recorder folds a repeat of the same
/// reason into a series that keeps the first message, and repeats are
/// already left out here, so each Event is created on its own.
pub(crate) async fn emit(
    client: &Client,
    reporter: &Reporter,
    notice: &Notice,
    regarding: &ObjectReference,
) -> Result<(), kube::Error> {
    let recorder = Recorder::new(client.clone(), reporter.clone());
    let event = Event {
        type_: EventType::Warning,
        reason: notice.reason.as_str().to_owned(),
        note: Some(notice.note.clone()),
        action: "Route".to_owned(),
        secondary: None,
    };
    recorder.publish(&event, regarding).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(problems: &[(&str, Reason, &str)]) -> Outcome {
        Outcome {
            problems: problems
                .iter()
                .map(|(name, reason, note)| ((ObjectKey::new("default", name), *reason), (*note).to_owned()))
                .collect(),
            ..Outcome::default()
        }
    }

    fn emit_all(emitted: &mut Emitted, outcome: &Outcome) -> usize {
        let notices = emitted.plan(outcome);
        let count = notices.len();
        notices.into_iter().for_each(|notice| emitted.done(notice));
        count
    }

    #[test]
    fn an_unchanged_problem_is_reported_once_a_changed_or_returning_one_again() {
        let mut emitted = Emitted::default();
        let broken = outcome(&[
            ("web", Reason::Rejected, "[V8] a"),
            ("shop", Reason::Conflict, "[M6] b"),
        ]);
        assert_eq!(emit_all(&mut emitted, &broken), 2);
        assert_eq!(emit_all(&mut emitted, &broken), 0);
        let changed = outcome(&[
            ("web", Reason::Rejected, "[V8] c"),
            ("shop", Reason::Conflict, "[M6] b"),
        ]);
        assert_eq!(emit_all(&mut emitted, &changed), 1);
        assert_eq!(emit_all(&mut emitted, &outcome(&[])), 0);
        assert_eq!(emit_all(&mut emitted, &changed), 2);
    }

    #[test]
    fn an_event_not_taken_is_tried_again() {
        let mut emitted = Emitted::default();
        let broken = outcome(&[("web", Reason::Rejected, "[V8] a")]);
        assert_eq!(emitted.plan(&broken).len(), 1);
        assert_eq!(emitted.plan(&broken).len(), 1);
    }
}
