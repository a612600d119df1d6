//! Lists and watches as kube-runtime's watcher and reflector use them.

use std::time::Duration;

use k8s_openapi::api::core::v1::{Secret, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::networking::v1::{Ingress, IngressClass};
use kube::api::{Api, PartialObjectMeta};
use kube::runtime::watcher;
use serde_json::json;

use ingress_test_support::apiserver::FakeApiServer;

use crate::support::{eventually, ingress, names, reflect, service, within};

#[tokio::test]
async fn a_paged_initial_list_reaches_the_store() {
    let server = FakeApiServer::start().await.unwrap();
    for (ns, name) in [
        ("a", "s1"),
        ("a", "s2"),
        ("a", "s3"),
        ("b", "s4"),
        ("b", "s5"),
        ("b", "s6"),
        ("b", "s7"),
    ] {
        server.apply(service(ns, name)).unwrap();
    }
    let client = server.client().unwrap();
    let (store, _task) = reflect(
        Api::<Service>::all(client.clone()),
        watcher::Config::default().page_size(3),
    );
    within("all services listed", store.wait_until_ready()).await.unwrap();
    assert_eq!(names(&store), ["s1", "s2", "s3", "s4", "s5", "s6", "s7"]);
    let lists: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| r.is_list_of("/services"))
        .collect();
    assert_eq!(lists.len(), 3, "{lists:?}");
    assert_eq!(
        lists.iter().filter(|r| r.path_and_query.contains("continue=")).count(),
        2
    );

    let (one_namespace, _task) = reflect(Api::<Service>::namespaced(client, "b"), watcher::Config::default());
    within("namespace b listed", one_namespace.wait_until_ready())
        .await
        .unwrap();
    assert_eq!(names(&one_namespace), ["s4", "s5", "s6", "s7"]);
}

#[tokio::test]
async fn adds_modifies_and_deletes_arrive_in_the_store() {
    let server = FakeApiServer::start().await.unwrap();
    let client = server.client().unwrap();
    let (store, _task) = reflect(Api::<Ingress>::all(client), watcher::Config::default());
    within("empty list", store.wait_until_ready()).await.unwrap();
    assert!(store.is_empty());

    server.apply(ingress("shop", "web", "a.example")).unwrap();
    eventually("web added", || store.len() == 1).await;
    server.apply(ingress("shop", "web", "b.example")).unwrap();
    let host = || {
        store.state().first().and_then(|i| {
            i.spec
                .as_ref()
                .and_then(|s| s.rules.as_ref())
                .and_then(|r| r.first())
                .and_then(|r| r.host.clone())
        })
    };
    eventually("web modified", || host().as_deref() == Some("b.example")).await;
    server
        .delete("networking.k8s.io/v1", "Ingress", Some("shop"), "web")
        .unwrap();
    eventually("web deleted", || store.is_empty()).await;
}

#[tokio::test]
async fn a_stream_end_resumes_from_the_last_version_without_a_list() {
    let server = FakeApiServer::start().await.unwrap();
    server.set_watch_lifetime(Some(Duration::from_millis(100)));
    server.apply(ingress("shop", "first", "a.example")).unwrap();
    let (store, _task) = reflect(
        Api::<Ingress>::all(server.client().unwrap()),
        watcher::Config::default(),
    );
    within("first listed", store.wait_until_ready()).await.unwrap();
    let watches = || server.count_requests(|r| r.is_watch());
    eventually("three watch streams ended and resumed", || watches() >= 3).await;
    server.apply(ingress("shop", "second", "b.example")).unwrap();
    eventually("second arrives on a resumed stream", || store.len() == 2).await;

    // A connection dropped mid-stream resumes the same way.
    server.set_watch_lifetime(None);
    let before = watches();
    server.drop_watches();
    eventually("a new watch after the drop", || watches() > before).await;
    server.apply(ingress("shop", "third", "c.example")).unwrap();
    eventually("third arrives after the drop", || store.len() == 3).await;

    assert_eq!(server.count_requests(|r| r.is_list_of("/ingresses")), 1);
    let resumed = server
        .requests()
        .into_iter()
        .filter(|r| r.is_watch())
        .all(|r| !r.path_and_query.contains("resourceVersion=0"));
    assert!(resumed, "every watch resumes from a version the fake gave");
}

#[tokio::test]
async fn selectors_filter_secrets_by_type_and_slices_by_label() {
    let server = FakeApiServer::start().await.unwrap();
    for (name, kind) in [("tls", "kubernetes.io/tls"), ("opaque", "Opaque")] {
        server
            .apply(json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name}, "type": kind}))
            .unwrap();
    }
    let slice = |name: &str, labels: serde_json::Value| {
        json!({
            "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": {"name": name, "labels": labels},
            "addressType": "IPv4", "endpoints": [],
        })
    };
    server
        .apply(slice("web-1", json!({"kubernetes.io/service-name": "web"})))
        .unwrap();
    server.apply(slice("loose", json!({}))).unwrap();
    let client = server.client().unwrap();
    let (secrets, _a) = reflect(
        Api::<Secret>::all(client.clone()),
        watcher::Config::default().fields("type=kubernetes.io/tls"),
    );
    let (slices, _b) = reflect(
        Api::<EndpointSlice>::all(client),
        watcher::Config::default().labels("kubernetes.io/service-name"),
    );
    within("secrets listed", secrets.wait_until_ready()).await.unwrap();
    within("slices listed", slices.wait_until_ready()).await.unwrap();
    assert_eq!(names(&secrets), ["tls"]);
    assert_eq!(names(&slices), ["web-1"]);

    // Watches filter the same way: what must not pass goes first on each
    // stream, so had it passed, it would be in the store before the rest.
    let secret = |name: &str, kind: &str| json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name}, "type": kind});
    server.apply(secret("z-opaque", "Opaque")).unwrap();
    server.apply(slice("loose-2", json!({}))).unwrap();
    server.apply(secret("tls-2", "kubernetes.io/tls")).unwrap();
    server
        .apply(slice("web-2", json!({"kubernetes.io/service-name": "web"})))
        .unwrap();
    eventually("tls-2 and web-2 arrive", || {
        names(&secrets) == ["tls", "tls-2"] && names(&slices) == ["web-1", "web-2"]
    })
    .await;
}

#[tokio::test]
async fn a_metadata_only_watcher_and_a_streaming_list_reach_ready() {
    let server = FakeApiServer::start().await.unwrap();
    server.apply(ingress("shop", "web", "a.example")).unwrap();
    let client = server.client().unwrap();
    let (metadata, _a) = reflect(
        Api::<PartialObjectMeta<Ingress>>::all(client.clone()),
        watcher::Config::default(),
    );
    let (streamed, _b) = reflect(
        Api::<Ingress>::all(client),
        watcher::Config::default().streaming_lists(),
    );
    within("metadata listed", metadata.wait_until_ready()).await.unwrap();
    within("streaming list done", streamed.wait_until_ready())
        .await
        .unwrap();
    assert_eq!(names(&metadata), ["web"]);
    assert_eq!(names(&streamed), ["web"]);
    server.apply(ingress("shop", "api", "b.example")).unwrap();
    eventually("api reaches both", || metadata.len() == 2 && streamed.len() == 2).await;
    let streaming_lists = server.count_requests(|r| r.path_and_query.contains("sendInitialEvents=true"));
    assert_eq!(streaming_lists, 1);
}

#[tokio::test]
async fn five_long_lived_watches_share_one_server() {
    let server = FakeApiServer::start().await.unwrap();
    let client = server.client().unwrap();
    let config = watcher::Config::default;
    let (ingresses, _a) = reflect(Api::<Ingress>::all(client.clone()), config());
    let (classes, _b) = reflect(Api::<IngressClass>::all(client.clone()), config());
    let (services, _c) = reflect(Api::<Service>::all(client.clone()), config());
    let (slices, _d) = reflect(
        Api::<EndpointSlice>::all(client.clone()),
        config().labels("kubernetes.io/service-name"),
    );
    let (secrets, _e) = reflect(Api::<Secret>::all(client), config().fields("type=kubernetes.io/tls"));
    within("all five ready", async {
        ingresses.wait_until_ready().await.unwrap();
        classes.wait_until_ready().await.unwrap();
        services.wait_until_ready().await.unwrap();
        slices.wait_until_ready().await.unwrap();
        secrets.wait_until_ready().await.unwrap();
    })
    .await;
    let watches = || server.count_requests(|r| r.is_watch());
    eventually("five watches open", || watches() >= 5).await;

    server.apply(ingress("shop", "web", "a.example")).unwrap();
    server
        .apply(json!({"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass", "metadata": {"name": "ours"}, "spec": {"controller": "x/y"}}))
        .unwrap();
    server.apply(service("shop", "web")).unwrap();
    server
        .apply(json!({
            "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": {"name": "web-1", "namespace": "shop", "labels": {"kubernetes.io/service-name": "web"}},
            "addressType": "IPv4", "endpoints": [],
        }))
        .unwrap();
    server
        .apply(json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "tls", "namespace": "shop"}, "type": "kubernetes.io/tls"}))
        .unwrap();
    eventually("each watch delivers its change", || {
        [
            ingresses.len(),
            classes.len(),
            services.len(),
            slices.len(),
            secrets.len(),
        ] == [1; 5]
    })
    .await;
    assert_eq!(watches(), 5, "no stream ended or was re-opened");
}
