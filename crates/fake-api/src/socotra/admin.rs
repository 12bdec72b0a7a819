//! The admin API under `/_admin`: besides the shared calls (request counters and log, faults,
//! rate limit, tokens), the stored webhooks (portal inserts, edits and deletes), suspension (as
//! the platform does after delivery failures) and reset. For tests and demos: no auth, no rate
//! limit, no faults.
use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Serialize;
use serde_json::{Map, Value};
use uuid::Uuid;

use super::errors::ApiError;
use super::model::{Endpoint, Headers, TenantWebhook, Webhook, canonical_time, locator_valid, new_locator, now};
use super::state::AppState;
use crate::common;
use crate::common::admin::{bad_request, parse_object, path};
use crate::common::errors::InvalidParam;
use crate::common::lock;
use crate::common::uuid_serde;

pub(crate) fn router(state: Arc<AppState>) -> Router {
    common::admin::router::<AppState>()
        .route("/webhooks", get(all_webhooks))
        .route("/tenants/{tenant}/webhooks", post(insert_webhook))
        .route("/tenants/{tenant}/webhooks/{locator}", get(get_webhook).patch(patch_webhook).delete(delete_webhook))
        .route("/tenants/{tenant}/webhooks/{locator}/suspend", post(suspend_webhook))
        .route("/reset", post(reset))
        .fallback(|| async { ApiError::not_found() })
        .with_state(state)
}

fn parse_tenant(raw: &str) -> Result<Uuid, ApiError> {
    uuid_serde::parse(raw).ok_or_else(|| bad_request("tenantLocator", "must be a UUID").into())
}

fn tenant_locator(p: Result<Path<(String, String)>, PathRejection>) -> Result<(Uuid, String), ApiError> {
    let (tenant, locator) = path(p)?;
    Ok((parse_tenant(&tenant)?, locator))
}

#[derive(Serialize)]
struct AllWebhooks {
    webhooks: Vec<TenantWebhook>,
}

async fn all_webhooks(State(st): State<Arc<AppState>>) -> Json<AllWebhooks> {
    Json(AllWebhooks { webhooks: lock(&st.store).with_owners() })
}

async fn get_webhook(
    State(st): State<Arc<AppState>>,
    p: Result<Path<(String, String)>, PathRejection>,
) -> Result<Json<TenantWebhook>, ApiError> {
    let (tenant, locator) = tenant_locator(p)?;
    let found = lock(&st.store).get(&tenant, &locator).cloned();
    found.map(|webhook| Json(TenantWebhook { tenant_locator: tenant, webhook })).ok_or_else(ApiError::webhook_not_found)
}

/// `T` from a JSON value, or a detail saying the field has the wrong type.
fn typed<T: serde::de::DeserializeOwned>(v: &Value, field: &str, errs: &mut Vec<InvalidParam>) -> Option<T> {
    let t = serde_json::from_value(v.clone()).ok();
    if t.is_none() {
        errs.push(InvalidParam::new(field, "has the wrong type"));
    }
    t
}

/// Applies the fields present in `map` to `w`, checking types only (a portal edit): any of
/// `name`, `enabled`, `endpoint` (`url` and/or `headers`, which replace), `failureHandling`
/// and `eventTypes` (replace), `suspended`, `suspendedAt` (RFC 3339). Suspending without a
/// time stamps it now; `suspended: false` clears `suspendedAt`.
fn apply_fields(w: &mut Webhook, map: &Map<String, Value>) -> Result<(), ApiError> {
    let mut errs = Vec::new();
    let mut suspended_at = None;
    for (k, v) in map {
        match k.as_str() {
            "name" => w.name = typed(v, k, &mut errs).unwrap_or_else(|| w.name.clone()),
            "enabled" => w.enabled = typed(v, k, &mut errs).unwrap_or(w.enabled),
            "endpoint" => match v {
                Value::Object(e) => {
                    for (ek, ev) in e {
                        let field = format!("endpoint.{ek}");
                        match ek.as_str() {
                            "url" => w.endpoint.url = typed(ev, &field, &mut errs).unwrap_or_default(),
                            "headers" => {
                                w.endpoint.headers = typed::<Headers>(ev, &field, &mut errs).unwrap_or_default()
                            }
                            _ => errs.push(InvalidParam::new(field, "is not an endpoint field")),
                        }
                    }
                }
                _ => errs.push(InvalidParam::new("endpoint", "has the wrong type")),
            },
            "failureHandling" => w.failure_handling = typed(v, k, &mut errs).unwrap_or_default(),
            "eventTypes" => w.event_types = typed(v, k, &mut errs).unwrap_or_default(),
            "suspended" => w.suspended = typed(v, k, &mut errs).unwrap_or(w.suspended),
            "suspendedAt" => match v {
                Value::String(s) => match canonical_time(s) {
                    Some(t) => suspended_at = Some(t),
                    None => errs.push(InvalidParam::new(k.clone(), "must be an RFC 3339 timestamp")),
                },
                _ => errs.push(InvalidParam::new(k.clone(), "must be a string")),
            },
            "locator" => errs.push(InvalidParam::new(k.clone(), "cannot be changed")),
            _ => errs.push(InvalidParam::new(k.clone(), "is not a webhook field")),
        }
    }
    match (w.suspended, suspended_at) {
        (true, Some(at)) => w.suspended_at = Some(at),
        (true, None) if w.suspended_at.is_none() => w.suspended_at = Some(now()),
        (true, None) => {}
        (false, Some(_)) => errs.push(InvalidParam::new("suspendedAt", "goes only with suspended: true")),
        (false, None) => w.suspended_at = None,
    }
    if errs.is_empty() { Ok(()) } else { Err(ApiError::validation(errs)) }
}

async fn patch_webhook(
    State(st): State<Arc<AppState>>,
    p: Result<Path<(String, String)>, PathRejection>,
    body: Bytes,
) -> Result<Json<TenantWebhook>, ApiError> {
    let (tenant, locator) = tenant_locator(p)?;
    let map = parse_object(&body)?;
    let edited = lock(&st.store).edit(&tenant, &locator, |w| apply_fields(w, &map));
    let updated = edited.ok_or_else(ApiError::webhook_not_found)??;
    st.persist().await;
    Ok(Json(TenantWebhook { tenant_locator: tenant, webhook: updated }))
}

/// Suspends a webhook as the platform does after delivery failures: `suspended: true` and
/// `suspendedAt` now, or the body's `{"suspendedAt": "<RFC 3339>"}`. Answers the webhook.
async fn suspend_webhook(
    State(st): State<Arc<AppState>>,
    p: Result<Path<(String, String)>, PathRejection>,
    body: Bytes,
) -> Result<Json<TenantWebhook>, ApiError> {
    let (tenant, locator) = tenant_locator(p)?;
    let mut map = if body.is_empty() { Map::new() } else { parse_object(&body)? };
    if let Some(k) = map.keys().find(|k| *k != "suspendedAt") {
        return Err(ApiError::field(k, "is not a field here; the only field is suspendedAt"));
    }
    map.insert("suspended".into(), Value::Bool(true));
    map.entry("suspendedAt").or_insert_with(|| Value::String(now()));
    let edited = lock(&st.store).edit(&tenant, &locator, |w| apply_fields(w, &map));
    let updated = edited.ok_or_else(ApiError::webhook_not_found)??;
    st.persist().await;
    Ok(Json(TenantWebhook { tenant_locator: tenant, webhook: updated }))
}

async fn delete_webhook(
    State(st): State<Arc<AppState>>,
    p: Result<Path<(String, String)>, PathRejection>,
) -> Result<StatusCode, ApiError> {
    let (tenant, locator) = tenant_locator(p)?;
    let removed = lock(&st.store).remove(&tenant, &locator);
    removed.ok_or_else(ApiError::webhook_not_found)?;
    st.persist().await;
    Ok(StatusCode::NO_CONTENT)
}

/// Inserts a webhook as if made in the portal (201, answers it). Every field is optional;
/// `locator` picks the locator (409 if taken).
async fn insert_webhook(
    State(st): State<Arc<AppState>>,
    p: Result<Path<String>, PathRejection>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let tenant = parse_tenant(&path(p)?)?;
    let mut map = parse_object(&body)?;
    let wanted = match map.remove("locator") {
        None => None,
        Some(Value::String(s)) if locator_valid(&s) => Some(s),
        Some(_) => return Err(ApiError::field("locator", "must be a ULID in upper case")),
    };
    let mut w = Webhook {
        locator: String::new(),
        name: "Portal webhook".into(),
        enabled: true,
        endpoint: Endpoint { url: String::new(), headers: Headers::new() },
        failure_handling: Map::new(),
        suspended: false,
        suspended_at: None,
        event_types: Vec::new(),
    };
    apply_fields(&mut w, &map)?;
    let inserted = lock(&st.store).insert_as(tenant, w, wanted, new_locator);
    let w = inserted
        .ok_or_else(|| ApiError::new(StatusCode::CONFLICT, "Conflict").with_detail("locator", "is already taken"))?;
    st.persist().await;
    Ok((StatusCode::CREATED, Json(TenantWebhook { tenant_locator: tenant, webhook: w })).into_response())
}

/// Clears webhooks, counters, the request log and rate-limit windows, and restores the fault
/// and rate-limit settings the fake started with. Tokens stay.
async fn reset(State(st): State<Arc<AppState>>) -> StatusCode {
    lock(&st.store).clear();
    st.runtime.reset();
    st.persist().await;
    StatusCode::NO_CONTENT
}
