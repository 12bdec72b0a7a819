//! One file per subcommand of the `hookwright` binary.
pub mod crd;
pub mod import;
pub mod receive;
pub mod run;
pub mod verify;

/// Logs to stderr as text or JSON; level from `RUST_LOG` (default `info`).
pub fn init_tracing(format: &str) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _ = if format == "json" { builder.json().try_init() } else { builder.try_init() };
}
