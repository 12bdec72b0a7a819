//! Stored webhooks, per owner (a Mendix app, a Socotra tenant), in creation order, each found by
//! its id. Creation sequence numbers survive a state-file round trip, so the order does too.
use std::collections::{BTreeMap, HashMap};

use uuid::Uuid;

/// A stored webhook knows its id.
pub trait Stored: Clone {
    fn id(&self) -> &str;
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

    /// The sequence number the last created webhook got (for the state file).
    pub fn last_seq(&self) -> u64 {
        self.next_seq
    }

    /// Rebuilds a store from a state file's entries: ids and sequence numbers must be unique.
    pub fn restore(last_seq: u64, entries: impl IntoIterator<Item = (u64, Uuid, W)>) -> Result<Self, String> {
        let mut store = Self { next_seq: last_seq, ..Self::default() };
        for (seq, owner, webhook) in entries {
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

    #[derive(Clone, Debug, PartialEq)]
    struct W(&'static str);

    impl Stored for W {
        fn id(&self) -> &str {
            self.0
        }
    }

    #[test]
    fn owners_are_separate_and_order_survives_restore() {
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let mut s = Store::default();
        assert_eq!(s.insert(a, W("x")), Some(1));
        assert_eq!(s.insert(b, W("y")), Some(2));
        assert_eq!(s.insert(a, W("x")), None, "ids are unique across owners");
        assert!(s.get(&b, "x").is_none(), "another owner's webhook is not found");
        let restored = Store::restore(s.last_seq(), s.entries()).expect("restore");
        assert_eq!(restored.entries(), s.entries());
        assert!(Store::restore(0, [(1, a, W("x")), (1, b, W("y"))]).is_err());
        assert_eq!(s.remove(&a, "x"), Some(W("x")));
        assert!(s.owned(&a).is_empty());
    }
}
