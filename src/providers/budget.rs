//! One request budget per provider token, shared by every reconcile worker.
//!
//! Two limits apply: an optional client-side `requestsPerHour` (GCRA via `governor`), and what
//! the server says in `X-RateLimit-Remaining` / `X-RateLimit-Reset`. After a 429, or when the
//! server says nothing remains, no request is sent until the reset time.
use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use governor::clock::Clock as _;
use sha2::{Digest, Sha256};

/// How long to hold back after a 429 that carried no usable `X-RateLimit-Reset`.
const DEFAULT_PENALTY: Duration = Duration::from_secs(60);
/// The longest a server-announced reset can hold requests back: one window of the Mendix API
/// (an hour). A reset further ahead (a broken proxy, a hostile endpoint) is taken as this.
pub const MAX_WAIT: Duration = Duration::from_secs(3600);

#[derive(Default, Debug, Clone, Copy)]
struct ServerView {
    remaining: Option<u64>,
    reset: Option<SystemTime>,
    blocked_until: Option<SystemTime>,
}

pub struct RateBudget {
    server: Mutex<ServerView>,
    local: Option<governor::DefaultDirectRateLimiter>,
}

impl RateBudget {
    pub fn new(requests_per_hour: Option<u32>) -> Self {
        let local = requests_per_hour
            .and_then(NonZeroU32::new)
            .map(|n| governor::RateLimiter::direct(governor::Quota::per_hour(n)));
        RateBudget { server: Mutex::new(ServerView::default()), local }
    }

    /// Ok when a request may be sent now (and takes one unit of the local budget); otherwise
    /// the earliest time at which one may be sent.
    pub fn try_acquire(&self, now: SystemTime) -> Result<(), SystemTime> {
        {
            let view = self.server.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(until) = view.blocked_until.filter(|u| *u > now) {
                return Err(until);
            }
            if let (Some(0), Some(reset)) = (view.remaining, view.reset)
                && reset > now
            {
                return Err(reset);
            }
        }
        if let Some(limiter) = &self.local
            && let Err(not_until) = limiter.check()
        {
            let wait = not_until.wait_time_from(governor::clock::DefaultClock::default().now());
            return Err(now + wait);
        }
        Ok(())
    }

    /// Learns from a response's status and `X-RateLimit-*` headers.
    pub fn observe(&self, status: u16, headers: &http::HeaderMap, now: SystemTime) {
        let num =
            |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse::<u64>().ok());
        // Checked arithmetic and a cap: a header must never panic or park requests for long.
        let latest = now + MAX_WAIT;
        let reset = num("x-ratelimit-reset")
            .map(|s| SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(s)).map_or(latest, |t| t.min(latest)));
        let mut view = self.server.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(r) = num("x-ratelimit-remaining") {
            view.remaining = Some(r);
        }
        if reset.is_some() {
            view.reset = reset;
        }
        if status == 429 {
            view.remaining = Some(0);
            view.blocked_until = Some(reset.filter(|r| *r > now).unwrap_or(now + DEFAULT_PENALTY));
        }
    }

    /// Remaining requests in the server's window, when known.
    pub fn remaining(&self) -> Option<u64> {
        self.server.lock().unwrap_or_else(PoisonError::into_inner).remaining
    }
}

/// sha256 of the endpoint and token, and the client-side requests-per-hour setting.
type BudgetKey = ([u8; 32], Option<u32>);

/// Budgets by endpoint and token (keyed by a hash, never the token itself). A server's limit
/// belongs to that server: the same token at another base URL (a second provider pointing at a
/// proxy, or at a broken or hostile endpoint) has a budget of its own and cannot block this one.
#[derive(Default)]
pub struct Budgets {
    by_token: Mutex<HashMap<BudgetKey, Arc<RateBudget>>>,
}

fn endpoint_token_hash(base_url: &str, token: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update((base_url.len() as u64).to_be_bytes());
    h.update(base_url.as_bytes());
    h.update(token.as_bytes());
    h.finalize().into()
}

impl Budgets {
    /// Remaining requests of this token's server window at `base_url`, when known.
    pub fn remaining(&self, base_url: &str, token: &str) -> Option<u64> {
        let key = endpoint_token_hash(base_url, token);
        let map = self.by_token.lock().unwrap_or_else(PoisonError::into_inner);
        map.iter().filter(|((k, _), _)| *k == key).find_map(|(_, b)| b.remaining())
    }

    /// The budget of `token` at `base_url` (created on first use).
    pub fn for_endpoint(&self, base_url: &str, token: &str, requests_per_hour: Option<u32>) -> Arc<RateBudget> {
        let key = endpoint_token_hash(base_url, token);
        let mut map = self.by_token.lock().unwrap_or_else(PoisonError::into_inner);
        map.entry((key, requests_per_hour)).or_insert_with(|| Arc::new(RateBudget::new(requests_per_hour))).clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 429 from one endpoint does not block the same token at another endpoint.
    #[test]
    fn budgets_are_per_endpoint_and_token() {
        let budgets = Budgets::default();
        let now = SystemTime::now();
        let hostile = budgets.for_endpoint("http://broken.example/api/v1", "tok", None);
        hostile.observe(429, &raw_reset("18446744073709551615"), now);
        assert!(hostile.try_acquire(now).is_err());
        let healthy = budgets.for_endpoint("https://webhook-portal.home.mendix.com/api/v1", "tok", None);
        assert!(healthy.try_acquire(now).is_ok(), "the same token elsewhere is not blocked");
        assert!(Arc::ptr_eq(&hostile, &budgets.for_endpoint("http://broken.example/api/v1", "tok", None)));
    }

    fn headers(remaining: u64, reset: u64) -> http::HeaderMap {
        let mut h = http::HeaderMap::new();
        h.insert("x-ratelimit-remaining", remaining.to_string().parse().unwrap());
        h.insert("x-ratelimit-reset", reset.to_string().parse().unwrap());
        h
    }

    #[test]
    fn a_429_blocks_until_reset() {
        let b = RateBudget::new(None);
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1000);
        assert!(b.try_acquire(now).is_ok());
        b.observe(429, &headers(0, 1030), now);
        assert_eq!(
            b.try_acquire(now + Duration::from_secs(29)),
            Err(SystemTime::UNIX_EPOCH + Duration::from_secs(1030))
        );
        assert!(b.try_acquire(now + Duration::from_secs(30)).is_ok());
    }

    #[test]
    fn zero_remaining_blocks_before_a_429() {
        let b = RateBudget::new(None);
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1000);
        b.observe(200, &headers(0, 1010), now);
        assert!(b.try_acquire(now).is_err());
        assert_eq!(b.remaining(), Some(0));
    }

    fn raw_reset(value: &str) -> http::HeaderMap {
        let mut h = http::HeaderMap::new();
        h.insert("x-ratelimit-reset", value.parse().unwrap());
        h
    }

    /// Issue 12, hole 1: any `X-RateLimit-Reset` a provider (or a proxy) sends is survivable,
    /// and none holds requests back longer than one rate-limit window.
    #[test]
    fn absurd_reset_values_neither_panic_nor_block_for_long() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let year = (1_800_000_000u64 + 365 * 86_400).to_string();
        for value in ["18446744073709551615", "9223372036854775808", year.as_str(), "-5", "1e9", "soon"] {
            let b = RateBudget::new(None);
            b.observe(429, &raw_reset(value), now);
            let until = b.try_acquire(now).expect_err("a 429 always holds back a while");
            assert!(until <= now + MAX_WAIT, "{value}: held until {until:?}");
            assert!(b.try_acquire(now + MAX_WAIT).is_ok(), "{value}: still blocked after one window");
        }
        // Zero remaining with a far reset also ends after one window.
        let b = RateBudget::new(None);
        let mut h = raw_reset("18446744073709551615");
        h.insert("x-ratelimit-remaining", "0".parse().unwrap());
        b.observe(200, &h, now);
        assert!(b.try_acquire(now + MAX_WAIT).is_ok());
    }

    #[test]
    fn local_budget_limits_bursts() {
        let b = RateBudget::new(Some(2));
        let now = SystemTime::now();
        assert!(b.try_acquire(now).is_ok());
        assert!(b.try_acquire(now).is_ok());
        assert!(b.try_acquire(now).is_err());
    }

    #[test]
    fn same_token_shares_one_budget() {
        let budgets = Budgets::default();
        assert!(Arc::ptr_eq(&budgets.for_endpoint("e", "t", None), &budgets.for_endpoint("e", "t", None)));
        assert!(!Arc::ptr_eq(&budgets.for_endpoint("e", "t", None), &budgets.for_endpoint("e", "u", None)));
    }
}
