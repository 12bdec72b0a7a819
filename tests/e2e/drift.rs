//! The periodic drift check repairs portal edits and re-creates webhooks deleted remotely.
use serde_json::json;

use super::harness::{condition, env, webhook_id};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn portal_edit_is_repaired_by_the_drift_check() {
    let env = env("drift").await;
    env.create(env.webhook_json("hook")).await;
    let id = webhook_id(&env.wait_ready("hook").await);
    env.admin(
        reqwest::Method::PATCH,
        &format!("/apps/{}/webhooks/{id}", env.app),
        Some(json!({"url": "https://attacker.example.com/steal", "isActive": false})),
    )
    .await;
    let wh = env.wait_reason("hook", "DriftRepaired").await;
    let remote = env.remote(&id).await;
    assert_eq!(remote["url"], "https://receiver.example.com/hook");
    assert_eq!(remote["isActive"], true);
    assert_eq!(env.count("PUT").await, 1);
    assert_eq!(condition(&wh, "Ready").unwrap().status, "True");
    let note = env.wait_event("hook", "DriftRepaired").await;
    assert!(note.contains("spec.url") && note.contains("spec.active"), "names the fields as the spec does: {note}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remote_delete_is_recreated_with_an_event() {
    let env = env("recreate").await;
    env.create(env.webhook_json("hook")).await;
    let old = webhook_id(&env.wait_ready("hook").await);
    env.admin(reqwest::Method::DELETE, &format!("/apps/{}/webhooks/{old}", env.app), None).await;
    let wh = env
        .wait("hook", "a new id in status", |w| {
            w.status.as_ref().and_then(|s| s.webhook_id.as_ref()).is_some_and(|id| *id != old)
        })
        .await;
    let new = webhook_id(&wh);
    assert_eq!(env.count("POST").await, 2);
    assert_eq!(env.remote_count().await, 1);
    let note = env.wait_event("hook", "Recreated").await;
    assert!(note.contains(&old) && note.contains(&new), "{note}");
}
