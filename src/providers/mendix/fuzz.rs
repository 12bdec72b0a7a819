//! Property tests ("fuzz_" prefix) for what a provider sends back: rate-limit headers and
//! response bodies. No status, header or body makes the client panic, hold requests back for
//! longer than one window, or build an unbounded message. `cargo test` runs proptest's default
//! 256 cases each; `make fuzz` runs them with `PROPTEST_CASES` raised.
use std::time::{Duration, SystemTime};

use proptest::prelude::*;
use reqwest::StatusCode;

use super::*;
use crate::providers::budget::MAX_WAIT;

/// Header values a server, a proxy or an attacker might send.
fn header_value() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<u64>().prop_map(|n| n.to_string()),
        any::<i64>().prop_map(|n| n.to_string()),
        "[0-9]{15,40}",
        "[ +-]?[0-9]{1,12}(\\.[0-9]{1,3})?(e[0-9]{1,3})?[ ]?",
        "[ -~]{0,30}",
    ]
}

/// Bodies from plausible error envelopes to arbitrary bytes.
fn body() -> impl Strategy<Value = Vec<u8>> {
    let param = ("[ -~]{0,300}", any::<String>()).prop_map(|(n, r)| serde_json::json!({"name": n, "reason": r}));
    prop_oneof![
        proptest::collection::vec(param, 0..200)
            .prop_map(|p| serde_json::to_vec(&serde_json::json!({"error": {"invalid-params": p}})).unwrap()),
        proptest::collection::vec(any::<u8>(), 0..2048),
        "\\{\"(webhooks|error|id|cursors)\": [ -~]{0,80}".prop_map(String::into_bytes),
    ]
}

proptest! {
    #[test]
    fn fuzz_rate_limit_headers_never_panic_nor_block_beyond_a_window(
        status in 100u16..600,
        remaining in proptest::option::of(header_value()),
        reset in proptest::option::of(header_value()),
        offset in 0u64..4_000_000_000,
    ) {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(offset);
        let mut headers = http::HeaderMap::new();
        for (name, value) in [("x-ratelimit-remaining", remaining), ("x-ratelimit-reset", reset)] {
            if let Some(v) = value.and_then(|v| http::HeaderValue::from_str(&v).ok()) {
                headers.insert(name, v);
            }
        }
        let budget = RateBudget::new(None);
        budget.observe(status, &headers, now);
        if let Err(until) = budget.try_acquire(now) {
            prop_assert!(until <= now + MAX_WAIT, "held until {until:?}");
        }
        prop_assert!(budget.try_acquire(now + MAX_WAIT).is_ok());
    }

    #[test]
    fn fuzz_error_bodies_never_panic_and_messages_stay_short(status in 400u16..600, body in body()) {
        let budget = RateBudget::new(None);
        let status = StatusCode::from_u16(status).unwrap();
        let message = error_from(status, &body, &budget).to_string();
        prop_assert!(message.len() <= 4096, "{} bytes", message.len());
        prop_assert!(!message.chars().any(char::is_control));
    }

    #[test]
    fn fuzz_success_bodies_decode_or_fail_cleanly(body in body()) {
        let body = bytes_body::Body(body);
        let _ = decode::<ListPage>(&body);
        let _ = decode::<Detailed>(&body);
    }
}
