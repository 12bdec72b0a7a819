//! The admin API: request counters, the request log with every body, the dump, portal inserts,
//! edits and deletes, reset, and the separate admin address.
use std::net::SocketAddr;

use reqwest::Method;
use serde_json::{Value, json};

use crate::common::*;

#[tokio::test]
async fn request_counters_by_method_route_and_status() {
    let fx = Fx::start().await;
    let locator = fx.create_locator(TENANT_A, "x").await;
    fx.api(Method::GET, &list_path(TENANT_A), Some(ALL), None).await;
    fx.api(Method::GET, &list_path(TENANT_A), Some(ALL), None).await;
    fx.api(Method::GET, &item_path(TENANT_A, &locator), Some(ALL), None).await;
    fx.api(Method::GET, &item_path(TENANT_A, NO_SUCH), Some(ALL), None).await;
    fx.api(Method::PATCH, &item_path(TENANT_A, &locator), Some(ALL), Some(&noop_update("x"))).await;
    fx.api(Method::PATCH, &unsuspend_path(TENANT_A, &locator), Some(ALL), None).await;
    fx.api(Method::DELETE, &item_path(TENANT_A, &locator), Some(ALL), None).await;
    fx.api(Method::GET, &list_path(TENANT_A), None, None).await;
    fx.api(Method::GET, "/elsewhere", Some(ALL), None).await;
    fx.admin(Method::GET, "/webhooks", None).await;
    let mut got = fx.admin(Method::GET, "/requests", None).await.json()["requests"].as_array().cloned().expect("list");
    got.sort_by_key(|r| r.to_string());
    let mut want = vec![
        json!({"method": "POST", "route": ROUTE_CREATE, "status": 200, "count": 1}),
        json!({"method": "GET", "route": ROUTE_LIST, "status": 200, "count": 2}),
        json!({"method": "GET", "route": ROUTE_LIST, "status": 401, "count": 1}),
        json!({"method": "GET", "route": ROUTE_ITEM, "status": 200, "count": 1}),
        json!({"method": "GET", "route": ROUTE_ITEM, "status": 404, "count": 1}),
        json!({"method": "PATCH", "route": ROUTE_ITEM, "status": 200, "count": 1}),
        json!({"method": "PATCH", "route": ROUTE_UNSUSPEND, "status": 204, "count": 1}),
        json!({"method": "DELETE", "route": ROUTE_ITEM, "status": 204, "count": 1}),
        json!({"method": "GET", "route": "<unmatched>", "status": 404, "count": 1}),
    ];
    want.sort_by_key(|r| r.to_string());
    assert_eq!(got, want, "admin calls are not counted");
    assert_eq!(fx.admin(Method::DELETE, "/requests", None).await.status, 204);
    assert_eq!(fx.admin(Method::GET, "/requests", None).await.json(), json!({"requests": []}));
}

#[tokio::test]
async fn the_request_log_has_every_request_with_its_exact_body() {
    let fx = Fx::start().await;
    let locator = fx.create_locator(TENANT_A, "x").await;
    let mut patch = noop_update("x");
    patch["addEventTypes"] = json!(["claim.open"]);
    patch["endpoint"]["removeHeaders"] = json!(["X-Env"]);
    fx.patch(TENANT_A, &locator, &patch).await;
    let list_query = format!("{}?offset=0&count=2&name=x", list_path(TENANT_A));
    fx.api(Method::GET, &list_query, Some(ALL), None).await;
    let raw = fx.http.patch(fx.url(&item_path(TENANT_A, &locator))).bearer_auth(ALL).body("not json");
    assert_eq!(send(raw).await.status, 400);

    let log = fx.admin(Method::GET, "/request-log", None).await.json();
    assert_eq!(log["dropped"], 0);
    let entries = log["requests"].as_array().expect("requests");
    let seqs: Vec<u64> = entries.iter().map(|e| e["seq"].as_u64().expect("seq")).collect();
    assert_eq!(seqs, [1, 2, 3, 4], "in arrival order");
    assert_eq!(
        entries[0],
        json!({"seq": 1, "method": "POST", "route": ROUTE_CREATE, "path": create_path(TENANT_A), "status": 200,
               "body": create_body("x")})
    );
    assert_eq!(
        entries[1],
        json!({"seq": 2, "method": "PATCH", "route": ROUTE_ITEM, "path": item_path(TENANT_A, &locator), "status": 200,
               "body": patch})
    );
    assert_eq!(
        entries[2],
        json!({"seq": 3, "method": "GET", "route": ROUTE_LIST, "path": list_path(TENANT_A),
               "query": "offset=0&count=2&name=x", "status": 200, "body": null})
    );
    assert_eq!((&entries[3]["body"], &entries[3]["rawBody"]), (&Value::Null, &json!("not json")));
    assert!(!log.to_string().contains(ALL), "the token is never recorded");

    // Filter by method; clear.
    let patches = fx.logged("patch").await;
    assert_eq!(patches.iter().map(|e| e["seq"].clone()).collect::<Vec<_>>(), [json!(2), json!(4)]);
    assert_eq!(fx.admin(Method::DELETE, "/request-log", None).await.status, 204);
    assert_eq!(fx.admin(Method::GET, "/request-log", None).await.json(), json!({"requests": [], "dropped": 0}));
    fx.api(Method::GET, &list_path(TENANT_A), Some(ALL), None).await;
    assert_eq!(fx.logged("GET").await[0]["seq"], 5, "numbers keep counting after a clear");
}

#[tokio::test]
async fn dump_shows_every_webhook_with_its_tenant() {
    let fx = Fx::start().await;
    let a = fx.create(TENANT_A, &create_body("a")).await;
    let b = fx.create(TENANT_B, &create_body("b")).await;
    let with_tenant = |mut w: Value, t: &str| {
        w["tenantLocator"] = json!(t);
        w
    };
    let (want_a, want_b) = (with_tenant(a.clone(), TENANT_A), with_tenant(b, TENANT_B));
    assert_eq!(fx.admin(Method::GET, "/webhooks", None).await.json(), json!({"webhooks": [want_a, want_b]}));
    let locator = a["locator"].as_str().expect("locator");
    assert_eq!(fx.admin(Method::GET, &format!("/tenants/{TENANT_A}/webhooks/{locator}"), None).await.json(), want_a);
    fx.admin(Method::GET, &format!("/tenants/{TENANT_B}/webhooks/{locator}"), None).await.error(404);
    fx.admin(Method::GET, &format!("/tenants/nope/webhooks/{locator}"), None).await.error(400);
}

#[tokio::test]
async fn portal_edits_and_deletes_are_visible_through_the_api() {
    let fx = Fx::start().await;
    let locator = fx.create_locator(TENANT_A, "Original").await;
    let path = format!("/tenants/{TENANT_A}/webhooks/{locator}");
    // Drift: someone edits the webhook in the platform.
    let edit = json!({"enabled": false, "endpoint": {"headers": {"X-Portal": ["1"]}}, "eventTypes": ["claim.open"],
                      "failureHandling": {"suspend": true}});
    let r = fx.admin(Method::PATCH, &path, Some(&edit)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let got = fx.get(TENANT_A, &locator).await;
    assert_eq!(got["enabled"], false);
    assert_eq!(got["endpoint"], json!({"url": "https://hooks.example.com/socotra", "headers": {"X-Portal": ["1"]}}));
    assert_eq!(got["eventTypes"], json!(["claim.open"]));
    assert_eq!(got["failureHandling"], json!({"suspend": true}));
    assert_eq!(got["name"], "Original", "fields not in the edit stay");
    // Types are checked (rules are not); the locator cannot change; unknown fields are refused.
    let refused = [
        json!({"enabled": "no"}),
        json!({"endpoint": {"headers": {"X": "1"}}}),
        json!({"endpoint": {"secret": "s"}}),
        json!({"endpoint": "https://x"}),
        json!({"locator": NO_SUCH}),
        json!({"colour": "red"}),
    ];
    for e in refused {
        fx.admin(Method::PATCH, &path, Some(&e)).await.error(400);
    }
    fx.admin(Method::PATCH, &path, Some(&json!([]))).await.error(400);
    assert_eq!(fx.get(TENANT_A, &locator).await, got, "refused edits change nothing");
    let r = fx.admin(Method::PATCH, &path, Some(&json!({"name": "", "endpoint": {"url": "not a url"}}))).await;
    assert_eq!(r.status, 200, "a portal edit skips the API's rules");
    fx.admin(Method::PATCH, &format!("/tenants/{TENANT_A}/webhooks/{NO_SUCH}"), Some(&json!({}))).await.error(404);
    // Portal delete.
    assert_eq!(fx.admin(Method::DELETE, &path, None).await.status, 204);
    fx.api(Method::GET, &item_path(TENANT_A, &locator), Some(ALL), None).await.error(404);
    fx.admin(Method::DELETE, &path, None).await.error(404);
}

#[tokio::test]
async fn portal_inserts_for_adoption_and_recovery_tests() {
    let fx = Fx::start().await;
    // Everything optional.
    let r = fx.admin(Method::POST, &format!("/tenants/{TENANT_A}/webhooks"), Some(&json!({}))).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let w = r.json();
    assert_eq!(w["tenantLocator"], TENANT_A);
    assert_eq!((&w["name"], &w["enabled"], &w["suspended"]), (&json!("Portal webhook"), &json!(true), &json!(false)));
    // A chosen locator, visible through the API.
    let body = json!({"locator": NO_SUCH, "name": "Legacy", "endpoint": {"url": "https://legacy.example.com"},
                      "eventTypes": ["policy.issue"], "suspended": true});
    let r = fx.admin(Method::POST, &format!("/tenants/{TENANT_A}/webhooks"), Some(&body)).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let got = fx.get(TENANT_A, NO_SUCH).await;
    assert_eq!((&got["name"], &got["suspended"]), (&json!("Legacy"), &json!(true)));
    assert!(got["suspendedAt"].is_string());
    // Taken or malformed locators.
    let r = fx.admin(Method::POST, &format!("/tenants/{TENANT_B}/webhooks"), Some(&json!({"locator": NO_SUCH}))).await;
    assert_eq!(r.error(409), ["locator"], "locators are unique across tenants");
    let r = fx.admin(Method::POST, &format!("/tenants/{TENANT_A}/webhooks"), Some(&json!({"locator": "x"}))).await;
    assert_eq!(r.error(400), ["locator"]);
    fx.admin(Method::POST, &format!("/tenants/{TENANT_A}/webhooks"), Some(&json!({"eventTypes": "x"})))
        .await
        .error(400);
    assert_eq!(fx.stored().await.len(), 2);
}

#[tokio::test]
async fn reset_clears_state_but_keeps_tokens() {
    let fx = Fx::start().await;
    fx.create(TENANT_A, &create_body("x")).await;
    fx.admin(Method::PUT, "/tokens/tok-extra", Some(&json!({"permissions": ["read", "list"], "tenants": [TENANT_A]})))
        .await;
    fx.admin(Method::PUT, "/faults", Some(&json!({"latencyMs": 1}))).await;
    fx.admin(Method::PUT, "/rate-limit", Some(&json!({"limitPerHour": 50}))).await;
    assert_eq!(fx.admin(Method::POST, "/reset", None).await.status, 204);
    assert!(fx.stored().await.is_empty());
    assert_eq!(fx.admin(Method::GET, "/requests", None).await.json(), json!({"requests": []}));
    assert_eq!(fx.admin(Method::GET, "/request-log", None).await.json()["requests"], json!([]));
    assert_eq!(fx.admin(Method::GET, "/faults", None).await.json()["latencyMs"], 0);
    assert_eq!(fx.admin(Method::GET, "/rate-limit", None).await.json()["limitPerHour"], 1000);
    assert_eq!(fx.api(Method::GET, &list_path(TENANT_A), Some("tok-extra"), None).await.status, 200);
}

#[tokio::test]
async fn separate_admin_address_serves_only_the_admin_api() {
    let fx = Fx::with(|c| c.admin_addr = Some(SocketAddr::from(([127, 0, 0, 1], 0)))).await;
    assert_ne!(fx.server.admin_addr(), fx.server.addr());
    assert_eq!(fx.admin(Method::GET, "/faults", None).await.status, 200);
    let on_admin = format!("http://{}{}", fx.server.admin_addr(), list_path(TENANT_A));
    assert_eq!(send(fx.http.get(on_admin).bearer_auth(ALL)).await.status, 404);
    let on_api = format!("http://{}/_admin/faults", fx.server.addr());
    assert_eq!(send(fx.http.get(on_api)).await.status, 200, "the API address serves /_admin too");
    fx.admin(Method::GET, "/nothing", None).await.error(404);
}
