//! The verifying reverse proxy behind `hookwright receive`: every POST must carry a valid
//! Standard Webhooks signature from an accepted secret, a timestamp within the tolerance and a
//! `webhook-id` not forwarded before; good ones are forwarded with all their headers and body to
//! the upstream and its answer is relayed, bad ones get 401, and a redelivery of an id already
//! forwarded is acknowledged (200) without forwarding it again. `GET /livez` and `GET /metrics`
//! are answered by the proxy itself.

pub mod fd_limit;
pub mod forward;
pub mod head;
pub mod listener;
pub mod metrics;
pub mod replay;
pub mod secrets;
pub mod tls;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};

use axum::Extension;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Request, State};
use axum::response::{IntoResponse, Response};
use futures::StreamExt as _;
use hookwright::signature::{self, WebhookHeaders};
use http::{HeaderValue, Method, StatusCode, header};

use self::listener::ServedTls;
use self::metrics::{Metrics, Outcome};
use self::replay::{ClaimError, ReplayCache};
use self::secrets::{Reload, SecretSet};
use self::tls::TlsFiles;

/// Settings of the proxy (the flags of `hookwright receive` minus listen and secret file).
#[derive(Debug, Clone)]
pub struct Config {
    /// Where verified deliveries go; the request path is appended to its path.
    pub upstream: url::Url,
    /// Timestamp tolerance, both directions; also how long a delivered id is remembered.
    pub tolerance: Duration,
    /// Larger bodies are refused with 413.
    pub max_body_bytes: usize,
    /// Deadline for reading a request body (408 when exceeded).
    pub body_read_timeout: Duration,
    /// Upper bound of one upstream exchange.
    pub upstream_timeout: Duration,
    /// Most `webhook-id`s remembered at once.
    pub replay_capacity: usize,
    /// How often the secret file (and the TLS files) are re-read.
    pub secret_poll: Duration,
    /// Connection limit and request-head deadline of the accept loop.
    pub limits: listener::Limits,
}

/// Shared state of the running proxy.
pub struct Proxy {
    config: Config,
    secrets: RwLock<SecretSet>,
    replay: Mutex<ReplayCache>,
    metrics: Metrics,
    client: reqwest::Client,
}

impl Proxy {
    /// Builds the proxy around an already loaded secret set.
    pub fn new(config: Config, secrets: SecretSet) -> Result<Arc<Proxy>, reqwest::Error> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(config.upstream_timeout)
            .build()?;
        let metrics = Metrics::default();
        metrics.set_secrets(secrets.accepted().len());
        Ok(Arc::new(Proxy {
            replay: Mutex::new(ReplayCache::new(config.replay_capacity)),
            secrets: RwLock::new(secrets),
            config,
            metrics,
            client,
        }))
    }

    /// Re-reads the secret file once (the poll task calls this).
    pub fn reload_secret(&self) {
        let mut set = self.secrets.write().unwrap_or_else(PoisonError::into_inner);
        match set.reload(Instant::now()) {
            Ok(Reload::Unchanged) | Ok(Reload::StillRefused) => {}
            Ok(Reload::Rotated) => {
                self.metrics.reload(true);
                tracing::info!(
                    grace_accepted = set.accepted().len(),
                    "secret file changed: new secret is current, previous one accepted during the grace period"
                );
            }
            Err(e) => {
                self.metrics.reload(false);
                tracing::error!(error = %e, "secret file not reloaded; still using the secret(s) loaded before");
            }
        }
        self.metrics.set_secrets(set.accepted().len());
    }
}

/// Serves on `listener` (TLS from `tls` when given) until `shutdown` completes, re-reading the
/// secret file and the TLS files meanwhile.
pub async fn serve(
    listener: tokio::net::TcpListener,
    proxy: Arc<Proxy>,
    tls: Option<Arc<TlsFiles>>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let poller = {
        let (proxy, tls) = (proxy.clone(), tls.clone());
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(proxy.config.secret_poll);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let (p, t) = (proxy.clone(), tls.clone());
                // File I/O off the async workers.
                let _ = tokio::task::spawn_blocking(move || {
                    p.reload_secret();
                    if let Some(t) = t {
                        reload_tls(&t);
                    }
                })
                .await;
            }
        })
    };
    let app = Router::new().fallback(handle).with_state(proxy.clone());
    listener::accept_loop(listener, tls, proxy.config.limits, app, proxy, shutdown).await;
    poller.abort();
}

fn reload_tls(tls: &TlsFiles) {
    match tls.reload() {
        Ok(false) => {}
        Ok(true) => tracing::info!("TLS files changed: the new certificate is served"),
        Err(e) => tracing::error!(error = %e, "TLS files not reloaded; still serving the certificate loaded before"),
    }
}

fn text(status: StatusCode, body: impl Into<String>) -> Response {
    let mut r = (status, body.into()).into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    r
}

async fn handle(
    State(proxy): State<Arc<Proxy>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Extension(ServedTls(tls)): Extension<ServedTls>,
    req: Request,
) -> Response {
    let (parts, body) = req.into_parts();
    match (&parts.method, parts.uri.path()) {
        (&Method::GET | &Method::HEAD, "/livez") => return text(StatusCode::OK, "ok\n"),
        (&Method::GET, "/metrics") => {
            let mut r = (StatusCode::OK, proxy.metrics.encode()).into_response();
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
            );
            return r;
        }
        _ => {}
    }
    if parts.method != Method::POST {
        proxy.metrics.request(Outcome::MethodNotAllowed);
        let mut r = text(StatusCode::METHOD_NOT_ALLOWED, "only POST deliveries are accepted\n");
        r.headers_mut().insert(header::ALLOW, HeaderValue::from_static("POST"));
        return r;
    }
    // The headers first: without valid webhook headers and a timestamp within the tolerance a
    // request is refused before any of its body is read or buffered.
    let now = signature::unix_now();
    let precheck = WebhookHeaders::from_header_map(&parts.headers)
        .and_then(|h| signature::check_timestamp(h.timestamp_secs()?, now, proxy.config.tolerance));
    if let Err(e) = precheck {
        let outcome = Outcome::from_error(&e);
        proxy.metrics.request(outcome);
        tracing::warn!(%peer, outcome = outcome.as_str(), reason = %e, "delivery rejected before its body was read");
        return text(StatusCode::UNAUTHORIZED, format!("webhook rejected: {e}\n"));
    }
    let read = tokio::time::timeout(proxy.config.body_read_timeout, read_body(body, proxy.config.max_body_bytes));
    let body = match read.await.unwrap_or(Err(Outcome::BodyTimeout)) {
        Ok(b) => b,
        Err(outcome) => {
            proxy.metrics.request(outcome);
            return match outcome {
                Outcome::TooLarge => text(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    format!("body larger than {} bytes\n", proxy.config.max_body_bytes),
                ),
                Outcome::BodyTimeout => text(StatusCode::REQUEST_TIMEOUT, "the request body did not arrive in time\n"),
                _ => text(StatusCode::BAD_REQUEST, "cannot read the request body\n"),
            };
        }
    };

    let verified = WebhookHeaders::from_header_map(&parts.headers).and_then(|h| {
        let secrets = proxy.secrets.read().unwrap_or_else(PoisonError::into_inner);
        signature::verify_headers(secrets.accepted(), &h, &body, now, proxy.config.tolerance).map(|v| (h.id, v))
    });
    let (id, verified) = match verified {
        Ok(v) => v,
        Err(e) => {
            let outcome = Outcome::from_error(&e);
            proxy.metrics.request(outcome);
            tracing::warn!(%peer, outcome = outcome.as_str(), reason = %e, "delivery rejected");
            return text(StatusCode::UNAUTHORIZED, format!("webhook rejected: {e}\n"));
        }
    };
    proxy.metrics.verified(verified.key_index);

    let tolerance = i64::try_from(proxy.config.tolerance.as_secs()).unwrap_or(i64::MAX);
    let expires = verified.timestamp.saturating_add(tolerance);
    let claim = {
        let mut replay = proxy.replay.lock().unwrap_or_else(PoisonError::into_inner);
        let r = replay.claim(id, expires, now);
        proxy.metrics.set_replay_entries(replay.len());
        r
    };
    match claim {
        Ok(()) => {}
        Err(ClaimError::Delivered) => {
            // The sender retries because our 2xx was lost: acknowledge, never forward twice.
            proxy.metrics.request(Outcome::Redelivered);
            tracing::info!(%peer, outcome = "redelivered", webhook_id = id, "redelivery acknowledged, not forwarded again");
            return text(StatusCode::OK, "this webhook-id was already delivered; not forwarded again\n");
        }
        Err(ClaimError::InFlight) => {
            proxy.metrics.request(Outcome::InFlight);
            tracing::info!(%peer, outcome = "in_flight", webhook_id = id, "delivery with this webhook-id in progress");
            let mut r = text(StatusCode::CONFLICT, "a delivery with this webhook-id is in progress; retry later\n");
            r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
            return r;
        }
        Err(ClaimError::Full) => {
            proxy.metrics.request(Outcome::ReplayCacheFull);
            tracing::error!(capacity = proxy.config.replay_capacity, "replay cache full; answering 503");
            let mut r = text(StatusCode::SERVICE_UNAVAILABLE, "replay cache full, retry later\n");
            r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
            return r;
        }
    }
    // Released on every path except a 2xx answer, including this future being dropped.
    let mut claim = Claim { proxy: &proxy, id, confirmed: false };

    let url = forward::upstream_url(&proxy.config.upstream, &parts.uri);
    let headers = forward::upstream_headers(&parts.headers, peer, tls);
    match forward::forward(&proxy.client, url, headers, body).await {
        Ok(response) => {
            let status = response.status();
            proxy.metrics.request(Outcome::Forwarded);
            proxy.metrics.upstream_status(status.as_u16());
            if status.is_success() {
                claim.confirm();
            }
            tracing::info!(%peer, webhook_id = id, upstream_status = status.as_u16(), "delivery forwarded");
            response
        }
        Err(e) => {
            proxy.metrics.request(Outcome::UpstreamError);
            tracing::warn!(webhook_id = id, error = e.message(), "delivery verified but not forwarded");
            text(e.status(), format!("{}\n", e.message()))
        }
    }
}

/// A claimed `webhook-id`; released on drop unless confirmed.
struct Claim<'a> {
    proxy: &'a Proxy,
    id: &'a str,
    confirmed: bool,
}

impl Claim<'_> {
    fn confirm(&mut self) {
        self.proxy.replay.lock().unwrap_or_else(PoisonError::into_inner).confirm(self.id);
        self.confirmed = true;
    }
}

impl Drop for Claim<'_> {
    fn drop(&mut self) {
        if !self.confirmed {
            let mut replay = self.proxy.replay.lock().unwrap_or_else(PoisonError::into_inner);
            replay.release(self.id);
            self.proxy.metrics.set_replay_entries(replay.len());
        }
    }
}

async fn read_body(body: Body, max: usize) -> Result<Bytes, Outcome> {
    let mut stream = body.into_data_stream();
    let mut buf = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| Outcome::BadRequest)?;
        if buf.len().saturating_add(chunk.len()) > max {
            return Err(Outcome::TooLarge);
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(Bytes::from(buf))
}
