//! The stored webhooks, per app, in creation order, plus their state-file form.
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::model::{AppWebhook, Webhook, new_webhook_id};
use crate::common::store::Stored;

/// The Mendix webhooks, per app.
pub type Store = crate::common::store::Store<Webhook>;

impl Stored for Webhook {
    fn id(&self) -> &str {
        &self.id
    }
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
        self.fresh_id_from(new_webhook_id)
    }

    /// The app's webhooks with their sequence numbers, oldest first.
    pub fn app_webhooks(&self, app: &Uuid) -> Vec<(u64, Webhook)> {
        self.owned(app)
    }

    /// Every webhook of every app, oldest first.
    pub fn all(&self) -> Vec<(u64, AppWebhook)> {
        self.entries().into_iter().map(|(seq, app_id, webhook)| (seq, AppWebhook { app_id, webhook })).collect()
    }

    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            next_seq: self.last_seq(),
            webhooks: self.all().into_iter().map(|(seq, webhook)| SnapshotEntry { seq, webhook }).collect(),
        }
    }

    pub fn from_snapshot(snap: Snapshot) -> Result<Self, String> {
        Self::restore(snap.next_seq, snap.webhooks.into_iter().map(|e| (e.seq, e.webhook.app_id, e.webhook.webhook)))
    }
}
