//! Providers already resolved (provider object read, token read, client built), by provider
//! id, with the provider object's resourceVersion they came from. A reconcile whose provider
//! store shows the same version reuses the client instead of reading the provider and its token
//! Secret from the apiserver again (two GETs per reconcile, 20,000 for a 10,000-Webhook start).
//! A change of the token Secret (seen by the metadata-only Secret watch) forgets the entry; a
//! change of the provider object shows as a new resourceVersion.
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use super::identity::ProviderKey;
use crate::providers::{Endpoint, WebhookApi};

/// The provider a reconcile talks to.
#[derive(Clone)]
pub struct Resolved {
    pub api: Arc<dyn WebhookApi>,
    /// What the provider object said (flavor, tenant), live or remembered.
    pub endpoint: Endpoint,
    pub key: ProviderKey,
    pub token_hash: [u8; 32],
}

#[derive(Default)]
pub struct ResolvedCache(Mutex<HashMap<String, (String, Resolved)>>);

impl ResolvedCache {
    /// The client resolved for provider `id` from the provider at `resource_version`.
    pub fn get(&self, id: &str, resource_version: &str) -> Option<Resolved> {
        let map = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        map.get(id).filter(|(rv, _)| rv == resource_version).map(|(_, r)| r.clone())
    }

    pub fn put(&self, id: String, resource_version: String, resolved: Resolved) {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).insert(id, (resource_version, resolved));
    }

    /// Provider `id`'s token (or anything else it resolves from) changed.
    pub fn forget(&self, id: &str) {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).remove(id);
    }
}
