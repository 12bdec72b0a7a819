//! Provider errors: 400, 401/403, 429, and recovery after a token fix.
use std::time::{Duration, Instant, SystemTime};

use hookwright::crd::WebhookProvider;
use kube::api::Api;
use serde_json::json;

use super::harness::{condition, env, observe_quietly, webhook_id};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_spec_from_the_api_is_reported_without_a_retry_storm() {
    let env = env("bad400").await;
    // Everything the operator can check it checks before sending (CRD rules, Secret values), so
    // the API's own rejection comes from the fake's fault injection.
    env.admin(reqwest::Method::PUT, "/faults", Some(json!({"invalidRate": 1.0}))).await;
    env.create(env.webhook_json("hook")).await;
    let wh = env.wait_reason("hook", "InvalidSpec").await;
    let msg = &condition(&wh, "Synced").unwrap().message;
    assert!(msg.contains("url") && msg.contains("invalidRate"), "names the field and the reason: {msg}");
    let secret = env.secrets().get("hook-validation-secret").await.unwrap();
    let value = String::from_utf8(secret.data.unwrap()["secret"].0.clone()).unwrap();
    assert!(!msg.contains(&value), "never the validation secret: {msg}");
    let before = env.count("*").await;
    observe_quietly(30).await;
    let after = env.count("*").await;
    assert!(after - before <= 1, "{} requests in 30 s after a 400", after - before);
    assert_eq!(env.remote_count().await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_token_is_unauthorized_until_fixed_in_its_secret() {
    let env = env("auth").await;
    env.put_secret("mendix-pat", &[("token", "not-a-valid-token")]).await;
    env.create(env.webhook_json("hook")).await;
    let wh = env.wait_reason("hook", "Unauthorized").await;
    assert_eq!(condition(&wh, "Ready").unwrap().status, "False");
    assert!(env.count_status("POST", 401).await >= 1);
    let providers: Api<WebhookProvider> = Api::namespaced(env.client.clone(), &env.ns);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let p = providers.get("mendix").await.unwrap();
        let ready = p.status.as_ref().and_then(|s| s.conditions.iter().find(|c| c.type_ == "Ready").cloned());
        if ready.as_ref().is_some_and(|c| c.status == "False" && c.reason == "Unauthorized") {
            break;
        }
        assert!(Instant::now() < deadline, "provider not marked Unauthorized: {ready:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Fixing the token in its Secret recovers without restarting anything.
    env.put_secret("mendix-pat", &[("token", &env.token)]).await;
    env.wait_ready("hook").await;
    assert_eq!(env.count_status("POST", 200).await, 1);
    let deadline = Instant::now() + Duration::from_secs(30);
    while !providers
        .get("mendix")
        .await
        .unwrap()
        .status
        .unwrap_or_default()
        .conditions
        .iter()
        .any(|c| c.type_ == "Ready" && c.status == "True")
    {
        assert!(Instant::now() < deadline, "provider did not become Ready again");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_token_is_forbidden() {
    let env = env("forbid").await;
    env.admin(
        reqwest::Method::PUT,
        &format!("/tokens/{}", env.token),
        Some(json!({"scopes": ["mx:webhook:read"], "apps": [env.app.to_string()]})),
    )
    .await;
    env.create(env.webhook_json("hook")).await;
    let wh = env.wait_reason("hook", "Unauthorized").await;
    assert!(condition(&wh, "Synced").unwrap().message.contains("403"));
    assert!(env.count_status("POST", 403).await >= 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limited_token_sends_nothing_before_reset() {
    let env = env("ratelimit").await;
    env.admin(reqwest::Method::PUT, "/rate-limit", Some(json!({"limitPerHour": 40, "windowSecs": 15}))).await;
    env.create(env.webhook_json("hook")).await;
    webhook_id(&env.wait_ready("hook").await);

    // Another client sharing the token uses up the window (as a CI job with the same PAT would).
    let url = format!("{}/apps/{}/webhooks", env.fake.base_url(), env.app);
    let reset = loop {
        let resp = env.http.get(&url).header("Authorization", format!("MxToken {}", env.token)).send().await.unwrap();
        let num = |h: &str| resp.headers()[h].to_str().unwrap().parse::<u64>().unwrap();
        if resp.status() == 429 || num("x-ratelimit-remaining") == 0 {
            break num("x-ratelimit-reset");
        }
    };
    let reset_at = SystemTime::UNIX_EPOCH + Duration::from_secs(reset);
    // The operator's next request (drift check or forced resync) meets the 429…
    env.patch("hook", json!({"metadata": {"annotations": {"hookwright.dev/reconcile-requested-at": "after-limit"}}}))
        .await;
    env.wait_reason("hook", "RateLimited").await;
    let mine = env.count_status("*", 429).await;
    // …and then nothing more is sent until the reset time.
    let before = env.count("*").await;
    while SystemTime::now() + Duration::from_millis(700) < reset_at {
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(env.count("*").await, before, "a request was sent before X-RateLimit-Reset");
    }
    assert!(mine >= 1);
    // After the reset the operator resumes on its own.
    env.wait("hook", "resync after reset", |w| {
        w.status.as_ref().and_then(|s| s.reconcile_request_handled.as_deref()) == Some("after-limit")
            && condition(w, "Ready").is_some_and(|c| c.status == "True")
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_create_response_never_duplicates_the_webhook() {
    let env = env("lost").await;
    // The fake stores the create, then drops the connection: the operator never sees the id.
    env.admin(reqwest::Method::PUT, "/faults", Some(json!({"commitThenDropRate": 1.0}))).await;
    env.create(env.webhook_json("hook")).await;
    let wh = env.wait_reason("hook", "RemoteError").await;
    assert!(wh.status.as_ref().unwrap().create_pending_since.is_some(), "the pending marker survives the failure");
    assert_eq!(env.remote_count().await, 1);
    env.admin(reqwest::Method::PUT, "/faults", Some(json!({}))).await;
    let wh = env.wait_ready("hook").await;
    assert_eq!(condition(&wh, "Synced").unwrap().reason, "Recovered");
    assert_eq!(env.count("POST").await, 1, "never created twice");
    assert_eq!(env.remote_count().await, 1);
    assert!(wh.status.as_ref().unwrap().create_pending_since.is_none());
    assert_eq!(env.remote(&webhook_id(&wh)).await["id"], webhook_id(&wh).as_str());
}
