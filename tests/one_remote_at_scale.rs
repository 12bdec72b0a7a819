//! Issue 11, hole 0: N Webhooks applied before the operator starts, concurrency 64, 100 ms
//! provider latency, no faults. A reflector cache that lags the operator's own writes must
//! never lead to a second create: exactly N remote webhooks, N POSTs and no LIST.
//!
//! N is `HOOKWRIGHT_SCALE_N` (default 300 in `make test`; `make soak` runs 2,000).
use std::time::{Duration, Instant};

use futures::{StreamExt, TryStreamExt};
use hookwright::crd::Webhook;
use hookwright_fake_api::mendix::{FakeConfig, Faults};
use kube::api::{ListParams, PostParams};
use serde_json::json;

#[path = "support/standalone.rs"]
mod standalone;

fn scale_n() -> usize {
    std::env::var("HOOKWRIGHT_SCALE_N").ok().and_then(|v| v.parse().ok()).unwrap_or(300)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn n_webhooks_applied_before_start_make_exactly_n_remote_webhooks() {
    let n = scale_n();
    let mut config = FakeConfig { faults: Faults { latency_ms: 100, ..Faults::default() }, ..FakeConfig::default() };
    config.rate_limit.limit_per_hour = 1_000_000;
    let world = standalone::world("scale", config).await;
    let app = world.app;
    let webhooks = world.webhooks.clone();
    let started = Instant::now();
    futures::stream::iter(0..n)
        .map(|i| {
            let webhooks = webhooks.clone();
            let wh: Webhook = serde_json::from_value(json!({
                "apiVersion": "hookwright.dev/v1alpha1", "kind": "Webhook", "metadata": {"name": format!("hook-{i}")},
                "spec": {
                    "providerRef": {"kind": "WebhookProvider", "name": "m"},
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

    let operator = world.operator("scale", &["--concurrency", "64"]);

    let started = Instant::now();
    let deadline = started + Duration::from_secs(60 + n as u64 / 5);
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
            world.count("POST", "").await
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    eprintln!("{n} Webhooks Ready in {:?}", started.elapsed());

    let remote = world.remote().await.len();
    let posts = world.count("POST", "").await;
    let lists = world.count("GET", "/webhooks").await;
    let gets = world.count("GET", "{id}").await;
    eprintln!("remote webhooks {remote}, POST {posts}, GET {gets}, LIST {lists}");
    assert_eq!(remote, n, "exactly one remote webhook per object");
    assert_eq!(posts, n as u64, "exactly one POST per object");
    assert_eq!(lists, 0, "no LIST: nothing ever looked like an interrupted create");
}
