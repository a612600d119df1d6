//! The walk of one request through its backend's endpoints, on endpoints
//! that are never connected to: which one comes first, which next, which
//! never, and which record each failure lands on.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ingress_core::validation::{ServiceBackend, ServicePort};

use super::super::{Member, Upstream, ejected};
use super::Attempts;
use crate::serve::endpoints::health::Health;
use crate::serve::metrics::Metrics;
use crate::upstream::{Pool, TcpConnect};

fn address(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

/// A backend `default/web:80` with one endpoint per port.
fn upstream(ports: &[u16]) -> Arc<Upstream> {
    let pool = Pool::new(TcpConnect {
        timeout: Duration::from_secs(1),
    });
    let members = ports
        .iter()
        .map(|&port| {
            Arc::new(Member {
                endpoint: Arc::new(pool.endpoint(address(port))),
                health: Health::default(),
            })
        })
        .collect();
    let key = ServiceBackend {
        namespace: "default".into(),
        name: "web".into(),
        port: ServicePort::Number(80),
    };
    Arc::new(Upstream::new(key, Ok(members)))
}

fn attempts(upstream: &Arc<Upstream>, turn: usize, metrics: &Metrics) -> Attempts {
    Attempts::new(Arc::clone(upstream), &upstream.members(), turn, metrics).unwrap()
}

fn at(attempts: &Attempts) -> u16 {
    attempts.endpoint().address().port()
}

/// Where a request at `turn` goes, connect failure after connect failure,
/// until it has nowhere left to go.
fn walk(upstream: &Arc<Upstream>, turn: usize, metrics: &Metrics) -> Vec<u16> {
    let mut attempts = attempts(upstream, turn, metrics);
    let mut ports = vec![at(&attempts)];
    loop {
        attempts.connect_failed(metrics);
        if !attempts.retry(metrics) {
            return ports;
        }
        ports.push(at(&attempts));
    }
}

fn eject(upstream: &Upstream, port: u16) {
    let members = upstream.members();
    let member = members.iter().find(|m| m.endpoint.address().port() == port).unwrap();
    let policy = upstream.policy();
    for _ in 0..policy.failures {
        member.health.failed(policy, Instant::now(), true);
    }
    assert!(member.health.is_ejected(Instant::now()));
}

#[test]
fn b1_each_request_starts_at_its_turn() {
    let metrics = Metrics::new();
    let web = upstream(&[1, 2, 3]);
    let firsts: Vec<u16> = (0..6).map(|turn| at(&attempts(&web, turn, &metrics))).collect();
    assert_eq!(firsts, [1, 2, 3, 1, 2, 3]);
}

#[test]
fn a_refused_request_tries_every_other_endpoint_once_from_its_turn() {
    let metrics = Metrics::new();
    let web = upstream(&[1, 2, 3]);
    assert_eq!(walk(&web, 1, &metrics), [2, 3, 1]);
}

#[test]
fn ejected_endpoints_come_last_and_only_when_none_else_is_left() {
    let metrics = Metrics::new();
    let web = upstream(&[1, 2, 3, 4]);
    eject(&web, 2);
    // Turn 1 starts past the ejected endpoint.
    assert_eq!(at(&attempts(&web, 1, &metrics)), 3);
    assert_eq!(walk(&web, 1, &metrics), [3, 4, 1, 2]);
}

#[test]
fn attempts_stop_at_their_cap() {
    let metrics = Metrics::new();
    let ports: Vec<u16> = (1..=40).collect();
    let web = upstream(&ports);
    assert_eq!(walk(&web, 0, &metrics).len(), super::MAX_ATTEMPTS);
}

#[test]
fn a_backend_whose_endpoints_all_refuse_keeps_one_in_rotation() {
    let metrics = Metrics::new();
    let web = upstream(&[1, 2, 3]);
    for turn in 0..10 {
        assert_eq!(walk(&web, turn, &metrics).len(), 3, "every endpoint tried once");
    }
    assert_eq!(ejected(&web.members(), Instant::now()), 2);
    let text = metrics.encode();
    assert!(
        text.contains("ingress_upstream_ejected_endpoints{backend=\"default/web:80\"} 2\n"),
        "{text}"
    );
    assert!(
        text.contains("ingress_upstream_ejections_total{backend=\"default/web:80\"} 2\n"),
        "{text}"
    );
}

#[test]
fn a_success_readmits_an_ejected_endpoint_and_the_gauge_follows() {
    let metrics = Metrics::new();
    let web = upstream(&[1, 2]);
    // Three requests start at endpoint 1 and fail there.
    for _ in 0..3 {
        attempts(&web, 0, &metrics).connect_failed(&metrics);
    }
    assert!(
        metrics
            .encode()
            .contains("ingress_upstream_ejected_endpoints{backend=\"default/web:80\"} 1\n")
    );
    let members = web.members();
    let first = members.first().unwrap();
    assert!(first.health.succeeded(), "it was ejected");
    assert_eq!(ejected(&members, Instant::now()), 0);
}
