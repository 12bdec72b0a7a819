//! Resolving a `Webhook`'s provider: the provider object, its token Secret, and a client
//! sharing the token's rate budget. A namespaced provider is looked up only in the Webhook's
//! own namespace (the tenancy boundary, as with cert-manager's Issuer).
use std::sync::Arc;

use kube::ResourceExt;
use kube::api::{Api, Patch, PatchParams};
use secrecy::ExposeSecret;

use super::conditions;
use super::context::Context;
use super::error::ReconcileError;
use crate::crd::{ClusterWebhookProvider, ProviderKind, Webhook, WebhookProvider};
use crate::providers::WebhookApi;
use crate::providers::mendix::MendixClient;

/// Which provider object: kind, name, and namespace for a namespaced one.
#[derive(Clone, Debug)]
pub struct ProviderKey {
    pub kind: ProviderKind,
    pub name: String,
    pub namespace: Option<String>,
}

/// The provider a reconcile talks to.
pub struct Resolved {
    pub api: Arc<dyn WebhookApi>,
    pub key: ProviderKey,
}

struct Endpoint {
    base_url: String,
    token_ns: String,
    token_name: String,
    token_key: String,
    requests_per_hour: Option<u32>,
}

pub async fn resolve(ctx: &Context, wh: &Webhook) -> Result<Resolved, ReconcileError> {
    let ns = wh.namespace().unwrap_or_default();
    let pref = &wh.spec.provider_ref;
    let kind = pref.kind;
    let (endpoint, namespace) = match kind {
        ProviderKind::WebhookProvider => {
            let api: Api<WebhookProvider> = Api::namespaced(ctx.client.clone(), &ns);
            let p = api.get_opt(&pref.name).await?.ok_or_else(|| ReconcileError::ProviderNotFound {
                kind: kind.as_str(),
                name: pref.name.clone(),
                namespace: Some(ns.clone()),
            })?;
            let m = p.spec.mendix.as_ref().ok_or_else(|| unsupported(kind, &pref.name))?;
            let e = Endpoint {
                base_url: m.base_url.clone(),
                token_ns: ns.clone(),
                token_name: m.token_secret_ref.name.clone(),
                token_key: m.token_secret_ref.key.clone(),
                requests_per_hour: p.spec.requests_per_hour,
            };
            (e, Some(ns.clone()))
        }
        ProviderKind::ClusterWebhookProvider => {
            let api: Api<ClusterWebhookProvider> = Api::all(ctx.client.clone());
            let p = api.get_opt(&pref.name).await?.ok_or_else(|| ReconcileError::ProviderNotFound {
                kind: kind.as_str(),
                name: pref.name.clone(),
                namespace: None,
            })?;
            let m = p.spec.mendix.as_ref().ok_or_else(|| unsupported(kind, &pref.name))?;
            let e = Endpoint {
                base_url: m.base_url.clone(),
                token_ns: m.token_secret_ref.namespace.clone(),
                token_name: m.token_secret_ref.name.clone(),
                token_key: m.token_secret_ref.key.clone(),
                requests_per_hour: p.spec.requests_per_hour,
            };
            (e, None)
        }
    };
    let token = match crate::secrets::read_key(
        &ctx.client,
        &endpoint.token_ns,
        &endpoint.token_name,
        &endpoint.token_key,
        "provider token",
    )
    .await
    {
        Ok(t) => t,
        Err(e) => {
            let key = ProviderKey { kind, name: pref.name.clone(), namespace };
            report(ctx, &key, None, false, e.reason(), &e.to_string()).await;
            return Err(e);
        }
    };
    let budget = ctx.budgets.for_token(token.expose_secret(), endpoint.requests_per_hour);
    let metrics = ctx.metrics.clone();
    let client = MendixClient::new(ctx.http.clone(), &endpoint.base_url, token, budget)
        .with_observer(Arc::new(move |method, route, status| metrics.api_call("mendix", method, route, status)));
    Ok(Resolved { api: Arc::new(client), key: ProviderKey { kind, name: pref.name.clone(), namespace } })
}

fn unsupported(kind: ProviderKind, name: &str) -> ReconcileError {
    ReconcileError::ProviderUnsupported { kind: kind.as_str(), name: name.to_string() }
}

/// Records the provider's `Ready` condition when it changed since we last wrote it.
pub async fn report(ctx: &Context, p: &ProviderKey, remaining: Option<u64>, ready: bool, reason: &str, message: &str) {
    let key = format!("{}/{}/{}", p.kind, p.namespace.as_deref().unwrap_or(""), p.name);
    {
        let mut states = ctx.provider_states.lock().expect("provider states");
        if states.get(&key) == Some(&(ready, reason.to_string())) {
            return;
        }
        states.insert(key.clone(), (ready, reason.to_string()));
    }
    let mut conds = Vec::new();
    conditions::set(&mut conds, conditions::READY, ready, reason, message, None);
    let status = serde_json::json!({ "conditions": conds, "rateLimitRemaining": remaining });
    let pp = PatchParams::apply("hookwright").force();
    let result = match (p.kind, &p.namespace) {
        (ProviderKind::WebhookProvider, Some(ns)) => {
            let api: Api<WebhookProvider> = Api::namespaced(ctx.client.clone(), ns);
            let body = serde_json::json!({"apiVersion": "hookwright.dev/v1alpha1", "kind": "WebhookProvider", "status": status});
            api.patch_status(&p.name, &pp, &Patch::Apply(body)).await.map(|_| ())
        }
        _ => {
            let api: Api<ClusterWebhookProvider> = Api::all(ctx.client.clone());
            let body = serde_json::json!({"apiVersion": "hookwright.dev/v1alpha1", "kind": "ClusterWebhookProvider", "status": status});
            api.patch_status(&p.name, &pp, &Patch::Apply(body)).await.map(|_| ())
        }
    };
    if let Err(e) = result {
        tracing::warn!(provider = %key, error = %e, "could not update provider status");
        ctx.provider_states.lock().expect("provider states").remove(&key);
    }
}
