//! Cancelled HTTP/2 streams: what a client's `RST_STREAM` costs, bounded.
//!
//! A client can open a stream and reset it a moment later, over and over,
//! on one connection. hyper then drops the stream's work: left alone, that
//! drops the upstream exchange with its connection, so every reset would
//! cost the upstream a new TCP connection. Instead, on an HTTP/2
//! connection:
//!
//! - each exchange runs in a task of its own, which goes on when the
//!   client's stream is reset: the answer's head is awaited (within the
//!   upstream timeout) and its body read and thrown away, up to
//!   [`DRAIN_BYTES`] within [`DRAIN_TIME`], so that the upstream connection
//!   goes back to its pool; beyond that bound it is closed;
//! - the exchanges of one client connection, running or draining, are at
//!   most its stream limit ([`MAX_STREAMS`]): a new stream waits for one to
//!   end, so a client cannot have more upstream connections busy than it
//!   could have streams open;
//! - cancelled streams are counted per connection: more than the limit in a
//!   window, and the connection is sent GOAWAY (hyper's graceful shutdown:
//!   the streams open finish, no new ones are taken).
//!
//! ```
//! # // The window's arithmetic, as a doctest cannot reach the crate's
//! # // private items: 3 resets allowed per 10 s, the 4th is one too many.
//! let (limit, mut count) = (3, 0);
//! let over: Vec<bool> = (0..4).map(|_| { count += 1; count > limit }).collect();
//! assert_eq!(over, [false, false, false, true]);
//! ```

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::Response;
use http_body_util::BodyExt as _;
use hyper::body::{Body, Frame, SizeHint};
use prometheus_client::metrics::counter::Counter;
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, oneshot};

/// Streams a client may have open at once on one HTTP/2 connection
/// (`SETTINGS_MAX_CONCURRENT_STREAMS`), and upstream exchanges running for
/// it at once.
pub(crate) const MAX_STREAMS: u32 = 128;

/// The most of a cancelled stream's answer read to keep its upstream
/// connection.
pub(crate) const DRAIN_BYTES: usize = 64 * 1024;

/// The longest a cancelled stream's answer is read to keep its upstream
/// connection.
pub(crate) const DRAIN_TIME: Duration = Duration::from_secs(1);

/// Cancelled streams in a window of time, with a limit.
#[derive(Debug)]
pub(crate) struct ResetWindow {
    limit: u32,
    window: Duration,
    /// When the current window began, and the resets counted in it.
    current: Option<(Instant, u32)>,
}

impl ResetWindow {
    pub(crate) fn new(limit: u32, window: Duration) -> Self {
        Self {
            limit,
            window,
            current: None,
        }
    }

    /// Counts a reset at `now`; whether the window now holds more than the
    /// limit.
    pub(crate) fn record(&mut self, now: Instant) -> bool {
        match &mut self.current {
            Some((began, count)) if now.saturating_duration_since(*began) < self.window => {
                *count = count.saturating_add(1);
                *count > self.limit
            }
            _ => {
                self.current = Some((now, 1));
                1 > self.limit
            }
        }
    }
}

/// The counters of cancelled streams, shared by all connections.
#[derive(Debug, Clone)]
pub(crate) struct ResetCounters {
    /// Streams cancelled by their clients before their answer ended.
    pub(crate) cancelled: Counter,
    /// Connections sent GOAWAY for too many of them.
    pub(crate) goaways: Counter,
}

/// One HTTP/2 client connection's upstream work and cancelled streams.
#[derive(Debug)]
pub(crate) struct Streams {
    work: Arc<Semaphore>,
    resets: Mutex<ResetWindow>,
    /// Set once the connection is to be sent GOAWAY.
    goaway: Notify,
    told: AtomicBool,
    counters: ResetCounters,
}

impl Streams {
    pub(crate) fn new(resets: ResetWindow, counters: ResetCounters) -> Arc<Self> {
        Arc::new(Self {
            work: Arc::new(Semaphore::new(MAX_STREAMS as usize)),
            resets: Mutex::new(resets),
            goaway: Notify::new(),
            told: AtomicBool::new(false),
            counters,
        })
    }

    /// Completes once the connection has had too many cancelled streams.
    pub(crate) async fn goaway(&self) {
        self.goaway.notified().await;
    }

    /// Counts a stream the client cancelled.
    fn cancelled(&self) {
        self.counters.cancelled.inc();
        let over = match self.resets.lock() {
            Ok(mut resets) => resets.record(Instant::now()),
            Err(poisoned) => poisoned.into_inner().record(Instant::now()),
        };
        if over && !self.told.swap(true, Ordering::AcqRel) {
            tracing::info!("GOAWAY to a client that cancelled too many HTTP/2 streams");
            self.counters.goaways.inc();
            self.goaway.notify_one();
        }
    }

    /// Runs `exchange` for a stream, in a task of its own that goes on if
    /// the stream is cancelled (see the module's documentation). `None` if
    /// the task failed without an answer.
    pub(crate) async fn run<B>(
        self: &Arc<Self>,
        exchange: impl Future<Output = Response<B>> + Send + 'static,
    ) -> Option<Response<Kept<B>>>
    where
        B: Body<Data = Bytes> + Send + Unpin + 'static,
    {
        let mut pending = Pending {
            streams: Some(Arc::clone(self)),
        };
        // The semaphore is never closed.
        let permit = Arc::clone(&self.work).acquire_owned().await.ok()?;
        let (answer, answered) = oneshot::channel();
        let streams = Arc::clone(self);
        tokio::spawn(async move {
            let response = exchange.await.map(|body| Kept {
                inner: Some(body),
                work: Some(Work {
                    permit,
                    streams,
                    counted: false,
                }),
                ended: false,
            });
            if let Err(mut response) = answer.send(response) {
                // The stream is gone, and was counted when it went:
                // dropped, the body is drained.
                if let Some(work) = response.body_mut().work.as_mut() {
                    work.counted = true;
                }
            }
        });
        let response = answered.await.ok();
        pending.streams = None;
        response
    }
}

/// A stream waiting for its answer: dropped before it comes, the stream
/// was cancelled.
struct Pending {
    streams: Option<Arc<Streams>>,
}

impl Drop for Pending {
    fn drop(&mut self) {
        if let Some(streams) = self.streams.take() {
            streams.cancelled();
        }
    }
}

/// What an HTTP/2 stream's exchange holds until its answer has been read:
/// a share of the connection's upstream work.
#[derive(Debug)]
struct Work {
    #[allow(dead_code)]
    permit: OwnedSemaphorePermit,
    streams: Arc<Streams>,
    /// The stream was counted as cancelled already.
    counted: bool,
}

/// An answer's body, which, dropped before its end on an HTTP/2 stream,
/// counts the stream as cancelled and is read to its end in the background
/// (boundedly) so that its upstream connection can be used again.
#[derive(Debug)]
pub(crate) struct Kept<B: Body<Data = Bytes> + Send + Unpin + 'static> {
    /// Always there, but for the moment it is taken to be drained.
    inner: Option<B>,
    work: Option<Work>,
    /// The body gave its last frame (or failed): nothing to drain.
    ended: bool,
}

impl<B: Body<Data = Bytes> + Send + Unpin + 'static> Kept<B> {
    /// A body with nothing to keep (HTTP/1, or an answer of the gateway's).
    pub(crate) fn plain(inner: B) -> Self {
        Self {
            inner: Some(inner),
            work: None,
            ended: false,
        }
    }
}

impl<B: Body<Data = Bytes> + Send + Unpin + 'static> Drop for Kept<B> {
    /// Reads what is left of the body in a task, within the bounds; then
    /// drops it, which gives its upstream connection back if it ended.
    fn drop(&mut self) {
        let (Some(work), Some(mut inner)) = (self.work.take(), self.inner.take()) else {
            return;
        };
        if self.ended || inner.is_end_stream() {
            return;
        }
        if !work.counted {
            work.streams.cancelled();
        }
        // Dropped outside a runtime (never, in the gateway): nothing to
        // drain with, and the connection goes with the body.
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        runtime.spawn(async move {
            let read = async {
                let mut read = 0usize;
                while read <= DRAIN_BYTES {
                    match inner.frame().await {
                        Some(Ok(frame)) => read += frame.data_ref().map_or(0, Bytes::len),
                        Some(Err(_)) | None => return,
                    }
                }
            };
            let _ = tokio::time::timeout(DRAIN_TIME, read).await;
            drop(inner);
            drop(work);
        });
    }
}

impl<B: Body<Data = Bytes> + Send + Unpin + 'static> Body for Kept<B> {
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, B::Error>>> {
        let this = self.get_mut();
        let Some(inner) = this.inner.as_mut() else {
            return Poll::Ready(None);
        };
        let frame = Pin::new(inner).poll_frame(cx);
        if matches!(frame, Poll::Ready(None | Some(Err(_)))) {
            this.ended = true;
        }
        frame
    }

    fn is_end_stream(&self) -> bool {
        self.inner.as_ref().is_none_or(Body::is_end_stream)
    }

    fn size_hint(&self) -> SizeHint {
        self.inner
            .as_ref()
            .map_or_else(|| SizeHint::with_exact(0), Body::size_hint)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use super::*;

    /// A body of `chunks` frames of 16 KiB (without end if `None`), which
    /// records what was read of it and whether it ended.
    struct Chunks {
        left: Option<usize>,
        read: Arc<AtomicUsize>,
        ended: Arc<AtomicBool>,
    }

    impl Body for Chunks {
        type Data = Bytes;
        type Error = std::io::Error;

        fn poll_frame(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
            let this = self.get_mut();
            if let Some(left) = this.left.as_mut() {
                if *left == 0 {
                    this.ended.store(true, Ordering::SeqCst);
                    return Poll::Ready(None);
                }
                *left -= 1;
            }
            this.read.fetch_add(CHUNK, Ordering::SeqCst);
            Poll::Ready(Some(Ok(Frame::data(Bytes::from_static(&[b'x'; CHUNK])))))
        }
    }

    const CHUNK: usize = 16 * 1024;

    fn counters() -> ResetCounters {
        ResetCounters {
            cancelled: Counter::default(),
            goaways: Counter::default(),
        }
    }

    /// A kept body of `chunks` on `streams`, holding one share of its work;
    /// what was read of it, and whether it ended.
    async fn kept(streams: &Arc<Streams>, chunks: Option<usize>) -> (Kept<Chunks>, Arc<AtomicUsize>, Arc<AtomicBool>) {
        let (read, ended) = (Arc::default(), Arc::default());
        let body = Chunks {
            left: chunks,
            read: Arc::clone(&read),
            ended: Arc::clone(&ended),
        };
        let permit = Arc::clone(&streams.work).acquire_owned().await.unwrap();
        let work = Work {
            permit,
            streams: Arc::clone(streams),
            counted: false,
        };
        let kept = Kept {
            inner: Some(body),
            work: Some(work),
            ended: false,
        };
        (kept, read, ended)
    }

    #[tokio::test]
    async fn a_cancelled_answer_is_read_to_its_end_counted_and_its_share_freed() {
        let streams = Streams::new(ResetWindow::new(100, Duration::from_secs(10)), counters());
        let (kept, read, ended) = kept(&streams, Some(3)).await;
        assert_eq!(streams.work.available_permits(), MAX_STREAMS as usize - 1);
        drop(kept);
        tokio::time::timeout(Duration::from_secs(5), async {
            while streams.work.available_permits() < MAX_STREAMS as usize {
                tokio::task::yield_now().await;
            }
        })
        .await
        .unwrap();
        assert!(ended.load(Ordering::SeqCst), "read to its end");
        assert_eq!(read.load(Ordering::SeqCst), 3 * CHUNK);
        assert_eq!(streams.counters.cancelled.get(), 1);
    }

    #[tokio::test]
    async fn a_cancelled_answer_is_read_no_further_than_the_bound() {
        let streams = Streams::new(ResetWindow::new(100, Duration::from_secs(10)), counters());
        let (kept, read, ended) = kept(&streams, None).await;
        drop(kept);
        tokio::time::timeout(Duration::from_secs(5), async {
            while streams.work.available_permits() < MAX_STREAMS as usize {
                tokio::task::yield_now().await;
            }
        })
        .await
        .unwrap();
        assert!(!ended.load(Ordering::SeqCst));
        let read = read.load(Ordering::SeqCst);
        assert!((DRAIN_BYTES..=DRAIN_BYTES + CHUNK).contains(&read), "{read} bytes read");
    }

    #[tokio::test]
    async fn an_answer_read_to_its_end_is_not_a_cancelled_stream() {
        let streams = Streams::new(ResetWindow::new(0, Duration::from_secs(10)), counters());
        let (mut kept, _, ended) = kept(&streams, Some(1)).await;
        while kept.frame().await.is_some() {}
        assert!(ended.load(Ordering::SeqCst));
        drop(kept);
        assert_eq!(streams.counters.cancelled.get(), 0);
        assert_eq!(streams.work.available_permits(), MAX_STREAMS as usize);
    }

    #[tokio::test]
    async fn more_cancelled_streams_than_the_limit_signal_goaway_once() {
        let streams = Streams::new(ResetWindow::new(2, Duration::from_secs(10)), counters());
        for _ in 0..2 {
            streams.cancelled();
        }
        let goaway = streams.goaway();
        tokio::pin!(goaway);
        assert!(
            tokio::time::timeout(Duration::from_millis(50), goaway.as_mut())
                .await
                .is_err(),
            "not at the limit"
        );
        streams.cancelled();
        streams.cancelled();
        tokio::time::timeout(Duration::from_secs(1), goaway).await.unwrap();
        assert_eq!(streams.counters.goaways.get(), 1);
        assert_eq!(streams.counters.cancelled.get(), 4);
    }

    #[test]
    fn more_resets_than_the_limit_within_the_window_are_too_many() {
        let start = Instant::now();
        let mut window = ResetWindow::new(3, Duration::from_secs(10));
        let at = |ms| start + Duration::from_millis(ms);
        assert!(!window.record(at(0)));
        assert!(!window.record(at(100)));
        assert!(!window.record(at(9_000)));
        assert!(window.record(at(9_999)), "the 4th within 10 s");
        // A new window starts over.
        let mut window = ResetWindow::new(3, Duration::from_secs(10));
        for ms in [0, 1, 2] {
            assert!(!window.record(at(ms)));
        }
        assert!(!window.record(at(10_000)), "the window of the first 3 is over");
        assert!(!window.record(at(10_001)));
    }

    #[test]
    fn a_limit_of_zero_sends_goaway_at_the_first_reset() {
        let mut window = ResetWindow::new(0, Duration::from_secs(10));
        assert!(window.record(Instant::now()));
    }
}
