//! Shared fixtures: a fake on 127.0.0.1 with a known set of tokens and apps (and, from
//! `support/http.rs`, an HTTP client, answers, a bounded poll helper and the binary).
#![allow(dead_code)]

use hookwright_fake_api::mendix::{FakeConfig, FakeServer, TokenEntry};
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

pub use crate::support::*;

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

/// The Mendix error body.
pub trait MendixError {
    fn error(&self, code: u16) -> Vec<String>;
}

impl MendixError for Resp {
    /// Asserts the documented error body and returns the `invalid-params` names.
    fn error(&self, code: u16) -> Vec<String> {
        self.error_fields(code, "/error/code", "/error/message", "/error/invalid-params", "name")
    }
}

pub type Fx = crate::support::Fx<FakeServer>;

impl Fx {
    pub async fn start() -> Self {
        Self::with(|_| {}).await
    }

    pub async fn with(f: impl FnOnce(&mut FakeConfig)) -> Self {
        let mut config = FakeConfig { tokens: tokens(), ..FakeConfig::default() };
        f(&mut config);
        Self::new(FakeServer::start(config).await.expect("fake starts"))
    }

    /// `path` is relative to `/api/v1`, e.g. `/apps/{app}/webhooks`.
    pub async fn api(&self, method: Method, path: &str, token: Option<&str>, body: Option<&Value>) -> Resp {
        self.call(method, path, token.map(|t| format!("MxToken {t}")), body).await
    }

    /// Creates a webhook with the read-write token and returns the answer body.
    pub async fn create(&self, app: &str, body: &Value) -> Value {
        let r = self.api(Method::POST, &format!("/apps/{app}/webhooks"), Some(RW), Some(body)).await;
        assert_eq!(r.status, 200, "create: {}", r.text);
        r.json()
    }
}
