//! The coarse timer against tokio's, in one run: the gateway arms two
//! timeouts per request (the header read and the wait for the upstream's
//! answer) and nearly always cancels them, so arming and cancelling is the
//! cost that matters.
//!
//! Each deadline is armed by polling its sleep once (as awaiting a pending
//! request does), then cancelled by dropping it (as the answer arriving
//! does). `held_1000` arms a thousand before cancelling any, as a busy
//! gateway holds many at once.

use std::future::Future;
use std::hint::black_box;
use std::pin::{Pin, pin};
use std::task::{Context, Waker};
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use ingress_gateway::timer::CoarseTimer;

/// Far beyond the run: no deadline fires while measured.
const FAR: Duration = Duration::from_secs(30);

fn arm_and_cancel(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a runtime");
    // Tokio's sleeps need a runtime's timer at hand.
    let _context = runtime.enter();
    let coarse = CoarseTimer::new().expect("the timer thread");
    let mut cx = Context::from_waker(Waker::noop());

    let mut group = c.benchmark_group("arm_cancel");
    group.bench_function("coarse", |b| {
        b.iter(|| {
            let mut sleep = pin!(coarse.sleep(black_box(FAR)));
            let _ = black_box(sleep.as_mut().poll(&mut cx));
        });
    });
    group.bench_function("tokio", |b| {
        b.iter(|| {
            let mut sleep = pin!(tokio::time::sleep(black_box(FAR)));
            let _ = black_box(sleep.as_mut().poll(&mut cx));
        });
    });
    group.finish();

    let mut group = c.benchmark_group("held_1000");
    group.bench_function("coarse", |b| {
        b.iter(|| {
            let mut sleeps: Vec<Pin<Box<_>>> = (0..1000).map(|_| Box::pin(coarse.sleep(FAR))).collect();
            for sleep in &mut sleeps {
                let _ = black_box(sleep.as_mut().poll(&mut cx));
            }
            drop(sleeps);
        });
    });
    group.bench_function("tokio", |b| {
        b.iter(|| {
            let mut sleeps: Vec<Pin<Box<_>>> = (0..1000).map(|_| Box::pin(tokio::time::sleep(FAR))).collect();
            for sleep in &mut sleeps {
                let _ = black_box(sleep.as_mut().poll(&mut cx));
            }
            drop(sleeps);
        });
    });
    group.finish();

    // A timeout around a future that is ready at once never arms its
    // deadline: what is left is making it.
    let mut group = c.benchmark_group("timeout_ready");
    group.bench_function("coarse", |b| {
        b.iter(|| {
            let timeout = pin!(coarse.timeout(FAR, std::future::ready(black_box(1))));
            let _ = black_box(timeout.poll(&mut cx));
        });
    });
    group.bench_function("tokio", |b| {
        b.iter(|| {
            let timeout = pin!(tokio::time::timeout(FAR, std::future::ready(black_box(1))));
            let _ = black_box(timeout.poll(&mut cx));
        });
    });
    group.finish();
}

criterion_group!(benches, arm_and_cancel);
criterion_main!(benches);
