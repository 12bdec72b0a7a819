//! Types shared by the `Webhook` and provider custom resources: Secret references, the
//! provider reference, the deletion policy and the status condition type.
use kube::KubeSchema;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Kubernetes' standard status condition (`type`, `status`, `reason`, `message`,
/// `lastTransitionTime`, `observedGeneration`), as used by kstatus, `kubectl wait`, Argo CD
/// and Flux.
pub use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;

/// CEL rule: the value is a DNS-1123 subdomain (the form of Secret and most object names).
pub(crate) const DNS_SUBDOMAIN_RULE: &str =
    "self.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*$')";

/// A key in a Secret in the same namespace as the object that refers to it.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct SecretKeyRef {
    /// Name of the Secret, in the same namespace as this object.
    #[schemars(length(min = 1, max = 253))]
    #[x_kube(validation = Rule::new(DNS_SUBDOMAIN_RULE)
        .message("must be a valid Secret name: lowercase letters, digits, '-' and '.', starting and ending with a letter or digit"))]
    pub name: String,
    /// Key inside the Secret's `data` whose value is used.
    #[schemars(length(min = 1, max = 253))]
    #[x_kube(validation = Rule::new("self.matches('^[-._a-zA-Z0-9]+$')")
        .message("must be a valid Secret key: letters, digits, '-', '_' and '.'"))]
    pub key: String,
}

/// A key in a Secret in a named namespace (used by cluster-scoped objects).
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct ClusterSecretKeyRef {
    /// Name of the Secret.
    #[schemars(length(min = 1, max = 253))]
    #[x_kube(validation = Rule::new(DNS_SUBDOMAIN_RULE)
        .message("must be a valid Secret name: lowercase letters, digits, '-' and '.', starting and ending with a letter or digit"))]
    pub name: String,
    /// Namespace of the Secret.
    #[schemars(length(min = 1, max = 63))]
    #[x_kube(validation = Rule::new("self.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?$')")
        .message("must be a valid namespace name: lowercase letters, digits and '-', starting and ending with a letter or digit"))]
    pub namespace: String,
    /// Key inside the Secret's `data` whose value is used.
    #[schemars(length(min = 1, max = 253))]
    #[x_kube(validation = Rule::new("self.matches('^[-._a-zA-Z0-9]+$')")
        .message("must be a valid Secret key: letters, digits, '-', '_' and '.'"))]
    pub key: String,
}

/// Which kind of provider object a `Webhook` uses.
#[derive(JsonSchema, Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum ProviderKind {
    // A namespaced provider; only one in the Webhook's own namespace can be used.
    #[default]
    WebhookProvider,
    // A cluster-scoped provider, usable from every namespace.
    ClusterWebhookProvider,
}

impl ProviderKind {
    /// The Kubernetes kind name (`WebhookProvider` or `ClusterWebhookProvider`).
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderKind::WebhookProvider => "WebhookProvider",
            ProviderKind::ClusterWebhookProvider => "ClusterWebhookProvider",
        }
    }
}

impl std::fmt::Display for ProviderKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Reference to the provider object (API endpoint and credentials) a `Webhook` is managed with.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct ProviderRef {
    /// Kind of the provider: `WebhookProvider` (namespaced; must be in the Webhook's own
    /// namespace) or `ClusterWebhookProvider` (cluster-scoped).
    pub kind: ProviderKind,
    /// Name of the provider object.
    #[schemars(length(min = 1, max = 253))]
    #[x_kube(validation = Rule::new(DNS_SUBDOMAIN_RULE)
        .message("must be a valid object name: lowercase letters, digits, '-' and '.', starting and ending with a letter or digit"))]
    pub name: String,
}

/// What happens to the remote webhook when the `Webhook` object is deleted.
#[derive(JsonSchema, Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum DeletionPolicy {
    // Delete the remote webhook, then let the object go.
    #[default]
    Delete,
    // Leave the remote webhook in place and only remove the object.
    Orphan,
}
