//! `hookwright crd`: print the CustomResourceDefinitions as multi-document YAML, or with
//! `--reference` the API reference generated from their schemas.
use std::io::Write as _;
use std::process::ExitCode;

/// Print the CustomResourceDefinitions (Webhook, WebhookProvider, ClusterWebhookProvider).
#[derive(Debug, clap::Args)]
pub struct CrdArgs {
    /// Print the API reference (Markdown, as in docs/api.md) generated from the CRD schemas instead of YAML.
    #[arg(long)]
    pub reference: bool,
}

/// Writes `hookwright::crd::all_crds_yaml()` (what `make crds` splits into `crds/`) or, with
/// `--reference`, `hookwright::crd::api_reference_markdown()` (what `make api-docs` writes to
/// `docs/api.md`) to stdout.
pub fn run(args: CrdArgs) -> ExitCode {
    let text =
        if args.reference { hookwright::crd::api_reference_markdown() } else { hookwright::crd::all_crds_yaml() };
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("hookwright crd: writing to stdout: {e}");
            ExitCode::FAILURE
        }
    }
}
