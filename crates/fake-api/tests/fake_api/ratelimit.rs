//! Per-token rate limiting: headers on every response, 429 with the error body, recovery after
//! an admin reset and after the window ends.
use std::time::Duration;

use hookwright_fake_api::mendix::RateLimitSettings;
use reqwest::Method;
use serde_json::json;

use crate::common::*;

#[tokio::test]
async fn every_api_response_carries_rate_limit_headers() {
    let fx = Fx::start().await;
    let list = format!("/apps/{APP_A}/webhooks");
    let created = fx.create(APP_A, &body("x")).await;
    let item = format!("{list}/{}", created["id"].as_str().expect("id"));
    let responses = vec![
        fx.api(Method::GET, &list, Some(RW), None).await,              // 200
        fx.api(Method::PUT, &item, Some(RW), Some(&body("y"))).await,  // 202
        fx.api(Method::POST, &list, Some(RW), Some(&json!({}))).await, // 400
        fx.api(Method::GET, &list, None, None).await,                  // 401
        fx.api(Method::POST, &list, Some(RO), Some(&body("y"))).await, // 403
        fx.api(Method::GET, &format!("{list}/mxep_nope"), Some(RW), None).await, // 404
        fx.api(Method::DELETE, &item, Some(RW), None).await,           // 204
    ];
    let statuses: Vec<u16> = responses.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [200, 202, 400, 401, 403, 404, 204]);
    for r in &responses {
        let (limit, remaining, reset) = rate_limit_headers(r);
        assert_eq!(limit, 1000, "default limit");
        assert!(remaining < limit);
        assert!(reset >= epoch_now() && reset <= epoch_now() + 3601, "reset is epoch seconds within the hour");
    }
}

#[tokio::test]
async fn exhausted_budget_is_429_until_reset_and_other_tokens_are_unaffected() {
    let fx = Fx::with(|c| c.rate_limit = RateLimitSettings { limit_per_hour: 3, window_secs: 3600 }).await;
    let list = format!("/apps/{APP_A}/webhooks");
    for expected_remaining in [2, 1, 0] {
        let r = fx.api(Method::GET, &list, Some(RW), None).await;
        assert_eq!(r.status, 200);
        assert_eq!(rate_limit_headers(&r).1, expected_remaining);
    }
    let r = fx.api(Method::GET, &list, Some(RW), None).await;
    r.error(429);
    let (limit, remaining, reset) = rate_limit_headers(&r);
    assert_eq!((limit, remaining), (3, 0));
    assert!(reset >= epoch_now() && reset <= epoch_now() + 3601);
    // A write is refused too, and nothing is stored.
    fx.api(Method::POST, &list, Some(RW), Some(&body("x"))).await.error(429);
    assert_eq!(fx.admin(Method::GET, "/webhooks", None).await.json()["webhooks"], json!([]));
    // The budget is per token.
    assert_eq!(fx.api(Method::GET, &list, Some(RO), None).await.status, 200);
    // Admin reset restores the budget.
    assert_eq!(fx.admin(Method::POST, "/rate-limit/reset", None).await.status, 204);
    let r = fx.api(Method::GET, &list, Some(RW), None).await;
    assert_eq!(r.status, 200);
    assert_eq!(rate_limit_headers(&r).1, 2);
}

#[tokio::test]
async fn budget_recovers_when_the_window_ends() {
    let fx = Fx::with(|c| c.rate_limit = RateLimitSettings { limit_per_hour: 1, window_secs: 1 }).await;
    let list = format!("/apps/{APP_A}/webhooks");
    assert_eq!(fx.api(Method::GET, &list, Some(RW), None).await.status, 200);
    let limited = fx.api(Method::GET, &list, Some(RW), None).await;
    limited.error(429);
    let (_, _, reset) = rate_limit_headers(&limited);
    assert!(reset <= epoch_now() + 2, "a one-second window resets within two seconds");
    let r = eventually("the window to end", Duration::from_secs(5), || async {
        let r = fx.api(Method::GET, &list, Some(RW), None).await;
        (r.status == 200).then_some(r)
    })
    .await;
    assert!(epoch_now() + 1 >= reset, "recovery happens at the advertised reset time, not before");
    assert_eq!(rate_limit_headers(&r).1, 0);
}

#[tokio::test]
async fn limit_is_changeable_at_run_time() {
    let fx = Fx::start().await;
    let r = fx.admin(Method::PUT, "/rate-limit", Some(&json!({"limitPerHour": 2}))).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json(), json!({"limitPerHour": 2, "windowSecs": 3600}));
    assert_eq!(fx.admin(Method::GET, "/rate-limit", None).await.json()["limitPerHour"], 2);
    let list = format!("/apps/{APP_A}/webhooks");
    let r = fx.api(Method::GET, &list, Some(RW), None).await;
    assert_eq!(rate_limit_headers(&r).0, 2);
    fx.api(Method::GET, &list, Some(RW), None).await;
    fx.api(Method::GET, &list, Some(RW), None).await.error(429);
    fx.admin(Method::PUT, "/rate-limit", Some(&json!({"limitPerHour": 0}))).await.error(400);
    fx.admin(Method::PUT, "/rate-limit", Some(&json!({"limit": 5}))).await.error(400);
}
