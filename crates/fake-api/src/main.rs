//! `hookwright-fake-api`: a fake Mendix (default) or Socotra (`--provider socotra`) Webhooks API
//! server for tests, demos and benchmarks. A thin wrapper around `hookwright_fake_api::mendix`
//! and `hookwright_fake_api::socotra`; see docs/fake-api.md.
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::parser::ValueSource;
use clap::{ArgMatches, CommandFactory, FromArgMatches, Parser, ValueEnum};
use hookwright_fake_api::mendix::{self, DeliverySettings, Faults, RateLimitSettings, SigningKeyFormat};
use hookwright_fake_api::socotra;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Provider {
    /// The Mendix Webhooks API under /api/v1.
    Mendix,
    /// The Socotra Webhooks API under /event/{tenantLocator}/webhooks.
    Socotra,
}

/// Flags that only the Mendix fake has (event deliveries); refused with --provider socotra.
const MENDIX_ONLY: &[&str] = &[
    "signing_key_format",
    "delivery_max_attempts",
    "delivery_initial_backoff_ms",
    "delivery_max_backoff_ms",
    "delivery_timeout_ms",
];

#[derive(Debug, Parser)]
#[command(
    name = "hookwright-fake-api",
    version,
    about = "Fake Mendix Webhooks API (public API under /api/v1) or, with --provider socotra, fake Socotra \
             Webhooks API (under /event/{tenantLocator}/webhooks); admin API under /_admin"
)]
struct Args {
    /// Which API to serve.
    #[arg(long, env = "HOOKWRIGHT_FAKE_PROVIDER", value_enum, default_value_t = Provider::Mendix)]
    provider: Provider,
    /// Address of the public API (also serves /_admin). Port 0 picks a free port.
    #[arg(long, env = "HOOKWRIGHT_FAKE_ADDR", default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// Optional second address that serves only /_admin.
    #[arg(long, env = "HOOKWRIGHT_FAKE_ADMIN_ADDR")]
    admin_addr: Option<SocketAddr>,
    /// JSON or YAML list of {token, scopes: [...], apps: [uuid...]} (Mendix) or
    /// {token, permissions: [read, list, write], tenants: [uuid...]} (Socotra).
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
    /// Fraction (0..1) of writes with a body (Mendix: POST, PUT; Socotra: create, update)
    /// answered 400 naming the URL field, without doing anything.
    #[arg(long, default_value_t = 0.0)]
    invalid_rate: f64,
    /// Load webhooks from and save them to this JSON file.
    #[arg(long, env = "HOOKWRIGHT_FAKE_STATE_FILE")]
    state_file: Option<PathBuf>,
    /// (Mendix only) How the validation secret becomes the HMAC key: raw (the secret string's bytes, as the
    /// Mendix doc's openssl example) or whsec (Standard Webhooks: base64-decode after whsec_).
    #[arg(long, default_value = "raw", value_parser = ["raw", "whsec"])]
    signing_key_format: String,
    /// (Mendix only) Delivery attempts per message, including the first.
    #[arg(long, default_value_t = DeliverySettings::default().max_attempts)]
    delivery_max_attempts: u32,
    /// (Mendix only) Wait before the first retry, doubled after each failure, in milliseconds.
    #[arg(long, default_value_t = DeliverySettings::default().initial_backoff_ms)]
    delivery_initial_backoff_ms: u64,
    /// (Mendix only) Upper bound of the retry wait, in milliseconds.
    #[arg(long, default_value_t = DeliverySettings::default().max_backoff_ms)]
    delivery_max_backoff_ms: u64,
    /// (Mendix only) Timeout of one delivery attempt, in milliseconds.
    #[arg(long, default_value_t = DeliverySettings::default().timeout_ms)]
    delivery_timeout_ms: u64,
    /// Log format on stderr.
    #[arg(long, default_value = "text", value_parser = ["text", "json"])]
    log_format: String,
}

impl Args {
    fn rate_limit(&self) -> RateLimitSettings {
        RateLimitSettings { limit_per_hour: self.rate_limit_per_hour, window_secs: self.rate_limit_window_secs }
    }

    fn faults(&self) -> Faults {
        Faults {
            latency_ms: self.latency_ms,
            jitter_ms: self.jitter_ms,
            error_rate: self.error_rate,
            hang_rate: self.hang_rate,
            hang_ms: self.hang_ms,
            commit_then_drop_rate: self.commit_then_drop_rate,
            invalid_rate: self.invalid_rate,
        }
    }

    fn mendix(&self) -> Result<mendix::FakeConfig, String> {
        let tokens = match &self.tokens_file {
            Some(p) => mendix::load_tokens(p).map_err(|e| e.to_string())?,
            None => Vec::new(),
        };
        Ok(mendix::FakeConfig {
            addr: self.addr,
            admin_addr: self.admin_addr,
            tokens,
            rate_limit: self.rate_limit(),
            faults: self.faults(),
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

    fn socotra(&self, matches: &ArgMatches) -> Result<socotra::FakeConfig, String> {
        if let Some(flag) = MENDIX_ONLY.iter().find(|id| matches.value_source(id) == Some(ValueSource::CommandLine)) {
            return Err(format!("--{} is a Mendix flag; the Socotra fake has no deliveries", flag.replace('_', "-")));
        }
        let tokens = match &self.tokens_file {
            Some(p) => socotra::load_tokens(p).map_err(|e| e.to_string())?,
            None => Vec::new(),
        };
        Ok(socotra::FakeConfig {
            addr: self.addr,
            admin_addr: self.admin_addr,
            tokens,
            rate_limit: self.rate_limit(),
            faults: self.faults(),
            state_file: self.state_file.clone(),
        })
    }
}

enum Server {
    Mendix(mendix::FakeServer),
    Socotra(socotra::FakeServer),
}

impl Server {
    /// Checks the flags and starts the chosen fake; `Err(2)` for bad flags, `Err(1)` if it
    /// cannot start.
    async fn start(args: &Args, matches: &ArgMatches) -> Result<Self, u8> {
        let bad_flags = |e: String| {
            eprintln!("hookwright-fake-api: {e}");
            2
        };
        let failed = |e: hookwright_fake_api::mendix::FakeError| {
            eprintln!("hookwright-fake-api: {e}");
            1
        };
        match args.provider {
            Provider::Mendix => {
                let config = args.mendix().map_err(bad_flags)?;
                warn_without_tokens(config.tokens.is_empty());
                mendix::FakeServer::start(config).await.map(Self::Mendix).map_err(failed)
            }
            Provider::Socotra => {
                let config = args.socotra(matches).map_err(bad_flags)?;
                warn_without_tokens(config.tokens.is_empty());
                socotra::FakeServer::start(config).await.map(Self::Socotra).map_err(failed)
            }
        }
    }

    fn base_url(&self) -> String {
        match self {
            Self::Mendix(s) => s.base_url(),
            Self::Socotra(s) => s.base_url(),
        }
    }

    fn admin_url(&self) -> String {
        match self {
            Self::Mendix(s) => s.admin_url(),
            Self::Socotra(s) => s.admin_url(),
        }
    }

    async fn shutdown(self) {
        match self {
            Self::Mendix(s) => s.shutdown().await,
            Self::Socotra(s) => s.shutdown().await,
        }
    }
}

fn warn_without_tokens(empty: bool) {
    if empty {
        tracing::warn!("no tokens configured: every API request gets 401 until tokens are added via /_admin/tokens");
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
    let matches = Args::command().get_matches();
    let args = match Args::from_arg_matches(&matches) {
        Ok(a) => a,
        Err(e) => e.exit(),
    };
    init_logging(&args.log_format);
    let server = match Server::start(&args, &matches).await {
        Ok(s) => s,
        Err(code) => return ExitCode::from(code),
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
