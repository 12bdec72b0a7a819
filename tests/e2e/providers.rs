//! Provider status: Ready follows the token Secret, without any Webhook using the provider.
use std::time::{Duration, Instant};

use hookwright::crd::WebhookProvider;
use kube::api::Api;

use super::harness::env;

async fn wait_provider(api: &Api<WebhookProvider>, name: &str, status: &str, reason: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let p = api.get(name).await.unwrap();
        let ready = p.status.as_ref().and_then(|s| s.conditions.iter().find(|c| c.type_ == "Ready").cloned());
        if ready.as_ref().is_some_and(|c| c.status == status && c.reason == reason) {
            assert_eq!(p.status.unwrap().observed_generation, p.metadata.generation);
            return;
        }
        assert!(Instant::now() < deadline, "provider {name}: want Ready={status} {reason}, have {ready:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provider_ready_follows_its_token_secret() {
    let env = env("prov").await;
    let api: Api<WebhookProvider> = Api::namespaced(env.client.clone(), &env.ns);
    wait_provider(&api, "mendix", "True", "TokenFound").await;

    env.apply_provider("second", "missing-pat").await;
    wait_provider(&api, "second", "False", "SecretNotFound").await;
    env.put_secret("missing-pat", &[("token", "pat-value")]).await;
    wait_provider(&api, "second", "True", "TokenFound").await;
    assert_eq!(env.count("*").await, 0, "provider status needs no API call");
}
