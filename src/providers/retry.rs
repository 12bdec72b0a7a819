//! Bounded exponential backoff with full jitter, for transient failures of idempotent calls.
use std::time::Duration;

#[derive(Clone, Copy, Debug)]
pub struct Backoff {
    pub base: Duration,
    pub max: Duration,
    /// Total attempts, including the first.
    pub attempts: u32,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff { base: Duration::from_millis(200), max: Duration::from_secs(5), attempts: 4 }
    }
}

impl Backoff {
    /// Delay before retry number `retry` (1-based): uniform in [0, min(max, base·2^(retry-1))].
    pub fn delay(&self, retry: u32) -> Duration {
        crate::backoff::full_jitter(crate::backoff::exponential(retry, self.base, self.max))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_stay_within_the_growing_cap() {
        let b = Backoff { base: Duration::from_millis(100), max: Duration::from_millis(1000), attempts: 10 };
        for retry in 1..=10 {
            let cap = (100u64 << (retry - 1)).min(1000);
            for _ in 0..50 {
                assert!(b.delay(retry) <= Duration::from_millis(cap));
            }
        }
    }
}
