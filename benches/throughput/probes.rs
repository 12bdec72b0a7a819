//! What the bench reads: the apiserver's request counters (`/metrics`), the fake's request
//! counters (`/_admin/requests`), the operator's reconcile counter and its /proc figures.
use std::collections::BTreeMap;

use serde_json::{Value, json};

/// Counts keyed by a label string; `delta` gives what happened between two snapshots.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Counts(pub BTreeMap<String, u64>);

impl Counts {
    pub fn delta(&self, before: &Counts) -> Counts {
        let mut out = BTreeMap::new();
        for (k, v) in &self.0 {
            let d = v.saturating_sub(before.0.get(k).copied().unwrap_or(0));
            if d > 0 {
                out.insert(k.clone(), d);
            }
        }
        Counts(out)
    }

    pub fn total(&self) -> u64 {
        self.0.values().sum()
    }

    /// Sum of the entries whose key starts with `prefix`.
    pub fn starting(&self, prefix: &str) -> u64 {
        self.0.iter().filter(|(k, _)| k.starts_with(prefix)).map(|(_, v)| v).sum()
    }

    pub fn json(&self) -> Value {
        json!(self.0)
    }
}

const WRITE_VERBS: [&str; 6] = ["POST", "PUT", "PATCH", "APPLY", "DELETE", "DELETECOLLECTION"];
/// Resources the operator writes; the rest (leases, the controller-manager's own) is background.
const OPERATOR_RESOURCES: [&str; 5] = ["webhooks", "secrets", "events", "webhookproviders", "clusterwebhookproviders"];

/// Apiserver writes from `apiserver_request_total`, keyed `VERB resource[/subresource]`, for the
/// resources the operator writes.
pub async fn apiserver_writes(client: &kube::Client) -> Counts {
    let req = http::Request::get("/metrics").body(Vec::new()).expect("request");
    let text = client.request_text(req).await.expect("apiserver /metrics");
    let mut out = BTreeMap::new();
    for line in text.lines() {
        let Some(rest) = line.strip_prefix("apiserver_request_total{") else { continue };
        let Some((labels, value)) = rest.rsplit_once("} ") else { continue };
        let get = |name: &str| {
            labels.split("\",").find_map(|kv| kv.strip_prefix(&format!("{name}=\""))).map(|v| v.trim_end_matches('"'))
        };
        let (Some(verb), Some(resource)) = (get("verb"), get("resource")) else { continue };
        if !WRITE_VERBS.contains(&verb) || !OPERATOR_RESOURCES.contains(&resource) {
            continue;
        }
        let key = match get("subresource") {
            Some(s) if !s.is_empty() => format!("{verb} {resource}/{s}"),
            _ => format!("{verb} {resource}"),
        };
        *out.entry(key).or_default() += value.trim().parse::<f64>().unwrap_or(0.0) as u64;
    }
    Counts(out)
}

/// The fake's counters keyed `METHOD route` (any status).
pub async fn fake_calls(http: &reqwest::Client, admin_url: &str) -> Counts {
    let v: Value = http.get(format!("{admin_url}/requests")).send().await.unwrap().json().await.unwrap();
    let mut out = BTreeMap::new();
    for r in v["requests"].as_array().unwrap() {
        let key = format!("{} {}", r["method"].as_str().unwrap(), r["route"].as_str().unwrap());
        *out.entry(key).or_default() += r["count"].as_u64().unwrap();
    }
    Counts(out)
}

/// `hookwright_reconciles_total` summed over results; None when the operator does not answer.
pub async fn reconciles(http: &reqwest::Client, metrics_url: &str) -> Option<u64> {
    counter(http, metrics_url, "hookwright_reconciles_total").await
}

/// `hookwright_drift_calls_total`: provider requests the operator spent on drift checks.
pub async fn drift_calls(http: &reqwest::Client, metrics_url: &str) -> Option<u64> {
    counter(http, metrics_url, "hookwright_drift_calls_total").await
}

async fn counter(http: &reqwest::Client, metrics_url: &str, name: &str) -> Option<u64> {
    let text = http.get(metrics_url).send().await.ok()?.text().await.ok()?;
    Some(
        text.lines()
            .filter(|l| l.starts_with(name))
            .filter_map(|l| l.rsplit_once(' ')?.1.parse::<f64>().ok())
            .sum::<f64>() as u64,
    )
}

/// VmRSS and VmHWM of `pid`, KiB.
#[derive(Clone, Copy, Debug, Default, serde::Serialize)]
pub struct Rss {
    pub rss_kib: u64,
    pub hwm_kib: u64,
}

pub fn rss(pid: u32) -> Rss {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .unwrap_or(0)
    };
    Rss { rss_kib: field("VmRSS:"), hwm_kib: field("VmHWM:") }
}

/// utime + stime of `pid` (all threads), seconds.
pub fn cpu_secs(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = stat.rsplit_once(") ").map(|(_, r)| r).unwrap_or_default();
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks: u64 =
        f.get(11).and_then(|v| v.parse().ok()).unwrap_or(0) + f.get(12).and_then(|v| v.parse().ok()).unwrap_or(0);
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    ticks as f64 / hz
}
