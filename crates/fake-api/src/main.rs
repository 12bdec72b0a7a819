//! `hookwright-fake-api`: a fake Mendix Webhooks API server for tests, demos and benchmarks.
//! A thin wrapper around `hookwright_fake_api::mendix`; see docs/fake-api.md.
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use hookwright_fake_api::mendix::{
    DeliverySettings, FakeConfig, FakeServer, Faults, RateLimitSettings, SigningKeyFormat, load_tokens,
};

#[derive(Debug, Parser)]
#[command(
    name = "hookwright-fake-api",
    version,
    about = "Fake Mendix Webhooks API (public API under /api/v1, admin API under /_admin)"
)]
struct Args {
    /// Address of the public API (also serves /_admin). Port 0 picks a free port.
    #[arg(long, env = "HOOKWRIGHT_FAKE_ADDR", default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// Optional second address that serves only /_admin.
    #[arg(long, env = "HOOKWRIGHT_FAKE_ADMIN_ADDR")]
    admin_addr: Option<SocketAddr>,
    /// JSON or YAML list of {token, scopes: [...], apps: [uuid...]}.
    #[arg(long, env = "HOOKWRIGHT_FAKE_TOKENS_FILE")]
    tokens_file: Option<PathBuf>,
    /// Requests per token per window (reported as X-RateLimit-Limit).
    #[arg(long, default_value_t = RateLimitSettings::default().limit_per_hour)]
    rate_limit_per_hour: u64,
    /// Length of the rate-limit window in seconds (3600 like the real API; shorter for tests).
    #[arg(long, default_value_t = RateLimitSettings::default().window_secs)]
    rate_limit_window_secs: u64,
    /// Fixed latency added to every API request, in milliseconds.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Random extra latency, uniform in 0..=jitter, in milliseconds.
    #[arg(long, default_value_t = 0)]
    jitter_ms: u64,
    /// Fraction (0..1) of API requests answered 500 without doing anything.
    #[arg(long, default_value_t = 0.0)]
    error_rate: f64,
    /// Fraction (0..1) of API requests held for --hang-ms and then answered 504.
    #[arg(long, default_value_t = 0.0)]
    hang_rate: f64,
    /// How long a hanging request is held, in milliseconds.
    #[arg(long, default_value_t = Faults::default().hang_ms)]
    hang_ms: u64,
    /// Fraction (0..1) of creates that are stored but whose connection is closed without a response.
    #[arg(long, default_value_t = 0.0)]
    commit_then_drop_rate: f64,
    /// Fraction (0..1) of writes (POST, PUT) answered 400 naming `url`, without doing anything.
    #[arg(long, default_value_t = 0.0)]
    invalid_rate: f64,
    /// Load webhooks from and save them to this JSON file.
    #[arg(long, env = "HOOKWRIGHT_FAKE_STATE_FILE")]
    state_file: Option<PathBuf>,
    /// How the validation secret becomes the HMAC key: raw (the secret string's bytes, as the
    /// Mendix doc's openssl example) or whsec (Standard Webhooks: base64-decode after whsec_).
    #[arg(long, default_value = "raw", value_parser = ["raw", "whsec"])]
    signing_key_format: String,
    /// Delivery attempts per message, including the first.
    #[arg(long, default_value_t = DeliverySettings::default().max_attempts)]
    delivery_max_attempts: u32,
    /// Wait before the first retry, doubled after each failure, in milliseconds.
    #[arg(long, default_value_t = DeliverySettings::default().initial_backoff_ms)]
    delivery_initial_backoff_ms: u64,
    /// Upper bound of the retry wait, in milliseconds.
    #[arg(long, default_value_t = DeliverySettings::default().max_backoff_ms)]
    delivery_max_backoff_ms: u64,
    /// Timeout of one delivery attempt, in milliseconds.
    #[arg(long, default_value_t = DeliverySettings::default().timeout_ms)]
    delivery_timeout_ms: u64,
    /// Log format on stderr.
    #[arg(long, default_value = "text", value_parser = ["text", "json"])]
    log_format: String,
}

impl Args {
    fn config(&self) -> Result<FakeConfig, String> {
        let tokens = match &self.tokens_file {
            Some(p) => load_tokens(p).map_err(|e| e.to_string())?,
            None => Vec::new(),
        };
        Ok(FakeConfig {
            addr: self.addr,
            admin_addr: self.admin_addr,
            tokens,
            rate_limit: RateLimitSettings {
                limit_per_hour: self.rate_limit_per_hour,
                window_secs: self.rate_limit_window_secs,
            },
            faults: Faults {
                latency_ms: self.latency_ms,
                jitter_ms: self.jitter_ms,
                error_rate: self.error_rate,
                hang_rate: self.hang_rate,
                hang_ms: self.hang_ms,
                commit_then_drop_rate: self.commit_then_drop_rate,
                invalid_rate: self.invalid_rate,
            },
            state_file: self.state_file.clone(),
            signing_key_format: self.signing_key_format.parse::<SigningKeyFormat>()?,
            delivery: DeliverySettings {
                max_attempts: self.delivery_max_attempts,
                initial_backoff_ms: self.delivery_initial_backoff_ms,
                max_backoff_ms: self.delivery_max_backoff_ms,
                timeout_ms: self.delivery_timeout_ms,
            },
        })
    }
}

fn init_logging(format: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}

/// Resolves on SIGTERM or Ctrl-C. The handlers are installed when this is called (before the
/// "listening" line), so a signal sent right after that line is never lost.
fn terminated() -> impl std::future::Future<Output = ()> {
    use tokio::signal::unix::{SignalKind, signal};
    let term = signal(SignalKind::terminate());
    let ctrl_c = tokio::signal::ctrl_c();
    async move {
        match term {
            Ok(mut term) => {
                tokio::select! {
                    _ = ctrl_c => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = ctrl_c.await;
            }
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    init_logging(&args.log_format);
    let config = match args.config() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("hookwright-fake-api: {e}");
            return ExitCode::from(2);
        }
    };
    if config.tokens.is_empty() {
        tracing::warn!("no tokens configured: every API request gets 401 until tokens are added via /_admin/tokens");
    }
    let server = match FakeServer::start(config).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("hookwright-fake-api: {e}");
            return ExitCode::FAILURE;
        }
    };
    let stop = terminated();
    // One line on stdout that scripts can wait for and parse.
    println!("hookwright-fake-api listening api={} admin={}", server.base_url(), server.admin_url());
    let _ = std::io::stdout().flush();
    tracing::info!(api = %server.base_url(), admin = %server.admin_url(), "serving");
    stop.await;
    tracing::info!("shutting down");
    server.shutdown().await;
    ExitCode::SUCCESS
}
