//! The object store: JSON objects keyed by resource, namespace and name;
//! one global `resourceVersion` counter; an event log per change, so a
//! watch resumes from any version newer than the compaction point; and
//! the snapshots behind paged lists.

use std::collections::{BTreeMap, VecDeque};

use serde_json::{Value, json};

use super::ownership::Owners;
use super::resource::{RESOURCES, Resource};
use super::timestamp;

/// How many paged-list snapshots are kept; an older `continue` token is
/// answered 410 Gone, as after the API server's compaction.
const KEPT_PAGES: usize = 32;

/// What happened to an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ChangeType {
    /// Created.
    Added,
    /// Replaced or patched.
    Modified,
    /// Deleted.
    Deleted,
}

impl ChangeType {
    /// The watch event `type`.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Added => "ADDED",
            Self::Modified => "MODIFIED",
            Self::Deleted => "DELETED",
        }
    }
}

/// One entry of the event log.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Change {
    /// The version the change made.
    pub(crate) rv: u64,
    /// The resource's index.
    pub(crate) index: usize,
    /// The object's namespace (empty when cluster-scoped).
    pub(crate) namespace: String,
    /// What happened.
    pub(crate) change: ChangeType,
    /// The object after the change (before it, for a deletion, with the
    /// deletion's version).
    pub(crate) object: Value,
}

/// A watch asked to resume from a version older than the compaction point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Expired {
    /// The oldest version a watch may resume from.
    pub(crate) oldest: u64,
}

type Key = (usize, String, String);

/// The store; held behind the server's mutex.
#[derive(Debug, Default)]
pub(crate) struct Store {
    rv: u64,
    objects: BTreeMap<Key, Value>,
    owners: BTreeMap<Key, Owners>,
    log: VecDeque<Change>,
    compacted: u64,
    pages: VecDeque<(u64, u64, Vec<Value>)>,
    next_page: u64,
    next_uid: u64,
}

impl Store {
    /// The newest `resourceVersion`.
    pub(crate) fn current(&self) -> u64 {
        self.rv
    }

    /// The oldest version a watch may resume from.
    pub(crate) fn compacted(&self) -> u64 {
        self.compacted
    }

    /// The stored object, if any.
    pub(crate) fn get(&self, index: usize, namespace: &str, name: &str) -> Option<&Value> {
        self.objects.get(&(index, namespace.to_owned(), name.to_owned()))
    }

    /// Every object of a resource, in one namespace or all, sorted by
    /// namespace and name.
    pub(crate) fn list(&self, index: usize, namespace: Option<&str>) -> Vec<Value> {
        self.objects
            .range((index, String::new(), String::new())..)
            .take_while(|((i, _, _), _)| *i == index)
            .filter(|((_, ns, _), _)| namespace.is_none_or(|want| want == ns))
            .map(|(_, object)| object.clone())
            .collect()
    }

    /// Stores `object` under its key, stamping `apiVersion`, `kind`,
    /// `metadata.{namespace,resourceVersion,uid,creationTimestamp,generation}`,
    /// and logs the change. The caller has checked preconditions.
    pub(crate) fn put(&mut self, index: usize, namespace: &str, name: &str, mut object: Value) -> (Value, ChangeType) {
        self.rv += 1;
        let key = (index, namespace.to_owned(), name.to_owned());
        let old = self.objects.get(&key);
        let change = if old.is_some() {
            ChangeType::Modified
        } else {
            ChangeType::Added
        };
        let keep = |field: &str| old.and_then(|o| o.pointer(&format!("/metadata/{field}"))).cloned();
        let uid = keep("uid").unwrap_or_else(|| {
            self.next_uid += 1;
            json!(format!("00000000-0000-4000-8000-{:012x}", self.next_uid))
        });
        let created = keep("creationTimestamp").unwrap_or_else(|| json!(timestamp::now()));
        let old_generation = keep("generation").and_then(|g| g.as_i64()).unwrap_or(0);
        let spec_changed = old.is_none_or(|o| o.get("spec") != object.get("spec"));
        let generation = old_generation.saturating_add(i64::from(spec_changed));
        let resource = resource_at(index);
        if let Some(fields) = object.as_object_mut() {
            if let Some(resource) = resource {
                fields.insert("apiVersion".into(), json!(resource.api_version()));
                fields.insert("kind".into(), json!(resource.kind));
            }
            let metadata = fields.entry("metadata").or_insert_with(|| json!({}));
            if !metadata.is_object() {
                *metadata = json!({});
            }
            if let Some(meta) = metadata.as_object_mut() {
                meta.insert("name".into(), json!(name));
                if namespace.is_empty() {
                    meta.remove("namespace");
                } else {
                    meta.insert("namespace".into(), json!(namespace));
                }
                meta.insert("resourceVersion".into(), json!(self.rv.to_string()));
                meta.insert("uid".into(), uid);
                meta.insert("creationTimestamp".into(), created);
                meta.insert("generation".into(), json!(generation.max(1)));
            }
        }
        self.objects.insert(key, object.clone());
        self.record(index, namespace, change, object.clone());
        (object, change)
    }

    /// The field managers of an object's fields (server-side apply).
    pub(crate) fn owners(&self, index: usize, namespace: &str, name: &str) -> Owners {
        self.owners
            .get(&(index, namespace.to_owned(), name.to_owned()))
            .cloned()
            .unwrap_or_default()
    }

    /// Replaces the field managers of an object's fields.
    pub(crate) fn set_owners(&mut self, index: usize, namespace: &str, name: &str, owners: Owners) {
        self.owners
            .insert((index, namespace.to_owned(), name.to_owned()), owners);
    }

    /// Removes an object, logging its deletion at a new version.
    pub(crate) fn remove(&mut self, index: usize, namespace: &str, name: &str) -> Option<Value> {
        let key = (index, namespace.to_owned(), name.to_owned());
        self.owners.remove(&key);
        let mut object = self.objects.remove(&key)?;
        self.rv += 1;
        if let Some(meta) = object.get_mut("metadata").and_then(Value::as_object_mut) {
            meta.insert("resourceVersion".into(), json!(self.rv.to_string()));
        }
        self.record(index, namespace, ChangeType::Deleted, object.clone());
        Some(object)
    }

    fn record(&mut self, index: usize, namespace: &str, change: ChangeType, object: Value) {
        self.log.push_back(Change {
            rv: self.rv,
            index,
            namespace: namespace.to_owned(),
            change,
            object,
        });
    }

    /// The logged changes of a resource (in one namespace or all) newer
    /// than `rv`, oldest first; [`Expired`] when `rv` is older than the
    /// compaction point.
    pub(crate) fn changes_after(&self, index: usize, namespace: Option<&str>, rv: u64) -> Result<Vec<Change>, Expired> {
        if rv < self.compacted {
            return Err(Expired { oldest: self.compacted });
        }
        Ok(self
            .log
            .iter()
            .filter(|c| c.rv > rv && c.index == index && namespace.is_none_or(|ns| ns == c.namespace))
            .cloned()
            .collect())
    }

    /// Forgets the log up to `rv` (at most the current version): a watch
    /// or list at an older version is answered 410 Gone.
    pub(crate) fn compact_before(&mut self, rv: u64) {
        self.compacted = self.compacted.max(rv.min(self.rv));
        let oldest = self.compacted;
        self.log.retain(|c| c.rv > oldest);
        self.pages.retain(|(_, page_rv, _)| *page_rv >= oldest);
    }

    /// Keeps the items of a paged list for its `continue` tokens; returns
    /// the snapshot's id.
    pub(crate) fn save_pages(&mut self, items: Vec<Value>) -> u64 {
        self.next_page += 1;
        if self.pages.len() >= KEPT_PAGES {
            self.pages.pop_front();
        }
        self.pages.push_back((self.next_page, self.rv, items));
        self.next_page
    }

    /// A saved snapshot's version and items.
    pub(crate) fn pages(&self, id: u64) -> Option<(u64, &[Value])> {
        self.pages
            .iter()
            .find(|(page, _, _)| *page == id)
            .map(|(_, rv, items)| (*rv, items.as_slice()))
    }
}

/// The resource at `index` of the resource table.
pub(crate) fn resource_at(index: usize) -> Option<Resource> {
    RESOURCES.get(index).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_write_bumps_one_global_version_and_is_logged() {
        let mut store = Store::default();
        let (a, change) = store.put(0, "shop", "a", json!({"spec": {"x": 1}}));
        assert_eq!(change, ChangeType::Added);
        assert_eq!(a["metadata"]["resourceVersion"], "1");
        assert_eq!(a["kind"], "Ingress");
        store.put(2, "shop", "svc", json!({}));
        let (a2, change) = store.put(0, "shop", "a", json!({"spec": {"x": 2}}));
        assert_eq!(change, ChangeType::Modified);
        assert_eq!(a2["metadata"]["uid"], a["metadata"]["uid"]);
        assert_eq!(a2["metadata"]["generation"], 2);
        let deleted = store.remove(0, "shop", "a").unwrap();
        assert_eq!(deleted["metadata"]["resourceVersion"], "4");
        assert!(store.remove(0, "shop", "a").is_none());

        let changes = store.changes_after(0, None, 1).unwrap();
        let seen: Vec<_> = changes.iter().map(|c| (c.rv, c.change)).collect();
        assert_eq!(seen, [(3, ChangeType::Modified), (4, ChangeType::Deleted)]);
        assert!(store.changes_after(0, Some("other"), 0).unwrap().is_empty());
    }

    #[test]
    fn compaction_expires_older_versions_and_their_pages() {
        let mut store = Store::default();
        for name in ["a", "b", "c"] {
            store.put(1, "", name, json!({}));
        }
        let page = store.save_pages(store.list(1, None));
        store.put(1, "", "d", json!({}));
        store.compact_before(4);
        assert_eq!(store.changes_after(1, None, 3), Err(Expired { oldest: 4 }));
        assert!(store.changes_after(1, None, 4).unwrap().is_empty());
        assert!(store.pages(page).is_none());
        assert_eq!(store.list(1, None).len(), 4);
        assert_eq!(store.list(0, None).len(), 0);
    }
}
