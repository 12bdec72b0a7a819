//! A provider endpoint that answers with hostile or broken responses (issue 12, "Done when"): a
//! rate-limit reset of u64::MAX, a year ahead or negative; a 100 MiB body; invalid JSON; a
//! connection that never answers. The operator stays up, each Webhook shows a clear condition,
//! and a Webhook on a healthy provider with the same token keeps converging.
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::Body;
use axum::extract::{Path, State};
use axum::response::Response;
use hookwright::crd::WebhookProvider;
use kube::api::{Api, Patch, PatchParams};
use serde_json::json;

use super::harness::{TOKEN_SECRET, condition, env, operator};

/// Modes of the hostile endpoint: `http://<addr>/<mode>/api/v1`.
const MODES: [&str; 6] = ["reset-max", "reset-year", "reset-negative", "huge-body", "invalid-json", "never-answers"];

fn rate_limited(reset: String) -> Response {
    Response::builder()
        .status(429)
        .header("x-ratelimit-limit", "1000")
        .header("x-ratelimit-remaining", "0")
        .header("x-ratelimit-reset", reset)
        .body(Body::from("{\"error\":\"rate limited\"}"))
        .unwrap()
}

async fn hostile(State(hits): State<Arc<AtomicU64>>, Path((mode, _rest)): Path<(String, String)>) -> Response {
    hits.fetch_add(1, Ordering::Relaxed);
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
    match mode.as_str() {
        "reset-max" => rate_limited(u64::MAX.to_string()),
        "reset-year" => rate_limited((now + 365 * 24 * 3600).to_string()),
        "reset-negative" => rate_limited("-5".into()),
        "huge-body" => {
            // 100 MiB, streamed: the test never holds it, the operator must not either.
            let chunk = axum::body::Bytes::from(vec![b' '; 64 * 1024]);
            let stream = futures::stream::iter((0..1600).map(move |_| Ok::<_, std::io::Error>(chunk.clone())));
            Response::builder()
                .status(200)
                .header("content-type", "application/json")
                .body(Body::from_stream(stream))
                .unwrap()
        }
        "invalid-json" => Response::builder()
            .status(200)
            .header("content-type", "application/json")
            .body(Body::from("{\"id\": \"unterminated"))
            .unwrap(),
        _ => std::future::pending().await,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_responses_neither_crash_nor_block_the_operator() {
    let env = env("hostile").await;
    let hits = Arc::new(AtomicU64::new(0));
    let app = axum::Router::new().route("/{mode}/{*rest}", axum::routing::any(hostile)).with_state(hits.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });

    let providers: Api<WebhookProvider> = Api::namespaced(env.client.clone(), &env.ns);
    for mode in MODES {
        // The same token as the healthy provider: a broken endpoint must not spend its budget.
        let p: WebhookProvider = serde_json::from_value(json!({
            "apiVersion": "hookwright.dev/v1alpha1", "kind": "WebhookProvider", "metadata": {"name": mode},
            "spec": {"mendix": {"baseUrl": format!("http://{addr}/{mode}/api/v1"),
                                "tokenSecretRef": {"name": TOKEN_SECRET, "key": "token"}}}
        }))
        .unwrap();
        providers.patch(mode, &PatchParams::apply("e2e").force(), &Patch::Apply(&p)).await.unwrap();
        let mut wh = env.webhook_json(mode);
        wh["spec"]["providerRef"]["name"] = mode.into();
        env.create(wh).await;
    }

    let expect = [
        ("reset-max", "RateLimited", "rate limit is used up"),
        ("reset-year", "RateLimited", "rate limit is used up"),
        ("reset-negative", "RateLimited", "rate limit is used up"),
        ("huge-body", "RemoteError", "exceeded 4 MiB"),
        ("invalid-json", "RemoteError", "could not be decoded"),
        ("never-answers", "RemoteError", "timed out"),
    ];
    for (name, reason, words) in expect {
        let wh = env.wait_reason(name, reason).await;
        let synced = condition(&wh, "Synced").unwrap();
        assert!(synced.message.contains(words), "{name}: {}", synced.message);
        assert_eq!(condition(&wh, "Ready").unwrap().status, "False", "{name}");
    }
    operator().await.process.check_running().expect("the operator survived every hostile answer");

    // A Webhook on the healthy provider, created after all that, converges.
    env.create(env.webhook_json("healthy")).await;
    env.wait_ready("healthy").await;
    assert_eq!(env.remote_count().await, 1);
    assert!(hits.load(Ordering::Relaxed) >= MODES.len() as u64);
    operator().await.process.check_running().expect("the operator is still up");
}
