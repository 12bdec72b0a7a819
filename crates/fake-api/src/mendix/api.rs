//! The public API: `/api/v1/apps/{app-id}/webhooks[/{webhook-id}]`.
//!
//! Order of checks, as an API gateway in front of a backend would apply them:
//! 401 (no or unknown token) and 429 (budget spent) at the gateway; then 403 when the token
//! lacks the scope for the method; 400 for a malformed app id, query or body; 404 for an unknown
//! app; 403 when the token has no access to the app; 404 for an unknown webhook.
use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{Extension, Path, RawQuery, State};
use axum::http::{Method, StatusCode};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use uuid::Uuid;

use super::auth::{Grant, SCOPE_READ, SCOPE_WRITE};
use super::errors::{ApiError, InvalidParam};
use super::lock;
use super::model::{Cursors, Webhook, WebhookList, WebhookSummary, new_webhook_id};
use super::pagination::{Cursor, DEFAULT_LIMIT, paginate};
use super::state::AppState;
use super::validate;
use crate::common::gate;

/// The authenticated caller, put into request extensions by the gate.
type Caller = gate::Caller<Grant>;

pub(crate) fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/apps/{app}/webhooks", get(list).post(create))
        .route("/apps/{app}/webhooks/{id}", get(get_one).put(update).delete(remove))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(state.clone(), gate::gate::<AppState>))
        .with_state(state)
}

async fn not_found() -> ApiError {
    ApiError::not_found()
}

async fn method_not_allowed() -> ApiError {
    ApiError::method_not_allowed()
}

fn require_scope(caller: &Caller, method: &Method) -> Result<(), ApiError> {
    if caller.grant.allows(method) {
        return Ok(());
    }
    let scope = if method == Method::GET { SCOPE_READ } else { SCOPE_WRITE };
    Err(ApiError::forbidden(&format!("The token does not have the {scope} scope")))
}

fn path_error() -> ApiError {
    ApiError::validation(vec![InvalidParam::new("path", "is not valid UTF-8 after percent-decoding")])
}

/// App ids are UUIDs in the canonical 8-4-4-4-12 form; anything else is a 400.
fn parse_app(raw: &str) -> Result<Uuid, ApiError> {
    super::uuid_serde::parse(raw)
        .ok_or_else(|| ApiError::validation(vec![InvalidParam::new("app-id", "must be a UUID")]))
}

fn require_app(st: &AppState, caller: &Caller, app: &Uuid) -> Result<(), ApiError> {
    if !lock(&st.tokens).app_exists(app) {
        return Err(ApiError::app_not_found(app));
    }
    if !caller.grant.has_app(app) {
        return Err(ApiError::forbidden("The token has no access to this app"));
    }
    Ok(())
}

fn body_error(rej: BytesRejection) -> ApiError {
    let status = rej.status();
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(status, "Payload too large")
    } else {
        ApiError::validation(vec![InvalidParam::new("body", "could not be read")])
    }
}

struct ListQuery {
    limit: usize,
    ascending: bool,
    cursor: Option<Cursor>,
}

fn parse_list_query(raw: Option<&str>) -> Result<ListQuery, ApiError> {
    let mut q = ListQuery { limit: DEFAULT_LIMIT, ascending: false, cursor: None };
    let mut errs = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (k, v) in url::form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
        if !seen.insert(k.to_string()) {
            // The first occurrence wins, as most gateways do.
            continue;
        }
        match k.as_ref() {
            "limit" => match parse_limit(&v) {
                Some(n) => q.limit = n,
                None => errs.push(InvalidParam::new("limit", "must be an integer greater than or equal to 1")),
            },
            "ascOrder" => match v.as_ref() {
                "true" => q.ascending = true,
                "false" => q.ascending = false,
                _ => errs.push(InvalidParam::new("ascOrder", "must be true or false")),
            },
            "cursor" if v.is_empty() => {}
            "cursor" => match Cursor::decode(&v) {
                Some(c) => q.cursor = Some(c),
                None => errs.push(InvalidParam::new("cursor", "is not a cursor returned by this API")),
            },
            _ => {}
        }
    }
    if errs.is_empty() { Ok(q) } else { Err(ApiError::validation(errs)) }
}

/// An integer >= 1; integers too large for usize mean "everything" rather than an error.
fn parse_limit(v: &str) -> Option<usize> {
    let digits = v.strip_prefix('+').unwrap_or(v);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    match digits.parse::<usize>() {
        Ok(0) => None,
        Ok(n) => Some(n),
        Err(_) => digits.bytes().any(|b| b != b'0').then_some(usize::MAX),
    }
}

async fn list(
    State(st): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    path: Result<Path<String>, PathRejection>,
    RawQuery(raw): RawQuery,
) -> Result<Json<WebhookList>, ApiError> {
    require_scope(&caller, &Method::GET)?;
    let Path(app) = path.map_err(|_| path_error())?;
    let app = parse_app(&app)?;
    let q = parse_list_query(raw.as_deref())?;
    require_app(&st, &caller, &app)?;
    let items = lock(&st.store).app_webhooks(&app);
    let page = paginate(&items, |w: &Webhook| w.id.clone(), q.ascending, q.limit, q.cursor.as_ref());
    Ok(Json(WebhookList {
        webhooks: page.items.iter().map(WebhookSummary::from).collect(),
        cursors: Cursors { prev: page.prev.map(|c| c.encode()), next: page.next.map(|c| c.encode()) },
    }))
}

async fn create(
    State(st): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    path: Result<Path<String>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    require_scope(&caller, &Method::POST)?;
    let Path(app) = path.map_err(|_| path_error())?;
    let app = parse_app(&app)?;
    let upsert = validate::upsert_from_bytes(&body.map_err(body_error)?).map_err(ApiError::validation)?;
    require_app(&st, &caller, &app)?;
    let webhook = lock(&st.store).create(app, new_webhook_id, |id| upsert.into_webhook(id));
    st.persist().await;
    Ok(gate::commit_then_drop(&st.runtime, (StatusCode::OK, Json(webhook)).into_response()))
}

async fn get_one(
    State(st): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    path: Result<Path<(String, String)>, PathRejection>,
) -> Result<Json<Webhook>, ApiError> {
    require_scope(&caller, &Method::GET)?;
    let Path((app, id)) = path.map_err(|_| path_error())?;
    let app = parse_app(&app)?;
    require_app(&st, &caller, &app)?;
    let found = lock(&st.store).get(&app, &id).cloned();
    found.map(Json).ok_or_else(|| ApiError::webhook_not_found(&id))
}

async fn update(
    State(st): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    path: Result<Path<(String, String)>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    require_scope(&caller, &Method::PUT)?;
    let Path((app, id)) = path.map_err(|_| path_error())?;
    let app = parse_app(&app)?;
    let upsert = validate::upsert_from_bytes(&body.map_err(body_error)?).map_err(ApiError::validation)?;
    require_app(&st, &caller, &app)?;
    let updated = {
        let mut store = lock(&st.store);
        store.get_mut(&app, &id).map(|w| {
            *w = upsert.into_webhook(id.clone());
            w.clone()
        })
    };
    let webhook = updated.ok_or_else(|| ApiError::webhook_not_found(&id))?;
    st.persist().await;
    Ok((StatusCode::ACCEPTED, Json(webhook)).into_response())
}

async fn remove(
    State(st): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    path: Result<Path<(String, String)>, PathRejection>,
) -> Result<StatusCode, ApiError> {
    require_scope(&caller, &Method::DELETE)?;
    let Path((app, id)) = path.map_err(|_| path_error())?;
    let app = parse_app(&app)?;
    require_app(&st, &caller, &app)?;
    let removed = lock(&st.store).remove(&app, &id);
    removed.ok_or_else(|| ApiError::webhook_not_found(&id))?;
    st.persist().await;
    Ok(StatusCode::NO_CONTENT)
}
