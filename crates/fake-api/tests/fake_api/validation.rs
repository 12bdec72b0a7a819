//! Each upsert validation rule of the reference: at least one accepted and one rejected value,
//! the `invalid-params` entry names the field, and no reason echoes the submitted value.
use reqwest::Method;
use serde_json::{Value, json};

use crate::common::*;

/// A marker placed in rejected values; it must never come back in an error body.
const MARK: &str = "ZQXJ";

fn with(field: &str, value: Value) -> Value {
    let mut b = body("Valid name");
    b[field] = value;
    b
}

fn without(field: &str) -> Value {
    let mut b = body("Valid name");
    b.as_object_mut().expect("object").remove(field);
    b
}

async fn accepted(fx: &Fx, what: &str, b: Value) {
    let path = format!("/apps/{APP_A}/webhooks");
    let r = fx.api(Method::POST, &path, Some(RW), Some(&b)).await;
    assert_eq!(r.status, 200, "{what} should be accepted: {}", r.text);
    // PUT takes the same body.
    let id = r.json()["id"].as_str().expect("id").to_string();
    let r = fx.api(Method::PUT, &format!("{path}/{id}"), Some(RW), Some(&b)).await;
    assert_eq!(r.status, 202, "{what} should be accepted by PUT: {}", r.text);
}

async fn rejected(fx: &Fx, what: &str, b: Value, field: &str) {
    let path = format!("/apps/{APP_A}/webhooks");
    let before = fx.admin(Method::GET, "/webhooks", None).await.json()["webhooks"].as_array().map(Vec::len);
    let r = fx.api(Method::POST, &path, Some(RW), Some(&b)).await;
    let names = r.error(400);
    assert!(names.iter().any(|n| n == field), "{what}: expected invalid-params {field}, got {names:?}");
    assert_eq!(r.json()["error"]["message"], "Request validation errors");
    assert!(!r.text.contains(MARK), "{what}: error echoes the submitted value: {}", r.text);
    let after = fx.admin(Method::GET, "/webhooks", None).await.json()["webhooks"].as_array().map(Vec::len);
    assert_eq!(before, after, "{what}: nothing stored");
}

#[tokio::test]
async fn name_rule() {
    let fx = Fx::start().await;
    for ok in ["a", "Build notifier_1", "  spaces  ", "ALL_CAPS_123"] {
        accepted(&fx, &format!("name {ok:?}"), with("name", json!(ok))).await;
    }
    for bad in [format!("{MARK}-dash"), format!("{MARK}!"), format!("{MARK}.dot"), format!("ünï{MARK}"), String::new()]
    {
        rejected(&fx, &format!("name {bad:?}"), with("name", json!(bad)), "name").await;
    }
    rejected(&fx, "name missing", without("name"), "name").await;
    rejected(&fx, "name not a string", with("name", json!(42)), "name").await;
}

#[tokio::test]
async fn url_rule() {
    let fx = Fx::start().await;
    accepted(&fx, "url of 1 char", with("url", json!("x"))).await;
    accepted(&fx, "url of 65536 chars", with("url", json!(format!("https://e.com/{}", "a".repeat(65536 - 14))))).await;
    rejected(&fx, "empty url", with("url", json!("")), "url").await;
    rejected(
        &fx,
        "url of 65537 chars",
        with("url", json!(format!("https://{MARK}.com/{}", "a".repeat(65537 - 17)))),
        "url",
    )
    .await;
    rejected(&fx, "url missing", without("url"), "url").await;
    rejected(&fx, "url not a string", with("url", json!(["x"])), "url").await;
}

#[tokio::test]
async fn validation_secret_rule() {
    let fx = Fx::start().await;
    for ok in [
        "a".repeat(32),
        "A1+/=".repeat(20),
        format!("whsec_{}", "Zz09".repeat(8)),
        "PMJhiGo1nTL6wlNyZVFh5v9rLZdcLsG2O".into(),
    ] {
        accepted(&fx, &format!("secret of {} chars", ok.len()), with("validationSecret", json!(ok))).await;
    }
    for bad in [
        format!("{MARK}{}", "a".repeat(27)),       // 31 chars
        format!("{MARK}{}", "a".repeat(97)),       // 101 chars
        format!("{MARK}-{}", "a".repeat(40)),      // '-' not allowed
        format!("whsec{MARK}_{}", "a".repeat(32)), // '_' only in the prefix
        format!("WHSEC_{MARK}{}", "a".repeat(28)), // prefix is case-sensitive
        String::new(),
    ] {
        rejected(&fx, &format!("secret {bad:?}"), with("validationSecret", json!(bad)), "validationSecret").await;
    }
    rejected(&fx, "secret missing (the API requires it)", without("validationSecret"), "validationSecret").await;
    rejected(&fx, "secret null", with("validationSecret", Value::Null), "validationSecret").await;
}

#[tokio::test]
async fn event_types_rule() {
    let fx = Fx::start().await;
    accepted(&fx, "both documented types", with("eventTypes", json!(["package.uploaded", "teamserver.push"]))).await;
    accepted(&fx, "empty list", with("eventTypes", json!([]))).await;
    accepted(&fx, "unknown type (the API's call)", with("eventTypes", json!(["alerts.triggered"]))).await;
    rejected(&fx, "a string, not a list", with("eventTypes", json!(format!("{MARK}.push"))), "eventTypes").await;
    rejected(&fx, "a non-string item", with("eventTypes", json!(["teamserver.push", 7])), "eventTypes[1]").await;
    rejected(&fx, "eventTypes missing", without("eventTypes"), "eventTypes").await;
}

#[tokio::test]
async fn is_active_rule() {
    let fx = Fx::start().await;
    accepted(&fx, "isActive false", with("isActive", json!(false))).await;
    accepted(&fx, "isActive true", with("isActive", json!(true))).await;
    rejected(&fx, "isActive as string", with("isActive", json!("true")), "isActive").await;
    rejected(&fx, "isActive missing", without("isActive"), "isActive").await;
}

#[tokio::test]
async fn headers_rule() {
    let fx = Fx::start().await;
    accepted(&fx, "headers absent", without("headers")).await;
    accepted(&fx, "headers empty", with("headers", json!([]))).await;
    for ok in ["Authorization", "X-Team", "x-amz", "X-Amzn", "x-goo", "svix", "content", "tee", "x-fd", "webhook-extra"]
    {
        accepted(&fx, &format!("header key {ok}"), with("headers", json!([{"key": ok, "value": "v"}]))).await;
    }
    let denied_prefixes =
        ["x-amz-", "x-amzn-", "x-google", "x-goog-", "x-gfe", "x-azure-", "x-fd-", "x-svix-", "svix-"];
    let denied_keys = [
        "user-agent",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailers",
        "transfer-encoding",
        "upgrade",
        "age",
        "cache-control",
        "clear-site-data",
        "expires",
        "pragma",
        "warning",
        "content-length",
        "content-type",
        "content-encoding",
        "content-language",
        "content-location",
    ];
    for p in denied_prefixes {
        // Mixed case: the comparison is case-insensitive.
        let key = format!("{}{MARK}", p.to_uppercase());
        let b = with("headers", json!([{"key": "Ok", "value": "v"}, {"key": key, "value": MARK}]));
        rejected(&fx, &format!("header prefix {p}"), b, "headers[1].key").await;
    }
    for k in denied_keys {
        let key: String =
            k.chars().enumerate().map(|(i, c)| if i % 2 == 0 { c.to_ascii_uppercase() } else { c }).collect();
        rejected(
            &fx,
            &format!("header key {k}"),
            with("headers", json!([{"key": key, "value": MARK}])),
            "headers[0].key",
        )
        .await;
    }
    rejected(&fx, "header without value", with("headers", json!([{"key": "X-A"}])), "headers[0].value").await;
    rejected(&fx, "header without key", with("headers", json!([{"value": MARK}])), "headers[0].key").await;
    rejected(
        &fx,
        "header value not a string",
        with("headers", json!([{"key": "X-A", "value": 1}])),
        "headers[0].value",
    )
    .await;
    rejected(&fx, "headers not a list", with("headers", json!({"key": "X-A", "value": MARK})), "headers").await;
    rejected(&fx, "headers null", with("headers", Value::Null), "headers").await;
}

#[tokio::test]
async fn body_must_be_a_json_object() {
    let fx = Fx::start().await;
    let path = fx.url(&format!("/apps/{APP_A}/webhooks"));
    for raw in [format!("{{\"name\": \"{MARK}\""), format!("[\"{MARK}\"]"), String::new(), "null".into()] {
        let r = fx
            .send(
                fx.http
                    .post(&path)
                    .header("authorization", format!("MxToken {RW}"))
                    .header("content-type", "application/json")
                    .body(raw.clone()),
            )
            .await;
        assert_eq!(r.error(400), ["body"], "{raw:?}");
        assert!(!r.text.contains(MARK));
    }
    // Every violation is reported at once.
    let r = fx.api(Method::POST, &format!("/apps/{APP_A}/webhooks"), Some(RW), Some(&json!({}))).await;
    let mut names = r.error(400);
    names.sort();
    assert_eq!(names, ["eventTypes", "isActive", "name", "url", "validationSecret"]);
}

#[tokio::test]
async fn put_validates_like_post() {
    let fx = Fx::start().await;
    let created = fx.create(APP_A, &body("x")).await;
    let id = created["id"].as_str().expect("id");
    let path = format!("/apps/{APP_A}/webhooks/{id}");
    let r = fx.api(Method::PUT, &path, Some(RW), Some(&with("validationSecret", json!(MARK)))).await;
    assert_eq!(r.error(400), ["validationSecret"]);
    assert!(!r.text.contains(MARK));
    let r = fx.api(Method::PUT, &path, Some(RW), Some(&without("isActive"))).await;
    assert_eq!(r.error(400), ["isActive"]);
    assert_eq!(fx.api(Method::GET, &path, Some(RW), None).await.json(), created, "unchanged after rejected PUTs");
}
