//! Deleting a Webhook: remote delete, already gone, and the Orphan policy.
use serde_json::json;

use super::harness::{env, webhook_id};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_removes_remote_webhook_once() {
    let env = env("del").await;
    env.create(env.webhook_json("hook")).await;
    env.wait_ready("hook").await;
    env.delete("hook").await;
    env.wait_gone("hook").await;
    assert_eq!(env.count("DELETE").await, 1);
    assert_eq!(env.remote_count().await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_when_remote_already_gone() {
    let env = env("delgone").await;
    let mut obj = env.webhook_json("hook");
    // Keep the drift check from noticing the remote delete before the object is deleted.
    obj["spec"]["suspend"] = json!(false);
    env.create(obj).await;
    let id = webhook_id(&env.wait_ready("hook").await);
    env.patch("hook", json!({"spec": {"suspend": true}})).await;
    env.wait_reason("hook", "Suspended").await;
    env.admin(reqwest::Method::DELETE, &format!("/apps/{}/webhooks/{id}", env.app), None).await;
    env.delete("hook").await;
    env.wait_gone("hook").await;
    assert_eq!(env.count_status("DELETE", 404).await, 1, "the operator's DELETE got 404 and counted it as done");
    assert_eq!(env.count("POST").await, 1, "nothing was re-created");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orphan_policy_leaves_remote_webhook() {
    let env = env("orphan").await;
    let mut obj = env.webhook_json("hook");
    obj["spec"]["deletionPolicy"] = json!("Orphan");
    env.create(obj).await;
    let id = webhook_id(&env.wait_ready("hook").await);
    env.delete("hook").await;
    env.wait_gone("hook").await;
    assert_eq!(env.count("DELETE").await, 0);
    assert_eq!(env.remote(&id).await["id"], id.as_str());
}
