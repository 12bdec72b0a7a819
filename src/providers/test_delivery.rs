//! Test delivery: on `hookwright.dev/test-delivery-requested-at`, POST one signed sample event
//! (the payload shapes of the Mendix docs) with the webhook's secret and custom headers to its
//! URL — what the portal's "Test Webhook" button does — and report the result in the
//! `Delivered` condition. Off unless the operator runs with `--enable-test-delivery`.
use std::time::Duration;

use secrecy::ExposeSecret;

use crate::providers::DesiredWebhook;
use crate::signature::{SigningKey, new_message_id, signed_headers, unix_now};

/// How long one test delivery may take.
const TIMEOUT: Duration = Duration::from_secs(10);

/// Outcome of one delivery, ready for the `Delivered` condition.
#[derive(Debug, PartialEq, Eq)]
pub struct Delivery {
    pub ok: bool,
    pub reason: &'static str,
    pub message: String,
}

/// A sample event of `event_type` for `app_id`, shaped like Mendix's deliveries.
pub fn sample_payload(event_type: &str, app_id: &str) -> serde_json::Value {
    match event_type {
        "teamserver.push" => serde_json::json!({
            "after": "4b76061182bf183281b5107cd753c6071ed00040",
            "before": "0b9cb7a3e9a5ccfffa6c79435441999543ccb8c9",
            "branchName": "main",
            "commits": [{
                "authorDate": "2022-12-08T16:15:52+01:00",
                "authorEmail": "hookwright-test@example.com",
                "authorName": "hookwright test delivery",
                "id": "4b76061182bf183281b5107cd753c6071ed00040",
                "mendixVersion": "10.0.0.0",
                "message": "hookwright test delivery",
                "relatedStories": []
            }],
            "eventType": "teamserver.push",
            "projectId": app_id,
            "repositoryType": "git"
        }),
        other => serde_json::json!({
            "eventType": if other == "package.uploaded" { "package.uploaded" } else { other },
            "modelVersion": "0.0.1.hookwright",
            "name": "main-0.0.1.hookwright-test.mda",
            "projectId": app_id,
            "runtimeVersion": "10.0.0.0",
            "uploadTime": jiff::Timestamp::now().to_string(),
            "uploaderId": "00000000-0000-0000-0000-000000000000"
        }),
    }
}

/// The receiver's scheme and host, never the path or query (which may carry tokens).
pub fn describe_target(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(u) => format!("{}://{}", u.scheme(), u.host_str().unwrap_or("?")),
        Err(_) => "the webhook URL".into(),
    }
}

/// Sends one signed sample event of the webhook's first event type.
pub async fn deliver(http: &reqwest::Client, desired: &DesiredWebhook, app_id: &str) -> Delivery {
    let event_type = desired.event_types.first().map(String::as_str).unwrap_or("package.uploaded");
    let body = sample_payload(event_type, app_id).to_string();
    let target = describe_target(&desired.url);
    let Some(secret) = &desired.validation_secret else {
        return Delivery {
            ok: false,
            reason: "TestDeliveryUnsupported",
            message: "test deliveries are signed with the validation secret; this provider has none".into(),
        };
    };
    let key = match SigningKey::raw(secret.expose_secret()) {
        Ok(k) => k,
        Err(_) => {
            return Delivery {
                ok: false,
                reason: "DeliveryFailed",
                message: "the validation secret cannot be used as a key".into(),
            };
        }
    };
    let id = new_message_id();
    let signed = signed_headers(&[key], &id, unix_now(), body.as_bytes());
    let mut req = http.post(&desired.url).timeout(TIMEOUT).header("content-type", "application/json");
    for (name, value) in signed.pairs() {
        req = req.header(name, value);
    }
    for h in &desired.headers {
        req = req.header(h.name.as_str(), h.value.expose_secret());
    }
    match req.body(body).send().await {
        Ok(resp) if resp.status().is_success() => Delivery {
            ok: true,
            reason: "Delivered",
            message: format!("test event {id} ({event_type}) delivered to {target}: HTTP {}", resp.status().as_u16()),
        },
        Ok(resp) => Delivery {
            ok: false,
            reason: "DeliveryRejected",
            message: format!("test event {id} ({event_type}) to {target} answered HTTP {}", resp.status().as_u16()),
        },
        Err(e) => Delivery {
            ok: false,
            reason: "DeliveryFailed",
            message: format!(
                "test event {id} ({event_type}) to {target} failed: {}",
                if e.is_timeout() {
                    "timed out"
                } else if e.is_connect() {
                    "could not connect"
                } else {
                    "transport error"
                }
            ),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_follow_the_documented_shapes() {
        let p = sample_payload("package.uploaded", "app");
        for k in ["eventType", "modelVersion", "name", "projectId", "runtimeVersion", "uploadTime", "uploaderId"] {
            assert!(p.get(k).is_some(), "{k}");
        }
        let p = sample_payload("teamserver.push", "app");
        assert_eq!(p["eventType"], "teamserver.push");
        assert_eq!(p["projectId"], "app");
        assert!(p["commits"][0]["relatedStories"].is_array());
    }

    #[test]
    fn target_hides_path_and_query() {
        assert_eq!(describe_target("https://ci.example.com/hooks?token=abc"), "https://ci.example.com");
    }
}
