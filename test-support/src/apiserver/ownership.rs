//! Field ownership for server-side apply, simplified: each leaf field
//! (a scalar, an array, or an empty object, named by its JSON pointer) has
//! a set of field managers.
//!
//! An apply conflicts (409) when it sets a field another manager owns to
//! a different value, unless forced. Applying the value a field already
//! has shares its ownership; applying another value (forced, or on a
//! field nobody else owns) takes it over. An apply that stops setting a
//! field gives it up, and a field nobody owns any more is removed. Other writes
//! (create, replace, merge patch) take ownership of the fields they
//! change and never conflict. This is what leader election on a Lease
//! with one field manager per candidate relies on. `managedFields` is not
//! written into objects.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

/// Leaf pointer to its field managers.
pub(crate) type Owners = BTreeMap<String, BTreeSet<String>>;

/// Which part of an object a write may touch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope {
    /// Everything but `status` (the object of a resource with a status
    /// subresource).
    AllButStatus,
    /// Only `status` (the `/status` subresource).
    Status,
    /// Everything (a resource without a status subresource).
    All,
}

/// Metadata the server owns; never managed.
const SERVER_FIELDS: &[&str] = &[
    "/apiVersion",
    "/kind",
    "/metadata/name",
    "/metadata/namespace",
    "/metadata/resourceVersion",
    "/metadata/uid",
    "/metadata/creationTimestamp",
    "/metadata/generation",
    "/metadata/managedFields",
];

impl Scope {
    fn covers(self, pointer: &str) -> bool {
        let status = pointer == "/status" || pointer.starts_with("/status/");
        let server = SERVER_FIELDS
            .iter()
            .any(|f| pointer == *f || pointer.starts_with(&format!("{f}/")));
        !server
            && match self {
                Self::AllButStatus => !status,
                Self::Status => status,
                Self::All => true,
            }
    }
}

/// The leaf fields of `value` within `scope`, as (pointer, value).
pub(crate) fn leaves(value: &Value, scope: Scope) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    collect(value, String::new(), &mut out);
    out.retain(|(pointer, _)| scope.covers(pointer));
    out
}

fn collect(value: &Value, prefix: String, out: &mut Vec<(String, Value)>) {
    match value {
        Value::Object(fields) if !fields.is_empty() => {
            for (key, child) in fields {
                let escaped = key.replace('~', "~0").replace('/', "~1");
                collect(child, format!("{prefix}/{escaped}"), out);
            }
        }
        _ if !prefix.is_empty() => out.push((prefix, value.clone())),
        _ => {}
    }
}

/// The fields `applied` sets to a value other than the stored one while
/// a manager other than `manager` owns them, with that manager.
pub(crate) fn conflicts(
    stored: &Value,
    owners: &Owners,
    applied: &Value,
    manager: &str,
    scope: Scope,
) -> Vec<(String, String)> {
    let mut found = Vec::new();
    for (pointer, value) in leaves(applied, scope) {
        if stored.pointer(&pointer) == Some(&value) {
            continue;
        }
        for owner in owners.get(&pointer).into_iter().flatten() {
            if owner != manager {
                found.push((pointer.clone(), owner.clone()));
            }
        }
    }
    found
}

/// Applies `applied` for `manager` (conflicts already checked): gives up
/// the fields `manager` no longer sets (removing those nobody else owns),
/// then sets the applied ones. Returns the new object.
pub(crate) fn apply(stored: &Value, owners: &mut Owners, applied: &Value, manager: &str, scope: Scope) -> Value {
    let mut object = stored.clone();
    let set = leaves(applied, scope);
    let given_up: Vec<String> = owners
        .iter()
        .filter(|(pointer, managers)| {
            managers.contains(manager) && scope.covers(pointer) && !set.iter().any(|(p, _)| p == *pointer)
        })
        .map(|(pointer, _)| pointer.clone())
        .collect();
    for pointer in given_up {
        let orphan = owners.get_mut(&pointer).is_some_and(|managers| {
            managers.remove(manager);
            managers.is_empty()
        });
        if orphan {
            owners.remove(&pointer);
            remove(&mut object, &pointer);
        }
    }
    for (pointer, value) in set {
        if object.pointer(&pointer) == Some(&value) {
            share(owners, &pointer, manager);
        } else {
            insert(&mut object, &pointer, value);
            take(owners, &pointer, manager);
        }
    }
    if scope.covers("/status") && object.get("status").is_some_and(|s| s == &Value::Object(Map::new())) {
        remove(&mut object, "/status");
    }
    object
}

/// Gives `manager` the fields a non-apply write changed from `old` to
/// `new`, and forgets the owners of fields it removed.
pub(crate) fn update(old: &Value, new: &Value, owners: &mut Owners, manager: &str, scope: Scope) {
    for (pointer, value) in leaves(new, scope) {
        if old.pointer(&pointer) != Some(&value) {
            take(owners, &pointer, manager);
        }
    }
    owners.retain(|pointer, _| !scope.covers(pointer) || new.pointer(pointer).is_some());
}

/// `manager` alone owns `pointer`; owners of fields inside or above it
/// lose them.
fn take(owners: &mut Owners, pointer: &str, manager: &str) {
    owners.retain(|p, _| !(p.starts_with(&format!("{pointer}/")) || pointer.starts_with(&format!("{p}/"))));
    owners.insert(pointer.to_owned(), BTreeSet::from([manager.to_owned()]));
}

/// `manager` owns `pointer` too.
fn share(owners: &mut Owners, pointer: &str, manager: &str) {
    owners.entry(pointer.to_owned()).or_default().insert(manager.to_owned());
}

fn unescape(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}

/// Sets the field at `pointer`, making objects on the way.
fn insert(object: &mut Value, pointer: &str, value: Value) {
    let tokens: Vec<String> = pointer.split('/').skip(1).map(unescape).collect();
    let Some((last, path)) = tokens.split_last() else {
        return;
    };
    let mut current = object;
    for token in path {
        if !current.is_object() {
            *current = Value::Object(Map::new());
        }
        let Some(fields) = current.as_object_mut() else {
            return;
        };
        current = fields.entry(token.clone()).or_insert_with(|| Value::Object(Map::new()));
    }
    if !current.is_object() {
        *current = Value::Object(Map::new());
    }
    if let Some(fields) = current.as_object_mut() {
        fields.insert(last.clone(), value);
    }
}

/// Removes the field at `pointer`, then the objects it leaves empty.
fn remove(object: &mut Value, pointer: &str) {
    let tokens: Vec<String> = pointer.split('/').skip(1).map(unescape).collect();
    remove_tokens(object, &tokens);
}

fn remove_tokens(value: &mut Value, tokens: &[String]) {
    let (Some((first, rest)), Some(fields)) = (tokens.split_first(), value.as_object_mut()) else {
        return;
    };
    if rest.is_empty() {
        fields.remove(first);
        return;
    }
    if let Some(child) = fields.get_mut(first) {
        remove_tokens(child, rest);
        if child.as_object().is_some_and(Map::is_empty) {
            fields.remove(first);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn lease(holder: &str) -> Value {
        json!({"apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "spec": {"holderIdentity": holder, "leaseDurationSeconds": 15}})
    }

    #[test]
    fn leaves_skip_server_fields_and_escape_keys() {
        let object = json!({
            "kind": "Ingress",
            "metadata": {"name": "web", "annotations": {"a/b~c": "x"}, "labels": {}},
            "spec": {"rules": [1]},
            "status": {"x": 1},
        });
        let pointers: Vec<String> = leaves(&object, Scope::AllButStatus)
            .into_iter()
            .map(|(p, _)| p)
            .collect();
        assert_eq!(
            pointers,
            ["/metadata/annotations/a~1b~0c", "/metadata/labels", "/spec/rules"]
        );
        let status: Vec<String> = leaves(&object, Scope::Status).into_iter().map(|(p, _)| p).collect();
        assert_eq!(status, ["/status/x"]);
    }

    #[test]
    fn an_apply_conflicts_with_another_managers_different_value_only() {
        let mut owners = Owners::new();
        let stored = apply(&json!({}), &mut owners, &lease("a"), "m-a", Scope::All);
        assert_eq!(stored["spec"]["holderIdentity"], "a");
        let theirs = conflicts(&stored, &owners, &lease("b"), "m-b", Scope::All);
        assert_eq!(theirs, [("/spec/holderIdentity".to_owned(), "m-a".to_owned())]);
        assert!(conflicts(&stored, &owners, &lease("a"), "m-b", Scope::All).is_empty());
        assert!(conflicts(&stored, &owners, &lease("c"), "m-a", Scope::All).is_empty());

        // Applying the same value shares the field; then m-b's change
        // conflicts with m-a, and m-a's with m-b.
        let shared = apply(&stored, &mut owners, &lease("a"), "m-b", Scope::All);
        assert_eq!(conflicts(&shared, &owners, &lease("b"), "m-b", Scope::All).len(), 1);
        assert_eq!(conflicts(&shared, &owners, &lease("c"), "m-a", Scope::All).len(), 1);
        // m-a giving the holder up leaves it to m-b: not removed.
        let duration_only = json!({"spec": {"leaseDurationSeconds": 15}});
        let given_up = apply(&shared, &mut owners, &duration_only, "m-a", Scope::All);
        assert_eq!(given_up["spec"]["holderIdentity"], "a");

        // A merge patch by m-c takes the holder over without conflict.
        let mut patched = given_up.clone();
        insert(&mut patched, "/spec/holderIdentity", json!("c"));
        update(&given_up, &patched, &mut owners, "m-c", Scope::All);
        let managers = |p: &str| owners.get(p).map(|m| m.iter().cloned().collect::<Vec<_>>());
        assert_eq!(managers("/spec/holderIdentity"), Some(vec!["m-c".to_owned()]));
        assert_eq!(
            managers("/spec/leaseDurationSeconds"),
            Some(vec!["m-a".to_owned(), "m-b".to_owned()])
        );
    }

    #[test]
    fn an_apply_removes_what_its_manager_no_longer_sets() {
        let mut owners = Owners::new();
        let full = json!({"status": {"loadBalancer": {"ingress": [{"ip": "192.0.2.1"}]}}});
        let stored = apply(&json!({"spec": {"x": 1}}), &mut owners, &full, "ctl", Scope::Status);
        assert_eq!(stored["status"], full["status"]);
        let cleared = apply(&stored, &mut owners, &json!({}), "ctl", Scope::Status);
        assert_eq!(cleared, json!({"spec": {"x": 1}}));
        assert!(owners.is_empty());
    }
}
