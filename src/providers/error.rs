//! Errors of calls to a provider API. Messages name what failed and never contain secret
//! values or raw response bodies: only the status, and Mendix's `invalid-params` names and
//! reasons (trimmed).
use std::time::SystemTime;

/// One entry of the documented `invalid-params` list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidParam {
    pub name: String,
    pub reason: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("the provider rejected the webhook as invalid (HTTP 400): {}", describe(.0))]
    Invalid(Vec<InvalidParam>),
    #[error("the provider did not accept the token (HTTP 401): it is missing, malformed or revoked")]
    Unauthenticated,
    #[error("the token lacks a required scope or access to this app (HTTP 403)")]
    Forbidden,
    #[error("not found (HTTP 404)")]
    NotFound,
    /// The message carries no reset time: one stable condition (and Event) per situation,
    /// not a new one every rate-limit window.
    #[error(
        "the token's rate limit is used up; requests resume after the provider's X-RateLimit-Reset (at most an hour)"
    )]
    RateLimited { reset_at: SystemTime },
    #[error("provider server error (HTTP {status})")]
    Server { status: u16 },
    #[error("the request timed out")]
    Timeout,
    #[error("could not reach the provider: {0}")]
    Transport(String),
    #[error("unexpected response (HTTP {status})")]
    Unexpected { status: u16 },
    #[error("the provider's response could not be decoded")]
    Decode,
    #[error("the provider's response exceeded {} MiB; the rest was not read", .limit >> 20)]
    TooLarge { limit: usize },
}

impl ApiError {
    /// Worth retrying in the same reconcile (server-side or network trouble).
    pub fn is_transient(&self) -> bool {
        matches!(self, ApiError::Server { .. } | ApiError::Timeout | ApiError::Transport(_))
    }

    /// 401/403: the credentials are at fault, not this webhook.
    pub fn is_auth(&self) -> bool {
        matches!(self, ApiError::Unauthenticated | ApiError::Forbidden)
    }
}

fn describe(params: &[InvalidParam]) -> String {
    if params.is_empty() {
        return "no field details given".into();
    }
    params.iter().map(|p| format!("{}: {}", p.name, p.reason)).collect::<Vec<_>>().join("; ")
}

/// Keeps a remote-provided string short and printable (it is shown in conditions).
pub(crate) fn trim_remote(s: &str) -> String {
    let clean: String = s.chars().filter(|c| !c.is_control()).take(160).collect();
    clean
}
