//! What every reconcile shares: the Kubernetes client, the event recorder, one HTTP client
//! and rate budget per token for provider calls, metrics, settings and per-object backoff.
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use kube::runtime::events::{Recorder, Reporter};
use kube::runtime::reflector::{ObjectRef, Store};
use tokio::sync::mpsc;

use super::claims::Claims;
use super::dependents::Dependents;
use super::identity::ProviderKey;
use super::remembered::Remembered;
use super::resolved_cache::ResolvedCache;
use super::suspects::Suspects;
use super::unseen_writes::UnseenWrites;
use crate::crd::{ClusterWebhookProvider, ProviderKind, WebhookProvider};

use crate::metrics::Metrics;
use crate::providers::budget::Budgets;

/// Operator settings (from `hookwright run` flags).
#[derive(Clone, Debug)]
pub struct Settings {
    /// How often each scope (app, tenant) is listed to catch edits made in the portal.
    pub drift_interval: Duration,
    /// Requests per hour per token that drift checks may spend.
    pub drift_budget: u32,
    /// Send test deliveries when asked by annotation (makes the cluster call out).
    pub test_delivery: bool,
}

/// What the provider last said about a token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuthOutcome {
    Accepted,
    /// 401/403, with the condition message.
    Rejected(String),
}

/// Channels that ask the provider controllers to refresh a provider's status.
pub struct ProviderTriggers {
    pub namespaced: mpsc::UnboundedReceiver<ObjectRef<WebhookProvider>>,
    pub cluster: mpsc::UnboundedReceiver<ObjectRef<ClusterWebhookProvider>>,
}

pub struct Context {
    pub client: kube::Client,
    pub recorder: Recorder,
    pub http: reqwest::Client,
    pub budgets: Budgets,
    pub metrics: Arc<Metrics>,
    pub settings: Settings,
    /// Which object owns which remote webhook (fed by the Webhook watch).
    pub claims: Claims,
    /// Which Webhooks use which Secrets and providers (fed by the Webhook watch).
    pub dependents: Dependents,
    /// Credentials kept for cleanup (provider endpoint and token, in memory).
    pub remembered: Remembered,
    /// Providers resolved, reused while their object and token Secret stay the same.
    pub resolved: ResolvedCache,
    /// The provider watches' stores (set once the controller runs).
    provider_stores: std::sync::OnceLock<(Store<WebhookProvider>, Store<ClusterWebhookProvider>)>,
    /// Webhooks the drift sweep wants read back.
    pub drift_suspects: Suspects,
    /// Our status writes the Webhook watch has not shown yet.
    pub unseen_writes: UnseenWrites,
    failures: Mutex<HashMap<String, u32>>,
    /// By provider key: the token hash and what the provider said about it.
    auth: Mutex<HashMap<String, ([u8; 32], AuthOutcome)>>,
    namespaced_tx: mpsc::UnboundedSender<ObjectRef<WebhookProvider>>,
    cluster_tx: mpsc::UnboundedSender<ObjectRef<ClusterWebhookProvider>>,
    triggers: Mutex<Option<ProviderTriggers>>,
}

impl Context {
    pub fn new(client: kube::Client, http: reqwest::Client, metrics: Arc<Metrics>, settings: Settings) -> Self {
        let reporter = Reporter { controller: "hookwright".into(), instance: std::env::var("POD_NAME").ok() };
        let (namespaced_tx, namespaced) = mpsc::unbounded_channel();
        let (cluster_tx, cluster) = mpsc::unbounded_channel();
        Context {
            recorder: Recorder::new(client.clone(), reporter),
            client,
            http,
            budgets: Budgets::default(),
            metrics,
            settings,
            claims: Claims::default(),
            dependents: Dependents::default(),
            remembered: Remembered::default(),
            unseen_writes: UnseenWrites::default(),
            drift_suspects: Suspects::default(),
            resolved: ResolvedCache::default(),
            provider_stores: std::sync::OnceLock::new(),
            failures: Mutex::default(),
            auth: Mutex::default(),
            namespaced_tx,
            cluster_tx,
            triggers: Mutex::new(Some(ProviderTriggers { namespaced, cluster })),
        }
    }

    /// Hands over the provider watches' stores (once).
    pub fn set_provider_stores(&self, namespaced: Store<WebhookProvider>, cluster: Store<ClusterWebhookProvider>) {
        let _ = self.provider_stores.set((namespaced, cluster));
    }

    /// The resourceVersion of provider `key` as the provider watch last saw it.
    pub fn provider_version(&self, key: &ProviderKey) -> Option<String> {
        let (namespaced, cluster) = self.provider_stores.get()?;
        match (key.kind, &key.namespace) {
            (ProviderKind::WebhookProvider, Some(ns)) => {
                namespaced.get(&ObjectRef::new(&key.name).within(ns))?.metadata.resource_version.clone()
            }
            _ => cluster.get(&ObjectRef::new(&key.name))?.metadata.resource_version.clone(),
        }
    }

    /// The receivers of provider refresh requests (taken once by the controller runner).
    pub fn take_provider_triggers(&self) -> Option<ProviderTriggers> {
        self.triggers.lock().unwrap_or_else(PoisonError::into_inner).take()
    }

    /// What the provider last said about this token, if anything.
    pub fn auth_outcome(&self, provider: &str, token_hash: &[u8; 32]) -> Option<AuthOutcome> {
        let auth = self.auth.lock().unwrap_or_else(PoisonError::into_inner);
        auth.get(provider).filter(|(h, _)| h == token_hash).map(|(_, o)| o.clone())
    }

    /// Records what the provider said about a token; when that changes, the provider's status
    /// is refreshed.
    pub fn record_auth(&self, key: &ProviderKey, token_hash: [u8; 32], outcome: AuthOutcome) {
        let id = key.id();
        let changed = {
            let mut auth = self.auth.lock().unwrap_or_else(PoisonError::into_inner);
            let entry = (token_hash, outcome);
            let changed = auth.get(&id) != Some(&entry);
            auth.insert(id, entry);
            changed
        };
        if changed {
            self.refresh_provider(key);
        }
    }

    /// Asks the provider controllers to rewrite this provider's status.
    pub fn refresh_provider(&self, key: &ProviderKey) {
        // A closed channel only means the provider controllers have stopped.
        let _ = match (key.kind, &key.namespace) {
            (ProviderKind::WebhookProvider, Some(ns)) => {
                self.namespaced_tx.send(ObjectRef::new(&key.name).within(ns)).is_ok()
            }
            _ => self.cluster_tx.send(ObjectRef::new(&key.name)).is_ok(),
        };
    }

    /// Counts one more consecutive failure of object `uid`; returns the count.
    pub fn failed(&self, uid: &str) -> u32 {
        let mut f = self.failures.lock().unwrap_or_else(PoisonError::into_inner);
        let n = f.entry(uid.to_string()).or_default();
        *n += 1;
        *n
    }

    pub fn succeeded(&self, uid: &str) {
        self.failures.lock().unwrap_or_else(PoisonError::into_inner).remove(uid);
    }
}
