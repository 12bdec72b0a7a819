//! The cluster side of the bench: namespaces, the fake with N Webhooks' apps, objects in bulk.
use std::time::{Duration, Instant};

use futures::{StreamExt, TryStreamExt};
use hookwright::crd::Webhook;
use k8s_openapi::api::core::v1::Secret;
use kube::api::{Api, Patch, PatchParams, PostParams};
use serde_json::{Value, json};

/// Runs `f(i)` for i in 0..n, `c` at a time; returns the elapsed time and (t, done) samples.
pub async fn bulk<F, Fut>(n: usize, c: usize, what: &str, deadline: Duration, f: F) -> (Duration, Vec<(f64, usize)>)
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = Result<(), kube::Error>>,
{
    let start = Instant::now();
    let mut series = vec![(0.0, 0)];
    let mut done = 0usize;
    let mut stream = futures::stream::iter(0..n).map(f).buffer_unordered(c.max(1));
    let step = (n / 200).max(1);
    while let Some(r) = tokio::time::timeout_at((start + deadline).into(), stream.try_next())
        .await
        .unwrap_or_else(|_| panic!("{what}: {done} of {n} within {deadline:?}"))
        .unwrap_or_else(|e| panic!("{what}: {e}"))
    {
        let () = r;
        done += 1;
        if done.is_multiple_of(step) || done == n {
            series.push((start.elapsed().as_secs_f64(), done));
        }
    }
    (start.elapsed(), series)
}

pub fn webhook_name(i: usize) -> String {
    format!("hook-{i:05}")
}

/// Webhook i: app i mod apps; the first `k` share the validation Secret `shared-signing`.
pub fn webhook(i: usize, apps: &[uuid::Uuid], k: usize) -> Webhook {
    let mut spec = json!({
        "providerRef": {"kind": "WebhookProvider", "name": "m"},
        "mendix": {"appId": apps[i % apps.len()].to_string()},
        "url": format!("https://receiver.example.com/{i}"),
        "eventTypes": ["package.uploaded"],
    });
    if i < k {
        spec["validationSecretRef"] = json!({"name": "shared-signing", "key": "secret"});
    }
    serde_json::from_value(json!({"apiVersion": "hookwright.dev/v1alpha1", "kind": "Webhook",
        "metadata": {"name": webhook_name(i)}, "spec": spec}))
    .unwrap()
}

pub fn signing_secret(value: &str) -> Secret {
    serde_json::from_value(json!({"metadata": {"name": "shared-signing"}, "stringData": {"secret": value}})).unwrap()
}

/// The writes a create needs at least, done by hand on an existing Webhook: the generated
/// validation Secret (create), the create intent (one metadata patch; the operator's also adds
/// its finalizer, which the floor leaves out so that its objects delete without an operator),
/// the status (server-side apply of Ready with the remote id).
pub async fn floor_writes(webhooks: &Api<Webhook>, secrets: &Api<Secret>, i: usize) -> Result<(), kube::Error> {
    let name = webhook_name(i);
    let secret: Secret = serde_json::from_value(json!({
        "metadata": {"name": format!("{name}-validation-secret"), "labels": {"bench": "floor"}},
        "stringData": {"secret": format!("whsec_{:040}", i)},
    }))
    .unwrap();
    secrets.create(&PostParams::default(), &secret).await?;
    let intent = format!(r#"{{"since":"2026-01-01T00:00:00Z","name":"bench {i}","url":"https://r.example.com/{i}"}}"#);
    let meta = json!({"metadata": {"annotations": {"hookwright.dev/create-intent": intent}}});
    webhooks.patch(&name, &PatchParams::default(), &Patch::Merge(&meta)).await?;
    let status: Value = json!({"apiVersion": "hookwright.dev/v1alpha1", "kind": "Webhook", "status": {
        "observedGeneration": 1, "webhookId": format!("mxep_{i}"),
        "conditions": [{"type": "Ready", "status": "True", "reason": "Created", "message": "created",
                        "lastTransitionTime": "2026-01-01T00:00:00Z", "observedGeneration": 1}]}});
    webhooks.patch_status(&name, &PatchParams::apply("hookwright").force(), &Patch::Apply(&status)).await?;
    Ok(())
}

/// An unrelated 1 KiB Secret.
pub fn unrelated_secret(i: usize) -> Secret {
    serde_json::from_value(json!({"metadata": {"name": format!("unrelated-{i:05}"), "labels": {"bench": "unrelated"}},
        "stringData": {"data": format!("{i:01024}")}}))
    .unwrap()
}
