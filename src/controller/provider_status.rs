//! The provider controllers: `WebhookProvider` and `ClusterWebhookProvider` get a `Ready`
//! condition. Ready is True when the token Secret is readable (reason `TokenFound`, or
//! `Accepted` once a call with this token succeeded) and False with `SecretNotFound` or
//! `Unauthorized` (the provider answered 401/403 to the current token). The Mendix API has no
//! app-independent "who am I" call, so what Webhook reconciles learn is fed back here.
use std::sync::Arc;
use std::time::Duration;

use kube::api::{Api, Patch, PatchParams};
use kube::runtime::controller::Action;
use kube::{Resource, ResourceExt};
use secrecy::ExposeSecret;

use super::conditions::{self, READY};
use super::context::{AuthOutcome, Context};
use super::provider::token_hash;
use crate::crd::{ClusterWebhookProvider, ProviderKind, ProviderStatus, WebhookProvider};

/// How often provider status is refreshed (remaining rate budget) without other triggers.
const REFRESH: Duration = Duration::from_secs(300);

/// What the provider controllers need from either provider kind.
pub trait ProviderObject:
    Resource<DynamicType = ()> + Clone + serde::de::DeserializeOwned + std::fmt::Debug + Send + Sync + 'static
{
    const KIND: ProviderKind;
    /// Namespace, name and key of the token Secret, when a Mendix block is set.
    fn token_ref(&self) -> Option<(String, String, String)>;
    /// The API base URL, when a Mendix block is set (rate budgets are per endpoint and token).
    fn base_url(&self) -> Option<&str>;
    fn status(&self) -> Option<&ProviderStatus>;
    /// The API for this object (namespaced or cluster-scoped).
    fn api(&self, client: kube::Client) -> Api<Self>;
}

impl ProviderObject for WebhookProvider {
    const KIND: ProviderKind = ProviderKind::WebhookProvider;
    fn token_ref(&self) -> Option<(String, String, String)> {
        let r = &self.spec.mendix.as_ref()?.token_secret_ref;
        Some((self.namespace()?, r.name.clone(), r.key.clone()))
    }
    fn base_url(&self) -> Option<&str> {
        Some(&self.spec.mendix.as_ref()?.base_url)
    }
    fn status(&self) -> Option<&ProviderStatus> {
        self.status.as_ref()
    }
    fn api(&self, client: kube::Client) -> Api<Self> {
        Api::namespaced(client, &self.namespace().unwrap_or_default())
    }
}

impl ProviderObject for ClusterWebhookProvider {
    const KIND: ProviderKind = ProviderKind::ClusterWebhookProvider;
    fn token_ref(&self) -> Option<(String, String, String)> {
        let r = &self.spec.mendix.as_ref()?.token_secret_ref;
        Some((r.namespace.clone(), r.name.clone(), r.key.clone()))
    }
    fn base_url(&self) -> Option<&str> {
        Some(&self.spec.mendix.as_ref()?.base_url)
    }
    fn status(&self) -> Option<&ProviderStatus> {
        self.status.as_ref()
    }
    fn api(&self, client: kube::Client) -> Api<Self> {
        Api::all(client)
    }
}

/// Key under which Webhook reconciles record what the provider said about a token.
pub fn provider_key(kind: ProviderKind, namespace: Option<&str>, name: &str) -> String {
    format!("{kind}/{}/{name}", namespace.unwrap_or(""))
}

pub async fn reconcile<K: ProviderObject>(p: Arc<K>, ctx: Arc<Context>) -> Result<Action, kube::Error> {
    let key = provider_key(K::KIND, p.namespace().as_deref(), &p.name_any());
    let (ready, reason, message, remaining) = match p.token_ref() {
        None => (false, "ProviderNotReady", "no mendix block: only Mendix is supported".to_string(), None),
        Some((ns, name, k)) => match crate::secrets::read_key(&ctx.client, &ns, &name, &k, "provider token").await {
            Err(e) => (false, e.reason(), e.to_string(), None),
            Ok(token) => {
                let hash = token_hash(token.expose_secret());
                let remaining = ctx.budgets.remaining(p.base_url().unwrap_or_default(), token.expose_secret());
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

pub fn error_policy<K: ProviderObject>(p: Arc<K>, err: &kube::Error, _ctx: Arc<Context>) -> Action {
    tracing::warn!(provider = %p.name_any(), error = %err, "provider status update failed");
    Action::requeue(Duration::from_secs(10))
}
