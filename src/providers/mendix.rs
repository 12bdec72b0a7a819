//! The Mendix Webhooks API client (`/apps/{app-id}/webhooks`), per the API description in
//! `openapi/mendix-webhooks.yaml` (and docs/fake-api.md): `Authorization: MxToken <pat>`, POST 200,
//! GET 200, PUT 202 (full replace), DELETE 204, cursor pagination, documented error body.
use std::sync::Arc;

use reqwest::Method;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use super::WebhookApi;
use super::budget::RateBudget;
use super::error::{ApiError, InvalidParam, trim_remote};
use super::model::{DesiredWebhook, Header, RemoteSummary, RemoteWebhook};
#[cfg(test)]
use super::transport::bytes_body;
use super::transport::{OverTransport, Transport, decode};

/// Page size used when listing; the API bounds pages by `limit`.
const PAGE_SIZE: u32 = 50;
/// Upper bound on pages followed in one listing (50 × 200 = 10 000 webhooks per app).
const MAX_PAGES: usize = 200;

#[derive(Clone)]
pub struct MendixClient {
    transport: Transport,
}

impl MendixClient {
    pub fn new(http: reqwest::Client, base_url: &str, token: SecretString, budget: Arc<RateBudget>) -> Self {
        let auth = SecretString::from(format!("MxToken {}", token.expose_secret()));
        MendixClient { transport: Transport::new(http, base_url, auth, budget, invalid_params) }
    }
}

impl OverTransport for MendixClient {
    fn transport_mut(&mut self) -> &mut Transport {
        &mut self.transport
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
pub(crate) fn invalid_params(body: &[u8]) -> Vec<InvalidParam> {
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
        validation_secret: d.validation_secret.as_ref().map(|s| s.expose_secret()).unwrap_or_default(),
        headers: d
            .headers
            .iter()
            .map(|h| WireHeader { key: h.name.clone(), value: h.value.expose_secret().to_string() })
            .collect(),
    }
}

impl From<Detailed> for RemoteWebhook {
    fn from(d: Detailed) -> Self {
        RemoteWebhook {
            id: d.id,
            name: d.name,
            url: d.url,
            event_types: d.event_types,
            active: d.is_active,
            validation_secret: Some(SecretString::from(d.validation_secret)),
            headers: d
                .headers
                .unwrap_or_default()
                .into_iter()
                .map(|h| Header { name: h.key, value: SecretString::from(h.value) })
                .collect(),
            ..Default::default()
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
            let limit = self.transport.page_size.unwrap_or(PAGE_SIZE as usize);
            let mut query = vec![("limit", limit.to_string()), ("ascOrder", "true".to_string())];
            if let Some(c) = &cursor {
                query.push(("cursor", c.clone()));
            }
            let path = format!("/apps/{}/webhooks", seg(app));
            let (_, body) = self.transport.call::<()>(Method::GET, ROUTE_LIST, &path, &query, None, true).await?;
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

    fn list_cost(&self, listed: usize) -> u32 {
        let page = self.transport.page_size.unwrap_or(PAGE_SIZE as usize);
        u32::try_from(1 + listed / page).unwrap_or(u32::MAX)
    }

    async fn observe(&self, app: &str, id: &str) -> Result<RemoteWebhook, ApiError> {
        let path = format!("/apps/{}/webhooks/{}", seg(app), seg(id));
        let (_, body) = self.transport.call::<()>(Method::GET, ROUTE_ONE, &path, &[], None, true).await?;
        Ok(decode::<Detailed>(&body)?.into())
    }

    async fn create(&self, app: &str, desired: &DesiredWebhook) -> Result<RemoteWebhook, ApiError> {
        let path = format!("/apps/{}/webhooks", seg(app));
        let (_, body) =
            self.transport.call(Method::POST, ROUTE_LIST, &path, &[], Some(&upsert(desired)), false).await?;
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
        self.transport.call(Method::PUT, ROUTE_ONE, &path, &[], Some(&upsert(desired)), true).await.map(|_| ())
    }

    async fn delete(&self, app: &str, id: &str) -> Result<(), ApiError> {
        let path = format!("/apps/{}/webhooks/{}", seg(app), seg(id));
        self.transport.call::<()>(Method::DELETE, ROUTE_ONE, &path, &[], None, true).await.map(|_| ())
    }
}

/// The error for a non-2xx answer, with Mendix's `invalid-params` (the fuzz tests call it).
#[cfg(test)]
fn error_from(status: reqwest::StatusCode, body: &[u8], budget: &RateBudget) -> ApiError {
    super::transport::error_from(status, body, budget, invalid_params)
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
