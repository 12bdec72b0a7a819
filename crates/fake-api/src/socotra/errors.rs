//! The error body of the Socotra fake. The seed documents none; the fake answers (an assumption,
//! listed in docs/fake-api.md) `{"status": 400, "error": "Bad Request", "message": "...",
//! "details": [{"field": "...", "reason": "..."}]}`, `details` only when there are any.
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::common::errors::InvalidParam;
use crate::common::gate::Failure;

/// What every error answer carries.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// The HTTP status code.
    pub status: u16,
    /// The status's reason phrase, e.g. `Bad Request`.
    pub error: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<ErrorDetail>,
}

/// One field that is wrong and why; the reason never repeats the submitted value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetail {
    pub field: String,
    pub reason: String,
}

/// An error answer of the public or admin API.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{status}: {message}")]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
    pub details: Vec<InvalidParam>,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self { status, message: message.into(), details: Vec::new() }
    }

    pub fn with_detail(mut self, field: impl Into<String>, reason: impl Into<String>) -> Self {
        self.details.push(InvalidParam::new(field, reason));
        self
    }

    pub fn validation(details: Vec<InvalidParam>) -> Self {
        Self { status: StatusCode::BAD_REQUEST, message: "Request validation failed".into(), details }
    }

    pub fn field(name: &str, reason: impl Into<String>) -> Self {
        Self::validation(vec![InvalidParam::new(name, reason)])
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, message)
    }

    pub fn tenant_not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "Tenant not found")
    }

    pub fn webhook_not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "Webhook not found")
    }

    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "No such resource")
    }

    pub fn method_not_allowed() -> Self {
        Self::new(StatusCode::METHOD_NOT_ALLOWED, "Method not allowed")
    }

    pub fn internal() -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "A system error occurred")
    }

    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            status: self.status.as_u16(),
            error: self.status.canonical_reason().unwrap_or("Error").to_string(),
            message: self.message.clone(),
            details: self
                .details
                .iter()
                .map(|p| ErrorDetail { field: p.name.clone(), reason: p.reason.clone() })
                .collect(),
        }
    }
}

impl From<Failure> for ApiError {
    fn from(failure: Failure) -> Self {
        match failure {
            Failure::Unauthorized => {
                Self::new(StatusCode::UNAUTHORIZED, "Missing or invalid Authorization: Bearer token")
            }
            Failure::TooManyRequests => Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                "Rate limit exceeded, retry after the time in X-RateLimit-Reset",
            ),
            Failure::GatewayTimeout => Self::new(StatusCode::GATEWAY_TIMEOUT, "Gateway timeout"),
            Failure::Internal => Self::internal(),
            Failure::InvalidFault => Self::field("endpoint.url", "rejected by fault injection (invalidRate)"),
            Failure::PayloadTooLarge => Self::new(StatusCode::PAYLOAD_TOO_LARGE, "Payload too large"),
            Failure::Validation(details) => Self::validation(details),
            Failure::NotFound(message) => Self::new(StatusCode::NOT_FOUND, message),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(self.body())).into_response()
    }
}
