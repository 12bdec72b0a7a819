//! The admin API under `/_admin`: counters, stored webhooks (portal edits), faults, rate limit,
//! tokens, event delivery and reset. It is for tests and demos: no auth, no rate limit, no faults.
use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::delivery::{self, Job};
use super::errors::{ApiError, InvalidParam};
use super::lock;
use super::model::{AppWebhook, Header, Webhook, generate_secret, new_message_id, new_webhook_id};
use super::state::AppState;
use crate::common;
use crate::common::admin::{bad_request, parse_json, parse_object, path};

pub(crate) fn router(state: Arc<AppState>) -> Router {
    common::admin::router::<AppState>()
        .route("/webhooks", get(all_webhooks))
        .route("/apps/{app}/webhooks", post(insert_webhook))
        .route("/apps/{app}/webhooks/{id}", get(get_webhook).patch(patch_webhook).delete(delete_webhook))
        .route("/events", post(emit_event))
        .route("/deliveries", get(deliveries).delete(clear_deliveries))
        .route("/reset", post(reset))
        .fallback(|| async { ApiError::not_found() })
        .with_state(state)
}

fn parse_app(raw: &str) -> Result<Uuid, ApiError> {
    super::uuid_serde::parse(raw).ok_or_else(|| bad_request("app-id", "must be a UUID").into())
}

async fn all_webhooks(State(st): State<Arc<AppState>>) -> Json<Value> {
    let all: Vec<AppWebhook> = lock(&st.store).all().into_iter().map(|(_, w)| w).collect();
    Json(json!({ "webhooks": all }))
}

async fn get_webhook(
    State(st): State<Arc<AppState>>,
    p: Result<Path<(String, String)>, PathRejection>,
) -> Result<Json<AppWebhook>, ApiError> {
    let (app, id) = path(p)?;
    let app = parse_app(&app)?;
    let found = lock(&st.store).get(&app, &id).cloned();
    found.map(|webhook| Json(AppWebhook { app_id: app, webhook })).ok_or_else(|| ApiError::webhook_not_found(&id))
}

/// Applies the fields present in `map` to `w`, checking types only (a portal edit).
/// A blank `validationSecret` is replaced by a generated one, as the portal does.
fn apply_fields(w: &mut Webhook, map: &Map<String, Value>) -> Result<(), ApiError> {
    let mut errs = Vec::new();
    for (k, v) in map {
        let ok = match (k.as_str(), v) {
            ("name", Value::String(s)) => {
                w.name = s.clone();
                true
            }
            ("url", Value::String(s)) => {
                w.url = s.clone();
                true
            }
            ("isActive", Value::Bool(b)) => {
                w.is_active = *b;
                true
            }
            ("validationSecret", Value::String(s)) => {
                w.validation_secret = if s.trim().is_empty() { generate_secret() } else { s.clone() };
                true
            }
            ("eventTypes", v) => match serde_json::from_value::<Vec<String>>(v.clone()) {
                Ok(e) => {
                    w.event_types = e;
                    true
                }
                Err(_) => false,
            },
            ("headers", v) => match serde_json::from_value::<Vec<Header>>(v.clone()) {
                Ok(h) => {
                    w.headers = h;
                    true
                }
                Err(_) => false,
            },
            ("id", _) => {
                errs.push(InvalidParam::new("id", "cannot be changed"));
                continue;
            }
            ("name" | "url" | "isActive" | "validationSecret", _) => false,
            _ => {
                errs.push(InvalidParam::new(k.clone(), "is not a webhook field"));
                continue;
            }
        };
        if !ok {
            errs.push(InvalidParam::new(k.clone(), "has the wrong type"));
        }
    }
    if errs.is_empty() { Ok(()) } else { Err(ApiError::validation(errs)) }
}

async fn patch_webhook(
    State(st): State<Arc<AppState>>,
    p: Result<Path<(String, String)>, PathRejection>,
    body: Bytes,
) -> Result<Json<AppWebhook>, ApiError> {
    let (app, id) = path(p)?;
    let app = parse_app(&app)?;
    let map = parse_object(&body)?;
    let edited = lock(&st.store).edit(&app, &id, |w| apply_fields(w, &map));
    let updated = edited.ok_or_else(|| ApiError::webhook_not_found(&id))??;
    st.persist().await;
    Ok(Json(AppWebhook { app_id: app, webhook: updated }))
}

async fn delete_webhook(
    State(st): State<Arc<AppState>>,
    p: Result<Path<(String, String)>, PathRejection>,
) -> Result<StatusCode, ApiError> {
    let (app, id) = path(p)?;
    let app = parse_app(&app)?;
    let removed = lock(&st.store).remove(&app, &id);
    removed.ok_or_else(|| ApiError::webhook_not_found(&id))?;
    st.persist().await;
    Ok(StatusCode::NO_CONTENT)
}

/// Inserts a webhook as if made in the portal. Every field is optional; `id` picks the id.
async fn insert_webhook(
    State(st): State<Arc<AppState>>,
    p: Result<Path<String>, PathRejection>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let app = parse_app(&path(p)?)?;
    let mut map = parse_object(&body)?;
    let wanted_id = match map.remove("id") {
        None => None,
        Some(Value::String(s))
            if !s.is_empty() && s.len() <= 64 && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') =>
        {
            Some(s)
        }
        Some(_) => return Err(bad_request("id", "must be 1 to 64 letters, digits or underscores").into()),
    };
    let mut w = Webhook {
        id: String::new(),
        name: "Portal webhook".into(),
        url: String::new(),
        event_types: Vec::new(),
        is_active: true,
        validation_secret: generate_secret(),
        headers: Vec::new(),
    };
    apply_fields(&mut w, &map)?;
    let inserted = lock(&st.store).insert_as(app, w, wanted_id, new_webhook_id);
    let w =
        inserted.ok_or_else(|| ApiError::new(StatusCode::CONFLICT, "Conflict").with_param("id", "is already taken"))?;
    st.persist().await;
    Ok((StatusCode::CREATED, Json(AppWebhook { app_id: app, webhook: w })).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct EventRequest {
    #[serde(with = "super::uuid_serde")]
    app_id: Uuid,
    event_type: String,
    /// Replaces the generated sample payload.
    payload: Option<Value>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct EventAccepted {
    message_id: String,
    event_type: String,
    webhooks: Vec<String>,
    payload: Value,
}

/// Emits one event to every active webhook of the app subscribed to its type.
async fn emit_event(State(st): State<Arc<AppState>>, body: Bytes) -> Result<Response, ApiError> {
    let ev: EventRequest = parse_json(&body)?;
    let payload = match ev.payload {
        Some(p) => p,
        None => delivery::sample_payload(&ev.event_type, &ev.app_id).ok_or_else(|| {
            ApiError::from(bad_request(
                "eventType",
                "must be package.uploaded or teamserver.push unless a payload is given",
            ))
        })?,
    };
    let body = serde_json::to_vec(&payload).map_err(|_| ApiError::internal())?;
    let message_id = new_message_id();
    let targets: Vec<Webhook> = lock(&st.store)
        .app_webhooks(&ev.app_id)
        .into_iter()
        .map(|(_, w)| w)
        .filter(|w| w.is_active && w.event_types.iter().any(|t| t == &ev.event_type))
        .collect();
    for w in &targets {
        let job = Job {
            app_id: ev.app_id,
            webhook_id: w.id.clone(),
            url: w.url.clone(),
            secret: w.validation_secret.clone(),
            headers: w.headers.clone(),
            event_type: ev.event_type.clone(),
            message_id: message_id.clone(),
            body: body.clone(),
        };
        tokio::spawn(delivery::run(
            st.client.clone(),
            job,
            st.delivery,
            st.key_format,
            st.deliveries.clone(),
            st.runtime.shutdown.clone(),
        ));
    }
    let accepted = EventAccepted {
        message_id,
        event_type: ev.event_type,
        webhooks: targets.into_iter().map(|w| w.id).collect(),
        payload,
    };
    Ok((StatusCode::ACCEPTED, Json(accepted)).into_response())
}

async fn deliveries(State(st): State<Arc<AppState>>) -> Json<Value> {
    Json(json!({ "deliveries": *lock(&st.deliveries) }))
}

async fn clear_deliveries(State(st): State<Arc<AppState>>) -> StatusCode {
    lock(&st.deliveries).clear();
    StatusCode::NO_CONTENT
}

/// Clears webhooks, counters, deliveries and rate-limit windows, and restores the fault and
/// rate-limit settings the server started with. Tokens stay.
async fn reset(State(st): State<Arc<AppState>>) -> StatusCode {
    lock(&st.store).clear();
    lock(&st.deliveries).clear();
    st.runtime.reset();
    st.persist().await;
    StatusCode::NO_CONTENT
}
