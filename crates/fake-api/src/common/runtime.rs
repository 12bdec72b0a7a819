//! The state every fake has besides its webhooks and tokens: rate limiter, faults, request
//! counters and log, what a reset goes back to, and the shutdown signal.
use std::sync::Mutex;

use tokio::sync::watch;

use super::counters::Counters;
use super::faults::Faults;
use super::lock;
use super::ratelimit::{RateLimitSettings, RateLimiter};
use super::request_log::RequestLog;

pub(crate) struct Runtime {
    pub limiter: Mutex<RateLimiter>,
    pub faults: Mutex<Faults>,
    pub counters: Mutex<Counters>,
    pub log: Mutex<RequestLog>,
    /// What `POST /_admin/reset` goes back to.
    pub initial_faults: Faults,
    pub initial_rate_limit: RateLimitSettings,
    pub shutdown: watch::Receiver<bool>,
}

impl Runtime {
    pub fn new(faults: Faults, rate_limit: RateLimitSettings, shutdown: watch::Receiver<bool>) -> Self {
        Self {
            limiter: Mutex::new(RateLimiter::new(rate_limit)),
            faults: Mutex::new(faults),
            counters: Mutex::new(Counters::default()),
            log: Mutex::new(RequestLog::default()),
            initial_faults: faults,
            initial_rate_limit: rate_limit,
            shutdown,
        }
    }

    pub fn faults(&self) -> Faults {
        *lock(&self.faults)
    }

    /// Waits until the server shuts down.
    pub async fn shutting_down(&self) {
        let mut rx = self.shutdown.clone();
        let _ = rx.wait_for(|s| *s).await;
    }

    /// Clears counters, the request log and rate-limit windows, and restores the fault and
    /// rate-limit settings the fake started with.
    pub fn reset(&self) {
        lock(&self.counters).clear();
        lock(&self.log).clear();
        *lock(&self.faults) = self.initial_faults;
        let mut limiter = lock(&self.limiter);
        limiter.set_settings(self.initial_rate_limit);
        limiter.reset();
    }
}
