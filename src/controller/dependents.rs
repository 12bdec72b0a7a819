//! Which Webhooks depend on which Secrets and providers: reverse maps fed by the Webhook watch,
//! so a Secret or provider event finds the Webhooks that use it in O(users) instead of scanning
//! every Webhook. Memory: a few keys per Webhook (its provider, its validation secret, the
//! Secrets of its header values).
use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, PoisonError};

use kube::ResourceExt;
use kube::runtime::watcher::Event;

use super::cached::{CachedWebhook, WebhookRef};
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
    users: HashMap<Dependency, Users>,
    of: HashMap<WebhookRef, Box<[Dependency]>>,
}

/// The users of one dependency. Most have exactly one (each Webhook's generated validation
/// Secret), which a set would store in a table of several slots.
enum Users {
    One(WebhookRef),
    Many(HashSet<WebhookRef>),
}

impl Users {
    fn insert(&mut self, obj: WebhookRef) {
        match self {
            Users::One(only) if *only == obj => {}
            Users::One(only) => {
                let set = HashSet::from([only.clone(), obj]);
                *self = Users::Many(set);
            }
            Users::Many(set) => {
                set.insert(obj);
            }
        }
    }

    /// Removes `obj`; true when no user is left.
    fn remove(&mut self, obj: &WebhookRef) -> bool {
        match self {
            Users::One(only) => only == obj,
            Users::Many(set) => {
                set.remove(obj);
                set.is_empty()
            }
        }
    }

    fn to_vec(&self) -> Vec<WebhookRef> {
        match self {
            Users::One(only) => vec![only.clone()],
            Users::Many(set) => set.iter().cloned().collect(),
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

impl FromWatch for Maps {
    fn set(&mut self, wh: &Webhook) {
        let deps = dependencies(wh);
        let obj = bare_ref(wh);
        if self.of.get(&obj).is_some_and(|old| **old == *deps) {
            return;
        }
        self.remove(wh);
        for d in &deps {
            match self.users.get_mut(d) {
                Some(users) => users.insert(obj.clone()),
                None => {
                    self.users.insert(d.clone(), Users::One(obj.clone()));
                }
            }
        }
        self.of.insert(obj, deps.into_boxed_slice());
    }

    fn remove(&mut self, wh: &Webhook) {
        let obj = bare_ref(wh);
        for d in self.of.remove(&obj).unwrap_or_default() {
            if self.users.get_mut(&d).is_some_and(|users| users.remove(&obj)) {
                self.users.remove(&d);
            }
        }
    }
}

/// `wh`'s reference without the resource version and UID (which equality and hashing ignore):
/// two strings fewer per copy kept.
fn bare_ref(wh: &Webhook) -> WebhookRef {
    CachedWebhook::reference(wh)
}

impl Dependents {
    /// Feeds one event of the Webhook watch.
    pub fn observe(&self, event: &Event<Webhook>) {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner).observe(event);
    }

    /// The Webhooks that depend on `d`.
    pub fn users(&self, d: &Dependency) -> Vec<WebhookRef> {
        let st = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        st.live().users.get(d).map(Users::to_vec).unwrap_or_default()
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
