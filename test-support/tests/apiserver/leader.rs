//! Leader election with kube-lease-manager (server-side apply with one
//! field manager per candidate) against the fake's leases.

use k8s_openapi::api::coordination::v1::Lease;
use kube::api::Api;
use kube_lease_manager::LeaseManagerBuilder;

use ingress_test_support::apiserver::FakeApiServer;

use crate::support::within;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_candidate_leads_and_hands_over_when_it_releases() {
    let server = FakeApiServer::start().await.unwrap();
    let client = server.client().unwrap();
    let candidate = |identity: &str| {
        LeaseManagerBuilder::new(client.clone(), "ingress-rs-status")
            .with_namespace("ingress-rs")
            .with_identity(identity)
            .with_duration(4)
            .with_grace(2)
            .build()
    };
    let holder = || async {
        Api::<Lease>::namespaced(client.clone(), "ingress-rs")
            .get("ingress-rs-status")
            .await
            .ok()
            .and_then(|l| l.spec)
            .and_then(|s| s.holder_identity)
    };

    let (mut a, a_task) = within("a starts", candidate("pod-a")).await.unwrap().watch().await;
    within("a leads", a.wait_for(|leads| *leads)).await.unwrap();
    let (mut b, b_task) = within("b starts", candidate("pod-b")).await.unwrap().watch().await;
    // b keeps trying while a renews: past one lease duration, a still leads.
    tokio::time::sleep(std::time::Duration::from_millis(4500)).await;
    assert!(!*b.borrow_and_update(), "two leaders");
    assert_eq!(holder().await.as_deref(), Some("pod-a"));

    drop(a);
    within("a releases", a_task).await.unwrap().unwrap();
    within("b leads", b.wait_for(|leads| *leads)).await.unwrap();
    assert_eq!(holder().await.as_deref(), Some("pod-b"));
    drop(b);
    within("b releases", b_task).await.unwrap().unwrap();
    assert_eq!(holder().await, None);
}
