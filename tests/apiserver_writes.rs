//! Issue 14's write budget, on a control plane of its own so that the apiserver's request
//! counters (`apiserver_request_total`) count this test alone: a create costs at most 3
//! apiserver writes (one patch with the finalizer and the create intent, one status write, and
//! the generated validation Secret when there is one), an edit 1 (the status), and a restart
//! with nothing changed costs no write and no provider call.
use std::time::{Duration, Instant};

use hookwright::crd::Webhook;
use hookwright_fake_api::mendix::FakeConfig;
use hookwright_testenv::ControlPlane;
use k8s_openapi::api::core::v1::Secret;
use kube::api::{ListParams, Patch, PatchParams, PostParams};
use serde_json::json;

#[path = "support/standalone.rs"]
mod standalone;

#[allow(dead_code)] // the bench's probes; this test reads the counters only
#[path = "../benches/throughput/probes.rs"]
mod probes;

/// Webhooks with a generated validation secret, and with one Secret they share.
const GENERATED: usize = 5;
const REFERENCED: usize = 5;
const N: usize = GENERATED + REFERENCED;

fn ready_at_generation(wh: &Webhook) -> bool {
    wh.status.as_ref().is_some_and(|s| {
        s.webhook_id.is_some()
            && s.conditions
                .iter()
                .any(|c| c.type_ == "Ready" && c.status == "True" && c.observed_generation == wh.metadata.generation)
    })
}

async fn wait_all_ready(world: &standalone::World, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let items = world.webhooks.list(&ListParams::default()).await.unwrap().items;
        if items.len() == N && items.iter().all(ready_at_generation) {
            return;
        }
        assert!(Instant::now() < deadline, "{what}: not all Ready");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The apiserver's write counters once they have not moved for 2 s (deadline 30 s).
async fn quiet_writes(client: &kube::Client) -> probes::Counts {
    let deadline = Instant::now() + Duration::from_secs(30);
    let (mut last, mut since) = (probes::apiserver_writes(client).await, Instant::now());
    loop {
        tokio::time::sleep(Duration::from_millis(250)).await;
        let now = probes::apiserver_writes(client).await;
        if now != last {
            (last, since) = (now, Instant::now());
        } else if since.elapsed() >= Duration::from_secs(2) {
            return last;
        }
        assert!(Instant::now() < deadline, "the apiserver's write counters never settled");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn creates_edits_and_restarts_stay_within_the_write_budget() {
    let cp = ControlPlane::start().await.unwrap_or_else(|e| panic!("starting the control plane: {e}"));
    let world = standalone::world_on(&cp, "writes", FakeConfig::default()).await;
    let secrets: kube::Api<Secret> = kube::Api::namespaced(world.client.clone(), &world.ns);
    let signing = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "signing"},
        "stringData": {"secret": format!("whsec_{}", "A1b2".repeat(10))}});
    secrets.create(&PostParams::default(), &serde_json::from_value(signing).unwrap()).await.unwrap();
    let (op, _) = world.operator_with_metrics("writes-1", &["--drift-interval", "1h"]);

    // Creates.
    let before = quiet_writes(&world.client).await;
    for i in 0..GENERATED {
        world.create_webhook(&format!("hook-{i}")).await;
    }
    for i in GENERATED..N {
        let wh = json!({"apiVersion": "hookwright.dev/v1alpha1", "kind": "Webhook", "metadata": {"name": format!("hook-{i}")},
            "spec": {"providerRef": {"kind": "WebhookProvider", "name": "m"}, "mendix": {"appId": world.app.to_string()},
                     "url": format!("https://r.example.com/{i}"), "eventTypes": ["package.uploaded"],
                     "validationSecretRef": {"name": "signing", "key": "secret"}}});
        world.webhooks.create(&PostParams::default(), &serde_json::from_value(wh).unwrap()).await.unwrap();
    }
    wait_all_ready(&world, "after the creates").await;
    let created = quiet_writes(&world.client).await.delta(&before);
    // Ours are the N POSTs of Webhooks; the provider's status is not per create.
    let count = |key: &str| created.0.get(key).copied().unwrap_or(0);
    let (patches, statuses) = (count("PATCH webhooks"), count("APPLY webhooks/status"));
    let (secrets_made, events) = (count("POST secrets"), count("POST events"));
    assert_eq!(
        (patches, statuses, secrets_made, events),
        (N as u64, N as u64, GENERATED as u64, 0),
        "per create: one patch, one status write, the generated Secret, no Event: {created:?}"
    );
    assert_eq!(world.count("POST", "").await, N as u64, "one POST per create");
    // The provider's status is written when what it says changes (the token accepted), not in a
    // loop fed by its own writes while calls go on.
    assert!(created.starting("APPLY webhookproviders") <= 2, "provider status rewritten: {created:?}");

    // Edits: one status write each.
    let before = quiet_writes(&world.client).await;
    for i in 0..N {
        let patch = json!({"spec": {"url": format!("https://r.example.com/moved-{i}")}});
        world.webhooks.patch(&format!("hook-{i}"), &PatchParams::default(), &Patch::Merge(&patch)).await.unwrap();
    }
    wait_all_ready(&world, "after the edits").await;
    let edited = quiet_writes(&world.client).await.delta(&before);
    let by_operator = edited.total() - edited.starting("APPLY webhookproviders") - N as u64;
    assert_eq!(by_operator, N as u64, "one write per edit: {edited:?}");
    assert_eq!(world.count("PUT", "").await, N as u64, "one PUT per edit");

    // A restart with nothing changed: every object reconciled, nothing written or called.
    drop(op);
    let before = quiet_writes(&world.client).await;
    let calls = world.count("GET", "").await + world.count("PUT", "").await + world.count("POST", "").await;
    let (_op, metrics) = world.operator_with_metrics("writes-2", &["--drift-interval", "1h"]);
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while probes::reconciles(&http, &metrics).await.unwrap_or(0) < N as u64 {
        assert!(Instant::now() < deadline, "the restarted operator did not reconcile every Webhook");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let after = quiet_writes(&world.client).await.delta(&before);
    let provider_status = after.starting("APPLY webhookproviders");
    assert_eq!(
        after.total() - provider_status,
        0,
        "a restart writes nothing to Webhooks, Secrets or Events: {after:?}"
    );
    let calls_after = world.count("GET", "").await + world.count("PUT", "").await + world.count("POST", "").await;
    assert_eq!(calls_after, calls, "a restart calls the provider for nothing");
}
