//! The stored webhooks, per app, in creation order, plus their state-file form.
use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::model::{AppWebhook, Webhook, new_webhook_id};

#[derive(Debug, Default)]
pub struct Store {
    next_seq: u64,
    apps: HashMap<Uuid, BTreeMap<u64, Webhook>>,
    /// webhook id -> (app, creation sequence)
    index: HashMap<String, (Uuid, u64)>,
}

/// What the state file holds.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Snapshot {
    pub next_seq: u64,
    pub webhooks: Vec<SnapshotEntry>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SnapshotEntry {
    pub seq: u64,
    #[serde(flatten)]
    pub webhook: AppWebhook,
}

impl Store {
    /// A fresh id that no stored webhook has.
    pub fn fresh_id(&self) -> String {
        loop {
            let id = new_webhook_id();
            if !self.index.contains_key(&id) {
                return id;
            }
        }
    }

    pub fn contains_id(&self, id: &str) -> bool {
        self.index.contains_key(id)
    }

    /// Stores a webhook whose id is not taken yet; returns its creation sequence number.
    pub fn insert(&mut self, app: Uuid, webhook: Webhook) -> Option<u64> {
        if self.index.contains_key(&webhook.id) {
            return None;
        }
        self.next_seq += 1;
        let seq = self.next_seq;
        self.index.insert(webhook.id.clone(), (app, seq));
        self.apps.entry(app).or_default().insert(seq, webhook);
        Some(seq)
    }

    fn locate(&self, app: &Uuid, id: &str) -> Option<u64> {
        self.index.get(id).filter(|(a, _)| a == app).map(|(_, seq)| *seq)
    }

    pub fn get(&self, app: &Uuid, id: &str) -> Option<&Webhook> {
        let seq = self.locate(app, id)?;
        self.apps.get(app)?.get(&seq)
    }

    pub fn get_mut(&mut self, app: &Uuid, id: &str) -> Option<&mut Webhook> {
        let seq = self.locate(app, id)?;
        self.apps.get_mut(app)?.get_mut(&seq)
    }

    pub fn remove(&mut self, app: &Uuid, id: &str) -> Option<Webhook> {
        let seq = self.locate(app, id)?;
        self.index.remove(id);
        let hooks = self.apps.get_mut(app)?;
        let removed = hooks.remove(&seq);
        if hooks.is_empty() {
            self.apps.remove(app);
        }
        removed
    }

    /// The app's webhooks with their sequence numbers, oldest first.
    pub fn app_webhooks(&self, app: &Uuid) -> Vec<(u64, Webhook)> {
        self.apps.get(app).map(|m| m.iter().map(|(s, w)| (*s, w.clone())).collect()).unwrap_or_default()
    }

    /// Every webhook of every app, oldest first.
    pub fn all(&self) -> Vec<(u64, AppWebhook)> {
        let mut out: Vec<(u64, AppWebhook)> = self
            .apps
            .iter()
            .flat_map(|(app, m)| m.iter().map(|(s, w)| (*s, AppWebhook { app_id: *app, webhook: w.clone() })))
            .collect();
        out.sort_by_key(|(s, _)| *s);
        out
    }

    pub fn clear(&mut self) {
        self.apps.clear();
        self.index.clear();
    }

    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            next_seq: self.next_seq,
            webhooks: self.all().into_iter().map(|(seq, webhook)| SnapshotEntry { seq, webhook }).collect(),
        }
    }

    pub fn from_snapshot(snap: Snapshot) -> Result<Self, String> {
        let mut store = Store { next_seq: snap.next_seq, ..Store::default() };
        for e in snap.webhooks {
            let id = e.webhook.webhook.id.clone();
            if store.index.contains_key(&id) {
                return Err(format!("webhook id {id} appears twice"));
            }
            if e.seq == 0 || store.index.values().any(|(_, s)| *s == e.seq) {
                return Err(format!("webhook {id} has a missing or duplicate seq"));
            }
            store.next_seq = store.next_seq.max(e.seq);
            store.index.insert(id, (e.webhook.app_id, e.seq));
            store.apps.entry(e.webhook.app_id).or_default().insert(e.seq, e.webhook.webhook);
        }
        Ok(store)
    }
}
