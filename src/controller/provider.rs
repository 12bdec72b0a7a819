//! Resolving a `Webhook`'s provider: the provider object, its token Secret, and a client
//! sharing the token's rate budget. A namespaced provider is looked up only in the Webhook's
//! own namespace (the tenancy boundary, as with cert-manager's Issuer).
use std::sync::Arc;

use kube::ResourceExt;
use kube::api::Api;
use secrecy::{ExposeSecret, SecretString};

use super::context::Context;
use super::error::ReconcileError;
use super::identity::{ProviderKey, token_hash};
pub use super::resolved_cache::Resolved;
use crate::crd::{ClusterWebhookProvider, ProviderKind, Webhook, WebhookProvider};
use crate::providers::{CallObserver, Endpoint, ProviderEndpoint as _};
use crate::secrets::SecretError;

/// The provider to delete a remote webhook with: the live provider object and token, or, when
/// either is gone, the credentials kept for cleanup.
pub async fn resolve_for_cleanup(ctx: &Context, wh: &Webhook) -> Result<Resolved, ReconcileError> {
    match resolve(ctx, wh).await {
        Err(
            e @ (ReconcileError::ProviderNotFound { .. }
            | ReconcileError::Secret(SecretError::NotFound { .. } | SecretError::KeyMissing { .. })),
        ) => {
            let key = key_of(wh);
            let id = key.id();
            let kept = ctx.remembered.get(&id);
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

pub fn key_of(wh: &Webhook) -> ProviderKey {
    let pref = &wh.spec.provider_ref;
    let namespace = match pref.kind {
        ProviderKind::WebhookProvider => wh.namespace(),
        ProviderKind::ClusterWebhookProvider => None,
    };
    ProviderKey { kind: pref.kind, name: pref.name.clone(), namespace }
}

pub async fn resolve(ctx: &Context, wh: &Webhook) -> Result<Resolved, ReconcileError> {
    let key = key_of(wh);
    let id = key.id();
    if let Some(rv) = ctx.provider_version(&key)
        && let Some(resolved) = ctx.resolved.get(&id, &rv)
    {
        return Ok(resolved);
    }
    let (endpoint, rv) = match &key.namespace {
        Some(ns) => {
            let api: Api<WebhookProvider> = Api::namespaced(ctx.client.clone(), ns);
            let p = api.get_opt(&key.name).await?.ok_or_else(|| not_found(&key))?;
            (p.endpoint()?, p.resource_version())
        }
        None => {
            let api: Api<ClusterWebhookProvider> = Api::all(ctx.client.clone());
            let p = api.get_opt(&key.name).await?.ok_or_else(|| not_found(&key))?;
            (p.endpoint()?, p.resource_version())
        }
    };
    let t = &endpoint.token;
    let token = crate::secrets::read_key(&ctx.client, &t.namespace, &t.name, &t.key, "provider token").await?;
    ctx.remembered.keep(id.clone(), endpoint.clone(), token.clone());
    let resolved = client(ctx, key, &endpoint, token);
    if let Some(rv) = rv {
        ctx.resolved.put(id, rv, resolved.clone());
    }
    Ok(resolved)
}

fn not_found(key: &ProviderKey) -> ReconcileError {
    ReconcileError::ProviderNotFound {
        kind: key.kind.as_str(),
        name: key.name.clone(),
        namespace: key.namespace.clone(),
    }
}

/// A client for `endpoint` sharing the rate budget of this token at this endpoint, reporting to
/// the metrics.
fn client(ctx: &Context, key: ProviderKey, endpoint: &Endpoint, token: SecretString) -> Resolved {
    let token_hash = token_hash(token.expose_secret());
    let budget = ctx.budgets.for_endpoint(&endpoint.base_url, token.expose_secret(), endpoint.requests_per_hour);
    let metrics = ctx.metrics.clone();
    let label = key.id();
    let seen = budget.clone();
    let flavor = endpoint.flavor.as_str();
    let observer: CallObserver = Arc::new(move |method, route, status| {
        metrics.api_call(flavor, method, route, status);
        if let Some(remaining) = seen.remaining() {
            metrics.rate_budget(&label, remaining);
        }
    });
    let options = crate::providers::ClientOptions { observer: Some(observer), page_size: None };
    let api = crate::providers::connect(endpoint, ctx.http.clone(), token, budget, options);
    Resolved { api, endpoint: endpoint.clone(), key, token_hash }
}
