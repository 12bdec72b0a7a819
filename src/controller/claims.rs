//! Which object owns which remote webhook: an index from remote id to the Webhook whose status
//! records it, fed by the Webhook watch. Adoption (the external-id annotation) and the recovery
//! of an interrupted create consult it, so one remote webhook is never bound to two objects.
//! A lookup is O(1); memory is one entry per Webhook that has an id.
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use kube::ResourceExt;
use kube::runtime::watcher::Event;

use super::cached;
use super::identity::uid_key;
use super::watch_index::{FromWatch, WatchIndex};
use crate::crd::Webhook;

#[derive(Default)]
pub struct Claims {
    inner: Mutex<WatchIndex<Index>>,
}

/// Each id and name is stored once, shared by both maps; uids are numbers.
#[derive(Default)]
pub struct Index {
    /// Remote id → (owner's uid, "namespace/name").
    by_id: HashMap<Arc<str>, (u128, Box<str>)>,
    /// Owner's uid → remote id.
    by_uid: HashMap<u128, Arc<str>>,
}

impl FromWatch for Index {
    fn set(&mut self, wh: &Webhook) {
        let uid = uid_key(&wh.uid().unwrap_or_default());
        let id = wh.status.as_ref().and_then(|s| s.webhook_id.as_deref());
        if self.by_uid.get(&uid).map(|i| &**i) == id {
            return;
        }
        self.remove(wh);
        if let Some(id) = id {
            let id: Arc<str> = id.into();
            let name = cached::key(wh);
            self.by_id.insert(id.clone(), (uid, name.into_boxed_str()));
            self.by_uid.insert(uid, id);
        }
    }

    fn remove(&mut self, wh: &Webhook) {
        let uid = uid_key(&wh.uid().unwrap_or_default());
        if let Some(old) = self.by_uid.remove(&uid)
            && self.by_id.get(&old).is_some_and(|(owner, _)| *owner == uid)
        {
            self.by_id.remove(&old);
        }
    }
}

impl Claims {
    /// Feeds one event of the Webhook watch.
    pub fn observe(&self, event: &Event<Webhook>) {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner).observe(event);
    }

    /// The "namespace/name" of another object (not `uid`) whose status records remote `id`.
    pub fn owner(&self, id: &str, uid: &str) -> Option<String> {
        let st = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let uid = uid_key(uid);
        st.live().by_id.get(id).filter(|(owner, _)| *owner != uid).map(|(_, name)| name.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crd::{WebhookSpec, WebhookStatus};

    fn wh(name: &str, uid: &str, id: Option<&str>) -> Webhook {
        let mut w = Webhook::new(name, WebhookSpec::default());
        w.metadata.namespace = Some("ns".into());
        w.metadata.uid = Some(uid.into());
        w.status = Some(WebhookStatus { webhook_id: id.map(str::to_string), ..Default::default() });
        w
    }

    #[test]
    fn an_id_is_owned_by_the_object_whose_status_records_it() {
        let c = Claims::default();
        c.observe(&Event::Apply(wh("a", "u1", Some("x"))));
        assert_eq!(c.owner("x", "u2").as_deref(), Some("ns/a"));
        assert_eq!(c.owner("x", "u1"), None, "an object never conflicts with itself");
        // A new id (re-create) releases the old one; deletion releases everything.
        c.observe(&Event::Apply(wh("a", "u1", Some("y"))));
        assert_eq!(c.owner("x", "u2"), None);
        assert_eq!(c.owner("y", "u2").as_deref(), Some("ns/a"));
        c.observe(&Event::Delete(wh("a", "u1", Some("y"))));
        assert_eq!(c.owner("y", "u2"), None);
    }

    #[test]
    fn a_relist_replaces_the_index() {
        let c = Claims::default();
        c.observe(&Event::Apply(wh("gone", "u1", Some("x"))));
        c.observe(&Event::Init);
        c.observe(&Event::InitApply(wh("b", "u2", Some("y"))));
        assert_eq!(c.owner("x", "u9").as_deref(), Some("ns/gone"), "the old view serves until the list is done");
        c.observe(&Event::InitDone);
        assert_eq!(c.owner("x", "u9"), None, "deleted while the watch was down");
        assert_eq!(c.owner("y", "u9").as_deref(), Some("ns/b"));
    }
}
