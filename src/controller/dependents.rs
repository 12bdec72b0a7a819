//! Which Webhooks depend on which Secrets and providers: reverse maps fed by the Webhook watch,
//! so a Secret or provider event finds the Webhooks that use it in O(users) instead of scanning
//! every Webhook. Memory: a few keys per Webhook (its provider, its validation secret, the
//! Secrets of its header values).
use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, PoisonError};

use kube::ResourceExt;
use kube::runtime::reflector::ObjectRef;
use kube::runtime::watcher::Event;

use super::identity::ProviderKey;
use super::watch_index::{FromWatch, WatchIndex};
use crate::crd::{ProviderKind, Webhook};

/// Something a Webhook depends on.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dependency {
    /// A Secret in the Webhook's namespace: namespace, name.
    Secret(String, String),
    /// The provider object, by its id ([`ProviderKey::id`]).
    Provider(String),
}

/// The reverse maps; see the module doc.
#[derive(Default)]
pub struct Dependents {
    inner: Mutex<WatchIndex<Maps>>,
}

#[derive(Default)]
pub struct Maps {
    users: HashMap<Dependency, HashSet<ObjectRef<Webhook>>>,
    of: HashMap<ObjectRef<Webhook>, Vec<Dependency>>,
}

/// What `wh` depends on.
pub fn dependencies(wh: &Webhook) -> Vec<Dependency> {
    let ns = wh.namespace().unwrap_or_default();
    let pref = &wh.spec.provider_ref;
    let provider_ns = match pref.kind {
        ProviderKind::WebhookProvider => Some(ns.clone()),
        ProviderKind::ClusterWebhookProvider => None,
    };
    let key = ProviderKey { kind: pref.kind, name: pref.name.clone(), namespace: provider_ns };
    let mut out = vec![Dependency::Provider(key.id())];
    let validation = match &wh.spec.validation_secret_ref {
        Some(r) => r.name.clone(),
        None => crate::secrets::generated_secret_name(&wh.name_any()),
    };
    out.push(Dependency::Secret(ns.clone(), validation));
    for h in &wh.spec.headers {
        let sources = h.value_from.iter().chain(h.values.iter().flatten().filter_map(|v| v.value_from.as_ref()));
        out.extend(sources.map(|f| Dependency::Secret(ns.clone(), f.secret_key_ref.name.clone())));
    }
    out.sort();
    out.dedup();
    out
}

impl FromWatch for Maps {
    fn set(&mut self, wh: &Webhook) {
        let deps = dependencies(wh);
        let obj = ObjectRef::from_obj(wh);
        if self.of.get(&obj) == Some(&deps) {
            return;
        }
        self.remove(wh);
        for d in &deps {
            self.users.entry(d.clone()).or_default().insert(obj.clone());
        }
        self.of.insert(obj, deps);
    }

    fn remove(&mut self, wh: &Webhook) {
        let obj = ObjectRef::from_obj(wh);
        for d in self.of.remove(&obj).unwrap_or_default() {
            if let Some(set) = self.users.get_mut(&d) {
                set.remove(&obj);
                if set.is_empty() {
                    self.users.remove(&d);
                }
            }
        }
    }
}

impl Dependents {
    /// Feeds one event of the Webhook watch.
    pub fn observe(&self, event: &Event<Webhook>) {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner).observe(event);
    }

    /// The Webhooks that depend on `d`.
    pub fn users(&self, d: &Dependency) -> Vec<ObjectRef<Webhook>> {
        let st = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        st.live().users.get(d).map(|s| s.iter().cloned().collect()).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crd::{HeaderSpec, HeaderValue, HeaderValueSource, SecretKeyRef, WebhookSpec};

    fn wh(name: &str, header_secret: &str) -> Webhook {
        let mut w = Webhook::new(name, WebhookSpec::default());
        w.metadata.namespace = Some("ns".into());
        w.spec.provider_ref.name = "p".into();
        let from =
            |n: &str| Some(HeaderValueSource { secret_key_ref: SecretKeyRef { name: n.into(), key: "k".into() } });
        w.spec.headers = vec![HeaderSpec {
            name: "X".into(),
            values: Some(vec![HeaderValue { value: None, value_from: from(header_secret) }]),
            ..Default::default()
        }];
        w
    }

    fn secret(name: &str) -> Dependency {
        Dependency::Secret("ns".into(), name.into())
    }

    #[test]
    fn users_follow_applies_deletes_and_relists() {
        let d = Dependents::default();
        d.observe(&Event::Apply(wh("a", "shared")));
        d.observe(&Event::Apply(wh("b", "shared")));
        assert_eq!(d.users(&secret("shared")).len(), 2);
        assert_eq!(d.users(&secret("a-validation-secret")).len(), 1, "the generated secret");
        assert_eq!(d.users(&Dependency::Provider("WebhookProvider/ns/p".into())).len(), 2);
        // An edit moves the dependency; a delete drops it.
        d.observe(&Event::Apply(wh("a", "other")));
        assert_eq!((d.users(&secret("shared")).len(), d.users(&secret("other")).len()), (1, 1));
        d.observe(&Event::Delete(wh("b", "shared")));
        assert!(d.users(&secret("shared")).is_empty());
        // A re-list that no longer has "a" forgets it once complete.
        d.observe(&Event::Init);
        d.observe(&Event::InitDone);
        assert!(d.users(&secret("other")).is_empty());
    }

    #[test]
    fn direct_secret_references() {
        let mut w = Webhook::new("hook", WebhookSpec::default());
        w.metadata.namespace = Some("ns".into());
        assert!(dependencies(&w).contains(&secret("hook-validation-secret")));
        w.spec.validation_secret_ref = Some(SecretKeyRef { name: "sig".into(), key: "k".into() });
        w.spec.headers.push(HeaderSpec {
            name: "Authorization".into(),
            value_from: Some(HeaderValueSource {
                secret_key_ref: SecretKeyRef { name: "auth".into(), key: "h".into() },
            }),
            ..Default::default()
        });
        let deps = dependencies(&w);
        assert!(deps.contains(&secret("sig")) && deps.contains(&secret("auth")));
        assert!(!deps.contains(&secret("hook-validation-secret")), "a validationSecretRef replaces the generated one");
    }
}
