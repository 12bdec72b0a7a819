//! Event delivery: an admin call emits an event, the fake POSTs it to each active subscribed
//! webhook with Standard Webhooks headers and custom headers, retries on non-2xx, and records
//! every attempt. Signatures are checked by independent implementations: `openssl dgst -hmac`
//! (as in the Mendix doc) and the `standardwebhooks` Python package.
use std::collections::{HashMap, VecDeque};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use base64::Engine as _;
use hookwright_fake_api::mendix::{DeliverySettings, SigningKeyFormat};
use reqwest::Method;
use serde_json::{Value, json};

use crate::common::*;

#[derive(Clone, Debug)]
struct Received {
    headers: HashMap<String, String>,
    body: Vec<u8>,
}

#[derive(Clone, Default)]
struct Sink {
    got: Arc<Mutex<Vec<Received>>>,
    /// Statuses to answer, in order; 200 once exhausted.
    plan: Arc<Mutex<VecDeque<u16>>>,
}

struct Receiver {
    url: String,
    sink: Sink,
    _task: tokio::task::JoinHandle<()>,
}

impl Receiver {
    async fn start(plan: &[u16]) -> Self {
        let sink = Sink { got: Arc::default(), plan: Arc::new(Mutex::new(plan.iter().copied().collect())) };
        let app = Router::new()
            .fallback(|State(sink): State<Sink>, headers: HeaderMap, body: Bytes| async move {
                let headers = headers
                    .iter()
                    .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
                    .collect();
                sink.got.lock().expect("lock").push(Received { headers, body: body.to_vec() });
                let status = sink.plan.lock().expect("lock").pop_front().unwrap_or(200);
                StatusCode::from_u16(status).expect("status")
            })
            .with_state(sink.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}/hooks/mendix", listener.local_addr().expect("addr"));
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { url, sink, _task: task }
    }

    fn received(&self) -> Vec<Received> {
        self.sink.got.lock().expect("lock").clone()
    }

    async fn wait_for(&self, n: usize) -> Vec<Received> {
        eventually(&format!("{n} deliveries"), Duration::from_secs(10), || async {
            let got = self.received();
            (got.len() >= n).then_some(got)
        })
        .await
    }
}

fn fast_retries() -> DeliverySettings {
    DeliverySettings { max_attempts: 4, initial_backoff_ms: 10, max_backoff_ms: 50, timeout_ms: 5_000 }
}

fn hook(name: &str, url: &str, secret: &str, events: &[&str], active: bool) -> Value {
    json!({"name": name, "url": url, "eventTypes": events, "isActive": active, "validationSecret": secret,
           "headers": [{"key": "X-Team", "value": "team-a"}, {"key": "Authorization", "value": "Bearer ci-token"}]})
}

/// `openssl dgst -sha256 -binary -hmac "$SECRET" | openssl base64`, as in the Mendix doc.
fn openssl_signature(secret: &str, id: &str, ts: &str, body: &[u8]) -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("signed");
    let mut content = format!("{id}.{ts}.").into_bytes();
    content.extend_from_slice(body);
    std::fs::write(&file, content).expect("write");
    let out = Command::new("sh")
        .arg("-c")
        .arg(r#"openssl dgst -sha256 -binary -hmac "$SECRET" "$FILE" | openssl base64 -A"#)
        .env("SECRET", secret)
        .env("FILE", &file)
        .output()
        .expect("run openssl");
    assert!(out.status.success(), "openssl: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf8").trim().to_string()
}

const VERIFY_PY: &str = r#"
import json, os, sys
from standardwebhooks import Webhook, WebhookVerificationError
body = open(os.environ["BODY_FILE"], "rb").read()
headers = json.loads(os.environ["HEADERS"])
secret = os.environ["SECRET"]
wh = Webhook(secret.encode()) if os.environ["MODE"] == "raw" else Webhook(secret)
try:
    wh.verify(body, headers)
except WebhookVerificationError as e:
    print("invalid:", e)
    sys.exit(1)
print("valid")
"#;

/// Verifies with the `standardwebhooks` package. `raw`: the secret string's bytes are the key;
/// `whsec`: the package's own handling of `whsec_` secrets.
fn python_verifies(mode: &str, secret: &str, r: &Received) -> bool {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("body");
    std::fs::write(&file, &r.body).expect("write");
    let headers: HashMap<&str, &str> = ["webhook-id", "webhook-timestamp", "webhook-signature"]
        .iter()
        .map(|h| (*h, r.headers.get(*h).map(String::as_str).unwrap_or("")))
        .collect();
    let out = Command::new(venv().join("bin/python"))
        .arg("-c")
        .arg(VERIFY_PY)
        .env("BODY_FILE", &file)
        .env("HEADERS", serde_json::to_string(&headers).expect("json"))
        .env("SECRET", secret)
        .env("MODE", mode)
        .output()
        .expect("run python");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success() || stdout.starts_with("invalid"),
        "python failed: {stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.status.success()
}

async fn emit(fx: &Fx, app: &str, event: &str) -> Value {
    let r = fx.admin(Method::POST, "/events", Some(&json!({"appId": app, "eventType": event}))).await;
    assert_eq!(r.status, 202, "{}", r.text);
    r.json()
}

async fn attempts(fx: &Fx) -> Vec<Value> {
    fx.admin(Method::GET, "/deliveries", None).await.json()["deliveries"].as_array().cloned().expect("deliveries")
}

#[tokio::test]
async fn delivery_is_signed_with_the_raw_secret_by_default() {
    let fx = Fx::with(|c| c.delivery = fast_retries()).await;
    let rx = Receiver::start(&[]).await;
    let secret = "PMJhiGo1nTL6wlNyZVFh5v9rLZdcLsG2O+/=";
    let target = fx.create(APP_A, &hook("Target", &rx.url, secret, &["teamserver.push"], true)).await;
    // Not delivered: inactive, other event type, other app.
    fx.create(APP_A, &hook("Inactive", &rx.url, secret, &["teamserver.push"], false)).await;
    fx.create(APP_A, &hook("Packages only", &rx.url, secret, &["package.uploaded"], true)).await;
    fx.create(APP_B, &hook("Other app", &rx.url, secret, &["teamserver.push"], true)).await;

    let accepted = emit(&fx, APP_A, "teamserver.push").await;
    assert_eq!(accepted["webhooks"], json!([target["id"]]));
    let got = rx.wait_for(1).await;
    let d = &got[0];
    let id = &d.headers["webhook-id"];
    let ts = &d.headers["webhook-timestamp"];
    let sig = &d.headers["webhook-signature"];
    assert_eq!(id, accepted["messageId"].as_str().expect("messageId"));
    assert!(id.starts_with("msg_") && id.len() > 10, "{id}");
    let ts_num: i64 = ts.parse().expect("epoch seconds");
    assert!((ts_num - jiff::Timestamp::now().as_second()).abs() < 60);
    assert_eq!(d.headers["content-type"], "application/json");
    assert_eq!(d.headers["x-team"], "team-a", "custom headers are sent");
    assert_eq!(d.headers["authorization"], "Bearer ci-token");

    // Independent check 1: openssl with the secret string as key, as the Mendix doc does.
    let expected = openssl_signature(secret, id, ts, &d.body);
    assert_eq!(sig, &format!("v1,{expected}"));
    // Independent check 2: the standardwebhooks package with the same raw key.
    assert!(python_verifies("raw", secret, d));
    // ...which does reject a tampered body, so the check is not vacuous.
    let mut tampered = d.clone();
    tampered.body.push(b' ');
    assert!(!python_verifies("raw", secret, &tampered));

    // The payload has the documented teamserver.push shape for this app.
    let payload: Value = serde_json::from_slice(&d.body).expect("json body");
    assert_eq!(payload["eventType"], "teamserver.push");
    assert_eq!(payload["projectId"], APP_A);
    assert_eq!(payload["repositoryType"], "git");
    assert_eq!(payload["commits"][0]["id"], payload["after"]);
    assert_eq!(payload, accepted["payload"]);

    let log = eventually("the attempt to be logged", Duration::from_secs(5), || async {
        let a = attempts(&fx).await;
        (!a.is_empty()).then_some(a)
    })
    .await;
    assert_eq!(log.len(), 1);
    assert_eq!(log[0]["webhookId"], target["id"]);
    assert_eq!(log[0]["url"], rx.url.as_str());
    assert_eq!(log[0]["messageId"], id.as_str());
    assert_eq!(log[0]["attempt"], 1);
    assert_eq!(log[0]["status"], 200);
    assert_eq!(log[0]["final"], true);
    assert_eq!(rx.received().len(), 1, "nothing else was delivered");
}

#[tokio::test]
async fn whsec_signing_verifies_with_standard_webhooks() {
    let fx = Fx::with(|c| {
        c.delivery = fast_retries();
        c.signing_key_format = SigningKeyFormat::Whsec;
    })
    .await;
    let rx = Receiver::start(&[]).await;
    let key: [u8; 32] = rand::random();
    let secret = format!("whsec_{}", base64::engine::general_purpose::STANDARD.encode(key));
    fx.create(APP_A, &hook("Std", &rx.url, &secret, &["package.uploaded"], true)).await;
    emit(&fx, APP_A, "package.uploaded").await;
    let got = rx.wait_for(1).await;
    assert!(python_verifies("whsec", &secret, &got[0]), "standardwebhooks accepts the whsec signature");
    assert!(!python_verifies("raw", &secret, &got[0]), "and it is not the raw-key signature");
    let payload: Value = serde_json::from_slice(&got[0].body).expect("json");
    for k in ["eventType", "modelVersion", "name", "projectId", "runtimeVersion", "uploadTime", "uploaderId"] {
        assert!(payload.get(k).is_some(), "package.uploaded payload has {k}");
    }
}

#[tokio::test]
async fn non_2xx_answers_are_retried_with_the_same_message_id() {
    let fx = Fx::with(|c| c.delivery = fast_retries()).await;
    let rx = Receiver::start(&[500, 503]).await;
    let secret = "a".repeat(40);
    let created = fx.create(APP_A, &hook("Flaky", &rx.url, &secret, &["teamserver.push"], true)).await;
    emit(&fx, APP_A, "teamserver.push").await;
    let got = rx.wait_for(3).await;
    let ids: Vec<&String> = got.iter().map(|r| &r.headers["webhook-id"]).collect();
    assert!(ids.iter().all(|i| *i == ids[0]), "one message, one id across retries");
    for r in &got {
        assert!(python_verifies("raw", &secret, r), "every attempt is signed");
    }
    let log = eventually("three logged attempts", Duration::from_secs(5), || async {
        let a = attempts(&fx).await;
        (a.len() >= 3).then_some(a)
    })
    .await;
    let summary: Vec<(u64, u64, bool)> = log
        .iter()
        .map(|a| (a["attempt"].as_u64().expect("n"), a["status"].as_u64().expect("status"), a["final"] == true))
        .collect();
    assert_eq!(summary, [(1, 500, false), (2, 503, false), (3, 200, true)]);
    assert!(log.iter().all(|a| a["webhookId"] == created["id"] && a["error"].is_null()));
}

#[tokio::test]
async fn retries_are_bounded_and_transport_errors_are_recorded() {
    let fx = Fx::with(|c| c.delivery = DeliverySettings { max_attempts: 3, ..fast_retries() }).await;
    let rx = Receiver::start(&[500; 10]).await;
    fx.create(APP_A, &hook("Down", &rx.url, &"b".repeat(32), &["teamserver.push"], true)).await;
    // A port with nothing listening: connection refused.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr");
    fx.create(APP_B, &hook("Gone", &format!("http://{closed}/x"), &"c".repeat(32), &["teamserver.push"], true)).await;
    emit(&fx, APP_A, "teamserver.push").await;
    emit(&fx, APP_B, "teamserver.push").await;
    let log = eventually("both messages to end", Duration::from_secs(10), || async {
        let a = attempts(&fx).await;
        (a.iter().filter(|a| a["final"] == true).count() == 2).then_some(a)
    })
    .await;
    let down: Vec<&Value> = log.iter().filter(|a| a["url"] == rx.url.as_str()).collect();
    assert_eq!(down.len(), 3, "max_attempts bounds the retries");
    assert!(down.iter().all(|a| a["status"] == 500));
    let gone: Vec<&Value> = log.iter().filter(|a| a["url"] != rx.url.as_str()).collect();
    assert_eq!(gone.len(), 3);
    assert!(gone.iter().all(|a| a["status"].is_null() && a["error"] == "connection failed"), "{gone:?}");
    assert_eq!(rx.received().len(), 3);
    assert_eq!(fx.admin(Method::DELETE, "/deliveries", None).await.status, 204);
    assert!(attempts(&fx).await.is_empty());
}

#[tokio::test]
async fn event_requests_are_validated() {
    let fx = Fx::start().await;
    let r = fx.admin(Method::POST, "/events", Some(&json!({"appId": APP_A, "eventType": "alerts.fired"}))).await;
    assert_eq!(r.error(400), ["eventType"]);
    fx.admin(Method::POST, "/events", Some(&json!({"appId": "nope", "eventType": "teamserver.push"}))).await.error(400);
    // A custom payload makes any type deliverable; no subscriber means no delivery.
    let r = fx
        .admin(
            Method::POST,
            "/events",
            Some(&json!({"appId": APP_A, "eventType": "alerts.fired", "payload": {"x": 1}})),
        )
        .await;
    assert_eq!(r.status, 202);
    assert_eq!(r.json()["webhooks"], json!([]));
}
