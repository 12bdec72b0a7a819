//! In-memory [`WebhookApi`] for unit tests of code that drives a provider. It keeps webhooks
//! per scope, counts calls, and can be told to fail the next call.
use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};

use super::{ApiError, DesiredWebhook, RemoteSummary, RemoteWebhook, WebhookApi};

#[derive(Default)]
pub struct FakeApi {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    hooks: BTreeMap<(String, String), RemoteWebhook>,
    next_id: u64,
    calls: BTreeMap<&'static str, u32>,
    fail_next: Option<ApiError>,
    lose_create_answers: bool,
}

impl FakeApi {
    /// Number of calls of `op` ("list", "get", "create", "update", "delete") so far.
    pub fn calls(&self, op: &str) -> u32 {
        self.state.lock().unwrap_or_else(PoisonError::into_inner).calls.get(op).copied().unwrap_or(0)
    }

    /// Makes the next call fail with `err`.
    pub fn fail_next(&self, err: ApiError) {
        self.state.lock().unwrap_or_else(PoisonError::into_inner).fail_next = Some(err);
    }

    /// While on, creates are stored but answered with a transport error (a lost response).
    pub fn lose_create_answers(&self, on: bool) {
        self.state.lock().unwrap_or_else(PoisonError::into_inner).lose_create_answers = on;
    }

    /// The stored webhook, if any.
    pub fn stored(&self, scope: &str, id: &str) -> Option<RemoteWebhook> {
        self.state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .hooks
            .get(&(scope.to_string(), id.to_string()))
            .cloned()
    }

    /// Suspends a stored webhook, as a provider does after delivery failures.
    pub fn suspend(&self, scope: &str, id: &str, at: &str) {
        let mut s = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(h) = s.hooks.get_mut(&(scope.to_string(), id.to_string())) {
            (h.suspended, h.suspended_at) = (true, Some(at.to_string()));
        }
    }

    /// Number of stored webhooks in `scope`.
    pub fn count(&self, scope: &str) -> usize {
        self.state.lock().unwrap_or_else(PoisonError::into_inner).hooks.keys().filter(|(s, _)| s == scope).count()
    }

    fn enter(&self, op: &'static str) -> Result<std::sync::MutexGuard<'_, State>, ApiError> {
        let mut s = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        *s.calls.entry(op).or_default() += 1;
        match s.fail_next.take() {
            Some(e) => Err(e),
            None => Ok(s),
        }
    }
}

fn to_remote(id: String, d: &DesiredWebhook) -> RemoteWebhook {
    RemoteWebhook {
        id,
        name: d.name.clone(),
        url: d.url.clone(),
        event_types: d.event_types.clone(),
        active: d.active,
        validation_secret: d.validation_secret.clone(),
        headers: d.headers.clone(),
        failure_handling: d.failure_handling.clone(),
        ..Default::default()
    }
}

#[async_trait::async_trait]
impl WebhookApi for FakeApi {
    async fn list(&self, scope: &str) -> Result<Vec<RemoteSummary>, ApiError> {
        let s = self.enter("list")?;
        Ok(s.hooks
            .iter()
            .filter(|((sc, _), _)| sc == scope)
            .map(|(_, h)| RemoteSummary {
                id: h.id.clone(),
                name: h.name.clone(),
                url: h.url.clone(),
                event_types: h.event_types.clone(),
                active: h.active,
            })
            .collect())
    }

    async fn observe(&self, scope: &str, id: &str) -> Result<RemoteWebhook, ApiError> {
        let s = self.enter("get")?;
        s.hooks.get(&(scope.to_string(), id.to_string())).cloned().ok_or(ApiError::NotFound)
    }

    async fn create(&self, scope: &str, desired: &DesiredWebhook) -> Result<RemoteWebhook, ApiError> {
        let mut s = self.enter("create")?;
        s.next_id += 1;
        let id = format!("mxep_fake{}", s.next_id);
        let hook = to_remote(id.clone(), desired);
        s.hooks.insert((scope.to_string(), id), hook.clone());
        if s.lose_create_answers {
            return Err(ApiError::Transport("connection closed before the response".into()));
        }
        Ok(hook)
    }

    async fn update(
        &self,
        scope: &str,
        id: &str,
        desired: &DesiredWebhook,
        _observed: Option<&RemoteWebhook>,
    ) -> Result<(), ApiError> {
        let mut s = self.enter("update")?;
        let key = (scope.to_string(), id.to_string());
        let Some(old) = s.hooks.get(&key) else {
            return Err(ApiError::NotFound);
        };
        // As a real client does: an update unsuspends a webhook only when it should deliver.
        let mut hook = to_remote(id.to_string(), desired);
        if !desired.active {
            (hook.suspended, hook.suspended_at) = (old.suspended, old.suspended_at.clone());
        }
        s.hooks.insert(key, hook);
        Ok(())
    }

    async fn delete(&self, scope: &str, id: &str) -> Result<(), ApiError> {
        let mut s = self.enter("delete")?;
        s.hooks.remove(&(scope.to_string(), id.to_string())).map(|_| ()).ok_or(ApiError::NotFound)
    }
}
