//! The cluster source survives faults with nothing lost: dropped watch
//! streams, compaction (410 Gone), outages.
#![cfg(feature = "cluster")]

mod cluster;

use std::time::Duration;

use cluster::{Harness, answer, ingress, web};
use ingress_test_support::apiserver::Outage;

fn ingress_lists(harness: &Harness) -> usize {
    harness.fake.count_requests(|request| request.is_list_of("/ingresses"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_watch_resumes_from_its_resource_version_without_a_list() {
    let harness = Harness::start(web()).await;
    harness.until("the first tables", |seen| seen.first).await;
    let lists = ingress_lists(&harness);
    let watches = harness
        .fake
        .count_requests(|request| request.is_watch() && request.path().ends_with("/ingresses"));

    harness.fake.drop_watches();
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
        .until_true("a new watch", |h| {
            h.fake
                .count_requests(|request| request.is_watch() && request.path().ends_with("/ingresses"))
                > watches
        })
        .await;
    assert_eq!(ingress_lists(&harness), lists, "a dropped watch caused a LIST");
    assert_eq!(harness.status.record().relists, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_410_relists_and_converges_with_the_changes_made_during_the_gap() {
    let harness = Harness::start(web()).await;
    harness.until("the first tables", |seen| seen.first).await;
    let lists = ingress_lists(&harness);

    harness.fake.cut_off();
    harness
        .fake
        .delete("networking.k8s.io/v1", "Ingress", Some("default"), "web")
        .expect("deleted");
    harness
        .fake
        .apply(ingress("shop", "shop.example", "web"))
        .expect("added");
    harness.fake.compact();
    harness.fake.reconnect();

    let seen = harness
        .until("the gap's changes", |seen| {
            answer(&seen.routes, "shop.example", "/") == "default/web:80"
                && answer(&seen.routes, "web.example", "/") == "404"
        })
        .await;
    assert!(seen.routes_changed);
    assert!(ingress_lists(&harness) > lists, "no relist after 410");
    harness
        .until_true("relists counted", |h| h.status.record().relists >= 1)
        .await;
    harness
        .until_true("fresh again", |h| h.status.record().stale_since.is_none())
        .await;
}

async fn outage_keeps_the_last_tables_and_converges_after(outage: Outage) {
    let harness = Harness::start(web()).await;
    harness.until("the first tables", |seen| seen.first).await;

    harness.fake.set_outage(Some(outage));
    harness.fake.drop_watches();
    harness
        .until_true("stale", |h| h.status.record().stale_since.is_some())
        .await;
    let published = harness.seen().len();
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert!(harness.status.is_ready(), "readiness is kept while stale");
    let last = harness.last().expect("tables");
    assert_eq!(answer(&last.routes, "web.example", "/"), "default/web:80");
    assert_eq!(harness.seen().len(), published, "published during the outage");

    harness
        .fake
        .apply(ingress("shop", "shop.example", "web"))
        .expect("added");
    harness.fake.set_outage(None);
    harness
        .until("shop routed after the outage", |seen| {
            answer(&seen.routes, "shop.example", "/") == "default/web:80"
        })
        .await;
    harness
        .until_true("fresh again", |h| h.status.record().stale_since.is_none())
        .await;
    assert!(harness.status.record().watch_restarts >= 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refusing_api_server_keeps_the_last_tables_marks_stale_and_converges_after() {
    outage_keeps_the_last_tables_and_converges_after(Outage::Refuse).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_api_server_answering_503_keeps_the_last_tables_marks_stale_and_converges_after() {
    outage_keeps_the_last_tables_and_converges_after(Outage::Unavailable).await;
}
