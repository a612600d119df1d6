//! Accepting connections, with a back-off when `accept` fails.
//!
//! `accept` fails when the process is out of file descriptors (EMFILE,
//! ENFILE) or the kernel out of memory (ENOBUFS, ENOMEM): retrying at once
//! fails again at once, a loop that burns a core and floods the log while
//! starving the connections that would free descriptors. Instead the next
//! attempt waits, 5 ms at first, twice as long after each failure up to 1 s,
//! and one line is logged when accepting starts failing and one when it
//! works again.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};

/// The first pause after a failed `accept`.
const FIRST_PAUSE: Duration = Duration::from_millis(5);
/// The longest pause.
const MAX_PAUSE: Duration = Duration::from_secs(1);

/// Something that accepts connections: a TCP listener, or a test's script.
pub(crate) trait Accept {
    /// An accepted connection.
    type Stream;

    /// The next connection and its peer, or why none was accepted.
    fn accept(&mut self) -> impl Future<Output = io::Result<(Self::Stream, SocketAddr)>> + Send;
}

impl Accept for TcpListener {
    type Stream = TcpStream;

    fn accept(&mut self) -> impl Future<Output = io::Result<(TcpStream, SocketAddr)>> + Send {
        TcpListener::accept(self)
    }
}

/// Where a listener's run of failures stands.
#[derive(Debug, Default)]
pub(crate) struct Backoff {
    /// The last pause, while accepting fails.
    pause: Option<Duration>,
    /// Failures in a row.
    failures: u64,
}

impl Backoff {
    /// Counts a failure; the pause before the next attempt.
    fn failed(&mut self) -> Duration {
        let pause = self.pause.map_or(FIRST_PAUSE, |pause| (pause * 2).min(MAX_PAUSE));
        self.pause = Some(pause);
        self.failures += 1;
        pause
    }

    /// Counts a success; the failures it ends, if any.
    fn succeeded(&mut self) -> Option<u64> {
        self.pause.take()?;
        Some(std::mem::take(&mut self.failures))
    }
}

/// The next connection of `listener` (named `name` in the log). A failed
/// `accept` is tried again after a pause that grows while failures last.
pub(crate) async fn next<A: Accept>(listener: &mut A, backoff: &mut Backoff, name: &str) -> (A::Stream, SocketAddr) {
    loop {
        match listener.accept().await {
            Ok(accepted) => {
                if let Some(failures) = backoff.succeeded() {
                    tracing::info!(listener = name, failures, "accepting connections again");
                }
                return accepted;
            }
            Err(error) => {
                let pause = backoff.failed();
                if backoff.failures == 1 {
                    tracing::warn!(listener = name, %error, "accept failed; trying again after pauses of up to 1 s");
                } else {
                    tracing::debug!(listener = name, %error, ?pause, "accept failed again");
                }
                tokio::time::sleep(pause).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;

    use tokio::time::Instant;

    use super::*;

    /// Answers `accept` from a script: `Some(n)` accepts connection `n`,
    /// `None` fails as a process out of file descriptors does.
    struct Scripted(VecDeque<Option<u32>>);

    impl Accept for Scripted {
        type Stream = u32;

        async fn accept(&mut self) -> io::Result<(u32, SocketAddr)> {
            match self.0.pop_front() {
                Some(Some(n)) => Ok((n, SocketAddr::from(([127, 0, 0, 1], 1)))),
                Some(None) => Err(io::Error::from_raw_os_error(24)),
                None => std::future::pending().await,
            }
        }
    }

    #[test]
    fn pauses_double_from_5_ms_up_to_1_s_and_reset_on_success() {
        let mut backoff = Backoff::default();
        let pauses: Vec<u64> = (0..10)
            .map(|_| u64::try_from(backoff.failed().as_millis()).unwrap())
            .collect();
        assert_eq!(pauses, [5, 10, 20, 40, 80, 160, 320, 640, 1000, 1000]);
        assert_eq!(backoff.succeeded(), Some(10));
        assert_eq!(backoff.succeeded(), None);
        assert_eq!(backoff.failed(), FIRST_PAUSE);
    }

    #[tokio::test(start_paused = true)]
    async fn failing_accepts_wait_before_trying_again() {
        let mut listener = Scripted(VecDeque::from([None, None, None, Some(1), None, Some(2), Some(3)]));
        let mut backoff = Backoff::default();
        let started = Instant::now();
        let (first, _) = next(&mut listener, &mut backoff, "test").await;
        assert_eq!(first, 1);
        assert_eq!(started.elapsed(), Duration::from_millis(5 + 10 + 20));
        // A success starts the next run of failures from the first pause.
        let started = Instant::now();
        assert_eq!(next(&mut listener, &mut backoff, "test").await.0, 2);
        assert_eq!(started.elapsed(), FIRST_PAUSE);
        let started = Instant::now();
        assert_eq!(next(&mut listener, &mut backoff, "test").await.0, 3);
        assert_eq!(started.elapsed(), Duration::ZERO);
    }
}
