//! The Socotra Webhooks API client (`/event/{tenantLocator}/webhooks`), per Socotra's Webhooks
//! API reference: GET one, GET `list` (offset/count, a plain JSON array: paged until a short
//! page), POST, PATCH with add/remove lists (removals apply first), PATCH `…/unsuspend`, DELETE.
//!
//! Where the reference is silent, this client and the fake server follow one assumption each
//! (README, "Socotra", and docs/fake-api.md): the token is sent as `Authorization: Bearer
//! <token>`; every field of a create or update request is sent (the reference marks them all
//! required), so an update names `name`, `enabled`, the URL and `failureHandling` even when
//! only a list changes, with empty add/remove lists where nothing changes; `failureHandling`
//! merges its top-level fields, so replacing it removes it first (`removeFailureHandling`);
//! rate limits, if any, are announced with `X-RateLimit-Limit/-Remaining/-Reset` (epoch
//! seconds) as Mendix does, and a 429 without them waits a minute; a 400's body is not relied
//! on for field names.
use std::collections::BTreeMap;
use std::sync::Arc;

use reqwest::Method;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use super::WebhookApi;
use super::budget::RateBudget;
use super::error::{ApiError, InvalidParam, trim_remote};
use super::model::{DesiredWebhook, Header, RemoteSummary, RemoteWebhook, header_map};
use super::transport::{OverTransport, Transport, decode};

/// Page size when listing (`count`).
const PAGE_SIZE: usize = 100;
/// Upper bound on pages followed in one listing (100 × 200 = 20 000 webhooks per tenant).
const MAX_PAGES: usize = 200;

const ROUTE_LIST: &str = "/event/{tenant}/webhooks/list";
const ROUTE_CREATE: &str = "/event/{tenant}/webhooks";
const ROUTE_ONE: &str = "/event/{tenant}/webhooks/{locator}";
const ROUTE_UNSUSPEND: &str = "/event/{tenant}/webhooks/{locator}/unsuspend";

#[derive(Clone)]
pub struct SocotraClient {
    transport: Transport,
}

impl SocotraClient {
    pub fn new(http: reqwest::Client, base_url: &str, token: SecretString, budget: Arc<RateBudget>) -> Self {
        let auth = SecretString::from(format!("Bearer {}", token.expose_secret()));
        SocotraClient { transport: Transport::new(http, base_url, auth, budget, invalid_reasons) }
    }
}

impl OverTransport for SocotraClient {
    fn transport_mut(&mut self) -> &mut Transport {
        &mut self.transport
    }
}

impl SocotraClient {
    /// All pages of the list, optionally filtered by exact name on Socotra's side.
    async fn list_where(&self, tenant: &str, name: Option<&str>) -> Result<Vec<RemoteSummary>, ApiError> {
        let path = format!("/event/{}/webhooks/list", seg(tenant));
        let mut out = Vec::new();
        let size = self.transport.page_size.unwrap_or(PAGE_SIZE);
        for page in 0..MAX_PAGES {
            let mut query = vec![("offset", (page * size).to_string()), ("count", size.to_string())];
            if let Some(n) = name {
                query.push(("name", n.to_string()));
            }
            let (_, body) = self.transport.call::<()>(Method::GET, ROUTE_LIST, &path, &query, None, true).await?;
            let items: Vec<WebhookResponse> = decode(&body)?;
            let short = items.len() < size;
            out.extend(items.into_iter().map(|w| RemoteSummary {
                id: w.locator,
                name: w.name,
                url: w.endpoint.url,
                event_types: w.event_types,
                active: w.enabled,
            }));
            if short {
                break;
            }
        }
        Ok(out)
    }
}

fn seg(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[async_trait::async_trait]
impl WebhookApi for SocotraClient {
    async fn list(&self, tenant: &str) -> Result<Vec<RemoteSummary>, ApiError> {
        self.list_where(tenant, None).await
    }

    fn list_cost(&self, listed: usize) -> u32 {
        let page = self.transport.page_size.unwrap_or(PAGE_SIZE);
        u32::try_from(1 + listed / page).unwrap_or(u32::MAX)
    }

    /// Socotra filters by exact name on its side (`?name=`).
    async fn list_named(&self, tenant: &str, name: &str) -> Result<Vec<RemoteSummary>, ApiError> {
        let found = self.list_where(tenant, Some(name)).await?;
        Ok(found.into_iter().filter(|s| s.name == name).collect())
    }

    async fn observe(&self, tenant: &str, locator: &str) -> Result<RemoteWebhook, ApiError> {
        let path = format!("/event/{}/webhooks/{}", seg(tenant), seg(locator));
        let (_, body) = self.transport.call::<()>(Method::GET, ROUTE_ONE, &path, &[], None, true).await?;
        Ok(decode::<WebhookResponse>(&body)?.into())
    }

    async fn create(&self, tenant: &str, desired: &DesiredWebhook) -> Result<RemoteWebhook, ApiError> {
        let path = format!("/event/{}/webhooks", seg(tenant));
        let request = CreateWebhookRequest {
            name: &desired.name,
            enabled: desired.active,
            endpoint: CreateEndpoint { url: &desired.url, headers: wire_headers(&desired.headers) },
            failure_handling: desired.failure_handling.clone().unwrap_or_else(empty_object),
            event_types: &desired.event_types,
        };
        let (_, body) = self.transport.call(Method::POST, ROUTE_CREATE, &path, &[], Some(&request), false).await?;
        Ok(decode::<WebhookResponse>(&body)?.into())
    }

    /// One PATCH with the smallest add/remove lists that turn what was observed into the
    /// desired state (read first when nothing was observed), then one unsuspend when the
    /// provider suspended a webhook that should deliver.
    async fn update(
        &self,
        tenant: &str,
        locator: &str,
        desired: &DesiredWebhook,
        observed: Option<&RemoteWebhook>,
    ) -> Result<(), ApiError> {
        let fetched;
        let observed = match observed {
            Some(o) => o,
            None => {
                fetched = self.observe(tenant, locator).await?;
                &fetched
            }
        };
        let path = format!("/event/{}/webhooks/{}", seg(tenant), seg(locator));
        let patch = update_request(desired, observed);
        if patch.changes_anything(observed) {
            // Add/remove lists are idempotent: a retried PATCH ends in the same state.
            self.transport.call(Method::PATCH, ROUTE_ONE, &path, &[], Some(&patch), true).await?;
        }
        if desired.needs_unsuspend(observed) {
            let path = format!("{path}/unsuspend");
            self.transport.call::<()>(Method::PATCH, ROUTE_UNSUSPEND, &path, &[], None, true).await?;
        }
        Ok(())
    }

    async fn delete(&self, tenant: &str, locator: &str) -> Result<(), ApiError> {
        let path = format!("/event/{}/webhooks/{}", seg(tenant), seg(locator));
        self.transport.call::<()>(Method::DELETE, ROUTE_ONE, &path, &[], None, true).await.map(|_| ())
    }
}

/// A 400's body as field reasons, if it is a JSON object with string fields (its shape is not
/// published): at most 8, each trimmed. Never the raw body.
fn invalid_reasons(body: &[u8]) -> Vec<InvalidParam> {
    let Ok(serde_json::Value::Object(map)) = serde_json::from_slice::<serde_json::Value>(body) else {
        return Vec::new();
    };
    map.iter()
        .filter_map(|(k, v)| v.as_str().map(|v| InvalidParam { name: trim_remote(k), reason: trim_remote(v) }))
        .take(8)
        .collect()
}

// --- wire types -----------------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WebhookResponse {
    locator: String,
    name: String,
    #[serde(default)]
    enabled: bool,
    endpoint: EndpointResponse,
    #[serde(default)]
    failure_handling: Option<serde_json::Value>,
    #[serde(default)]
    suspended: bool,
    #[serde(default)]
    suspended_at: Option<String>,
    #[serde(default)]
    event_types: Vec<String>,
}

#[derive(Deserialize)]
struct EndpointResponse {
    url: String,
    #[serde(default)]
    headers: BTreeMap<String, Vec<String>>,
}

impl From<WebhookResponse> for RemoteWebhook {
    fn from(w: WebhookResponse) -> Self {
        RemoteWebhook {
            id: w.locator,
            name: w.name,
            url: w.endpoint.url,
            event_types: w.event_types,
            active: w.enabled,
            validation_secret: None,
            headers: w
                .endpoint
                .headers
                .into_iter()
                .flat_map(|(name, values)| {
                    values.into_iter().map(move |v| Header { name: name.clone(), value: SecretString::from(v) })
                })
                .collect(),
            // `{}` is "the platform's default": nothing set.
            failure_handling: w.failure_handling.filter(|v| v.as_object().is_some_and(|o| !o.is_empty())),
            suspended: w.suspended,
            suspended_at: w.suspended_at,
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CreateWebhookRequest<'a> {
    name: &'a str,
    enabled: bool,
    endpoint: CreateEndpoint<'a>,
    failure_handling: serde_json::Value,
    event_types: &'a [String],
}

fn empty_object() -> serde_json::Value {
    serde_json::Value::Object(serde_json::Map::new())
}

#[derive(Serialize)]
struct CreateEndpoint<'a> {
    url: &'a str,
    headers: BTreeMap<String, Vec<String>>,
}

/// The body of a PATCH. Every field is sent; the lists hold only the difference.
#[derive(Serialize, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct UpdateWebhookRequest {
    pub name: String,
    pub enabled: bool,
    pub endpoint: UpdateEndpoint,
    /// Top-level fields set (merged) after the removal below.
    pub failure_handling: serde_json::Value,
    pub remove_failure_handling: bool,
    pub add_event_types: Vec<String>,
    pub remove_event_types: Vec<String>,
}

/// The endpoint part of a PATCH.
#[derive(Serialize, Default, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct UpdateEndpoint {
    pub url: String,
    pub add_headers: BTreeMap<String, Vec<String>>,
    pub remove_headers: Vec<String>,
}

impl UpdateWebhookRequest {
    /// Whether sending it would change the webhook `observed`.
    pub fn changes_anything(&self, observed: &RemoteWebhook) -> bool {
        self.name != observed.name
            || self.enabled != observed.active
            || self.endpoint.url != observed.url
            || !self.endpoint.add_headers.is_empty()
            || !self.endpoint.remove_headers.is_empty()
            || self.failure_handling.as_object().is_some_and(|o| !o.is_empty())
            || self.remove_failure_handling
            || !self.add_event_types.is_empty()
            || !self.remove_event_types.is_empty()
    }
}

/// Desired headers in Socotra's form: name → values in order.
fn wire_headers(headers: &[Header]) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for h in headers {
        out.entry(h.name.clone()).or_default().push(h.value.expose_secret().to_string());
    }
    out
}

/// The smallest PATCH that turns `observed` into `desired`. A header whose values change is
/// removed and added again (removals apply first, so it ends with exactly the new values);
/// header names compare case-insensitively, event types as sets. A changed `failureHandling`
/// is removed and set again, as the API merges its fields.
pub fn update_request(desired: &DesiredWebhook, observed: &RemoteWebhook) -> UpdateWebhookRequest {
    let want = header_map(&desired.headers);
    let have = header_map(&observed.headers);
    let remote_name =
        |lower: &str| observed.headers.iter().find(|h| h.name.to_ascii_lowercase() == lower).map(|h| h.name.clone());
    let mut endpoint = UpdateEndpoint { url: desired.url.clone(), ..Default::default() };
    for (lower, values) in &want {
        if have.get(lower) != Some(values) {
            if let Some(name) = remote_name(lower) {
                endpoint.remove_headers.push(name);
            }
            let name = desired.headers.iter().find(|h| &h.name.to_ascii_lowercase() == lower).map(|h| h.name.clone());
            endpoint
                .add_headers
                .insert(name.unwrap_or_else(|| lower.clone()), values.iter().map(|v| v.to_string()).collect());
        }
    }
    for lower in have.keys().filter(|k| !want.contains_key(*k)) {
        if let Some(name) = remote_name(lower) {
            endpoint.remove_headers.push(name);
        }
    }
    let (failure_handling, remove_failure_handling) = match (&desired.failure_handling, &observed.failure_handling) {
        (want, have) if want == have => (empty_object(), false),
        (Some(want), None) => (want.clone(), false),
        (Some(want), Some(_)) => (want.clone(), true),
        (None, _) => (empty_object(), true),
    };
    let has = |list: &[String], e: &String| list.iter().any(|x| x == e);
    let mut add_event_types: Vec<String> =
        desired.event_types.iter().filter(|e| !has(&observed.event_types, e)).cloned().collect();
    add_event_types.dedup();
    UpdateWebhookRequest {
        name: desired.name.clone(),
        enabled: desired.active,
        endpoint,
        failure_handling,
        remove_failure_handling,
        add_event_types,
        remove_event_types: observed.event_types.iter().filter(|e| !has(&desired.event_types, e)).cloned().collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn desired() -> DesiredWebhook {
        DesiredWebhook {
            name: "policy events".into(),
            url: "https://hooks.example.com/socotra".into(),
            event_types: vec!["policy.issued".into(), "policy.cancelled".into()],
            active: true,
            validation_secret: None,
            headers: vec![
                Header { name: "X-Team".into(), value: SecretString::from("a") },
                Header { name: "X-Tags".into(), value: SecretString::from("t1") },
                Header { name: "X-Tags".into(), value: SecretString::from("t2") },
            ],
            failure_handling: None,
        }
    }

    fn observed_as(d: &DesiredWebhook) -> RemoteWebhook {
        RemoteWebhook {
            id: "wh-1".into(),
            name: d.name.clone(),
            url: d.url.clone(),
            event_types: d.event_types.iter().rev().cloned().collect(),
            active: d.active,
            headers: d.headers.clone(),
            ..Default::default()
        }
    }

    #[test]
    fn nothing_differs_nothing_is_sent() {
        let d = desired();
        let o = observed_as(&d);
        assert!(!update_request(&d, &o).changes_anything(&o));
    }

    #[test]
    fn event_types_and_headers_change_with_minimal_lists() {
        let d = desired();
        let mut o = observed_as(&d);
        o.event_types = vec!["policy.issued".into(), "policy.lapsed".into()];
        o.headers = vec![
            Header { name: "x-team".into(), value: SecretString::from("a") },
            Header { name: "X-Tags".into(), value: SecretString::from("t1") },
            Header { name: "X-Old".into(), value: SecretString::from("z") },
        ];
        let p = update_request(&d, &o);
        assert_eq!(p.add_event_types, ["policy.cancelled"]);
        assert_eq!(p.remove_event_types, ["policy.lapsed"]);
        let e = &p.endpoint;
        assert_eq!(e.add_headers, BTreeMap::from([("X-Tags".to_string(), vec!["t1".to_string(), "t2".to_string()])]));
        assert_eq!(e.remove_headers, ["X-Tags", "X-Old"], "X-Team is equal (case-insensitively): untouched");
        assert_eq!((&p.failure_handling, p.remove_failure_handling), (&empty_object(), false));
        assert!(p.changes_anything(&o));
    }

    #[test]
    fn failure_handling_is_set_replaced_or_removed() {
        let mut d = desired();
        let mut o = observed_as(&d);
        d.failure_handling = Some(serde_json::json!({"onFailure": "suspend"}));
        let set = update_request(&d, &o);
        assert_eq!((Some(&set.failure_handling), set.remove_failure_handling), (d.failure_handling.as_ref(), false));
        o.failure_handling = d.failure_handling.clone();
        assert!(!update_request(&d, &o).changes_anything(&o));
        d.failure_handling = Some(serde_json::json!({"retry": {"attempts": 3}}));
        let replace = update_request(&d, &o);
        assert!(replace.remove_failure_handling, "merged fields: the old ones go first");
        d.failure_handling = None;
        let remove = update_request(&d, &o);
        assert_eq!((remove.failure_handling, remove.remove_failure_handling), (empty_object(), true));
    }

    #[test]
    fn the_patch_body_has_every_field_and_only_the_difference_in_its_lists() {
        let d = desired();
        let mut o = observed_as(&d);
        o.active = false;
        o.url = "https://old.example.com".into();
        let body = serde_json::to_value(update_request(&d, &o)).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"name": "policy events", "enabled": true,
                "endpoint": {"url": "https://hooks.example.com/socotra", "addHeaders": {}, "removeHeaders": []},
                "failureHandling": {}, "removeFailureHandling": false, "addEventTypes": [], "removeEventTypes": []})
        );
    }

    #[test]
    fn responses_become_remote_webhooks_with_one_header_entry_per_value() {
        let w: WebhookResponse = serde_json::from_value(serde_json::json!({
            "locator": "wh-9", "name": "n", "enabled": true, "suspended": true, "suspendedAt": "2026-12-01T00:00:00Z",
            "endpoint": {"url": "https://u", "headers": {"X-Tags": ["a", "b"]}}, "eventTypes": ["e"]
        }))
        .unwrap();
        let r = RemoteWebhook::from(w);
        assert_eq!((r.id.as_str(), r.headers.len(), r.suspended), ("wh-9", 2, true));
        assert_eq!(r.suspended_at.as_deref(), Some("2026-12-01T00:00:00Z"));
    }

    #[test]
    fn a_400_body_gives_short_reasons_never_the_raw_body() {
        let reasons = invalid_reasons(br#"{"message": "eventTypes must not be empty", "code": 7}"#);
        assert_eq!(reasons.len(), 1);
        assert_eq!(reasons[0].name, "message");
        assert!(invalid_reasons(b"<html>oops</html>").is_empty());
    }
}
