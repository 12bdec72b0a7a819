//! `make bench`: how fast the operator converges N Webhooks, and what it costs in API calls.
//! Real kube-apiserver + etcd, the real operator binary (release build), the fake Mendix API.
//! Writes `bench/results/throughput.json`. Bounded: N webhooks (HOOKWRIGHT_BENCH_N, default
//! 200), every wait has a deadline.
use std::time::{Duration, Instant};

use hookwright::crd::Webhook;
use hookwright_fake_api::mendix::{FakeConfig, FakeServer, TokenEntry};
use kube::api::{Api, ListParams, Patch, PatchParams, PostParams};
use serde_json::json;

const DEADLINE: Duration = Duration::from_secs(300);

fn ready_count(list: &[Webhook], hash_not: Option<&str>) -> usize {
    list.iter()
        .filter(|w| {
            let s = w.status.as_ref();
            s.is_some_and(|s| {
                s.observed_generation == w.metadata.generation
                    && s.conditions.iter().any(|c| c.type_ == "Ready" && c.status == "True")
                    && hash_not.is_none_or(|h| s.applied_hash.as_deref() != Some(h))
            })
        })
        .count()
}

async fn wait_all(api: &Api<Webhook>, n: usize, what: &str) -> Duration {
    let start = Instant::now();
    loop {
        let list = api.list(&ListParams::default()).await.unwrap().items;
        if ready_count(&list, None) == n && list.len() == n {
            return start.elapsed();
        }
        assert!(start.elapsed() < DEADLINE, "{what}: only {} of {n} ready", ready_count(&list, None));
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn api_calls(fake: &FakeServer) -> serde_json::Value {
    reqwest::get(format!("{}/requests", fake.admin_url())).await.unwrap().json().await.unwrap()
}

fn sum(calls: &serde_json::Value, method: &str) -> u64 {
    calls["requests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["method"] == method)
        .map(|r| r["count"].as_u64().unwrap())
        .sum()
}

#[tokio::main]
async fn main() {
    let n: usize = std::env::var("HOOKWRIGHT_BENCH_N").ok().and_then(|v| v.parse().ok()).unwrap_or(200).min(2000);
    let concurrency = std::env::var("HOOKWRIGHT_BENCH_CONCURRENCY").unwrap_or_else(|_| "8".into());
    let cp = hookwright_testenv::ControlPlane::start().await.expect("control plane");
    let client = cp.client().await.unwrap();
    hookwright_testenv::install_crds(&client, &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("crds"))
        .await
        .unwrap();
    let ns = hookwright_testenv::create_namespace(&client, "bench").await.unwrap();
    let app = uuid::Uuid::new_v4();
    let fake = FakeServer::start(FakeConfig {
        tokens: vec![TokenEntry::new("pat", &["mx:webhook:read", "mx:webhook:write"], &[app])],
        ..FakeConfig::default()
    })
    .await
    .unwrap();
    let operator = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/release/hookwright");
    let mut cmd = std::process::Command::new(&operator);
    cmd.args(["run", "--concurrency", &concurrency, "--metrics-addr", "127.0.0.1:0", "--log-format", "json"])
        .env("KUBECONFIG", cp.kubeconfig_path())
        .env("RUST_LOG", "warn");
    let _op = hookwright_testenv::spawn_logged("hookwright", cmd, &cp.dir().join("operator.log")).expect("operator");

    let secrets: Api<k8s_openapi::api::core::v1::Secret> = Api::namespaced(client.clone(), &ns);
    secrets
        .create(
            &PostParams::default(),
            &serde_json::from_value(json!({"metadata": {"name": "pat"}, "stringData": {"token": "pat"}})).unwrap(),
        )
        .await
        .unwrap();
    let providers: Api<hookwright::crd::WebhookProvider> = Api::namespaced(client.clone(), &ns);
    providers
        .create(
            &PostParams::default(),
            &serde_json::from_value(
                json!({"apiVersion": "hookwright.dev/v1alpha1", "kind": "WebhookProvider", "metadata": {"name": "m"},
            "spec": {"mendix": {"baseUrl": fake.base_url(), "tokenSecretRef": {"name": "pat", "key": "token"}}}}),
            )
            .unwrap(),
        )
        .await
        .unwrap();
    let api: Api<Webhook> = Api::namespaced(client.clone(), &ns);
    let created_at = Instant::now();
    for i in 0..n {
        let wh: Webhook = serde_json::from_value(json!({"apiVersion": "hookwright.dev/v1alpha1", "kind": "Webhook", "metadata": {"name": format!("hook-{i}")},
            "spec": {"providerRef": {"kind": "WebhookProvider", "name": "m"}, "mendix": {"appId": app.to_string()},
                     "url": format!("https://r.example.com/{i}"), "eventTypes": ["package.uploaded"]}}))
        .unwrap();
        api.create(&PostParams::default(), &wh).await.unwrap();
    }
    let apply_secs = created_at.elapsed().as_secs_f64();
    let converge = wait_all(&api, n, "create").await + Duration::from_secs_f64(apply_secs);
    let after_create = api_calls(&fake).await;

    let edit_at = Instant::now();
    for i in 0..n {
        api.patch(&format!("hook-{i}"), &PatchParams::default(), &Patch::Merge(json!({"spec": {"active": false}})))
            .await
            .unwrap();
    }
    let edit = {
        loop {
            let list = api.list(&ListParams::default()).await.unwrap().items;
            let done = list
                .iter()
                .filter(|w| {
                    w.status.as_ref().is_some_and(|s| {
                        s.observed_generation == Some(2)
                            && s.conditions.iter().any(|c| c.type_ == "Ready" && c.status == "True")
                    })
                })
                .count();
            if done == n {
                break edit_at.elapsed();
            }
            assert!(edit_at.elapsed() < DEADLINE, "edit: only {done} of {n} updated");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    };
    let after_edit = api_calls(&fake).await;

    let result = json!({
        "when": jiff::Timestamp::now().to_string(),
        "webhooks": n,
        "concurrency": concurrency,
        "create_converge_seconds": converge.as_secs_f64(),
        "create_per_second": n as f64 / converge.as_secs_f64(),
        "edit_converge_seconds": edit.as_secs_f64(),
        "posts_per_webhook": sum(&after_create, "POST") as f64 / n as f64,
        "puts_per_webhook_edit": (sum(&after_edit, "PUT") - sum(&after_create, "PUT")) as f64 / n as f64,
        "machine_cores": std::thread::available_parallelism().map(|p| p.get()).unwrap_or(1),
    });
    let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/results");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("throughput.json"), serde_json::to_string_pretty(&result).unwrap() + "\n").unwrap();
    println!("{}", serde_json::to_string_pretty(&result).unwrap());
}
