//! The shared state behind both routers, and the optional state file.
use std::sync::Mutex;

use axum::http::{HeaderMap, Method};
use axum::response::{IntoResponse, Response};

use super::auth::{self, Grant, Tokens};
use super::errors::ApiError;
use super::model::TenantWebhook;
use super::routes::{self, ROUTE_CREATE, ROUTE_ITEM};
use super::store::Store;
use crate::common::errors::FakeError;
use crate::common::gate::{Failure, Flavor};
use crate::common::lock;
use crate::common::runtime::Runtime;
use crate::common::statefile::{self, StateFile};

pub(crate) struct AppState {
    pub store: Mutex<Store>,
    pub tokens: Mutex<Tokens>,
    pub runtime: Runtime,
    pub state_file: StateFile,
}

impl AppState {
    /// Writes the webhooks to the state file, if there is one.
    pub async fn persist(&self) {
        self.state_file.save(|| lock(&self.store).snapshot::<TenantWebhook>()).await;
    }
}

impl Flavor for AppState {
    type Grant = Grant;
    const KEEP_REQUEST_LOG: bool = true;

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
        routes::route_template(path)
    }

    /// Create and update: the writes with a body.
    fn invalid_fault_applies(method: &Method, route: &str) -> bool {
        (*method == Method::POST && route == ROUTE_CREATE) || (*method == Method::PATCH && route == ROUTE_ITEM)
    }

    fn failure(failure: Failure) -> Response {
        ApiError::from(failure).into_response()
    }
}

/// Loads the store from `path`; a missing file is an empty store.
pub(crate) fn load_state(path: &std::path::Path) -> Result<Store, FakeError> {
    statefile::load(path, Store::from_snapshot::<TenantWebhook>)
}
