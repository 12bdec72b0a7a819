//! The admin calls every fake has: request counters (and the request log where kept), faults,
//! rate limit and tokens. Each fake adds its own webhook calls and `reset` and nests the result
//! under `/_admin`. No auth, no rate limit, no faults.
use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::counters::RequestCount;
use super::errors::InvalidParam;
use super::faults::Faults;
use super::gate::{Failure, Flavor, Reject};
use super::lock;
use super::ratelimit::RateLimitSettings;
use super::request_log::RequestLogPage;
use super::tokens::token_well_formed;

pub(crate) fn router<S: Flavor>() -> Router<Arc<S>> {
    let router = Router::new()
        .route("/requests", get(requests::<S>).delete(clear_requests::<S>))
        .route("/faults", get(get_faults::<S>).put(put_faults::<S>))
        .route("/rate-limit", get(get_rate_limit::<S>).put(put_rate_limit::<S>))
        .route("/rate-limit/reset", post(reset_rate_limit::<S>))
        .route("/tokens/{token}", put(put_token::<S>).delete(delete_token::<S>));
    if S::KEEP_REQUEST_LOG {
        router.route("/request-log", get(request_log::<S>).delete(clear_request_log::<S>))
    } else {
        router
    }
}

/// 400 naming one field.
pub(crate) fn bad_request(name: &str, reason: impl Into<String>) -> Failure {
    Failure::Validation(vec![InvalidParam::new(name, reason)])
}

/// The body as `T`, or 400 naming `body`.
pub(crate) fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, Failure> {
    serde_json::from_slice(body).map_err(|e| bad_request("body", e.to_string()))
}

/// The body as a JSON object, or 400 naming `body`.
pub(crate) fn parse_object(body: &[u8]) -> Result<serde_json::Map<String, serde_json::Value>, Failure> {
    match parse_json(body)? {
        serde_json::Value::Object(m) => Ok(m),
        _ => Err(bad_request("body", "must be a JSON object")),
    }
}

/// The path parameters, or 400 naming `path`.
pub(crate) fn path<T>(p: Result<Path<T>, PathRejection>) -> Result<T, Failure> {
    p.map(|Path(t)| t).map_err(|_| bad_request("path", "is not valid UTF-8 after percent-decoding"))
}

#[derive(Serialize)]
struct Requests {
    requests: Vec<RequestCount>,
}

async fn requests<S: Flavor>(State(st): State<Arc<S>>) -> Json<Requests> {
    Json(Requests { requests: lock(&st.runtime().counters).list() })
}

async fn clear_requests<S: Flavor>(State(st): State<Arc<S>>) -> StatusCode {
    lock(&st.runtime().counters).clear();
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
struct LogQuery {
    method: Option<String>,
}

async fn request_log<S: Flavor>(State(st): State<Arc<S>>, q: Query<LogQuery>) -> Json<RequestLogPage> {
    Json(lock(&st.runtime().log).page(q.method.as_deref()))
}

async fn clear_request_log<S: Flavor>(State(st): State<Arc<S>>) -> StatusCode {
    lock(&st.runtime().log).clear();
    StatusCode::NO_CONTENT
}

async fn get_faults<S: Flavor>(State(st): State<Arc<S>>) -> Json<Faults> {
    Json(st.runtime().faults())
}

async fn put_faults<S: Flavor>(State(st): State<Arc<S>>, body: Bytes) -> Result<Json<Faults>, Reject<S>> {
    let faults: Faults = parse_json(&body)?;
    faults.check().map_err(|e| Failure::Validation(e.into_iter().map(|(n, r)| InvalidParam::new(n, r)).collect()))?;
    *lock(&st.runtime().faults) = faults;
    Ok(Json(faults))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RateLimitPatch {
    limit_per_hour: Option<u64>,
    window_secs: Option<u64>,
}

async fn get_rate_limit<S: Flavor>(State(st): State<Arc<S>>) -> Json<RateLimitSettings> {
    Json(lock(&st.runtime().limiter).settings())
}

async fn put_rate_limit<S: Flavor>(
    State(st): State<Arc<S>>,
    body: Bytes,
) -> Result<Json<RateLimitSettings>, Reject<S>> {
    let patch: RateLimitPatch = parse_json(&body)?;
    let mut limiter = lock(&st.runtime().limiter);
    let current = limiter.settings();
    let next = RateLimitSettings {
        limit_per_hour: patch.limit_per_hour.unwrap_or(current.limit_per_hour),
        window_secs: patch.window_secs.unwrap_or(current.window_secs),
    };
    next.check().map_err(|r| bad_request("body", r))?;
    limiter.set_settings(next);
    Ok(Json(next))
}

async fn reset_rate_limit<S: Flavor>(State(st): State<Arc<S>>) -> StatusCode {
    lock(&st.runtime().limiter).reset();
    StatusCode::NO_CONTENT
}

async fn put_token<S: Flavor>(
    State(st): State<Arc<S>>,
    p: Result<Path<String>, PathRejection>,
    body: Bytes,
) -> Result<StatusCode, Reject<S>> {
    let token = path(p)?;
    if !token_well_formed(&token) {
        return Err(bad_request("token", "must be non-empty printable ASCII without spaces").into());
    }
    let grant: S::Grant = serde_json::from_value(serde_json::Value::Object(parse_object(&body)?))
        .map_err(|e| bad_request("body", e.to_string()))?;
    lock(st.tokens()).set(token, grant);
    Ok(StatusCode::NO_CONTENT)
}

async fn delete_token<S: Flavor>(
    State(st): State<Arc<S>>,
    p: Result<Path<String>, PathRejection>,
) -> Result<StatusCode, Reject<S>> {
    let token = path(p)?;
    if lock(st.tokens()).remove(&token) {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(Failure::NotFound("Token not found").into())
    }
}
