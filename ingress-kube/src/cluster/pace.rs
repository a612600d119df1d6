//! A token bucket for API writes: a burst of up to one second's worth,
//! then an even pace, so that a resync of many Ingresses never floods the
//! API server.

use std::num::NonZeroU32;
use std::time::{Duration, Instant};

/// Writes allowed per second, with a burst of as many.
#[derive(Debug, Clone)]
pub(crate) struct Bucket {
    per_second: f64,
    tokens: f64,
    last: Option<Instant>,
}

impl Bucket {
    pub(crate) fn new(per_second: NonZeroU32) -> Self {
        let per_second = f64::from(per_second.get());
        Self {
            per_second,
            tokens: per_second,
            last: None,
        }
    }

    /// Takes a token for a write at `now`: how long to wait before it.
    pub(crate) fn take(&mut self, now: Instant) -> Duration {
        let elapsed = self
            .last
            .map_or(Duration::ZERO, |last| now.saturating_duration_since(last));
        self.last = Some(now);
        self.tokens = (self.tokens + elapsed.as_secs_f64() * self.per_second).min(self.per_second);
        self.tokens -= 1.0;
        if self.tokens >= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(-self.tokens / self.per_second)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_of_one_second_then_an_even_pace() {
        let mut bucket = Bucket::new(NonZeroU32::new(4).unwrap_or(NonZeroU32::MIN));
        let now = Instant::now();
        let waits: Vec<Duration> = (0..6).map(|_| bucket.take(now)).collect();
        let ms = Duration::from_millis;
        assert_eq!(waits, [ms(0), ms(0), ms(0), ms(0), ms(250), ms(500)]);
        // A second later, the debt of two is paid and two are back.
        let later = now + Duration::from_secs(1);
        assert_eq!(bucket.take(later), Duration::ZERO);
        assert_eq!(bucket.take(later), Duration::ZERO);
        assert_eq!(bucket.take(later), Duration::from_millis(250));
    }
}
