//! The optional state file: a fake's webhooks as JSON, loaded at start and rewritten after every
//! change (to a temp file, then renamed, so a crash never leaves half a file).
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::errors::FakeError;

#[derive(Debug, Default)]
pub(crate) struct StateFile {
    path: Option<PathBuf>,
    /// Serialises writes so an older snapshot never overwrites a newer one.
    lock: tokio::sync::Mutex<()>,
}

impl StateFile {
    pub fn new(path: Option<PathBuf>) -> Self {
        Self { path, lock: tokio::sync::Mutex::new(()) }
    }

    /// Writes the snapshot `take` makes, if there is a file. `take` runs while writes are
    /// serialised, so the last change is the last written.
    pub async fn save<T: Serialize>(&self, take: impl FnOnce() -> T) {
        let Some(path) = &self.path else { return };
        let _guard = self.lock.lock().await;
        let text = match serde_json::to_vec_pretty(&take()) {
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
}

/// Reads a snapshot from `path` and rebuilds the state with `restore`; a missing file is the
/// default state.
pub(crate) fn load<T: DeserializeOwned, S: Default>(
    path: &Path,
    restore: impl FnOnce(T) -> Result<S, String>,
) -> Result<S, FakeError> {
    let text = match std::fs::read(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(S::default()),
        Err(source) => return Err(FakeError::Read { path: path.to_path_buf(), source }),
    };
    let invalid = |reason| FakeError::StateFile { path: path.to_path_buf(), reason };
    let snapshot = serde_json::from_slice(&text).map_err(|e| invalid(e.to_string()))?;
    restore(snapshot).map_err(invalid)
}
