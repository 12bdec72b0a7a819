//! The shared state behind both routers, and the optional state file.
use std::path::PathBuf;
use std::sync::Mutex;

use tokio::sync::watch;

use super::auth::Tokens;
use super::counters::Counters;
use super::delivery::{AttemptLog, DeliverySettings, SigningKeyFormat};
use super::errors::FakeError;
use super::faults::Faults;
use super::lock;
use super::ratelimit::{RateLimitSettings, RateLimiter};
use super::store::{Snapshot, Store};

pub(crate) struct AppState {
    pub store: Mutex<Store>,
    pub tokens: Mutex<Tokens>,
    pub limiter: Mutex<RateLimiter>,
    pub faults: Mutex<Faults>,
    pub counters: Mutex<Counters>,
    pub deliveries: AttemptLog,
    /// What `POST /_admin/reset` goes back to.
    pub initial_faults: Faults,
    pub initial_rate_limit: RateLimitSettings,
    pub delivery: DeliverySettings,
    pub key_format: SigningKeyFormat,
    pub client: reqwest::Client,
    pub state_file: Option<PathBuf>,
    /// Serialises state-file writes so an older snapshot never overwrites a newer one.
    pub persist_lock: tokio::sync::Mutex<()>,
    pub shutdown: watch::Receiver<bool>,
}

impl AppState {
    pub fn faults(&self) -> Faults {
        *lock(&self.faults)
    }

    /// Writes the webhooks to the state file, if there is one (write to a temp file, then rename).
    pub async fn persist(&self) {
        let Some(path) = &self.state_file else { return };
        let _guard = self.persist_lock.lock().await;
        let snapshot = lock(&self.store).snapshot();
        let text = match serde_json::to_vec_pretty(&snapshot) {
            Ok(t) => t,
            Err(e) => {
                tracing::warn!(error = %e, "cannot serialise state");
                return;
            }
        };
        let tmp = path.with_extension("tmp");
        let result = async {
            tokio::fs::write(&tmp, &text).await?;
            tokio::fs::rename(&tmp, path).await
        }
        .await;
        if let Err(e) = result {
            tracing::warn!(path = %path.display(), error = %e, "cannot write state file");
        }
    }

    /// Waits until the server shuts down.
    pub async fn shutting_down(&self) {
        let mut rx = self.shutdown.clone();
        let _ = rx.wait_for(|s| *s).await;
    }
}

/// Loads the store from `path`; a missing file is an empty store.
pub(crate) fn load_state(path: &std::path::Path) -> Result<Store, FakeError> {
    let text = match std::fs::read(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Store::default()),
        Err(source) => return Err(FakeError::Read { path: path.to_path_buf(), source }),
    };
    let snapshot: Snapshot = serde_json::from_slice(&text)
        .map_err(|e| FakeError::StateFile { path: path.to_path_buf(), reason: e.to_string() })?;
    Store::from_snapshot(snapshot).map_err(|reason| FakeError::StateFile { path: path.to_path_buf(), reason })
}
