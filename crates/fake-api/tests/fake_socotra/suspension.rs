//! Suspension: set through the admin API (the platform suspends a webhook after delivery
//! failures), shown by get and list with `suspendedAt`, cleared by `PATCH …/unsuspend`.
use reqwest::Method;
use serde_json::{Value, json};

use crate::common::*;

fn suspend_path(tenant: &str, locator: &str) -> String {
    format!("/tenants/{tenant}/webhooks/{locator}/suspend")
}

fn rfc3339_utc_millis(v: &Value) -> bool {
    let re = regex::Regex::new(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$").expect("re");
    v.as_str().is_some_and(|s| re.is_match(s))
}

#[tokio::test]
async fn suspended_webhooks_show_when_and_unsuspend_clears_it() {
    let fx = Fx::start().await;
    let locator = fx.create_locator(TENANT_A, "Flaky receiver").await;
    let before = fx.get(TENANT_A, &locator).await;
    assert_eq!((&before["suspended"], &before["suspendedAt"]), (&json!(false), &Value::Null));

    let r = fx.admin(Method::POST, &suspend_path(TENANT_A, &locator), None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["tenantLocator"], TENANT_A);
    let w = fx.get(TENANT_A, &locator).await;
    assert_eq!(w["suspended"], true);
    assert!(rfc3339_utc_millis(&w["suspendedAt"]), "{}", w["suspendedAt"]);
    assert_eq!(w["enabled"], true, "suspension is not the enabled flag");
    let mut rest = w.clone();
    rest["suspended"] = json!(false);
    rest["suspendedAt"] = Value::Null;
    assert_eq!(rest, before, "nothing else changes");
    let listed = fx.api(Method::GET, &format!("{}?suspended=true", list_path(TENANT_A)), Some(ALL), None).await;
    assert_eq!(listed.json(), json!([w]));

    let r = fx.api(Method::PATCH, &unsuspend_path(TENANT_A, &locator), Some(ALL), None).await;
    assert_eq!((r.status, r.text.as_str()), (204, ""));
    assert_eq!(fx.get(TENANT_A, &locator).await, before);
    // Again: nothing to unsuspend, still 204, no change.
    let r = fx.api(Method::PATCH, &unsuspend_path(TENANT_A, &locator), Some(ALL), None).await;
    assert_eq!(r.status, 204);
    assert_eq!(fx.get(TENANT_A, &locator).await, before);
    assert_eq!(fx.count("PATCH", ROUTE_UNSUSPEND, 204).await, 2);
}

#[tokio::test]
async fn suspension_time_can_be_given_and_is_shown_in_utc() {
    let fx = Fx::start().await;
    let locator = fx.create_locator(TENANT_A, "x").await;
    let at = json!({"suspendedAt": "2026-11-03T10:15:02.12+01:00"});
    let r = fx.admin(Method::POST, &suspend_path(TENANT_A, &locator), Some(&at)).await;
    assert_eq!(r.json()["suspendedAt"], "2026-11-03T09:15:02.120Z");
    assert_eq!(fx.get(TENANT_A, &locator).await["suspendedAt"], "2026-11-03T09:15:02.120Z");
    // Suspending again moves the time.
    let r = fx.admin(Method::POST, &suspend_path(TENANT_A, &locator), None).await;
    assert_ne!(r.json()["suspendedAt"], "2026-11-03T09:15:02.120Z");
    // Bad inputs.
    fx.admin(Method::POST, &suspend_path(TENANT_A, &locator), Some(&json!({"suspendedAt": "soon"}))).await.error(400);
    fx.admin(Method::POST, &suspend_path(TENANT_A, &locator), Some(&json!({"suspended": false}))).await.error(400);
    fx.admin(Method::POST, &suspend_path(TENANT_A, NO_SUCH), None).await.error(404);
    fx.admin(Method::POST, &suspend_path(TENANT_B, &locator), None).await.error(404);
}

#[tokio::test]
async fn portal_edits_can_suspend_and_unsuspend() {
    let fx = Fx::start().await;
    let locator = fx.create_locator(TENANT_A, "x").await;
    let path = format!("/tenants/{TENANT_A}/webhooks/{locator}");
    let r = fx.admin(Method::PATCH, &path, Some(&json!({"suspended": true}))).await;
    assert_eq!(r.json()["suspended"], true);
    assert!(rfc3339_utc_millis(&r.json()["suspendedAt"]));
    let r = fx.admin(Method::PATCH, &path, Some(&json!({"suspended": false}))).await;
    assert_eq!((&r.json()["suspended"], &r.json()["suspendedAt"]), (&json!(false), &Value::Null));
    fx.admin(Method::PATCH, &path, Some(&json!({"suspendedAt": "2026-01-01T00:00:00Z"}))).await.error(400);
    let r =
        fx.admin(Method::PATCH, &path, Some(&json!({"suspended": true, "suspendedAt": "2026-01-01T00:00:00Z"}))).await;
    assert_eq!(r.json()["suspendedAt"], "2026-01-01T00:00:00.000Z");
}

#[tokio::test]
async fn unsuspend_needs_write_and_the_webhook() {
    let fx = Fx::start().await;
    let locator = fx.create_locator(TENANT_A, "x").await;
    fx.admin(Method::POST, &suspend_path(TENANT_A, &locator), None).await;
    fx.api(Method::PATCH, &unsuspend_path(TENANT_A, &locator), Some(READ_LIST), None).await.error(403);
    fx.api(Method::PATCH, &unsuspend_path(TENANT_A, &locator), None, None).await.error(401);
    fx.api(Method::PATCH, &unsuspend_path(TENANT_A, NO_SUCH), Some(ALL), None).await.error(404);
    assert_eq!(fx.get(TENANT_A, &locator).await["suspended"], true, "refused unsuspends change nothing");
    // A body is not part of the request; it is ignored (and logged).
    let r = fx.api(Method::PATCH, &unsuspend_path(TENANT_A, &locator), Some(WRITE), Some(&json!({"x": 1}))).await;
    assert_eq!(r.status, 204);
    assert_eq!(fx.get(TENANT_A, &locator).await["suspended"], false);
}
