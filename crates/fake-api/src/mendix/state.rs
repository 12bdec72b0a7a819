//! The shared state behind both routers, and the optional state file.
use std::sync::Mutex;

use axum::http::{HeaderMap, Method};
use axum::response::{IntoResponse, Response};

use super::auth::{self, Grant, Tokens};
use super::counters;
use super::delivery::{AttemptLog, DeliverySettings, SigningKeyFormat};
use super::errors::{ApiError, FakeError};
use super::lock;
use super::model::AppWebhook;
use super::store::Store;
use crate::common::gate::{Failure, Flavor};
use crate::common::runtime::Runtime;
use crate::common::statefile::{self, StateFile};

pub(crate) struct AppState {
    pub store: Mutex<Store>,
    pub tokens: Mutex<Tokens>,
    pub runtime: Runtime,
    pub deliveries: AttemptLog,
    pub delivery: DeliverySettings,
    pub key_format: SigningKeyFormat,
    pub client: reqwest::Client,
    pub state_file: StateFile,
}

impl AppState {
    /// Writes the webhooks to the state file, if there is one.
    pub async fn persist(&self) {
        self.state_file.save(|| lock(&self.store).snapshot::<AppWebhook>()).await;
    }
}

impl Flavor for AppState {
    type Grant = Grant;
    const KEEP_REQUEST_LOG: bool = false;

    fn runtime(&self) -> &Runtime {
        &self.runtime
    }

    fn tokens(&self) -> &Mutex<Tokens> {
        &self.tokens
    }

    fn presented_token(headers: &HeaderMap) -> Option<&str> {
        auth::presented_token(headers)
    }

    fn route_template(path: &str) -> &'static str {
        counters::route_template(path)
    }

    fn invalid_fault_applies(method: &Method, _route: &str) -> bool {
        matches!(*method, Method::POST | Method::PUT)
    }

    fn failure(failure: Failure) -> Response {
        ApiError::from(failure).into_response()
    }
}

/// Loads the store from `path`; a missing file is an empty store.
pub(crate) fn load_state(path: &std::path::Path) -> Result<Store, FakeError> {
    statefile::load(path, Store::from_snapshot::<AppWebhook>)
}
