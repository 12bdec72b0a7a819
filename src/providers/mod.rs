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
pub mod target;
pub mod test_delivery;

pub use endpoint::{Endpoint, Flavor, ProviderEndpoint, TokenRef, Unsupported, connect};
pub use error::{ApiError, InvalidParam};
pub use mendix::{CallObserver, Timeouts};
pub use model::{DesiredWebhook, Header, RemoteSummary, RemoteWebhook, header_value_problem};
pub use target::{NoTarget, Target};

/// Create, read, update, delete and list webhooks in one provider account.
/// `scope` selects where the webhook lives (the Mendix app id).
#[async_trait::async_trait]
pub trait WebhookApi: Send + Sync {
    /// Every webhook of `scope`, following pagination to the end.
    async fn list(&self, scope: &str) -> Result<Vec<RemoteSummary>, ApiError>;
    async fn get(&self, scope: &str, id: &str) -> Result<RemoteWebhook, ApiError>;
    /// Creates a webhook and returns it with its new id. Never retried by the client: a lost
    /// response is recovered by the caller (list and match), never by sending twice.
    async fn create(&self, scope: &str, desired: &DesiredWebhook) -> Result<RemoteWebhook, ApiError>;
    /// Replaces the webhook with `desired` (one call).
    async fn update(&self, scope: &str, id: &str, desired: &DesiredWebhook) -> Result<RemoteWebhook, ApiError>;
    async fn delete(&self, scope: &str, id: &str) -> Result<(), ApiError>;
    /// Requests left in the current server window, when known.
    fn remaining_budget(&self) -> Option<u64>;
}
