//! `hookwright`: the operator binary and its tools. Each subcommand lives in `src/cli/<name>.rs`.
use clap::{Parser, Subcommand};

mod cli;

#[derive(Parser)]
#[command(name = "hookwright", version, about = "Manage SaaS webhook subscriptions as Kubernetes resources")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print version information.
    Version,
    /// Print the CustomResourceDefinitions (Webhook, WebhookProvider, ClusterWebhookProvider) as YAML.
    Crd,
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Crd => cli::crd::run(),
        Command::Version => {
            println!("hookwright {}", env!("CARGO_PKG_VERSION"));
            std::process::ExitCode::SUCCESS
        }
    }
}
