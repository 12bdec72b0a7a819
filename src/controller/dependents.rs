//! Which Webhooks depend on which Secrets and providers: reverse maps fed by the Webhook watch,
//! so a Secret or provider event finds the Webhooks that use it in O(users) instead of scanning
//! every Webhook. Memory: one shared key per Webhook and a pointer per dependency (its provider,
//! its validation secret, the Secrets of its header values); about 150 bytes a Webhook.
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};

use kube::ResourceExt;
use kube::runtime::watcher::Event;

use super::cached::{WebhookRef, key, reference_of};
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

/// Each Webhook is one shared "namespace/name" string, and each dependency one shared value,
/// however many maps name them. The generated validation Secret, which most Webhooks use and
/// no other shares, is not stored: its name tells its Webhook.
#[derive(Default)]
pub struct Maps {
    users: HashMap<Arc<Dependency>, Users>,
    of: HashMap<Arc<str>, Deps>,
}

/// What one Webhook depends on.
#[derive(PartialEq)]
struct Deps {
    /// It uses its generated validation Secret.
    generated: bool,
    named: Box<[Arc<Dependency>]>,
}

/// The users of one dependency: one (a Secret of one Webhook) or many (a provider).
enum Users {
    One(Arc<str>),
    Many(HashSet<Arc<str>>),
}

impl Users {
    fn insert(&mut self, obj: &Arc<str>) {
        match self {
            Users::One(only) if *only == *obj => {}
            Users::One(only) => {
                let set = HashSet::from([only.clone(), obj.clone()]);
                *self = Users::Many(set);
            }
            Users::Many(set) => {
                set.insert(obj.clone());
            }
        }
    }

    /// Removes `obj`; true when no user is left.
    fn remove(&mut self, obj: &str) -> bool {
        match self {
            Users::One(only) => **only == *obj,
            Users::Many(set) => {
                set.remove(obj);
                set.is_empty()
            }
        }
    }

    fn refs(&self) -> Vec<WebhookRef> {
        match self {
            Users::One(only) => vec![reference_of(only)],
            Users::Many(set) => set.iter().map(|k| reference_of(k)).collect(),
        }
    }
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

impl Maps {
    /// The dependency equal to `d`, shared with the maps when they know it already.
    fn interned(&self, d: Dependency) -> Arc<Dependency> {
        self.users.get_key_value(&d).map_or_else(|| Arc::new(d), |(k, _)| k.clone())
    }

    fn users(&self, d: &Dependency) -> Vec<WebhookRef> {
        let mut users = self.users.get(d).map(Users::refs).unwrap_or_default();
        if let Dependency::Secret(ns, name) = d
            && let Some(owner) = crate::secrets::generated_secret_owner(name)
        {
            let owner = format!("{ns}/{owner}");
            if self.of.get(owner.as_str()).is_some_and(|deps| deps.generated) {
                users.push(reference_of(&owner));
            }
        }
        users
    }
}

impl FromWatch for Maps {
    fn set(&mut self, wh: &Webhook) {
        let obj = key(wh);
        let generated = crate::secrets::generated_secret_name(&wh.name_any());
        let mut named = Vec::new();
        let mut uses_generated = false;
        for d in dependencies(wh) {
            match d {
                Dependency::Secret(_, ref name) if wh.spec.validation_secret_ref.is_none() && *name == generated => {
                    uses_generated = true;
                }
                d => named.push(self.interned(d)),
            }
        }
        let deps = Deps { generated: uses_generated, named: named.into_boxed_slice() };
        if self.of.get(obj.as_str()).is_some_and(|old| *old == deps) {
            return;
        }
        self.remove(wh);
        let obj: Arc<str> = obj.into();
        for d in &deps.named {
            match self.users.get_mut(d) {
                Some(users) => users.insert(&obj),
                None => {
                    self.users.insert(d.clone(), Users::One(obj.clone()));
                }
            }
        }
        self.of.insert(obj, deps);
    }

    fn remove(&mut self, wh: &Webhook) {
        let obj = key(wh);
        let Some(deps) = self.of.remove(obj.as_str()) else { return };
        for d in deps.named.iter() {
            if self.users.get_mut(d).is_some_and(|users| users.remove(&obj)) {
                self.users.remove(d);
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
    pub fn users(&self, d: &Dependency) -> Vec<WebhookRef> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner).live().users(d)
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
    fn one_user_then_several_then_none() {
        let d = Dependents::default();
        let shared = secret("shared");
        d.observe(&Event::Apply(wh("a", "shared")));
        d.observe(&Event::Apply(wh("a", "shared")));
        assert_eq!(d.users(&shared).len(), 1, "re-applying the same object adds no user");
        d.observe(&Event::Apply(wh("b", "shared")));
        d.observe(&Event::Apply(wh("c", "shared")));
        assert_eq!(d.users(&shared).len(), 3);
        for name in ["a", "b", "c"] {
            d.observe(&Event::Delete(wh(name, "shared")));
        }
        assert!(d.users(&shared).is_empty());
        let st = d.inner.lock().unwrap();
        assert!(st.live().users.is_empty() && st.live().of.is_empty(), "nothing left behind");
    }

    #[test]
    fn a_generated_secret_names_its_webhook_only_while_it_uses_one() {
        let d = Dependents::default();
        d.observe(&Event::Apply(wh("a", "h")));
        assert_eq!(d.users(&secret("a-validation-secret")), vec![reference_of("ns/a")]);
        assert!(d.users(&secret("b-validation-secret")).is_empty(), "no Webhook b");
        assert!(d.users(&Dependency::Secret("elsewhere".into(), "a-validation-secret".into())).is_empty());
        let mut own = wh("a", "h");
        own.spec.validation_secret_ref = Some(SecretKeyRef { name: "sig".into(), key: "k".into() });
        d.observe(&Event::Apply(own));
        assert!(d.users(&secret("a-validation-secret")).is_empty(), "it names its own Secret now");
        assert_eq!(d.users(&secret("sig")).len(), 1);
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
