//! Leader election against the fake API server: of two replicas only the
//! Lease holder writes status, and the other takes over within the lease
//! duration once the leader's task is dropped.
#![cfg(feature = "cluster")]

mod cluster;
mod cluster_status_support;

use std::time::Duration;

use cluster::{ingress, web};
use cluster_status_support::{Replica, published, replica, until};
use ingress_kube::cluster::{Election, PublishedAddress, WriteBack};
use ingress_test_support::apiserver::FakeApiServer;

fn candidate(identity: &str) -> WriteBack {
    let election = Election::new("gateway-leader", "default", identity)
        .with_timing(Duration::from_secs(2), Duration::from_secs(1));
    WriteBack::new()
        .with_addresses(PublishedAddress::Fixed(vec!["203.0.113.7".parse().expect("address")]))
        .with_election(election)
        .with_resync(Duration::from_millis(300))
}

fn leader(replica: &Replica) -> Option<bool> {
    replica.status.record().leader
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_lease_holder_writes_and_the_other_takes_over_when_it_stops() {
    let fake = FakeApiServer::start().await.expect("fake");
    for object in web() {
        fake.apply(object).expect("applied");
    }
    let a = replica(&fake, candidate("gateway-a"));
    let b = replica(&fake, candidate("gateway-b"));
    until("one leader and one follower", || {
        matches!(
            (leader(&a), leader(&b)),
            (Some(true), Some(false)) | (Some(false), Some(true))
        )
    })
    .await;
    until("web's status", || published(&fake, "web") == ["203.0.113.7"]).await;
    // A few resyncs: the follower never writes.
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let (first, second) = if leader(&a) == Some(true) { (a, b) } else { (b, a) };
    assert_eq!(leader(&first), Some(true), "the leader changed without a failure");
    assert!(first.status.record().status_writes >= 1);
    assert_eq!(second.status.record().status_writes, 0, "a follower wrote status");
    let holder = fake
        .get("coordination.k8s.io/v1", "Lease", Some("default"), "gateway-leader")
        .and_then(|lease| lease.pointer("/spec/holderIdentity").cloned());
    assert!(holder.is_some(), "no Lease holder recorded");

    drop(first);
    let dropped = tokio::time::Instant::now();
    until("the follower leads", || leader(&second) == Some(true)).await;
    // Within the lease duration (2 s), with room for a loaded machine.
    assert!(
        dropped.elapsed() < Duration::from_secs(6),
        "took over after {:?}",
        dropped.elapsed()
    );

    fake.apply(ingress("shop", "shop.example", "web")).expect("added");
    until("shop's status by the new leader", || {
        published(&fake, "shop") == ["203.0.113.7"]
    })
    .await;
    assert!(second.status.record().status_writes >= 1);
}
