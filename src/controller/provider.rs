//! Resolving a `Webhook`'s provider: the provider object, its token Secret, and a client
//! sharing the token's rate budget. A namespaced provider is looked up only in the Webhook's
//! own namespace (the tenancy boundary, as with cert-manager's Issuer).
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use kube::ResourceExt;
use kube::api::Api;
use secrecy::{ExposeSecret, SecretString};

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

impl ProviderKey {
    /// The provider's identity as one string (metrics label, and the key of what is
    /// remembered about it).
    pub fn id(&self) -> String {
        provider_key(self.kind, self.namespace.as_deref(), &self.name)
    }
}

/// The provider a reconcile talks to.
pub struct Resolved {
    pub api: Arc<dyn WebhookApi>,
    pub key: ProviderKey,
    pub token_hash: [u8; 32],
}

#[derive(Clone)]
struct Endpoint {
    base_url: String,
    token_ns: String,
    token_name: String,
    token_key: String,
    requests_per_hour: Option<u32>,
}

/// Credentials kept for cleanup: the endpoint and token each provider last resolved to, in
/// memory only. When a namespace is deleted, its WebhookProvider and token Secret go at once
/// while its Webhooks wait on their finalizers; deleting their remote webhooks then uses what
/// was remembered, so the deletion ends. Nothing is written to the cluster for this (no
/// finalizers on Secrets or providers that could outlive the operator).
#[derive(Default)]
pub struct Remembered(Mutex<HashMap<String, (Endpoint, SecretString)>>);

/// The provider to delete a remote webhook with: the live provider object and token, or, when
/// either is gone, the credentials kept for cleanup.
pub async fn resolve_for_cleanup(ctx: &Context, wh: &Webhook) -> Result<Resolved, ReconcileError> {
    match resolve(ctx, wh).await {
        Err(
            e @ (ReconcileError::ProviderNotFound { .. }
            | ReconcileError::SecretNotFound { .. }
            | ReconcileError::SecretKeyMissing { .. }),
        ) => {
            let key = key_of(wh);
            let id = key.id();
            let kept = ctx.remembered.0.lock().unwrap_or_else(PoisonError::into_inner).get(&id).cloned();
            match kept {
                Some((endpoint, token)) => {
                    tracing::info!(provider = %id, "provider or token gone: deleting with the credentials kept for cleanup");
                    Ok(client(ctx, key, &endpoint, token))
                }
                None => Err(e),
            }
        }
        other => other,
    }
}

fn key_of(wh: &Webhook) -> ProviderKey {
    let pref = &wh.spec.provider_ref;
    let namespace = match pref.kind {
        ProviderKind::WebhookProvider => wh.namespace(),
        ProviderKind::ClusterWebhookProvider => None,
    };
    ProviderKey { kind: pref.kind, name: pref.name.clone(), namespace }
}

pub async fn resolve(ctx: &Context, wh: &Webhook) -> Result<Resolved, ReconcileError> {
    let ns = wh.namespace().unwrap_or_default();
    let pref = &wh.spec.provider_ref;
    let kind = pref.kind;
    let endpoint = match kind {
        ProviderKind::WebhookProvider => {
            let api: Api<WebhookProvider> = Api::namespaced(ctx.client.clone(), &ns);
            let p = api.get_opt(&pref.name).await?.ok_or_else(|| ReconcileError::ProviderNotFound {
                kind: kind.as_str(),
                name: pref.name.clone(),
                namespace: Some(ns.clone()),
            })?;
            let m = p.spec.mendix.as_ref().ok_or_else(|| unsupported(kind, &pref.name))?;
            Endpoint {
                base_url: m.base_url.clone(),
                token_ns: ns.clone(),
                token_name: m.token_secret_ref.name.clone(),
                token_key: m.token_secret_ref.key.clone(),
                requests_per_hour: p.spec.requests_per_hour,
            }
        }
        ProviderKind::ClusterWebhookProvider => {
            let api: Api<ClusterWebhookProvider> = Api::all(ctx.client.clone());
            let p = api.get_opt(&pref.name).await?.ok_or_else(|| ReconcileError::ProviderNotFound {
                kind: kind.as_str(),
                name: pref.name.clone(),
                namespace: None,
            })?;
            let m = p.spec.mendix.as_ref().ok_or_else(|| unsupported(kind, &pref.name))?;
            Endpoint {
                base_url: m.base_url.clone(),
                token_ns: m.token_secret_ref.namespace.clone(),
                token_name: m.token_secret_ref.name.clone(),
                token_key: m.token_secret_ref.key.clone(),
                requests_per_hour: p.spec.requests_per_hour,
            }
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
    let key = key_of(wh);
    let id = key.id();
    ctx.remembered.0.lock().unwrap_or_else(PoisonError::into_inner).insert(id, (endpoint.clone(), token.clone()));
    Ok(client(ctx, key, &endpoint, token))
}

/// A client for `endpoint` sharing the rate budget of this token at this endpoint, reporting to
/// the metrics.
fn client(ctx: &Context, key: ProviderKey, endpoint: &Endpoint, token: SecretString) -> Resolved {
    let token_hash = token_hash(token.expose_secret());
    let budget = ctx.budgets.for_endpoint(&endpoint.base_url, token.expose_secret(), endpoint.requests_per_hour);
    let metrics = ctx.metrics.clone();
    let label = key.id();
    let seen = budget.clone();
    let client = MendixClient::new(ctx.http.clone(), &endpoint.base_url, token, budget).with_observer(Arc::new(
        move |method, route, status| {
            metrics.api_call("mendix", method, route, status);
            if let Some(remaining) = seen.remaining() {
                metrics.rate_budget(&label, remaining);
            }
        },
    ));
    Resolved { api: Arc::new(client), key, token_hash }
}

fn unsupported(kind: ProviderKind, name: &str) -> ReconcileError {
    ReconcileError::ProviderUnsupported { kind: kind.as_str(), name: name.to_string() }
}

/// sha256 of a token, to recognise it without keeping it.
pub fn token_hash(token: &str) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    Sha256::digest(token.as_bytes()).into()
}
