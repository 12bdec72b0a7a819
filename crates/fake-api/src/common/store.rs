//! Stored webhooks, per owner (a Mendix app, a Socotra tenant), in creation order, each found by
//! its id. Creation sequence numbers survive a state-file round trip, so the order does too.
use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A stored webhook knows its id.
pub trait Stored: Clone {
    fn id(&self) -> &str;
    fn set_id(&mut self, id: String);
}

/// A webhook together with its owner, as the admin dump and the state file show it
/// (`{"appId": ..., <webhook>}`, `{"tenantLocator": ..., <webhook>}`).
pub trait WithOwner<W>: Sized {
    fn join(owner: Uuid, webhook: W) -> Self;
    fn split(self) -> (Uuid, W);
}

/// What the state file holds.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Snapshot<E> {
    pub next_seq: u64,
    pub webhooks: Vec<SnapshotEntry<E>>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SnapshotEntry<E> {
    pub seq: u64,
    #[serde(flatten)]
    pub webhook: E,
}

#[derive(Debug)]
pub struct Store<W> {
    next_seq: u64,
    owners: HashMap<Uuid, BTreeMap<u64, W>>,
    /// webhook id -> (owner, creation sequence)
    index: HashMap<String, (Uuid, u64)>,
}

impl<W> Default for Store<W> {
    fn default() -> Self {
        Self { next_seq: 0, owners: HashMap::new(), index: HashMap::new() }
    }
}

impl<W: Stored> Store<W> {
    /// A fresh id from `generate` that no stored webhook has.
    pub fn fresh_id_from(&self, generate: impl Fn() -> String) -> String {
        loop {
            let id = generate();
            if !self.index.contains_key(&id) {
                return id;
            }
        }
    }

    pub fn contains_id(&self, id: &str) -> bool {
        self.index.contains_key(id)
    }

    /// Stores the webhook `make` builds around a fresh id from `generate`.
    pub fn create(&mut self, owner: Uuid, generate: impl Fn() -> String, make: impl FnOnce(String) -> W) -> W {
        let webhook = make(self.fresh_id_from(generate));
        let stored = self.insert(owner, webhook.clone());
        debug_assert!(stored.is_some(), "make keeps the fresh id");
        webhook
    }

    /// Stores `webhook` under the id `wanted` or, when none, a fresh one from `generate`.
    /// `None` when `wanted` is taken.
    pub fn insert_as(
        &mut self,
        owner: Uuid,
        mut webhook: W,
        wanted: Option<String>,
        generate: impl Fn() -> String,
    ) -> Option<W> {
        let id = match wanted {
            Some(id) if self.contains_id(&id) => return None,
            Some(id) => id,
            None => self.fresh_id_from(generate),
        };
        webhook.set_id(id);
        self.insert(owner, webhook.clone())?;
        Some(webhook)
    }

    /// Edits a copy of the webhook with `f` and keeps it if `f` succeeds; `None` when there is
    /// no such webhook.
    pub fn edit<E>(&mut self, owner: &Uuid, id: &str, f: impl FnOnce(&mut W) -> Result<(), E>) -> Option<Result<W, E>> {
        let stored = self.get_mut(owner, id)?;
        let mut edited = stored.clone();
        Some(f(&mut edited).map(|()| {
            *stored = edited.clone();
            edited
        }))
    }

    /// Stores a webhook whose id is not taken yet; returns its creation sequence number.
    pub fn insert(&mut self, owner: Uuid, webhook: W) -> Option<u64> {
        if self.index.contains_key(webhook.id()) {
            return None;
        }
        self.next_seq += 1;
        let seq = self.next_seq;
        self.index.insert(webhook.id().to_string(), (owner, seq));
        self.owners.entry(owner).or_default().insert(seq, webhook);
        Some(seq)
    }

    fn locate(&self, owner: &Uuid, id: &str) -> Option<u64> {
        self.index.get(id).filter(|(o, _)| o == owner).map(|(_, seq)| *seq)
    }

    pub fn get(&self, owner: &Uuid, id: &str) -> Option<&W> {
        let seq = self.locate(owner, id)?;
        self.owners.get(owner)?.get(&seq)
    }

    pub fn get_mut(&mut self, owner: &Uuid, id: &str) -> Option<&mut W> {
        let seq = self.locate(owner, id)?;
        self.owners.get_mut(owner)?.get_mut(&seq)
    }

    pub fn remove(&mut self, owner: &Uuid, id: &str) -> Option<W> {
        let seq = self.locate(owner, id)?;
        self.index.remove(id);
        let hooks = self.owners.get_mut(owner)?;
        let removed = hooks.remove(&seq);
        if hooks.is_empty() {
            self.owners.remove(owner);
        }
        removed
    }

    /// The owner's webhooks with their sequence numbers, oldest first.
    pub fn owned(&self, owner: &Uuid) -> Vec<(u64, W)> {
        self.owners.get(owner).map(|m| m.iter().map(|(s, w)| (*s, w.clone())).collect()).unwrap_or_default()
    }

    /// Every webhook of every owner, oldest first.
    pub fn entries(&self) -> Vec<(u64, Uuid, W)> {
        let mut out: Vec<(u64, Uuid, W)> =
            self.owners.iter().flat_map(|(owner, m)| m.iter().map(|(s, w)| (*s, *owner, w.clone()))).collect();
        out.sort_by_key(|(s, _, _)| *s);
        out
    }

    pub fn clear(&mut self) {
        self.owners.clear();
        self.index.clear();
    }

    /// Every webhook with its owner, oldest first.
    pub fn with_owners<E: WithOwner<W>>(&self) -> Vec<E> {
        self.entries().into_iter().map(|(_, owner, w)| E::join(owner, w)).collect()
    }

    pub fn snapshot<E: WithOwner<W>>(&self) -> Snapshot<E> {
        Snapshot {
            next_seq: self.next_seq,
            webhooks: self
                .entries()
                .into_iter()
                .map(|(seq, owner, w)| SnapshotEntry { seq, webhook: E::join(owner, w) })
                .collect(),
        }
    }

    /// Rebuilds a store from a state file: ids and sequence numbers must be unique.
    pub fn from_snapshot<E: WithOwner<W>>(snap: Snapshot<E>) -> Result<Self, String> {
        let mut store = Self { next_seq: snap.next_seq, ..Self::default() };
        for entry in snap.webhooks {
            let seq = entry.seq;
            let (owner, webhook) = entry.webhook.split();
            let id = webhook.id().to_string();
            if store.index.contains_key(&id) {
                return Err(format!("webhook id {id} appears twice"));
            }
            if seq == 0 || store.index.values().any(|(_, s)| *s == seq) {
                return Err(format!("webhook {id} has a missing or duplicate seq"));
            }
            store.next_seq = store.next_seq.max(seq);
            store.index.insert(id, (owner, seq));
            store.owners.entry(owner).or_default().insert(seq, webhook);
        }
        Ok(store)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
    struct W(String, u32);

    impl Stored for W {
        fn id(&self) -> &str {
            &self.0
        }

        fn set_id(&mut self, id: String) {
            self.0 = id;
        }
    }

    #[derive(Debug, Serialize, Deserialize)]
    struct Owned {
        owner: u128,
        w: W,
    }

    impl WithOwner<W> for Owned {
        fn join(owner: Uuid, w: W) -> Self {
            Self { owner: owner.as_u128(), w }
        }

        fn split(self) -> (Uuid, W) {
            (Uuid::from_u128(self.owner), self.w)
        }
    }

    fn w(id: &str) -> W {
        W(id.to_string(), 0)
    }

    #[test]
    fn owners_are_separate_and_order_survives_restore() {
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let mut s = Store::default();
        assert_eq!(s.insert(a, w("x")), Some(1));
        assert_eq!(s.create(b, || "y".to_string(), |id| W(id, 0)), w("y"));
        assert_eq!(s.insert(a, w("x")), None, "ids are unique across owners");
        assert_eq!(s.insert_as(b, w(""), Some("x".into()), || "z".into()), None, "a wanted id that is taken");
        assert_eq!(s.insert_as(b, w(""), None, || "z".into()), Some(w("z")));
        assert!(s.get(&b, "x").is_none(), "another owner's webhook is not found");
        let restored = Store::from_snapshot(s.snapshot::<Owned>()).expect("restore");
        assert_eq!(restored.entries(), s.entries());
        let twice = Snapshot {
            next_seq: 0,
            webhooks: vec![
                SnapshotEntry { seq: 1, webhook: Owned::join(a, w("p")) },
                SnapshotEntry { seq: 1, webhook: Owned::join(b, w("q")) },
            ],
        };
        assert!(Store::from_snapshot(twice).is_err());
        assert_eq!(s.remove(&a, "x"), Some(w("x")));
        assert!(s.owned(&a).is_empty());
    }

    #[test]
    fn edits_are_kept_only_when_they_succeed() {
        let a = Uuid::from_u128(1);
        let mut s = Store::default();
        s.insert(a, w("x"));
        assert_eq!(s.edit(&a, "x", |_| Err("no")), Some(Err("no")));
        assert_eq!(s.edit(&a, "y", |_| Ok::<(), ()>(())), None);
        assert_eq!(s.get(&a, "x"), Some(&w("x")), "a failed edit changes nothing");
        let seven = |v: &mut W| -> Result<(), ()> {
            v.1 = 7;
            Ok(())
        };
        assert_eq!(s.edit(&a, "x", seven), Some(Ok(W("x".into(), 7))));
        assert_eq!(s.get(&a, "x"), Some(&W("x".into(), 7)));
    }
}
