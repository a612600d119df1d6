//! Kubernetes Events against the fake API server: a Warning on a rejected
//! Ingress (V8, the field and rule as `check` prints them) and on one that
//! loses a conflict (M6, naming the winner), not repeated on unchanged
//! rebuilds, and again once a fixed Ingress breaks again.
#![cfg(feature = "cluster")]

mod cluster;
mod cluster_status_support;

use std::time::Duration;

use cluster::{ingress, service, web};
use cluster_status_support::{replica, until};
use ingress_kube::cluster::WriteBack;
use ingress_test_support::apiserver::FakeApiServer;
use serde_json::Value;

/// Every Event as (regarding name, reason, note).
fn events(fake: &FakeApiServer) -> Vec<(String, String, String)> {
    let text = |event: &Value, pointer: &str| event.pointer(pointer).and_then(Value::as_str).unwrap_or("").to_owned();
    fake.objects("events.k8s.io/v1", "Event", Some("default"))
        .iter()
        .map(|event| {
            (
                text(event, "/regarding/name"),
                text(event, "/reason"),
                text(event, "/note"),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejected_and_conflicting_ingresses_get_one_warning_each_until_their_problem_changes() {
    let fake = FakeApiServer::start().await.expect("fake");
    for object in web() {
        fake.apply(object).expect("applied");
    }
    // V2: a host that is an IP address.
    fake.apply(ingress("broken", "10.0.0.9", "web")).expect("broken");
    // M6: the same rule as web's, in a younger Ingress.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    fake.apply(ingress("copy", "web.example", "web")).expect("copy");
    let write_back = WriteBack::new()
        .with_events("ingress-gateway")
        .with_resync(Duration::from_millis(300));
    let gateway = replica(&fake, write_back);

    until("two events", || events(&fake).len() == 2).await;
    let all = events(&fake);
    let rejected = all.iter().find(|(name, ..)| name == "broken").expect("broken's event");
    assert_eq!(rejected.1, "Rejected");
    assert!(
        rejected.2.contains("[V8] default/broken") && rejected.2.contains("[V2]"),
        "{}",
        rejected.2
    );
    let conflict = all.iter().find(|(name, ..)| name == "copy").expect("copy's event");
    assert_eq!(conflict.1, "Conflict");
    assert!(
        conflict.2.contains("[M6]") && conflict.2.contains("default/web"),
        "{}",
        conflict.2
    );
    let event = fake.objects("events.k8s.io/v1", "Event", Some("default"));
    let first = event.first().expect("an event");
    assert_eq!(first.pointer("/type").and_then(Value::as_str), Some("Warning"));
    assert_eq!(
        first.pointer("/reportingController").and_then(Value::as_str),
        Some("ingress-gateway")
    );

    // Rebuilds that change nothing, and resyncs: no new Event.
    fake.apply(service("other")).expect("service");
    fake.apply(ingress("broken", "10.0.0.9", "web"))
        .expect("the same again");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(events(&fake).len(), 2, "an unchanged problem was reported again");
    assert_eq!(gateway.status.record().events_emitted, 2);

    // Fixed, then broken again: reported again.
    fake.apply(ingress("broken", "broken.example", "web")).expect("fixed");
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(events(&fake).len(), 2);
    fake.apply(ingress("broken", "10.0.0.9", "web")).expect("broken again");
    until("the third event", || events(&fake).len() == 3).await;
}
