//! Validation: each rule accepted and rejected, for create and update; malformed locators;
//! the order of checks; reasons never echo values.
use reqwest::Method;
use serde_json::{Value, json};

use crate::common::*;

/// POSTs `body` and returns the status and the `details` fields.
async fn create(fx: &Fx, body: &Value) -> (u16, Vec<String>) {
    let r = fx.api(Method::POST, &create_path(TENANT_A), Some(ALL), Some(body)).await;
    let fields = if r.status == 200 { vec![] } else { r.error(r.status) };
    (r.status, fields)
}

/// PATCHes `body` onto a fresh webhook and returns the status and the `details` fields.
async fn update(fx: &Fx, body: &Value) -> (u16, Vec<String>) {
    let locator = fx.create_locator(TENANT_A, "target").await;
    let r = fx.api(Method::PATCH, &item_path(TENANT_A, &locator), Some(ALL), Some(body)).await;
    let fields = if r.status == 200 { vec![] } else { r.error(r.status) };
    (r.status, fields)
}

/// `body` with the field at `pointer` set (added if absent).
fn with(mut body: Value, pointer: &str, value: Value) -> Value {
    let (parent, key) = pointer.rsplit_once('/').expect("pointer");
    let obj =
        body.pointer_mut(parent).and_then(Value::as_object_mut).unwrap_or_else(|| panic!("{parent} is an object"));
    obj.insert(key.to_string(), value);
    body
}

fn without(mut body: Value, parent: &str, field: &str) -> Value {
    body.pointer_mut(parent).and_then(Value::as_object_mut).expect("object").remove(field);
    body
}

fn ok() -> (u16, Vec<String>) {
    (200, vec![])
}

fn bad(fields: &[&str]) -> (u16, Vec<String>) {
    (400, fields.iter().map(|f| f.to_string()).collect())
}

#[tokio::test]
async fn body_must_be_a_json_object() {
    let fx = Fx::start().await;
    let locator = fx.create_locator(TENANT_A, "t").await;
    for (method, path) in [(Method::POST, create_path(TENANT_A)), (Method::PATCH, item_path(TENANT_A, &locator))] {
        for raw in ["", "not json", "[]", "\"x\"", "null", "{"] {
            let req = fx.http.request(method.clone(), fx.url(&path)).bearer_auth(ALL).body(raw);
            let r = send(req.header("content-type", "application/json")).await;
            assert_eq!(r.error(400), ["body"], "{method} {raw:?}");
        }
    }
    assert_eq!(fx.stored().await.len(), 1, "nothing created");
}

#[tokio::test]
async fn every_create_field_is_required() {
    let fx = Fx::start().await;
    for field in ["name", "enabled", "endpoint", "failureHandling", "eventTypes"] {
        assert_eq!(create(&fx, &without(create_body("x"), "", field)).await, bad(&[field]));
    }
    for field in ["url", "headers"] {
        let want = format!("endpoint.{field}");
        assert_eq!(create(&fx, &without(create_body("x"), "/endpoint", field)).await, bad(&[&want]));
    }
    let all = create(&fx, &json!({})).await;
    assert_eq!(all, bad(&["name", "enabled", "endpoint", "failureHandling", "eventTypes"]), "all at once");
    assert!(fx.stored().await.is_empty());
}

#[tokio::test]
async fn every_update_field_is_required() {
    let fx = Fx::start().await;
    let top = [
        "name",
        "enabled",
        "endpoint",
        "failureHandling",
        "removeFailureHandling",
        "addEventTypes",
        "removeEventTypes",
    ];
    for field in top {
        assert_eq!(update(&fx, &without(noop_update("x"), "", field)).await, bad(&[field]));
    }
    for field in ["url", "addHeaders", "removeHeaders"] {
        let want = format!("endpoint.{field}");
        assert_eq!(update(&fx, &without(noop_update("x"), "/endpoint", field)).await, bad(&[&want]));
    }
    // The create shape is not an update.
    let (status, fields) = update(&fx, &create_body("x")).await;
    assert_eq!(status, 400);
    assert!(
        fields.contains(&"eventTypes".to_string()) && fields.contains(&"endpoint.headers".to_string()),
        "{fields:?}"
    );
}

#[tokio::test]
async fn unknown_fields_are_refused() {
    let fx = Fx::start().await;
    assert_eq!(
        create(&fx, &with(create_body("x"), "/suspended", json!(true))).await,
        bad(&["suspended"]),
        "not writable"
    );
    assert_eq!(create(&fx, &with(create_body("x"), "/endpoint/secret", json!("s"))).await, bad(&["endpoint.secret"]));
    assert_eq!(update(&fx, &with(noop_update("x"), "/eventTypes", json!(["a"]))).await, bad(&["eventTypes"]));
    assert_eq!(update(&fx, &with(noop_update("x"), "/endpoint/headers", json!({}))).await, bad(&["endpoint.headers"]));
}

#[tokio::test]
async fn name_rule() {
    let fx = Fx::start().await;
    for (name, want) in [(json!("a"), ok()), (json!(" spaced name_1-ü "), ok()), (json!(""), bad(&["name"]))] {
        assert_eq!(create(&fx, &with(create_body("x"), "/name", name.clone())).await, want, "create {name}");
        assert_eq!(update(&fx, &with(noop_update("x"), "/name", name.clone())).await, want, "update {name}");
    }
    for name in [json!(null), json!(1), json!(["a"])] {
        assert_eq!(create(&fx, &with(create_body("x"), "/name", name)).await, bad(&["name"]));
    }
}

#[tokio::test]
async fn enabled_and_remove_failure_handling_are_booleans() {
    let fx = Fx::start().await;
    assert_eq!(create(&fx, &with(create_body("x"), "/enabled", json!(false))).await, ok());
    for v in [json!("true"), json!(1), json!(null)] {
        assert_eq!(create(&fx, &with(create_body("x"), "/enabled", v.clone())).await, bad(&["enabled"]));
        assert_eq!(update(&fx, &with(noop_update("x"), "/enabled", v.clone())).await, bad(&["enabled"]));
        let b = with(noop_update("x"), "/removeFailureHandling", v);
        assert_eq!(update(&fx, &b).await, bad(&["removeFailureHandling"]));
    }
}

#[tokio::test]
async fn url_rule() {
    let fx = Fx::start().await;
    let accepted = [
        "http://receiver",
        "https://hooks.example.com",
        "https://10.0.0.7:8443/in?tenant=a&x=%20#frag",
        "http://svc.ns.svc.cluster.local:8080/socotra/events",
    ];
    for url in accepted {
        assert_eq!(create(&fx, &with(create_body("x"), "/endpoint/url", json!(url))).await, ok(), "{url}");
        assert_eq!(update(&fx, &with(noop_update("x"), "/endpoint/url", json!(url))).await, ok(), "{url}");
    }
    let refused = [
        json!(""),
        json!("hooks.example.com/x"),
        json!("ftp://hooks.example.com"),
        json!("HTTPS://hooks.example.com"),
        json!("https://"),
        json!("https://user@hooks.example.com/"),
        json!("https://[::1]:8080/"),
        json!("https://hooks.example.com/a b"),
        json!("https://hooks.example.com:port/"),
        json!(7),
    ];
    for url in refused {
        assert_eq!(create(&fx, &with(create_body("x"), "/endpoint/url", url.clone())).await, bad(&["endpoint.url"]));
        assert_eq!(update(&fx, &with(noop_update("x"), "/endpoint/url", url.clone())).await, bad(&["endpoint.url"]));
    }
    assert_eq!(create(&fx, &with(create_body("x"), "/endpoint", json!("https://x"))).await, bad(&["endpoint"]));
}

#[tokio::test]
async fn headers_rule() {
    let fx = Fx::start().await;
    let accepted = [
        json!({}),
        json!({"Authorization": ["Bearer abc"]}),
        json!({"x-a": ["1"], "X-A": ["2"]}),
        json!({"X-Multi": ["a", "b", ""], "!#$%&'*+.^_`|~": ["tab\tok", "ünïcode"]}),
    ];
    for h in accepted {
        assert_eq!(create(&fx, &with(create_body("x"), "/endpoint/headers", h.clone())).await, ok(), "{h}");
        assert_eq!(update(&fx, &with(noop_update("x"), "/endpoint/addHeaders", h.clone())).await, ok(), "{h}");
    }
    let refused = [
        (json!([]), vec!["F"]),
        (json!({"X-A": "1"}), vec!["F.X-A"]),
        (json!({"X-A": []}), vec!["F.X-A"]),
        (json!({"X-A": [1]}), vec!["F.X-A[0]"]),
        (json!({"X-A": ["ok", "line\nbreak"]}), vec!["F.X-A[1]"]),
        (json!({"X-A": ["nul\u{0}"]}), vec!["F.X-A[0]"]),
        (json!({"bad name": ["1"]}), vec!["F"]),
        (json!({"": ["1"]}), vec!["F"]),
        (json!({"X(A)": ["1"]}), vec!["F"]),
    ];
    for (h, fields) in refused {
        let create_fields: Vec<String> = fields.iter().map(|f| f.replace('F', "endpoint.headers")).collect();
        let update_fields: Vec<String> = fields.iter().map(|f| f.replace('F', "endpoint.addHeaders")).collect();
        let got = create(&fx, &with(create_body("x"), "/endpoint/headers", h.clone())).await;
        assert_eq!(got, (400, create_fields), "create {h}");
        let got = update(&fx, &with(noop_update("x"), "/endpoint/addHeaders", h.clone())).await;
        assert_eq!(got, (400, update_fields), "update {h}");
    }
}

#[tokio::test]
async fn remove_headers_rule() {
    let fx = Fx::start().await;
    for names in [json!([]), json!(["X-Api-Key", "x-api-key", "Absent"])] {
        assert_eq!(
            update(&fx, &with(noop_update("x"), "/endpoint/removeHeaders", names.clone())).await,
            ok(),
            "{names}"
        );
    }
    let refused = [
        (json!("X-A"), "endpoint.removeHeaders"),
        (json!(["X-A", "X-A"]), "endpoint.removeHeaders[1]"),
        (json!(["bad name"]), "endpoint.removeHeaders[0]"),
        (json!([""]), "endpoint.removeHeaders[0]"),
        (json!([null]), "endpoint.removeHeaders[0]"),
    ];
    for (names, field) in refused {
        assert_eq!(update(&fx, &with(noop_update("x"), "/endpoint/removeHeaders", names.clone())).await, bad(&[field]));
    }
}

#[tokio::test]
async fn event_types_rule() {
    let fx = Fx::start().await;
    let lists = ["addEventTypes", "removeEventTypes"];
    for types in [json!([]), json!(["policy.issue"]), json!(["any.unknown.type", "Policy.Issue", "policy.issue"])] {
        assert_eq!(create(&fx, &with(create_body("x"), "/eventTypes", types.clone())).await, ok(), "{types}");
        for f in lists {
            assert_eq!(
                update(&fx, &with(noop_update("x"), &format!("/{f}"), types.clone())).await,
                ok(),
                "{f} {types}"
            );
        }
    }
    let refused = [
        (json!("policy.issue"), ""),
        (json!(null), ""),
        (json!(["a", 1]), "[1]"),
        (json!(["a", ""]), "[1]"),
        (json!(["a", "b", "a"]), "[2]"),
    ];
    for (types, suffix) in refused {
        let want = format!("eventTypes{suffix}");
        assert_eq!(create(&fx, &with(create_body("x"), "/eventTypes", types.clone())).await, bad(&[&want]), "{types}");
        for f in lists {
            let want = format!("{f}{suffix}");
            assert_eq!(update(&fx, &with(noop_update("x"), &format!("/{f}"), types.clone())).await, bad(&[&want]));
        }
    }
}

#[tokio::test]
async fn failure_handling_is_an_object_passed_through() {
    let fx = Fx::start().await;
    let fh = json!({"triggers": ["4xx", "503"], "alertEndpoint": {"url": "https://alerts.example.com"},
                    "retryStrategy": {"type": "exponential", "interval": 30, "attempts": 5}, "divert": false,
                    "suspend": true, "anything": [null, 1.5]});
    let created = fx.create(TENANT_A, &with(create_body("x"), "/failureHandling", fh.clone())).await;
    assert_eq!(created["failureHandling"], fh, "stored and answered as given");
    for v in [json!([]), json!(null), json!("default"), json!(true)] {
        assert_eq!(
            create(&fx, &with(create_body("x"), "/failureHandling", v.clone())).await,
            bad(&["failureHandling"])
        );
        assert_eq!(update(&fx, &with(noop_update("x"), "/failureHandling", v)).await, bad(&["failureHandling"]));
    }
}

#[tokio::test]
async fn malformed_locators_are_400_and_checks_run_in_order() {
    let fx = Fx::start().await;
    let locator = fx.create_locator(TENANT_A, "x").await;
    // Tenant locator: a hyphenated UUID.
    for t in ["not-a-uuid", "0f5e1b5c8a614c1e9d7e2b0b7f6b9a10", "{0f5e1b5c-8a61-4c1e-9d7e-2b0b7f6b9a10}"] {
        assert_eq!(fx.api(Method::GET, &list_path(t), Some(ALL), None).await.error(400), ["tenantLocator"]);
        assert_eq!(fx.api(Method::GET, &item_path(t, &locator), Some(ALL), None).await.error(400), ["tenantLocator"]);
    }
    assert_eq!(fx.get(&TENANT_A.to_uppercase(), &locator).await["locator"], json!(locator), "UUIDs in either case");
    // Webhook locator: a ULID in upper case.
    for l in [
        "x",
        "01j9z3ndektsv4rrffq69g5fav",
        "81J9Z3NDEKTSV4RRFFQ69G5FAV",
        "01J9Z3NDEKTSV4RRFFQ69G5FA",
        "01J9Z3NDEKTSV4RRFFQ69G5FAI",
    ] {
        for (method, path) in [
            (Method::GET, item_path(TENANT_A, l)),
            (Method::DELETE, item_path(TENANT_A, l)),
            (Method::PATCH, unsuspend_path(TENANT_A, l)),
        ] {
            assert_eq!(fx.api(method, &path, Some(ALL), None).await.error(400), ["webhookLocator"], "{path}");
        }
    }
    // 403 (permission) comes before 400, 400 before 404 (tenant), 403 (tenant) before 404 (webhook).
    fx.api(Method::POST, &create_path("not-a-uuid"), Some(READ), Some(&json!({}))).await.error(403);
    fx.api(Method::POST, &create_path(TENANT_UNKNOWN), Some(ALL), Some(&json!({}))).await.error(400);
    fx.api(Method::POST, &create_path(TENANT_UNKNOWN), Some(ALL), Some(&create_body("x"))).await.error(404);
    fx.api(Method::GET, &item_path(TENANT_C, NO_SUCH), Some(ALL), None).await.error(403);
    fx.api(Method::GET, &item_path(TENANT_A, NO_SUCH), Some(ALL), None).await.error(404);
}

#[tokio::test]
async fn oversized_bodies_are_413() {
    let fx = Fx::start().await;
    let big = "x".repeat(3 * 1024 * 1024);
    let r = fx
        .api(Method::POST, &create_path(TENANT_A), Some(ALL), Some(&with(create_body(&big), "/name", json!(big))))
        .await;
    r.error(413);
    assert!(fx.stored().await.is_empty());
}

#[tokio::test]
async fn reasons_never_echo_submitted_values() {
    let fx = Fx::start().await;
    let mut b = create_body("x");
    b["name"] = json!(["secret-value"]);
    b["endpoint"]["url"] = json!("secret-value");
    b["endpoint"]["headers"] = json!({"X-Key": ["secret-value\n"], "secret value": ["1"]});
    b["eventTypes"] = json!(["secret-value", "secret-value"]);
    let r = fx.api(Method::POST, &create_path(TENANT_A), Some(ALL), Some(&b)).await;
    assert_eq!(r.error(400).len(), 5, "{}", r.text);
    assert!(!r.text.contains("secret"), "{}", r.text);
}
