//! Passive outlier ejection for one endpoint, as a state machine with no
//! clock and no I/O of its own: the caller says what happened and when.
//!
//! An endpoint whose connects keep failing ([`Policy::failures`] in a row)
//! is taken out of rotation for a back-off period: [`Policy::base`] the
//! first time, doubled at each ejection that follows without a success in
//! between, up to [`Policy::MAX_DOUBLINGS`] doublings. Once the period is
//! over the endpoint is back on probation: one more failure ejects it again
//! (for the longer period), one success clears its record. It is the
//! scheme of nginx's `max_fails`/`fail_timeout` and of Envoy's
//! consecutive-gateway-failure detection, on connect failures only: an
//! endpoint that accepts connections is never ejected for its answers.
//!
//! Whether ejecting is allowed at all (never the last endpoint of a
//! backend still in rotation) is the caller's: see `health`.
//!
//! The unit tests below walk through each transition on a made-up clock.

use std::time::{Duration, Instant};

/// When an endpoint is ejected, and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Policy {
    /// Connect failures in a row that eject an endpoint in good standing.
    pub(crate) failures: u32,
    /// How long the first ejection lasts.
    pub(crate) base: Duration,
}

impl Policy {
    /// Doublings of [`Policy::base`] at most: with the default base of 1 s,
    /// ejections last 1, 2, 4, 8, 16, then 32 s each.
    pub(crate) const MAX_DOUBLINGS: u32 = 5;

    /// Three connect failures in a row; 1 s for a first ejection. A refused
    /// connect costs a retry on another endpoint, not an answer, so a short
    /// base costs little, and an endpoint that comes back soon (a restarted
    /// pod) is not shunned for long.
    pub(crate) const DEFAULT: Self = Self {
        failures: 3,
        base: Duration::from_secs(1),
    };

    /// How long the `ejections`-th ejection in a row lasts (from 1).
    pub(crate) fn period(&self, ejections: u32) -> Duration {
        let doublings = ejections.saturating_sub(1).min(Self::MAX_DOUBLINGS);
        self.base.saturating_mul(1 << doublings)
    }
}

/// Where an endpoint stands, as a picker asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Standing {
    /// In rotation.
    InRotation,
    /// Out of rotation until its back-off period is over.
    Ejected,
    /// In rotation again from now on: its back-off period just ended (said
    /// once, to the caller that noticed).
    Readmitted,
}

/// One endpoint's record: failures in a row, ejections in a row, and the
/// end of the current ejection.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Outlier {
    /// Connect failures since the last success (or ejection).
    failures: u32,
    /// Ejections since the last success; 0 in good standing, otherwise on
    /// probation (or ejected).
    ejections: u32,
    /// Out of rotation until then.
    ejected_until: Option<Instant>,
}

impl Outlier {
    /// A connect failed at `now`; true when this ejects the endpoint.
    /// `may_eject` is false when the endpoint is the last of its backend
    /// in rotation: its failures are still counted.
    pub(crate) fn failed(&mut self, policy: &Policy, now: Instant, may_eject: bool) -> bool {
        self.failures = self.failures.saturating_add(1);
        if self.is_ejected(now) || !may_eject {
            return false;
        }
        // On probation, one failure is enough.
        let threshold = if self.ejections > 0 { 1 } else { policy.failures.max(1) };
        if self.failures < threshold {
            return false;
        }
        self.ejections = self.ejections.saturating_add(1);
        self.failures = 0;
        self.ejected_until = Some(now + policy.period(self.ejections));
        true
    }

    /// A request got an answer: the record is cleared. True when the
    /// endpoint was out of rotation until now (a request picked before the
    /// ejection, or while every endpoint was ejected, got through).
    pub(crate) fn succeeded(&mut self) -> bool {
        let was_ejected = self.ejected_until.is_some();
        *self = Self::default();
        was_ejected
    }

    /// Where the endpoint stands at `now`; the first call after the
    /// period is over readmits it.
    pub(crate) fn standing(&mut self, now: Instant) -> Standing {
        match self.ejected_until {
            None => Standing::InRotation,
            Some(until) if now < until => Standing::Ejected,
            Some(_) => {
                self.ejected_until = None;
                Standing::Readmitted
            }
        }
    }

    /// Out of rotation at `now` (nothing changes).
    pub(crate) fn is_ejected(&self, now: Instant) -> bool {
        self.ejected_until.is_some_and(|until| now < until)
    }

    /// Nothing on record: no failure since the last success, no ejection.
    pub(crate) fn is_clear(&self) -> bool {
        *self == Self::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: Policy = Policy {
        failures: 3,
        base: Duration::from_secs(10),
    };

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    #[test]
    fn the_third_connect_failure_in_a_row_ejects_for_the_base_period() {
        let t0 = Instant::now();
        let mut outlier = Outlier::default();
        assert!(!outlier.failed(&POLICY, t0, true));
        assert!(!outlier.failed(&POLICY, t0, true));
        assert_eq!(outlier.standing(t0), Standing::InRotation);
        assert!(outlier.failed(&POLICY, t0, true));
        assert_eq!(outlier.standing(t0), Standing::Ejected);
        assert_eq!(outlier.standing(t0 + secs(9)), Standing::Ejected);
        assert_eq!(outlier.standing(t0 + secs(10)), Standing::Readmitted);
        // Said once.
        assert_eq!(outlier.standing(t0 + secs(10)), Standing::InRotation);
    }

    #[test]
    fn a_success_between_failures_resets_the_count() {
        let t0 = Instant::now();
        let mut outlier = Outlier::default();
        for _ in 0..10 {
            assert!(!outlier.failed(&POLICY, t0, true));
            assert!(!outlier.failed(&POLICY, t0, true));
            assert!(!outlier.succeeded());
            assert!(outlier.is_clear());
        }
        assert_eq!(outlier.standing(t0), Standing::InRotation);
    }

    #[test]
    fn on_probation_one_failure_ejects_again_for_twice_as_long() {
        let t0 = Instant::now();
        let mut outlier = Outlier::default();
        for _ in 0..3 {
            outlier.failed(&POLICY, t0, true);
        }
        let t1 = t0 + secs(10);
        assert_eq!(outlier.standing(t1), Standing::Readmitted);
        assert!(!outlier.is_clear(), "on probation");
        assert!(outlier.failed(&POLICY, t1, true));
        assert!(outlier.is_ejected(t1 + secs(19)));
        assert!(!outlier.is_ejected(t1 + secs(20)));
    }

    #[test]
    fn the_back_off_doubles_up_to_its_cap() {
        let mut now = Instant::now();
        let mut outlier = Outlier::default();
        let mut periods = Vec::new();
        for _ in 0..3 {
            outlier.failed(&POLICY, now, true);
        }
        for _ in 0..8 {
            let mut period = Duration::ZERO;
            while outlier.is_ejected(now + period) {
                period += secs(1);
            }
            periods.push(period.as_secs());
            now += period;
            assert_eq!(outlier.standing(now), Standing::Readmitted);
            assert!(outlier.failed(&POLICY, now, true));
        }
        assert_eq!(periods, [10, 20, 40, 80, 160, 320, 320, 320]);
    }

    #[test]
    fn a_success_ends_probation_and_the_back_off() {
        let t0 = Instant::now();
        let mut outlier = Outlier::default();
        for _ in 0..3 {
            outlier.failed(&POLICY, t0, true);
        }
        let t1 = t0 + secs(10);
        assert_eq!(outlier.standing(t1), Standing::Readmitted);
        assert!(!outlier.succeeded(), "already readmitted");
        assert!(outlier.is_clear());
        // A first-time failure again: three needed, base period.
        assert!(!outlier.failed(&POLICY, t1, true));
        assert!(!outlier.failed(&POLICY, t1, true));
        assert!(outlier.failed(&POLICY, t1, true));
        assert!(!outlier.is_ejected(t1 + secs(10)));
    }

    #[test]
    fn a_success_while_ejected_readmits_at_once() {
        let t0 = Instant::now();
        let mut outlier = Outlier::default();
        for _ in 0..3 {
            outlier.failed(&POLICY, t0, true);
        }
        assert!(outlier.succeeded());
        assert_eq!(outlier.standing(t0), Standing::InRotation);
    }

    #[test]
    fn the_last_endpoint_in_rotation_is_never_ejected() {
        let t0 = Instant::now();
        let mut outlier = Outlier::default();
        for _ in 0..10 {
            assert!(!outlier.failed(&POLICY, t0, false));
        }
        assert_eq!(outlier.standing(t0), Standing::InRotation);
        // Its failures were counted: once another is in rotation, the next
        // one ejects it.
        assert!(outlier.failed(&POLICY, t0, true));
    }

    #[test]
    fn failures_while_ejected_do_not_extend_the_ejection() {
        let t0 = Instant::now();
        let mut outlier = Outlier::default();
        for _ in 0..3 {
            outlier.failed(&POLICY, t0, true);
        }
        for _ in 0..5 {
            assert!(!outlier.failed(&POLICY, t0 + secs(5), true));
        }
        assert_eq!(outlier.standing(t0 + secs(10)), Standing::Readmitted);
    }

    #[test]
    fn a_threshold_of_zero_acts_as_one() {
        let policy = Policy {
            failures: 0,
            base: Duration::from_millis(100),
        };
        let t0 = Instant::now();
        let mut outlier = Outlier::default();
        assert!(outlier.failed(&policy, t0, true));
    }
}
