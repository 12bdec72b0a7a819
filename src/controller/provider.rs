//! Resolving a `Webhook`'s provider: the provider object, its token Secret, and a client
//! sharing the token's rate budget. A namespaced provider is looked up only in the Webhook's
//! own namespace (the tenancy boundary, as with cert-manager's Issuer).
use std::sync::Arc;

use kube::ResourceExt;
use kube::api::Api;
use secrecy::ExposeSecret;

use super::context::Context;
use super::error::ReconcileError;
use super::provider_status::provider_key;
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
    pub token_hash: [u8; 32],
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
    let token = crate::secrets::read_key(
        &ctx.client,
        &endpoint.token_ns,
        &endpoint.token_name,
        &endpoint.token_key,
        "provider token",
    )
    .await?;
    let token_hash = token_hash(token.expose_secret());
    let budget = ctx.budgets.for_token(token.expose_secret(), endpoint.requests_per_hour);
    let metrics = ctx.metrics.clone();
    let label = provider_key(kind, namespace.as_deref(), &pref.name);
    let seen = budget.clone();
    let client = MendixClient::new(ctx.http.clone(), &endpoint.base_url, token, budget).with_observer(Arc::new(
        move |method, route, status| {
            metrics.api_call("mendix", method, route, status);
            if let Some(remaining) = seen.remaining() {
                metrics.rate_budget(&label, remaining);
            }
        },
    ));
    Ok(Resolved { api: Arc::new(client), key: ProviderKey { kind, name: pref.name.clone(), namespace }, token_hash })
}

fn unsupported(kind: ProviderKind, name: &str) -> ReconcileError {
    ReconcileError::ProviderUnsupported { kind: kind.as_str(), name: name.to_string() }
}

/// sha256 of a token, to recognise it without keeping it.
pub fn token_hash(token: &str) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    Sha256::digest(token.as_bytes()).into()
}
