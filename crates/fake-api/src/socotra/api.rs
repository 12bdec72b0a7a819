//! The public API: `/event/{tenantLocator}/webhooks[/list | /{webhookLocator}[/unsuspend]]`.
//!
//! Order of checks, as for the Mendix fake: 401 (no or unknown bearer token) and 429 (budget
//! spent) at the gateway; then 403 when the token lacks a permission the operation needs; 400
//! for a malformed tenant or webhook locator, query or body; 404 for an unknown tenant; 403 when
//! the token has no access to the tenant; 404 for an unknown webhook (or one of another tenant).
use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{Extension, Path, RawQuery, State};
use axum::http::StatusCode;
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post};
use uuid::Uuid;

use super::auth::{Grant, Permission};
use super::errors::ApiError;
use super::model::{Webhook, locator_valid, new_locator};
use super::state::AppState;
use super::store::{ListQuery, MAX_COUNT};
use super::validate;
use crate::common::errors::InvalidParam;
use crate::common::gate;
use crate::common::lock;
use crate::common::uuid_serde;

type Caller = gate::Caller<Grant>;

pub(crate) fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/event/{tenant}/webhooks", post(create))
        .route("/event/{tenant}/webhooks/list", get(list))
        .route("/event/{tenant}/webhooks/{locator}", get(get_one).patch(update).delete(remove))
        .route("/event/{tenant}/webhooks/{locator}/unsuspend", patch(unsuspend))
        .fallback(|| async { ApiError::not_found() })
        .method_not_allowed_fallback(|| async { ApiError::method_not_allowed() })
        .layer(middleware::from_fn_with_state(state.clone(), gate::gate::<AppState>))
        .with_state(state)
}

/// 403 unless the token has every one of `needed`.
fn require(caller: &Caller, needed: &[Permission]) -> Result<(), ApiError> {
    let missing: Vec<&str> = needed.iter().filter(|p| !caller.grant.has(**p)).map(|p| p.as_str()).collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(ApiError::forbidden(format!(
        "The token lacks the {} permission of the webhooks security group",
        missing.join(" and ")
    )))
}

fn path_error() -> ApiError {
    ApiError::field("path", "is not valid UTF-8 after percent-decoding")
}

/// Tenant locators are UUIDs in the canonical 8-4-4-4-12 form; anything else is a 400.
fn parse_tenant(raw: &str) -> Result<Uuid, ApiError> {
    uuid_serde::parse(raw).ok_or_else(|| ApiError::field("tenantLocator", "must be a UUID"))
}

fn check_locator(raw: &str) -> Result<(), ApiError> {
    if locator_valid(raw) {
        Ok(())
    } else {
        Err(ApiError::field("webhookLocator", "must be a locator (a ULID: 26 upper-case Crockford base32 characters)"))
    }
}

fn tenant_and_locator(p: Result<Path<(String, String)>, PathRejection>) -> Result<(Uuid, String), ApiError> {
    let Path((tenant, locator)) = p.map_err(|_| path_error())?;
    let tenant = parse_tenant(&tenant)?;
    check_locator(&locator)?;
    Ok((tenant, locator))
}

/// The checks of an operation on one webhook without a body, in order: permissions, path,
/// tenant.
fn item(
    st: &AppState,
    caller: &Caller,
    needed: Permission,
    p: Result<Path<(String, String)>, PathRejection>,
) -> Result<(Uuid, String), ApiError> {
    require(caller, &[needed])?;
    let (tenant, locator) = tenant_and_locator(p)?;
    require_tenant(st, caller, &tenant)?;
    Ok((tenant, locator))
}

fn require_tenant(st: &AppState, caller: &Caller, tenant: &Uuid) -> Result<(), ApiError> {
    if !lock(&st.tokens).tenant_exists(tenant) {
        return Err(ApiError::tenant_not_found());
    }
    if !caller.grant.has_tenant(tenant) {
        return Err(ApiError::forbidden("The token has no access to this tenant"));
    }
    Ok(())
}

fn body_bytes(body: Result<Bytes, BytesRejection>) -> Result<Bytes, ApiError> {
    body.map_err(|rej| {
        if rej.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "Payload too large")
        } else {
            ApiError::field("body", "could not be read")
        }
    })
}

fn parse_bool(v: &str) -> Option<bool> {
    match v {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

/// A non-negative integer; integers too large for usize become usize::MAX.
fn parse_uint(v: &str) -> Option<usize> {
    let digits = v.strip_prefix('+').unwrap_or(v);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(digits.parse::<usize>().unwrap_or(usize::MAX))
}

fn parse_list_query(raw: Option<&str>) -> Result<ListQuery, ApiError> {
    let mut q = ListQuery::default();
    let mut errs = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (k, v) in url::form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
        if k == "eventTypes" {
            q.event_types.extend(v.split(',').filter(|t| !t.is_empty()).map(str::to_owned));
            continue;
        }
        if !seen.insert(k.to_string()) {
            // The first occurrence wins, as most gateways do.
            continue;
        }
        let boolean = |errs: &mut Vec<InvalidParam>| {
            let b = parse_bool(&v);
            if b.is_none() {
                errs.push(InvalidParam::new(k.as_ref(), "must be true or false"));
            }
            b
        };
        match k.as_ref() {
            "offset" => match parse_uint(&v) {
                Some(n) => q.offset = n,
                None => errs.push(InvalidParam::new("offset", "must be an integer greater than or equal to 0")),
            },
            "count" => match parse_uint(&v) {
                Some(n) if (1..=MAX_COUNT).contains(&n) => q.count = n,
                _ => errs.push(InvalidParam::new("count", format!("must be an integer from 1 to {MAX_COUNT}"))),
            },
            "name" => q.name = Some(v.to_string()),
            "enabled" => q.enabled = boolean(&mut errs),
            "suspended" => q.suspended = boolean(&mut errs),
            "active" => q.active = boolean(&mut errs),
            _ => {}
        }
    }
    if errs.is_empty() { Ok(q) } else { Err(ApiError::validation(errs)) }
}

async fn list(
    State(st): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    path: Result<Path<String>, PathRejection>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Vec<Webhook>>, ApiError> {
    require(&caller, &[Permission::Read, Permission::List])?;
    let Path(tenant) = path.map_err(|_| path_error())?;
    let tenant = parse_tenant(&tenant)?;
    let q = parse_list_query(raw.as_deref())?;
    require_tenant(&st, &caller, &tenant)?;
    let page = lock(&st.store).list(&tenant, &q);
    Ok(Json(page))
}

async fn create(
    State(st): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    path: Result<Path<String>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    require(&caller, &[Permission::Write])?;
    let Path(tenant) = path.map_err(|_| path_error())?;
    let tenant = parse_tenant(&tenant)?;
    let create = validate::create_from_bytes(&body_bytes(body)?).map_err(ApiError::validation)?;
    require_tenant(&st, &caller, &tenant)?;
    let webhook = lock(&st.store).create(tenant, new_locator, |locator| create.into_webhook(locator));
    st.persist().await;
    Ok(gate::commit_then_drop(&st.runtime, Json(webhook).into_response()))
}

async fn get_one(
    State(st): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    path: Result<Path<(String, String)>, PathRejection>,
) -> Result<Json<Webhook>, ApiError> {
    let (tenant, locator) = item(&st, &caller, Permission::Read, path)?;
    let found = lock(&st.store).get(&tenant, &locator).cloned();
    found.map(Json).ok_or_else(ApiError::webhook_not_found)
}

async fn update(
    State(st): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    path: Result<Path<(String, String)>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Webhook>, ApiError> {
    require(&caller, &[Permission::Write])?;
    let (tenant, locator) = tenant_and_locator(path)?;
    let update = validate::update_from_bytes(&body_bytes(body)?).map_err(ApiError::validation)?;
    require_tenant(&st, &caller, &tenant)?;
    let updated = lock(&st.store).get_mut(&tenant, &locator).map(|w| {
        w.apply(update);
        w.clone()
    });
    let webhook = updated.ok_or_else(ApiError::webhook_not_found)?;
    st.persist().await;
    Ok(Json(webhook))
}

/// `Response: void`: 204. A webhook that is not suspended stays as it is (still 204).
async fn unsuspend(
    State(st): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    path: Result<Path<(String, String)>, PathRejection>,
) -> Result<StatusCode, ApiError> {
    let (tenant, locator) = item(&st, &caller, Permission::Write, path)?;
    let changed = lock(&st.store).get_mut(&tenant, &locator).map(Webhook::unsuspend);
    if changed.ok_or_else(ApiError::webhook_not_found)? {
        st.persist().await;
    }
    Ok(StatusCode::NO_CONTENT)
}

/// `Response: void`: 204; 404 when there is no such webhook.
async fn remove(
    State(st): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    path: Result<Path<(String, String)>, PathRejection>,
) -> Result<StatusCode, ApiError> {
    let (tenant, locator) = item(&st, &caller, Permission::Write, path)?;
    let removed = lock(&st.store).remove(&tenant, &locator);
    removed.ok_or_else(ApiError::webhook_not_found)?;
    st.persist().await;
    Ok(StatusCode::NO_CONTENT)
}
