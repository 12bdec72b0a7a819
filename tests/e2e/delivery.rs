//! Test delivery: the annotation makes the operator POST one signed sample event with the
//! webhook's headers; the receiver verifies it and the `Delivered` condition reports it.
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::HeaderMap;
use hookwright::signature::{SigningKey, unix_now, verify};
use serde_json::json;

use super::harness::{condition, env};

type Received = Arc<Mutex<Vec<(HeaderMap, Vec<u8>)>>>;

/// A receiver on 127.0.0.1 that records each POST and answers `status`.
async fn receiver(status: u16) -> (String, Received) {
    let got: Received = Arc::default();
    let store = got.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: axum::body::Bytes| {
            let store = store.clone();
            async move {
                store.lock().unwrap().push((headers, body.to_vec()));
                axum::http::StatusCode::from_u16(status).unwrap()
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, got)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_delivery_is_signed_and_reported() {
    let env = env("delivery").await;
    let (url, got) = receiver(204).await;
    let secret = "whsec_".to_string() + &"Q".repeat(40);
    env.put_secret("sig", &[("secret", &secret)]).await;
    let mut obj = env.webhook_json("hook");
    obj["spec"]["url"] = json!(url);
    obj["spec"]["eventTypes"] = json!(["teamserver.push"]);
    obj["spec"]["validationSecretRef"] = json!({"name": "sig", "key": "secret"});
    obj["spec"]["headers"] = json!([{"name": "X-Team", "value": "team-a"}]);
    env.create(obj).await;
    env.wait_ready("hook").await;
    assert!(got.lock().unwrap().is_empty(), "nothing is sent without the annotation");

    env.patch("hook", json!({"metadata": {"annotations": {"hookwright.dev/test-delivery-requested-at": "t1"}}})).await;
    let wh = env.wait("hook", "Delivered", |w| condition(w, "Delivered").is_some_and(|c| c.status == "True")).await;
    assert!(condition(&wh, "Delivered").unwrap().message.contains("HTTP 204"));
    assert_eq!(wh.status.as_ref().unwrap().test_delivery_handled.as_deref(), Some("t1"));
    let (headers, body) = got.lock().unwrap()[0].clone();
    let key = SigningKey::raw(&secret).unwrap();
    verify(&key, &headers, &body, unix_now(), Duration::from_secs(300))
        .expect("signature verifies with the raw-key convention");
    assert_eq!(headers["x-team"], "team-a");
    let payload: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(payload["eventType"], "teamserver.push");
    assert_eq!(payload["projectId"], env.app.to_string());
    env.wait_event("hook", "Delivered").await;

    // Same annotation value again: no second delivery; a forced resync does not resend either.
    env.force_resync("hook", "r1").await;
    assert_eq!(got.lock().unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_test_delivery_is_reported() {
    let env = env("delivfail").await;
    let (url, got) = receiver(500).await;
    let mut obj = env.webhook_json("hook");
    obj["spec"]["url"] = json!(format!("{url}?token=do-not-print"));
    obj["metadata"]["annotations"] = json!({"hookwright.dev/test-delivery-requested-at": "first"});
    env.create(obj).await;
    let wh =
        env.wait("hook", "Delivered=False", |w| condition(w, "Delivered").is_some_and(|c| c.status == "False")).await;
    let c = condition(&wh, "Delivered").unwrap();
    assert_eq!(c.reason, "DeliveryRejected");
    assert!(c.message.contains("HTTP 500") && !c.message.contains("do-not-print"), "{}", c.message);
    assert_eq!(got.lock().unwrap().len(), 1);
}

/// Issue 12, hole 7: a receiver that redirects elsewhere must not get the delivery (with its
/// Secret-sourced headers) forwarded to the redirect target; the 3xx is the result.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirect_is_not_followed_by_a_test_delivery() {
    let env = env("delivredir").await;
    let (elsewhere, got_elsewhere) = receiver(200).await;
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move || {
            let to = elsewhere.clone();
            async move { (axum::http::StatusCode::TEMPORARY_REDIRECT, [(axum::http::header::LOCATION, to)]) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    env.put_secret("auth", &[("header", "Bearer only-for-the-receiver")]).await;
    let mut obj = env.webhook_json("hook");
    obj["spec"]["url"] = json!(url);
    obj["spec"]["headers"] =
        json!([{"name": "Authorization", "valueFrom": {"secretKeyRef": {"name": "auth", "key": "header"}}}]);
    obj["metadata"]["annotations"] = json!({"hookwright.dev/test-delivery-requested-at": "first"});
    env.create(obj).await;
    let wh = env.wait("hook", "Delivered set", |w| condition(w, "Delivered").is_some()).await;
    let c = condition(&wh, "Delivered").unwrap();
    assert!(got_elsewhere.lock().unwrap().is_empty(), "the delivery followed the redirect to another receiver");
    assert_eq!((c.status.as_str(), c.reason.as_str()), ("False", "DeliveryRejected"), "{}", c.message);
    assert!(c.message.contains("HTTP 307"), "{}", c.message);
}
