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

/// Issue 11, hole 6: deleting a namespace takes its WebhookProvider and token Secret at once,
/// while its Webhooks wait on their finalizers. The deletion still ends (the remote webhooks
/// are deleted with the credentials kept for cleanup), within 60 s, leaving nothing remote.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_the_namespace_deletes_its_remote_webhooks_and_ends() {
    use k8s_openapi::api::core::v1::Namespace;
    use std::time::{Duration, Instant};
    let env = env("nsdel").await;
    let names = ["one", "two", "three"];
    for name in names {
        env.create(env.webhook_json(name)).await;
    }
    for name in names {
        env.wait_ready(name).await;
    }
    assert_eq!(env.remote_count().await, 3);
    let namespaces: kube::Api<Namespace> = kube::Api::all(env.client.clone());
    namespaces.delete(&env.ns, &Default::default()).await.unwrap();
    let started = Instant::now();
    while namespaces.get_opt(&env.ns).await.unwrap().is_some() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "namespace {} still there after 60 s; Webhooks left: {:?}",
            env.ns,
            env.webhooks().list(&Default::default()).await.map(|l| l.items.len())
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    eprintln!("namespace deleted in {:?}", started.elapsed());
    assert_eq!(env.remote_count().await, 0, "every remote webhook of the namespace was deleted");
    assert_eq!(env.count("DELETE").await, 3);
}
