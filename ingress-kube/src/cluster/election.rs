//! Leader election: several replicas serve traffic, one writes status and
//! Events. A `coordination.k8s.io/v1` Lease, held through
//! kube-lease-manager (server-side apply, one field manager per
//! candidate); the holder renews it `grace` before it expires, and lets it
//! go when its task is dropped, so another candidate takes over at once,
//! or at the latest when the lease expires (a leader that died).

use std::time::Duration;

use kube::Client;
use kube_lease_manager::{LeaseManagerBuilder, LeaseParams};
use tokio::sync::watch;

/// The Lease the candidates compete for, and who this one is.
///
/// ```
/// use std::time::Duration;
/// use ingress_kube::cluster::Election;
///
/// let election = Election::new("ingress-gateway-leader", "ingress-gateway", "gateway-0")
///     .with_timing(Duration::from_secs(3), Duration::from_secs(1));
/// assert_eq!(election.identity(), "gateway-0");
/// assert_eq!(election.duration(), Duration::from_secs(3));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Election {
    lease: String,
    namespace: String,
    identity: String,
    duration: u64,
    grace: u64,
}

impl Election {
    /// Competes for Lease `lease` in `namespace` as `identity` (unique
    /// per replica: the pod's name, see [`default_identity`]), holding it
    /// 15 s and renewing it 5 s before it expires.
    pub fn new(lease: impl Into<String>, namespace: impl Into<String>, identity: impl Into<String>) -> Self {
        Self {
            lease: lease.into(),
            namespace: namespace.into(),
            identity: identity.into(),
            duration: 15,
            grace: 5,
        }
    }

    /// Holds the Lease for `duration` and renews it `grace` before it
    /// expires: a dead leader is replaced within `duration`. Both are
    /// whole seconds (rounded up); `duration` is at least 2 s, and
    /// `grace` at least 1 s and less than `duration`.
    pub fn with_timing(mut self, duration: Duration, grace: Duration) -> Self {
        let seconds = |d: Duration| d.as_secs() + u64::from(d.subsec_nanos() > 0);
        self.duration = seconds(duration).max(2);
        self.grace = seconds(grace).clamp(1, self.duration - 1);
        self
    }

    /// This candidate's identity.
    pub fn identity(&self) -> &str {
        &self.identity
    }

    /// The Lease's name.
    pub fn lease(&self) -> &str {
        &self.lease
    }

    /// The Lease's namespace.
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// How long the Lease is held without renewal.
    pub fn duration(&self) -> Duration {
        Duration::from_secs(self.duration)
    }
}

/// A replica's identity as Kubernetes knows it: `POD_NAME` (the downward
/// API), else `HOSTNAME` (a pod's hostname is its name), else the
/// kernel's host name, else `ingress-gateway`.
pub fn default_identity() -> String {
    let from_env = |name: &str| std::env::var(name).ok().filter(|value| !value.trim().is_empty());
    from_env("POD_NAME")
        .or_else(|| from_env("HOSTNAME"))
        .or_else(|| {
            std::fs::read_to_string("/proc/sys/kernel/hostname")
                .ok()
                .map(|name| name.trim().to_owned())
                .filter(|name| !name.is_empty())
        })
        .unwrap_or_else(|| "ingress-gateway".to_owned())
}

/// Runs for ever: competes for the Lease and tells `leader` whether this
/// candidate holds it. Failures (no RBAC, API server down) are logged
/// and retried with backoff, meanwhile as a follower. Dropping the future
/// drops the lease manager's channel, which releases the Lease.
pub(crate) async fn campaign(client: Client, election: Election, leader: watch::Sender<bool>) {
    let mut backoff = Duration::from_millis(500);
    loop {
        let params = LeaseParams::new(election.identity.clone(), election.duration, election.grace);
        let built = LeaseManagerBuilder::new(client.clone(), election.lease.clone())
            .with_namespace(election.namespace.clone())
            .with_parameters(params)
            .build()
            .await;
        let manager = match built {
            Ok(manager) => manager,
            Err(error) => {
                tracing::warn!(%error, lease = %election.lease, "cannot set up the leader election; retrying");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(30));
                continue;
            }
        };
        backoff = Duration::from_millis(500);
        let (mut holding, task) = manager.watch().await;
        loop {
            let now = *holding.borrow_and_update();
            if leader.send_replace(now) != now {
                tracing::info!(identity = %election.identity, leader = now, "leadership changed");
            }
            if holding.changed().await.is_err() {
                break;
            }
        }
        // The manager's task ended (it only does on a failure to release).
        if let Ok(Err(error)) = task.await {
            tracing::warn!(%error, "the leader election stopped; starting it again");
        }
        leader.send_replace(false);
    }
}
