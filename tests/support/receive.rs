//! Shared by the tests of `hookwright receive`: a recording upstream on 127.0.0.1, the proxy
//! binary as a child process, signed deliveries and /metrics samples.
#![allow(dead_code)] // each including binary uses a part

use std::io::{BufRead as _, BufReader};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::IntoResponse;
use hookwright::signature::{SigningKey, new_message_id, sign};

pub const BIN: &str = env!("CARGO_BIN_EXE_hookwright");
pub const SECRET: &str = "receive-test-secret-0123456789abcdefghij";
pub const DEADLINE: Duration = Duration::from_secs(30);

/// One request as the upstream saw it.
#[derive(Clone, Debug)]
pub struct Seen {
    pub uri: String,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// A tiny upstream: records requests; `/fail...` answers 500, everything else 200.
pub struct Upstream {
    pub addr: SocketAddr,
    pub seen: Arc<Mutex<Vec<Seen>>>,
}

pub async fn upstream_handler(
    State(seen): State<Arc<Mutex<Vec<Seen>>>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> axum::response::Response {
    seen.lock().unwrap().push(Seen { uri: uri.to_string(), headers, body });
    if uri.path().starts_with("/fail") {
        (StatusCode::INTERNAL_SERVER_ERROR, "upstream says no").into_response()
    } else {
        (StatusCode::OK, [("x-upstream", "yes")], "upstream ok").into_response()
    }
}

impl Upstream {
    pub async fn start() -> Upstream {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let app = axum::Router::new().fallback(upstream_handler).with_state(seen.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        Upstream { addr, seen }
    }
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

/// The proxy process; killed when dropped.
pub struct ProxyProc {
    pub child: Child,
    pub url: String,
    pub log: PathBuf,
    pub _dir: tempfile::TempDir,
    pub secret_file: PathBuf,
}

impl ProxyProc {
    pub fn start(upstream: &str, extra: &[&str]) -> ProxyProc {
        let dir = tempfile::tempdir().unwrap();
        let secret_file = dir.path().join("secret");
        std::fs::write(&secret_file, format!("{SECRET}\n")).unwrap();
        let log = dir.path().join("proxy.log");
        let mut child = Command::new(BIN)
            .args(["receive", "--listen", "127.0.0.1:0", "--upstream", upstream, "--secret-file"])
            .arg(&secret_file)
            .args(extra)
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = rx.recv_timeout(DEADLINE).unwrap_or_default();
        let url = line.trim().strip_prefix("hookwright receive: listening on ").map(str::to_string);
        let mut p = ProxyProc { child, url: String::new(), log, _dir: dir, secret_file };
        match url {
            Some(u) => p.url = u,
            None => panic!("proxy did not start (stdout {line:?}); log:\n{}", p.logs()),
        }
        p
    }

    pub fn logs(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Replaces the secret file the way the kubelet does: write aside, then rename over.
    pub fn rotate_secret(&self, secret: &str) {
        let tmp = self.secret_file.with_extension("new");
        std::fs::write(&tmp, secret).unwrap();
        std::fs::rename(&tmp, &self.secret_file).unwrap();
    }

    pub async fn metrics(&self) -> String {
        reqwest::get(format!("{}/metrics", self.url)).await.unwrap().text().await.unwrap()
    }
}

impl Drop for ProxyProc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The value of one sample in an OpenMetrics text, e.g. `requests_total{outcome="forwarded"}`.
pub fn sample(text: &str, series: &str) -> f64 {
    let name = format!("hookwright_receive_{series} ");
    text.lines()
        .find_map(|l| l.strip_prefix(&name))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no sample {series} in\n{text}"))
}

pub fn outcome(text: &str, outcome: &str) -> f64 {
    sample(text, &format!("requests_total{{outcome=\"{outcome}\"}}"))
}

pub fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder().no_proxy().build().unwrap()
}

/// A delivery signed with `secret` at `ts`.
pub struct Delivery {
    pub id: String,
    pub ts: i64,
    pub signature: String,
    pub body: Vec<u8>,
}

impl Delivery {
    pub fn new(secret: &str, ts: i64, body: &[u8]) -> Delivery {
        let id = new_message_id();
        let signature = sign(&SigningKey::raw(secret).unwrap(), &id, ts, body);
        Delivery { id, ts, signature, body: body.to_vec() }
    }

    pub async fn post(&self, proxy: &ProxyProc, path: &str) -> reqwest::Response {
        self.post_body(proxy, path, self.body.clone()).await
    }

    pub async fn post_body(&self, proxy: &ProxyProc, path: &str, body: Vec<u8>) -> reqwest::Response {
        client()
            .post(format!("{}{path}", proxy.url))
            .header("content-type", "application/json")
            .header("webhook-id", &self.id)
            .header("webhook-timestamp", self.ts.to_string())
            .header("webhook-signature", &self.signature)
            .header("x-custom-header", "custom-value")
            .body(body)
            .send()
            .await
            .unwrap()
    }
}

pub const BODY: &[u8] = br#"{"eventType":"package.uploaded","projectId":"f60650eb-230a-4419-a6af-b3668fc82d5d"}"#;
