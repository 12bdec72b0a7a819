//! The Mendix client against the fake Mendix API over real HTTP: CRUD, pagination, error
//! mapping, what is retried and what is not, timeouts, lost responses and rate limits.
use std::sync::Arc;
use std::time::Duration;

use hookwright::providers::budget::RateBudget;
use hookwright::providers::mendix::MendixClient;
use hookwright::providers::retry::Backoff;
use hookwright::providers::transport::OverTransport as _;
use hookwright::providers::{ApiError, DesiredWebhook, Header, WebhookApi};
use hookwright::providers::{Timeouts, http_client};
use hookwright_fake_api::mendix::{FakeConfig, FakeServer, Faults, RateLimitSettings, TokenEntry};
use secrecy::SecretString;
use serde_json::{Value, json};

const TOKEN: &str = "pat-client-test-0123456789";

struct Setup {
    fake: FakeServer,
    app: String,
    client: MendixClient,
    budget: Arc<RateBudget>,
}

async fn setup(config: FakeConfig, timeout: Duration) -> Setup {
    let app = uuid::Uuid::new_v4();
    let mut config = config;
    config.tokens.push(TokenEntry::new(TOKEN, &["mx:webhook:read", "mx:webhook:write"], &[app]));
    let fake = FakeServer::start(config).await.unwrap();
    let http = http_client(Timeouts { connect: Duration::from_secs(2), request: timeout }).unwrap();
    let budget = Arc::new(RateBudget::new(None));
    let client = MendixClient::new(http, &fake.base_url(), SecretString::from(TOKEN), budget.clone())
        .with_backoff(Backoff { base: Duration::from_millis(10), max: Duration::from_millis(50), attempts: 4 });
    Setup { fake, app: app.to_string(), client, budget }
}

fn desired(name: &str) -> DesiredWebhook {
    DesiredWebhook {
        name: name.into(),
        url: format!("https://r.example.com/{}", name.replace(' ', "-")),
        event_types: vec!["package.uploaded".into()],
        active: true,
        validation_secret: Some(SecretString::from("s".repeat(40))),
        headers: vec![Header { name: "X-Team".into(), value: SecretString::from("a") }],
        failure_handling: None,
    }
}

async fn admin(s: &Setup, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
    let mut req = reqwest::Client::new().request(method, format!("{}{path}", s.fake.admin_url()));
    if let Some(b) = body {
        req = req.json(&b);
    }
    req.send().await.unwrap().json().await.unwrap_or(Value::Null)
}

async fn count(s: &Setup, method: &str) -> u64 {
    let v = admin(s, reqwest::Method::GET, "/requests", None).await;
    v["requests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["method"] == method)
        .map(|r| r["count"].as_u64().unwrap())
        .sum()
}

#[tokio::test]
async fn crud_round_trip() {
    let s = setup(FakeConfig::default(), Duration::from_secs(5)).await;
    let created = s.client.create(&s.app, &desired("one")).await.unwrap();
    assert!(created.id.starts_with("mxep_"));
    let got = s.client.observe(&s.app, &created.id).await.unwrap();
    assert!(desired("one").matches(&got));
    let mut changed = desired("one");
    changed.active = false;
    changed.headers.clear();
    s.client.update(&s.app, &created.id, &changed, None).await.unwrap();
    assert!(changed.matches(&s.client.observe(&s.app, &created.id).await.unwrap()));
    let listed = s.client.list(&s.app).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert!(!listed[0].active);
    s.client.delete(&s.app, &created.id).await.unwrap();
    assert!(matches!(s.client.observe(&s.app, &created.id).await, Err(ApiError::NotFound)));
    assert!(matches!(s.client.delete(&s.app, &created.id).await, Err(ApiError::NotFound)));
}

#[tokio::test]
async fn list_follows_every_page() {
    let s = setup(FakeConfig::default(), Duration::from_secs(5)).await;
    for i in 0..120 {
        admin(
            &s,
            reqwest::Method::POST,
            &format!("/apps/{}/webhooks", s.app),
            Some(json!({"name": format!("hook {i}")})),
        )
        .await;
    }
    let listed = s.client.list(&s.app).await.unwrap();
    assert_eq!(listed.len(), 120);
    let mut ids: Vec<_> = listed.iter().map(|w| w.id.clone()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 120, "no webhook repeated across pages");
    assert!(count(&s, "GET").await >= 3, "120 webhooks take at least three pages of 50");
}

#[tokio::test]
async fn errors_are_typed_and_never_echo_values() {
    let s = setup(FakeConfig::default(), Duration::from_secs(5)).await;
    let mut bad = desired("bad");
    bad.validation_secret = Some(SecretString::from("short-secret-value"));
    let err = s.client.create(&s.app, &bad).await.unwrap_err();
    let ApiError::Invalid(params) = &err else { panic!("want Invalid, got {err:?}") };
    assert!(params.iter().any(|p| p.name.contains("validationSecret")), "{params:?}");
    assert!(!err.to_string().contains("short-secret-value"));

    let other = uuid::Uuid::new_v4().to_string();
    assert!(matches!(s.client.list(&other).await, Err(ApiError::NotFound)));
    let wrong = MendixClient::new(
        http_client(Timeouts::default()).unwrap(),
        &s.fake.base_url(),
        SecretString::from("wrong-token-value"),
        Arc::new(RateBudget::new(None)),
    );
    let err = wrong.list(&s.app).await.unwrap_err();
    assert!(matches!(err, ApiError::Unauthenticated));
    assert!(!err.to_string().contains("wrong-token-value"));
    admin(
        &s,
        reqwest::Method::PUT,
        &format!("/tokens/{TOKEN}"),
        Some(json!({"scopes": ["mx:webhook:read"], "apps": [s.app]})),
    )
    .await;
    assert!(matches!(s.client.create(&s.app, &desired("x")).await, Err(ApiError::Forbidden)));
}

#[tokio::test]
async fn server_errors_retry_idempotent_calls_only() {
    let faults = Faults { error_rate: 1.0, ..Faults::default() };
    let s = setup(FakeConfig { faults, ..FakeConfig::default() }, Duration::from_secs(5)).await;
    assert!(matches!(s.client.observe(&s.app, "mxep_x").await, Err(ApiError::Server { status: 500 })));
    assert_eq!(count(&s, "GET").await, 4, "GET is tried four times");
    assert!(matches!(s.client.create(&s.app, &desired("y")).await, Err(ApiError::Server { status: 500 })));
    assert_eq!(count(&s, "POST").await, 1, "POST is never retried by the client");
}

#[tokio::test]
async fn hanging_request_times_out_and_lost_create_response_is_visible_in_list() {
    let faults = Faults { hang_rate: 1.0, hang_ms: 5_000, ..Faults::default() };
    let s = setup(FakeConfig { faults, ..FakeConfig::default() }, Duration::from_millis(300)).await;
    assert!(matches!(s.client.delete(&s.app, "mxep_x").await, Err(ApiError::Timeout)));

    let faults = Faults { commit_then_drop_rate: 1.0, ..Faults::default() };
    let s = setup(FakeConfig { faults, ..FakeConfig::default() }, Duration::from_secs(5)).await;
    let err = s.client.create(&s.app, &desired("lost")).await.unwrap_err();
    assert!(matches!(err, ApiError::Transport(_) | ApiError::Timeout), "{err:?}");
    assert_eq!(count(&s, "POST").await, 1);
    let listed = s.client.list(&s.app).await.unwrap();
    assert_eq!(listed.iter().filter(|w| w.name == "lost").count(), 1, "the create happened; list finds it");
}

#[tokio::test]
async fn rate_limit_blocks_until_reset_without_sending() {
    let rate_limit = RateLimitSettings { limit_per_hour: 3, window_secs: 3600 };
    let s = setup(FakeConfig { rate_limit, ..FakeConfig::default() }, Duration::from_secs(5)).await;
    for _ in 0..3 {
        s.client.list(&s.app).await.unwrap();
    }
    // The server said remaining 0: the client does not even send the next request.
    let before = count(&s, "GET").await;
    let err = s.client.list(&s.app).await.unwrap_err();
    let ApiError::RateLimited { reset_at } = err else { panic!("want RateLimited, got {err:?}") };
    assert!(reset_at > std::time::SystemTime::now());
    assert_eq!(count(&s, "GET").await, before);
    assert_eq!(s.budget.remaining(), Some(0));
}

/// Issue 12, hole 2: a provider (or anything at a user-chosen baseUrl) that answers with a
/// huge body must not make the operator read it all: the read stops at a limit with a clear
/// error, and the process stays far below its memory limit.
#[tokio::test]
async fn a_huge_response_body_is_cut_off_at_a_limit() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    const CHUNK: usize = 64 * 1024;
    const TOTAL: usize = 100 * 1024 * 1024;
    let sent = Arc::new(AtomicUsize::new(0));
    let counter = sent.clone();
    let app = axum::Router::new().fallback(move || {
        let counter = counter.clone();
        async move {
            let chunks = futures::stream::iter((0..TOTAL / CHUNK).map(move |_| {
                counter.fetch_add(CHUNK, Ordering::SeqCst);
                Ok::<_, std::io::Error>(axum::body::Bytes::from(vec![b' '; CHUNK]))
            }));
            ([(axum::http::header::CONTENT_TYPE, "application/json")], axum::body::Body::from_stream(chunks))
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/api/v1", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let http = http_client(Timeouts { connect: Duration::from_secs(2), request: Duration::from_secs(30) }).unwrap();
    let client = MendixClient::new(http, &base, SecretString::from(TOKEN), Arc::new(RateBudget::new(None)))
        .with_backoff(Backoff { base: Duration::from_millis(10), max: Duration::from_millis(50), attempts: 1 });
    let err = client.list(&uuid::Uuid::new_v4().to_string()).await.expect_err("no webhook list in 100 MiB of spaces");
    assert!(err.to_string().contains("exceeded"), "names the size limit: {err}");
    // What the server managed to push before the client hung up (socket buffers included).
    let read = sent.load(Ordering::SeqCst);
    assert!(read < 32 * 1024 * 1024, "{} MiB were sent: the whole body was read", read >> 20);
}
