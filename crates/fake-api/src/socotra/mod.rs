//! A fake of the Socotra Webhooks API (seed 004), for tests, demos and benchmarks.
//!
//! It serves `/event/{tenantLocator}/webhooks` (create), `…/webhooks/list` (offset/count paging
//! and filters, a plain JSON array), `…/webhooks/{webhookLocator}` (get, PATCH with the add/remove
//! semantics, delete) and `…/{webhookLocator}/unsuspend`, with bearer tokens, the read/list/write
//! permissions, tenant scoping, validation, per-token rate limiting and the same faults as the
//! Mendix fake. The admin API under `/_admin` shows request counters and every request's body,
//! edits and suspends webhooks, and sets faults, rate limit and tokens. Where the seed is silent,
//! the fake's assumptions are listed in `docs/fake-api.md` (section Socotra).
//!
//! ```no_run
//! # async fn demo() -> Result<(), hookwright_fake_api::socotra::FakeError> {
//! use hookwright_fake_api::socotra::{FakeConfig, FakeServer, Permission, TokenEntry};
//! let tenant = uuid::Uuid::new_v4();
//! let server = FakeServer::start(FakeConfig {
//!     tokens: vec![TokenEntry::new("token", &Permission::ALL, &[tenant])],
//!     ..FakeConfig::default()
//! })
//! .await?;
//! // A client's base URL; it calls {base}/event/{tenant}/webhooks...
//! println!("API at {}, admin at {}", server.base_url(), server.admin_url());
//! # Ok(()) }
//! ```
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use axum::Router;

mod admin;
mod api;
pub mod auth;
pub mod errors;
pub mod model;
pub mod routes;
mod state;
pub mod store;
pub mod validate;

pub use crate::common::counters::RequestCount;
pub use crate::common::errors::FakeError;
pub use crate::common::faults::Faults;
pub use crate::common::ratelimit::RateLimitSettings;
pub use crate::common::request_log::{LoggedRequest, RequestLogPage};
pub use auth::{Grant, Permission, TokenEntry, load_tokens, parse_tokens};
pub use errors::{ApiError, ErrorBody, ErrorDetail};
pub use model::{Endpoint, TenantWebhook, Webhook};

use crate::common::server::{self, Listen, Running};
use crate::common::statefile::StateFile;
use state::AppState;

/// Everything the fake needs to start.
#[derive(Clone, Debug)]
pub struct FakeConfig {
    /// Address of the public API (and of `/_admin`). Port 0 picks a free port.
    pub addr: SocketAddr,
    /// Optional second address serving only `/_admin`.
    pub admin_addr: Option<SocketAddr>,
    pub tokens: Vec<TokenEntry>,
    pub rate_limit: RateLimitSettings,
    pub faults: Faults,
    /// Webhooks are loaded from and saved to this JSON file when set.
    pub state_file: Option<PathBuf>,
}

impl Default for FakeConfig {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            admin_addr: None,
            tokens: Vec::new(),
            rate_limit: RateLimitSettings::default(),
            faults: Faults::default(),
            state_file: None,
        }
    }
}

/// A running fake. Dropping it (or [`FakeServer::shutdown`]) stops it.
pub struct FakeServer {
    running: Running,
}

impl FakeServer {
    /// Binds the listeners and starts serving in background tasks of the current runtime.
    pub async fn start(config: FakeConfig) -> Result<Self, FakeError> {
        let listen = Listen {
            addr: config.addr,
            admin_addr: config.admin_addr,
            rate_limit: config.rate_limit,
            faults: config.faults,
        };
        let running = server::start(listen, |runtime| {
            let tokens = auth::Tokens::from_token_entries(config.tokens)?;
            let store = match &config.state_file {
                Some(p) => state::load_state(p)?,
                None => store::Store::default(),
            };
            let state = Arc::new(AppState {
                store: Mutex::new(store),
                tokens: Mutex::new(tokens),
                runtime,
                state_file: StateFile::new(config.state_file),
            });
            // Paths outside /_admin that the API does not serve go through the gate (counted,
            // 401 without a token) to the API's 404.
            let api = api::router(state.clone()).nest("/_admin", admin::router(state.clone()));
            let admin =
                Router::new().nest("/_admin", admin::router(state)).fallback(|| async { ApiError::not_found() });
            Ok((api, admin))
        })
        .await?;
        Ok(Self { running })
    }

    server::server_accessors!();

    /// `http://<addr>`, the base URL a client configures (`spec.socotra.baseUrl`); the API is
    /// under `{base}/event/{tenantLocator}/webhooks`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr())
    }
}
