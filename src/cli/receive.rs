//! `hookwright receive`: run the verifying reverse proxy (see `src/receive/`).

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use hookwright::signature::{DEFAULT_TOLERANCE, KeyFormat};

use crate::receive::listener::Limits;
use crate::receive::secrets::SecretSet;
use crate::receive::tls::TlsFiles;
use crate::receive::{Config, Proxy, fd_limit, serve};

/// Exit code (sysexits `EX_USAGE`) for unusable flags or secret file.
const EXIT_USAGE: u8 = 64;

/// Verify webhook deliveries and forward the good ones to an upstream (reverse proxy).
///
/// Every POST must carry a valid webhook-signature from the secret file's secret, a
/// webhook-timestamp within the tolerance and a webhook-id not delivered before; otherwise the
/// answer is 401. Verified deliveries are forwarded with all headers and the body to
/// --upstream (the request path is appended to its path) and the upstream's answer is relayed.
/// GET /livez and GET /metrics are served by the proxy.
#[derive(Debug, clap::Args)]
pub struct ReceiveArgs {
    /// Address to listen on (port 0 picks a free port; the address is printed on stdout).
    #[arg(long, value_name = "ADDR", default_value = "0.0.0.0:8080")]
    pub listen: SocketAddr,
    /// Base URL of the application that receives verified deliveries, e.g. http://127.0.0.1:3000.
    #[arg(long, value_name = "URL")]
    pub upstream: String,
    /// File holding the validation secret (trailing newline ignored); re-read when it changes.
    #[arg(long, value_name = "PATH")]
    pub secret_file: PathBuf,
    /// After the secret file changes, the previous secret is still accepted for this long.
    #[arg(long, value_name = "SECONDS", default_value_t = 3600)]
    pub grace_period: u64,
    /// How far webhook-timestamp may be from now, either way; delivered webhook-ids are
    /// remembered this long after their timestamp.
    #[arg(long, value_name = "SECONDS", default_value_t = DEFAULT_TOLERANCE.as_secs())]
    pub tolerance: u64,
    /// How the secret becomes the HMAC key: `raw` (the secret string, as Mendix documents) or
    /// `whsec` (Standard Webhooks: base64 after an optional `whsec_` prefix).
    #[arg(long, value_name = "raw|whsec", default_value_t = KeyFormat::Raw)]
    pub key_format: KeyFormat,
    /// Larger request bodies are refused with 413.
    #[arg(long, value_name = "BYTES", default_value_t = 1024 * 1024)]
    pub max_body_bytes: usize,
    /// Deadline for reading a request body, in seconds (answered 408 when exceeded), so a
    /// sender cannot hold a connection and its buffer open by trickling bytes.
    #[arg(long, value_name = "SECONDS", default_value_t = 10)]
    pub body_read_timeout: u64,
    /// Timeout of one upstream exchange (answered 504 when exceeded).
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    pub upstream_timeout: u64,
    /// Most webhook-ids remembered for replay protection (503 when full of live ones).
    #[arg(long, value_name = "N", default_value_t = 100_000)]
    pub replay_cache_size: usize,
    /// Deadline for a TLS handshake and for each request head (start line and headers), in
    /// seconds; the connection is closed when exceeded, so idle or trickling connections cannot
    /// pile up.
    #[arg(long, value_name = "SECONDS", default_value_t = 10)]
    pub header_read_timeout: u64,
    /// Most connections open at once; one more is answered 503 with Retry-After and closed.
    #[arg(long, value_name = "N", default_value_t = 4096)]
    pub max_connections: usize,
    /// Serve HTTPS with this PEM certificate chain (leaf first); re-read when it changes.
    #[arg(long, value_name = "PATH", requires = "tls_key_file")]
    pub tls_cert_file: Option<PathBuf>,
    /// The PEM private key of --tls-cert-file; re-read when it changes.
    #[arg(long, value_name = "PATH", requires = "tls_cert_file")]
    pub tls_key_file: Option<PathBuf>,
    /// How often the secret file (and the TLS files) are checked for changes, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 1000)]
    pub secret_poll_interval_ms: u64,
    /// Log format on stderr.
    #[arg(long, default_value = "text", value_parser = ["text", "json"])]
    pub log_format: String,
}

/// Runs the proxy until SIGTERM or SIGINT.
pub fn run(args: ReceiveArgs) -> ExitCode {
    super::init_tracing(&args.log_format);
    let usage = |msg: String| {
        eprintln!("hookwright receive: {msg}");
        ExitCode::from(EXIT_USAGE)
    };
    let upstream = match url::Url::parse(&args.upstream) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => u,
        Ok(_) => return usage(format!("--upstream {}: expected an http:// or https:// URL", args.upstream)),
        Err(e) => return usage(format!("--upstream {}: {e}", args.upstream)),
    };
    if args.secret_poll_interval_ms == 0
        || args.replay_cache_size == 0
        || args.max_connections == 0
        || args.header_read_timeout == 0
    {
        return usage(
            "--secret-poll-interval-ms, --replay-cache-size, --max-connections and --header-read-timeout must be at least 1"
                .into(),
        );
    }
    let secrets = match SecretSet::load(&args.secret_file, args.key_format, Duration::from_secs(args.grace_period)) {
        Ok(s) => s,
        Err(e) => return usage(e.to_string()),
    };
    let tls = match (&args.tls_cert_file, &args.tls_key_file) {
        (Some(cert), Some(key)) => match TlsFiles::load(cert, key) {
            Ok(t) => Some(Arc::new(t)),
            Err(e) => return usage(e.to_string()),
        },
        _ => None,
    };
    let config = Config {
        upstream,
        tolerance: Duration::from_secs(args.tolerance),
        max_body_bytes: args.max_body_bytes,
        body_read_timeout: Duration::from_secs(args.body_read_timeout),
        upstream_timeout: Duration::from_secs(args.upstream_timeout),
        replay_capacity: args.replay_cache_size,
        secret_poll: Duration::from_millis(args.secret_poll_interval_ms),
        limits: Limits {
            max_connections: args.max_connections,
            header_read_timeout: Duration::from_secs(args.header_read_timeout),
        },
    };
    fd_limit::raise_to_hard_limit();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("hookwright receive: starting the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        let proxy = match Proxy::new(config, secrets) {
            Ok(p) => p,
            Err(e) => {
                eprintln!("hookwright receive: building the HTTP client: {e}");
                return ExitCode::FAILURE;
            }
        };
        let listener = match tokio::net::TcpListener::bind(args.listen).await {
            Ok(l) => l,
            Err(e) => {
                eprintln!("hookwright receive: cannot listen on {}: {e}", args.listen);
                return ExitCode::FAILURE;
            }
        };
        let addr = listener.local_addr().unwrap_or(args.listen);
        {
            let mut out = std::io::stdout().lock();
            let scheme = if tls.is_some() { "https" } else { "http" };
            let _ = writeln!(out, "hookwright receive: listening on {scheme}://{addr}");
            let _ = out.flush();
        }
        tracing::info!(%addr, upstream = %args.upstream, key_format = %args.key_format, "verifying proxy started");
        serve(listener, proxy, tls, shutdown_signal()).await;
        ExitCode::SUCCESS
    })
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down");
}
