//! From a provider object (either kind) to what calling its API needs: which API, the base URL,
//! the token Secret and the client-side budget. The one place that reads the provider blocks:
//! resolving a Webhook's provider, the provider status and the Secret index all ask here.
use std::sync::Arc;

use kube::ResourceExt;
use secrecy::SecretString;

use super::WebhookApi;
use super::budget::RateBudget;
use super::mendix::MendixClient;
use super::transport::CallObserver;
use crate::crd::{ClusterWebhookProvider, WebhookProvider};

/// The provider APIs this operator speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Flavor {
    Mendix,
}

impl Flavor {
    /// The lowercase name (metric label).
    pub fn as_str(self) -> &'static str {
        match self {
            Flavor::Mendix => "mendix",
        }
    }
}

/// Where a token lives: namespace, name and key of a Secret.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TokenRef {
    pub namespace: String,
    pub name: String,
    pub key: String,
}

/// A provider object's API endpoint and credentials.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    pub flavor: Flavor,
    pub base_url: String,
    pub token: TokenRef,
    pub requests_per_hour: Option<u32>,
}

/// A provider object whose API this version cannot call.
#[derive(Clone, Debug, thiserror::Error)]
#[error("{kind} {name:?} has no mendix block; only Mendix is supported (Socotra is not yet)")]
pub struct Unsupported {
    pub kind: &'static str,
    pub name: String,
}

/// Either provider kind, as far as calling its API goes.
pub trait ProviderEndpoint {
    /// The endpoint, or why the object cannot be used.
    fn endpoint(&self) -> Result<Endpoint, Unsupported>;
}

impl ProviderEndpoint for WebhookProvider {
    fn endpoint(&self) -> Result<Endpoint, Unsupported> {
        let unsupported = || Unsupported { kind: "WebhookProvider", name: self.name_any() };
        let m = self.spec.mendix.as_ref().ok_or_else(unsupported)?;
        Ok(Endpoint {
            flavor: Flavor::Mendix,
            base_url: m.base_url.clone(),
            token: TokenRef {
                namespace: self.namespace().unwrap_or_default(),
                name: m.token_secret_ref.name.clone(),
                key: m.token_secret_ref.key.clone(),
            },
            requests_per_hour: self.spec.requests_per_hour,
        })
    }
}

impl ProviderEndpoint for ClusterWebhookProvider {
    fn endpoint(&self) -> Result<Endpoint, Unsupported> {
        let unsupported = || Unsupported { kind: "ClusterWebhookProvider", name: self.name_any() };
        let m = self.spec.mendix.as_ref().ok_or_else(unsupported)?;
        let r = &m.token_secret_ref;
        Ok(Endpoint {
            flavor: Flavor::Mendix,
            base_url: m.base_url.clone(),
            token: TokenRef { namespace: r.namespace.clone(), name: r.name.clone(), key: r.key.clone() },
            requests_per_hour: self.spec.requests_per_hour,
        })
    }
}

/// A client for `endpoint` with `token`, spending `budget` and telling `observer` about every
/// call (method, route template, status).
pub fn connect(
    endpoint: &Endpoint,
    http: reqwest::Client,
    token: SecretString,
    budget: Arc<RateBudget>,
    observer: CallObserver,
) -> Arc<dyn WebhookApi> {
    match endpoint.flavor {
        Flavor::Mendix => Arc::new(MendixClient::new(http, &endpoint.base_url, token, budget).with_observer(observer)),
    }
}
