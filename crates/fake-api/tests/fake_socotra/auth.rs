//! Bearer tokens, the read/list/write permissions of each operation, tenant scoping, and tokens
//! changed at run time.
use reqwest::Method;
use serde_json::json;

use crate::common::*;

/// Every operation with a well-formed request on an existing webhook of tenant A.
async fn operations(fx: &Fx) -> Vec<(&'static str, Method, String, Option<serde_json::Value>)> {
    let locator = fx.create_locator(TENANT_A, "target").await;
    vec![
        ("get", Method::GET, item_path(TENANT_A, &locator), None),
        ("list", Method::GET, list_path(TENANT_A), None),
        ("create", Method::POST, create_path(TENANT_A), Some(create_body("new"))),
        ("update", Method::PATCH, item_path(TENANT_A, &locator), Some(noop_update("target"))),
        ("unsuspend", Method::PATCH, unsuspend_path(TENANT_A, &locator), None),
        ("delete", Method::DELETE, item_path(TENANT_A, &locator), None),
    ]
}

#[tokio::test]
async fn missing_unknown_or_non_bearer_tokens_are_401() {
    let fx = Fx::start().await;
    let url = fx.url(&list_path(TENANT_A));
    let cases = [
        None,
        Some("Bearer nope".to_string()),
        Some(format!("MxToken {ALL}")),
        Some(format!("Basic {ALL}")),
        Some("Bearer".to_string()),
        Some(format!("Bearer{ALL}")),
    ];
    for auth in cases {
        let mut req = fx.http.get(&url);
        if let Some(a) = &auth {
            req = req.header("authorization", a);
        }
        send(req).await.error(401);
    }
    for auth in [format!("bearer {ALL}"), format!("BEARER  {ALL} ")] {
        assert_eq!(
            send(fx.http.get(&url).header("authorization", auth)).await.status,
            200,
            "scheme is case-insensitive"
        );
    }
    // 401 is answered before anything else: no token and a malformed tenant, path or body.
    fx.api(Method::POST, &create_path("x"), None, Some(&json!([]))).await.error(401);
    fx.api(Method::GET, "/nowhere", None, None).await.error(401);
}

#[tokio::test]
async fn each_operation_needs_its_permissions() {
    let fx = Fx::start().await;
    // (token, operations allowed): get needs read; list needs read and list; the writes need write.
    let table = [
        (READ, vec!["get"]),
        (READ_LIST, vec!["get", "list"]),
        (LIST, vec![]),
        (WRITE, vec!["create", "update", "unsuspend", "delete"]),
        (NONE, vec![]),
        (ALL, vec!["get", "list", "create", "update", "unsuspend", "delete"]),
    ];
    for (token, allowed) in table {
        for (op, method, path, body) in operations(&fx).await {
            let r = fx.api(method, &path, Some(token), body.as_ref()).await;
            if allowed.contains(&op) {
                assert!(r.status == 200 || r.status == 204, "{token} {op}: {} {}", r.status, r.text);
            } else {
                r.error(403);
                assert!(r.json()["message"].as_str().is_some_and(|m| m.contains("permission")), "{}", r.text);
            }
        }
    }
    // The message names what is missing.
    let r = fx.api(Method::GET, &list_path(TENANT_A), Some(READ), None).await;
    assert!(r.json()["message"].as_str().is_some_and(|m| m.contains("list") && !m.contains("read")), "{}", r.text);
}

#[tokio::test]
async fn a_token_sees_only_its_tenants() {
    let fx = Fx::start().await;
    let in_c = fx.api(Method::POST, &create_path(TENANT_C), Some(OTHER), Some(&create_body("in C"))).await;
    assert_eq!(in_c.status, 200);
    let locator = in_c.json()["locator"].as_str().expect("locator").to_string();
    // ALL may use A and B, not C (which exists): 403 for every operation, even the list.
    fx.api(Method::GET, &list_path(TENANT_C), Some(ALL), None).await.error(403);
    fx.api(Method::GET, &item_path(TENANT_C, &locator), Some(ALL), None).await.error(403);
    fx.api(Method::POST, &create_path(TENANT_C), Some(ALL), Some(&create_body("x"))).await.error(403);
    fx.api(Method::PATCH, &item_path(TENANT_C, &locator), Some(ALL), Some(&noop_update("x"))).await.error(403);
    fx.api(Method::PATCH, &unsuspend_path(TENANT_C, &locator), Some(ALL), None).await.error(403);
    fx.api(Method::DELETE, &item_path(TENANT_C, &locator), Some(ALL), None).await.error(403);
    // A tenant no token lists does not exist: 404.
    fx.api(Method::GET, &list_path(TENANT_UNKNOWN), Some(ALL), None).await.error(404);
    fx.api(Method::GET, &item_path(TENANT_UNKNOWN, &locator), Some(ALL), None).await.error(404);
    // C's webhook through A's path: 404, as any locator A does not have.
    fx.api(Method::GET, &item_path(TENANT_A, &locator), Some(ALL), None).await.error(404);
    assert_eq!(fx.stored().await.len(), 1, "nothing else was created");
}

#[tokio::test]
async fn tokens_change_at_run_time() {
    let fx = Fx::start().await;
    fx.api(Method::GET, &list_path(TENANT_B), Some("tok-new"), None).await.error(401);
    let grant = json!({"permissions": ["read", "list"], "tenants": [TENANT_B]});
    assert_eq!(fx.admin(Method::PUT, "/tokens/tok-new", Some(&grant)).await.status, 204);
    assert_eq!(fx.api(Method::GET, &list_path(TENANT_B), Some("tok-new"), None).await.status, 200);
    fx.api(Method::POST, &create_path(TENANT_B), Some("tok-new"), Some(&create_body("x"))).await.error(403);
    // A new tenant exists as soon as a token lists it.
    let fresh = "6f7e8d9c-0b1a-4c2d-8e3f-405162738495";
    fx.api(Method::GET, &list_path(fresh), Some(ALL), None).await.error(404);
    let grant = json!({"permissions": ["read", "list", "write"], "tenants": [fresh]});
    assert_eq!(fx.admin(Method::PUT, "/tokens/tok-fresh", Some(&grant)).await.status, 204);
    fx.api(Method::GET, &list_path(fresh), Some(ALL), None).await.error(403);
    assert_eq!(fx.api(Method::GET, &list_path(fresh), Some("tok-fresh"), None).await.json(), json!([]));
    // Bad grants are refused; revoking works once.
    let bad = [json!({"permissions": ["admin"]}), json!({"tenants": ["x"]}), json!({"scopes": []}), json!([])];
    for g in bad {
        fx.admin(Method::PUT, "/tokens/tok-bad", Some(&g)).await.error(400);
    }
    fx.admin(Method::PUT, "/tokens/has%20space", Some(&json!({}))).await.error(400);
    assert_eq!(fx.admin(Method::DELETE, "/tokens/tok-new", None).await.status, 204);
    fx.admin(Method::DELETE, "/tokens/tok-new", None).await.error(404);
    fx.api(Method::GET, &list_path(TENANT_B), Some("tok-new"), None).await.error(401);
}
