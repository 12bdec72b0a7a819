//! The bench's knobs, from the environment (the Makefile's `bench` and `bench-full` set them).
use std::time::Duration;

#[derive(Clone, Debug, serde::Serialize)]
pub struct Config {
    /// Webhooks converged (HOOKWRIGHT_BENCH_N).
    pub n: usize,
    /// Operator concurrency, also used for the floor's writes and the bench's own creates.
    pub concurrency: usize,
    /// Fake API latency per call, milliseconds.
    pub latency_ms: u64,
    /// Mendix apps the Webhooks are spread over (all on one token).
    pub apps: usize,
    /// Webhooks sharing the Secret that is rotated.
    pub rotation_k: usize,
    /// Spec edits timed one after another (edit-to-PUT latency), also the deletes and no-op resyncs.
    pub edits: usize,
    /// Idle window for CPU, seconds.
    pub idle_secs: u64,
    /// Drift interval of the drift-cost run, seconds: short, so that every app is due and the
    /// operator's --drift-budget (not the interval) sets the pace, as it does at the default
    /// 10 minutes with 100 apps.
    pub drift_interval_secs: u64,
    /// Window of the drift-cost run, seconds, opened at its first drift call.
    pub drift_window_secs: u64,
    /// Unrelated 1 KiB Secrets added in the watched namespace for the memory figure.
    pub unrelated_secrets: usize,
    /// Deadline of the convergence wait, seconds.
    pub converge_deadline_secs: u64,
    /// For profiling (HOOKWRIGHT_BENCH_HOLD=<file>): skip the floor, converge, stop the
    /// operator, write the cluster's coordinates to <file> and keep the cluster up until <file>
    /// is removed (at most 3 hours), so that an operator can be run by hand against N Ready
    /// Webhooks (heaptrack, smaps). No results are written in this mode.
    pub hold: Option<std::path::PathBuf>,
}

fn env<T: std::str::FromStr>(name: &str, default: T) -> T {
    match std::env::var(name) {
        Ok(v) if !v.trim().is_empty() => v.trim().parse().unwrap_or_else(|_| panic!("{name}={v}: not a number")),
        _ => default,
    }
}

impl Config {
    pub fn from_env() -> Config {
        let n: usize = env("HOOKWRIGHT_BENCH_N", 1000);
        assert!((10..=20_000).contains(&n), "HOOKWRIGHT_BENCH_N must lie in 10..=20000");
        let rotation_k = env("HOOKWRIGHT_BENCH_ROTATION_K", (n / 10).clamp(1, 100));
        let edits = env("HOOKWRIGHT_BENCH_EDITS", 100usize).min(n - rotation_k);
        Config {
            n,
            concurrency: env("HOOKWRIGHT_BENCH_CONCURRENCY", 64),
            latency_ms: env("HOOKWRIGHT_BENCH_LATENCY_MS", 100),
            apps: env("HOOKWRIGHT_BENCH_APPS", 100usize).clamp(1, n),
            rotation_k,
            edits,
            idle_secs: env("HOOKWRIGHT_BENCH_IDLE_SECS", 60),
            drift_interval_secs: env("HOOKWRIGHT_BENCH_DRIFT_SECS", 30),
            drift_window_secs: env("HOOKWRIGHT_BENCH_DRIFT_WINDOW_SECS", 72),
            unrelated_secrets: env("HOOKWRIGHT_BENCH_SECRETS", 3 * n),
            converge_deadline_secs: env("HOOKWRIGHT_BENCH_CONVERGE_DEADLINE_SECS", 120 + n as u64 / 10),
            hold: std::env::var_os("HOOKWRIGHT_BENCH_HOLD").filter(|v| !v.is_empty()).map(Into::into),
        }
    }

    /// The part of the floor set by the provider: N calls of latency L, C at a time.
    pub fn remote_floor(&self) -> Duration {
        Duration::from_secs_f64(self.n as f64 * self.latency_ms as f64 / 1000.0 / self.concurrency as f64)
    }
}
