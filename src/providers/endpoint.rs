//! From a provider object (either kind) to what calling its API needs: which API, the base URL,
//! the token Secret and the client-side budget. The one place that reads the provider blocks:
//! resolving a Webhook's provider, the provider status and the Secret index all ask here.
use std::sync::Arc;

use kube::ResourceExt;
use secrecy::SecretString;

use super::WebhookApi;
use super::budget::RateBudget;
use super::mendix::MendixClient;
use super::socotra::SocotraClient;
use super::transport::{CallObserver, OverTransport};
use crate::crd::{ClusterWebhookProvider, WebhookProvider};

/// The provider APIs this operator speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Flavor {
    Mendix,
    Socotra,
}

impl Flavor {
    /// The lowercase name (metric label, and the Webhook's block for it).
    pub fn as_str(self) -> &'static str {
        match self {
            Flavor::Mendix => "mendix",
            Flavor::Socotra => "socotra",
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
    /// The tenant whose webhooks this provider manages (Socotra; Mendix scopes by app instead).
    pub tenant: Option<String>,
}

/// A provider object whose API this version cannot call.
#[derive(Clone, Debug, thiserror::Error)]
#[error("{kind} {name:?} has neither a mendix nor a socotra block")]
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
        let ns = self.namespace().unwrap_or_default();
        let token =
            |r: &crate::crd::SecretKeyRef| TokenRef { namespace: ns.clone(), name: r.name.clone(), key: r.key.clone() };
        let rph = self.spec.requests_per_hour;
        match (&self.spec.mendix, &self.spec.socotra) {
            (Some(m), _) => Ok(endpoint(Flavor::Mendix, &m.base_url, token(&m.token_secret_ref), rph, None)),
            (None, Some(s)) => {
                Ok(endpoint(Flavor::Socotra, &s.base_url, token(&s.token_secret_ref), rph, Some(&s.tenant_locator)))
            }
            (None, None) => Err(Unsupported { kind: "WebhookProvider", name: self.name_any() }),
        }
    }
}

impl ProviderEndpoint for ClusterWebhookProvider {
    fn endpoint(&self) -> Result<Endpoint, Unsupported> {
        let token = |r: &crate::crd::ClusterSecretKeyRef| TokenRef {
            namespace: r.namespace.clone(),
            name: r.name.clone(),
            key: r.key.clone(),
        };
        let rph = self.spec.requests_per_hour;
        match (&self.spec.mendix, &self.spec.socotra) {
            (Some(m), _) => Ok(endpoint(Flavor::Mendix, &m.base_url, token(&m.token_secret_ref), rph, None)),
            (None, Some(s)) => {
                Ok(endpoint(Flavor::Socotra, &s.base_url, token(&s.token_secret_ref), rph, Some(&s.tenant_locator)))
            }
            (None, None) => Err(Unsupported { kind: "ClusterWebhookProvider", name: self.name_any() }),
        }
    }
}

fn endpoint(flavor: Flavor, base_url: &str, token: TokenRef, rph: Option<u32>, tenant: Option<&str>) -> Endpoint {
    Endpoint {
        flavor,
        base_url: base_url.to_string(),
        token,
        requests_per_hour: rph,
        tenant: tenant.map(str::to_string),
    }
}

/// How a client is set up besides its endpoint and token.
#[derive(Clone, Default)]
pub struct ClientOptions {
    /// Told about every call (method, route template, status).
    pub observer: Option<CallObserver>,
    /// Items per page when listing; `None`: the client's default.
    pub page_size: Option<usize>,
}

/// A client for `endpoint` with `token`, spending `budget`.
pub fn connect(
    endpoint: &Endpoint,
    http: reqwest::Client,
    token: SecretString,
    budget: Arc<RateBudget>,
    options: ClientOptions,
) -> Arc<dyn WebhookApi> {
    fn configured<C: OverTransport>(mut client: C, options: ClientOptions) -> C {
        if let Some(o) = options.observer {
            client = client.with_observer(o);
        }
        if let Some(n) = options.page_size {
            client = client.with_page_size(n);
        }
        client
    }
    match endpoint.flavor {
        Flavor::Mendix => Arc::new(configured(MendixClient::new(http, &endpoint.base_url, token, budget), options)),
        Flavor::Socotra => Arc::new(configured(SocotraClient::new(http, &endpoint.base_url, token, budget), options)),
    }
}
