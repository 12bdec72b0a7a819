//! `hookwright import`: lists the webhooks that exist at a provider and writes a `Webhook` for
//! each, ready to commit, which adopts it (see `src/import.rs` for what is written).
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use hookwright::crd::{ClusterWebhookProvider, EXTERNAL_ID_ANNOTATION, ProviderKind, Webhook, WebhookProvider};
use hookwright::import::{self, Found, Imported, Settings};
use hookwright::providers::budget::RateBudget;
use hookwright::providers::{
    ClientOptions, Endpoint, Flavor, ProviderEndpoint as _, Timeouts, TokenRef, WebhookApi, connect, http_client,
};
use kube::api::{Api, ListParams, Patch, PatchParams};
use secrecy::SecretString;

const EXIT_USAGE: u8 = 64;
const EXAMPLE: &str = "Example: import the webhooks of two Mendix apps, with their Secrets created in the cluster:

  hookwright import --provider mendix -n team-a \\
      --app 76ef1b0f-4050-4810-a159-cb419268636c --app 5e0c2d1a-9d54-4a8b-8f1e-2b3c4d5e6f70 \\
      --secrets create --out imported/
  kubectl apply -f imported/

Every Webhook carries the hookwright.dev/external-id annotation (the operator adopts the
remote webhook instead of creating one) and deletionPolicy: Orphan. No secret value is ever
written to stdout, stderr or the Webhook files.";

/// Write a Webhook for every webhook that already exists at a provider (made in its portal), so
/// it comes under GitOps: the operator adopts each one instead of creating another.
///
/// The provider object and its token are read from the cluster (KUBECONFIG), or given with
/// --base-url and --token-file. Webhooks that a Webhook in the cluster already manages are
/// skipped and listed. Validation secrets and header values go to Secrets, never into the
/// Webhooks: --secrets reference (default) refers to Secrets you provide (their names and keys
/// are listed), --secrets create creates them in the cluster, --secrets manifest writes them to
/// a separate file with mode 0600. Output: YAML on stdout, or one file per Webhook with --out.
#[derive(Debug, clap::Args)]
#[command(after_help = EXAMPLE)]
pub struct ImportArgs {
    /// Kind of the provider object.
    #[arg(long, value_name = "KIND", default_value = "WebhookProvider", value_parser = ["WebhookProvider", "ClusterWebhookProvider"])]
    pub provider_kind: String,
    /// Name of the provider object (the Webhooks' providerRef).
    #[arg(long, value_name = "NAME")]
    pub provider: String,
    /// Namespace of the Webhooks written (and of a WebhookProvider).
    #[arg(short = 'n', long, value_name = "NAMESPACE", default_value = "default")]
    pub namespace: String,
    /// Mendix app id whose webhooks are imported (repeat for several apps; required for Mendix).
    #[arg(long = "app", value_name = "ID")]
    pub apps: Vec<String>,
    /// Without a cluster: the provider's API base URL (with --token-file and --flavor).
    #[arg(long, value_name = "URL", requires = "token_file")]
    pub base_url: Option<String>,
    /// Without a cluster: a file holding the API token.
    #[arg(long, value_name = "PATH", requires = "base_url")]
    pub token_file: Option<PathBuf>,
    /// Without a cluster: which API --base-url is.
    #[arg(long, value_name = "mendix|socotra", default_value = "mendix", value_parser = ["mendix", "socotra"])]
    pub flavor: String,
    /// Without a cluster, for Socotra: the tenant locator.
    #[arg(long, value_name = "LOCATOR")]
    pub tenant: Option<String>,
    /// Write one file per Webhook (<name>.yaml) into this directory instead of stdout.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Where validation secrets and header values go: reference, create or manifest.
    #[arg(long, value_name = "MODE", default_value = "reference", value_parser = ["reference", "create", "manifest"])]
    pub secrets: String,
    /// With --secrets manifest: the file for the Secret manifests (mode 0600). Default:
    /// <DIR>/secrets.yaml with --out, else ./hookwright-import-secrets.yaml.
    #[arg(long, value_name = "PATH")]
    pub secrets_file: Option<PathBuf>,
    /// deletionPolicy of the Webhooks written; Orphan keeps an import from ever putting a
    /// webhook at risk of deletion.
    #[arg(long, value_name = "POLICY", default_value = "Orphan", value_parser = ["Orphan", "Delete"])]
    pub deletion_policy: String,
    /// Print what would be written and created (Webhooks on stdout, files and Secrets on
    /// stderr), and write or create nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Webhooks per page when listing (default: the provider client's).
    #[arg(long, value_name = "N")]
    pub page_size: Option<usize>,
}

/// A failure of the command (usage, cluster, provider, files); never carries a secret value.
#[derive(Debug, thiserror::Error)]
enum ImportError {
    #[error("{0}")]
    Usage(String),
    #[error("Kubernetes: {0}")]
    Kube(#[from] kube::Error),
    #[error("{0}")]
    Secret(#[from] hookwright::secrets::SecretError),
    #[error("listing webhooks: {0}")]
    Api(#[from] hookwright::providers::ApiError),
    #[error("{path}: {source}")]
    File { path: PathBuf, source: std::io::Error },
}

pub fn run(args: ImportArgs) -> ExitCode {
    super::init_tracing("text");
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("hookwright import: starting the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(import_all(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(ImportError::Usage(msg)) => {
            eprintln!("hookwright import: {msg}");
            ExitCode::from(EXIT_USAGE)
        }
        Err(e) => {
            eprintln!("hookwright import: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn import_all(args: ImportArgs) -> Result<(), ImportError> {
    hookwright::tls::install_crypto_provider();
    let kind = if args.provider_kind == "ClusterWebhookProvider" {
        ProviderKind::ClusterWebhookProvider
    } else {
        ProviderKind::WebhookProvider
    };
    let kube = if args.base_url.is_some() { None } else { Some(kube::Client::try_default().await?) };
    if kube.is_none() && args.secrets == "create" {
        return Err(ImportError::Usage("--secrets create needs a cluster (not --base-url)".into()));
    }
    let (endpoint, token) = match (&kube, &args.base_url, &args.token_file) {
        (Some(client), _, _) => from_cluster(client, kind, &args).await?,
        (None, Some(url), Some(file)) => from_flags(url, file, &args)?,
        _ => return Err(ImportError::Usage("give --base-url with --token-file, or a cluster".into())),
    };
    let api = client_for(&endpoint, token, args.page_size)?;
    let scopes = match endpoint.flavor {
        Flavor::Mendix if args.apps.is_empty() => {
            return Err(ImportError::Usage("Mendix webhooks live in apps: give --app ID (one or more)".into()));
        }
        Flavor::Mendix => args.apps.clone(),
        Flavor::Socotra => vec![endpoint.tenant.clone().unwrap_or_default()],
    };

    let mut found = Vec::new();
    for scope in &scopes {
        for summary in api.list(scope).await? {
            found.push(Found { scope: scope.clone(), remote: api.observe(scope, &summary.id).await? });
        }
    }
    found.sort_by(|a, b| (&a.scope, &a.remote.id).cmp(&(&b.scope, &b.remote.id)));
    let managed = match &kube {
        Some(client) => managed_ids(client).await?,
        None => Default::default(),
    };
    let (skipped, found): (Vec<Found>, Vec<Found>) =
        found.into_iter().partition(|f| managed.contains_key(&f.remote.id));
    for f in &skipped {
        let owner = managed.get(&f.remote.id).map(String::as_str).unwrap_or_default();
        eprintln!("skipped {} ({:?}): already managed by Webhook {owner}", f.remote.id, f.remote.name);
    }

    let settings = Settings {
        flavor: endpoint.flavor,
        provider_kind: kind,
        provider: args.provider.clone(),
        namespace: args.namespace.clone(),
        deletion_policy: args.deletion_policy.clone(),
    };
    let names = import::names(&found);
    let imported: Vec<Imported> = found.iter().zip(&names).map(|(f, n)| import::import(&settings, f, n)).collect();
    write_webhooks(&args, &imported)?;
    handle_secrets(&args, kube.as_ref(), &imported).await?;
    eprintln!(
        "{} {} Webhook(s) from {} remote webhook(s); {} skipped as already managed",
        if args.dry_run { "would write" } else { "wrote" },
        imported.len(),
        imported.len() + skipped.len(),
        skipped.len()
    );
    Ok(())
}

async fn from_cluster(
    client: &kube::Client,
    kind: ProviderKind,
    args: &ImportArgs,
) -> Result<(Endpoint, SecretString), ImportError> {
    let not_found = || ImportError::Usage(format!("{kind} {:?} not found", args.provider));
    let endpoint = match kind {
        ProviderKind::WebhookProvider => {
            let api: Api<WebhookProvider> = Api::namespaced(client.clone(), &args.namespace);
            api.get_opt(&args.provider).await?.ok_or_else(not_found)?.endpoint()
        }
        ProviderKind::ClusterWebhookProvider => {
            let api: Api<ClusterWebhookProvider> = Api::all(client.clone());
            api.get_opt(&args.provider).await?.ok_or_else(not_found)?.endpoint()
        }
    }
    .map_err(|e| ImportError::Usage(e.to_string()))?;
    let t = &endpoint.token;
    let token = hookwright::secrets::read_key(client, &t.namespace, &t.name, &t.key, "provider token").await?;
    Ok((endpoint, token))
}

fn from_flags(url: &str, file: &Path, args: &ImportArgs) -> Result<(Endpoint, SecretString), ImportError> {
    let raw = std::fs::read(file).map_err(|source| ImportError::File { path: file.to_path_buf(), source })?;
    let token = std::str::from_utf8(hookwright::signature::key::trim_line_end(&raw))
        .ok()
        .filter(|t| !t.is_empty())
        .map(|t| SecretString::from(t.to_string()))
        .ok_or_else(|| ImportError::Usage(format!("{}: empty or not UTF-8 text", file.display())))?;
    let flavor = if args.flavor == "socotra" { Flavor::Socotra } else { Flavor::Mendix };
    if flavor == Flavor::Socotra && args.tenant.is_none() {
        return Err(ImportError::Usage("--flavor socotra needs --tenant".into()));
    }
    let token_ref = TokenRef { namespace: String::new(), name: String::new(), key: String::new() };
    let endpoint = Endpoint {
        flavor,
        base_url: url.to_string(),
        token: token_ref,
        requests_per_hour: None,
        tenant: args.tenant.clone(),
    };
    Ok((endpoint, token))
}

fn client_for(
    endpoint: &Endpoint,
    token: SecretString,
    page_size: Option<usize>,
) -> Result<Arc<dyn WebhookApi>, ImportError> {
    let http = http_client(Timeouts::default())?;
    let budget = Arc::new(RateBudget::new(endpoint.requests_per_hour));
    Ok(connect(endpoint, http, token, budget, ClientOptions { observer: None, page_size }))
}

/// Remote ids that Webhooks in the cluster already manage (status or annotation) → "ns/name".
async fn managed_ids(client: &kube::Client) -> Result<std::collections::BTreeMap<String, String>, ImportError> {
    let mut out = std::collections::BTreeMap::new();
    for wh in Api::<Webhook>::all(client.clone()).list(&ListParams::default()).await?.items {
        let owner = format!(
            "{}/{}",
            wh.metadata.namespace.clone().unwrap_or_default(),
            wh.metadata.name.clone().unwrap_or_default()
        );
        let ids = [
            wh.status.as_ref().and_then(|s| s.webhook_id.clone()),
            wh.metadata.annotations.as_ref().and_then(|a| a.get(EXTERNAL_ID_ANNOTATION).cloned()),
        ];
        for id in ids.into_iter().flatten() {
            out.insert(id, owner.clone());
        }
    }
    Ok(out)
}

fn write_webhooks(args: &ImportArgs, imported: &[Imported]) -> Result<(), ImportError> {
    match (&args.out, args.dry_run) {
        (Some(dir), false) => {
            std::fs::create_dir_all(dir).map_err(|source| ImportError::File { path: dir.clone(), source })?;
            for i in imported {
                let path = dir.join(format!("{}.yaml", i.name));
                std::fs::write(&path, import::to_yaml(&[&i.webhook]))
                    .map_err(|source| ImportError::File { path: path.clone(), source })?;
            }
        }
        (out, _) => {
            if let (Some(dir), true) = (out, args.dry_run) {
                for i in imported {
                    eprintln!("would write {}", dir.join(format!("{}.yaml", i.name)).display());
                }
            }
            let docs: Vec<&serde_json::Value> = imported.iter().map(|i| &i.webhook).collect();
            let mut stdout = std::io::stdout().lock();
            let _ = stdout.write_all(import::to_yaml(&docs).as_bytes());
        }
    }
    Ok(())
}

async fn handle_secrets(
    args: &ImportArgs,
    kube: Option<&kube::Client>,
    imported: &[Imported],
) -> Result<(), ImportError> {
    let secrets: Vec<_> = imported.iter().filter_map(|i| i.secret.as_ref()).collect();
    if secrets.is_empty() {
        return Ok(());
    }
    match args.secrets.as_str() {
        "create" => {
            let Some(client) = kube else { return Ok(()) };
            let api: Api<k8s_openapi::api::core::v1::Secret> = Api::namespaced(client.clone(), &args.namespace);
            for s in &secrets {
                if args.dry_run {
                    eprintln!("would create Secret {}/{} (keys {})", args.namespace, s.name, s.keys().join(", "));
                    continue;
                }
                let pp = PatchParams::apply("hookwright-import").force();
                api.patch(&s.name, &pp, &Patch::Apply(s.to_object(&args.namespace))).await?;
                eprintln!("created Secret {}/{} (keys {})", args.namespace, s.name, s.keys().join(", "));
            }
        }
        "manifest" => {
            let path = args.secrets_file.clone().unwrap_or_else(|| match &args.out {
                Some(dir) => dir.join("secrets.yaml"),
                None => PathBuf::from("hookwright-import-secrets.yaml"),
            });
            if args.dry_run {
                eprintln!("would write {} Secret manifest(s) to {} (mode 0600)", secrets.len(), path.display());
                return Ok(());
            }
            let objects: Vec<serde_json::Value> = secrets.iter().map(|s| s.to_object(&args.namespace)).collect();
            write_private(&path, &import::to_yaml(&objects.iter().collect::<Vec<_>>()))?;
            eprintln!(
                "wrote {} Secret manifest(s) to {} (mode 0600): keep it out of Git",
                secrets.len(),
                path.display()
            );
        }
        _ => {
            eprintln!("provide these Secrets in namespace {} before applying (not created):", args.namespace);
            for s in &secrets {
                eprintln!("  {}: keys {}", s.name, s.keys().join(", "));
            }
        }
    }
    Ok(())
}

/// Writes `text` to a file only its owner can read (created with mode 0600, never wider).
fn write_private(path: &Path, text: &str) -> Result<(), ImportError> {
    use std::os::unix::fs::OpenOptionsExt as _;
    let file_err = |source| ImportError::File { path: path.to_path_buf(), source };
    let _ = std::fs::remove_file(path);
    let mut f = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path).map_err(file_err)?;
    f.write_all(text.as_bytes()).map_err(file_err)
}
