//! The cluster source against the fake API server: the initial sync gate,
//! changes of every kind, stripping and undecodable objects.
#![cfg(feature = "cluster")]

mod cluster;

use std::time::Duration;

use cluster::{Harness, addresses, answer, class, ingress, service, slice, web};
use ingress_kube::cluster::LAST_APPLIED;
use ingress_kube::feed::Kind;
use ingress_test_support::apiserver::FakeApiServer;
use kube::runtime::reflector::ObjectRef;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_is_published_until_every_kind_is_listed_even_when_a_list_fails() {
    let fake = FakeApiServer::start().await.expect("fake");
    for object in web() {
        fake.apply(object).expect("applied");
    }
    fake.fail_lists(Some(500));
    let harness = Harness::on(fake, None);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(harness.seen().is_empty(), "published from a half-listed source");
    assert!(!harness.status.is_ready());

    harness.fake.fail_lists(None);
    let seen = harness.until("the first tables", |seen| seen.first).await;
    assert_eq!(answer(&seen.routes, "web.example", "/"), "default/web:80");
    assert_eq!(addresses(&seen.endpoints, "web"), ["10.0.0.1:8080"]);
    assert!(harness.status.is_ready());
    assert_eq!(harness.seen().len(), 1, "one first publish");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn adding_changing_and_deleting_ingresses_and_classes_changes_the_routes() {
    let harness = Harness::start(web()).await;
    harness.until("the first tables", |seen| seen.first).await;

    harness
        .fake
        .apply(ingress("shop", "shop.example", "web"))
        .expect("added");
    harness
        .until("shop routed", |seen| {
            answer(&seen.routes, "shop.example", "/") == "default/web:80"
        })
        .await;

    harness
        .fake
        .apply(ingress("shop", "shop.example", "other"))
        .expect("changed");
    harness
        .until("shop re-routed", |seen| {
            answer(&seen.routes, "shop.example", "/") == "default/other:80"
        })
        .await;

    harness
        .fake
        .delete("networking.k8s.io/v1", "Ingress", Some("default"), "shop")
        .expect("deleted");
    harness
        .until("shop gone", |seen| answer(&seen.routes, "shop.example", "/") == "404")
        .await;

    // Without our default class, the Ingress that names none is not ours.
    harness
        .fake
        .delete("networking.k8s.io/v1", "IngressClass", None, "gateway")
        .expect("deleted");
    harness
        .until("web gone with its class", |seen| {
            answer(&seen.routes, "web.example", "/") == "404"
        })
        .await;
    harness.fake.apply(class()).expect("added");
    harness
        .until("web back with its class", |seen| {
            answer(&seen.routes, "web.example", "/") == "default/web:80"
        })
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn b2_an_endpoint_slice_change_publishes_endpoints_and_not_routes() {
    let harness = Harness::start(web()).await;
    harness.until("the first tables", |seen| seen.first).await;
    let before = harness.seen().len();

    harness
        .fake
        .apply(slice("web", &["10.0.0.1", "10.0.0.2"]))
        .expect("changed");
    let seen = harness
        .until("two endpoints", |seen| addresses(&seen.endpoints, "web").len() == 2)
        .await;
    assert!(seen.endpoints_changed);
    assert!(!seen.routes_changed, "an endpoint change rebuilt the routes");
    assert!(harness.seen().len() > before);

    harness
        .fake
        .delete("discovery.k8s.io/v1", "EndpointSlice", Some("default"), "web-1")
        .expect("deleted");
    let seen = harness
        .until("no endpoints", |seen| addresses(&seen.endpoints, "web").is_empty())
        .await;
    assert!(!seen.routes_changed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn adding_changing_and_deleting_services_changes_the_endpoints() {
    let harness = Harness::start(vec![
        class(),
        ingress("web", "web.example", "web"),
        slice("web", &["10.0.0.1"]),
    ])
    .await;
    let seen = harness.until("the first tables", |seen| seen.first).await;
    assert!(addresses(&seen.endpoints, "web").is_empty(), "no Service, no endpoints");

    harness.fake.apply(service("web")).expect("added");
    harness
        .until("endpoints through the Service", |seen| {
            addresses(&seen.endpoints, "web") == ["10.0.0.1:8080"]
        })
        .await;

    let mut changed = service("web");
    changed["spec"]["ports"][0]["port"] = json!(81);
    harness.fake.apply(changed).expect("changed");
    harness
        .until("port 80 no longer served", |seen| {
            addresses(&seen.endpoints, "web").is_empty()
        })
        .await;

    harness.fake.apply(service("web")).expect("changed back");
    harness
        .until("endpoints again", |seen| !addresses(&seen.endpoints, "web").is_empty())
        .await;
    harness
        .fake
        .delete("v1", "Service", Some("default"), "web")
        .expect("deleted");
    let seen = harness
        .until("no Service, no endpoints", |seen| {
            addresses(&seen.endpoints, "web").is_empty()
        })
        .await;
    assert!(!seen.routes_changed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn managed_fields_and_the_last_applied_annotation_are_not_stored() {
    let mut objects = web();
    for object in &mut objects {
        object["metadata"]["managedFields"] = json!([{"manager": "kubectl", "operation": "Apply"}]);
        object["metadata"]["annotations"][LAST_APPLIED] = json!("{\"big\": \"copy\"}");
    }
    if let Some(ingress) = objects.get_mut(1) {
        // Another controller's option (dropped) and the legacy class
        // annotation (O1: kept).
        ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/proxy-body-size"] = json!("8m");
        ingress["metadata"]["annotations"]["kubernetes.io/ingress.class"] = json!("gateway");
    }
    let harness = Harness::start(objects).await;
    harness.until("the first tables", |seen| seen.first).await;

    let ingress = harness
        .stores
        .ingresses()
        .get(&ObjectRef::new("web").within("default"))
        .expect("stored");
    assert!(ingress.metadata.managed_fields.is_none());
    let annotations = ingress.metadata.annotations.clone().unwrap_or_default();
    assert!(!annotations.contains_key(LAST_APPLIED));
    assert!(!annotations.contains_key("nginx.ingress.kubernetes.io/proxy-body-size"));
    assert_eq!(
        annotations.get("kubernetes.io/ingress.class").map(String::as_str),
        Some("gateway")
    );
    let stored = [
        harness
            .stores
            .classes()
            .state()
            .iter()
            .map(|o| o.metadata.clone())
            .collect::<Vec<_>>(),
        harness
            .stores
            .services()
            .state()
            .iter()
            .map(|o| o.metadata.clone())
            .collect(),
        harness
            .stores
            .endpoint_slices()
            .state()
            .iter()
            .map(|o| o.metadata.clone())
            .collect(),
    ];
    for meta in stored.iter().flatten() {
        assert!(meta.managed_fields.is_none(), "{:?}", meta.name);
        assert!(
            !meta.annotations.clone().unwrap_or_default().contains_key(LAST_APPLIED),
            "{:?}",
            meta.name
        );
    }
    assert_eq!(stored.iter().flatten().count(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_undecodable_object_is_skipped_and_reported() {
    let mut objects = web();
    objects.push(json!({
        "apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
        "metadata": {"name": "broken", "namespace": "default"},
        "spec": {"rules": "not a list"},
    }));
    let harness = Harness::start(objects).await;
    let seen = harness.until("the first tables", |seen| seen.first).await;
    assert_eq!(answer(&seen.routes, "web.example", "/"), "default/web:80");
    assert_eq!(harness.status.record().decode_errors, 1);
    assert_eq!(harness.stores.ingresses().state().len(), 1);

    // A broken edit later is skipped as well; the source keeps going.
    let mut broken = ingress("web", "web.example", "web");
    broken["spec"]["rules"] = json!(7);
    harness.fake.apply(broken).expect("applied");
    harness
        .until_true("the edit reported", |h| h.status.record().decode_errors == 2)
        .await;
    harness
        .fake
        .apply(ingress("shop", "shop.example", "web"))
        .expect("added");
    let seen = harness
        .until("shop routed", |seen| {
            answer(&seen.routes, "shop.example", "/") == "default/web:80"
        })
        .await;
    assert_eq!(answer(&seen.routes, "web.example", "/"), "default/web:80");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_namespace_watches_only_its_objects() {
    let fake = FakeApiServer::start().await.expect("fake");
    for object in web() {
        fake.apply(object).expect("applied");
    }
    let mut elsewhere = ingress("other", "other.example", "web");
    elsewhere["metadata"]["namespace"] = json!("elsewhere");
    fake.apply(elsewhere).expect("applied");
    let harness = Harness::on(fake, Some("default"));
    let seen = harness.until("the first tables", |seen| seen.first).await;
    assert_eq!(answer(&seen.routes, "web.example", "/"), "default/web:80");
    assert_eq!(answer(&seen.routes, "other.example", "/"), "404");
    assert_eq!(harness.status.record().objects.get(&Kind::Ingress), Some(&1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v8_an_invalid_edit_of_a_served_ingress_keeps_its_last_valid_version() {
    let harness = Harness::start(web()).await;
    harness.until("the first tables", |seen| seen.first).await;

    let mut invalid = ingress("web", "web.example", "other");
    invalid["spec"]["rules"][0]["http"]["paths"][0]["path"] = json!("no-leading-slash");
    harness.fake.apply(invalid).expect("applied");
    let seen = harness
        .until("the edit rejected", |seen| {
            seen.routes.report().rejections().count() == 1
        })
        .await;
    assert_eq!(answer(&seen.routes, "web.example", "/"), "default/web:80");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_changes_is_coalesced_into_few_rebuilds() {
    let harness = Harness::start(web()).await;
    harness.until("the first tables", |seen| seen.first).await;
    let before = harness.seen().len();

    for index in 0..50 {
        harness
            .fake
            .apply(ingress(
                &format!("burst-{index}"),
                &format!("burst-{index}.example"),
                "web",
            ))
            .expect("applied");
    }
    harness
        .until("the whole burst routed", |seen| {
            (0..50).all(|index| answer(&seen.routes, &format!("burst-{index}.example"), "/") == "default/web:80")
        })
        .await;
    let rebuilds = harness.seen().len() - before;
    assert!(rebuilds <= 10, "{rebuilds} rebuilds for a burst of 50 changes");
}
