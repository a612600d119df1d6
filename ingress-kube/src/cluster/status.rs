//! Ingress status: which Ingresses need `status.loadBalancer.ingress`
//! written (a pure plan over the Ingress store), and the writes
//! themselves, server-side applies of the status subresource.
//!
//! - A served Ingress (ours by O1-O3 and not rejected, V8) gets the
//!   published addresses, written only when the stored list (sorted)
//!   differs; a write the store has not echoed yet is not repeated.
//! - An Ingress we wrote that is no longer served (its class changed, or
//!   it was rejected) gets an apply without `status`: server-side apply
//!   then removes the list our field manager owned, and nothing else.
//! - Every other Ingress is never written.

use std::collections::{BTreeSet, HashMap};

use ingress_core::objects::ObjectKey;
use k8s_openapi::api::networking::v1::Ingress;
use kube::api::{Api, Patch, PatchParams};
use kube::{Client, ResourceExt as _};
use serde_json::json;

use super::address::StatusAddress;
use super::outcome::Outcome;

/// A `status.loadBalancer.ingress` list, as compared: (ip, hostname)
/// pairs, sorted.
pub(crate) type Entries = Vec<(Option<String>, Option<String>)>;

/// The published addresses as compared.
pub(crate) fn entries_of(addresses: &[StatusAddress]) -> Entries {
    let mut entries: Entries = addresses
        .iter()
        .map(|address| {
            let entry = address.to_entry();
            (entry.ip, entry.hostname)
        })
        .collect();
    entries.sort();
    entries.dedup();
    entries
}

/// The list an Ingress has now.
fn current(ingress: &Ingress) -> Entries {
    let list = ingress
        .status
        .as_ref()
        .and_then(|status| status.load_balancer.as_ref())
        .and_then(|balancer| balancer.ingress.as_ref());
    let mut entries: Entries = list
        .into_iter()
        .flatten()
        .map(|entry| (entry.ip.clone(), entry.hostname.clone()))
        .collect();
    entries.sort();
    entries
}

/// One write to make: `entries` for the Ingress (empty: give up ours).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Write {
    pub(crate) key: ObjectKey,
    pub(crate) entries: Entries,
    /// The Ingress's resourceVersion when planned.
    pub(crate) version: Option<String>,
}

/// What the writer remembers between passes.
#[derive(Debug, Default)]
pub(crate) struct Written {
    /// The list last applied to each Ingress, and its resourceVersion in
    /// the store then: until the store moves past it, the write is in
    /// flight and not made again.
    applied: HashMap<ObjectKey, (Entries, Option<String>)>,
}

impl Written {
    /// The writes that make every Ingress in `ingresses` agree with
    /// `outcome` and `addresses`.
    pub(crate) fn plan<'a>(
        &mut self,
        ingresses: impl IntoIterator<Item = &'a Ingress>,
        outcome: &Outcome,
        addresses: &Entries,
    ) -> Vec<Write> {
        let mut writes = Vec::new();
        let mut present = BTreeSet::new();
        for ingress in ingresses {
            let key = ObjectKey::new(ingress.namespace().as_deref().unwrap_or("default"), &ingress.name_any());
            present.insert(key.clone());
            let now = current(ingress);
            let version = ingress.resource_version();
            let served = outcome.serves(&key);
            let want = if served { addresses.clone() } else { Entries::new() };
            let in_flight = self
                .applied
                .get(&key)
                .is_some_and(|(entries, at)| *entries == want && *at == version);
            if in_flight || now == want {
                continue;
            }
            // An empty list is written only to give up one we wrote.
            let ours_to_clear = self.applied.get(&key).is_some_and(|(entries, _)| !entries.is_empty())
                || (!now.is_empty() && now == *addresses);
            if !want.is_empty() || ours_to_clear {
                writes.push(Write {
                    key,
                    entries: want,
                    version,
                });
            }
        }
        self.applied.retain(|key, _| present.contains(key));
        writes
    }

    /// Records a write the API server took.
    pub(crate) fn done(&mut self, write: Write) {
        self.applied.insert(write.key, (write.entries, write.version));
    }
}

/// Applies `write` to the status subresource as `manager`, forced (our
/// manager takes the list over from whoever wrote it before).
pub(crate) async fn apply(client: &Client, manager: &str, write: &Write) -> Result<(), kube::Error> {
    let api: Api<Ingress> = Api::namespaced(client.clone(), write.key.namespace());
    let mut body = serde_json::Map::new();
    body.insert("apiVersion".into(), json!("networking.k8s.io/v1"));
    body.insert("kind".into(), json!("Ingress"));
    if !write.entries.is_empty() {
        let list: Vec<_> = write
            .entries
            .iter()
            .map(|(ip, hostname)| match (ip, hostname) {
                (Some(ip), _) => json!({"ip": ip}),
                (None, hostname) => json!({"hostname": hostname}),
            })
            .collect();
        body.insert("status".into(), json!({"loadBalancer": {"ingress": list}}));
    }
    let params = PatchParams::apply(manager).force();
    api.patch_status(write.key.name(), &params, &Patch::Apply(&body))
        .await
        .map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ingress(name: &str, version: &str, ips: &[&str]) -> Ingress {
        let list: Vec<_> = ips.iter().map(|ip| json!({"ip": ip})).collect();
        serde_json::from_value(json!({
            "metadata": {"name": name, "namespace": "default", "resourceVersion": version},
            "status": {"loadBalancer": {"ingress": list}},
        }))
        .unwrap_or_default()
    }

    fn outcome(served: &[&str]) -> Outcome {
        let keys: BTreeSet<ObjectKey> = served.iter().map(|name| ObjectKey::new("default", name)).collect();
        Outcome {
            ours: keys,
            ..Outcome::default()
        }
    }

    fn addresses(ips: &[&str]) -> Entries {
        let parsed: Vec<StatusAddress> = ips.iter().filter_map(|ip| ip.parse().ok()).collect();
        entries_of(&parsed)
    }

    fn names(writes: &[Write]) -> Vec<(&str, usize)> {
        writes.iter().map(|w| (w.key.name(), w.entries.len())).collect()
    }

    #[test]
    fn served_ingresses_get_the_addresses_once_and_equal_lists_are_left_alone() {
        let mut written = Written::default();
        let ours = addresses(&["203.0.113.7", "198.51.100.1"]);
        let stored = [
            ingress("web", "1", &[]),
            ingress("done", "1", &["198.51.100.1", "203.0.113.7"]),
        ];
        let writes = written.plan(&stored, &outcome(&["web", "done"]), &ours);
        assert_eq!(names(&writes), [("web", 2)]);
        for write in writes {
            written.done(write);
        }
        // The store has not seen the write yet: it is not made again.
        assert!(written.plan(&stored, &outcome(&["web", "done"]), &ours).is_empty());
        // Someone else changed it since: it is written again.
        let overwritten = [ingress("web", "5", &["192.0.2.1"])];
        assert_eq!(
            names(&written.plan(&overwritten, &outcome(&["web"]), &ours)),
            [("web", 2)]
        );
    }

    #[test]
    fn o3_other_controllers_ingresses_are_never_written() {
        let mut written = Written::default();
        let ours = addresses(&["203.0.113.7"]);
        let stored = [ingress("theirs", "1", &["192.0.2.1"]), ingress("bare", "1", &[])];
        assert!(written.plan(&stored, &outcome(&[]), &ours).is_empty());
    }

    #[test]
    fn an_ingress_that_leaves_our_class_has_our_list_removed_once() {
        let mut written = Written::default();
        let ours = addresses(&["203.0.113.7"]);
        for write in written.plan(&[ingress("web", "1", &[])], &outcome(&["web"]), &ours) {
            written.done(write);
        }
        let moved = [ingress("web", "2", &["203.0.113.7"])];
        let writes = written.plan(&moved, &outcome(&[]), &ours);
        assert_eq!(names(&writes), [("web", 0)]);
        for write in writes {
            written.done(write);
        }
        let cleared = [ingress("web", "3", &[])];
        assert!(written.plan(&cleared, &outcome(&[]), &ours).is_empty());
    }
}
