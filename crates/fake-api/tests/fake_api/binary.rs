//! The `hookwright-fake-api` binary: flags, tokens file, state file, and the schemathesis
//! conformance run against the OpenAPI description in `openapi/mendix-webhooks.yaml`.
use std::path::{Path, PathBuf};

use reqwest::Method;
use tokio::process::Command;

use crate::common::*;

fn write_tokens(dir: &Path) -> PathBuf {
    let path = dir.join("tokens.yaml");
    let yaml = format!(
        "# tokens for the fake\n- token: {RW}\n  scopes: [{READ}, {WRITE}]\n  apps: [{APP_A}]\n- token: {RO}\n  scopes: [{READ}]\n  apps:\n    - {APP_A}\n"
    );
    std::fs::write(&path, yaml).expect("write tokens");
    path
}

async fn get(http: &reqwest::Client, url: &str, token: &str) -> reqwest::Response {
    http.request(Method::GET, url).header("authorization", format!("MxToken {token}")).send().await.expect("request")
}

#[tokio::test]
async fn binary_serves_the_api_with_flags_and_a_yaml_tokens_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let tokens = write_tokens(dir.path());
    let fake = Running::start(&[
        "--tokens-file",
        tokens.to_str().expect("path"),
        "--admin-addr",
        "127.0.0.1:0",
        "--rate-limit-per-hour",
        "7",
        "--rate-limit-window-secs",
        "60",
    ])
    .await;
    assert_ne!(fake.api, fake.admin);
    let http = http();
    let r = get(&http, &format!("{}/apps/{APP_A}/webhooks", fake.api), RO).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["x-ratelimit-limit"], "7");
    assert_eq!(r.headers()["x-ratelimit-remaining"], "6");
    let r = http.get(format!("{}/faults", fake.admin)).send().await.expect("admin");
    assert_eq!(r.status(), 200);
    fake.stop().await;
}

#[tokio::test]
async fn binary_fault_flags_apply() {
    let dir = tempfile::tempdir().expect("tempdir");
    let tokens = write_tokens(dir.path());
    let fake = Running::start(&["--tokens-file", tokens.to_str().expect("path"), "--error-rate", "1"]).await;
    let http = http();
    let r = get(&http, &format!("{}/apps/{APP_A}/webhooks", fake.api), RW).await;
    assert_eq!(r.status(), 500);
    let faults: serde_json::Value =
        http.get(format!("{}/faults", fake.admin)).send().await.expect("admin").json().await.expect("json");
    assert_eq!(faults["errorRate"], 1.0);
    fake.stop().await;
}

#[tokio::test]
async fn binary_rejects_bad_inputs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("bad.yaml");
    std::fs::write(&bad, "- token: t\n  apps: [not-a-uuid]\n").expect("write");
    let out = Command::new(BIN).args(["--addr", "127.0.0.1:0", "--tokens-file"]).arg(&bad).output().await.expect("run");
    assert!(!out.status.success());
    let out = Command::new(BIN).args(["--addr", "127.0.0.1:0", "--error-rate", "3"]).output().await.expect("run");
    assert!(!out.status.success());
}

#[tokio::test]
async fn state_file_survives_a_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let tokens = write_tokens(dir.path());
    let state = dir.path().join("state.json");
    let args = ["--tokens-file", tokens.to_str().expect("path"), "--state-file", state.to_str().expect("path")];
    let http = http();
    let fake = Running::start(&args).await;
    let created: serde_json::Value = http
        .post(format!("{}/apps/{APP_A}/webhooks", fake.api))
        .header("authorization", format!("MxToken {RW}"))
        .json(&body("Persisted"))
        .send()
        .await
        .expect("create")
        .json()
        .await
        .expect("json");
    fake.stop().await;
    assert!(state.exists());

    let fake = Running::start(&args).await;
    let id = created["id"].as_str().expect("id");
    let r = get(&http, &format!("{}/apps/{APP_A}/webhooks/{id}", fake.api), RW).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<serde_json::Value>().await.expect("json"), created);
    // New ids keep coming after the restored ones in creation order.
    let second: serde_json::Value = http
        .post(format!("{}/apps/{APP_A}/webhooks", fake.api))
        .header("authorization", format!("MxToken {RW}"))
        .json(&body("Second"))
        .send()
        .await
        .expect("create")
        .json()
        .await
        .expect("json");
    let list: serde_json::Value =
        get(&http, &format!("{}/apps/{APP_A}/webhooks?ascOrder=true", fake.api), RW).await.json().await.expect("json");
    assert_eq!(list["webhooks"][0]["id"], created["id"]);
    assert_eq!(list["webhooks"][1]["id"], second["id"]);
    fake.stop().await;
}

/// Property-based conformance: schemathesis against the running binary (bounded examples).
#[tokio::test]
async fn schemathesis_conformance_against_the_openapi_description() {
    schemathesis("mendix").await;
}
