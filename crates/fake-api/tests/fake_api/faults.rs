//! Fault injection: latency, 500s, hangs past the client's timeout, and commit-then-drop.
use std::time::{Duration, Instant};

use hookwright_fake_api::mendix::Faults;
use reqwest::Method;
use serde_json::{Value, json};

use crate::common::*;

async fn stored(fx: &Fx) -> Vec<Value> {
    fx.admin(Method::GET, "/webhooks", None).await.json()["webhooks"].as_array().cloned().unwrap_or_default()
}

async fn count(fx: &Fx, method: &str, route: &str, status: u16) -> u64 {
    fx.count(method, route, status).await
}

const LIST: &str = "/api/v1/apps/{app}/webhooks";

#[tokio::test]
async fn faults_are_settable_and_readable_at_run_time() {
    let fx = Fx::start().await;
    let got = fx.admin(Method::GET, "/faults", None).await.json();
    assert_eq!(
        got,
        json!({"latencyMs": 0, "jitterMs": 0, "errorRate": 0.0, "hangRate": 0.0, "hangMs": 30000, "commitThenDropRate": 0.0, "invalidRate": 0.0})
    );
    let want = json!({"latencyMs": 5, "jitterMs": 3, "errorRate": 0.25, "hangRate": 0.0, "hangMs": 1000, "commitThenDropRate": 0.5, "invalidRate": 0.0});
    assert_eq!(fx.admin(Method::PUT, "/faults", Some(&want)).await.json(), want);
    assert_eq!(fx.admin(Method::GET, "/faults", None).await.json(), want);
    fx.admin(Method::PUT, "/faults", Some(&json!({"errorRate": 2.0}))).await.error(400);
    fx.admin(Method::PUT, "/faults", Some(&json!({"errorRatio": 0.1}))).await.error(400);
    assert_eq!(fx.admin(Method::GET, "/faults", None).await.json(), want, "rejected updates change nothing");
}

#[tokio::test]
async fn latency_is_added_to_api_requests() {
    let fx = Fx::with(|c| c.faults = Faults { latency_ms: 300, jitter_ms: 100, ..Faults::default() }).await;
    let started = Instant::now();
    let r = fx.api(Method::GET, &format!("/apps/{APP_A}/webhooks"), Some(RW), None).await;
    let took = started.elapsed();
    assert_eq!(r.status, 200);
    assert!(took >= Duration::from_millis(300), "took {took:?}");
    // The admin API is never delayed.
    let started = Instant::now();
    fx.admin(Method::GET, "/faults", None).await;
    assert!(started.elapsed() < Duration::from_millis(300));
}

#[tokio::test]
async fn error_rate_answers_500_without_doing_anything() {
    let fx = Fx::start().await;
    fx.admin(Method::PUT, "/faults", Some(&json!({"errorRate": 1.0}))).await;
    let list = format!("/apps/{APP_A}/webhooks");
    for _ in 0..3 {
        let r = fx.api(Method::POST, &list, Some(RW), Some(&body("x"))).await;
        r.error(500);
        assert!(r.header("x-ratelimit-remaining").is_some());
    }
    assert!(stored(&fx).await.is_empty(), "a 500 stores nothing");
    assert_eq!(count(&fx, "POST", LIST, 500).await, 3);
    fx.admin(Method::PUT, "/faults", Some(&json!({}))).await;
    fx.create(APP_A, &body("x")).await;
}

#[tokio::test]
async fn hang_holds_the_request_past_the_client_timeout() {
    let fx = Fx::start().await;
    fx.admin(Method::PUT, "/faults", Some(&json!({"hangRate": 1.0, "hangMs": 20000}))).await;
    let list = format!("/apps/{APP_A}/webhooks");
    let started = Instant::now();
    let err = fx
        .http
        .post(fx.url(&list))
        .header("authorization", format!("MxToken {RW}"))
        .json(&body("x"))
        .timeout(Duration::from_millis(400))
        .send()
        .await
        .expect_err("the client times out");
    assert!(err.is_timeout(), "{err}");
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(stored(&fx).await.is_empty(), "a hung request stores nothing");
    // The abandoned request is counted with status 0 (no response was sent).
    eventually("the abandoned request to be counted", Duration::from_secs(5), || async {
        (count(&fx, "POST", LIST, 0).await == 1).then_some(())
    })
    .await;
    // A short hang ends with a 504.
    fx.admin(Method::PUT, "/faults", Some(&json!({"hangRate": 1.0, "hangMs": 50}))).await;
    fx.api(Method::GET, &list, Some(RW), None).await.error(504);
    fx.admin(Method::PUT, "/faults", Some(&json!({}))).await;
    assert_eq!(fx.api(Method::GET, &list, Some(RW), None).await.status, 200);
}

#[tokio::test]
async fn commit_then_drop_stores_the_create_and_closes_without_response() {
    let fx = Fx::start().await;
    fx.admin(Method::PUT, "/faults", Some(&json!({"commitThenDropRate": 1.0}))).await;
    let list = format!("/apps/{APP_A}/webhooks");
    let err = fx
        .http
        .post(fx.url(&list))
        .header("authorization", format!("MxToken {RW}"))
        .json(&body("Lost response"))
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .expect_err("no response arrives");
    assert!(!err.is_timeout(), "the connection is closed, not held: {err}");
    // The create happened: the portal and the API both show it.
    let all = stored(&fx).await;
    assert_eq!(all.len(), 1);
    assert_eq!(all[0]["name"], "Lost response");
    // Reads are not dropped, so a client can recover by listing.
    let listed = fx.api(Method::GET, &list, Some(RW), None).await;
    assert_eq!(listed.status, 200);
    assert_eq!(listed.json()["webhooks"][0]["id"], all[0]["id"]);
    assert_eq!(count(&fx, "POST", LIST, 0).await, 1, "counted as a request without response");
    assert_eq!(count(&fx, "POST", LIST, 200).await, 0);
    // Failed creates are not dropped: nothing was committed.
    fx.api(Method::POST, &list, Some(RW), Some(&json!({}))).await.error(400);
    fx.admin(Method::PUT, "/faults", Some(&json!({"commitThenDropRate": 0.0}))).await;
    fx.create(APP_A, &body("Answered")).await;
    assert_eq!(stored(&fx).await.len(), 2);
}

#[tokio::test]
async fn faults_from_config_apply_from_the_start_and_reset_restores_them() {
    let fx = Fx::with(|c| c.faults = Faults { error_rate: 1.0, ..Faults::default() }).await;
    let list = format!("/apps/{APP_A}/webhooks");
    fx.api(Method::GET, &list, Some(RW), None).await.error(500);
    fx.admin(Method::PUT, "/faults", Some(&json!({}))).await;
    assert_eq!(fx.api(Method::GET, &list, Some(RW), None).await.status, 200);
    assert_eq!(fx.admin(Method::POST, "/reset", None).await.status, 204);
    assert_eq!(fx.admin(Method::GET, "/faults", None).await.json()["errorRate"], 1.0);
    fx.api(Method::GET, &list, Some(RW), None).await.error(500);
}
