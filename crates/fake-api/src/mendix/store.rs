//! The stored webhooks, per app, in creation order, plus their state-file form.
use uuid::Uuid;

use super::model::{AppWebhook, Webhook, new_webhook_id};
use crate::common::store::{Stored, WithOwner};

/// The Mendix webhooks, per app.
pub type Store = crate::common::store::Store<Webhook>;

/// What the state file holds: `{"nextSeq": N, "webhooks": [{"seq": N, "appId": ..., <webhook>}]}`.
pub type Snapshot = crate::common::store::Snapshot<AppWebhook>;
pub type SnapshotEntry = crate::common::store::SnapshotEntry<AppWebhook>;

impl Stored for Webhook {
    fn id(&self) -> &str {
        &self.id
    }

    fn set_id(&mut self, id: String) {
        self.id = id;
    }
}

impl WithOwner<Webhook> for AppWebhook {
    fn join(app_id: Uuid, webhook: Webhook) -> Self {
        Self { app_id, webhook }
    }

    fn split(self) -> (Uuid, Webhook) {
        (self.app_id, self.webhook)
    }
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
        self.entries().into_iter().map(|(seq, app, webhook)| (seq, AppWebhook::join(app, webhook))).collect()
    }
}
