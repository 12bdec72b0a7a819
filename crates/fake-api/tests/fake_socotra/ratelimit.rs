//! Per-token rate limiting with the same `X-RateLimit-*` headers as the Mendix fake: on every
//! response, 429 when spent, recovery after an admin reset and after the window.
use std::time::Duration;

use hookwright_fake_api::socotra::RateLimitSettings;
use reqwest::Method;
use serde_json::json;

use crate::common::*;

#[tokio::test]
async fn every_api_response_carries_rate_limit_headers() {
    let fx = Fx::start().await;
    let locator = fx.create_locator(TENANT_A, "x").await;
    let responses = vec![
        fx.api(Method::GET, &list_path(TENANT_A), Some(ALL), None).await,
        fx.api(Method::PATCH, &unsuspend_path(TENANT_A, &locator), Some(ALL), None).await,
        fx.api(Method::POST, &create_path(TENANT_A), Some(ALL), Some(&json!({}))).await,
        fx.api(Method::GET, &list_path(TENANT_A), None, None).await,
        fx.api(Method::POST, &create_path(TENANT_A), Some(READ), Some(&create_body("y"))).await,
        fx.api(Method::GET, &item_path(TENANT_A, NO_SUCH), Some(ALL), None).await,
        fx.api(Method::PUT, &item_path(TENANT_A, &locator), Some(ALL), None).await,
        fx.api(Method::DELETE, &item_path(TENANT_A, &locator), Some(ALL), None).await,
    ];
    let statuses: Vec<u16> = responses.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [200, 204, 400, 401, 403, 404, 405, 204]);
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
    let list = list_path(TENANT_A);
    let remaining: Vec<u64> = {
        let mut v = Vec::new();
        for _ in 0..3 {
            let r = fx.api(Method::GET, &list, Some(ALL), None).await;
            assert_eq!(r.status, 200);
            v.push(rate_limit_headers(&r).1);
        }
        v
    };
    assert_eq!(remaining, [2, 1, 0]);
    let r = fx.api(Method::POST, &create_path(TENANT_A), Some(ALL), Some(&create_body("x"))).await;
    r.error(429);
    assert_eq!(rate_limit_headers(&r).1, 0);
    assert!(fx.stored().await.is_empty(), "a 429 does nothing");
    // Another token has its own budget; unknown tokens share the anonymous one.
    assert_eq!(fx.api(Method::GET, &list, Some(READ_LIST), None).await.status, 200);
    let unknown = rate_limit_headers(&fx.api(Method::GET, &list, Some("nope"), None).await).1;
    let anonymous = rate_limit_headers(&fx.api(Method::GET, &list, None, None).await).1;
    assert_eq!((unknown, anonymous), (2, 1), "unknown tokens and no token share one anonymous budget");
    // An admin reset gives every token its budget back.
    assert_eq!(fx.admin(Method::POST, "/rate-limit/reset", None).await.status, 204);
    assert_eq!(fx.api(Method::GET, &list, Some(ALL), None).await.status, 200);
    assert_eq!(fx.count("POST", ROUTE_CREATE, 429).await, 1);
}

#[tokio::test]
async fn budget_recovers_when_the_window_ends() {
    let fx = Fx::with(|c| c.rate_limit = RateLimitSettings { limit_per_hour: 1, window_secs: 1 }).await;
    let list = list_path(TENANT_A);
    assert_eq!(fx.api(Method::GET, &list, Some(ALL), None).await.status, 200);
    let r = fx.api(Method::GET, &list, Some(ALL), None).await;
    if r.status == 429 {
        assert!(rate_limit_headers(&r).2 <= epoch_now() + 2);
    }
    eventually("the window to end", Duration::from_secs(5), || async {
        (fx.api(Method::GET, &list, Some(ALL), None).await.status == 200).then_some(())
    })
    .await;
}

#[tokio::test]
async fn limit_is_changeable_at_run_time() {
    let fx = Fx::start().await;
    assert_eq!(
        fx.admin(Method::GET, "/rate-limit", None).await.json(),
        json!({"limitPerHour": 1000, "windowSecs": 3600})
    );
    let r = fx.admin(Method::PUT, "/rate-limit", Some(&json!({"limitPerHour": 2}))).await;
    assert_eq!(r.json(), json!({"limitPerHour": 2, "windowSecs": 3600}));
    fx.admin(Method::PUT, "/rate-limit", Some(&json!({"limitPerHour": 0}))).await.error(400);
    fx.admin(Method::PUT, "/rate-limit", Some(&json!({"windowSecs": 0}))).await.error(400);
    fx.admin(Method::PUT, "/rate-limit", Some(&json!({"limit": 5}))).await.error(400);
    let list = list_path(TENANT_A);
    let (limit, remaining, _) = rate_limit_headers(&fx.api(Method::GET, &list, Some(ALL), None).await);
    assert_eq!((limit, remaining), (2, 1));
    fx.api(Method::GET, &list, Some(ALL), None).await;
    fx.api(Method::GET, &list, Some(ALL), None).await.error(429);
}
