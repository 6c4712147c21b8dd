//! When a failed handler attempt is tried again: exponential backoff with
//! jitter, so that many requests failing together do not retry together.

use std::time::Duration;

/// The retry policy of every handler.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Backoff {
    /// How many times a failed attempt is retried before the request is
    /// failed in its flow and dead-lettered (`--retries`, default 5).
    pub retries: u32,
    /// The delay before the first retry (`--backoff`, default 1 s); each
    /// later one doubles it, up to [`Backoff::max_delay`].
    pub first_delay: Duration,
    /// No retry waits longer than this (default 10 minutes).
    pub max_delay: Duration,
}

impl Default for Backoff {
    fn default() -> Backoff {
        Backoff {
            retries: 5,
            first_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(600),
        }
    }
}

impl Backoff {
    /// Whether attempt number `attempt` (1 for the first) may be followed by another.
    pub fn may_retry(&self, attempt: u32) -> bool {
        attempt <= self.retries
    }

    /// The delay after failed attempt `attempt` (1 for the first): the
    /// exponential delay, scaled by `jitter` in `[0, 1)` into its upper
    /// half ("equal jitter": never less than half the exponential delay).
    pub fn delay(&self, attempt: u32, jitter: f64) -> Duration {
        let doublings = attempt.saturating_sub(1).min(32);
        let exponential = self
            .first_delay
            .saturating_mul(1u32 << doublings.min(31))
            .min(self.max_delay);
        exponential.mul_f64(0.5 + 0.5 * jitter.clamp(0.0, 1.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_within_their_jitter_up_to_the_bound() {
        let b = Backoff::default();
        assert_eq!(b.delay(1, 1.0), Duration::from_secs(1));
        assert_eq!(b.delay(1, 0.0), Duration::from_millis(500));
        assert_eq!(b.delay(3, 1.0), Duration::from_secs(4));
        assert_eq!(b.delay(3, 0.0), Duration::from_secs(2));
        assert_eq!(b.delay(40, 1.0), Duration::from_secs(600));
        assert!(b.may_retry(5) && !b.may_retry(6));
    }
}
