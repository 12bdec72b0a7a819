//! Which Webhooks depend on a Secret or a provider: the reverse maps of `dependents.rs` for
//! Webhooks, and the provider stores (few objects) for which providers use a token Secret.
//! Secrets themselves are watched metadata-only, so no Secret data is cached.
use std::sync::Arc;

use kube::ResourceExt;
use kube::runtime::reflector::Store;

use super::cached::WebhookRef;
use super::context::Context;
use super::dependents::Dependency;
use super::identity::ProviderKey;
use super::provider_status::ProviderObject;
use crate::crd::{ClusterWebhookProvider, ProviderKind, WebhookProvider};

#[derive(Clone)]
pub struct Index {
    /// The reverse maps of the Webhook watch (`Context::dependents`).
    pub ctx: Arc<Context>,
    pub providers: Store<WebhookProvider>,
    pub cluster_providers: Store<ClusterWebhookProvider>,
}

impl Index {
    /// Webhooks that read Secret `ns/name` (validation secret, generated secret, header value,
    /// or their provider's token).
    pub fn secret_users(&self, ns: &str, name: &str) -> Vec<WebhookRef> {
        let deps = &self.ctx.dependents;
        let mut users = deps.users(&Dependency::Secret(ns.to_string(), name.to_string()));
        for provider in self.token_secret_providers(ns, name) {
            users.extend(deps.users(&Dependency::Provider(provider.id())));
        }
        users.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
        users.dedup();
        users
    }

    /// Webhooks that use provider `kind` `name` (in `ns` for a namespaced provider).
    pub fn provider_users(&self, kind: ProviderKind, ns: Option<&str>, name: &str) -> Vec<WebhookRef> {
        let namespace = match kind {
            ProviderKind::WebhookProvider => ns.map(str::to_string),
            ProviderKind::ClusterWebhookProvider => None,
        };
        let key = ProviderKey { kind, name: name.to_string(), namespace };
        self.ctx.dependents.users(&Dependency::Provider(key.id()))
    }

    /// Providers whose token is Secret `ns/name`.
    pub fn token_secret_providers(&self, ns: &str, name: &str) -> Vec<ProviderKey> {
        fn matching<K: ProviderObject>(all: Vec<std::sync::Arc<K>>, ns: &str, name: &str) -> Vec<ProviderKey> {
            all.iter()
                .filter(|p| p.endpoint().is_ok_and(|e| e.token.namespace == ns && e.token.name == name))
                .map(|p| ProviderKey { kind: K::KIND, name: p.name_any(), namespace: p.namespace() })
                .collect()
        }
        let mut keys = matching(self.providers.state(), ns, name);
        keys.extend(matching(self.cluster_providers.state(), ns, name));
        keys
    }
}
