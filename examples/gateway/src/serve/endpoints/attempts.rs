//! One request's way through its backend's endpoints: the endpoint of its
//! round-robin turn first; after a connect failure, the next one it has not
//! tried, endpoints in rotation before ejected ones. Each retry looks at
//! the backend's endpoints as they are then (a refresh may have changed
//! them), and skips the addresses already tried.
//!
//! A failed connect (refused, unreachable, not made in time) sent nothing,
//! so any request may go on to another endpoint, its body included: the
//! body is read only once a connection is made. A request tries each
//! endpoint of its backend once at most, [`MAX_ATTEMPTS`] at most in all.
//! Each connect ends at the connect timeout, and the connects after a
//! first failure share one connect timeout more. So a backend whose
//! endpoints all refuse answers 502 as soon as they have refused, and one
//! whose endpoints all swallow connects answers 502 after twice the
//! connect timeout.
//!
//! Each connect failure goes on the endpoint's record (see
//! [`super::outlier`]); an answer clears it. Failures after a connection
//! was made (a reset, a timeout, a bad answer) are not connect failures:
//! the request may have reached the upstream, and it is not sent again.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use http::Response;

use super::outlier::Standing;
use super::{Member, Upstream};
use crate::serve::metrics::Metrics;
use crate::serve::state::{Gateway, TcpEndpoint};
use crate::upstream::{self, Outbound, SendError, TcpConnect, UpstreamBody};

/// Connect attempts of one request at most, whatever the number of
/// endpoints (10 endpoints of which 9 refuse are still all within reach).
pub(crate) const MAX_ATTEMPTS: usize = 16;

/// The endpoints one request has tried, and the one it is at.
#[derive(Debug)]
pub(crate) struct Attempts {
    upstream: Arc<Upstream>,
    /// The request's round-robin turn: where its walk starts.
    turn: usize,
    current: Arc<Member>,
    /// Addresses tried before the current one (allocated on a first retry).
    tried: Vec<SocketAddr>,
}

impl Attempts {
    /// The attempts of the request whose turn is `turn`; `None` when
    /// `members` is empty.
    pub(super) fn new(
        upstream: Arc<Upstream>,
        members: &[Arc<Member>],
        turn: usize,
        metrics: &Metrics,
    ) -> Option<Self> {
        let current = next(&upstream, members, turn, &[], metrics)?;
        Some(Self {
            upstream,
            turn,
            current,
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
        // Set at the first connect failure: the first connect has the
        // connect timeout of its own (also after a reused connection failed
        // under it), the others share one more.
        let mut connect_by = None;
        let metrics = &gateway.metrics;
        let mut outbound = outbound;
        loop {
            match self.current.endpoint.send(outbound, connect_by).await {
                Ok(response) => {
                    if self.current.health.succeeded() {
                        self.upstream.count_ejected(metrics);
                    }
                    return Ok(response);
                }
                Err(SendError::Failed(error)) => return Err(error),
                Err(SendError::NotConnected { error, outbound: back }) => {
                    tracing::debug!(endpoint = %self.endpoint().address(), %error, "connect failed");
                    self.connect_failed(metrics);
                    let now = tokio::time::Instant::now();
                    let by = *connect_by.get_or_insert(now + gateway.settings.connect_timeout);
                    if now >= by || !self.retry(metrics) {
                        return Err(error);
                    }
                    metrics.failover.count_retry(self.upstream.key());
                    outbound = back;
                }
            }
        }
    }

    /// Puts a connect failure on the current endpoint's record; ejects it
    /// if that is its due, unless it is the last of its backend in
    /// rotation.
    fn connect_failed(&self, metrics: &Metrics) {
        let now = Instant::now();
        let members = self.upstream.members();
        let others_in_rotation = members
            .iter()
            .any(|member| !Arc::ptr_eq(member, &self.current) && !member.health.is_ejected(now));
        if self
            .current
            .health
            .failed(self.upstream.policy(), now, others_in_rotation)
        {
            tracing::info!(
                endpoint = %self.endpoint().address(),
                backend = %self.upstream.key(),
                "endpoint ejected after connect failures"
            );
            metrics.failover.count_ejection(self.upstream.key());
            self.upstream.count_ejected(metrics);
        }
    }

    /// Moves to an endpoint not tried yet; false when none is left, or
    /// the request has made all the attempts it may.
    fn retry(&mut self, metrics: &Metrics) -> bool {
        self.tried.push(self.current.endpoint.address());
        if self.tried.len() >= MAX_ATTEMPTS {
            return false;
        }
        let members = self.upstream.members();
        match next(&self.upstream, &members, self.turn, &self.tried, metrics) {
            Some(member) => {
                self.current = member;
                true
            }
            None => false,
        }
    }
}

/// The first of `members` from the `turn`-th on whose address is not in
/// `tried`: one in rotation if there is one, else an ejected one (a
/// backend never has all its endpoints out of rotation). The clock is read
/// only if an endpoint on the way has something on its record.
fn next(
    upstream: &Upstream,
    members: &[Arc<Member>],
    turn: usize,
    tried: &[SocketAddr],
    metrics: &Metrics,
) -> Option<Arc<Member>> {
    let start = turn.checked_rem(members.len())?;
    let mut now = None;
    let mut ejected = None;
    let (after, before) = (members.get(start..)?, members.get(..start)?);
    for member in after.iter().chain(before) {
        if tried.contains(&member.endpoint.address()) {
            continue;
        }
        match member.health.standing(|| *now.get_or_insert_with(Instant::now)) {
            Standing::InRotation => return Some(Arc::clone(member)),
            Standing::Readmitted => {
                tracing::debug!(endpoint = %member.endpoint.address(), "endpoint back in rotation");
                upstream.count_ejected(metrics);
                return Some(Arc::clone(member));
            }
            Standing::Ejected => {
                ejected.get_or_insert(member);
            }
        }
    }
    ejected.map(Arc::clone)
}

#[cfg(test)]
mod tests;
