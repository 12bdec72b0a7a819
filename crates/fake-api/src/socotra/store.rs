//! The stored webhooks, per tenant, in creation order; the list filters and offset paging; the
//! state-file form.
use uuid::Uuid;

use super::model::{TenantWebhook, Webhook};
use crate::common::store::{Stored, WithOwner};

/// The Socotra webhooks, per tenant.
pub type Store = crate::common::store::Store<Webhook>;

impl Stored for Webhook {
    fn id(&self) -> &str {
        &self.locator
    }

    fn set_id(&mut self, id: String) {
        self.locator = id;
    }
}

/// `count` when the request gives none.
pub const DEFAULT_COUNT: usize = 100;
/// The largest `count` accepted; more is a 400 (never silently fewer, which a client paging
/// "until a short page" would take for the end).
pub const MAX_COUNT: usize = 1000;

/// The list query: paging and filters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListQuery {
    pub offset: usize,
    pub count: usize,
    /// Exact (case-sensitive) name.
    pub name: Option<String>,
    pub enabled: Option<bool>,
    pub suspended: Option<bool>,
    /// `enabled` and not `suspended`.
    pub active: Option<bool>,
    /// Webhooks subscribed to at least one of these; empty = no filter.
    pub event_types: Vec<String>,
}

impl Default for ListQuery {
    fn default() -> Self {
        Self {
            offset: 0,
            count: DEFAULT_COUNT,
            name: None,
            enabled: None,
            suspended: None,
            active: None,
            event_types: Vec::new(),
        }
    }
}

impl ListQuery {
    pub fn matches(&self, w: &Webhook) -> bool {
        self.name.as_ref().is_none_or(|n| &w.name == n)
            && self.enabled.is_none_or(|e| w.enabled == e)
            && self.suspended.is_none_or(|s| w.suspended == s)
            && self.active.is_none_or(|a| w.active() == a)
            && (self.event_types.is_empty() || w.event_types.iter().any(|t| self.event_types.contains(t)))
    }
}

/// What the state file holds:
/// `{"nextSeq": N, "webhooks": [{"seq": N, "tenantLocator": ..., <webhook>}]}`.
pub type Snapshot = crate::common::store::Snapshot<TenantWebhook>;

impl WithOwner<Webhook> for TenantWebhook {
    fn join(tenant_locator: Uuid, webhook: Webhook) -> Self {
        Self { tenant_locator, webhook }
    }

    fn split(self) -> (Uuid, Webhook) {
        (self.tenant_locator, self.webhook)
    }
}

impl Store {
    /// One page of the tenant's webhooks matching the filters, oldest first: the matches from
    /// `offset` on, at most `count`.
    pub fn list(&self, tenant: &Uuid, q: &ListQuery) -> Vec<Webhook> {
        self.owned(tenant).into_iter().map(|(_, w)| w).filter(|w| q.matches(w)).skip(q.offset).take(q.count).collect()
    }
}
