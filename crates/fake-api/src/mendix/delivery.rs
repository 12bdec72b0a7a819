//! Signed event delivery, as Mendix sends it to a webhook's URL.
//!
//! Each delivery is a `POST` with `content-type: application/json`, `webhook-id` (`msg_...`,
//! the same for every retry of one message), `webhook-timestamp` (epoch seconds of the attempt),
//! `webhook-signature: v1,<base64 HMAC-SHA256 over "{id}.{timestamp}.{body}">` and the webhook's
//! custom headers. Non-2xx answers and transport errors are retried with exponential backoff up
//! to a bounded number of attempts. Every attempt is recorded.
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_PAD_INDIFFERENT};
use hmac::{Hmac, KeyInit, Mac};
use rand::RngExt;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::Sha256;
use tokio::sync::watch;
use uuid::Uuid;

use super::lock;
use super::model::Header;

pub const EVENT_PACKAGE_UPLOADED: &str = "package.uploaded";
pub const EVENT_TEAMSERVER_PUSH: &str = "teamserver.push";

/// How the validation secret becomes the HMAC key.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SigningKeyFormat {
    /// The secret string's bytes are the key, as in the Mendix doc's `openssl dgst -hmac "$SECRET"`.
    #[default]
    Raw,
    /// Standard Webhooks: drop a `whsec_` prefix and base64-decode the rest.
    Whsec,
}

impl FromStr for SigningKeyFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "raw" => Ok(Self::Raw),
            "whsec" => Ok(Self::Whsec),
            _ => Err(format!("unknown signing key format {s:?} (expected raw or whsec)")),
        }
    }
}

#[derive(Clone, Debug, thiserror::Error, PartialEq, Eq)]
pub enum SigningError {
    #[error("the validation secret is not valid base64 after the whsec_ prefix")]
    NotBase64,
    #[error("the validation secret decodes to an empty key")]
    EmptyKey,
    #[error("the HMAC key was refused")]
    KeyRefused,
}

/// The HMAC key for `secret` under `format`.
pub fn signing_key(secret: &str, format: SigningKeyFormat) -> Result<Vec<u8>, SigningError> {
    let key = match format {
        SigningKeyFormat::Raw => secret.as_bytes().to_vec(),
        SigningKeyFormat::Whsec => {
            let b64 = secret.strip_prefix("whsec_").unwrap_or(secret);
            STANDARD_PAD_INDIFFERENT.decode(b64).map_err(|_| SigningError::NotBase64)?
        }
    };
    if key.is_empty() { Err(SigningError::EmptyKey) } else { Ok(key) }
}

/// `v1,<base64 HMAC-SHA256(key, "{msg_id}.{timestamp}.{body}")>`.
pub fn sign(key: &[u8], msg_id: &str, timestamp: i64, body: &[u8]) -> Result<String, SigningError> {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).map_err(|_| SigningError::KeyRefused)?;
    mac.update(msg_id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    Ok(format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes())))
}

fn random_hex(len: usize) -> String {
    const HEX: &[u8] = b"0123456789abcdef";
    let mut rng = rand::rng();
    (0..len).filter_map(|_| HEX.get(rng.random_range(0..HEX.len())).map(|b| char::from(*b))).collect()
}

/// A sample payload of the documented shape (seed 002) for `app`, or None for other types.
pub fn sample_payload(event_type: &str, app: &Uuid) -> Option<Value> {
    let now = jiff::Timestamp::now();
    match event_type {
        EVENT_PACKAGE_UPLOADED => {
            let version = format!("1.0.{}.{}", rand::rng().random_range(1..1000u32), random_hex(8));
            Some(json!({
                "eventType": EVENT_PACKAGE_UPLOADED,
                "modelVersion": version,
                "name": format!("main-{version}.mda"),
                "projectId": app.to_string(),
                "runtimeVersion": "10.18.0.54340",
                "uploadTime": now.to_string(),
                "uploaderId": Uuid::new_v4().to_string(),
            }))
        }
        EVENT_TEAMSERVER_PUSH => {
            let after = random_hex(40);
            Some(json!({
                "after": after,
                "before": random_hex(40),
                "branchName": "main",
                "commits": [{
                    "authorDate": now.strftime("%Y-%m-%dT%H:%M:%S+00:00").to_string(),
                    "authorEmail": "developer@example.com",
                    "authorName": "Fake Developer",
                    "id": after,
                    "mendixVersion": "10.18.0.54340",
                    "message": "Commit the changes",
                    "relatedStories": [{"id": "MS-1234"}],
                }],
                "eventType": EVENT_TEAMSERVER_PUSH,
                "projectId": app.to_string(),
                "repositoryType": "git",
            }))
        }
        _ => None,
    }
}

/// Retry and timeout policy for deliveries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeliverySettings {
    /// Attempts per message, including the first (at least 1).
    pub max_attempts: u32,
    /// Wait before the second attempt; doubles after each failure.
    pub initial_backoff_ms: u64,
    pub max_backoff_ms: u64,
    /// Per-attempt timeout.
    pub timeout_ms: u64,
}

impl Default for DeliverySettings {
    fn default() -> Self {
        Self { max_attempts: 5, initial_backoff_ms: 1_000, max_backoff_ms: 60_000, timeout_ms: 10_000 }
    }
}

impl DeliverySettings {
    pub fn backoff(&self, failed_attempt: u32) -> Duration {
        let factor = 1u64.checked_shl(failed_attempt.saturating_sub(1)).unwrap_or(u64::MAX);
        Duration::from_millis(self.initial_backoff_ms.saturating_mul(factor).min(self.max_backoff_ms))
    }
}

/// One attempt as the admin API shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryAttempt {
    pub webhook_id: String,
    #[serde(with = "super::uuid_serde")]
    pub app_id: Uuid,
    pub url: String,
    pub event_type: String,
    pub message_id: String,
    pub attempt: u32,
    /// HTTP status of the answer, absent when the request failed.
    pub status: Option<u16>,
    /// Why the attempt failed without an HTTP status (no secrets, no bodies).
    pub error: Option<String>,
    /// Epoch seconds, as sent in `webhook-timestamp`.
    pub timestamp: i64,
    /// Whether this attempt ended the message (success or attempts exhausted).
    #[serde(rename = "final")]
    pub is_final: bool,
}

/// One message to one webhook.
#[derive(Clone, Debug)]
pub struct Job {
    pub app_id: Uuid,
    pub webhook_id: String,
    pub url: String,
    pub secret: String,
    pub headers: Vec<Header>,
    pub event_type: String,
    pub message_id: String,
    pub body: Vec<u8>,
}

pub type AttemptLog = Arc<Mutex<Vec<DeliveryAttempt>>>;

/// Upper bound of the kept attempt log; the oldest entries go first.
pub const MAX_LOGGED_ATTEMPTS: usize = 10_000;

fn classify(err: &reqwest::Error) -> String {
    if err.is_timeout() {
        "timeout".into()
    } else if err.is_connect() {
        "connection failed".into()
    } else if err.is_builder() {
        "invalid request (url or header)".into()
    } else {
        "request failed".into()
    }
}

fn build_request(client: &reqwest::Client, job: &Job, signature: &str, timestamp: i64) -> reqwest::RequestBuilder {
    let mut req = client.post(&job.url);
    for h in &job.headers {
        let name = reqwest::header::HeaderName::from_bytes(h.key.as_bytes());
        let value = reqwest::header::HeaderValue::from_str(&h.value);
        // Custom headers that are not valid HTTP are skipped, as no client could send them.
        if let (Ok(name), Ok(value)) = (name, value) {
            req = req.header(name, value);
        }
    }
    req.header("content-type", "application/json")
        .header("webhook-id", &job.message_id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
        .header("user-agent", concat!("hookwright-fake-api/", env!("CARGO_PKG_VERSION")))
        .body(job.body.clone())
}

/// Sends `job` until a 2xx answer or `settings.max_attempts`, recording each attempt.
pub async fn run(
    client: reqwest::Client,
    job: Job,
    settings: DeliverySettings,
    format: SigningKeyFormat,
    log: AttemptLog,
    mut shutdown: watch::Receiver<bool>,
) {
    let max = settings.max_attempts.max(1);
    let key = signing_key(&job.secret, format);
    for attempt in 1..=max {
        let timestamp = jiff::Timestamp::now().as_second();
        let signature =
            key.as_deref().map_err(Clone::clone).and_then(|k| sign(k, &job.message_id, timestamp, &job.body));
        let (status, error) = match &signature {
            Err(e) => (None, Some(e.to_string())),
            Ok(signature) => {
                let req = build_request(&client, &job, signature, timestamp)
                    .timeout(Duration::from_millis(settings.timeout_ms));
                tokio::select! {
                    r = req.send() => match r {
                        Ok(resp) => (Some(resp.status().as_u16()), None),
                        Err(e) => (None, Some(classify(&e))),
                    },
                    _ = shutdown.wait_for(|s| *s) => return,
                }
            }
        };
        let ok = status.is_some_and(|s| (200..300).contains(&s));
        let is_final = ok || attempt == max || signature.is_err();
        {
            let mut log = lock(&log);
            if log.len() >= MAX_LOGGED_ATTEMPTS {
                log.remove(0);
            }
            log.push(DeliveryAttempt {
                webhook_id: job.webhook_id.clone(),
                app_id: job.app_id,
                url: job.url.clone(),
                event_type: job.event_type.clone(),
                message_id: job.message_id.clone(),
                attempt,
                status,
                error,
                timestamp,
                is_final,
            });
        }
        if is_final {
            return;
        }
        tokio::select! {
            _ = tokio::time::sleep(settings.backoff(attempt)) => {}
            _ = shutdown.wait_for(|s| *s) => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_and_whsec_keys() {
        assert_eq!(signing_key("whsec_abc", SigningKeyFormat::Raw).expect("raw"), b"whsec_abc");
        assert_eq!(signing_key("whsec_aGVsbG8=", SigningKeyFormat::Whsec).expect("whsec"), b"hello");
        assert_eq!(signing_key("whsec_aGVsbG8", SigningKeyFormat::Whsec).expect("unpadded"), b"hello");
        assert_eq!(signing_key("whsec_a=b=", SigningKeyFormat::Whsec), Err(SigningError::NotBase64));
    }

    #[test]
    fn signature_matches_standard_webhooks_vector() {
        // Test vector of the Standard Webhooks specification's reference libraries.
        let key = signing_key("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", SigningKeyFormat::Whsec).expect("key");
        let body = br#"{"test": 2432232314}"#;
        assert_eq!(
            sign(&key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body).as_deref(),
            Ok("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        );
    }

    #[test]
    fn backoff_doubles_and_caps() {
        let s = DeliverySettings { max_attempts: 9, initial_backoff_ms: 100, max_backoff_ms: 250, timeout_ms: 1 };
        assert_eq!(s.backoff(1), Duration::from_millis(100));
        assert_eq!(s.backoff(2), Duration::from_millis(200));
        assert_eq!(s.backoff(3), Duration::from_millis(250));
        assert_eq!(s.backoff(200), Duration::from_millis(250));
    }

    #[test]
    fn sample_payloads_have_documented_fields() {
        let app = Uuid::new_v4();
        let p = sample_payload(EVENT_PACKAGE_UPLOADED, &app).expect("package");
        for k in ["eventType", "modelVersion", "name", "projectId", "runtimeVersion", "uploadTime", "uploaderId"] {
            assert!(p.get(k).is_some(), "{k}");
        }
        let t = sample_payload(EVENT_TEAMSERVER_PUSH, &app).expect("push");
        assert_eq!(t["commits"][0]["id"], t["after"]);
        assert!(sample_payload("other", &app).is_none());
    }
}
