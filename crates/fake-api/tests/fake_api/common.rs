//! Shared fixtures: a fake on 127.0.0.1 with a known set of tokens and apps, an HTTP client,
//! and a bounded poll helper (no sleeps as synchronisation).
#![allow(dead_code)]

use std::future::Future;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use hookwright_fake_api::mendix::{FakeConfig, FakeServer, TokenEntry};
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

pub const APP_A: &str = "76ef1b0f-4050-4810-a159-cb419268636c";
pub const APP_B: &str = "80a28d6e-c5fc-43d9-87c2-d7d56b07542e";
/// Exists (pat-other lists it) but pat-rw has no access to it.
pub const APP_C: &str = "9bcd62a6-9c19-4c7f-a5ae-49182c67f80f";
/// A valid UUID that no token lists.
pub const APP_UNKNOWN: &str = "00000000-0000-4000-8000-000000000001";

pub const RW: &str = "pat-rw";
pub const RO: &str = "pat-ro";
pub const NOSCOPE: &str = "pat-noscope";
pub const OTHER: &str = "pat-other";

pub const READ: &str = "mx:webhook:read";
pub const WRITE: &str = "mx:webhook:write";

pub const SECRET: &str = "PMJhiGo1nTL6wlNyZVFh5v9rLZdcLsG2O";

pub fn uuid(s: &str) -> Uuid {
    Uuid::parse_str(s).expect("uuid")
}

pub fn tokens() -> Vec<TokenEntry> {
    vec![
        TokenEntry::new(RW, &[READ, WRITE], &[uuid(APP_A), uuid(APP_B)]),
        TokenEntry::new(RO, &[READ], &[uuid(APP_A)]),
        TokenEntry::new(NOSCOPE, &[], &[uuid(APP_A)]),
        TokenEntry::new(OTHER, &[READ, WRITE], &[uuid(APP_C)]),
    ]
}

pub fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder().no_proxy().build().expect("client")
}

/// A valid upsert body.
pub fn body(name: &str) -> Value {
    json!({
        "name": name,
        "url": "https://ci.example.com/hooks/mendix",
        "eventTypes": ["package.uploaded", "teamserver.push"],
        "isActive": true,
        "validationSecret": SECRET,
        "headers": [{"key": "Authorization", "value": "Bearer abc"}],
    })
}

#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or(Value::Null)
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
    }

    /// Asserts the documented error body and returns the `invalid-params` names.
    pub fn error(&self, code: u16) -> Vec<String> {
        assert_eq!(self.status, code, "status; body: {}", self.text);
        let v = self.json();
        assert_eq!(v["error"]["code"], json!(code), "error.code; body: {}", self.text);
        assert!(v["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "error.message: {}", self.text);
        match v["error"].get("invalid-params") {
            None => vec![],
            Some(Value::Array(items)) => {
                assert!(!items.is_empty(), "invalid-params has at least one item when present");
                items
                    .iter()
                    .map(|p| {
                        assert!(p["reason"].is_string(), "reason: {}", self.text);
                        p["name"].as_str().expect("name").to_string()
                    })
                    .collect()
            }
            Some(other) => panic!("invalid-params is not an array: {other}"),
        }
    }
}

pub struct Fx {
    pub server: FakeServer,
    pub http: reqwest::Client,
}

impl Fx {
    pub async fn start() -> Self {
        Self::with(|_| {}).await
    }

    pub async fn with(f: impl FnOnce(&mut FakeConfig)) -> Self {
        let mut config = FakeConfig { tokens: tokens(), ..FakeConfig::default() };
        f(&mut config);
        let server = FakeServer::start(config).await.expect("fake starts");
        Self { server, http: http() }
    }

    /// `path` is relative to `/api/v1`, e.g. `/apps/{app}/webhooks`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.server.base_url(), path)
    }

    pub fn admin_url(&self, path: &str) -> String {
        format!("{}{}", self.server.admin_url(), path)
    }

    pub async fn send(&self, req: reqwest::RequestBuilder) -> Resp {
        let r = req.send().await.expect("request");
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let text = r.text().await.expect("body");
        Resp { status, headers, text }
    }

    pub async fn api(&self, method: Method, path: &str, token: Option<&str>, body: Option<&Value>) -> Resp {
        let mut req = self.http.request(method, self.url(path));
        if let Some(t) = token {
            req = req.header("authorization", format!("MxToken {t}"));
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        self.send(req).await
    }

    pub async fn admin(&self, method: Method, path: &str, body: Option<&Value>) -> Resp {
        let mut req = self.http.request(method, self.admin_url(path));
        if let Some(b) = body {
            req = req.json(b);
        }
        self.send(req).await
    }

    /// Creates a webhook with the read-write token and returns the answer body.
    pub async fn create(&self, app: &str, body: &Value) -> Value {
        let r = self.api(Method::POST, &format!("/apps/{app}/webhooks"), Some(RW), Some(body)).await;
        assert_eq!(r.status, 200, "create: {}", r.text);
        r.json()
    }
}

/// Polls `f` until it returns Some, every 20 ms, failing after `timeout`.
pub async fn eventually<T, F, Fut>(what: &str, timeout: Duration, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The Python venv with schemathesis and standardwebhooks (`$HOOKWRIGHT_VENV` or `tools/venv.sh`).
pub fn venv() -> PathBuf {
    static VENV: OnceLock<PathBuf> = OnceLock::new();
    VENV.get_or_init(|| {
        if let Some(v) = std::env::var_os("HOOKWRIGHT_VENV").filter(|v| !v.is_empty()) {
            return PathBuf::from(v);
        }
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tools/venv.sh");
        let out = std::process::Command::new(&script).output().expect("run tools/venv.sh");
        assert!(out.status.success(), "tools/venv.sh failed: {}", String::from_utf8_lossy(&out.stderr));
        PathBuf::from(String::from_utf8(out.stdout).expect("utf8").trim())
    })
    .clone()
}
