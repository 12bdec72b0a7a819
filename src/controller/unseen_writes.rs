//! Status writes of ours that the Webhook watch has not shown yet, by object uid: the
//! resourceVersion each write produced. While one is unseen, the cached status may predate it,
//! so a reconcile must not skip a status write because it equals the cache. An entry goes away
//! when the watch delivers that resourceVersion (or the object), so the map holds only writes
//! in flight, not one entry per object.
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
    fn deleted_objects_leave_nothing_behind() {
        let w = UnseenWrites::default();
        w.wrote("u", Some("5".into()));
        w.observe(&Event::Delete(at("u", "3")));
        assert!(w.is_empty());
    }
}
