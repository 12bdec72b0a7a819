//! Which Webhooks depend on a Secret or a provider, answered from the reflector stores (the
//! Webhook and provider caches the controller keeps anyway). Secrets themselves are watched
//! metadata-only, so no Secret data is cached.
use kube::ResourceExt;
use kube::runtime::reflector::{ObjectRef, Store};

use super::identity::ProviderKey;
use super::provider_status::ProviderObject;
use crate::crd::{ClusterWebhookProvider, HeaderValueSource, ProviderKind, Webhook, WebhookProvider};
use crate::providers::ProviderEndpoint as _;

#[derive(Clone)]
pub struct Index {
    pub webhooks: Store<Webhook>,
    pub providers: Store<WebhookProvider>,
    pub cluster_providers: Store<ClusterWebhookProvider>,
}

impl Index {
    /// Webhooks that read Secret `ns/name` (validation secret, generated secret, header value,
    /// or their provider's token).
    pub fn secret_users(&self, ns: &str, name: &str) -> Vec<ObjectRef<Webhook>> {
        self.webhooks
            .state()
            .iter()
            .filter(|wh| {
                let wh_ns = wh.namespace().unwrap_or_default();
                (wh_ns == ns && uses_secret_directly(wh, name))
                    || self.token_secret_of(wh).is_some_and(|(tns, tname)| tns == ns && tname == name)
            })
            .map(|wh| ObjectRef::from_obj(wh.as_ref()))
            .collect()
    }

    /// Webhooks that use provider `kind` `name` (in `ns` for a namespaced provider).
    pub fn provider_users(&self, kind: ProviderKind, ns: Option<&str>, name: &str) -> Vec<ObjectRef<Webhook>> {
        self.webhooks
            .state()
            .iter()
            .filter(|wh| {
                wh.spec.provider_ref.kind == kind
                    && wh.spec.provider_ref.name == name
                    && (kind == ProviderKind::ClusterWebhookProvider || wh.namespace().as_deref() == ns)
            })
            .map(|wh| ObjectRef::from_obj(wh.as_ref()))
            .collect()
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

    fn token_secret_of(&self, wh: &Webhook) -> Option<(String, String)> {
        let pref = &wh.spec.provider_ref;
        let endpoint = match pref.kind {
            ProviderKind::WebhookProvider => {
                self.providers.get(&ObjectRef::new(&pref.name).within(&wh.namespace()?))?.endpoint()
            }
            ProviderKind::ClusterWebhookProvider => self.cluster_providers.get(&ObjectRef::new(&pref.name))?.endpoint(),
        };
        endpoint.ok().map(|e| (e.token.namespace, e.token.name))
    }
}

/// A Secret in the Webhook's own namespace that it reads.
pub fn uses_secret_directly(wh: &Webhook, secret: &str) -> bool {
    let validation = match &wh.spec.validation_secret_ref {
        Some(r) => r.name == secret,
        None => crate::secrets::generated_secret_name(&wh.name_any()) == secret,
    };
    let named = |from: &Option<HeaderValueSource>| from.as_ref().is_some_and(|f| f.secret_key_ref.name == secret);
    validation
        || wh
            .spec
            .headers
            .iter()
            .any(|h| named(&h.value_from) || h.values.iter().flatten().any(|v| named(&v.value_from)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crd::{HeaderSpec, SecretKeyRef, WebhookSpec};

    #[test]
    fn direct_secret_references() {
        let mut wh = Webhook::new("hook", WebhookSpec::default());
        assert!(uses_secret_directly(&wh, "hook-validation-secret"));
        wh.spec.validation_secret_ref = Some(SecretKeyRef { name: "sig".into(), key: "k".into() });
        assert!(uses_secret_directly(&wh, "sig"));
        assert!(!uses_secret_directly(&wh, "hook-validation-secret"));
        wh.spec.headers.push(HeaderSpec {
            name: "Authorization".into(),
            value: None,
            value_from: Some(HeaderValueSource {
                secret_key_ref: SecretKeyRef { name: "auth".into(), key: "h".into() },
            }),
            values: None,
        });
        assert!(uses_secret_directly(&wh, "auth"));
        assert!(!uses_secret_directly(&wh, "other"));
    }
}
