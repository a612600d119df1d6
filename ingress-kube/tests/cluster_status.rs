//! Ingress status against the fake API server: the published addresses
//! on every Ingress served, nothing on others', no write when equal, our
//! list removed when an Ingress leaves our class, and `--publish-service`
//! resolution.
#![cfg(feature = "cluster")]

mod cluster;
mod cluster_status_support;

use std::time::Duration;

use cluster::{ingress, service, slice, web};
use cluster_status_support::{is_status_write, published, replica, until};
use ingress_kube::cluster::{PublishedAddress, WriteBack};
use ingress_test_support::apiserver::FakeApiServer;
use serde_json::json;

fn fixed(addresses: &[&str]) -> WriteBack {
    let parsed = addresses.iter().map(|a| a.parse().expect("address")).collect();
    WriteBack::new()
        .with_addresses(PublishedAddress::Fixed(parsed))
        .with_resync(Duration::from_millis(300))
}

async fn fake_with(objects: Vec<serde_json::Value>) -> FakeApiServer {
    let fake = FakeApiServer::start().await.expect("fake");
    for object in objects {
        fake.apply(object).expect("applied");
    }
    fake
}

fn other_class(name: &str) -> serde_json::Value {
    json!({
        "apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"ingressClassName": "nginx", "defaultBackend": {"service": {"name": "web", "port": {"number": 80}}}},
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn served_ingresses_get_the_published_addresses_and_no_other_is_written() {
    let mut objects = web();
    objects.push(other_class("theirs"));
    // V2: a host that is an IP address; rejected, so not served.
    objects.push(ingress("broken", "10.0.0.9", "web"));
    let fake = fake_with(objects).await;
    let gateway = replica(&fake, fixed(&["203.0.113.7", "lb.example.com"]));

    until("web's status", || {
        published(&fake, "web") == ["203.0.113.7", "lb.example.com"]
    })
    .await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert!(
        published(&fake, "theirs").is_empty(),
        "another class's Ingress was written"
    );
    assert!(published(&fake, "broken").is_empty(), "a rejected Ingress was written");
    assert_eq!(fake.count_requests(is_status_write), 1);
    assert_eq!(gateway.status.record().status_writes, 1);
    assert_eq!(gateway.status.record().leader, Some(true));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_equal_status_is_not_written_again_across_rebuilds_and_resyncs() {
    let fake = fake_with(web()).await;
    let gateway = replica(&fake, fixed(&["203.0.113.7"]));
    until("web's status", || published(&fake, "web") == ["203.0.113.7"]).await;
    let writes = fake.count_requests(is_status_write);

    // Rebuilds of both tables, and several resyncs (every 300 ms).
    fake.apply(service("other")).expect("service");
    fake.apply(slice("web", &["10.0.0.1", "10.0.0.2"])).expect("slice");
    fake.apply(ingress("shop", "shop.example", "other")).expect("ingress");
    until("shop's status", || published(&fake, "shop") == ["203.0.113.7"]).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;

    assert_eq!(
        fake.count_requests(is_status_write),
        writes + 1,
        "only shop was written"
    );
    assert_eq!(gateway.status.record().status_writes, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn someone_elses_change_to_the_status_is_undone_at_the_next_resync() {
    let fake = fake_with(web()).await;
    let _gateway = replica(&fake, fixed(&["203.0.113.7"]));
    until("web's status", || published(&fake, "web") == ["203.0.113.7"]).await;
    let mut changed = fake.get("networking.k8s.io/v1", "Ingress", None, "web").expect("web");
    changed["status"] = json!({"loadBalancer": {"ingress": [{"ip": "192.0.2.99"}]}});
    fake.apply(changed).expect("overwritten");
    until("web's status restored", || published(&fake, "web") == ["203.0.113.7"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ingress_that_leaves_our_class_has_our_address_removed() {
    let fake = fake_with(web()).await;
    let _gateway = replica(&fake, fixed(&["203.0.113.7"]));
    until("web's status", || published(&fake, "web") == ["203.0.113.7"]).await;

    // As kubectl would: a patch of the spec, the status left alone.
    let client = fake.client().expect("client");
    let api: kube::Api<k8s_openapi::api::networking::v1::Ingress> = kube::Api::namespaced(client, "default");
    let patch = json!({"spec": {"ingressClassName": "nginx"}});
    api.patch(
        "web",
        &kube::api::PatchParams::default(),
        &kube::api::Patch::Merge(&patch),
    )
    .await
    .expect("class changed");
    until("web's status cleared", || published(&fake, "web").is_empty()).await;
}

fn gateway_service(spec: &serde_json::Value, status: &serde_json::Value) -> serde_json::Value {
    json!({
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "gateway", "namespace": "default"},
        "spec": spec,
        "status": status,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publish_service_takes_lb_ingress_else_external_ips_else_the_cluster_ip_and_follows_it() {
    let mut objects = web();
    objects.push(gateway_service(
        &json!({"type": "ClusterIP", "clusterIP": "10.96.0.10", "ports": [{"port": 80}]}),
        &json!({}),
    ));
    let fake = fake_with(objects).await;
    let write_back = WriteBack::new().with_addresses(PublishedAddress::Service {
        namespace: "default".into(),
        name: "gateway".into(),
    });
    let _gateway = replica(&fake, write_back);
    until("the cluster IP", || published(&fake, "web") == ["10.96.0.10"]).await;

    fake.apply(gateway_service(
        &json!({"type": "NodePort", "clusterIP": "10.96.0.10", "externalIPs": ["198.51.100.4"], "ports": [{"port": 80}]}),
        &json!({}),
    ))
    .expect("external IPs");
    until("the external IP", || published(&fake, "web") == ["198.51.100.4"]).await;

    fake.apply(gateway_service(
        &json!({"type": "LoadBalancer", "clusterIP": "10.96.0.10", "externalIPs": ["198.51.100.4"], "ports": [{"port": 80}]}),
        &json!({"loadBalancer": {"ingress": [{"hostname": "edge.example.net"}]}}),
    ))
    .expect("load balancer");
    until("the load balancer's name", || {
        published(&fake, "web") == ["edge.example.net"]
    })
    .await;
}
