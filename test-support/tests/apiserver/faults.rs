//! Faults: compaction and 410, failing lists, outages, a cut-off client.

use k8s_openapi::api::core::v1::Service;
use k8s_openapi::api::networking::v1::Ingress;
use kube::api::{Api, ListParams};
use kube::runtime::watcher;

use ingress_test_support::apiserver::{FakeApiServer, Outage};

use crate::support::{eventually, ingress, names, reflect, service, within};

#[tokio::test]
async fn a_compacted_version_gives_410_and_the_watcher_relists_the_gap() {
    let server = FakeApiServer::start().await.unwrap();
    server.apply(ingress("shop", "kept", "a.example")).unwrap();
    server.apply(ingress("shop", "gone", "b.example")).unwrap();
    let (store, _task) = reflect(
        Api::<Ingress>::all(server.client().unwrap()),
        watcher::Config::default(),
    );
    within("first list", store.wait_until_ready()).await.unwrap();
    assert_eq!(names(&store), ["gone", "kept"]);

    // Changes during the gap, then the log is compacted past the
    // client's version.
    server.cut_off();
    server
        .delete("networking.k8s.io/v1", "Ingress", Some("shop"), "gone")
        .unwrap();
    server.apply(ingress("shop", "new", "c.example")).unwrap();
    server.compact();
    assert_eq!(names(&store), ["gone", "kept"], "a cut-off client sees nothing");
    server.reconnect();

    eventually("the re-list converges", || names(&store) == ["kept", "new"]).await;
    assert_eq!(server.count_requests(|r| r.is_list_of("/ingresses")), 2);
}

#[tokio::test]
async fn changes_during_a_cut_off_arrive_by_resuming_when_not_compacted() {
    let server = FakeApiServer::start().await.unwrap();
    server.apply(ingress("shop", "gone", "a.example")).unwrap();
    let (store, _task) = reflect(
        Api::<Ingress>::all(server.client().unwrap()),
        watcher::Config::default(),
    );
    within("first list", store.wait_until_ready()).await.unwrap();

    server.cut_off();
    server
        .delete("networking.k8s.io/v1", "Ingress", Some("shop"), "gone")
        .unwrap();
    server.apply(ingress("shop", "new", "b.example")).unwrap();
    server.reconnect();

    eventually("the resumed watch replays the gap", || names(&store) == ["new"]).await;
    assert_eq!(server.count_requests(|r| r.is_list_of("/ingresses")), 1);
}

#[tokio::test]
async fn a_list_500_is_retried_until_the_server_recovers() {
    let server = FakeApiServer::start().await.unwrap();
    server.apply(service("shop", "web")).unwrap();
    server.fail_lists(Some(500));
    let (store, _task) = reflect(
        Api::<Service>::all(server.client().unwrap()),
        watcher::Config::default(),
    );
    let lists = || server.count_requests(|r| r.is_list_of("/services"));
    eventually("the failed list is retried", || lists() >= 2).await;
    assert!(store.is_empty());
    assert_eq!(server.count_requests(|r| r.is_watch()), 0);

    server.fail_lists(None);
    within("ready after recovery", store.wait_until_ready()).await.unwrap();
    assert_eq!(names(&store), ["web"]);
}

#[tokio::test]
async fn a_list_without_a_resource_version_is_listed_again() {
    let server = FakeApiServer::start().await.unwrap();
    server.apply(service("shop", "web")).unwrap();
    server.omit_list_resource_version(true);
    let (store, _task) = reflect(
        Api::<Service>::all(server.client().unwrap()),
        watcher::Config::default(),
    );
    let lists = || server.count_requests(|r| r.is_list_of("/services"));
    eventually("the list is repeated", || lists() >= 2).await;
    assert_eq!(server.count_requests(|r| r.is_watch()), 0, "no watch without a version");

    server.omit_list_resource_version(false);
    within("ready once lists carry a version", store.wait_until_ready())
        .await
        .unwrap();
    assert_eq!(names(&store), ["web"]);
}

#[tokio::test]
async fn a_list_403_during_a_relist_keeps_the_old_store() {
    let server = FakeApiServer::start().await.unwrap();
    server.apply(service("shop", "web")).unwrap();
    let (store, _task) = reflect(
        Api::<Service>::all(server.client().unwrap()),
        watcher::Config::default(),
    );
    within("first list", store.wait_until_ready()).await.unwrap();

    server.fail_lists(Some(403));
    server.apply(service("shop", "api")).unwrap();
    server.compact();
    server.drop_watches();
    let lists = || server.count_requests(|r| r.is_list_of("/services"));
    eventually("a re-list is refused", || lists() >= 2).await;
    assert_eq!(names(&store), ["web"], "readers keep the last complete list");

    server.fail_lists(None);
    eventually("the re-list lands", || names(&store) == ["api", "web"]).await;
}

#[tokio::test]
async fn an_outage_fails_requests_until_it_ends() {
    let server = FakeApiServer::start().await.unwrap();
    server.apply(service("shop", "web")).unwrap();
    let mut config = server.config().unwrap();
    config.default_retry = false;
    let api = Api::<Service>::all(kube::Client::try_from(config).unwrap());

    server.set_outage(Some(Outage::Unavailable));
    match within("a 503 list", api.list(&ListParams::default())).await {
        Err(kube::Error::Api(status)) => assert_eq!(status.code, 503),
        other => panic!("expected a 503, got {other:?}"),
    }
    server.set_outage(Some(Outage::Refuse));
    let refused = within("a refused list", api.list(&ListParams::default())).await;
    assert!(
        refused.is_err() && !matches!(refused, Err(kube::Error::Api(_))),
        "{refused:?}"
    );
    server.set_outage(None);
    let listed = within("a list after the outage", api.list(&ListParams::default()))
        .await
        .unwrap();
    assert_eq!(listed.items.len(), 1);
}

#[tokio::test]
async fn kube_retries_a_503_until_the_outage_ends() {
    let server = FakeApiServer::start().await.unwrap();
    server.apply(service("shop", "web")).unwrap();
    let api = Api::<Service>::all(server.client().unwrap());
    server.set_outage(Some(Outage::Unavailable));
    let list = tokio::spawn(async move { api.list(&ListParams::default()).await });
    let lists = || server.count_requests(|r| r.is_list_of("/services"));
    eventually("kube retries the 503", || lists() >= 3).await;
    server.set_outage(None);
    let listed = within("the retried list", list).await.unwrap().unwrap();
    assert_eq!(listed.items.len(), 1);
}

#[tokio::test]
async fn a_watcher_converges_after_an_outage_with_changes_during_it() {
    let server = FakeApiServer::start().await.unwrap();
    server.apply(service("shop", "web")).unwrap();
    let (store, _task) = reflect(
        Api::<Service>::all(server.client().unwrap()),
        watcher::Config::default(),
    );
    within("first list", store.wait_until_ready()).await.unwrap();

    // The outage breaks the open stream; kube's re-watch is refused.
    server.set_outage(Some(Outage::Refuse));
    let watches = server.count_requests(|r| r.is_watch());
    eventually("a watch is refused", || {
        server.count_requests(|r| r.is_watch()) > watches
    })
    .await;
    server.apply(service("shop", "api")).unwrap();
    server.set_outage(None);
    eventually("the change made during the outage arrives", || store.len() == 2).await;
}
