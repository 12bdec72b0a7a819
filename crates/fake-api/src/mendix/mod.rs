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
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

mod admin;
mod api;
pub mod auth;
mod conn;
pub mod counters;
pub mod delivery;
pub mod errors;
pub mod faults;
pub mod model;
pub mod pagination;
pub mod ratelimit;
mod state;
pub mod store;
mod uuid_serde;
pub mod validate;

pub use auth::{TokenEntry, load_tokens, parse_tokens};
pub use delivery::{DeliverySettings, SigningKeyFormat};
pub use errors::{ApiError, ErrorBody, FakeError, InvalidParam};
pub use faults::Faults;
pub use ratelimit::RateLimitSettings;

use state::AppState;

/// Locks a mutex, recovering the data if a panicking thread poisoned it.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

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
    addr: SocketAddr,
    admin_addr: Option<SocketAddr>,
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl FakeServer {
    /// Binds the listeners and starts serving in background tasks of the current runtime.
    pub async fn start(config: FakeConfig) -> Result<Self, FakeError> {
        config.rate_limit.check().map_err(FakeError::Settings)?;
        config.faults.check().map_err(|e| {
            FakeError::Settings(e.into_iter().map(|(n, r)| format!("{n} {r}")).collect::<Vec<_>>().join("; "))
        })?;
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
        let (tx, rx) = watch::channel(false);
        let state = Arc::new(AppState {
            store: Mutex::new(store),
            tokens: Mutex::new(tokens),
            limiter: Mutex::new(ratelimit::RateLimiter::new(config.rate_limit)),
            faults: Mutex::new(config.faults),
            counters: Mutex::new(counters::Counters::default()),
            deliveries: Arc::default(),
            initial_faults: config.faults,
            initial_rate_limit: config.rate_limit,
            delivery: config.delivery,
            key_format: config.signing_key_format,
            client,
            state_file: config.state_file,
            persist_lock: tokio::sync::Mutex::new(()),
            shutdown: rx.clone(),
        });

        let listener = TcpListener::bind(config.addr).await.map_err(|source| FakeError::Bind {
            what: "API",
            addr: config.addr,
            source,
        })?;
        let addr =
            listener.local_addr().map_err(|source| FakeError::Bind { what: "API", addr: config.addr, source })?;
        let admin_listener = match config.admin_addr {
            Some(a) => {
                Some(TcpListener::bind(a).await.map_err(|source| FakeError::Bind { what: "admin", addr: a, source })?)
            }
            None => None,
        };
        let admin_addr = match &admin_listener {
            Some(l) => Some(l.local_addr().map_err(|source| FakeError::Bind {
                what: "admin",
                addr: config.admin_addr.unwrap_or(addr),
                source,
            })?),
            None => None,
        };

        let main_router = Router::new()
            .nest("/api/v1", api::router(state.clone()))
            .nest("/_admin", admin::router(state.clone()))
            .fallback(|| async { ApiError::not_found() });
        let mut tasks = Vec::new();
        let signal = shutdown_signal(rx.clone());
        tasks.push(tokio::spawn(async move {
            let service = main_router.into_make_service_with_connect_info::<conn::ConnHandle>();
            if let Err(e) =
                axum::serve(conn::CuttableListener::new(listener), service).with_graceful_shutdown(signal).await
            {
                tracing::error!(error = %e, "API server stopped");
            }
        }));
        if let Some(listener) = admin_listener {
            let admin_router =
                Router::new().nest("/_admin", admin::router(state)).fallback(|| async { ApiError::not_found() });
            let signal = shutdown_signal(rx);
            tasks.push(tokio::spawn(async move {
                if let Err(e) = axum::serve(listener, admin_router).with_graceful_shutdown(signal).await {
                    tracing::error!(error = %e, "admin server stopped");
                }
            }));
        }
        Ok(Self { addr, admin_addr, shutdown: tx, tasks })
    }

    /// Address of the public API (which also serves `/_admin`).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Address serving `/_admin`: the separate admin address if configured, else [`Self::addr`].
    pub fn admin_addr(&self) -> SocketAddr {
        self.admin_addr.unwrap_or(self.addr)
    }

    /// `http://<addr>/api/v1`, the base URL a client configures (like the real one's `/api/v1`).
    pub fn base_url(&self) -> String {
        format!("http://{}/api/v1", self.addr)
    }

    /// `http://<admin addr>/_admin`.
    pub fn admin_url(&self) -> String {
        format!("http://{}/_admin", self.admin_addr())
    }

    /// Stops accepting, ends held (hanging) requests and pending deliveries, and waits for the
    /// servers to finish.
    pub async fn shutdown(mut self) {
        let _ = self.shutdown.send(true);
        for mut t in self.tasks.drain(..) {
            // Connections still mid-request get a few seconds, then they are cut.
            if tokio::time::timeout(std::time::Duration::from_secs(5), &mut t).await.is_err() {
                t.abort();
            }
        }
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}

async fn shutdown_signal(mut rx: watch::Receiver<bool>) {
    let _ = rx.wait_for(|s| *s).await;
}
