//! What every reconcile shares: the Kubernetes client, the event recorder, one HTTP client
//! and rate budget per token for provider calls, metrics, settings and per-object backoff.
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kube::runtime::events::{Recorder, Reporter};

use crate::metrics::Metrics;
use crate::providers::budget::Budgets;
use crate::providers::mendix::Timeouts;

/// Operator settings (from `hookwright run` flags).
#[derive(Clone, Debug)]
pub struct Settings {
    /// How often a remote webhook is read back to catch edits made in the portal.
    pub drift_interval: Duration,
    pub api_timeouts: Timeouts,
    /// Send test deliveries when asked by annotation (makes the cluster call out).
    pub test_delivery: bool,
}

pub struct Context {
    pub client: kube::Client,
    pub recorder: Recorder,
    pub http: reqwest::Client,
    pub budgets: Budgets,
    pub metrics: Arc<Metrics>,
    pub settings: Settings,
    failures: Mutex<HashMap<String, u32>>,
    /// Last provider condition written, by provider key, so status is patched only on change.
    pub provider_states: Mutex<HashMap<String, (bool, String)>>,
}

impl Context {
    pub fn new(client: kube::Client, http: reqwest::Client, metrics: Arc<Metrics>, settings: Settings) -> Self {
        let reporter = Reporter { controller: "hookwright".into(), instance: std::env::var("POD_NAME").ok() };
        Context {
            recorder: Recorder::new(client.clone(), reporter),
            client,
            http,
            budgets: Budgets::default(),
            metrics,
            settings,
            failures: Mutex::default(),
            provider_states: Mutex::default(),
        }
    }

    /// Counts one more consecutive failure of object `uid`; returns the count.
    pub fn failed(&self, uid: &str) -> u32 {
        let mut f = self.failures.lock().expect("failures lock");
        let n = f.entry(uid.to_string()).or_default();
        *n += 1;
        *n
    }

    pub fn succeeded(&self, uid: &str) {
        self.failures.lock().expect("failures lock").remove(uid);
    }
}
