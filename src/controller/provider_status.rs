//! The provider controllers: `WebhookProvider` and `ClusterWebhookProvider` get a `Ready`
//! condition. Ready is True when the token Secret is readable (reason `TokenFound`, or
//! `Accepted` once a call with this token succeeded) and False with `SecretNotFound` or
//! `Unauthorized` (the provider answered 401/403 to the current token). A provider API need not
//! have an account-wide "who am I" call, so what Webhook reconciles learn is fed back here.
use std::sync::Arc;
use std::time::Duration;

use kube::api::{Api, Patch, PatchParams};
use kube::runtime::controller::Action;
use kube::{Resource, ResourceExt};
use secrecy::ExposeSecret;

use super::conditions::{self, READY};
use super::context::{AuthOutcome, Context};
use super::identity::{ProviderKey, token_hash};
use crate::crd::{ClusterWebhookProvider, ProviderKind, ProviderStatus, WebhookProvider};
use crate::providers::{ProviderEndpoint, TokenRef};

/// How often provider status is refreshed (remaining rate budget) without other triggers.
const REFRESH: Duration = Duration::from_secs(300);

/// What the provider controllers need from either provider kind.
pub trait ProviderObject:
    Resource<DynamicType = ()>
    + ProviderEndpoint
    + Clone
    + serde::de::DeserializeOwned
    + std::fmt::Debug
    + Send
    + Sync
    + 'static
{
    const KIND: ProviderKind;
    fn status(&self) -> Option<&ProviderStatus>;
    /// The API for this object (namespaced or cluster-scoped).
    fn api(&self, client: kube::Client) -> Api<Self>;
}

impl ProviderObject for WebhookProvider {
    const KIND: ProviderKind = ProviderKind::WebhookProvider;
    fn status(&self) -> Option<&ProviderStatus> {
        self.status.as_ref()
    }
    fn api(&self, client: kube::Client) -> Api<Self> {
        Api::namespaced(client, &self.namespace().unwrap_or_default())
    }
}

impl ProviderObject for ClusterWebhookProvider {
    const KIND: ProviderKind = ProviderKind::ClusterWebhookProvider;
    fn status(&self) -> Option<&ProviderStatus> {
        self.status.as_ref()
    }
    fn api(&self, client: kube::Client) -> Api<Self> {
        Api::all(client)
    }
}

pub async fn reconcile<K: ProviderObject>(p: Arc<K>, ctx: Arc<Context>) -> Result<Action, kube::Error> {
    let key = ProviderKey { kind: K::KIND, name: p.name_any(), namespace: p.namespace() }.id();
    let (ready, reason, message, remaining) = match p.endpoint() {
        Err(unsupported) => (false, "ProviderNotReady", unsupported.to_string(), None),
        Ok(endpoint) => match read_token(&ctx, &endpoint.token).await {
            Err(e) => (false, e.reason(), e.to_string(), None),
            Ok(token) => {
                let (ns, name) = (&endpoint.token.namespace, &endpoint.token.name);
                let hash = token_hash(token.expose_secret());
                let remaining = ctx.budgets.remaining(&endpoint.base_url, token.expose_secret());
                match ctx.auth_outcome(&key, &hash) {
                    Some(AuthOutcome::Rejected(msg)) => (false, "Unauthorized", msg, remaining),
                    Some(AuthOutcome::Accepted) => {
                        (true, "Accepted", "the provider accepted the token".into(), remaining)
                    }
                    None => (true, "TokenFound", format!("token Secret {ns}/{name} is readable"), remaining),
                }
            }
        },
    };
    let mut conds = p.status().map(|s| s.conditions.clone()).unwrap_or_default();
    conditions::set(&mut conds, READY, ready, reason, &message, p.meta().generation);
    let status = serde_json::json!({
        "observedGeneration": p.meta().generation,
        "conditions": conds,
        "rateLimitRemaining": remaining,
    });
    let body = serde_json::json!({"apiVersion": "hookwright.dev/v1alpha1", "kind": K::KIND.as_str(), "status": status});
    p.api(ctx.client.clone())
        .patch_status(&p.name_any(), &PatchParams::apply(super::report::FIELD_MANAGER).force(), &Patch::Apply(body))
        .await?;
    Ok(Action::requeue(REFRESH))
}

async fn read_token(ctx: &Context, t: &TokenRef) -> Result<secrecy::SecretString, super::error::ReconcileError> {
    crate::secrets::read_key(&ctx.client, &t.namespace, &t.name, &t.key, "provider token").await.map_err(Into::into)
}

pub fn error_policy<K: ProviderObject>(p: Arc<K>, err: &kube::Error, _ctx: Arc<Context>) -> Action {
    tracing::warn!(provider = %p.name_any(), error = %err, "provider status update failed");
    Action::requeue(Duration::from_secs(10))
}
