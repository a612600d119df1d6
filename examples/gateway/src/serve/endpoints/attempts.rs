//! One request's way through its backend's endpoints: the endpoint of its
//! round-robin turn first; after a connect failure, the next one it has not
//! tried, endpoints in rotation before ejected ones.
//!
//! A failed connect (refused, unreachable, not made in time) sent nothing,
//! so any request may go on to another endpoint, its body included: the
//! body is read only once a connection is made. A request tries each
//! endpoint of its backend once at most, [`MAX_ATTEMPTS`] at most in all,
//! and starts no connect later than [`CONNECT_TIMEOUTS`] connect timeouts
//! after its first began (each connect also ends at the connect timeout).
//! So a backend whose endpoints all refuse answers 502 as soon as they
//! have refused, and one whose endpoints all swallow connects answers 502
//! after twice the connect timeout.
//!
//! Each connect failure goes on the endpoint's record (see
//! [`super::outlier`]); an answer clears it. Failures after a connection
//! was made (a reset, a timeout, a bad answer) are not connect failures:
//! the request may have reached the upstream, and it is not sent again.

use std::sync::Arc;
use std::time::Instant;

use http::Response;

use super::outlier::Standing;
use super::{Member, Upstream, ejected};
use crate::serve::metrics::Metrics;
use crate::serve::state::{Gateway, TcpEndpoint};
use crate::upstream::{self, Outbound, SendError, TcpConnect, UpstreamBody};

/// Connect attempts of one request at most, whatever the number of
/// endpoints (10 endpoints of which 9 refuse are still all within reach).
pub(crate) const MAX_ATTEMPTS: usize = 16;

/// How many connect timeouts the attempts of one request may span.
pub(crate) const CONNECT_TIMEOUTS: u32 = 2;

/// The endpoints one request has tried, and the one it is at.
#[derive(Debug)]
pub(crate) struct Attempts {
    upstream: Arc<Upstream>,
    /// The backend's endpoints when the request came: a refresh meanwhile
    /// changes nothing for it.
    members: Arc<[Member]>,
    /// Where its round-robin turn starts.
    start: usize,
    /// The endpoint it is at, and its index in `members`.
    current: Member,
    index: usize,
    /// Indices tried before the current one (allocated on a first retry).
    tried: Vec<usize>,
}

impl Attempts {
    /// The attempts of a request whose turn is `turn`; `None` when
    /// `members` is empty.
    pub(super) fn new(upstream: Arc<Upstream>, members: Arc<[Member]>, turn: usize, metrics: &Metrics) -> Option<Self> {
        let start = turn.checked_rem(members.len())?;
        let index = next_index(&upstream, &members, start, &[], metrics)?;
        let current = members.get(index)?.clone();
        Some(Self {
            upstream,
            members,
            start,
            current,
            index,
            tried: Vec::new(),
        })
    }

    /// The endpoint the request is at.
    pub(crate) fn endpoint(&self) -> &Arc<TcpEndpoint> {
        &self.current.endpoint
    }

    /// Sends `outbound` to the endpoint the request is at, and on to
    /// others while connects fail; the error is the last endpoint's.
    pub(crate) async fn send(
        &mut self,
        gateway: &Gateway,
        outbound: Outbound,
    ) -> Result<Response<UpstreamBody<TcpConnect>>, upstream::Error> {
        let connect_by =
            tokio::time::Instant::now() + gateway.settings.connect_timeout.saturating_mul(CONNECT_TIMEOUTS);
        let metrics = &gateway.metrics;
        let mut outbound = outbound;
        loop {
            match self.current.endpoint.send(outbound, connect_by).await {
                Ok(response) => {
                    self.succeeded(metrics);
                    return Ok(response);
                }
                Err(SendError::Failed(error)) => return Err(error),
                Err(SendError::NotConnected { error, outbound: back }) => {
                    tracing::debug!(endpoint = %self.endpoint().address(), %error, "connect failed");
                    self.connect_failed(metrics);
                    if tokio::time::Instant::now() >= connect_by || !self.retry(metrics) {
                        return Err(error);
                    }
                    metrics.failover.count_retry(self.upstream.key());
                    outbound = back;
                }
            }
        }
    }

    fn succeeded(&self, metrics: &Metrics) {
        if self.current.health.succeeded() {
            self.count_ejected(metrics, Instant::now());
        }
    }

    /// Puts a connect failure on the current endpoint's record; ejects it
    /// if that is its due, unless it is the last of its backend in
    /// rotation.
    fn connect_failed(&self, metrics: &Metrics) {
        let now = Instant::now();
        let others_in_rotation = self
            .members
            .iter()
            .any(|member| !Arc::ptr_eq(&member.health, &self.current.health) && !member.health.is_ejected(now));
        let policy = self.upstream.policy();
        if self.current.health.failed(policy, now, others_in_rotation) {
            tracing::info!(
                endpoint = %self.endpoint().address(),
                backend = %self.upstream.key(),
                "endpoint ejected after connect failures"
            );
            metrics.failover.count_ejection(self.upstream.key());
            self.count_ejected(metrics, now);
        }
    }

    /// Moves to an endpoint not tried yet; false when none is left, or
    /// the request has made all the attempts it may.
    fn retry(&mut self, metrics: &Metrics) -> bool {
        self.tried.push(self.index);
        if self.tried.len() >= self.members.len().min(MAX_ATTEMPTS) {
            return false;
        }
        self.go_to_next(metrics)
    }

    fn go_to_next(&mut self, metrics: &Metrics) -> bool {
        let next = next_index(&self.upstream, &self.members, self.start, &self.tried, metrics);
        let Some((index, member)) = next.and_then(|index| Some((index, self.members.get(index)?))) else {
            return false;
        };
        self.current = member.clone();
        self.index = index;
        true
    }

    fn count_ejected(&self, metrics: &Metrics, now: Instant) {
        count_ejected(&self.upstream, &self.members, metrics, now);
    }
}

/// The first of `members` from `start` not in `tried`: one in rotation if
/// there is one, else an ejected one (a backend never has all its endpoints
/// out of rotation). The clock is read only if an endpoint on the way has
/// something on its record.
fn next_index(
    upstream: &Upstream,
    members: &[Member],
    start: usize,
    tried: &[usize],
    metrics: &Metrics,
) -> Option<usize> {
    let count = members.len();
    let mut now = None;
    let mut ejected = None;
    for offset in 0..count {
        let index = (start + offset) % count;
        if tried.contains(&index) {
            continue;
        }
        let Some(member) = members.get(index) else { continue };
        match member.health.standing(|| *now.get_or_insert_with(Instant::now)) {
            Standing::InRotation => return Some(index),
            Standing::Readmitted => {
                tracing::debug!(endpoint = %member.endpoint.address(), "endpoint back in rotation");
                count_ejected(upstream, members, metrics, now.unwrap_or_else(Instant::now));
                return Some(index);
            }
            Standing::Ejected => {
                ejected.get_or_insert(index);
            }
        }
    }
    ejected
}

fn count_ejected(upstream: &Upstream, members: &[Member], metrics: &Metrics, now: Instant) {
    metrics.failover.set_ejected(upstream.key(), ejected(members, now));
}
