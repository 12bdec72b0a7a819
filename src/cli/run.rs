//! `hookwright run`: the operator.
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use hookwright::controller::context::{Context, Settings};
use hookwright::controller::{self, RunOptions};
use hookwright::leader::{self, LeaseSettings};
use hookwright::metrics::Metrics;
use hookwright::providers::{Timeouts, http_client};

#[derive(clap::Args, Debug)]
pub struct RunArgs {
    /// Reconciles running at once.
    #[arg(long, env = "HOOKWRIGHT_CONCURRENCY", default_value_t = 4)]
    concurrency: u16,
    /// How often each app (or tenant) is listed to find portal edits (e.g. 10m, 30s, 1h); the
    /// Webhooks whose listing differs are read back and repaired. Stretched when
    /// --drift-budget does not allow one list per scope per interval.
    #[arg(long, env = "HOOKWRIGHT_DRIFT_INTERVAL", default_value = "10m", value_parser = parse_duration)]
    drift_interval: Duration,
    /// Requests per hour per token that drift checks may spend (default: a tenth of Mendix's
    /// 1,000 requests/hour).
    #[arg(long, env = "HOOKWRIGHT_DRIFT_BUDGET", default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..))]
    drift_budget: u32,
    /// Log format: text or json.
    #[arg(long, env = "HOOKWRIGHT_LOG_FORMAT", default_value = "text", value_parser = ["text", "json"])]
    log_format: String,
    /// Address of /livez, /readyz and /metrics.
    #[arg(long, env = "HOOKWRIGHT_METRICS_ADDR", default_value = "0.0.0.0:8080")]
    metrics_addr: SocketAddr,
    /// Watch only this namespace (namespace-scoped install). Default: all namespaces.
    #[arg(long, env = "HOOKWRIGHT_NAMESPACE")]
    namespace: Option<String>,
    /// Timeout of one provider API request.
    #[arg(long, env = "HOOKWRIGHT_API_TIMEOUT", default_value = "30s", value_parser = parse_duration)]
    api_timeout: Duration,
    /// Timeout to connect to a provider API.
    #[arg(long, env = "HOOKWRIGHT_API_CONNECT_TIMEOUT", default_value = "5s", value_parser = parse_duration)]
    api_connect_timeout: Duration,
    /// Allow test deliveries requested with the hookwright.dev/test-delivery-requested-at
    /// annotation (the operator then POSTs to webhook URLs itself).
    #[arg(long, env = "HOOKWRIGHT_ENABLE_TEST_DELIVERY", default_value_t = false)]
    enable_test_delivery: bool,
    /// Elect a leader through a Lease so only one replica reconciles (needed with replicas > 1).
    #[arg(long, env = "HOOKWRIGHT_LEADER_ELECTION", default_value_t = false)]
    leader_election: bool,
    /// Namespace of the leader-election Lease (default: $POD_NAMESPACE, else --namespace, else "default").
    #[arg(long, env = "HOOKWRIGHT_LEADER_ELECTION_NAMESPACE")]
    leader_election_namespace: Option<String>,
    /// Name of the leader-election Lease.
    #[arg(long, env = "HOOKWRIGHT_LEADER_ELECTION_LEASE", default_value = "hookwright-leader")]
    leader_election_lease: String,
    /// How long a leader's Lease lasts without renewal.
    #[arg(long, default_value = "15s", value_parser = parse_duration)]
    leader_election_duration: Duration,
}

/// `90s`, `10m`, `1h`, or plain seconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (num, unit) = s.find(|c: char| !c.is_ascii_digit() && c != '.').map(|i| s.split_at(i)).unwrap_or((s, "s"));
    let n: f64 = num.parse().map_err(|_| format!("invalid duration {s:?}: expected e.g. 30s, 10m, 1h"))?;
    let secs = match unit {
        "ms" => n / 1000.0,
        "s" => n,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        _ => return Err(format!("invalid duration unit in {s:?}: use ms, s, m or h")),
    };
    if !(secs.is_finite() && secs > 0.0) {
        return Err(format!("duration {s:?} must be positive"));
    }
    Ok(Duration::from_secs_f64(secs))
}

pub fn run(args: RunArgs) -> ExitCode {
    crate::cli::init_tracing(&args.log_format);
    let rt = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("hookwright: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(operate(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "hookwright stopped");
            ExitCode::FAILURE
        }
    }
}

async fn operate(args: RunArgs) -> anyhow::Result<()> {
    hookwright::tls::install_crypto_provider();
    let client = kube::Client::try_default().await?;
    let metrics = Arc::new(Metrics::default());
    let ready = Arc::new(AtomicBool::new(false));
    let _server =
        hookwright::server::serve(args.metrics_addr, hookwright::server::router(ready.clone(), metrics.clone()))
            .await?;
    let http = http_client(Timeouts { connect: args.api_connect_timeout, request: args.api_timeout })?;
    let settings = Settings {
        drift_interval: args.drift_interval,
        drift_budget: args.drift_budget,
        test_delivery: args.enable_test_delivery,
    };
    let leadership = if args.leader_election {
        let lease = LeaseSettings {
            namespace: args
                .leader_election_namespace
                .clone()
                .or_else(|| std::env::var("POD_NAMESPACE").ok())
                .or_else(|| args.namespace.clone())
                .unwrap_or_else(|| "default".into()),
            name: args.leader_election_lease.clone(),
            identity: std::env::var("POD_NAME").unwrap_or_else(|_| format!("hookwright-{}", std::process::id())),
            duration: args.leader_election_duration,
        };
        // A standby replica is healthy: report ready while waiting for the Lease.
        ready.store(true, std::sync::atomic::Ordering::SeqCst);
        tokio::select! {
            l = leader::acquire(client.clone(), &lease) => Some(l?),
            _ = shutdown_signal() => return Ok(()),
        }
    } else {
        None
    };
    let ctx = Arc::new(Context::new(client, http, metrics, settings));
    tokio::spawn(crate::memory::trim_periodically());
    tracing::info!(namespace = ?args.namespace, concurrency = args.concurrency, drift_interval = ?args.drift_interval, "starting controller");
    let opts = RunOptions { namespace: args.namespace, concurrency: args.concurrency };
    let stop = async move {
        match leadership {
            Some(l) => tokio::select! {
                _ = shutdown_signal() => {}
                _ = l.lost() => {
                    // Another replica may already lead: not one more write from here. In-flight
                    // reconciles are cut off, not drained (a create marker is already durable, so
                    // the new leader lists before it creates), and the process restarts as a
                    // follower with fresh caches.
                    tracing::error!("lost leadership; exiting at once");
                    std::process::exit(1);
                }
            },
            None => shutdown_signal().await,
        }
    };
    controller::run(ctx, opts, ready, stop).await;
    tracing::info!("controller stopped");
    Ok(())
}

async fn shutdown_signal() {
    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(t) => t,
        Err(_) => return std::future::pending().await,
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("10m"), Ok(Duration::from_secs(600)));
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("45"), Ok(Duration::from_secs(45)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("ten").is_err());
        assert!(parse_duration("5d").is_err());
    }
}
