//! Shared fixtures: a Socotra fake on 127.0.0.1 with a known set of tokens and tenants, request
//! helpers and the error-body assertion.
#![allow(dead_code)]

use hookwright_fake_api::socotra::{FakeConfig, FakeServer, Permission, TokenEntry};
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

pub use crate::support::*;

pub const TENANT_A: &str = "0f5e1b5c-8a61-4c1e-9d7e-2b0b7f6b9a10";
pub const TENANT_B: &str = "5d1f7c2e-3b4a-4e8f-9c6d-7a8b9c0d1e2f";
/// Exists (OTHER lists it) but ALL has no access to it.
pub const TENANT_C: &str = "a3c4e5f6-0718-4293-a4b5-c6d7e8f90a1b";
/// A valid UUID that no token lists.
pub const TENANT_UNKNOWN: &str = "00000000-0000-4000-8000-000000000002";
/// A locator no webhook has.
pub const NO_SUCH: &str = "01J9Z3NDEKTSV4RRFFQ69G5FAV";

/// read, list, write on A and B.
pub const ALL: &str = "tok-all";
/// read on A.
pub const READ: &str = "tok-read";
/// read and list on A.
pub const READ_LIST: &str = "tok-read-list";
/// list on A (without read).
pub const LIST: &str = "tok-list";
/// write on A.
pub const WRITE: &str = "tok-write";
/// no permission on A.
pub const NONE: &str = "tok-none";
/// everything on C.
pub const OTHER: &str = "tok-other";

pub fn uuid(s: &str) -> Uuid {
    Uuid::parse_str(s).expect("uuid")
}

pub fn tokens() -> Vec<TokenEntry> {
    use Permission::{List, Read, Write};
    vec![
        TokenEntry::new(ALL, &Permission::ALL, &[uuid(TENANT_A), uuid(TENANT_B)]),
        TokenEntry::new(READ, &[Read], &[uuid(TENANT_A)]),
        TokenEntry::new(READ_LIST, &[Read, List], &[uuid(TENANT_A)]),
        TokenEntry::new(LIST, &[List], &[uuid(TENANT_A)]),
        TokenEntry::new(WRITE, &[Write], &[uuid(TENANT_A)]),
        TokenEntry::new(NONE, &[], &[uuid(TENANT_A)]),
        TokenEntry::new(OTHER, &Permission::ALL, &[uuid(TENANT_C)]),
    ]
}

/// A valid `CreateWebhookRequest`.
pub fn create_body(name: &str) -> Value {
    json!({
        "name": name,
        "enabled": true,
        "endpoint": {"url": "https://hooks.example.com/socotra", "headers": {"X-Api-Key": ["k1"], "X-Env": ["prod", "eu"]}},
        "failureHandling": {"triggers": ["5xx", "timeout"], "divert": true},
        "eventTypes": ["policy.issue", "invoice.issue"],
    })
}

/// An `UpdateWebhookRequest` that changes nothing of [`create_body`]'s webhook.
pub fn noop_update(name: &str) -> Value {
    json!({
        "name": name,
        "enabled": true,
        "endpoint": {"url": "https://hooks.example.com/socotra", "addHeaders": {}, "removeHeaders": []},
        "failureHandling": {},
        "removeFailureHandling": false,
        "addEventTypes": [],
        "removeEventTypes": [],
    })
}

pub fn list_path(tenant: &str) -> String {
    format!("/event/{tenant}/webhooks/list")
}

pub fn create_path(tenant: &str) -> String {
    format!("/event/{tenant}/webhooks")
}

pub fn item_path(tenant: &str, locator: &str) -> String {
    format!("/event/{tenant}/webhooks/{locator}")
}

pub fn unsuspend_path(tenant: &str, locator: &str) -> String {
    format!("/event/{tenant}/webhooks/{locator}/unsuspend")
}

/// The fake's error body.
pub trait SocotraError {
    /// Asserts the error body with `code` and returns the `details` field names.
    fn error(&self, code: u16) -> Vec<String>;
}

impl SocotraError for Resp {
    fn error(&self, code: u16) -> Vec<String> {
        self.error_fields(code, "/status", "/message", "/details", "field")
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

    /// `path` is relative to the base URL, e.g. `/event/{tenant}/webhooks`.
    pub async fn api(&self, method: Method, path: &str, token: Option<&str>, body: Option<&Value>) -> Resp {
        self.call(method, path, token.map(|t| format!("Bearer {t}")), body).await
    }

    /// Creates a webhook with the all-permissions token and returns the answer body.
    pub async fn create(&self, tenant: &str, body: &Value) -> Value {
        let r = self.api(Method::POST, &create_path(tenant), Some(ALL), Some(body)).await;
        assert_eq!(r.status, 200, "create: {}", r.text);
        r.json()
    }

    /// Creates a webhook and returns its locator.
    pub async fn create_locator(&self, tenant: &str, name: &str) -> String {
        self.create(tenant, &create_body(name)).await["locator"].as_str().expect("locator").to_string()
    }

    pub async fn get(&self, tenant: &str, locator: &str) -> Value {
        let r = self.api(Method::GET, &item_path(tenant, locator), Some(ALL), None).await;
        assert_eq!(r.status, 200, "get: {}", r.text);
        r.json()
    }

    /// PATCHes with the all-permissions token and returns the answer body.
    pub async fn patch(&self, tenant: &str, locator: &str, body: &Value) -> Value {
        let r = self.api(Method::PATCH, &item_path(tenant, locator), Some(ALL), Some(body)).await;
        assert_eq!(r.status, 200, "patch: {}", r.text);
        r.json()
    }

    /// Every stored webhook (admin dump).
    pub async fn stored(&self) -> Vec<Value> {
        self.admin(Method::GET, "/webhooks", None).await.json()["webhooks"].as_array().cloned().unwrap_or_default()
    }

    /// The request log's entries with `method`.
    pub async fn logged(&self, method: &str) -> Vec<Value> {
        let v = self.admin(Method::GET, &format!("/request-log?method={method}"), None).await.json();
        v["requests"].as_array().cloned().expect("requests")
    }
}

pub const ROUTE_CREATE: &str = "/event/{tenant}/webhooks";
pub const ROUTE_LIST: &str = "/event/{tenant}/webhooks/list";
pub const ROUTE_ITEM: &str = "/event/{tenant}/webhooks/{locator}";
pub const ROUTE_UNSUSPEND: &str = "/event/{tenant}/webhooks/{locator}/unsuspend";
