//! Per-token fixed-window rate limiting with the `X-RateLimit-*` headers.
//! A window starts with a token's first request and lasts `window_secs` (an hour by default);
//! requests without a known token share one anonymous bucket.
use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::http::{HeaderMap, HeaderValue};
use serde::{Deserialize, Serialize};

pub const DEFAULT_LIMIT_PER_HOUR: u64 = 1000;
pub const DEFAULT_WINDOW_SECS: u64 = 3600;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RateLimitSettings {
    /// Requests allowed per window (reported as `X-RateLimit-Limit`).
    pub limit_per_hour: u64,
    /// Window length in seconds; 3600 for the real API, shorter in tests.
    pub window_secs: u64,
}

impl Default for RateLimitSettings {
    fn default() -> Self {
        Self { limit_per_hour: DEFAULT_LIMIT_PER_HOUR, window_secs: DEFAULT_WINDOW_SECS }
    }
}

impl RateLimitSettings {
    pub fn check(&self) -> Result<(), String> {
        if self.limit_per_hour == 0 {
            return Err("limitPerHour must be at least 1".into());
        }
        if self.window_secs == 0 || self.window_secs > 31 * 24 * 3600 {
            return Err("windowSecs must be between 1 and 2678400".into());
        }
        Ok(())
    }
}

/// The outcome of counting one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    pub limit: u64,
    pub remaining: u64,
    /// Epoch seconds at which the current window ends.
    pub reset: u64,
}

impl Decision {
    pub fn apply(&self, headers: &mut HeaderMap) {
        headers.insert("x-ratelimit-limit", HeaderValue::from(self.limit));
        headers.insert("x-ratelimit-remaining", HeaderValue::from(self.remaining));
        headers.insert("x-ratelimit-reset", HeaderValue::from(self.reset));
    }
}

#[derive(Clone, Copy, Debug)]
struct Bucket {
    start: SystemTime,
    used: u64,
}

#[derive(Debug, Default)]
pub struct RateLimiter {
    settings: RateLimitSettings,
    buckets: HashMap<String, Bucket>,
}

impl RateLimiter {
    pub fn new(settings: RateLimitSettings) -> Self {
        Self { settings, buckets: HashMap::new() }
    }

    pub fn settings(&self) -> RateLimitSettings {
        self.settings
    }

    /// New settings apply at once; running windows keep their start and count.
    pub fn set_settings(&mut self, settings: RateLimitSettings) {
        self.settings = settings;
    }

    /// Forgets every window: every token has its full budget again.
    pub fn reset(&mut self) {
        self.buckets.clear();
    }

    /// Counts one request for `key` (the token, or "" when anonymous).
    pub fn hit(&mut self, key: &str, now: SystemTime) -> Decision {
        let window = Duration::from_secs(self.settings.window_secs);
        let limit = self.settings.limit_per_hour;
        let bucket = self.buckets.entry(key.to_string()).or_insert(Bucket { start: now, used: 0 });
        if now >= bucket.start + window || now < bucket.start {
            *bucket = Bucket { start: now, used: 0 };
        }
        let end = bucket.start + window;
        let reset = end.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() + u64::from(d.subsec_nanos() > 0));
        if bucket.used < limit {
            bucket.used += 1;
            Decision { allowed: true, limit, remaining: limit - bucket.used, reset }
        } else {
            Decision { allowed: false, limit, remaining: 0, reset }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_down_then_refuses_then_recovers_after_window() {
        let mut rl = RateLimiter::new(RateLimitSettings { limit_per_hour: 2, window_secs: 10 });
        let t0 = UNIX_EPOCH + Duration::from_secs(1_000);
        assert_eq!(rl.hit("a", t0).remaining, 1);
        let d = rl.hit("a", t0);
        assert!(d.allowed && d.remaining == 0 && d.reset == 1_010);
        assert!(!rl.hit("a", t0 + Duration::from_secs(9)).allowed);
        assert!(rl.hit("b", t0).allowed, "buckets are per token");
        assert!(rl.hit("a", t0 + Duration::from_secs(10)).allowed);
        rl.reset();
        assert_eq!(rl.hit("b", t0).remaining, 1);
    }
}
