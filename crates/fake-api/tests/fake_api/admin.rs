//! The admin API: request counters, dump and portal edits of stored webhooks, tokens, reset,
//! and the separate admin address.
use std::net::SocketAddr;

use regex::Regex;
use reqwest::Method;
use serde_json::{Value, json};

use crate::common::*;

#[tokio::test]
async fn request_counters_by_method_route_and_status() {
    let fx = Fx::start().await;
    let list = format!("/apps/{APP_A}/webhooks");
    let id = fx.create(APP_A, &body("x")).await["id"].as_str().expect("id").to_string();
    fx.api(Method::GET, &list, Some(RW), None).await;
    fx.api(Method::GET, &list, Some(RW), None).await;
    fx.api(Method::GET, &format!("{list}/{id}"), Some(RW), None).await;
    fx.api(Method::GET, &format!("{list}/mxep_missing"), Some(RW), None).await;
    fx.api(Method::DELETE, &format!("{list}/{id}"), Some(RW), None).await;
    fx.api(Method::GET, &list, None, None).await;
    // Admin calls are not counted.
    fx.admin(Method::GET, "/webhooks", None).await;
    let mut got = fx.admin(Method::GET, "/requests", None).await.json()["requests"].as_array().cloned().expect("list");
    got.sort_by_key(|r| r.to_string());
    let mut want = vec![
        json!({"method": "POST", "route": "/api/v1/apps/{app}/webhooks", "status": 200, "count": 1}),
        json!({"method": "GET", "route": "/api/v1/apps/{app}/webhooks", "status": 200, "count": 2}),
        json!({"method": "GET", "route": "/api/v1/apps/{app}/webhooks", "status": 401, "count": 1}),
        json!({"method": "GET", "route": "/api/v1/apps/{app}/webhooks/{id}", "status": 200, "count": 1}),
        json!({"method": "GET", "route": "/api/v1/apps/{app}/webhooks/{id}", "status": 404, "count": 1}),
        json!({"method": "DELETE", "route": "/api/v1/apps/{app}/webhooks/{id}", "status": 204, "count": 1}),
    ];
    want.sort_by_key(|r| r.to_string());
    assert_eq!(got, want);
    assert_eq!(fx.admin(Method::DELETE, "/requests", None).await.status, 204);
    assert_eq!(fx.admin(Method::GET, "/requests", None).await.json(), json!({"requests": []}));
}

#[tokio::test]
async fn dump_shows_full_webhooks_with_app_ids() {
    let fx = Fx::start().await;
    let a = fx.create(APP_A, &body("a")).await;
    let b = fx.create(APP_B, &body("b")).await;
    let dump = fx.admin(Method::GET, "/webhooks", None).await.json();
    let mut want_a = a.clone();
    want_a["appId"] = json!(APP_A);
    let mut want_b = b.clone();
    want_b["appId"] = json!(APP_B);
    assert_eq!(dump, json!({"webhooks": [want_a, want_b]}), "creation order, with secret and headers");
    let one = fx.admin(Method::GET, &format!("/apps/{APP_A}/webhooks/{}", a["id"].as_str().expect("id")), None).await;
    assert_eq!(one.json(), want_a);
    fx.admin(Method::GET, &format!("/apps/{APP_B}/webhooks/{}", a["id"].as_str().expect("id")), None).await.error(404);
}

#[tokio::test]
async fn portal_edit_and_delete_are_visible_through_the_api() {
    let fx = Fx::start().await;
    let created = fx.create(APP_A, &body("Original")).await;
    let id = created["id"].as_str().expect("id");
    let admin_path = format!("/apps/{APP_A}/webhooks/{id}");
    let api_path = format!("/apps/{APP_A}/webhooks/{id}");
    // Drift: someone changes URL and headers in the portal.
    let patch = json!({"url": "https://drifted.example.com/x", "isActive": false, "headers": [{"key": "X-Portal", "value": "1"}]});
    let r = fx.admin(Method::PATCH, &admin_path, Some(&patch)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let got = fx.api(Method::GET, &api_path, Some(RW), None).await.json();
    assert_eq!(got["url"], "https://drifted.example.com/x");
    assert_eq!(got["isActive"], false);
    assert_eq!(got["headers"], json!([{"key": "X-Portal", "value": "1"}]));
    assert_eq!(got["name"], "Original", "fields not in the patch stay");
    // A blank secret is filled by the portal with a generated one.
    let r = fx.admin(Method::PATCH, &admin_path, Some(&json!({"validationSecret": ""}))).await;
    let secret = r.json()["validationSecret"].as_str().expect("secret").to_string();
    assert!(Regex::new(r"^(whsec_)?[a-zA-Z0-9+/=]{32,100}$").expect("re").is_match(&secret));
    assert_ne!(secret, SECRET);
    // Types are checked; the id cannot change; unknown fields are refused.
    fx.admin(Method::PATCH, &admin_path, Some(&json!({"isActive": "no"}))).await.error(400);
    fx.admin(Method::PATCH, &admin_path, Some(&json!({"id": "mxep_other"}))).await.error(400);
    fx.admin(Method::PATCH, &admin_path, Some(&json!({"colour": "red"}))).await.error(400);
    fx.admin(Method::PATCH, &format!("/apps/{APP_A}/webhooks/mxep_missing"), Some(&json!({}))).await.error(404);
    // Portal delete: the API answers 404.
    assert_eq!(fx.admin(Method::DELETE, &admin_path, None).await.status, 204);
    fx.api(Method::GET, &api_path, Some(RW), None).await.error(404);
    fx.admin(Method::DELETE, &admin_path, None).await.error(404);
}

#[tokio::test]
async fn direct_insert_for_adoption_tests() {
    let fx = Fx::start().await;
    let r = fx
        .admin(
            Method::POST,
            &format!("/apps/{APP_A}/webhooks"),
            Some(&json!({"id": "mxep_preexisting1", "name": "Made in portal", "url": "https://x.example.com",
                         "eventTypes": ["teamserver.push"]})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let v = r.json();
    assert_eq!(v["appId"], APP_A);
    assert_eq!(v["id"], "mxep_preexisting1");
    assert_eq!(v["isActive"], true);
    assert!(v["validationSecret"].as_str().is_some_and(|s| s.len() >= 32), "a secret is generated");
    let got = fx.api(Method::GET, &format!("/apps/{APP_A}/webhooks/mxep_preexisting1"), Some(RW), None).await;
    assert_eq!(got.status, 200);
    assert_eq!(got.json()["name"], "Made in portal");
    // Ids are unique; without an id one is generated.
    fx.admin(Method::POST, &format!("/apps/{APP_B}/webhooks"), Some(&json!({"id": "mxep_preexisting1"})))
        .await
        .error(409);
    let r = fx.admin(Method::POST, &format!("/apps/{APP_B}/webhooks"), Some(&json!({}))).await;
    assert!(r.json()["id"].as_str().is_some_and(|id| id.starts_with("mxep_")));
    fx.admin(Method::POST, "/apps/not-a-uuid/webhooks", Some(&json!({}))).await.error(400);
}

#[tokio::test]
async fn tokens_can_be_added_changed_and_removed() {
    let fx = Fx::start().await;
    let new_app = "11111111-2222-4333-8444-555555555555";
    let list = format!("/apps/{new_app}/webhooks");
    // Nobody lists the app yet: it does not exist.
    fx.api(Method::GET, &list, Some(RW), None).await.error(404);
    let r = fx.admin(Method::PUT, "/tokens/pat-new", Some(&json!({"scopes": [READ], "apps": [new_app]}))).await;
    assert_eq!(r.status, 204, "{}", r.text);
    assert_eq!(fx.api(Method::GET, &list, Some("pat-new"), None).await.status, 200);
    fx.api(Method::GET, &list, Some(RW), None).await.error(403);
    fx.api(Method::POST, &list, Some("pat-new"), Some(&body("x"))).await.error(403);
    // Replacing the grant adds the write scope.
    fx.admin(Method::PUT, "/tokens/pat-new", Some(&json!({"scopes": [READ, WRITE], "apps": [new_app]}))).await;
    assert_eq!(fx.api(Method::POST, &list, Some("pat-new"), Some(&body("x"))).await.status, 200);
    // Revoked: 401.
    assert_eq!(fx.admin(Method::DELETE, "/tokens/pat-new", None).await.status, 204);
    fx.api(Method::GET, &list, Some("pat-new"), None).await.error(401);
    fx.admin(Method::DELETE, "/tokens/pat-new", None).await.error(404);
    fx.admin(Method::PUT, "/tokens/x", Some(&json!({"apps": ["nope"]}))).await.error(400);
}

#[tokio::test]
async fn reset_clears_everything_but_tokens() {
    let fx = Fx::start().await;
    fx.create(APP_A, &body("x")).await;
    fx.admin(Method::PUT, "/faults", Some(&json!({"latencyMs": 1}))).await;
    fx.admin(Method::PUT, "/rate-limit", Some(&json!({"limitPerHour": 5}))).await;
    assert_eq!(fx.admin(Method::POST, "/reset", None).await.status, 204);
    assert_eq!(fx.admin(Method::GET, "/webhooks", None).await.json(), json!({"webhooks": []}));
    assert_eq!(fx.admin(Method::GET, "/requests", None).await.json(), json!({"requests": []}));
    assert_eq!(fx.admin(Method::GET, "/deliveries", None).await.json(), json!({"deliveries": []}));
    assert_eq!(fx.admin(Method::GET, "/faults", None).await.json()["latencyMs"], 0);
    assert_eq!(fx.admin(Method::GET, "/rate-limit", None).await.json()["limitPerHour"], 1000);
    let r = fx.api(Method::GET, &format!("/apps/{APP_A}/webhooks"), Some(RW), None).await;
    assert_eq!(r.status, 200, "tokens survive a reset");
    assert_eq!(r.header("x-ratelimit-remaining").as_deref(), Some("999"), "rate windows restart");
}

#[tokio::test]
async fn separate_admin_address_serves_only_the_admin_api() {
    let fx = Fx::with(|c| c.admin_addr = Some(SocketAddr::from(([127, 0, 0, 1], 0)))).await;
    assert_ne!(fx.server.admin_addr(), fx.server.addr());
    fx.create(APP_A, &body("x")).await;
    let on_admin_port = fx.admin(Method::GET, "/webhooks", None).await;
    assert_eq!(on_admin_port.json()["webhooks"].as_array().map(Vec::len), Some(1));
    // The API port keeps /_admin too.
    let same_port = fx.send(fx.http.get(format!("http://{}/_admin/webhooks", fx.server.addr()))).await;
    assert_eq!(same_port.json(), on_admin_port.json());
    // The admin port has no public API.
    let r = fx
        .send(
            fx.http
                .get(format!("http://{}/api/v1/apps/{APP_A}/webhooks", fx.server.admin_addr()))
                .header("authorization", format!("MxToken {RW}")),
        )
        .await;
    r.error(404);
    let unknown: Value = fx.admin(Method::GET, "/nothing", None).await.json();
    assert_eq!(unknown["error"]["code"], 404);
}
