//! Secrets as inputs and triggers: rotation, header values, the generated validation secret,
//! and that no secret value is ever printed.
use serde_json::json;

use super::harness::{env, operator, webhook_id};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validation_secret_rotation_and_header_secret_change_each_cost_one_put() {
    let env = env("rotate").await;
    let sig1 = "whsec_".to_string() + &"A".repeat(40);
    env.put_secret("hook-sig", &[("secret", &sig1)]).await;
    env.put_secret("hook-auth", &[("header", "Bearer first-token-value")]).await;
    let mut obj = env.webhook_json("hook");
    obj["spec"]["validationSecretRef"] = json!({"name": "hook-sig", "key": "secret"});
    obj["spec"]["headers"] = json!([
        {"name": "Authorization", "valueFrom": {"secretKeyRef": {"name": "hook-auth", "key": "header"}}},
        {"name": "X-Team", "value": "team-a"}
    ]);
    env.create(obj).await;
    let wh = env.wait_ready("hook").await;
    let id = webhook_id(&wh);
    let hash1 = wh.status.as_ref().unwrap().applied_hash.clone().unwrap();
    let remote = env.remote(&id).await;
    assert_eq!(remote["validationSecret"], sig1);
    assert!(
        remote["headers"]
            .as_array()
            .unwrap()
            .contains(&json!({"key": "Authorization", "value": "Bearer first-token-value"}))
    );

    // Rotate the validation secret in its Secret: one PUT, new hash.
    let sig2 = "whsec_".to_string() + &"B".repeat(40);
    env.put_secret("hook-sig", &[("secret", &sig2)]).await;
    let wh = env
        .wait("hook", "new applied hash", |w| w.status.as_ref().and_then(|s| s.applied_hash.as_ref()) != Some(&hash1))
        .await;
    let hash2 = wh.status.as_ref().unwrap().applied_hash.clone().unwrap();
    assert_eq!(env.count("PUT").await, 1);
    assert_eq!(env.remote(&id).await["validationSecret"], sig2);

    // Change the header value in its Secret: one more PUT.
    env.put_secret("hook-auth", &[("header", "Bearer second-token-value")]).await;
    env.wait("hook", "hash after header change", |w| {
        w.status.as_ref().and_then(|s| s.applied_hash.as_ref()) != Some(&hash2)
    })
    .await;
    assert_eq!(env.count("PUT").await, 2);
    assert!(
        env.remote(&id).await["headers"]
            .as_array()
            .unwrap()
            .contains(&json!({"key": "Authorization", "value": "Bearer second-token-value"}))
    );
    assert_eq!(env.count("POST").await, 1);

    // Nothing of it is printed: operator log, Events, status.
    let log = std::fs::read_to_string(operator().await.process.log_path()).unwrap();
    let events = format!("{:?}", env.events("hook").await);
    let status = serde_json::to_string(&env.webhooks().get("hook").await.unwrap().status).unwrap();
    for secret in [sig1.as_str(), sig2.as_str(), "first-token-value", "second-token-value", env.token.as_str()] {
        assert!(!log.contains(secret), "operator log contains a secret value");
        assert!(!events.contains(secret), "an Event contains a secret value");
        assert!(!status.contains(secret), "status contains a secret value");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_secret_is_stored_in_owned_secret_and_pushed() {
    let env = env("gen").await;
    env.create(env.webhook_json("gen")).await;
    let wh = env.wait_ready("gen").await;
    let id = webhook_id(&wh);
    let secret = env.secrets().get("gen-validation-secret").await.unwrap();
    let value = String::from_utf8(secret.data.as_ref().unwrap()["secret"].0.clone()).unwrap();
    assert!(regex::Regex::new("^(whsec_)?[a-zA-Z0-9+/=]{32,100}$").unwrap().is_match(&value));
    assert_eq!(env.remote(&id).await["validationSecret"], value, "the fake stores the generated secret");
    let owner = &secret.metadata.owner_references.as_ref().unwrap()[0];
    assert_eq!((owner.kind.as_str(), owner.name.as_str()), ("Webhook", "gen"));
    assert_eq!(Some(owner.uid.clone()), wh.metadata.uid);
    assert_eq!(secret.metadata.labels.as_ref().unwrap()["app.kubernetes.io/managed-by"], "hookwright");

    // Never regenerated while the Secret exists.
    env.force_resync("gen", "again").await;
    let again = env.secrets().get("gen-validation-secret").await.unwrap();
    assert_eq!(again.data.unwrap()["secret"].0, value.as_bytes());
    assert_eq!(env.count("PUT").await, 0);
    let log = std::fs::read_to_string(operator().await.process.log_path()).unwrap();
    assert!(!log.contains(&value), "operator log contains the generated secret");
}

/// Issue 12, hole 4: Secret values are checked before any remote call. A validation secret the
/// provider would reject, or a header value with a line break, is reported as `InvalidSecret`
/// naming the Secret and key (never the value), and nothing is sent to the provider.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_secret_values_are_reported_before_any_remote_call() {
    use super::harness::condition;
    let env = env("badvalue").await;
    env.put_secret("weak", &[("secret", "too-short")]).await;
    env.put_secret("smuggle", &[("header", "Bearer x\r\nX-Injected: 1")]).await;
    let mut weak = env.webhook_json("weak-secret");
    weak["spec"]["validationSecretRef"] = json!({"name": "weak", "key": "secret"});
    env.create(weak).await;
    let mut smuggle = env.webhook_json("smuggled-header");
    smuggle["spec"]["headers"] =
        json!([{"name": "Authorization", "valueFrom": {"secretKeyRef": {"name": "smuggle", "key": "header"}}}]);
    env.create(smuggle).await;
    for (name, secret, value) in [("weak-secret", "weak", "too-short"), ("smuggled-header", "smuggle", "X-Injected")] {
        let wh = env.wait_reason(name, "InvalidSecret").await;
        let msg = &condition(&wh, "Synced").unwrap().message;
        assert!(msg.contains(&format!("{}/{secret}", env.ns)), "names the Secret: {msg}");
        assert!(!msg.contains(value), "never the value: {msg}");
    }
    assert_eq!(env.count("*").await, 0, "nothing was sent to the provider");
}
