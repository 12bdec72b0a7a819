//! Reconcile errors, one variant per step that can fail. Each maps to a stable condition
//! reason; messages name the object or field at fault and never contain secret values.
use std::time::{Duration, SystemTime};

use crate::providers::{ApiError, NoTarget, Unsupported};
use crate::secrets::SecretError;

#[derive(Debug, thiserror::Error)]
pub enum ReconcileError {
    #[error("{kind} {name:?} not found{}", in_ns(.namespace))]
    ProviderNotFound { kind: &'static str, name: String, namespace: Option<String> },
    #[error(transparent)]
    ProviderUnsupported(#[from] Unsupported),
    #[error(transparent)]
    NoTarget(#[from] NoTarget),
    /// A referenced Secret or key is missing, or its value is not text (`secrets.rs`).
    #[error(transparent)]
    Secret(SecretError),
    #[error("Secret {namespace}/{name} key {key:?} is not usable as {purpose}: {problem}")]
    SecretValueRejected { namespace: String, name: String, key: String, purpose: &'static str, problem: &'static str },
    #[error(
        "remote webhook {id} named by the hookwright.dev/external-id annotation belongs to Webhook {owner}: remove the annotation to get a webhook of this object's own, or delete {owner} with deletionPolicy: Orphan to hand the webhook over"
    )]
    AdoptionConflict { id: String, owner: String },
    /// The object changed since the view a decision was made from (a precondition failed).
    #[error("the Webhook changed while it was being reconciled; trying again")]
    StaleView,
    #[error("provider call failed: {0}")]
    Api(#[from] ApiError),
    #[error("Kubernetes API call failed: {0}")]
    Kube(#[from] kube::Error),
    /// The cached object could not be read back (`cached.rs`); the message names the position
    /// in the JSON, never its content.
    #[error("the cached Webhook could not be read back: {0}")]
    Unpack(#[source] super::cached::UnpackError),
}

impl From<SecretError> for ReconcileError {
    /// A Kubernetes failure while reading a Secret is a Kubernetes failure like any other.
    fn from(e: SecretError) -> Self {
        match e {
            SecretError::Kube(e) => ReconcileError::Kube(e),
            other => ReconcileError::Secret(other),
        }
    }
}

fn in_ns(ns: &Option<String>) -> String {
    ns.as_ref().map(|n| format!(" in namespace {n}")).unwrap_or_default()
}

impl ReconcileError {
    /// The stable CamelCase reason shown in the `Synced` condition and in Events.
    pub fn reason(&self) -> &'static str {
        match self {
            ReconcileError::ProviderNotFound { .. } | ReconcileError::ProviderUnsupported(_) => "ProviderNotReady",
            ReconcileError::NoTarget(_) => "InvalidSpec",
            ReconcileError::Secret(SecretError::NotFound { .. } | SecretError::KeyMissing { .. }) => "SecretNotFound",
            ReconcileError::Secret(SecretError::ValueInvalid { .. }) | ReconcileError::SecretValueRejected { .. } => {
                "InvalidSecret"
            }
            ReconcileError::Secret(SecretError::Kube(_)) => "KubernetesError",
            ReconcileError::AdoptionConflict { .. } => "AdoptionConflict",
            ReconcileError::Api(e) => match e {
                ApiError::Invalid(_) => "InvalidSpec",
                ApiError::Unauthenticated | ApiError::Forbidden => "Unauthorized",
                ApiError::RateLimited { .. } => "RateLimited",
                _ => "RemoteError",
            },
            ReconcileError::Kube(_) | ReconcileError::StaleView | ReconcileError::Unpack(_) => "KubernetesError",
        }
    }

    /// When to try again: at the rate-limit reset; slowly for problems only a change of the
    /// object, a Secret or the provider can fix (those changes trigger a reconcile by
    /// themselves); with exponential backoff for transient trouble.
    pub fn retry_after(&self, failures: u32) -> Duration {
        match self {
            ReconcileError::Api(ApiError::RateLimited { reset_at }) => {
                // After the reset, spread over a tenth of the wait (1 to 30 s), so the Webhooks
                // sharing the token do not all come back in the same instant.
                let wait = reset_at.duration_since(SystemTime::now()).unwrap_or_default();
                let spread = (wait / 10).clamp(Duration::from_secs(1), Duration::from_secs(30));
                wait + Duration::from_millis(500) + crate::backoff::full_jitter(spread)
            }
            ReconcileError::Api(ApiError::Invalid(_)) | ReconcileError::NoTarget(_) => backoff(failures, 60, 3600),
            ReconcileError::Api(e) if e.is_auth() => backoff(failures, 30, 1800),
            ReconcileError::Api(_) | ReconcileError::Kube(_) => backoff(failures, 1, 300),
            _ => backoff(failures, 10, 600),
        }
    }
}

/// `base·2^(failures-1)` seconds, capped, with ±10% jitter.
fn backoff(failures: u32, base: u64, cap: u64) -> Duration {
    let d = crate::backoff::exponential(failures, Duration::from_secs(base), Duration::from_secs(cap));
    crate::backoff::spread(d, 0.1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_spec_is_retried_slowly() {
        let e = ReconcileError::Api(ApiError::Invalid(vec![]));
        assert_eq!(e.reason(), "InvalidSpec");
        assert!(e.retry_after(1) >= Duration::from_secs(54));
    }

    /// Issue 12, hole 8: every Webhook on a token used to get a new Warning Event per window
    /// (the message carried the reset time) and all were requeued at the same instant.
    #[test]
    fn rate_limit_message_is_stable_and_requeues_are_spread() {
        let now = SystemTime::now();
        let one = ReconcileError::Api(ApiError::RateLimited { reset_at: now + Duration::from_secs(20) });
        let other = ReconcileError::Api(ApiError::RateLimited { reset_at: now + Duration::from_secs(3000) });
        assert_eq!(one.to_string(), other.to_string(), "one condition message per situation, not per window");
        let waits: std::collections::BTreeSet<Duration> = (0..50).map(|_| one.retry_after(1)).collect();
        assert!(waits.len() > 10, "requeues are spread, not all at reset + 0.5 s: {waits:?}");
        for w in &waits {
            assert!(*w >= Duration::from_secs(19) && *w <= Duration::from_secs(20 + 31), "{w:?}");
        }
    }

    #[test]
    fn rate_limit_waits_for_reset() {
        let reset_at = SystemTime::now() + Duration::from_secs(20);
        let d = ReconcileError::Api(ApiError::RateLimited { reset_at }).retry_after(1);
        assert!(d >= Duration::from_secs(19) && d <= Duration::from_secs(23), "{d:?}");
    }

    #[test]
    fn messages_name_the_secret_not_its_value() {
        let e = ReconcileError::from(SecretError::KeyMissing {
            namespace: "a".into(),
            name: "s".into(),
            key: "k".into(),
            purpose: "validation secret",
        });
        assert_eq!(e.to_string(), "Secret a/s has no key \"k\" (validation secret)");
        assert_eq!(e.reason(), "SecretNotFound");
    }
}
