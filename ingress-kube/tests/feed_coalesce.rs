//! Coalescing on an injected clock: a quiet period, a maximum delay.

use std::time::{Duration, Instant};

use ingress_kube::feed::Coalescer;

const QUIET: Duration = Duration::from_millis(100);
const MAX: Duration = Duration::from_secs(1);

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

#[test]
fn nothing_is_due_without_a_change() {
    let mut coalescer = Coalescer::new(QUIET, MAX);
    assert!(!coalescer.is_pending());
    assert_eq!(coalescer.deadline(), None);
    assert!(!coalescer.take(Instant::now() + MAX));
}

#[test]
fn a_change_is_due_after_the_quiet_period() {
    let start = Instant::now();
    let mut coalescer = Coalescer::new(QUIET, MAX);
    coalescer.changed(start);
    assert_eq!(coalescer.deadline(), Some(start + QUIET));
    assert!(!coalescer.take(start + ms(99)));
    assert!(coalescer.take(start + ms(100)));
    // Taken: nothing is pending any more.
    assert!(!coalescer.take(start + ms(200)));
}

#[test]
fn a_burst_waits_for_quiet_and_makes_one_rebuild() {
    let start = Instant::now();
    let mut coalescer = Coalescer::new(QUIET, MAX);
    let mut rebuilds = 0;
    // A change every 50 ms for 400 ms, then silence.
    for step in 0..=8 {
        let now = start + ms(step * 50);
        coalescer.changed(now);
        rebuilds += u32::from(coalescer.take(now));
    }
    assert_eq!(rebuilds, 0);
    assert!(!coalescer.take(start + ms(499)));
    assert!(coalescer.take(start + ms(500)));
}

#[test]
fn an_endless_burst_is_rebuilt_at_the_maximum_delay() {
    let start = Instant::now();
    let mut coalescer = Coalescer::new(QUIET, MAX);
    let mut taken_at = Vec::new();
    for step in 0..=50 {
        let now = start + ms(step * 50);
        coalescer.changed(now);
        if coalescer.take(now) {
            taken_at.push(step * 50);
        }
    }
    // Every change 50 ms after the last: never quiet, so once a second
    // from the first change of each burst.
    assert_eq!(taken_at, [1000, 2050]);
}

#[test]
fn without_a_maximum_delay_only_quiet_rebuilds() {
    let start = Instant::now();
    let mut coalescer = Coalescer::new(QUIET, Duration::MAX);
    for step in 0..100 {
        let now = start + ms(step * 50);
        coalescer.changed(now);
        assert!(!coalescer.take(now));
    }
    assert!(coalescer.take(start + ms(99 * 50 + 100)));
}

#[test]
fn clear_forgets_pending_changes() {
    let start = Instant::now();
    let mut coalescer = Coalescer::default();
    assert_eq!((coalescer.quiet(), coalescer.max_delay()), (QUIET, MAX));
    coalescer.changed(start);
    coalescer.clear();
    assert!(!coalescer.take(start + MAX));
}
