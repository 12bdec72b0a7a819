//! Create, update, no-op resyncs, suspend and adoption.
use serde_json::json;

use super::harness::{condition, env, webhook_id};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_then_edit_then_resync() {
    let env = env("life").await;
    env.create(env.webhook_json("build")).await;
    let wh = env.wait_ready("build").await;
    let id = webhook_id(&wh);
    assert!(id.starts_with("mxep_"), "{id}");
    assert_eq!(env.count("POST").await, 1, "exactly one POST creates the webhook");
    // The id lives in status; the object carries the finalizer and the create intent, written
    // in one patch before the POST (DESIGN §3), and no external-id annotation of ours.
    let annotations = wh.metadata.annotations.clone().unwrap_or_default();
    assert!(!annotations.contains_key("hookwright.dev/external-id"), "{annotations:?}");
    let intent: serde_json::Value = serde_json::from_str(&annotations["hookwright.dev/create-intent"]).unwrap();
    assert_eq!(intent["url"], "https://receiver.example.com/build");
    assert_eq!(wh.metadata.finalizers.as_deref(), Some(&["hookwright.dev/cleanup".to_string()][..]));
    let status = wh.status.as_ref().unwrap();
    assert_eq!(status.observed_generation, wh.metadata.generation);
    assert!(status.applied_hash.as_ref().is_some_and(|h| h.len() == 16));
    assert!(status.last_synced_at.is_some());
    assert_eq!(condition(&wh, "Synced").unwrap().reason, "Created");
    let remote = env.remote(&id).await;
    assert_eq!(remote["url"], "https://receiver.example.com/build");
    let uid: String = wh.metadata.uid.as_deref().unwrap().chars().take(8).collect();
    assert_eq!(remote["name"], format!("{} build {uid}", env.ns.replace('-', "_")));
    // The user's own create is told by status, not by an Event (Events are for what the user
    // did not write).
    assert!(!env.events("build").await.iter().any(|(reason, _)| reason == "Created"));

    // A spec edit is pushed with exactly one PUT.
    env.patch("build", json!({"spec": {"eventTypes": ["package.uploaded", "teamserver.push"], "active": false}})).await;
    let wh = env.wait_ready("build").await;
    assert_eq!(env.count("PUT").await, 1, "exactly one PUT for one spec change");
    assert_eq!(env.count("POST").await, 1);
    assert_eq!(webhook_id(&wh), id);
    let remote = env.remote(&id).await;
    assert_eq!(remote["isActive"], false);
    assert_eq!(remote["eventTypes"], json!(["package.uploaded", "teamserver.push"]));

    // Three forced resyncs with nothing changed: reads only, no writes.
    for n in 1..=3 {
        env.force_resync("build", &format!("resync-{n}")).await;
    }
    assert_eq!((env.count("POST").await, env.count("PUT").await, env.count("DELETE").await), (1, 1, 0));
    assert!(env.count("GET").await >= 3, "each forced resync reads the remote webhook back");

    // The operator's own metrics count what it did.
    let metrics = reqwest::get(format!("{}/metrics", super::harness::operator().await.health))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("hookwright_provider_requests_total{provider=\"mendix\",method=\"POST\""), "{metrics}");
    assert!(metrics.contains("hookwright_reconciles_total{result=\"Created\"}"), "{metrics}");
    let budget = format!("hookwright_provider_rate_budget_remaining{{provider=\"WebhookProvider/{}/mendix\"}}", env.ns);
    assert!(metrics.contains(&budget), "{metrics}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn suspended_webhook_is_not_written() {
    let env = env("suspend").await;
    let mut obj = env.webhook_json("paused");
    obj["spec"]["suspend"] = json!(true);
    env.create(obj).await;
    let wh = env.wait_reason("paused", "Suspended").await;
    assert_eq!(condition(&wh, "Synced").unwrap().status, "False");
    env.patch("paused", json!({"spec": {"url": "https://receiver.example.com/changed"}})).await;
    env.wait("paused", "new generation observed", |w| {
        w.status.as_ref().and_then(|s| s.observed_generation) == w.metadata.generation
    })
    .await;
    assert_eq!(env.count("POST").await + env.count("PUT").await + env.count("DELETE").await, 0);

    // Resuming creates it.
    env.patch("paused", json!({"spec": {"suspend": false}})).await;
    env.wait_ready("paused").await;
    assert_eq!(env.count("POST").await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn adopts_existing_remote_webhook_by_annotation() {
    let env = env("adopt").await;
    let existing = env
        .admin(
            reqwest::Method::POST,
            &format!("/apps/{}/webhooks", env.app),
            Some(json!({
                "name": "made in the portal", "url": "https://old.example.com/x", "eventTypes": ["teamserver.push"],
                "isActive": true, "validationSecret": "b".repeat(40)
            })),
        )
        .await;
    let id = existing["id"].as_str().unwrap().to_string();
    let mut obj = env.webhook_json("imported");
    obj["metadata"]["annotations"] = json!({"hookwright.dev/external-id": id});
    obj["spec"]["validationSecretRef"] = json!({"name": "imported-sig", "key": "secret"});
    env.put_secret("imported-sig", &[("secret", &"c".repeat(40))]).await;
    env.create(obj).await;
    let wh = env.wait_ready("imported").await;
    assert_eq!(webhook_id(&wh), id);
    assert_eq!(condition(&wh, "Synced").unwrap().reason, "Adopted");
    assert_eq!(env.count("POST").await, 0, "adoption never creates");
    assert_eq!(env.count("PUT").await, 1, "adoption makes the remote equal to the spec with one PUT");
    let remote = env.remote(&id).await;
    assert_eq!(remote["url"], "https://receiver.example.com/imported");
    assert_eq!(remote["validationSecret"], "c".repeat(40));
    assert_eq!(env.remote_count().await, 1);
}
