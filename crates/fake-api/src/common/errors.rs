//! Errors shared by the fakes: one field-level complaint, and why a fake could not start.

use serde::{Deserialize, Serialize};

/// One field that is wrong and why. Never carries the submitted value. Each fake puts these into
/// its own error body (Mendix: `invalid-params`, Socotra: `details`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvalidParam {
    pub name: String,
    pub reason: String,
}

impl InvalidParam {
    pub fn new(name: impl Into<String>, reason: impl Into<String>) -> Self {
        Self { name: name.into(), reason: reason.into() }
    }
}

/// Why a fake could not start or load its inputs.
#[derive(Debug, thiserror::Error)]
pub enum FakeError {
    #[error("cannot bind {what} address {addr}: {source}")]
    Bind { what: &'static str, addr: std::net::SocketAddr, source: std::io::Error },
    #[error("cannot read {path}: {source}")]
    Read { path: std::path::PathBuf, source: std::io::Error },
    #[error("tokens file is neither a JSON nor a YAML list of tokens: {0}")]
    TokensFormat(String),
    #[error("tokens file entry {index}: {reason}")]
    TokenEntry { index: usize, reason: String },
    #[error("state file {path} is not valid: {reason}")]
    StateFile { path: std::path::PathBuf, reason: String },
    #[error("invalid settings: {0}")]
    Settings(String),
    #[error("cannot build the delivery HTTP client: {0}")]
    HttpClient(String),
}
