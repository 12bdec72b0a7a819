//! `WebhookProvider` (namespaced) and `ClusterWebhookProvider` (cluster-scoped): where the
//! provider's API lives and which credentials hookwright calls it with.
use kube::{CustomResource, KubeSchema};
use serde::{Deserialize, Serialize};

use super::common::{ClusterSecretKeyRef, Condition, SecretKeyRef};
use super::webhook::HTTP_URL_RULE;

/// Default Mendix Webhooks API base URL.
pub const MENDIX_DEFAULT_BASE_URL: &str = "https://webhook-portal.home.mendix.com/api/v1";

fn default_mendix_base_url() -> String {
    MENDIX_DEFAULT_BASE_URL.to_string()
}

const EXACTLY_ONE_PROVIDER_BLOCK: &str = "has(self.mendix) != has(self.socotra)";
const EXACTLY_ONE_PROVIDER_BLOCK_MESSAGE: &str = "exactly one provider block must be set: spec.mendix or spec.socotra";
const BASE_URL_MESSAGE: &str = "must be an absolute http:// or https:// URL with a host";
/// The provider's location is immutable: its Webhooks' remote ids belong to that account, and
/// pointing them elsewhere would create second webhooks and leak the first ones.
const IMMUTABLE_BASE_URL_MESSAGE: &str =
    "baseUrl is immutable: its Webhooks' remote webhooks live there; create a new provider for another endpoint";
const IMMUTABLE_TENANT_MESSAGE: &str =
    "tenantLocator is immutable: its Webhooks' remote webhooks live there; create a new provider for another tenant";

/// API endpoint and credentials for managing webhooks, usable by Webhooks in the same namespace.
// The repeated `type_ = "string"` of printer columns is not a duplicated attribute.
#[allow(clippy::duplicated_attributes)]
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[kube(
    group = "hookwright.dev",
    version = "v1alpha1",
    kind = "WebhookProvider",
    namespaced,
    shortname = "whp",
    category = "hookwright",
    status = "ProviderStatus",
    derive = "PartialEq",
    derive = "Default",
    doc = "A SaaS provider account (API endpoint and token) that Webhooks in the same namespace use through spec.providerRef {kind: WebhookProvider}. The token Secret is read from this object's namespace.",
    printcolumn(
        name = "Ready",
        type_ = "string",
        json_path = ".status.conditions[?(@.type==\"Ready\")].status",
        description = "Whether the token Secret is readable and accepted by the provider"
    ),
    printcolumn(
        name = "Reason",
        type_ = "string",
        json_path = ".status.conditions[?(@.type==\"Ready\")].reason",
        description = "Reason of the Ready condition"
    ),
    printcolumn(name = "Age", type_ = "date", json_path = ".metadata.creationTimestamp")
)]
#[x_kube(validation = Rule::new(EXACTLY_ONE_PROVIDER_BLOCK).message(EXACTLY_ONE_PROVIDER_BLOCK_MESSAGE))]
#[serde(rename_all = "camelCase")]
pub struct WebhookProviderSpec {
    /// Mendix Webhooks API settings. Exactly one of mendix or socotra must be set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mendix: Option<MendixProvider>,

    /// Socotra API settings. Exactly one of mendix or socotra must be set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub socotra: Option<SocotraProvider>,

    /// Client-side budget of API requests per hour, shared by all Webhooks using this provider's
    /// token. When not set, the budget is learned from the provider's X-RateLimit-* response
    /// headers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub requests_per_hour: Option<u32>,
}

/// Mendix Webhooks API settings (namespaced provider).
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, Hash)]
#[serde(rename_all = "camelCase")]
pub struct MendixProvider {
    /// Base URL of the Mendix Webhooks API. Default: https://webhook-portal.home.mendix.com/api/v1.
    /// Immutable: create a new provider for another endpoint.
    #[serde(default = "default_mendix_base_url")]
    #[schemars(length(min = 1, max = 2048))]
    #[x_kube(validation = Rule::new(HTTP_URL_RULE).message(BASE_URL_MESSAGE))]
    #[x_kube(validation = Rule::new("self == oldSelf").message(IMMUTABLE_BASE_URL_MESSAGE))]
    pub base_url: String,

    /// Secret key (in this provider's namespace) holding a Mendix Personal Access Token with the
    /// scopes mx:webhook:read and mx:webhook:write.
    pub token_secret_ref: SecretKeyRef,
}

/// Socotra API settings (namespaced provider).
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, Hash)]
#[serde(rename_all = "camelCase")]
pub struct SocotraProvider {
    /// Base URL of the Socotra API, e.g. https://api.sandbox.socotra.com. Immutable.
    #[schemars(length(min = 1, max = 2048))]
    #[x_kube(validation = Rule::new(HTTP_URL_RULE).message(BASE_URL_MESSAGE))]
    #[x_kube(validation = Rule::new("self == oldSelf").message(IMMUTABLE_BASE_URL_MESSAGE))]
    pub base_url: String,

    /// Locator of the Socotra tenant whose webhooks are managed. Immutable.
    #[schemars(length(min = 1, max = 253))]
    #[x_kube(validation = Rule::new("self == oldSelf").message(IMMUTABLE_TENANT_MESSAGE))]
    pub tenant_locator: String,

    /// Secret key (in this provider's namespace) holding the Socotra API token.
    pub token_secret_ref: SecretKeyRef,
}

/// API endpoint and credentials for managing webhooks, usable by Webhooks in every namespace.
// The repeated `type_ = "string"` of printer columns is not a duplicated attribute.
#[allow(clippy::duplicated_attributes)]
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[kube(
    group = "hookwright.dev",
    version = "v1alpha1",
    kind = "ClusterWebhookProvider",
    shortname = "cwhp",
    category = "hookwright",
    status = "ProviderStatus",
    derive = "PartialEq",
    derive = "Default",
    doc = "A SaaS provider account (API endpoint and token) that Webhooks in every namespace can use through spec.providerRef {kind: ClusterWebhookProvider}. The token Secret's namespace is named in tokenSecretRef.",
    printcolumn(
        name = "Ready",
        type_ = "string",
        json_path = ".status.conditions[?(@.type==\"Ready\")].status",
        description = "Whether the token Secret is readable and accepted by the provider"
    ),
    printcolumn(
        name = "Reason",
        type_ = "string",
        json_path = ".status.conditions[?(@.type==\"Ready\")].reason",
        description = "Reason of the Ready condition"
    ),
    printcolumn(name = "Age", type_ = "date", json_path = ".metadata.creationTimestamp")
)]
#[x_kube(validation = Rule::new(EXACTLY_ONE_PROVIDER_BLOCK).message(EXACTLY_ONE_PROVIDER_BLOCK_MESSAGE))]
#[serde(rename_all = "camelCase")]
pub struct ClusterWebhookProviderSpec {
    /// Mendix Webhooks API settings. Exactly one of mendix or socotra must be set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mendix: Option<ClusterMendixProvider>,

    /// Socotra API settings. Exactly one of mendix or socotra must be set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub socotra: Option<ClusterSocotraProvider>,

    /// Client-side budget of API requests per hour, shared by all Webhooks using this provider's
    /// token. When not set, the budget is learned from the provider's X-RateLimit-* response
    /// headers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub requests_per_hour: Option<u32>,
}

/// Mendix Webhooks API settings (cluster-scoped provider).
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, Hash)]
#[serde(rename_all = "camelCase")]
pub struct ClusterMendixProvider {
    /// Base URL of the Mendix Webhooks API. Default: https://webhook-portal.home.mendix.com/api/v1.
    /// Immutable: create a new provider for another endpoint.
    #[serde(default = "default_mendix_base_url")]
    #[schemars(length(min = 1, max = 2048))]
    #[x_kube(validation = Rule::new(HTTP_URL_RULE).message(BASE_URL_MESSAGE))]
    #[x_kube(validation = Rule::new("self == oldSelf").message(IMMUTABLE_BASE_URL_MESSAGE))]
    pub base_url: String,

    /// Secret key (namespace, name and key) holding a Mendix Personal Access Token with the
    /// scopes mx:webhook:read and mx:webhook:write.
    pub token_secret_ref: ClusterSecretKeyRef,
}

/// Socotra API settings (cluster-scoped provider).
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, Hash)]
#[serde(rename_all = "camelCase")]
pub struct ClusterSocotraProvider {
    /// Base URL of the Socotra API, e.g. https://api.sandbox.socotra.com. Immutable.
    #[schemars(length(min = 1, max = 2048))]
    #[x_kube(validation = Rule::new(HTTP_URL_RULE).message(BASE_URL_MESSAGE))]
    #[x_kube(validation = Rule::new("self == oldSelf").message(IMMUTABLE_BASE_URL_MESSAGE))]
    pub base_url: String,

    /// Locator of the Socotra tenant whose webhooks are managed. Immutable.
    #[schemars(length(min = 1, max = 253))]
    #[x_kube(validation = Rule::new("self == oldSelf").message(IMMUTABLE_TENANT_MESSAGE))]
    pub tenant_locator: String,

    /// Secret key (namespace, name and key) holding the Socotra API token.
    pub token_secret_ref: ClusterSecretKeyRef,
}

/// Observed state of a provider, written by hookwright.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ProviderStatus {
    /// The metadata.generation of the spec this status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,

    /// Current state: Ready is True when the token Secret is readable, and False with reason
    /// Unauthorized when the provider rejected the token (401/403).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[x_kube(merge_strategy = ListMerge::Map(vec!["type".into()]))]
    pub conditions: Vec<Condition>,

    /// Requests left in the current rate-limit window, as last reported by the provider.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limit_remaining: Option<i64>,
}
