//! Writes: the in-process control methods (`apply`, `delete`) and the
//! HTTP verbs clients use: GET of one object, POST (create), PUT
//! (replace, with the `resourceVersion` conflict check), PATCH (merge and
//! server-side apply, on the object or its `status`) and DELETE.
//!
//! Server-side apply keeps simplified field ownership (see
//! [`ownership`](super::ownership)): an apply that changes another
//! manager's field gets 409 unless forced, and one that stops setting a
//! field removes it.

use http::Response;
use serde_json::{Value, json};

use super::error::WriteError;
use super::ownership::{self, Owners, Scope};
use super::patch;
use super::query::Query;
use super::reply::{self, Body};
use super::resource::Resource;
use super::route::Route;
use super::shared::Shared;
use super::view::View;

/// Create-or-replace, whatever is stored; the object names its resource
/// by `apiVersion` and `kind`, and a namespaced object without a
/// namespace goes to `default`.
pub(crate) fn apply(shared: &Shared, object: Value) -> Result<Value, WriteError> {
    let (index, resource) = kind_of(&object)?;
    let name = text(&object, "/metadata/name").ok_or_else(|| WriteError::Invalid("metadata.name is missing".into()))?;
    let namespace = if resource.namespaced {
        text(&object, "/metadata/namespace").unwrap_or_else(|| "default".into())
    } else {
        String::new()
    };
    Ok(shared.write(|store| {
        store.set_owners(index, &namespace, &name, Owners::new());
        store.put(index, &namespace, &name, object).0
    }))
}

/// Deletes an object named by `apiVersion`, `kind`, namespace and name.
pub(crate) fn delete(
    shared: &Shared,
    api_version: &str,
    kind: &str,
    namespace: Option<&str>,
    name: &str,
) -> Result<Value, WriteError> {
    let (index, resource) = Resource::by_kind(api_version, kind).ok_or_else(|| WriteError::UnknownKind {
        api_version: api_version.to_owned(),
        kind: kind.to_owned(),
    })?;
    let namespace = if resource.namespaced {
        namespace.unwrap_or("default")
    } else {
        ""
    };
    shared
        .write(|store| store.remove(index, namespace, name))
        .ok_or_else(|| WriteError::NotFound { name: name.to_owned() })
}

/// `GET` of one object.
pub(crate) fn get(shared: &Shared, route: &Route, name: &str, view: View) -> Response<Body> {
    let namespace = route.namespace.as_deref().unwrap_or_default();
    match shared.store().get(route.index, namespace, name) {
        Some(object) => reply::json(200, &view.show(object)),
        None => error(&not_found(name)),
    }
}

/// `POST` to a collection: creates, or 409 `AlreadyExists`.
pub(crate) fn create(shared: &Shared, route: &Route, query: &Query, body: &[u8]) -> Response<Body> {
    let result = read_json(body).and_then(|mut object| {
        let name = match text(&object, "/metadata/name") {
            Some(name) => name,
            None => {
                let prefix = text(&object, "/metadata/generateName")
                    .ok_or_else(|| WriteError::Invalid("metadata.name or generateName is required".into()))?;
                format!("{prefix}{:05x}", shared.store().current() + 1)
            }
        };
        if route.resource.has_status
            && let Some(fields) = object.as_object_mut()
        {
            fields.remove("status");
        }
        let namespace = route.namespace.as_deref().unwrap_or_default();
        shared.write(|store| {
            if store.get(route.index, namespace, &name).is_some() {
                return Err(WriteError::AlreadyExists { name: name.clone() });
            }
            let mut owners = Owners::new();
            ownership::update(&json!({}), &object, &mut owners, manager(query), scope(route));
            store.set_owners(route.index, namespace, &name, owners);
            Ok(store.put(route.index, namespace, &name, object).0)
        })
    });
    match result {
        Ok(object) => reply::json(201, &object),
        Err(e) => error(&e),
    }
}

/// `PUT` of an object or its `status`: 409 `Conflict` when the body's
/// `metadata.resourceVersion` is not the stored one.
pub(crate) fn replace(shared: &Shared, route: &Route, name: &str, query: &Query, body: &[u8]) -> Response<Body> {
    let result = read_json(body).and_then(|object| {
        if text(&object, "/metadata/name").is_some_and(|n| n != name) {
            return Err(WriteError::Invalid("metadata.name does not match the path".into()));
        }
        update(shared, route, name, manager(query), |stored, _| {
            check_version(name, stored, &object)?;
            Ok(object.clone())
        })
    });
    match result {
        Ok(object) => reply::json(200, &object),
        Err(e) => error(&e),
    }
}

/// `PATCH` of an object or its `status`: merge patches
/// (`application/merge-patch+json`, and `strategic-merge-patch+json` read
/// as one) and server-side apply (`application/apply-patch+yaml`, which
/// needs `fieldManager`). JSON patches are answered 415.
pub(crate) fn patch(
    shared: &Shared,
    route: &Route,
    name: &str,
    content_type: &str,
    query: &Query,
    body: &[u8],
) -> Response<Body> {
    let media = content_type.split(';').next().unwrap_or_default().trim();
    let apply = match media {
        "application/merge-patch+json" | "application/strategic-merge-patch+json" => false,
        "application/apply-patch+yaml" => true,
        other => {
            return reply::status(
                415,
                "UnsupportedMediaType",
                &format!("the fake does not take {other:?} patches"),
            );
        }
    };
    if apply && query.get("fieldManager").is_none_or(str::is_empty) {
        return reply::status(422, "Invalid", "fieldManager is required for apply patches");
    }
    let changes = if apply { read_yaml(body) } else { read_json(body) };
    let namespace = route.namespace.as_deref().unwrap_or_default();
    let manager = manager(query);
    let force = query.flag("force");
    let scope = scope(route);
    let result = changes.and_then(|changes| {
        if apply && !route.status {
            // Server-side apply creates what is missing.
            let created = shared.write(|store| {
                if store.get(route.index, namespace, name).is_some() {
                    return None;
                }
                let mut owners = Owners::new();
                let object = ownership::apply(&json!({}), &mut owners, &changes, manager, scope);
                store.set_owners(route.index, namespace, name, owners);
                Some(store.put(route.index, namespace, name, object).0)
            });
            if let Some(object) = created {
                return Ok(object);
            }
        }
        update(shared, route, name, manager, |stored, owners| {
            check_version(name, stored, &changes)?;
            if !apply {
                let mut object = stored.clone();
                patch::merge(&mut object, &changes);
                return Ok(object);
            }
            let fields = ownership::conflicts(stored, owners, &changes, manager, scope);
            if !force && !fields.is_empty() {
                return Err(WriteError::FieldConflict {
                    name: name.to_owned(),
                    fields,
                });
            }
            Ok(ownership::apply(stored, owners, &changes, manager, scope))
        })
    });
    match result {
        Ok(object) => reply::json(200, &object),
        Err(e) => error(&e),
    }
}

/// `DELETE` of an object: answers the deleted object.
pub(crate) fn remove(shared: &Shared, route: &Route, name: &str) -> Response<Body> {
    let namespace = route.namespace.as_deref().unwrap_or_default();
    match shared.write(|store| store.remove(route.index, namespace, name)) {
        Some(object) => reply::json(200, &object),
        None => error(&not_found(name)),
    }
}

/// Replaces a stored object with `change(stored, owners)`, keeping what
/// the route may not touch (only `status` on `/status`, everything but
/// `status` on the object of a resource with a status subresource), and
/// gives `manager` the fields that changed.
fn update(
    shared: &Shared,
    route: &Route,
    name: &str,
    manager: &str,
    change: impl FnOnce(&Value, &mut Owners) -> Result<Value, WriteError>,
) -> Result<Value, WriteError> {
    let namespace = route.namespace.as_deref().unwrap_or_default();
    shared.write(|store| {
        let stored = store
            .get(route.index, namespace, name)
            .ok_or_else(|| not_found(name))?
            .clone();
        let mut owners = store.owners(route.index, namespace, name);
        let changed = change(&stored, &mut owners)?;
        let object = if route.status {
            let mut object = stored.clone();
            set_status(&mut object, changed.get("status").cloned());
            object
        } else if route.resource.has_status {
            let mut object = changed;
            set_status(&mut object, stored.get("status").cloned());
            object
        } else {
            changed
        };
        ownership::update(&stored, &object, &mut owners, manager, scope(route));
        store.set_owners(route.index, namespace, name, owners);
        Ok(store.put(route.index, namespace, name, object).0)
    })
}

/// The part of an object a write to `route` may touch.
fn scope(route: &Route) -> Scope {
    if route.status {
        Scope::Status
    } else if route.resource.has_status {
        Scope::AllButStatus
    } else {
        Scope::All
    }
}

/// The write's field manager: `fieldManager`, or `unknown`.
fn manager(query: &Query) -> &str {
    query.get("fieldManager").filter(|m| !m.is_empty()).unwrap_or("unknown")
}

fn set_status(object: &mut Value, status: Option<Value>) {
    if let Some(fields) = object.as_object_mut() {
        match status {
            Some(status) => fields.insert("status".into(), status),
            None => fields.remove("status"),
        };
    }
}

/// 409 when `incoming` names a `resourceVersion` other than the stored one.
fn check_version(name: &str, stored: &Value, incoming: &Value) -> Result<(), WriteError> {
    let expected = text(incoming, "/metadata/resourceVersion").filter(|v| !v.is_empty());
    let current = text(stored, "/metadata/resourceVersion").unwrap_or_default();
    match expected {
        Some(expected) if expected != current => Err(WriteError::Conflict {
            name: name.to_owned(),
            expected,
            stored: current,
        }),
        _ => Ok(()),
    }
}

fn kind_of(object: &Value) -> Result<(usize, Resource), WriteError> {
    let api_version = text(object, "/apiVersion").unwrap_or_default();
    let kind = text(object, "/kind").unwrap_or_default();
    Resource::by_kind(&api_version, &kind).ok_or(WriteError::UnknownKind { api_version, kind })
}

fn text(object: &Value, pointer: &str) -> Option<String> {
    object.pointer(pointer).and_then(Value::as_str).map(str::to_owned)
}

fn not_found(name: &str) -> WriteError {
    WriteError::NotFound { name: name.to_owned() }
}

fn read_json(body: &[u8]) -> Result<Value, WriteError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(object @ Value::Object(_)) => Ok(object),
        Ok(_) => Err(WriteError::Invalid("the body is not an object".into())),
        Err(e) => Err(WriteError::Invalid(format!("the body is not JSON: {e}"))),
    }
}

/// An apply patch: JSON (what kube sends) or YAML.
fn read_yaml(body: &[u8]) -> Result<Value, WriteError> {
    read_json(body).or_else(|_| {
        let text = std::str::from_utf8(body).map_err(|e| WriteError::Invalid(e.to_string()))?;
        match serde_saphyr::from_str::<Value>(text) {
            Ok(object @ Value::Object(_)) => Ok(object),
            Ok(_) => Err(WriteError::Invalid("the body is not an object".into())),
            Err(e) => Err(WriteError::Invalid(format!("the body is not YAML: {e}"))),
        }
    })
}

/// A refused write as the API server's `Status`.
pub(crate) fn error(error: &WriteError) -> Response<Body> {
    let (code, reason) = error.status();
    reply::status(code, reason, &error.to_string())
}
