//! Fault injection, the same modes as the Mendix fake: latency, 500s, hangs past the client's
//! timeout, commit-then-drop of creates, and invalid-write 400s.
use std::time::{Duration, Instant};

use hookwright_fake_api::socotra::Faults;
use reqwest::Method;
use serde_json::json;

use crate::common::*;

#[tokio::test]
async fn faults_are_settable_and_readable_at_run_time() {
    let fx = Fx::start().await;
    let defaults = json!({"latencyMs": 0, "jitterMs": 0, "errorRate": 0.0, "hangRate": 0.0, "hangMs": 30000,
                          "commitThenDropRate": 0.0, "invalidRate": 0.0});
    assert_eq!(fx.admin(Method::GET, "/faults", None).await.json(), defaults);
    let want = json!({"latencyMs": 5, "jitterMs": 3, "errorRate": 0.25, "hangRate": 0.0, "hangMs": 1000,
                      "commitThenDropRate": 0.5, "invalidRate": 0.1});
    assert_eq!(fx.admin(Method::PUT, "/faults", Some(&want)).await.json(), want);
    assert_eq!(fx.admin(Method::GET, "/faults", None).await.json(), want);
    fx.admin(Method::PUT, "/faults", Some(&json!({"hangRate": -1}))).await.error(400);
    fx.admin(Method::PUT, "/faults", Some(&json!({"latencyMs": 600001}))).await.error(400);
    fx.admin(Method::PUT, "/faults", Some(&json!({"errorRatio": 0.1}))).await.error(400);
    assert_eq!(fx.admin(Method::GET, "/faults", None).await.json(), want, "rejected updates change nothing");
    assert_eq!(fx.admin(Method::PUT, "/faults", Some(&json!({}))).await.json(), defaults);
}

#[tokio::test]
async fn latency_and_jitter_are_added_to_api_requests_only() {
    let fx = Fx::with(|c| c.faults = Faults { latency_ms: 300, jitter_ms: 100, ..Faults::default() }).await;
    let started = Instant::now();
    assert_eq!(fx.api(Method::GET, &list_path(TENANT_A), Some(ALL), None).await.status, 200);
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(300), "took {took:?}");
    let started = Instant::now();
    fx.admin(Method::GET, "/faults", None).await;
    assert!(started.elapsed() < Duration::from_millis(300), "the admin API is never delayed");
}

#[tokio::test]
async fn error_rate_answers_500_without_doing_anything() {
    let fx = Fx::start().await;
    let locator = fx.create_locator(TENANT_A, "x").await;
    fx.admin(Method::PUT, "/faults", Some(&json!({"errorRate": 1.0}))).await;
    fx.api(Method::POST, &create_path(TENANT_A), Some(ALL), Some(&create_body("y"))).await.error(500);
    let mut rename = noop_update("renamed");
    rename["removeEventTypes"] = json!(["policy.issue"]);
    fx.api(Method::PATCH, &item_path(TENANT_A, &locator), Some(ALL), Some(&rename)).await.error(500);
    fx.api(Method::DELETE, &item_path(TENANT_A, &locator), Some(ALL), None).await.error(500);
    let r = fx.api(Method::GET, &list_path(TENANT_A), Some(ALL), None).await;
    r.error(500);
    assert!(r.header("x-ratelimit-remaining").is_some());
    let stored = fx.stored().await;
    assert_eq!((stored.len(), &stored[0]["name"]), (1, &json!("x")), "nothing was done");
    assert_eq!(fx.count("POST", ROUTE_CREATE, 500).await, 1);
    fx.admin(Method::PUT, "/faults", Some(&json!({}))).await;
    assert_eq!(fx.api(Method::GET, &list_path(TENANT_A), Some(ALL), None).await.status, 200);
}

#[tokio::test]
async fn hang_holds_the_request_past_the_client_timeout_then_504() {
    let fx = Fx::start().await;
    fx.admin(Method::PUT, "/faults", Some(&json!({"hangRate": 1.0, "hangMs": 20000}))).await;
    let started = Instant::now();
    let err = fx
        .http
        .post(fx.url(&create_path(TENANT_A)))
        .bearer_auth(ALL)
        .json(&create_body("x"))
        .timeout(Duration::from_millis(400))
        .send()
        .await
        .expect_err("the client times out");
    assert!(err.is_timeout(), "{err}");
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(fx.stored().await.is_empty(), "a hung request stores nothing");
    eventually("the abandoned request to be counted and logged", Duration::from_secs(5), || async {
        let logged = fx.logged("POST").await;
        (fx.count("POST", ROUTE_CREATE, 0).await == 1 && logged.len() == 1).then_some(logged)
    })
    .await
    .iter()
    .for_each(|e| assert_eq!((&e["status"], &e["body"]), (&json!(0), &create_body("x"))));
    fx.admin(Method::PUT, "/faults", Some(&json!({"hangRate": 1.0, "hangMs": 50}))).await;
    fx.api(Method::GET, &list_path(TENANT_A), Some(ALL), None).await.error(504);
}

#[tokio::test]
async fn commit_then_drop_stores_the_create_and_closes_without_response() {
    let fx = Fx::start().await;
    fx.admin(Method::PUT, "/faults", Some(&json!({"commitThenDropRate": 1.0}))).await;
    let err = fx
        .http
        .post(fx.url(&create_path(TENANT_A)))
        .bearer_auth(ALL)
        .json(&create_body("Lost response"))
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .expect_err("no response arrives");
    assert!(!err.is_timeout(), "the connection is closed, not held: {err}");
    // The create happened; a client recovers by listing with the name filter.
    let stored = fx.stored().await;
    assert_eq!(stored.len(), 1);
    let found = fx.api(Method::GET, &format!("{}?name=Lost%20response", list_path(TENANT_A)), Some(ALL), None).await;
    assert_eq!(found.status, 200, "reads are not dropped");
    assert_eq!(found.json()[0]["locator"], stored[0]["locator"]);
    assert_eq!(fx.count("POST", ROUTE_CREATE, 0).await, 1, "counted as a request without response");
    assert_eq!(fx.count("POST", ROUTE_CREATE, 200).await, 0);
    let logged = fx.logged("POST").await;
    assert_eq!((&logged[0]["status"], &logged[0]["body"]), (&json!(0), &create_body("Lost response")));
    // Updates, unsuspends and deletes are answered; failed creates commit nothing and are answered.
    let locator = stored[0]["locator"].as_str().expect("locator");
    assert_eq!(
        fx.api(Method::PATCH, &item_path(TENANT_A, locator), Some(ALL), Some(&noop_update("n"))).await.status,
        200
    );
    assert_eq!(fx.api(Method::PATCH, &unsuspend_path(TENANT_A, locator), Some(ALL), None).await.status, 204);
    fx.api(Method::POST, &create_path(TENANT_A), Some(ALL), Some(&json!({}))).await.error(400);
    assert_eq!(fx.api(Method::DELETE, &item_path(TENANT_A, locator), Some(ALL), None).await.status, 204);
    fx.admin(Method::PUT, "/faults", Some(&json!({"commitThenDropRate": 0.0}))).await;
    fx.create(TENANT_A, &create_body("Answered")).await;
}

#[tokio::test]
async fn invalid_rate_refuses_creates_and_updates_naming_the_url() {
    let fx = Fx::start().await;
    let locator = fx.create_locator(TENANT_A, "x").await;
    fx.admin(Method::PUT, "/faults", Some(&json!({"invalidRate": 1.0}))).await;
    let r = fx.api(Method::POST, &create_path(TENANT_A), Some(ALL), Some(&create_body("y"))).await;
    assert_eq!(r.error(400), ["endpoint.url"]);
    let mut rename = noop_update("renamed");
    rename["addEventTypes"] = json!(["new.type"]);
    let r = fx.api(Method::PATCH, &item_path(TENANT_A, &locator), Some(ALL), Some(&rename)).await;
    assert_eq!(r.error(400), ["endpoint.url"]);
    // Reads, unsuspends and deletes are not writes with a body.
    assert_eq!(fx.api(Method::GET, &item_path(TENANT_A, &locator), Some(ALL), None).await.json()["name"], "x");
    assert_eq!(fx.api(Method::PATCH, &unsuspend_path(TENANT_A, &locator), Some(ALL), None).await.status, 204);
    assert_eq!(fx.stored().await.len(), 1, "nothing created");
    assert_eq!(fx.api(Method::DELETE, &item_path(TENANT_A, &locator), Some(ALL), None).await.status, 204);
}

#[tokio::test]
async fn faults_from_config_apply_from_the_start_and_reset_restores_them() {
    let fx = Fx::with(|c| c.faults = Faults { error_rate: 1.0, ..Faults::default() }).await;
    fx.api(Method::GET, &list_path(TENANT_A), Some(ALL), None).await.error(500);
    fx.admin(Method::PUT, "/faults", Some(&json!({}))).await;
    assert_eq!(fx.api(Method::GET, &list_path(TENANT_A), Some(ALL), None).await.status, 200);
    assert_eq!(fx.admin(Method::POST, "/reset", None).await.status, 204);
    assert_eq!(fx.admin(Method::GET, "/faults", None).await.json()["errorRate"], 1.0);
    fx.api(Method::GET, &list_path(TENANT_A), Some(ALL), None).await.error(500);
}
