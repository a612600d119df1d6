//! The baseline: a plain kube 5 watcher of Ingresses in the benchmark's
//! own process, noting when each host first appears in an event. What
//! the gateway takes beyond this is the gateway's share of the latency.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use futures_util::StreamExt as _;
use k8s_openapi::api::networking::v1::Ingress;
use kube::Api;
use kube::runtime::watcher::{self, Event};
use tokio::sync::{Notify, oneshot};

/// When each host was first seen in an `Apply` event after the list.
#[derive(Clone, Default)]
pub struct Seen {
    hosts: Arc<Mutex<HashMap<String, Instant>>>,
    arrived: Arc<Notify>,
}

impl Seen {
    fn note(&self, ingress: &Ingress, at: Instant) {
        let hosts = ingress
            .spec
            .iter()
            .flat_map(|spec| spec.rules.iter().flatten())
            .filter_map(|rule| rule.host.clone());
        let mut seen = self.hosts.lock().unwrap_or_else(PoisonError::into_inner);
        for host in hosts {
            seen.entry(host).or_insert(at);
        }
        drop(seen);
        self.arrived.notify_waiters();
    }

    /// When `host` was first seen, waiting for it up to `bound`.
    pub async fn wait(&self, host: &str, bound: Duration) -> Result<Instant, String> {
        let started = Instant::now();
        loop {
            let arrived = self.arrived.notified();
            if let Some(at) = self.hosts.lock().unwrap_or_else(PoisonError::into_inner).get(host) {
                return Ok(*at);
            }
            let left = bound.saturating_sub(started.elapsed());
            if left.is_zero() {
                return Err(format!("the baseline watcher never saw {host}"));
            }
            let _ = tokio::time::timeout(left, arrived).await;
        }
    }
}

/// Starts watching every Ingress through `client`; returns once the
/// first list is complete.
pub async fn start(client: kube::Client) -> Result<Seen, String> {
    let seen = Seen::default();
    let noting = seen.clone();
    let (listed, on_listed) = oneshot::channel();
    tokio::spawn(async move {
        let mut listed = Some(listed);
        let mut events = std::pin::pin!(watcher::watcher(
            Api::<Ingress>::all(client),
            watcher::Config::default()
        ));
        while let Some(event) = events.next().await {
            match event {
                Ok(Event::Apply(ingress)) => noting.note(&ingress, Instant::now()),
                Ok(Event::InitDone) => {
                    if let Some(listed) = listed.take() {
                        let _ = listed.send(());
                    }
                }
                Ok(_) | Err(_) => {}
            }
        }
    });
    tokio::time::timeout(Duration::from_secs(120), on_listed)
        .await
        .map_err(|_| "the baseline watcher did not list within 120 s".to_owned())?
        .map_err(|_| "the baseline watcher stopped".to_owned())?;
    Ok(seen)
}
