//! Writes as kube sends them: status patches, leases, events.

use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::events::v1::Event as K8sEvent;
use k8s_openapi::api::networking::v1::Ingress;
use kube::Resource as _;
use kube::api::{Api, ListParams, Patch, PatchParams, PostParams};
use kube::runtime::events::{Event, EventType, Recorder, Reporter};
use serde_json::json;

use ingress_test_support::apiserver::FakeApiServer;

use crate::support::{ingress, within};

fn load_balancer_ip(ingress: &Ingress) -> Option<String> {
    ingress
        .status
        .as_ref()?
        .load_balancer
        .as_ref()?
        .ingress
        .as_ref()?
        .first()?
        .ip
        .clone()
}

fn host(ingress: &Ingress) -> Option<String> {
    ingress.spec.as_ref()?.rules.as_ref()?.first()?.host.clone()
}

#[tokio::test]
async fn a_merge_patch_of_ingress_status_changes_only_the_status() {
    let server = FakeApiServer::start().await.unwrap();
    server.apply(ingress("shop", "web", "a.example")).unwrap();
    let api = Api::<Ingress>::namespaced(server.client().unwrap(), "shop");
    let patch = json!({
        "spec": {"rules": [{"host": "changed.example"}]},
        "status": {"loadBalancer": {"ingress": [{"ip": "192.0.2.7"}]}},
    });
    let patched = within(
        "merge patch",
        api.patch_status("web", &PatchParams::default(), &Patch::Merge(&patch)),
    )
    .await
    .unwrap();
    assert_eq!(load_balancer_ip(&patched).as_deref(), Some("192.0.2.7"));
    assert_eq!(
        host(&patched).as_deref(),
        Some("a.example"),
        "spec is not writable through /status"
    );
    assert_eq!(patched.metadata.resource_version.as_deref(), Some("2"));
    let stored = server
        .get("networking.k8s.io/v1", "Ingress", Some("shop"), "web")
        .unwrap();
    assert_eq!(stored["status"]["loadBalancer"]["ingress"][0]["ip"], "192.0.2.7");

    // A write to the object keeps the status.
    let spec_patch = json!({"spec": {"rules": [{"host": "b.example"}]}, "status": null});
    let object = api
        .patch("web", &PatchParams::default(), &Patch::Merge(&spec_patch))
        .await
        .unwrap();
    assert_eq!(host(&object).as_deref(), Some("b.example"));
    assert_eq!(load_balancer_ip(&object).as_deref(), Some("192.0.2.7"));

    let missing = api
        .patch_status("nope", &PatchParams::default(), &Patch::Merge(&patch))
        .await;
    assert!(matches!(missing, Err(kube::Error::Api(s)) if s.code == 404));
}

#[tokio::test]
async fn an_apply_patch_of_ingress_status_round_trips_and_clears() {
    let server = FakeApiServer::start().await.unwrap();
    server.apply(ingress("shop", "web", "a.example")).unwrap();
    let api = Api::<Ingress>::namespaced(server.client().unwrap(), "shop");
    let params = PatchParams::apply("ingress-rs").force();
    let applied = json!({
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "status": {"loadBalancer": {"ingress": [{"hostname": "lb.example"}]}},
    });
    let patched = within(
        "apply status",
        api.patch_status("web", &params, &Patch::Apply(&applied)),
    )
    .await
    .unwrap();
    let hostname = patched
        .status
        .as_ref()
        .and_then(|s| s.load_balancer.as_ref())
        .and_then(|lb| lb.ingress.as_ref())
        .and_then(|i| i.first())
        .and_then(|i| i.hostname.clone());
    assert_eq!(hostname.as_deref(), Some("lb.example"));
    assert_eq!(host(&patched).as_deref(), Some("a.example"));

    // Applying no status (a class switch) clears it.
    let cleared = api
        .patch_status(
            "web",
            &params,
            &Patch::Apply(json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress"})),
        )
        .await
        .unwrap();
    assert!(cleared.status.is_none());
    assert_eq!(host(&cleared).as_deref(), Some("a.example"));

    // Server-side apply needs a field manager.
    let path = "/apis/networking.k8s.io/v1/namespaces/shop/ingresses/web/status";
    let request = http::Request::patch(path)
        .header("content-type", "application/apply-patch+yaml")
        .body(b"status: {}\n".to_vec())
        .unwrap();
    let refused = server.client().unwrap().request::<Ingress>(request).await;
    assert!(
        matches!(&refused, Err(kube::Error::Api(s)) if s.code == 422),
        "{refused:?}"
    );
}

#[tokio::test]
async fn a_lease_update_with_a_stale_version_gets_409() {
    let server = FakeApiServer::start().await.unwrap();
    let api = Api::<Lease>::namespaced(server.client().unwrap(), "ingress-rs");
    let lease: Lease = serde_json::from_value(json!({
        "metadata": {"name": "ingress-rs-status"},
        "spec": {"holderIdentity": "pod-a", "leaseDurationSeconds": 15},
    }))
    .unwrap();
    let created = within("create", api.create(&PostParams::default(), &lease))
        .await
        .unwrap();
    let again = api.create(&PostParams::default(), &lease).await;
    assert!(matches!(again, Err(kube::Error::Api(s)) if s.code == 409 && s.reason == "AlreadyExists"));

    let mut mine = api.get("ingress-rs-status").await.unwrap();
    assert_eq!(mine.metadata.resource_version, created.metadata.resource_version);
    let mut theirs = mine.clone();
    if let Some(spec) = theirs.spec.as_mut() {
        spec.holder_identity = Some("pod-b".into());
    }
    let taken = api
        .replace("ingress-rs-status", &PostParams::default(), &theirs)
        .await
        .unwrap();
    assert_ne!(taken.metadata.resource_version, mine.metadata.resource_version);

    // pod-a still holds the old version: its update conflicts.
    if let Some(spec) = mine.spec.as_mut() {
        spec.lease_duration_seconds = Some(30);
    }
    let stale = api.replace("ingress-rs-status", &PostParams::default(), &mine).await;
    assert!(
        matches!(&stale, Err(kube::Error::Api(s)) if s.code == 409 && s.reason == "Conflict"),
        "{stale:?}"
    );
    let stored = api.get("ingress-rs-status").await.unwrap();
    assert_eq!(stored.spec.and_then(|s| s.holder_identity).as_deref(), Some("pod-b"));

    // A merge patch naming a stale version conflicts too.
    let patch = json!({"metadata": {"resourceVersion": "1"}, "spec": {"holderIdentity": "pod-a"}});
    let stale_patch = api
        .patch("ingress-rs-status", &PatchParams::default(), &Patch::Merge(&patch))
        .await;
    assert!(matches!(stale_patch, Err(kube::Error::Api(s)) if s.code == 409));
}

#[tokio::test]
async fn events_from_the_recorder_are_stored_and_repeats_patched() {
    let server = FakeApiServer::start().await.unwrap();
    let stored = server.apply(ingress("shop", "web", "a.example")).unwrap();
    let client = server.client().unwrap();
    let ingress: Ingress = serde_json::from_value(stored).unwrap();
    let recorder = Recorder::new(
        client.clone(),
        Reporter {
            controller: "ingress-rs".into(),
            instance: None,
        },
    );
    let event = Event {
        type_: EventType::Normal,
        reason: "Sync".into(),
        note: Some("routes rebuilt".into()),
        action: "Reconcile".into(),
        secondary: None,
    };
    let reference = ingress.object_ref(&());
    within("publish", recorder.publish(&event, &reference)).await.unwrap();
    within("publish again", recorder.publish(&event, &reference))
        .await
        .unwrap();

    let events = Api::<K8sEvent>::namespaced(client, "shop")
        .list(&ListParams::default())
        .await
        .unwrap();
    assert_eq!(events.items.len(), 1, "the repeat patches the first event");
    let stored = events.items.first().unwrap();
    assert_eq!(stored.reason.as_deref(), Some("Sync"));
    assert_eq!(stored.reporting_controller.as_deref(), Some("ingress-rs"));
    assert_eq!(stored.regarding.as_ref().and_then(|r| r.name.as_deref()), Some("web"));
    assert_eq!(stored.series.as_ref().map(|s| s.count), Some(2));
    let posts = server.count_requests(|r| r.method == http::Method::POST && r.path().ends_with("/events"));
    assert_eq!(posts, 1);
    assert!(
        server.requests().iter().all(|r| !r.path().starts_with("/api/v1/")),
        "events.k8s.io/v1, not core"
    );
}

#[tokio::test]
async fn an_apply_of_another_managers_lease_field_conflicts_unless_forced() {
    let server = FakeApiServer::start().await.unwrap();
    let api = Api::<Lease>::namespaced(server.client().unwrap(), "ingress-rs");
    let holder = |who: &str| {
        json!({
            "apiVersion": "coordination.k8s.io/v1",
            "kind": "Lease",
            "spec": {"holderIdentity": who, "leaseDurationSeconds": 15},
        })
    };
    let a = PatchParams::apply("candidate-a");
    let b = PatchParams::apply("candidate-b");
    let created = within("apply creates", api.patch("lock", &a, &Patch::Apply(holder("pod-a"))))
        .await
        .unwrap();
    assert_eq!(created.spec.and_then(|s| s.holder_identity).as_deref(), Some("pod-a"));

    // Same values: no conflict. Different values: 409 naming the owner.
    api.patch("lock", &b, &Patch::Apply(holder("pod-a"))).await.unwrap();
    let clash = api.patch("lock", &b, &Patch::Apply(holder("pod-b"))).await;
    assert!(
        matches!(&clash, Err(kube::Error::Api(s)) if s.code == 409 && s.message.contains("candidate-a")),
        "{clash:?}"
    );
    let forced = api
        .patch("lock", &b.clone().force(), &Patch::Apply(holder("pod-b")))
        .await
        .unwrap();
    assert_eq!(forced.spec.and_then(|s| s.holder_identity).as_deref(), Some("pod-b"));
    // Now candidate-a is the one in conflict.
    let late = api.patch("lock", &a, &Patch::Apply(holder("pod-a"))).await;
    assert!(matches!(&late, Err(kube::Error::Api(s)) if s.code == 409), "{late:?}");

    // A merge patch (an update) takes a field over without conflict.
    let merge = json!({"spec": {"holderIdentity": "pod-a"}});
    let taken = api
        .patch("lock", &PatchParams::default(), &Patch::Merge(&merge))
        .await
        .unwrap();
    assert_eq!(taken.spec.and_then(|s| s.holder_identity).as_deref(), Some("pod-a"));
}
