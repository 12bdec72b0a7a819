//! `hookwright`: the operator binary and its tools. Each subcommand lives in `src/cli/<name>.rs`.
// No panic reachable from network input or a Kubernetes object (issue 12): these lints keep
// unwrap/expect/panic/indexing out of product code; tests may use them.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing,
        clippy::unreachable,
        clippy::todo,
        clippy::unimplemented
    )
)]
use clap::{Parser, Subcommand};

mod cli;
mod memory;
mod receive;

#[derive(Parser)]
#[command(name = "hookwright", version, about = "Manage SaaS webhook subscriptions as Kubernetes resources")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the operator (reconcile Webhooks until SIGTERM).
    Run(cli::run::RunArgs),
    /// Print version information.
    Version,
    /// Print the CustomResourceDefinitions (Webhook, WebhookProvider, ClusterWebhookProvider) as YAML, or
    /// with --reference their API reference as Markdown.
    Crd(cli::crd::CrdArgs),
    /// Verify one delivery's webhook signature (exit 0 valid, 1 invalid, 2 timestamp outside tolerance, 64 usage).
    Verify(cli::verify::VerifyArgs),
    /// Verifying reverse proxy: check each delivery's signature, timestamp and webhook-id, forward good ones upstream.
    Receive(cli::receive::ReceiveArgs),
    /// Write a Webhook (adopting it, deletionPolicy Orphan) for every webhook that already exists at a provider.
    Import(cli::import::ImportArgs),
}

fn main() -> std::process::ExitCode {
    memory::limit_arenas();
    // Usage errors exit with 64 (sysexits EX_USAGE), not clap's 2: `hookwright verify` uses 2
    // for "timestamp outside tolerance". --help and --version still exit 0.
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if e.use_stderr() => {
            let _ = e.print();
            return std::process::ExitCode::from(64);
        }
        Err(e) => e.exit(),
    };
    match cli.command {
        Command::Run(args) => cli::run::run(args),
        Command::Crd(args) => cli::crd::run(args),
        Command::Verify(args) => cli::verify::run(args),
        Command::Receive(args) => cli::receive::run(args),
        Command::Import(args) => cli::import::run(args),
        Command::Version => {
            println!("hookwright {}", env!("CARGO_PKG_VERSION"));
            std::process::ExitCode::SUCCESS
        }
    }
}
