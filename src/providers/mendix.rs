//! The Mendix Webhooks API client (`/apps/{app-id}/webhooks`), per the API description in
//! `openapi/mendix-webhooks.yaml` (and docs/fake-api.md): `Authorization: MxToken <pat>`, POST 200,
//! GET 200, PUT 202 (full replace), DELETE 204, cursor pagination, documented error body.
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use super::WebhookApi;
use super::budget::RateBudget;
use super::error::{ApiError, InvalidParam, trim_remote};
use super::model::{DesiredWebhook, Header, RemoteSummary, RemoteWebhook};
use super::retry::Backoff;

/// Page size used when listing; the API bounds pages by `limit`.
const PAGE_SIZE: u32 = 50;
/// Upper bound on pages followed in one listing (50 × 200 = 10 000 webhooks per app).
const MAX_PAGES: usize = 200;

/// Observes every HTTP exchange (method, route template, status or 0 for no response).
pub type CallObserver = Arc<dyn Fn(&str, &str, u16) + Send + Sync>;

#[derive(Clone)]
pub struct MendixClient {
    http: reqwest::Client,
    base: String,
    token: SecretString,
    budget: Arc<RateBudget>,
    backoff: Backoff,
    observer: Option<CallObserver>,
}

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
        .build()
        .map_err(|e| ApiError::Transport(e.to_string()))
}

impl MendixClient {
    pub fn new(http: reqwest::Client, base_url: &str, token: SecretString, budget: Arc<RateBudget>) -> Self {
        MendixClient {
            http,
            base: base_url.trim_end_matches('/').to_string(),
            token,
            budget,
            backoff: Backoff::default(),
            observer: None,
        }
    }

    pub fn with_backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }

    pub fn with_observer(mut self, observer: CallObserver) -> Self {
        self.observer = Some(observer);
        self
    }

    /// Sends one request, retrying transient failures when `idempotent`.
    async fn call<B: Serialize + ?Sized>(
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
            .header("Authorization", format!("MxToken {}", self.token.expose_secret()))
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
        Err(error_from(status, &bytes, self.budget.as_ref()))
    }

    fn observe(&self, method: &str, route: &str, status: u16) {
        if let Some(o) = &self.observer {
            o(method, route, status);
        }
    }
}

/// Why Mendix would reject `secret` as a validation secret (its pattern
/// `^(whsec_)?[a-zA-Z0-9+/=]{32,100}$`), checked before anything is sent.
pub fn validation_secret_problem(secret: &str) -> Option<&'static str> {
    let body = secret.strip_prefix("whsec_").unwrap_or(secret);
    if !body.bytes().all(|b| b.is_ascii_alphanumeric() || b"+/=".contains(&b)) {
        Some("Mendix accepts only letters, digits, +, / and = (after an optional whsec_ prefix)")
    } else if !(32..=100).contains(&body.len()) {
        Some("Mendix needs 32 to 100 characters (after an optional whsec_ prefix)")
    } else {
        None
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
mod bytes_body {
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

fn error_from(status: StatusCode, body: &[u8], budget: &RateBudget) -> ApiError {
    match status.as_u16() {
        400 => ApiError::Invalid(invalid_params(body)),
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

#[derive(Deserialize)]
struct ErrorEnvelope {
    error: ErrorBody,
}

#[derive(Deserialize)]
struct ErrorBody {
    #[serde(rename = "invalid-params", default)]
    invalid_params: Vec<ParamBody>,
}

#[derive(Deserialize)]
struct ParamBody {
    #[serde(default)]
    name: String,
    #[serde(default)]
    reason: String,
}

/// The `invalid-params` of a 400, each trimmed, at most [`MAX_PARAMS`] of them (then one entry
/// saying how many more), so no answer can make a condition message unbounded.
fn invalid_params(body: &[u8]) -> Vec<InvalidParam> {
    let all = serde_json::from_slice::<ErrorEnvelope>(body).map(|e| e.error.invalid_params).unwrap_or_default();
    let more = all.len().saturating_sub(MAX_PARAMS);
    let mut params: Vec<InvalidParam> = all
        .into_iter()
        .take(MAX_PARAMS)
        .map(|p| InvalidParam { name: trim_remote(&p.name), reason: trim_remote(&p.reason) })
        .collect();
    if more > 0 {
        params.push(InvalidParam { name: "...".into(), reason: format!("{more} more not shown") });
    }
    params
}

/// How many `invalid-params` entries a message shows.
const MAX_PARAMS: usize = 8;

#[derive(Serialize, Deserialize)]
struct WireHeader {
    key: String,
    value: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Upsert<'a> {
    name: &'a str,
    url: &'a str,
    event_types: &'a [String],
    is_active: bool,
    validation_secret: &'a str,
    headers: Vec<WireHeader>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Detailed {
    id: String,
    name: String,
    url: String,
    #[serde(default)]
    event_types: Vec<String>,
    is_active: bool,
    validation_secret: String,
    #[serde(default)]
    headers: Option<Vec<WireHeader>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Summary {
    id: String,
    name: String,
    url: String,
    #[serde(default)]
    event_types: Vec<String>,
    is_active: bool,
}

#[derive(Deserialize)]
struct ListPage {
    #[serde(default)]
    webhooks: Vec<Summary>,
    #[serde(default)]
    cursors: Option<Cursors>,
}

#[derive(Deserialize)]
struct Cursors {
    next: Option<String>,
}

fn upsert(d: &DesiredWebhook) -> Upsert<'_> {
    Upsert {
        name: &d.name,
        url: &d.url,
        event_types: &d.event_types,
        is_active: d.active,
        validation_secret: d.validation_secret.expose_secret(),
        headers: d
            .headers
            .iter()
            .map(|h| WireHeader { key: h.name.clone(), value: h.value.expose_secret().to_string() })
            .collect(),
    }
}

fn decode<T: for<'de> Deserialize<'de>>(body: &bytes_body::Body) -> Result<T, ApiError> {
    serde_json::from_slice(&body.0).map_err(|_| ApiError::Decode)
}

impl From<Detailed> for RemoteWebhook {
    fn from(d: Detailed) -> Self {
        RemoteWebhook {
            id: d.id,
            name: d.name,
            url: d.url,
            event_types: d.event_types,
            active: d.is_active,
            validation_secret: SecretString::from(d.validation_secret),
            headers: d
                .headers
                .unwrap_or_default()
                .into_iter()
                .map(|h| Header { name: h.key, value: SecretString::from(h.value) })
                .collect(),
        }
    }
}

const ROUTE_LIST: &str = "/apps/{app}/webhooks";
const ROUTE_ONE: &str = "/apps/{app}/webhooks/{id}";

fn seg(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[async_trait::async_trait]
impl WebhookApi for MendixClient {
    async fn list(&self, app: &str) -> Result<Vec<RemoteSummary>, ApiError> {
        let mut out = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let mut query = vec![("limit", PAGE_SIZE.to_string()), ("ascOrder", "true".to_string())];
            if let Some(c) = &cursor {
                query.push(("cursor", c.clone()));
            }
            let path = format!("/apps/{}/webhooks", seg(app));
            let (_, body) = self.call::<()>(Method::GET, ROUTE_LIST, &path, &query, None, true).await?;
            let page: ListPage = decode(&body)?;
            out.extend(page.webhooks.into_iter().map(|s| RemoteSummary {
                id: s.id,
                name: s.name,
                url: s.url,
                event_types: s.event_types,
                active: s.is_active,
            }));
            match page.cursors.and_then(|c| c.next).filter(|n| !n.is_empty()) {
                Some(next) if Some(&next) != cursor.as_ref() => cursor = Some(next),
                _ => return Ok(out),
            }
        }
        Ok(out)
    }

    async fn observe(&self, app: &str, id: &str) -> Result<RemoteWebhook, ApiError> {
        let path = format!("/apps/{}/webhooks/{}", seg(app), seg(id));
        let (_, body) = self.call::<()>(Method::GET, ROUTE_ONE, &path, &[], None, true).await?;
        Ok(decode::<Detailed>(&body)?.into())
    }

    async fn create(&self, app: &str, desired: &DesiredWebhook) -> Result<RemoteWebhook, ApiError> {
        let path = format!("/apps/{}/webhooks", seg(app));
        let (_, body) = self.call(Method::POST, ROUTE_LIST, &path, &[], Some(&upsert(desired)), false).await?;
        Ok(decode::<Detailed>(&body)?.into())
    }

    /// Mendix replaces the whole webhook with one PUT; what was observed does not matter.
    async fn update(
        &self,
        app: &str,
        id: &str,
        desired: &DesiredWebhook,
        _observed: Option<&RemoteWebhook>,
    ) -> Result<(), ApiError> {
        let path = format!("/apps/{}/webhooks/{}", seg(app), seg(id));
        self.call(Method::PUT, ROUTE_ONE, &path, &[], Some(&upsert(desired)), true).await.map(|_| ())
    }

    async fn delete(&self, app: &str, id: &str) -> Result<(), ApiError> {
        let path = format!("/apps/{}/webhooks/{}", seg(app), seg(id));
        self.call::<()>(Method::DELETE, ROUTE_ONE, &path, &[], None, true).await.map(|_| ())
    }
}

#[cfg(test)]
mod fuzz;

#[cfg(test)]
mod tests {
    #[test]
    fn validation_secrets_are_checked_like_mendix_does() {
        let re = regex::Regex::new("^(whsec_)?[a-zA-Z0-9+/=]{32,100}$").unwrap();
        let cases = [
            "too-short".to_string(),
            "a".repeat(32),
            format!("whsec_{}", "A".repeat(100)),
            "a".repeat(101),
            format!("{} ", "a".repeat(40)),
        ];
        for s in &cases {
            assert_eq!(super::validation_secret_problem(s).is_none(), re.is_match(s), "{s:?}");
        }
    }
}
