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

/// The drift check lists the app, and reads back only a webhook whose listing differs: with
/// nothing changed, a sweep costs one list and no read of any webhook.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sweep_lists_the_app_and_reads_only_what_differs() {
    let env = env("sweep").await;
    for name in ["a", "b", "c"] {
        env.create(env.webhook_json(name)).await;
    }
    let mut ids = Vec::new();
    for name in ["a", "b", "c"] {
        ids.push(webhook_id(&env.wait_ready(name).await));
    }
    let (lists, reads) = (env.count_route("GET", "/webhooks").await, env.count_route("GET", "/{id}").await);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while env.count_route("GET", "/webhooks").await == lists {
        assert!(std::time::Instant::now() < deadline, "no drift sweep listed the app");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(env.count_route("GET", "/{id}").await, reads, "nothing differs: no webhook is read back");
    assert_eq!(env.count("PUT").await, 0);

    // One webhook's URL changed in the portal: the next sweep reads that one back and repairs it.
    env.admin(
        reqwest::Method::PATCH,
        &format!("/apps/{}/webhooks/{}", env.app, ids[1]),
        Some(json!({"url": "https://elsewhere.example.com/"})),
    )
    .await;
    env.wait_reason("b", "DriftRepaired").await;
    assert_eq!(env.remote(&ids[1]).await["url"], "https://receiver.example.com/b");
    assert_eq!(env.count("PUT").await, 1, "one PUT, for the one that differed");
}
