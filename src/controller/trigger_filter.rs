//! Which Webhook watch events are worth a reconcile: a change of spec (generation), deletion,
//! a finalizer removed from an object that owns a remote webhook, or an annotation hookwright
//! acts on. Status-only updates (our own writes) and our own create-intent patch are not.
//!
//! This replaces kube-runtime's `predicate_filter`, whose cache kept three strings per object
//! (name, namespace, uid) and an entry for an hour after the object was deleted: here an entry
//! is 32 bytes, keyed by uid, and goes with the object.
use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};

use kube::ResourceExt;
use kube::runtime::watcher::Event;

use super::create_intent;
use super::identity::uid_key;
use crate::crd::{EXTERNAL_ID_ANNOTATION, RECONCILE_REQUESTED_ANNOTATION, TEST_DELIVERY_ANNOTATION, Webhook};

#[derive(Default)]
pub struct TriggerFilter {
    seen: HashMap<u128, Seen>,
    /// Counts the watch's (re)lists: an entry not seen again in a relist is dropped.
    epoch: u32,
}

struct Seen {
    hash: u64,
    epoch: u32,
}

impl TriggerFilter {
    /// Remembers what `event` shows; true when it brings an object whose trigger changed (or
    /// an object not seen before).
    pub fn admit(&mut self, event: &Event<Webhook>) -> bool {
        match event {
            Event::Apply(wh) | Event::InitApply(wh) => {
                let seen = Seen { hash: trigger_hash(wh), epoch: self.epoch };
                let hash = seen.hash;
                self.seen.insert(key(wh), seen).is_none_or(|old| old.hash != hash)
            }
            Event::Delete(wh) => {
                self.seen.remove(&key(wh));
                false
            }
            Event::Init => {
                self.epoch = self.epoch.wrapping_add(1);
                false
            }
            Event::InitDone => {
                let epoch = self.epoch;
                self.seen.retain(|_, s| s.epoch == epoch);
                false
            }
        }
    }

    pub fn len(&self) -> usize {
        self.seen.len()
    }

    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
    }
}

/// An object's key: its uid, which a re-created object does not share.
fn key(wh: &Webhook) -> u128 {
    uid_key(wh.metadata.uid.as_deref().unwrap_or_default())
}

/// What makes a Webhook worth reconciling, as one number.
fn trigger_hash(wh: &Webhook) -> u64 {
    let mut h = DefaultHasher::new();
    wh.metadata.generation.hash(&mut h);
    wh.metadata.deletion_timestamp.is_some().hash(&mut h);
    // Our own finalizer patch is no news; a finalizer removed from an object that owns a
    // remote webhook is (it is put back).
    let unguarded =
        !create_intent::has_finalizer(&wh.metadata) && wh.status.as_ref().is_some_and(|s| s.webhook_id.is_some());
    unguarded.hash(&mut h);
    for a in [EXTERNAL_ID_ANNOTATION, RECONCILE_REQUESTED_ANNOTATION, TEST_DELIVERY_ANNOTATION] {
        // Not the create intent: it is our own write, made together with the finalizer.
        wh.annotations().get(a).hash(&mut h);
    }
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crd::{FINALIZER, WebhookSpec, WebhookStatus};

    fn wh(uid: &str, generation: i64) -> Webhook {
        let mut wh = Webhook::new("hook", WebhookSpec::default());
        wh.metadata.namespace = Some("ns".into());
        wh.metadata.uid = Some(uid.into());
        wh.metadata.generation = Some(generation);
        wh
    }

    const UID: &str = "8d5b4f3e-0000-4000-8000-000000000001";

    #[test]
    fn a_new_object_and_a_spec_change_trigger_a_status_write_does_not() {
        let mut f = TriggerFilter::default();
        assert!(f.admit(&Event::Apply(wh(UID, 1))));
        let mut status_only = wh(UID, 1);
        status_only.status = Some(WebhookStatus { observed_generation: Some(1), ..Default::default() });
        status_only.metadata.finalizers = Some(vec![FINALIZER.into()]);
        assert!(!f.admit(&Event::Apply(status_only)), "a status write and our finalizer are no news");
        assert!(f.admit(&Event::Apply(wh(UID, 2))), "a spec change is");
    }

    #[test]
    fn a_removed_finalizer_on_an_owner_and_a_resync_request_trigger() {
        let mut f = TriggerFilter::default();
        let mut owner = wh(UID, 1);
        owner.metadata.finalizers = Some(vec![FINALIZER.into()]);
        owner.status = Some(WebhookStatus { webhook_id: Some("id".into()), ..Default::default() });
        assert!(f.admit(&Event::Apply(owner.clone())));
        owner.metadata.finalizers = Some(vec![]);
        assert!(f.admit(&Event::Apply(owner.clone())), "finalizer removed from an owner");
        owner.annotations_mut().insert(RECONCILE_REQUESTED_ANNOTATION.into(), "now".into());
        assert!(f.admit(&Event::Apply(owner)), "resync requested");
    }

    #[test]
    fn entries_go_with_their_objects_and_with_relists() {
        let mut f = TriggerFilter::default();
        let other = "8d5b4f3e-0000-4000-8000-000000000002";
        f.admit(&Event::Apply(wh(UID, 1)));
        f.admit(&Event::Apply(wh(other, 1)));
        assert_eq!(f.len(), 2);
        f.admit(&Event::Delete(wh(UID, 1)));
        assert_eq!(f.len(), 1);
        assert!(f.admit(&Event::Apply(wh(UID, 1))), "a re-created object is new");
        // A relist that no longer shows `other` (deleted while the watch was down).
        f.admit(&Event::Init);
        assert!(!f.admit(&Event::InitApply(wh(UID, 1))), "unchanged across a relist");
        f.admit(&Event::InitDone);
        assert_eq!(f.len(), 1);
        assert!(f.admit(&Event::InitApply(wh(other, 1))), "gone, so new again");
    }

    #[test]
    fn a_uid_that_is_no_uuid_still_keys_its_object() {
        let mut f = TriggerFilter::default();
        assert!(f.admit(&Event::Apply(wh("not-a-uuid", 1))));
        assert!(!f.admit(&Event::Apply(wh("not-a-uuid", 1))));
        assert!(f.admit(&Event::Apply(wh("another", 1))));
    }
}
