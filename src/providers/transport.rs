//! The HTTP exchange every provider client shares: the shared connection pool, the rate
//! budget checked before and learned from after each request, retries of idempotent calls,
//! a bounded response body, and errors that never carry the raw body. Each client brings its
//! base URL, its `Authorization` value and how it reads a 400's body.
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use super::budget::RateBudget;
use super::error::{ApiError, InvalidParam};
use super::retry::Backoff;

/// Observes every HTTP exchange (method, route template, status or 0 for no response).
pub type CallObserver = Arc<dyn Fn(&str, &str, u16) + Send + Sync>;

/// Timeouts of the shared HTTP client.
#[derive(Clone, Copy, Debug)]
pub struct Timeouts {
    pub connect: Duration,
    pub request: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts { connect: Duration::from_secs(5), request: Duration::from_secs(30) }
    }
}

/// One HTTP client (connection pool) for all provider calls.
pub fn http_client(t: Timeouts) -> Result<reqwest::Client, ApiError> {
    crate::tls::install_crypto_provider();
    reqwest::Client::builder()
        .connect_timeout(t.connect)
        .timeout(t.request)
        .user_agent(concat!("hookwright/", env!("CARGO_PKG_VERSION")))
        // Never follow a redirect: a 3xx is the answer. Following one would send the token
        // (provider calls) or Secret-sourced headers (test deliveries) to wherever it points.
        .redirect(reqwest::redirect::Policy::none())
        // Up to --concurrency connections are open while many Webhooks converge; once idle,
        // a few per host are enough (each holds about 80 KB of buffers).
        .pool_max_idle_per_host(4)
        .pool_idle_timeout(std::time::Duration::from_secs(30))
        .build()
        .map_err(|e| ApiError::Transport(e.to_string()))
}

/// Reads a 400's body into the fields at fault (provider-specific).
pub type InvalidParser = fn(&[u8]) -> Vec<InvalidParam>;

/// One provider endpoint: where, as whom, and with which budget.
#[derive(Clone)]
pub struct Transport {
    http: reqwest::Client,
    base: String,
    /// The whole `Authorization` header value (scheme and token).
    auth: SecretString,
    budget: Arc<RateBudget>,
    pub(crate) backoff: Backoff,
    pub(crate) observer: Option<CallObserver>,
    /// Items per page when listing; `None`: the client's default.
    pub(crate) page_size: Option<usize>,
    invalid: InvalidParser,
}

/// A client built on a [`Transport`]: retries and the call observer are set the same way for
/// every provider.
pub trait OverTransport: Sized {
    fn transport_mut(&mut self) -> &mut Transport;

    /// Retries of idempotent calls (the default: 4 attempts, 200 ms doubling to 5 s).
    fn with_backoff(mut self, backoff: Backoff) -> Self {
        self.transport_mut().backoff = backoff;
        self
    }

    /// Items per page when listing (for APIs, proxies or tests with a smaller page limit).
    fn with_page_size(mut self, n: usize) -> Self {
        self.transport_mut().page_size = Some(n.max(1));
        self
    }

    /// Told about every HTTP exchange (metrics).
    fn with_observer(mut self, observer: CallObserver) -> Self {
        self.transport_mut().observer = Some(observer);
        self
    }
}

/// A successful response's body; private, so raw bodies never reach messages.
pub type Body = bytes_body::Body;

impl Transport {
    pub fn new(
        http: reqwest::Client,
        base_url: &str,
        auth: SecretString,
        budget: Arc<RateBudget>,
        invalid: InvalidParser,
    ) -> Self {
        Transport {
            http,
            base: base_url.trim_end_matches('/').to_string(),
            auth,
            budget,
            backoff: Backoff::default(),
            observer: None,
            page_size: None,
            invalid,
        }
    }

    /// Sends one request, retrying transient failures when `idempotent`.
    pub async fn call<B: Serialize + ?Sized>(
        &self,
        method: Method,
        route: &'static str,
        path: &str,
        query: &[(&str, String)],
        body: Option<&B>,
        idempotent: bool,
    ) -> Result<(StatusCode, bytes_body::Body), ApiError> {
        let attempts = if idempotent { self.backoff.attempts.max(1) } else { 1 };
        let mut last = ApiError::Timeout;
        for attempt in 1..=attempts {
            if attempt > 1 {
                tokio::time::sleep(self.backoff.delay(attempt - 1)).await;
            }
            match self.send_once(method.clone(), route, path, query, body).await {
                Ok(ok) => return Ok(ok),
                Err(e) if e.is_transient() => last = e,
                Err(e) => return Err(e),
            }
        }
        Err(last)
    }

    async fn send_once<B: Serialize + ?Sized>(
        &self,
        method: Method,
        route: &'static str,
        path: &str,
        query: &[(&str, String)],
        body: Option<&B>,
    ) -> Result<(StatusCode, bytes_body::Body), ApiError> {
        if let Err(reset_at) = self.budget.try_acquire(SystemTime::now()) {
            return Err(ApiError::RateLimited { reset_at });
        }
        let mut req = self
            .http
            .request(method.clone(), format!("{}{}", self.base, path))
            .header("Authorization", self.auth.expose_secret())
            .header("Accept", "application/json");
        if !query.is_empty() {
            req = req.query(query);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        let resp = match req.send().await {
            Ok(r) => r,
            Err(e) => {
                self.observe(method.as_str(), route, 0);
                return Err(if e.is_timeout() { ApiError::Timeout } else { ApiError::Transport(transport_reason(&e)) });
            }
        };
        let status = resp.status();
        self.budget.observe(status.as_u16(), resp.headers(), SystemTime::now());
        self.observe(method.as_str(), route, status.as_u16());
        let bytes = read_limited(resp, MAX_BODY).await?;
        if status.is_success() {
            return Ok((status, bytes_body::Body(bytes)));
        }
        Err(error_from(status, &bytes, self.budget.as_ref(), self.invalid))
    }

    fn observe(&self, method: &str, route: &str, status: u16) {
        if let Some(o) = &self.observer {
            o(method, route, status);
        }
    }
}

/// The largest response body read from a provider: a page of webhooks is a few KiB, so this
/// only stops a broken or hostile endpoint from filling the operator's memory.
pub const MAX_BODY: usize = 4 << 20;

/// Reads the body up to `limit` bytes; more is an error, and the rest is never read.
async fn read_limited(mut resp: reqwest::Response, limit: usize) -> Result<Vec<u8>, ApiError> {
    let transport =
        |e: reqwest::Error| if e.is_timeout() { ApiError::Timeout } else { ApiError::Transport(transport_reason(&e)) };
    if resp.content_length().is_some_and(|n| n > limit as u64) {
        return Err(ApiError::TooLarge { limit });
    }
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(transport)? {
        if body.len() + chunk.len() > limit {
            return Err(ApiError::TooLarge { limit });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The response body, kept private so raw bodies never reach messages.
pub(crate) mod bytes_body {
    pub struct Body(pub Vec<u8>);
}

fn transport_reason(e: &reqwest::Error) -> String {
    // reqwest's Display includes the URL (no secrets: the token is a header), but keep it short.
    if e.is_connect() {
        "connection refused or unreachable".into()
    } else if e.is_request() {
        "the connection was closed before a response arrived".into()
    } else if e.is_body() || e.is_decode() {
        "the response body was cut off".into()
    } else {
        "HTTP transport error".into()
    }
}

pub(crate) fn error_from(status: StatusCode, body: &[u8], budget: &RateBudget, invalid: InvalidParser) -> ApiError {
    match status.as_u16() {
        400 => ApiError::Invalid(invalid(body)),
        401 => ApiError::Unauthenticated,
        403 => ApiError::Forbidden,
        404 => ApiError::NotFound,
        429 => {
            let reset_at = budget
                .try_acquire(SystemTime::now())
                .err()
                .unwrap_or_else(|| SystemTime::now() + Duration::from_secs(60));
            ApiError::RateLimited { reset_at }
        }
        s if s >= 500 => ApiError::Server { status: s },
        s => ApiError::Unexpected { status: s },
    }
}

pub fn decode<T: for<'de> Deserialize<'de>>(body: &bytes_body::Body) -> Result<T, ApiError> {
    serde_json::from_slice(&body.0).map_err(|_| ApiError::Decode)
}
