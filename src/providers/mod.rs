//! Provider APIs behind one trait, so the reconcile story does not care which SaaS it talks to.
//! `mendix` is the real client; `fake` is an in-memory implementation for unit tests (compiled
//! only for them: no fake code in the operator's builds).
pub mod budget;
pub mod desired;
pub mod endpoint;
pub mod error;
#[cfg(test)]
pub mod fake;
pub mod mendix;
pub mod model;
pub mod retry;
pub mod socotra;
pub mod target;
pub mod test_delivery;
pub mod transport;

pub use endpoint::{ClientOptions, Endpoint, Flavor, ProviderEndpoint, TokenRef, Unsupported, connect};
pub use error::{ApiError, InvalidParam};
pub use model::{DesiredWebhook, Header, RemoteSummary, RemoteWebhook, header_value_problem};
pub use target::{NoTarget, Target};
pub use transport::{CallObserver, MAX_BODY, Timeouts, http_client};

/// One provider account's webhooks, in the shape of Crossplane's external client: observe,
/// create, update (given what was observed), delete, plus the list that recovery needs.
/// `scope` selects where the webhook lives ([`Target::scope`]).
#[async_trait::async_trait]
pub trait WebhookApi: Send + Sync {
    /// Every webhook of `scope`, following pagination to the end.
    async fn list(&self, scope: &str) -> Result<Vec<RemoteSummary>, ApiError>;
    /// The webhooks of `scope` named `name` (recovery of an interrupted create). A provider
    /// that filters by name on its side overrides this; the default lists everything.
    async fn list_named(&self, scope: &str, name: &str) -> Result<Vec<RemoteSummary>, ApiError> {
        Ok(self.list(scope).await?.into_iter().filter(|s| s.name == name).collect())
    }
    /// Requests a [`list`](Self::list) that returned `listed` webhooks made (for budgets).
    fn list_cost(&self, listed: usize) -> u32 {
        u32::try_from(1 + listed / 50).unwrap_or(u32::MAX)
    }
    /// The remote webhook as it is now (404 → [`ApiError::NotFound`]).
    async fn observe(&self, scope: &str, id: &str) -> Result<RemoteWebhook, ApiError>;
    /// Creates a webhook and returns it with its new id. Never retried by the client: a lost
    /// response is recovered by the caller (list and match), never by sending twice.
    async fn create(&self, scope: &str, desired: &DesiredWebhook) -> Result<RemoteWebhook, ApiError>;
    /// Makes the webhook equal to `desired`. `observed` is what [`observe`](Self::observe) just
    /// returned, when the caller read it: a provider that replaces the whole webhook ignores
    /// it, one that patches a difference computes it from there (and reads first without it).
    async fn update(
        &self,
        scope: &str,
        id: &str,
        desired: &DesiredWebhook,
        observed: Option<&RemoteWebhook>,
    ) -> Result<(), ApiError>;
    /// Deletes the webhook (404 → [`ApiError::NotFound`], which callers count as done).
    async fn delete(&self, scope: &str, id: &str) -> Result<(), ApiError>;
}
