//! A coarse timer for the per-request timeouts (reading a request's head,
//! waiting for an upstream's answer).
//!
//! Those timeouts are seconds long and almost never fire, yet each request
//! arms two of them. Tokio's timer wheel is exact to the millisecond, and
//! arming and disarming one of its entries costs more than the rest of the
//! request's bookkeeping. Here a deadline is a slot in a list, and a
//! background thread wakes what is due every [`TICK`]: a timeout fires up to
//! one tick late, never early. `benches/timer.rs` measures it against
//! tokio's timer.
//!
//! ```
//! use std::time::Duration;
//! use ingress_gateway::timer::{CoarseTimer, Elapsed};
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let timer = CoarseTimer::new()?;
//! assert_eq!(timer.timeout(Duration::from_secs(5), async { 7 }).await, Ok(7));
//! let never = std::future::pending::<()>();
//! assert_eq!(timer.timeout(Duration::from_millis(1), never).await, Err(Elapsed));
//! # Ok::<(), std::io::Error>(())
//! # }).unwrap();
//! ```

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

/// How often due deadlines are looked for.
pub const TICK: Duration = Duration::from_millis(100);

/// A handle on the timer; clones share it.
#[derive(Clone)]
pub struct CoarseTimer {
    inner: Arc<Inner>,
}

struct Inner {
    /// Tick 0.
    start: Instant,
    /// Ticks passed, as the background thread counts them.
    now: AtomicU64,
    slots: Mutex<Slots>,
}

/// Armed deadlines, with free places reused.
#[derive(Default)]
struct Slots {
    entries: Vec<Option<Entry>>,
    free: Vec<usize>,
}

struct Entry {
    due: u64,
    waker: Option<Waker>,
    fired: bool,
}

impl CoarseTimer {
    /// A timer, and the thread that ticks it (it ends once every handle
    /// and sleep is gone).
    pub fn new() -> std::io::Result<Self> {
        let inner = Arc::new(Inner {
            start: Instant::now(),
            now: AtomicU64::new(0),
            slots: Mutex::new(Slots::default()),
        });
        let weak = Arc::downgrade(&inner);
        std::thread::Builder::new()
            .name("coarse-timer".to_owned())
            .spawn(move || tick(&weak))?;
        Ok(Self { inner })
    }

    /// A future that completes once `deadline` has passed (by up to a tick).
    pub fn sleep_until(&self, deadline: Instant) -> CoarseSleep {
        // Rounded up: never early.
        let after = deadline.saturating_duration_since(self.inner.start);
        let due = after.as_nanos().div_ceil(TICK.as_nanos());
        CoarseSleep {
            inner: Arc::clone(&self.inner),
            due: u64::try_from(due).unwrap_or(u64::MAX),
            slot: None,
            done: false,
        }
    }

    /// A future that completes once `duration` has passed (by up to a tick).
    pub fn sleep(&self, duration: Duration) -> CoarseSleep {
        self.sleep_until(Instant::now() + duration)
    }

    /// `future`'s output, or `Err(Elapsed)` once `duration` has passed.
    pub async fn timeout<F: Future>(&self, duration: Duration, future: F) -> Result<F::Output, Elapsed> {
        let sleep = self.sleep(duration);
        let mut future = std::pin::pin!(future);
        let mut sleep = std::pin::pin!(sleep);
        std::future::poll_fn(|cx| {
            if let Poll::Ready(output) = future.as_mut().poll(cx) {
                return Poll::Ready(Ok(output));
            }
            sleep.as_mut().poll(cx).map(|()| Err(Elapsed))
        })
        .await
    }
}

/// A timeout passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Elapsed;

impl Inner {
    fn lock(&self) -> MutexGuard<'_, Slots> {
        // The slots stay consistent whatever panicked while holding them.
        self.slots.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The background thread: every tick, wake what is due. The tick count is
/// read off the clock, not counted, so time spent scanning or oversleeping
/// never makes the timer fall behind.
fn tick(inner: &Weak<Inner>) {
    let tick = TICK.as_nanos();
    loop {
        let Some(inner) = inner.upgrade() else { return };
        let elapsed = inner.start.elapsed().as_nanos();
        let now = u64::try_from(elapsed / tick).unwrap_or(u64::MAX);
        inner.now.fetch_max(now, Ordering::AcqRel);
        let mut due = Vec::new();
        {
            let mut slots = inner.lock();
            for entry in slots.entries.iter_mut().flatten() {
                if !entry.fired && entry.due <= now {
                    entry.fired = true;
                    due.extend(entry.waker.take());
                }
            }
        }
        // Woken outside the lock: a woken task may arm a new deadline.
        for waker in due {
            waker.wake();
        }
        drop(inner);
        // Until the next tick boundary.
        let into_tick = u64::try_from(elapsed % tick).unwrap_or(0);
        let tick_nanos = u64::try_from(tick).unwrap_or(u64::MAX);
        std::thread::sleep(Duration::from_nanos(tick_nanos - into_tick));
    }
}

/// One deadline. Armed on its first poll; dropping it disarms it.
#[must_use = "a sleep does nothing unless awaited"]
pub struct CoarseSleep {
    inner: Arc<Inner>,
    due: u64,
    slot: Option<usize>,
    done: bool,
}

impl Future for CoarseSleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        if this.done {
            return Poll::Ready(());
        }
        if this.inner.now.load(Ordering::Acquire) >= this.due {
            this.disarm();
            this.done = true;
            return Poll::Ready(());
        }
        let mut slots = this.inner.lock();
        match this.slot {
            // Due by now (a tick may have passed since the check above, and
            // its scan would not see a slot armed after it).
            None if this.inner.now.load(Ordering::Acquire) >= this.due => {
                this.done = true;
                Poll::Ready(())
            }
            None => {
                let entry = Some(Entry {
                    due: this.due,
                    waker: Some(cx.waker().clone()),
                    fired: false,
                });
                // A free place is reused; the list grows only with the
                // number of deadlines armed at once.
                let slot = match slots.free.pop() {
                    Some(slot) if slot < slots.entries.len() => {
                        if let Some(place) = slots.entries.get_mut(slot) {
                            *place = entry;
                        }
                        slot
                    }
                    _ => {
                        slots.entries.push(entry);
                        slots.entries.len() - 1
                    }
                };
                this.slot = Some(slot);
                Poll::Pending
            }
            Some(slot) => {
                let Some(entry) = slots.entries.get_mut(slot).and_then(Option::as_mut) else {
                    // Not reachable: the slot is ours until disarmed.
                    return Poll::Ready(());
                };
                if entry.fired {
                    drop(slots);
                    this.disarm();
                    this.done = true;
                    return Poll::Ready(());
                }
                match &mut entry.waker {
                    Some(waker) if waker.will_wake(cx.waker()) => {}
                    waker => *waker = Some(cx.waker().clone()),
                }
                Poll::Pending
            }
        }
    }
}

impl CoarseSleep {
    fn disarm(&mut self) {
        if let Some(slot) = self.slot.take() {
            let mut slots = self.inner.lock();
            if let Some(entry) = slots.entries.get_mut(slot) {
                *entry = None;
                slots.free.push(slot);
            }
        }
    }
}

impl Drop for CoarseSleep {
    fn drop(&mut self) {
        self.disarm();
    }
}

/// hyper's timer interface, for the server's header-read timeout.
impl hyper::rt::Timer for CoarseTimer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn hyper::rt::Sleep>> {
        Box::pin(CoarseTimer::sleep(self, duration))
    }

    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn hyper::rt::Sleep>> {
        Box::pin(CoarseTimer::sleep_until(self, deadline))
    }
}

impl hyper::rt::Sleep for CoarseSleep {}

impl std::fmt::Debug for CoarseTimer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CoarseTimer")
            .field("ticks", &self.inner.now.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for CoarseSleep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CoarseSleep")
            .field("due_tick", &self.due)
            .field("armed", &self.slot.is_some())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_sleep_ends_after_its_deadline_and_at_most_two_ticks_later() {
        let timer = CoarseTimer::new().unwrap();
        for wait in [Duration::ZERO, Duration::from_millis(50), Duration::from_millis(250)] {
            let started = Instant::now();
            timer.sleep(wait).await;
            let took = started.elapsed();
            assert!(took >= wait, "{took:?} < {wait:?}");
            assert!(
                took < wait + 2 * TICK + Duration::from_millis(100),
                "{took:?} for {wait:?}"
            );
        }
    }

    #[tokio::test]
    async fn timeout_passes_a_quick_answer_and_cuts_a_slow_one() {
        let timer = CoarseTimer::new().unwrap();
        let quick = timer.timeout(Duration::from_secs(5), async { 7 }).await;
        assert_eq!(quick, Ok(7));
        let slow = timer
            .timeout(Duration::from_millis(150), tokio::time::sleep(Duration::from_secs(30)))
            .await;
        assert_eq!(slow, Err(Elapsed));
    }

    #[tokio::test]
    async fn dropped_sleeps_free_their_slots() {
        let timer = CoarseTimer::new().unwrap();
        for _ in 0..100 {
            let quick = timer.timeout(Duration::from_secs(60), tokio::task::yield_now()).await;
            assert_eq!(quick, Ok(()));
        }
        let slots = timer.inner.lock();
        assert!(slots.entries.iter().all(Option::is_none));
        assert!(slots.entries.len() <= 1, "slots are reused: {}", slots.entries.len());
    }

    #[tokio::test]
    async fn many_sleeps_all_end() {
        let timer = CoarseTimer::new().unwrap();
        let sleeps: Vec<_> = (0..50_u64)
            .map(|i| {
                let timer = timer.clone();
                tokio::spawn(async move { timer.sleep(Duration::from_millis(i * 5)).await })
            })
            .collect();
        for sleep in sleeps {
            tokio::time::timeout(Duration::from_secs(5), sleep)
                .await
                .unwrap()
                .unwrap();
        }
    }
}
