//! The six operations, their status codes and bodies; 404 and 405; the base URL.
use regex::Regex;
use reqwest::Method;
use serde_json::{Value, json};

use crate::common::*;

/// What the fake answers for [`create_body`] with this locator.
fn expected(name: &str, locator: &str) -> Value {
    json!({
        "locator": locator,
        "name": name,
        "enabled": true,
        "endpoint": {"url": "https://hooks.example.com/socotra", "headers": {"X-Api-Key": ["k1"], "X-Env": ["prod", "eu"]}},
        "failureHandling": {"triggers": ["5xx", "timeout"], "divert": true},
        "suspended": false,
        "suspendedAt": null,
        "eventTypes": ["policy.issue", "invoice.issue"],
    })
}

#[tokio::test]
async fn create_get_list_patch_unsuspend_delete_with_their_status_codes() {
    let fx = Fx::start().await;
    assert_eq!(fx.server.base_url(), format!("http://{}", fx.server.addr()), "no path prefix");

    // POST 200 with the whole WebhookResponse and a new ULID locator.
    let r = fx.api(Method::POST, &create_path(TENANT_A), Some(ALL), Some(&create_body("Policy events"))).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.header("content-type").is_some_and(|c| c.starts_with("application/json")));
    let created = r.json();
    let locator = created["locator"].as_str().expect("locator").to_string();
    assert!(Regex::new("^[0-7][0-9A-HJKMNP-TV-Z]{25}$").expect("re").is_match(&locator), "ULID: {locator}");
    assert_eq!(created, expected("Policy events", &locator));

    // GET 200 with the same.
    assert_eq!(fx.get(TENANT_A, &locator).await, created);

    // List 200: a plain JSON array of WebhookResponse.
    let list = fx.api(Method::GET, &list_path(TENANT_A), Some(ALL), None).await;
    assert_eq!(list.status, 200);
    assert_eq!(list.json(), json!([created]));

    // PATCH 200 with the updated webhook.
    let mut update = noop_update("Renamed");
    update["enabled"] = json!(false);
    let patched = fx.patch(TENANT_A, &locator, &update).await;
    let mut want = expected("Renamed", &locator);
    want["enabled"] = json!(false);
    assert_eq!(patched, want);
    assert_eq!(fx.get(TENANT_A, &locator).await, want, "GET after PATCH sees it");

    // Unsuspend 204 without a body (nothing to unsuspend: no change).
    let r = fx.api(Method::PATCH, &unsuspend_path(TENANT_A, &locator), Some(ALL), None).await;
    assert_eq!((r.status, r.text.as_str()), (204, ""));
    assert_eq!(fx.get(TENANT_A, &locator).await, want);

    // DELETE 204 without a body; then 404 for every operation on the locator.
    let r = fx.api(Method::DELETE, &item_path(TENANT_A, &locator), Some(ALL), None).await;
    assert_eq!((r.status, r.text.as_str()), (204, ""));
    fx.api(Method::GET, &item_path(TENANT_A, &locator), Some(ALL), None).await.error(404);
    fx.api(Method::DELETE, &item_path(TENANT_A, &locator), Some(ALL), None).await.error(404);
    fx.api(Method::PATCH, &item_path(TENANT_A, &locator), Some(ALL), Some(&update)).await.error(404);
    fx.api(Method::PATCH, &unsuspend_path(TENANT_A, &locator), Some(ALL), None).await.error(404);
    assert_eq!(fx.api(Method::GET, &list_path(TENANT_A), Some(ALL), None).await.json(), json!([]));
}

#[tokio::test]
async fn locators_are_unique_and_names_may_repeat() {
    let fx = Fx::start().await;
    let a = fx.create_locator(TENANT_A, "Same").await;
    let b = fx.create_locator(TENANT_A, "Same").await;
    assert_ne!(a, b, "a second create with the same name is a second webhook");
    assert_eq!(fx.stored().await.len(), 2);
}

#[tokio::test]
async fn a_webhook_is_found_only_under_its_own_tenant() {
    let fx = Fx::start().await;
    let locator = fx.create_locator(TENANT_A, "In A").await;
    fx.api(Method::GET, &item_path(TENANT_B, &locator), Some(ALL), None).await.error(404);
    fx.api(Method::DELETE, &item_path(TENANT_B, &locator), Some(ALL), None).await.error(404);
    fx.api(Method::PATCH, &item_path(TENANT_B, &locator), Some(ALL), Some(&noop_update("x"))).await.error(404);
    fx.api(Method::PATCH, &unsuspend_path(TENANT_B, &locator), Some(ALL), None).await.error(404);
    assert_eq!(fx.api(Method::GET, &list_path(TENANT_B), Some(ALL), None).await.json(), json!([]));
    assert_eq!(fx.get(TENANT_A, &locator).await["name"], "In A", "still there");
}

#[tokio::test]
async fn unknown_paths_are_404_and_wrong_methods_405() {
    let fx = Fx::start().await;
    let locator = fx.create_locator(TENANT_A, "x").await;
    for path in ["/", "/event", &format!("/event/{TENANT_A}"), &format!("/event/{TENANT_A}/webhooks/{locator}/x")] {
        fx.api(Method::GET, path, Some(ALL), None).await.error(404);
    }
    let cases = [
        (Method::GET, create_path(TENANT_A)),
        (Method::PUT, item_path(TENANT_A, &locator)),
        (Method::POST, item_path(TENANT_A, &locator)),
        (Method::POST, list_path(TENANT_A)),
        (Method::PATCH, list_path(TENANT_A)),
        (Method::GET, unsuspend_path(TENANT_A, &locator)),
        (Method::POST, unsuspend_path(TENANT_A, &locator)),
    ];
    for (method, path) in cases {
        let r = fx.api(method.clone(), &path, Some(ALL), None).await;
        r.error(405);
        assert!(r.header("allow").is_some(), "{method} {path}: Allow header");
    }
    // Unknown paths are behind the gateway too: no token, 401.
    fx.api(Method::GET, "/nothing/here", None, None).await.error(401);
}
