//! A faithful fake of the Mendix Webhooks API, for tests, demos and benchmarks.
//!
//! It serves the published API under `/api/v1` (auth by `MxToken`, scopes, app access,
//! validation, pagination, per-token rate limiting) and an admin API under `/_admin` to inspect
//! and edit its state, inject faults and emit signed event deliveries. See `docs/fake-api.md`.
//!
//! ```no_run
//! # async fn demo() -> Result<(), hookwright_fake_api::mendix::FakeError> {
//! use hookwright_fake_api::mendix::{FakeConfig, FakeServer, TokenEntry};
//! let app = uuid::Uuid::new_v4();
//! let server = FakeServer::start(FakeConfig {
//!     tokens: vec![TokenEntry::new("pat", &["mx:webhook:read", "mx:webhook:write"], &[app])],
//!     ..FakeConfig::default()
//! })
//! .await?;
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
pub mod counters;
pub mod delivery;
pub mod errors;
pub mod model;
pub mod pagination;
mod state;
pub mod store;
pub mod validate;

pub use crate::common::{faults, ratelimit};

pub use auth::{TokenEntry, load_tokens, parse_tokens};
pub use delivery::{DeliverySettings, SigningKeyFormat};
pub use errors::{ApiError, ErrorBody, FakeError, InvalidParam};
pub use faults::Faults;
pub use ratelimit::RateLimitSettings;

use crate::common::server::{self, Listen, Running};
use crate::common::statefile::StateFile;
pub(crate) use crate::common::{lock, uuid_serde};
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
    pub signing_key_format: SigningKeyFormat,
    pub delivery: DeliverySettings,
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
            signing_key_format: SigningKeyFormat::default(),
            delivery: DeliverySettings::default(),
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
            let tokens = auth::Tokens::from_entries(config.tokens)?;
            let store = match &config.state_file {
                Some(p) => state::load_state(p)?,
                None => store::Store::default(),
            };
            let _ = rustls::crypto::ring::default_provider().install_default();
            let client = reqwest::Client::builder()
                .no_proxy()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .map_err(|e| FakeError::HttpClient(e.to_string()))?;
            let state = Arc::new(AppState {
                store: Mutex::new(store),
                tokens: Mutex::new(tokens),
                runtime,
                deliveries: Arc::default(),
                delivery: config.delivery,
                key_format: config.signing_key_format,
                client,
                state_file: StateFile::new(config.state_file),
            });
            let api = Router::new()
                .nest("/api/v1", api::router(state.clone()))
                .nest("/_admin", admin::router(state.clone()))
                .fallback(|| async { ApiError::not_found() });
            let admin =
                Router::new().nest("/_admin", admin::router(state)).fallback(|| async { ApiError::not_found() });
            Ok((api, admin))
        })
        .await?;
        Ok(Self { running })
    }

    server::server_accessors!();

    /// `http://<addr>/api/v1`, the base URL a client configures (like the real one's `/api/v1`).
    pub fn base_url(&self) -> String {
        format!("http://{}/api/v1", self.addr())
    }
}
