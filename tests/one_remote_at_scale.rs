//! Issue 11, hole 0: N Webhooks applied before the operator starts, concurrency 64, 100 ms
//! provider latency, no faults. A reflector cache that lags the operator's own writes must
//! never lead to a second create: exactly N remote webhooks, N POSTs and no LIST.
//!
//! N is `HOOKWRIGHT_SCALE_N` (default 300 in `make test`; `make soak` runs 2,000).
use std::path::PathBuf;
use std::time::{Duration, Instant};

use futures::{StreamExt, TryStreamExt};
use hookwright::crd::Webhook;
use hookwright::fake::{FakeConfig, FakeServer, Faults, TokenEntry};
use k8s_openapi::api::core::v1::Secret;
use kube::api::{Api, ListParams, Patch, PatchParams, PostParams};
use serde_json::{Value, json};

fn scale_n() -> usize {
    std::env::var("HOOKWRIGHT_SCALE_N").ok().and_then(|v| v.parse().ok()).unwrap_or(300)
}

/// Requests the fake received with `method` on routes ending in `route_end` ("" for all).
async fn count(http: &reqwest::Client, fake: &FakeServer, method: &str, route_end: &str) -> u64 {
    let v: Value = http.get(format!("{}/requests", fake.admin_url())).send().await.unwrap().json().await.unwrap();
    v["requests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["method"] == method && r["route"].as_str().unwrap_or_default().ends_with(route_end))
        .map(|r| r["count"].as_u64().unwrap())
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn n_webhooks_applied_before_start_make_exactly_n_remote_webhooks() {
    let n = scale_n();
    let cp = hookwright_testenv::shared().await;
    let client = cp.client().await.unwrap();
    let crds = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("crds");
    hookwright_testenv::install_crds(&client, &crds).await.unwrap();
    hookwright::tls::install_crypto_provider();
    let ns = hookwright_testenv::create_namespace(&client, "scale").await.unwrap();

    let app = uuid::Uuid::new_v4();
    let token = format!("pat{}", uuid::Uuid::new_v4().simple());
    let mut config = FakeConfig { faults: Faults { latency_ms: 100, ..Faults::default() }, ..FakeConfig::default() };
    config.tokens.push(TokenEntry::new(token.clone(), &["mx:webhook:read", "mx:webhook:write"], &[app]));
    config.rate_limit.limit_per_hour = 1_000_000;
    let fake = FakeServer::start(config).await.unwrap();

    let secrets: Api<Secret> = Api::namespaced(client.clone(), &ns);
    let secret: Secret = serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "Secret", "metadata": {"name": "pat"}, "stringData": {"token": token}
    }))
    .unwrap();
    secrets.create(&PostParams::default(), &secret).await.unwrap();
    let provider = json!({
        "apiVersion": "hookwright.dev/v1alpha1", "kind": "WebhookProvider", "metadata": {"name": "mendix"},
        "spec": {"mendix": {"baseUrl": fake.base_url(), "tokenSecretRef": {"name": "pat", "key": "token"}}}
    });
    let providers: Api<hookwright::crd::WebhookProvider> = Api::namespaced(client.clone(), &ns);
    providers.patch("mendix", &PatchParams::apply("scale").force(), &Patch::Apply(&provider)).await.unwrap();

    let webhooks: Api<Webhook> = Api::namespaced(client.clone(), &ns);
    let started = Instant::now();
    futures::stream::iter(0..n)
        .map(|i| {
            let webhooks = webhooks.clone();
            let wh: Webhook = serde_json::from_value(json!({
                "apiVersion": "hookwright.dev/v1alpha1", "kind": "Webhook", "metadata": {"name": format!("hook-{i}")},
                "spec": {
                    "providerRef": {"kind": "WebhookProvider", "name": "mendix"},
                    "mendix": {"appId": app.to_string()},
                    "url": format!("https://receiver.example.com/{i}"),
                    "eventTypes": ["package.uploaded"],
                }
            }))
            .unwrap();
            async move { webhooks.create(&PostParams::default(), &wh).await.map(|_| ()) }
        })
        .buffer_unordered(32)
        .try_collect::<Vec<()>>()
        .await
        .unwrap();
    eprintln!("{n} Webhooks accepted by the apiserver in {:?}", started.elapsed());

    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut cmd = std::process::Command::new(hookwright_testenv::operator_binary(env!("CARGO_BIN_EXE_hookwright")));
    cmd.args(["run", "--concurrency", "64", "--namespace", &ns])
        .arg("--metrics-addr")
        .arg(format!("127.0.0.1:{port}"))
        .env("KUBECONFIG", cp.kubeconfig_path())
        .env("RUST_LOG", "info");
    let log = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("scale-operator.log");
    let operator = hookwright_testenv::spawn_logged("hookwright", cmd, &log).unwrap();

    let started = Instant::now();
    let deadline = started + Duration::from_secs(60 + n as u64 / 5);
    let http = reqwest::Client::new();
    loop {
        operator.check_running().expect("operator running");
        let list = webhooks.list(&ListParams::default()).await.unwrap();
        let ready = list
            .items
            .iter()
            .filter(|w| {
                w.status.as_ref().is_some_and(|s| {
                    s.webhook_id.is_some() && s.conditions.iter().any(|c| c.type_ == "Ready" && c.status == "True")
                })
            })
            .count();
        if ready == n {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{ready} of {n} Ready after {:?}; POSTs so far {}",
            started.elapsed(),
            count(&http, &fake, "POST", "").await
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    eprintln!("{n} Webhooks Ready in {:?}", started.elapsed());

    let remote: Value = http.get(format!("{}/webhooks", fake.admin_url())).send().await.unwrap().json().await.unwrap();
    let remote = remote["webhooks"].as_array().unwrap().len();
    let posts = count(&http, &fake, "POST", "").await;
    let lists = count(&http, &fake, "GET", "/webhooks").await;
    let gets = count(&http, &fake, "GET", "{id}").await;
    eprintln!("remote webhooks {remote}, POST {posts}, GET {gets}, LIST {lists}");
    assert_eq!(remote, n, "exactly one remote webhook per object");
    assert_eq!(posts, n as u64, "exactly one POST per object");
    assert_eq!(lists, 0, "no LIST: nothing ever looked like an interrupted create");
}
