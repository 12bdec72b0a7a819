//! Fault injection settings for the public API (the same modes in every fake).
//!
//! - `latencyMs` + uniform random `0..=jitterMs`: added before every API request is handled;
//! - `errorRate`: fraction of requests answered 500 without doing anything;
//! - `hangRate`: fraction of requests held for `hangMs` (past a client's timeout) and then
//!   answered 504 without doing anything;
//! - `commitThenDropRate`: fraction of successful creates (POST) that are stored and whose
//!   connection is then closed without any response (a lost response, as a client sees it);
//! - `invalidRate`: fraction of writes with a body (Mendix: POST, PUT; Socotra: create and
//!   update) answered 400 naming the URL field, without doing anything: a rejection the client
//!   cannot foresee.
use std::time::Duration;

use rand::RngExt;
use serde::{Deserialize, Serialize};

pub const DEFAULT_HANG_MS: u64 = 30_000;

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct Faults {
    pub latency_ms: u64,
    pub jitter_ms: u64,
    pub error_rate: f64,
    pub hang_rate: f64,
    pub hang_ms: u64,
    pub commit_then_drop_rate: f64,
    pub invalid_rate: f64,
}

impl Default for Faults {
    fn default() -> Self {
        Self {
            latency_ms: 0,
            jitter_ms: 0,
            error_rate: 0.0,
            hang_rate: 0.0,
            hang_ms: DEFAULT_HANG_MS,
            commit_then_drop_rate: 0.0,
            invalid_rate: 0.0,
        }
    }
}

/// Upper bound for any configured delay, so a typo cannot park a request for days.
pub const MAX_DELAY_MS: u64 = 600_000;

impl Faults {
    /// Rates must lie in [0, 1] and delays at most ten minutes.
    pub fn check(&self) -> Result<(), Vec<(&'static str, String)>> {
        let mut errs = Vec::new();
        for (name, rate) in [
            ("errorRate", self.error_rate),
            ("hangRate", self.hang_rate),
            ("commitThenDropRate", self.commit_then_drop_rate),
            ("invalidRate", self.invalid_rate),
        ] {
            if !(0.0..=1.0).contains(&rate) {
                errs.push((name, "must be a number between 0 and 1".to_string()));
            }
        }
        for (name, ms) in [("latencyMs", self.latency_ms), ("jitterMs", self.jitter_ms), ("hangMs", self.hang_ms)] {
            if ms > MAX_DELAY_MS {
                errs.push((name, format!("must be at most {MAX_DELAY_MS}")));
            }
        }
        if errs.is_empty() { Ok(()) } else { Err(errs) }
    }

    /// Fixed latency plus a random share of the jitter.
    pub fn delay(&self) -> Duration {
        let jitter = if self.jitter_ms == 0 { 0 } else { rand::rng().random_range(0..=self.jitter_ms) };
        Duration::from_millis(self.latency_ms.saturating_add(jitter))
    }

    pub fn hang(&self) -> Duration {
        Duration::from_millis(self.hang_ms)
    }
}

/// True with probability `rate` (0 never, 1 always).
pub fn roll(rate: f64) -> bool {
    rate > 0.0 && (rate >= 1.0 || rand::rng().random::<f64>() < rate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_are_bounded() {
        assert!(Faults::default().check().is_ok());
        let bad = Faults { error_rate: 1.5, hang_rate: -0.1, ..Faults::default() };
        assert_eq!(bad.check().map_err(|e| e.len()), Err(2));
        assert!(roll(1.0) && !roll(0.0));
    }

    #[test]
    fn partial_json_keeps_defaults() {
        let f: Faults = serde_json::from_str(r#"{"errorRate":0.5}"#).expect("json");
        assert_eq!(f.hang_ms, DEFAULT_HANG_MS);
        assert!(serde_json::from_str::<Faults>(r#"{"errorRat":0.5}"#).is_err());
    }
}
