//! The five operations, their status codes and bodies; 401/403/404/400 for auth and ids.
use regex::Regex;
use reqwest::Method;
use serde_json::{Value, json};

use crate::common::*;

fn list_path(app: &str) -> String {
    format!("/apps/{app}/webhooks")
}

fn item_path(app: &str, id: &str) -> String {
    format!("/apps/{app}/webhooks/{id}")
}

#[tokio::test]
async fn create_get_list_put_delete_with_documented_status_codes() {
    let fx = Fx::start().await;
    // POST 200 with the detailed webhook and a new mxep_ id.
    let created = fx.create(APP_A, &body("Build notifier")).await;
    let id = created["id"].as_str().expect("id").to_string();
    assert!(Regex::new("^mxep_[A-Za-z0-9]{10,}$").expect("re").is_match(&id), "id shape: {id}");
    let mut expected = body("Build notifier");
    expected["id"] = json!(id);
    assert_eq!(created, expected, "POST answers the detailed webhook");

    // GET 200 detailed.
    let got = fx.api(Method::GET, &item_path(APP_A, &id), Some(RW), None).await;
    assert_eq!(got.status, 200);
    assert_eq!(got.json(), expected);
    assert!(got.header("content-type").is_some_and(|c| c.starts_with("application/json")));

    // GET list 200 with summaries only.
    let list = fx.api(Method::GET, &list_path(APP_A), Some(RW), None).await;
    assert_eq!(list.status, 200);
    let v = list.json();
    assert_eq!(
        v["webhooks"],
        json!([{"id": id, "name": "Build notifier", "url": "https://ci.example.com/hooks/mendix",
                "eventTypes": ["package.uploaded", "teamserver.push"], "isActive": true}])
    );
    assert!(v["cursors"].is_object(), "cursors is always present");

    // PUT 202 replaces the whole webhook: omitted headers are gone.
    let replacement = json!({"name": "Renamed", "url": "https://other.example.com/h", "eventTypes": ["teamserver.push"],
                             "isActive": false, "validationSecret": format!("whsec_{}", "b".repeat(40))});
    let put = fx.api(Method::PUT, &item_path(APP_A, &id), Some(RW), Some(&replacement)).await;
    assert_eq!(put.status, 202, "{}", put.text);
    let mut after = replacement.clone();
    after["id"] = json!(id);
    after["headers"] = json!([]);
    assert_eq!(put.json(), after);
    let got = fx.api(Method::GET, &item_path(APP_A, &id), Some(RW), None).await;
    assert_eq!(got.json(), after, "GET after PUT sees the replacement");

    // DELETE 204 with no body; then 404 for every operation on the id.
    let del = fx.api(Method::DELETE, &item_path(APP_A, &id), Some(RW), None).await;
    assert_eq!(del.status, 204);
    assert!(del.text.is_empty());
    for method in [Method::GET, Method::DELETE] {
        assert_eq!(fx.api(method, &item_path(APP_A, &id), Some(RW), None).await.error(404), ["validation"]);
    }
    let put = fx.api(Method::PUT, &item_path(APP_A, &id), Some(RW), Some(&replacement)).await;
    put.error(404);
    assert_eq!(put.json()["error"]["message"], "Webhook not found");
}

#[tokio::test]
async fn ids_are_unique_and_webhooks_belong_to_their_app() {
    let fx = Fx::start().await;
    let a = fx.create(APP_A, &body("a")).await;
    let b = fx.create(APP_B, &body("b")).await;
    assert_ne!(a["id"], b["id"]);
    let id = a["id"].as_str().expect("id");
    // The id exists, but under another app: 404, not a leak.
    fx.api(Method::GET, &item_path(APP_B, id), Some(RW), None).await.error(404);
    fx.api(Method::DELETE, &item_path(APP_B, id), Some(RW), None).await.error(404);
    let list_b = fx.api(Method::GET, &list_path(APP_B), Some(RW), None).await.json();
    assert_eq!(list_b["webhooks"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn missing_or_invalid_token_is_401() {
    let fx = Fx::start().await;
    let path = list_path(APP_A);
    let cases: Vec<(&str, Option<String>)> = vec![
        ("no header", None),
        ("unknown token", Some("MxToken nope".into())),
        ("wrong scheme", Some(format!("Bearer {RW}"))),
        ("scheme only", Some("MxToken".into())),
    ];
    for (what, header) in cases {
        let mut req = fx.http.get(fx.url(&path));
        if let Some(h) = header {
            req = req.header("authorization", h);
        }
        let r = fx.send(req).await;
        assert_eq!(r.error(401), ["Authentication"], "{what}");
        assert!(!r.text.contains("nope"), "the token is not echoed");
    }
    let post = fx.api(Method::POST, &path, None, Some(&body("x"))).await;
    post.error(401);
    assert_eq!(fx.admin(Method::GET, "/webhooks", None).await.json()["webhooks"], json!([]), "nothing stored");
}

#[tokio::test]
async fn missing_scope_or_app_access_is_403() {
    let fx = Fx::start().await;
    let created = fx.create(APP_A, &body("x")).await;
    let id = created["id"].as_str().expect("id");
    // Read scope: GET allowed, everything else 403.
    assert_eq!(fx.api(Method::GET, &list_path(APP_A), Some(RO), None).await.status, 200);
    assert_eq!(fx.api(Method::GET, &item_path(APP_A, id), Some(RO), None).await.status, 200);
    fx.api(Method::POST, &list_path(APP_A), Some(RO), Some(&body("y"))).await.error(403);
    fx.api(Method::PUT, &item_path(APP_A, id), Some(RO), Some(&body("y"))).await.error(403);
    fx.api(Method::DELETE, &item_path(APP_A, id), Some(RO), None).await.error(403);
    // No scope at all: even GET is 403.
    fx.api(Method::GET, &list_path(APP_A), Some(NOSCOPE), None).await.error(403);
    // Both scopes but no access to the (existing) app: 403.
    fx.api(Method::GET, &list_path(APP_C), Some(RW), None).await.error(403);
    fx.api(Method::POST, &list_path(APP_C), Some(RW), Some(&body("y"))).await.error(403);
    fx.api(Method::GET, &item_path(APP_A, id), Some(OTHER), None).await.error(403);
    // The webhook is untouched.
    assert_eq!(fx.api(Method::GET, &item_path(APP_A, id), Some(RW), None).await.json(), created);
}

#[tokio::test]
async fn unknown_app_or_webhook_is_404() {
    let fx = Fx::start().await;
    let r = fx.api(Method::GET, &list_path(APP_UNKNOWN), Some(RW), None).await;
    assert_eq!(r.error(404), ["validation"]);
    assert_eq!(r.json()["error"]["message"], "App not found");
    fx.api(Method::POST, &list_path(APP_UNKNOWN), Some(RW), Some(&body("x"))).await.error(404);
    let r = fx.api(Method::GET, &item_path(APP_A, "mxep_doesnotexist"), Some(RW), None).await;
    r.error(404);
    assert_eq!(r.json()["error"]["message"], "Webhook not found");
    // App ids compare as UUIDs: upper case is the same app.
    let upper = APP_A.to_uppercase();
    assert_eq!(fx.api(Method::GET, &list_path(&upper), Some(RW), None).await.status, 200);
}

#[tokio::test]
async fn malformed_app_id_is_400() {
    let fx = Fx::start().await;
    for bad in ["not-a-uuid", "76ef1b0f40504810a159cb419268636c", "{76ef1b0f-4050-4810-a159-cb419268636c}", "123"] {
        let r = fx.api(Method::GET, &list_path(bad), Some(RW), None).await;
        assert_eq!(r.error(400), ["app-id"], "{bad}");
        assert!(!r.text.contains(bad), "the value is not echoed");
        let r = fx.api(Method::DELETE, &item_path(bad, "mxep_x"), Some(RW), None).await;
        assert_eq!(r.error(400), ["app-id"], "{bad}");
    }
}

#[tokio::test]
async fn unknown_routes_and_methods() {
    let fx = Fx::start().await;
    let r = fx.api(Method::GET, "/apps", Some(RW), None).await;
    r.error(404);
    let r = fx.api(Method::PATCH, &list_path(APP_A), Some(RW), Some(&Value::Null)).await;
    r.error(405);
    assert_eq!(r.header("allow").as_deref(), Some("GET,HEAD,POST"), "405 lists the allowed methods");
    let r = fx.api(Method::POST, &item_path(APP_A, "mxep_x"), Some(RW), Some(&body("x"))).await;
    r.error(405);
    let r = fx.send(fx.http.get(format!("http://{}/nothing-here", fx.server.addr()))).await;
    r.error(404);
}
