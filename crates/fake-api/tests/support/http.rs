//! What the tests of both fakes share: an HTTP client, answers as values, a bounded poll (no
//! sleeps as synchronisation), the Python venv, and the binary started on free loopback ports.
#![allow(dead_code)]

use std::future::Future;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

pub const BIN: &str = env!("CARGO_BIN_EXE_hookwright-fake-api");

pub fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder().no_proxy().build().expect("client")
}

/// An answer, read completely.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or(Value::Null)
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
    }
}

impl Resp {
    /// Asserts an error answer with `code` whose body has the status at the JSON pointer
    /// `status`, a non-empty message at `message`, and, if present, a non-empty list of
    /// `{<name>, reason}` at `list`; returns the names in the list.
    pub fn error_fields(&self, code: u16, status: &str, message: &str, list: &str, name: &str) -> Vec<String> {
        assert_eq!(self.status, code, "status; body: {}", self.text);
        let v = self.json();
        assert_eq!(v.pointer(status), Some(&Value::from(code)), "{status}; body: {}", self.text);
        assert!(v.pointer(message).and_then(Value::as_str).is_some_and(|m| !m.is_empty()), "{message}: {}", self.text);
        match v.pointer(list) {
            None => vec![],
            Some(Value::Array(items)) => {
                assert!(!items.is_empty(), "{list} has at least one item when present");
                items
                    .iter()
                    .map(|p| {
                        assert!(p["reason"].is_string(), "reason: {}", self.text);
                        p[name].as_str().expect("name").to_string()
                    })
                    .collect()
            }
            Some(other) => panic!("{list} is not an array: {other}"),
        }
    }
}

/// What the fixture needs of a fake's server.
pub trait Served {
    fn base_url(&self) -> String;
    fn admin_url(&self) -> String;
}

impl Served for hookwright_fake_api::mendix::FakeServer {
    fn base_url(&self) -> String {
        self.base_url()
    }

    fn admin_url(&self) -> String {
        self.admin_url()
    }
}

impl Served for hookwright_fake_api::socotra::FakeServer {
    fn base_url(&self) -> String {
        self.base_url()
    }

    fn admin_url(&self) -> String {
        self.admin_url()
    }
}

/// A fake under test and an HTTP client. Each suite adds `start`, `with` and its API calls.
pub struct Fx<S> {
    pub server: S,
    pub http: reqwest::Client,
}

impl<S: Served> Fx<S> {
    pub fn new(server: S) -> Self {
        Self { server, http: http() }
    }

    /// `path` is relative to the base URL.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.server.base_url(), path)
    }

    pub fn admin_url(&self, path: &str) -> String {
        format!("{}{}", self.server.admin_url(), path)
    }

    pub async fn send(&self, req: reqwest::RequestBuilder) -> Resp {
        send(req).await
    }

    /// A call of the public API with `Authorization: <authorization>` when given.
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        authorization: Option<String>,
        body: Option<&Value>,
    ) -> Resp {
        let mut req = self.http.request(method, self.url(path));
        if let Some(a) = authorization {
            req = req.header("authorization", a);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        send(req).await
    }

    pub async fn admin(&self, method: reqwest::Method, path: &str, body: Option<&Value>) -> Resp {
        admin_call(&self.http, &self.server.admin_url(), method, path, body).await
    }

    /// How many requests with this method, route template and status the fake counted.
    pub async fn count(&self, method: &str, route: &str, status: u16) -> u64 {
        counted(&self.http, &self.server.admin_url(), method, route, status).await
    }
}

/// A call of a fake's admin API (`admin` is its `…/_admin` URL).
pub async fn admin_call(
    http: &reqwest::Client,
    admin: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<&Value>,
) -> Resp {
    let mut req = http.request(method, format!("{admin}{path}"));
    if let Some(b) = body {
        req = req.json(b);
    }
    send(req).await
}

/// How many requests with this method, route template and status a fake counted.
pub async fn counted(http: &reqwest::Client, admin: &str, method: &str, route: &str, status: u16) -> u64 {
    let v = admin_call(http, admin, reqwest::Method::GET, "/requests", None).await.json();
    v["requests"]
        .as_array()
        .expect("requests")
        .iter()
        .filter(|r| r["method"] == method && r["route"] == route && r["status"] == status)
        .map(|r| r["count"].as_u64().expect("count"))
        .sum()
}

/// Seconds since the epoch.
pub fn epoch_now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_secs()
}

/// `X-RateLimit-Limit`, `-Remaining` and `-Reset`, which every API answer has.
pub fn rate_limit_headers(r: &Resp) -> (u64, u64, u64) {
    let get = |n: &str| -> u64 {
        r.header(n).unwrap_or_else(|| panic!("{n} missing on {} {}", r.status, r.text)).parse().expect("integer")
    };
    (get("x-ratelimit-limit"), get("x-ratelimit-remaining"), get("x-ratelimit-reset"))
}

pub async fn send(req: reqwest::RequestBuilder) -> Resp {
    let r = req.send().await.expect("request");
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let text = r.text().await.expect("body");
    Resp { status, headers, text }
}

/// Polls `f` until it returns Some, every 20 ms, failing after `timeout`.
pub async fn eventually<T, F, Fut>(what: &str, timeout: Duration, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The Python venv with schemathesis and standardwebhooks (`$HOOKWRIGHT_VENV` or `tools/venv.sh`).
pub fn venv() -> PathBuf {
    static VENV: OnceLock<PathBuf> = OnceLock::new();
    VENV.get_or_init(|| {
        if let Some(v) = std::env::var_os("HOOKWRIGHT_VENV").filter(|v| !v.is_empty()) {
            return PathBuf::from(v);
        }
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tools/venv.sh");
        let out = std::process::Command::new(&script).output().expect("run tools/venv.sh");
        assert!(out.status.success(), "tools/venv.sh failed: {}", String::from_utf8_lossy(&out.stderr));
        PathBuf::from(String::from_utf8(out.stdout).expect("utf8").trim())
    })
    .clone()
}

/// Runs `tests/conformance/schemathesis.sh` for `provider` against the binary; panics with its
/// output if it fails.
pub async fn schemathesis(provider: &str) {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/conformance/schemathesis.sh");
    let out = Command::new(&script)
        .arg(provider)
        .env("HOOKWRIGHT_FAKE_API_BIN", BIN)
        .env("HOOKWRIGHT_VENV", venv())
        .output()
        .await
        .expect("run tests/conformance/schemathesis.sh");
    assert!(
        out.status.success(),
        "schemathesis ({provider}) failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The binary, started on free ports.
pub struct Running {
    child: Child,
    pub api: String,
    pub admin: String,
}

impl Running {
    /// Starts the binary on free ports and waits for its "listening" line.
    pub async fn start(args: &[&str]) -> Self {
        let mut child = Command::new(BIN)
            .args(["--addr", "127.0.0.1:0"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("spawn fake binary");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let line = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
            .await
            .expect("the binary prints its addresses in time")
            .expect("read stdout")
            .expect("a line");
        let field = |name: &str| {
            line.split_whitespace()
                .find_map(|w| w.strip_prefix(&format!("{name}=")))
                .unwrap_or_else(|| panic!("{name}= in {line:?}"))
                .to_string()
        };
        let (api, admin) = (field("api"), field("admin"));
        Self { child, api, admin }
    }

    /// SIGTERM (to this child only, by its pid), then wait for a clean exit.
    pub async fn stop(mut self) {
        let pid = self.child.id().expect("pid").to_string();
        let status = std::process::Command::new("kill").args(["-TERM", &pid]).status().expect("kill");
        assert!(status.success());
        let exit =
            tokio::time::timeout(Duration::from_secs(10), self.child.wait()).await.expect("exits").expect("wait");
        assert!(exit.success(), "clean exit on SIGTERM: {exit:?}");
    }
}
