//! Listening and serving: the API address (which also serves `/_admin`), an optional second
//! address serving only `/_admin`, and a clean shutdown.
use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::conn::{ConnHandle, CuttableListener};
use super::errors::FakeError;
use super::faults::Faults;
use super::ratelimit::RateLimitSettings;
use super::runtime::Runtime;

/// What every fake's config has.
pub(crate) struct Listen {
    pub addr: SocketAddr,
    pub admin_addr: Option<SocketAddr>,
    pub rate_limit: RateLimitSettings,
    pub faults: Faults,
}

/// Checks the settings, makes the runtime, lets `build` make the fake's state and its two
/// routers (the API with `/_admin`, and `/_admin` alone), then serves them.
pub(crate) async fn start(
    listen: Listen,
    build: impl FnOnce(Runtime) -> Result<(Router, Router), FakeError>,
) -> Result<Running, FakeError> {
    listen.rate_limit.check().map_err(FakeError::Settings)?;
    listen.faults.check().map_err(|e| {
        FakeError::Settings(e.into_iter().map(|(n, r)| format!("{n} {r}")).collect::<Vec<_>>().join("; "))
    })?;
    let (tx, rx) = watch::channel(false);
    let (api, admin) = build(Runtime::new(listen.faults, listen.rate_limit, rx))?;
    Running::start(listen.addr, listen.admin_addr, api, admin, tx).await
}

/// The accessors of a fake's `FakeServer { running: Running }` besides `start` and `base_url`.
macro_rules! server_accessors {
    () => {
        /// Address of the public API (which also serves `/_admin`).
        pub fn addr(&self) -> std::net::SocketAddr {
            self.running.addr()
        }

        /// Address serving `/_admin`: the separate admin address if configured, else
        /// [`Self::addr`].
        pub fn admin_addr(&self) -> std::net::SocketAddr {
            self.running.admin_addr()
        }

        /// `http://<admin addr>/_admin`.
        pub fn admin_url(&self) -> String {
            self.running.admin_url()
        }

        /// Stops accepting, ends held (hanging) requests and pending work (such as
        /// deliveries), and waits for the servers to finish.
        pub async fn shutdown(self) {
            self.running.shutdown().await;
        }
    };
}
pub(crate) use server_accessors;

/// A running fake's servers. Dropping it (or [`Running::shutdown`]) stops them.
pub(crate) struct Running {
    addr: SocketAddr,
    admin_addr: Option<SocketAddr>,
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

async fn bind(what: &'static str, addr: SocketAddr) -> Result<(TcpListener, SocketAddr), FakeError> {
    let listener = TcpListener::bind(addr).await.map_err(|source| FakeError::Bind { what, addr, source })?;
    let local = listener.local_addr().map_err(|source| FakeError::Bind { what, addr, source })?;
    Ok((listener, local))
}

async fn signal(mut rx: watch::Receiver<bool>) {
    let _ = rx.wait_for(|s| *s).await;
}

impl Running {
    /// Binds `addr` (serving `api`, whose connections handlers may cut) and, when given,
    /// `admin_addr` (serving `admin` only), and serves both until `shutdown` says true.
    pub async fn start(
        addr: SocketAddr,
        admin_addr: Option<SocketAddr>,
        api: Router,
        admin: Router,
        shutdown: watch::Sender<bool>,
    ) -> Result<Self, FakeError> {
        let (listener, local) = bind("API", addr).await?;
        let admin_bound = match admin_addr {
            Some(a) => Some(bind("admin", a).await?),
            None => None,
        };
        let mut tasks = Vec::new();
        let stop = signal(shutdown.subscribe());
        tasks.push(tokio::spawn(async move {
            let service = api.into_make_service_with_connect_info::<ConnHandle>();
            if let Err(e) = axum::serve(CuttableListener::new(listener), service).with_graceful_shutdown(stop).await {
                tracing::error!(error = %e, "API server stopped");
            }
        }));
        let admin_local = admin_bound.as_ref().map(|(_, a)| *a);
        if let Some((listener, _)) = admin_bound {
            let stop = signal(shutdown.subscribe());
            tasks.push(tokio::spawn(async move {
                if let Err(e) = axum::serve(listener, admin).with_graceful_shutdown(stop).await {
                    tracing::error!(error = %e, "admin server stopped");
                }
            }));
        }
        Ok(Self { addr: local, admin_addr: admin_local, shutdown, tasks })
    }

    /// Address of the public API (which also serves `/_admin`).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Address serving `/_admin`: the separate admin address if configured, else [`Self::addr`].
    pub fn admin_addr(&self) -> SocketAddr {
        self.admin_addr.unwrap_or(self.addr)
    }

    /// `http://<admin addr>/_admin`.
    pub fn admin_url(&self) -> String {
        format!("http://{}/_admin", self.admin_addr())
    }

    /// Stops accepting, ends held (hanging) requests and pending work, and waits for the
    /// servers to finish.
    pub async fn shutdown(mut self) {
        let _ = self.shutdown.send(true);
        for mut t in self.tasks.drain(..) {
            // Connections still mid-request get a few seconds, then they are cut.
            if tokio::time::timeout(Duration::from_secs(5), &mut t).await.is_err() {
                t.abort();
            }
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}
