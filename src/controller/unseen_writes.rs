//! Writes of ours that a watch has not shown yet: the resourceVersion each produced, keyed by
//! Webhook uid (status writes) or by `namespace/name` (generated Secrets). While a status write
//! is unseen, the cached status may predate it, so a reconcile must not skip a status write
//! because it equals the cache; a generated Secret's own watch event is no news to its Webhook.
//! An entry goes away when the watch delivers that resourceVersion (or the object is deleted),
//! so the map holds only writes in flight, not one entry per object.
use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use kube::ResourceExt;
use kube::runtime::watcher::Event;

use crate::crd::Webhook;

#[derive(Default)]
pub struct UnseenWrites(Mutex<HashMap<String, String>>);

impl UnseenWrites {
    /// Our status write on `uid` produced `resource_version`.
    pub fn wrote(&self, uid: &str, resource_version: Option<String>) {
        let mut map = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        match resource_version {
            Some(rv) => map.insert(uid.to_string(), rv),
            None => map.remove(uid),
        };
    }

    /// The cached object (its uid and resourceVersion) may not show our last status write.
    pub fn cache_may_lag(&self, uid: &str, cached: Option<&str>) -> bool {
        let map = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        map.get(uid).is_some_and(|rv| Some(rv.as_str()) != cached)
    }

    /// Whether the watch now shows `key` at a version our own write produced (no news: the
    /// object has not changed since we wrote it). Forgets the write either way once seen.
    pub fn is_own(&self, key: &str, seen: Option<&str>) -> bool {
        let mut map = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let own = map.get(key).is_some_and(|rv| Some(rv.as_str()) == seen);
        if own {
            map.remove(key);
        }
        own
    }

    pub fn observe(&self, event: &Event<Webhook>) {
        let mut map = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        match event {
            Event::Apply(wh) | Event::InitApply(wh) => {
                let uid = wh.uid().unwrap_or_default();
                if map.get(&uid).is_some_and(|rv| wh.resource_version().as_ref() == Some(rv)) {
                    map.remove(&uid);
                }
            }
            Event::Delete(wh) => {
                map.remove(&wh.uid().unwrap_or_default());
            }
            Event::Init | Event::InitDone => {}
        }
    }

    pub fn len(&self) -> usize {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crd::WebhookSpec;

    fn at(uid: &str, rv: &str) -> Webhook {
        let mut wh = Webhook::new("w", WebhookSpec::default());
        wh.metadata.uid = Some(uid.into());
        wh.metadata.resource_version = Some(rv.into());
        wh
    }

    #[test]
    fn a_write_is_unseen_until_the_watch_delivers_its_version() {
        let w = UnseenWrites::default();
        assert!(!w.cache_may_lag("u", Some("1")), "nothing written: the cache is all there is");
        w.wrote("u", Some("5".into()));
        assert!(w.cache_may_lag("u", Some("4")));
        w.observe(&Event::Apply(at("u", "4")));
        assert!(w.cache_may_lag("u", Some("4")), "an older version does not show the write");
        w.observe(&Event::Apply(at("u", "5")));
        assert!(!w.cache_may_lag("u", Some("5")) && w.is_empty());
    }

    #[test]
    fn our_own_write_is_no_news_once() {
        let w = UnseenWrites::default();
        w.wrote("ns/s", Some("9".into()));
        assert!(!w.is_own("ns/s", Some("8")), "an older version is not our write");
        assert!(w.is_own("ns/s", Some("9")));
        assert!(!w.is_own("ns/s", Some("9")) && w.is_empty(), "seen once, then forgotten");
    }

    #[test]
    fn deleted_objects_leave_nothing_behind() {
        let w = UnseenWrites::default();
        w.wrote("u", Some("5".into()));
        w.observe(&Event::Delete(at("u", "3")));
        assert!(w.is_empty());
    }
}
