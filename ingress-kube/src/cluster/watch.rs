//! One kind's watcher: list and watch through kube's watcher (with its
//! default backoff, capped at 30 s), decode each object on its own (an
//! object that does not decode is reported and skipped, never fatal),
//! strip it, store it in the kind's reflector store, and tell the source
//! what happened.

use std::fmt::Debug;
use std::pin::pin;

use futures_util::StreamExt as _;
use kube::api::{Api, DynamicObject};
use kube::runtime::reflector::store::Writer;
use kube::runtime::watcher::{self, Event};
use kube::runtime::{WatchStreamExt as _, watcher as watch_stream};
use kube::{Resource, ResourceExt as _};
use serde::de::DeserializeOwned;
use tokio::sync::mpsc::UnboundedSender;

use super::strip::Strip;
use crate::feed::Kind;

/// What a watcher tells the source.
#[derive(Debug)]
pub(crate) struct Signal {
    pub(crate) kind: Kind,
    pub(crate) what: What,
}

#[derive(Debug)]
pub(crate) enum What {
    /// An object was added, changed or deleted; the store has it. With the
    /// newest resourceVersion seen.
    Changed(Option<String>),
    /// A complete list was swapped into the store.
    Listed(Option<String>),
    /// The watch or list failed; kube retries after its backoff.
    Failed(String),
    /// An object did not decode and was skipped: which, and why.
    Undecodable { object: String, error: String },
}

/// Whether resourceVersion `new` is newer than `old` (numeric where both
/// are, as every API server writes them; else the later one seen).
fn newer(old: Option<&str>, new: &str) -> bool {
    match (old.map(str::parse::<u64>), new.parse::<u64>()) {
        (Some(Ok(old)), Ok(new)) => new > old,
        _ => true,
    }
}

/// `object` as a `K`: its metadata moved over as decoded, the rest
/// decoded from the JSON tree the object holds, moved rather than copied.
/// (`DynamicObject::try_parse` first writes the whole object, metadata
/// with its `managedFields` and last-applied copy included, into a second
/// tree: twice the allocations for each object listed, all dropped again
/// once it is stripped, which leaves the allocator's pages fragmented.)
/// Like `try_parse`, refuses an object of another kind.
fn parse<K>(object: DynamicObject) -> Result<K, String>
where
    K: Resource<DynamicType = ()> + DeserializeOwned,
{
    if let Some(types) = &object.types {
        let (api_version, kind) = (K::api_version(&()), K::kind(&()));
        if types.api_version != api_version || types.kind != kind {
            return Err(format!(
                "expected a {api_version} {kind}, got a {} {}",
                types.api_version, types.kind
            ));
        }
    }
    let mut parsed: K = serde_json::from_value(object.data).map_err(|error| error.to_string())?;
    *parsed.meta_mut() = object.metadata;
    Ok(parsed)
}

/// Decodes one event's object as `K`; `None` (after reporting it) when
/// it does not decode. A deletion needs only the object's name.
fn decode<K>(event: Event<DynamicObject>, kind: Kind, signals: &UnboundedSender<Signal>) -> Option<Event<K>>
where
    K: Resource<DynamicType = ()> + Default + DeserializeOwned,
{
    let parse = |object: DynamicObject| {
        let name = format!(
            "{}/{}",
            object.metadata.namespace.as_deref().unwrap_or(""),
            object.metadata.name.as_deref().unwrap_or("")
        );
        match parse::<K>(object) {
            Ok(object) => Some(object),
            Err(error) => {
                let what = What::Undecodable { object: name, error };
                let _ = signals.send(Signal { kind, what });
                None
            }
        }
    };
    match event {
        Event::Apply(object) => parse(object).map(Event::Apply),
        Event::InitApply(object) => parse(object).map(Event::InitApply),
        Event::Delete(object) => {
            let mut deleted = K::default();
            *deleted.meta_mut() = object.metadata;
            Some(Event::Delete(deleted))
        }
        Event::Init => Some(Event::Init),
        Event::InitDone => Some(Event::InitDone),
    }
}

/// Watches `api` for ever (until the source stops listening), keeping
/// `writer`'s store and signalling each change, list and failure.
pub(crate) async fn watch<K>(
    api: Api<DynamicObject>,
    config: watcher::Config,
    writer: Writer<K>,
    kind: Kind,
    signals: UnboundedSender<Signal>,
) where
    K: Resource<DynamicType = ()> + Strip + Default + Clone + DeserializeOwned + Debug + Send + Sync + 'static,
{
    let decoding = signals.clone();
    let events = watch_stream(api, config)
        .default_backoff()
        .filter_map(move |event| {
            let event = match event {
                Ok(event) => decode::<K>(event, kind, &decoding).map(Ok),
                Err(error) => Some(Err(error)),
            };
            std::future::ready(event)
        })
        .modify(K::strip)
        .reflect(writer);
    let mut events = pin!(events);
    let mut version: Option<String> = None;
    while let Some(event) = events.next().await {
        let what = match event {
            Ok(Event::Apply(object) | Event::Delete(object)) => {
                if let Some(seen) = object.resource_version()
                    && newer(version.as_deref(), &seen)
                {
                    version = Some(seen);
                }
                What::Changed(version.clone())
            }
            Ok(Event::InitApply(object)) => {
                if let Some(seen) = object.resource_version()
                    && newer(version.as_deref(), &seen)
                {
                    version = Some(seen);
                }
                continue;
            }
            Ok(Event::Init) => continue,
            Ok(Event::InitDone) => What::Listed(version.clone()),
            Err(error) => What::Failed(error.to_string()),
        };
        if signals.send(Signal { kind, what }).is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use k8s_openapi::api::discovery::v1::EndpointSlice;
    use k8s_openapi::api::networking::v1::Ingress;
    use serde_json::json;

    use super::*;

    fn ingress_json() -> serde_json::Value {
        json!({
            "apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": { "name": "web", "namespace": "shop", "resourceVersion": "7",
                "annotations": { "kubernetes.io/ingress.class": "gateway" },
                "managedFields": [{ "manager": "kubectl" }] },
            "spec": { "ingressClassName": "gateway", "rules": [{ "host": "a.example", "http": { "paths": [
                { "path": "/", "pathType": "Prefix",
                  "backend": { "service": { "name": "api", "port": { "number": 80 } } } }] } }] },
            "status": { "loadBalancer": { "ingress": [{ "ip": "192.0.2.1" }] } },
        })
    }

    #[test]
    fn a_parsed_object_equals_the_object_decoded_directly() {
        let dynamic: DynamicObject = serde_json::from_value(ingress_json()).unwrap();
        let direct: Ingress = serde_json::from_value(ingress_json()).unwrap();
        assert_eq!(parse::<Ingress>(dynamic), Ok(direct));
    }

    #[test]
    fn an_object_without_type_fields_parses() {
        let mut text = ingress_json();
        if let Some(map) = text.as_object_mut() {
            map.remove("apiVersion");
            map.remove("kind");
        }
        let dynamic: DynamicObject = serde_json::from_value(text.clone()).unwrap();
        let direct: Ingress = serde_json::from_value(text).unwrap();
        assert_eq!(parse::<Ingress>(dynamic), Ok(direct));
    }

    #[test]
    fn an_object_of_another_kind_is_refused() {
        let dynamic: DynamicObject = serde_json::from_value(ingress_json()).unwrap();
        let error = parse::<EndpointSlice>(dynamic).unwrap_err();
        assert!(error.contains("discovery.k8s.io/v1 EndpointSlice"), "{error}");
        assert!(error.contains("networking.k8s.io/v1 Ingress"), "{error}");
    }

    #[test]
    fn a_field_of_the_wrong_type_is_an_error_not_a_panic() {
        let mut text = ingress_json();
        text["spec"]["rules"] = json!("not a list");
        let dynamic: DynamicObject = serde_json::from_value(text).unwrap();
        assert!(parse::<Ingress>(dynamic).is_err());
    }
}
