//! `hookwright-fake-api --provider socotra`: flags, tokens file, state file, Mendix-only flags
//! refused, and the schemathesis conformance run against `openapi/socotra-webhooks.yaml`.
use std::path::{Path, PathBuf};
use std::time::Duration;

use reqwest::Method;
use serde_json::Value;
use tokio::process::Command;

use crate::common::*;

fn write_tokens(dir: &Path) -> PathBuf {
    let path = dir.join("tokens.yaml");
    let yaml = format!(
        "# tokens for the Socotra fake\n- token: {ALL}\n  permissions: [read, list, write]\n  tenants: [{TENANT_A}]\n- token: {READ_LIST}\n  permissions:\n    - read\n    - list\n  tenants: [{TENANT_A}]\n"
    );
    std::fs::write(&path, yaml).expect("write tokens");
    path
}

async fn call(http: &reqwest::Client, method: Method, url: &str, token: &str, body: Option<&Value>) -> Resp {
    let mut req = http.request(method, url).bearer_auth(token);
    if let Some(b) = body {
        req = req.json(b);
    }
    send(req).await
}

#[tokio::test]
async fn binary_serves_socotra_with_flags_and_a_yaml_tokens_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let tokens = write_tokens(dir.path());
    let args = [
        "--provider",
        "socotra",
        "--tokens-file",
        tokens.to_str().expect("path"),
        "--admin-addr",
        "127.0.0.1:0",
        "--rate-limit-per-hour",
        "7",
        "--rate-limit-window-secs",
        "60",
        "--invalid-rate",
        "1",
    ];
    let fake = Running::start(&args).await;
    assert_ne!(fake.api, fake.admin);
    assert!(!fake.api.ends_with("/api/v1"), "the Socotra base URL has no path: {}", fake.api);
    let http = http();
    let r = call(&http, Method::GET, &format!("{}{}", fake.api, list_path(TENANT_A)), READ_LIST, None).await;
    assert_eq!((r.status, r.text.as_str()), (200, "[]"));
    assert_eq!(
        (r.header("x-ratelimit-limit"), r.header("x-ratelimit-remaining")),
        (Some("7".into()), Some("6".into()))
    );
    let r = call(&http, Method::POST, &format!("{}{}", fake.api, create_path(TENANT_A)), ALL, Some(&create_body("x")))
        .await;
    assert_eq!(r.error(400), ["endpoint.url"], "--invalid-rate applies");
    let faults: Value =
        http.get(format!("{}/faults", fake.admin)).send().await.expect("admin").json().await.expect("json");
    assert_eq!(faults["invalidRate"], 1.0);
    fake.stop().await;
}

#[tokio::test]
async fn binary_refuses_bad_inputs_for_socotra() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mendix_tokens = dir.path().join("mendix.yaml");
    std::fs::write(&mendix_tokens, "- token: t\n  scopes: [mx:webhook:read]\n").expect("write");
    let bad_permission = dir.path().join("bad.yaml");
    std::fs::write(&bad_permission, "- token: t\n  permissions: [admin]\n").expect("write");
    let cases: Vec<Vec<&str>> = vec![
        vec!["--provider", "socotra", "--tokens-file", mendix_tokens.to_str().expect("path")],
        vec!["--provider", "socotra", "--tokens-file", bad_permission.to_str().expect("path")],
        vec!["--provider", "socotra", "--signing-key-format", "whsec"],
        vec!["--provider", "socotra", "--delivery-max-attempts", "2"],
        vec!["--provider", "socotra", "--error-rate", "3"],
        vec!["--provider", "salesforce"],
    ];
    for args in cases {
        // Bounded: a binary that starts after all would otherwise serve forever.
        let run = Command::new(BIN).args(["--addr", "127.0.0.1:0"]).args(&args).kill_on_drop(true).output();
        let out = tokio::time::timeout(Duration::from_secs(20), run).await.expect("exits at once").expect("run");
        assert!(!out.status.success(), "{args:?} is refused");
        assert!(!out.stderr.is_empty(), "{args:?} says why");
    }
}

#[tokio::test]
async fn state_file_survives_a_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let tokens = write_tokens(dir.path());
    let state = dir.path().join("state.json");
    let args = [
        "--provider",
        "socotra",
        "--tokens-file",
        tokens.to_str().expect("path"),
        "--state-file",
        state.to_str().expect("path"),
    ];
    let http = http();
    let fake = Running::start(&args).await;
    let first =
        call(&http, Method::POST, &format!("{}{}", fake.api, create_path(TENANT_A)), ALL, Some(&create_body("one")))
            .await
            .json();
    let locator = first["locator"].as_str().expect("locator").to_string();
    let suspended = http
        .post(format!("{}/tenants/{TENANT_A}/webhooks/{locator}/suspend", fake.admin))
        .send()
        .await
        .expect("suspend");
    assert_eq!(suspended.status(), 200);
    fake.stop().await;
    assert!(state.exists());

    let fake = Running::start(&args).await;
    let got =
        call(&http, Method::GET, &format!("{}{}", fake.api, item_path(TENANT_A, &locator)), ALL, None).await.json();
    assert_eq!(got["name"], "one");
    assert_eq!(got["suspended"], true, "suspension survives too");
    let second =
        call(&http, Method::POST, &format!("{}{}", fake.api, create_path(TENANT_A)), ALL, Some(&create_body("two")))
            .await
            .json();
    let list = call(&http, Method::GET, &format!("{}{}", fake.api, list_path(TENANT_A)), ALL, None).await.json();
    assert_eq!(list[0]["locator"], first["locator"], "creation order survives");
    assert_eq!(list[1]["locator"], second["locator"]);
    fake.stop().await;
}

/// Property-based conformance: schemathesis against the running binary (bounded examples).
#[tokio::test]
async fn schemathesis_conformance_against_the_openapi_description() {
    schemathesis("socotra").await;
}
