//! Refreshing the slots: an endpoint's outlier record lives as long as its
//! address stays in the backend, across endpoint-table swaps (B2), and is
//! forgotten once the address leaves.

use std::sync::Arc;
use std::time::{Duration, Instant};

use ingress_core::Backend;
use ingress_core::validation::{ServiceBackend, ServicePort};
use ingress_kube::EndpointTable;
use k8s_openapi::api::core::v1::Service;
use k8s_openapi::api::discovery::v1::EndpointSlice;
use serde_json::json;

use super::{Target, Upstream, Upstreams};
use crate::serve::metrics::Metrics;
use crate::upstream::{Pool, TcpConnect};

/// Service `default/web` (port 80, targetPort `http`) with one ready
/// endpoint on 127.0.0.1 per port.
fn table(ports: &[u16]) -> EndpointTable {
    let service: Service = serde_json::from_value(json!({
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {"ports": [{"name": "http", "port": 80, "targetPort": "http"}]},
    }))
    .unwrap();
    let slices: Vec<EndpointSlice> = ports
        .iter()
        .map(|port| {
            serde_json::from_value(json!({
                "metadata": {
                    "name": format!("web-{port}"),
                    "namespace": "default",
                    "labels": {"kubernetes.io/service-name": "web"},
                },
                "addressType": "IPv4",
                "ports": [{"name": "http", "port": port}],
                "endpoints": [{"addresses": ["127.0.0.1"], "conditions": {"ready": true}}],
            }))
            .unwrap()
        })
        .collect();
    EndpointTable::from_objects([&service], &slices)
}

fn backend() -> Backend {
    Backend::Service(ServiceBackend {
        namespace: "default".into(),
        name: "web".into(),
        port: ServicePort::Number(80),
    })
}

fn slot(upstreams: &Upstreams) -> Arc<Upstream> {
    let Backend::Service(key) = backend() else {
        unreachable!()
    };
    upstreams.slot(&key).expect("a slot for the backend")
}

fn is_ejected(slot: &Upstream, port: u16) -> bool {
    let members = slot.members();
    let member = members.iter().find(|m| m.endpoint.address().port() == port).unwrap();
    member.health.is_ejected(Instant::now())
}

fn gauge(metrics: &Metrics) -> String {
    let text = metrics.encode();
    text.lines()
        .find(|line| line.starts_with("ingress_upstream_ejected_endpoints{"))
        .unwrap_or_else(|| panic!("{text}"))
        .to_owned()
}

#[test]
fn b2_an_ejection_outlives_a_refresh_and_ends_when_its_endpoint_leaves() {
    let pool = Pool::new(TcpConnect {
        timeout: Duration::from_secs(1),
    });
    let metrics = Metrics::new();
    let mut upstreams = Upstreams::default();
    let backends = [backend()];
    upstreams.refresh(&pool, &table(&[1, 2]), true, &backends);
    let web = slot(&upstreams);
    {
        let members = web.members();
        let first = members.first().unwrap();
        let policy = web.policy();
        for _ in 0..policy.failures {
            first.health.failed(policy, Instant::now(), true);
        }
    }
    assert!(is_ejected(&web, 1));

    // Another endpoint comes: the slot and the record stay.
    upstreams.refresh(&pool, &table(&[1, 2, 3]), true, &backends);
    upstreams.record(&metrics);
    assert!(Arc::ptr_eq(&web, &slot(&upstreams)));
    assert_eq!(web.members().len(), 3);
    assert!(is_ejected(&web, 1));
    assert_eq!(
        gauge(&metrics),
        "ingress_upstream_ejected_endpoints{backend=\"default/web:80\"} 1"
    );

    // It leaves, then comes back: a record of its own, clean.
    upstreams.refresh(&pool, &table(&[2, 3]), true, &backends);
    upstreams.record(&metrics);
    assert_eq!(
        gauge(&metrics),
        "ingress_upstream_ejected_endpoints{backend=\"default/web:80\"} 0"
    );
    upstreams.refresh(&pool, &table(&[1, 2, 3]), true, &backends);
    assert!(!is_ejected(&web, 1));
}

#[test]
fn a_backend_gone_from_the_tables_takes_its_series_along() {
    let pool = Pool::new(TcpConnect {
        timeout: Duration::from_secs(1),
    });
    let metrics = Metrics::new();
    let mut upstreams = Upstreams::default();
    upstreams.refresh(&pool, &table(&[1]), true, &[backend()]);
    upstreams.record(&metrics);
    assert!(metrics.encode().contains("ingress_upstream_ejected_endpoints{"));
    upstreams.refresh(&pool, &table(&[1]), true, &[]);
    upstreams.record(&metrics);
    assert!(!metrics.encode().contains("ingress_upstream_ejected_endpoints{"));
}

fn other_backend() -> Backend {
    Backend::Service(ServiceBackend {
        namespace: "default".into(),
        name: "api".into(),
        port: ServicePort::Number(80),
    })
}

fn series(metrics: &Metrics, name: &str) -> Vec<String> {
    metrics
        .encode()
        .lines()
        .filter(|line| line.starts_with(name))
        .map(str::to_owned)
        .collect()
}

#[test]
fn b2_a_route_change_keeps_the_slots_it_finds_and_adds_new_ones() {
    let pool = Pool::new(TcpConnect {
        timeout: Duration::from_secs(1),
    });
    let metrics = Metrics::new();
    let mut upstreams = Upstreams::default();
    let endpoints = table(&[1, 2]);
    upstreams.refresh(&pool, &endpoints, true, &[backend()]);
    upstreams.record(&metrics);
    let web = slot(&upstreams);

    // Only the routes changed: a second backend, the same endpoint table.
    upstreams.refresh(&pool, &endpoints, false, &[backend(), other_backend()]);
    upstreams.record(&metrics);
    assert!(Arc::ptr_eq(&web, &slot(&upstreams)), "web keeps its slot");
    assert_eq!(web.members().len(), 2);
    assert_eq!(upstreams.endpoints().len(), 2, "web's endpoints stay in use");
    let mut lines = series(&metrics, "ingress_backend_endpoints{");
    lines.sort();
    assert_eq!(
        lines,
        [
            "ingress_backend_endpoints{backend=\"default/api:80\"} 0",
            "ingress_backend_endpoints{backend=\"default/web:80\"} 2",
        ]
    );

    // web leaves the routes: its slot and its series go.
    upstreams.refresh(&pool, &endpoints, false, &[other_backend()]);
    upstreams.record(&metrics);
    assert_eq!(upstreams.endpoints().len(), 0);
    assert_eq!(
        series(&metrics, "ingress_backend_endpoints{"),
        ["ingress_backend_endpoints{backend=\"default/api:80\"} 0"]
    );
}

#[test]
fn b2_a_kept_route_keeps_its_slot_and_new_endpoints_reach_it() {
    let pool = Pool::new(TcpConnect {
        timeout: Duration::from_secs(1),
    });
    let mut upstreams = Upstreams::default();
    upstreams.refresh(&pool, &table(&[1]), true, &[backend(), other_backend()]);
    let web = slot(&upstreams);
    let Backend::Service(api) = other_backend() else {
        panic!("a Service backend")
    };

    // A route change that takes web's route over (kept, no lookup) and
    // drops api's, with new endpoints at the same time.
    let endpoints = table(&[1, 2]);
    let refresh = upstreams.begin(&pool, &endpoints, true);
    let kept = Target::Service(Arc::clone(&web));
    refresh.keeper()(&kept);
    refresh.finish();
    assert!(Arc::ptr_eq(&web, &slot(&upstreams)), "web keeps its slot");
    assert_eq!(web.members().len(), 2, "and gets the new endpoints");
    assert!(upstreams.slot(&api).is_none(), "api's slot goes");

    // Neither given nor kept: gone too, with its endpoints.
    upstreams.begin(&pool, &endpoints, false).finish();
    assert!(upstreams.slot(web.key()).is_none());
    assert!(upstreams.endpoints().is_empty());
}
