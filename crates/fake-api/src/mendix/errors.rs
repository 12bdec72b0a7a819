//! Errors of the fake: the API error body Mendix documents, and the startup errors of the server.
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

/// One entry of `invalid-params`: which field is wrong and why. Never carries the submitted value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvalidParam {
    pub name: String,
    pub reason: String,
}

impl InvalidParam {
    pub fn new(name: impl Into<String>, reason: impl Into<String>) -> Self {
        Self { name: name.into(), reason: reason.into() }
    }
}

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

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(self.body())).into_response()
    }
}

/// Why the fake could not start or load its inputs.
#[derive(Debug, thiserror::Error)]
pub enum FakeError {
    #[error("cannot bind {what} address {addr}: {source}")]
    Bind { what: &'static str, addr: std::net::SocketAddr, source: std::io::Error },
    #[error("cannot read {path}: {source}")]
    Read { path: std::path::PathBuf, source: std::io::Error },
    #[error("tokens file is neither a JSON nor a YAML list of tokens: {0}")]
    TokensFormat(String),
    #[error("tokens file entry {index}: {reason}")]
    TokenEntry { index: usize, reason: String },
    #[error("state file {path} is not valid: {reason}")]
    StateFile { path: std::path::PathBuf, reason: String },
    #[error("invalid settings: {0}")]
    Settings(String),
    #[error("cannot build the delivery HTTP client: {0}")]
    HttpClient(String),
}
