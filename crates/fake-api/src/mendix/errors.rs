//! Errors of the fake: the API error body Mendix documents, and the startup errors of the server.
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

pub use crate::common::errors::{FakeError, InvalidParam};
use crate::common::gate::Failure;

/// The documented error body: `{"error":{"code":..,"message":..,"invalid-params":[..]}}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetail {
    pub code: u16,
    pub message: String,
    #[serde(rename = "invalid-params", default, skip_serializing_if = "Vec::is_empty")]
    pub invalid_params: Vec<InvalidParam>,
}

/// An error answer of the public or admin API.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{status}: {message}")]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
    pub invalid_params: Vec<InvalidParam>,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self { status, message: message.into(), invalid_params: Vec::new() }
    }

    pub fn with_param(mut self, name: impl Into<String>, reason: impl Into<String>) -> Self {
        self.invalid_params.push(InvalidParam::new(name, reason));
        self
    }

    /// 400 with the message Mendix uses for request validation.
    pub fn validation(params: Vec<InvalidParam>) -> Self {
        Self { status: StatusCode::BAD_REQUEST, message: "Request validation errors".into(), invalid_params: params }
    }

    pub fn unauthorized() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "Unauthorized")
            .with_param("Authentication", "Missing or invalid Authorization header")
    }

    pub fn forbidden(reason: &str) -> Self {
        Self::new(StatusCode::FORBIDDEN, "Forbidden").with_param("authentication", reason)
    }

    pub fn app_not_found(app: &uuid::Uuid) -> Self {
        Self::new(StatusCode::NOT_FOUND, "App not found")
            .with_param("validation", format!("Application '{app}' not found"))
    }

    /// The id is echoed only when it has the shape of a webhook id, so arbitrary input never is.
    pub fn webhook_not_found(id: &str) -> Self {
        let shaped = id.len() <= 64 && id.starts_with("mxep_") && id[5..].chars().all(|c| c.is_ascii_alphanumeric());
        let reason = if shaped { format!("Webhook '{id}' not found") } else { "Webhook not found".to_string() };
        Self::new(StatusCode::NOT_FOUND, "Webhook not found").with_param("validation", reason)
    }

    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "Not found").with_param("path", "No such resource")
    }

    pub fn method_not_allowed() -> Self {
        Self::new(StatusCode::METHOD_NOT_ALLOWED, "Method not allowed")
    }

    pub fn too_many_requests() -> Self {
        Self::new(StatusCode::TOO_MANY_REQUESTS, "Too many requests")
            .with_param("rate-limit", "Rate limit exceeded, retry after the time in X-RateLimit-Reset")
    }

    pub fn internal() -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "A system error occurred")
    }

    pub fn gateway_timeout() -> Self {
        Self::new(StatusCode::GATEWAY_TIMEOUT, "Gateway timeout")
    }

    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            error: ErrorDetail {
                code: self.status.as_u16(),
                message: self.message.clone(),
                invalid_params: self.invalid_params.clone(),
            },
        }
    }
}

impl From<Failure> for ApiError {
    fn from(failure: Failure) -> Self {
        match failure {
            Failure::Unauthorized => Self::unauthorized(),
            Failure::TooManyRequests => Self::too_many_requests(),
            Failure::GatewayTimeout => Self::gateway_timeout(),
            Failure::Internal => Self::internal(),
            Failure::InvalidFault => {
                Self::validation(vec![InvalidParam::new("url", "rejected by fault injection (invalidRate)")])
            }
            Failure::PayloadTooLarge => Self::new(StatusCode::PAYLOAD_TOO_LARGE, "Payload too large"),
            Failure::Validation(params) => Self::validation(params),
            Failure::NotFound(message) => Self::new(StatusCode::NOT_FOUND, message),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(self.body())).into_response()
    }
}
