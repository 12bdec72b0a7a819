//! Credentials kept for cleanup: the endpoint and token each provider last resolved to, in
//! memory only. When a namespace is deleted, its WebhookProvider and token Secret go at once
//! while its Webhooks wait on their finalizers; deleting their remote webhooks then uses what
//! was remembered, so the deletion ends. Nothing is written to the cluster for this (no
//! finalizers on Secrets or providers that could outlive the operator).
use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use secrecy::SecretString;

use crate::providers::Endpoint;

/// By provider id (`ProviderKey::id`): the endpoint and token last resolved.
#[derive(Default)]
pub struct Remembered(Mutex<HashMap<String, (Endpoint, SecretString)>>);

impl Remembered {
    /// Keeps (or replaces) what provider `id` resolved to.
    pub fn keep(&self, id: String, endpoint: Endpoint, token: SecretString) {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).insert(id, (endpoint, token));
    }

    /// What provider `id` last resolved to.
    pub fn get(&self, id: &str) -> Option<(Endpoint, SecretString)> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).get(id).cloned()
    }
}
