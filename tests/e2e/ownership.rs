//! Issue 11: one object, exactly one remote webhook. Each test reproduces one way the
//! one-to-one promise was broken (holes 1, 3, 4, 5, 8 of the issue).
use serde_json::json;

use super::harness::{Env, condition, env, webhook_id};

/// Turns on the fake's "store the create, then drop the connection" fault.
async fn drop_create_responses(env: &Env, on: bool) {
    let faults = if on { json!({"commitThenDropRate": 1.0}) } else { json!({}) };
    env.admin(reqwest::Method::PUT, "/faults", Some(faults)).await;
}

/// Waits until the fake has received at least `n` POSTs.
async fn wait_posts(env: &Env, n: u64) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while env.count("POST").await < n {
        assert!(std::time::Instant::now() < deadline, "fewer than {n} POSTs arrived");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// Hole 1: a re-create (the remote webhook was deleted in the portal) whose POST answer is lost
/// must be recovered by listing, not re-sent, even though the stale external-id annotation
/// still names the deleted webhook.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_recreate_response_never_duplicates_the_webhook() {
    let env = env("lostre").await;
    env.create(env.webhook_json("hook")).await;
    let old = webhook_id(&env.wait_ready("hook").await);
    env.admin(reqwest::Method::DELETE, &format!("/apps/{}/webhooks/{old}", env.app), None).await;
    drop_create_responses(&env, true).await;
    env.patch("hook", json!({"metadata": {"annotations": {"hookwright.dev/reconcile-requested-at": "gone"}}})).await;
    wait_posts(&env, 2).await;
    env.wait_reason("hook", "RemoteError").await;
    drop_create_responses(&env, false).await;
    // The sync's final status write (reason Recovered) follows the id and annotation writes;
    // an intermediate write can show the new id with the old Ready condition.
    let wh = env
        .wait("hook", "Recovered with a new id", |w| {
            condition(w, "Synced").is_some_and(|c| c.status == "True" && c.reason == "Recovered")
                && w.status.as_ref().and_then(|s| s.webhook_id.as_deref()).is_some_and(|id| id != old)
        })
        .await;
    assert_eq!(env.remote_count().await, 1, "one object, one remote webhook");
    assert_eq!(env.count("POST").await, 2, "the create and one re-create, nothing more");
    let id = webhook_id(&wh);
    assert_eq!(env.remote(&id).await["id"], id.as_str());
}

/// Hole 3a: the URL is edited between a lost POST and its recovery; recovery must still find
/// the webhook that POST made.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recovery_survives_a_spec_edit_after_the_lost_create() {
    let env = env("lostedit").await;
    drop_create_responses(&env, true).await;
    env.create(env.webhook_json("hook")).await;
    env.wait_reason("hook", "RemoteError").await;
    env.patch("hook", json!({"spec": {"url": "https://receiver.example.com/moved", "displayName": "Renamed hook"}}))
        .await;
    drop_create_responses(&env, false).await;
    let wh = env.wait_ready("hook").await;
    assert_eq!(env.remote_count().await, 1, "the lost create was found, not repeated");
    assert_eq!(env.count("POST").await, 1);
    let remote = env.remote(&webhook_id(&wh)).await;
    assert_eq!(remote["url"], "https://receiver.example.com/moved", "then brought to the edited spec");
    assert_eq!(remote["name"], "Renamed hook");
}

/// Hole 3b: `a.b` and `a-b` used to derive the same remote name; with the same URL each lost
/// create's recovery could adopt the other's webhook.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn derived_names_are_unique_per_object() {
    let env = env("collide").await;
    drop_create_responses(&env, true).await;
    for name in ["a.b", "a-b"] {
        let mut obj = env.webhook_json(name);
        obj["spec"]["url"] = json!("https://receiver.example.com/shared");
        env.create(obj).await;
    }
    wait_posts(&env, 2).await;
    drop_create_responses(&env, false).await;
    let (one, two) = (env.wait_ready("a.b").await, env.wait_ready("a-b").await);
    let (id1, id2) = (webhook_id(&one), webhook_id(&two));
    assert_ne!(id1, id2, "two objects never share a remote webhook");
    assert_eq!(env.remote_count().await, 2);
    assert_ne!(env.remote(&id1).await["name"], env.remote(&id2).await["name"], "remote names differ");
    // Deleting one leaves the other's webhook alone.
    env.delete("a.b").await;
    env.wait_gone("a.b").await;
    assert_eq!(env.remote(&id2).await["id"], id2.as_str());
    assert_eq!(env.remote_count().await, 1);
}

/// Hole 4: a copy of a Webhook (`kubectl get -o yaml`, new name) carries the operator-written
/// external-id annotation; it must not take over, rewrite or delete the original's webhook.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_copied_object_cannot_take_over_the_original_webhook() {
    let env = env("copy").await;
    env.create(env.webhook_json("original")).await;
    let original = env.wait_ready("original").await;
    let id = webhook_id(&original);
    let before = env.remote(&id).await;

    let mut copy = env.webhook_json("copy");
    copy["metadata"]["annotations"] = json!({"hookwright.dev/external-id": id});
    env.create(copy).await;
    let wh = env.wait_reason("copy", "AdoptionConflict").await;
    let msg = &condition(&wh, "Synced").unwrap().message;
    assert!(msg.contains("original"), "names the object that owns the webhook: {msg}");
    assert_eq!(condition(&wh, "Ready").unwrap().status, "False");
    assert_eq!(env.remote(&id).await, before, "the original's webhook is untouched");
    assert_eq!(env.count("PUT").await, 0);

    env.delete("copy").await;
    env.wait_gone("copy").await;
    assert_eq!(env.remote(&id).await["id"], id.as_str(), "deleting the copy leaves the original's webhook");
    assert_eq!(env.count("DELETE").await, 0);
}

/// Hole 5: pointing an existing Webhook at another provider would create a second webhook in
/// the other account and leak the first; the apiserver refuses the change.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provider_ref_is_immutable() {
    let env = env("moveprov").await;
    env.apply_provider("other", super::harness::TOKEN_SECRET).await;
    env.create(env.webhook_json("hook")).await;
    env.wait_ready("hook").await;
    let patch = json!({"spec": {"providerRef": {"kind": "WebhookProvider", "name": "other"}}});
    let err = env
        .webhooks()
        .patch("hook", &kube::api::PatchParams::default(), &kube::api::Patch::Merge(&patch))
        .await
        .expect_err("changing providerRef is refused");
    assert!(err.to_string().contains("providerRef is immutable"), "{err}");
    // The provider's location is immutable too.
    let providers: kube::Api<hookwright::crd::WebhookProvider> = kube::Api::namespaced(env.client.clone(), &env.ns);
    let patch = json!({"spec": {"mendix": {"baseUrl": "https://elsewhere.example.com/api/v1"}}});
    let err = providers
        .patch("mendix", &kube::api::PatchParams::default(), &kube::api::Patch::Merge(&patch))
        .await
        .expect_err("changing baseUrl is refused");
    assert!(err.to_string().contains("baseUrl is immutable"), "{err}");
}

/// Hole 8: a requested resync whose sync fails stays requested until a sync succeeds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_resync_stays_requested() {
    let env = env("resyncfail").await;
    env.create(env.webhook_json("hook")).await;
    env.wait_ready("hook").await;
    env.admin(reqwest::Method::PUT, "/faults", Some(json!({"errorRate": 1.0}))).await;
    env.patch("hook", json!({"metadata": {"annotations": {"hookwright.dev/reconcile-requested-at": "r1"}}})).await;
    let wh = env.wait_reason("hook", "RemoteError").await;
    assert_ne!(
        wh.status.as_ref().unwrap().reconcile_request_handled.as_deref(),
        Some("r1"),
        "a failed sync does not count as the requested resync"
    );
    env.admin(reqwest::Method::PUT, "/faults", Some(json!({}))).await;
    env.wait("hook", "resync r1 handled", |w| {
        w.status.as_ref().and_then(|s| s.reconcile_request_handled.as_deref()) == Some("r1")
            && condition(w, "Ready").is_some_and(|c| c.status == "True")
    })
    .await;
}
