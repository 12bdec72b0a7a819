//! Shared setup for the end-to-end tests.
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use hookwright::crd::{Webhook, WebhookProvider};
use hookwright_fake_api::mendix::{FakeConfig, FakeServer, TokenEntry};
use k8s_openapi::api::core::v1::Secret;
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
use serde_json::{Value, json};
use tokio::sync::OnceCell;

pub const TOKEN_SECRET: &str = "mendix-pat";
pub const PROVIDER: &str = "mendix";
/// Drift interval of the shared operator: short, so drift tests finish quickly.
pub const DRIFT_SECS: u64 = 3;

pub struct Operator {
    pub process: hookwright_testenv::Guarded,
    /// `http://127.0.0.1:<port>` of /livez, /readyz and /metrics.
    pub health: String,
}

/// Starts (once per test binary) the control plane, the CRDs and the operator binary.
pub async fn operator() -> &'static Operator {
    static OP: OnceCell<Operator> = OnceCell::const_new();
    OP.get_or_init(|| async {
        super::leaks::capture_process_log();
        let cp = hookwright_testenv::shared().await;
        let client = cp.client().await.expect("admin client");
        let crds = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("crds");
        hookwright_testenv::install_crds(&client, &crds).await.expect("install CRDs");
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut cmd = std::process::Command::new(hookwright_testenv::operator_binary(env!("CARGO_BIN_EXE_hookwright")));
        cmd.args(["run", "--drift-interval", &format!("{DRIFT_SECS}s"), "--api-timeout", "2s", "--concurrency", "8"])
            // Drift checks as fast as the interval allows (the default budget paces them at 36 s).
            .args(["--drift-budget", "100000"])
            .arg("--metrics-addr")
            .arg(format!("127.0.0.1:{port}"))
            .arg("--enable-test-delivery")
            .env("KUBECONFIG", cp.kubeconfig_path())
            // Debug level, so the secret-leak check (leaks.rs) covers what debug logging prints.
            .env("RUST_LOG", "debug,hyper=info,hyper_util=info,h2=info,rustls=info,tower=info,reqwest=info");
        // The log outlives the run (target/e2e-operator.log) so failures can be read afterwards.
        let log = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("e2e-operator.log");
        let process = hookwright_testenv::spawn_logged("hookwright", cmd, &log).expect("start operator");
        let health = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            process.check_running().expect("operator running");
            let ok = reqwest::get(format!("{health}/readyz")).await.is_ok_and(|r| r.status().is_success());
            if ok {
                break;
            }
            assert!(Instant::now() < deadline, "operator never became ready:\n{}", process.log_tail());
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Operator { process, health }
    })
    .await
}

/// One test's world: a namespace, a fake Mendix API with one app and one token, the token
/// Secret and a `WebhookProvider` pointing at the fake.
pub struct Env {
    pub client: kube::Client,
    pub ns: String,
    pub fake: FakeServer,
    pub app: uuid::Uuid,
    pub token: String,
    pub http: reqwest::Client,
}

pub async fn env(prefix: &str) -> Env {
    env_with(prefix, FakeConfig::default()).await
}

pub async fn env_with(prefix: &str, mut config: FakeConfig) -> Env {
    let _ = operator().await;
    let cp = hookwright_testenv::shared().await;
    let client = cp.client().await.unwrap();
    let ns = hookwright_testenv::create_namespace(&client, prefix).await.unwrap();
    let app = uuid::Uuid::new_v4();
    let token = format!("pat{}", uuid::Uuid::new_v4().simple());
    config.tokens.push(TokenEntry::new(token.clone(), &["mx:webhook:read", "mx:webhook:write"], &[app]));
    let fake = FakeServer::start(config).await.unwrap();
    hookwright::tls::install_crypto_provider();
    let env = Env { client, ns, fake, app, token: token.clone(), http: reqwest::Client::new() };
    env.put_secret(TOKEN_SECRET, &[("token", &token)]).await;
    env.apply_provider(PROVIDER, TOKEN_SECRET).await;
    env
}

/// Every test ends with the secret-leak check over the whole suite so far (see leaks.rs).
impl Drop for Env {
    fn drop(&mut self) {
        if std::thread::panicking() || self.ns.starts_with(super::leaks::PLANTED) {
            return;
        }
        let hits = super::leaks::check_suite_blocking();
        assert!(hits.is_empty(), "secret values leaked: {hits:#?}");
    }
}

impl Env {
    pub fn webhooks(&self) -> Api<Webhook> {
        Api::namespaced(self.client.clone(), &self.ns)
    }

    pub fn secrets(&self) -> Api<Secret> {
        Api::namespaced(self.client.clone(), &self.ns)
    }

    pub async fn apply_provider(&self, name: &str, secret: &str) {
        let p: WebhookProvider = serde_json::from_value(json!({
            "apiVersion": "hookwright.dev/v1alpha1", "kind": "WebhookProvider",
            "metadata": {"name": name},
            "spec": {"mendix": {"baseUrl": self.fake.base_url(), "tokenSecretRef": {"name": secret, "key": "token"}}}
        }))
        .unwrap();
        let api: Api<WebhookProvider> = Api::namespaced(self.client.clone(), &self.ns);
        api.patch(name, &PatchParams::apply("e2e").force(), &Patch::Apply(&p)).await.unwrap();
    }

    /// Creates or replaces Secret `name` with string data.
    pub async fn put_secret(&self, name: &str, data: &[(&str, &str)]) {
        let s: Secret = serde_json::from_value(json!({
            "apiVersion": "v1", "kind": "Secret", "metadata": {"name": name},
            "stringData": data.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect::<BTreeMap<_, _>>(),
        }))
        .unwrap();
        self.secrets().patch(name, &PatchParams::apply("e2e").force(), &Patch::Apply(&s)).await.unwrap();
    }

    /// A minimal valid Webhook spec for this env's app (JSON, to be tweaked by tests).
    pub fn webhook_json(&self, name: &str) -> Value {
        json!({
            "apiVersion": "hookwright.dev/v1alpha1", "kind": "Webhook",
            "metadata": {"name": name},
            "spec": {
                "providerRef": {"kind": "WebhookProvider", "name": PROVIDER},
                "mendix": {"appId": self.app.to_string()},
                "url": format!("https://receiver.example.com/{name}"),
                "eventTypes": ["package.uploaded"],
            }
        })
    }

    pub async fn create(&self, obj: Value) -> Webhook {
        let wh: Webhook = serde_json::from_value(obj).unwrap();
        self.webhooks().create(&PostParams::default(), &wh).await.unwrap()
    }

    /// Merge-patches the Webhook (spec or metadata).
    pub async fn patch(&self, name: &str, patch: Value) {
        self.webhooks().patch(name, &PatchParams::default(), &Patch::Merge(&patch)).await.unwrap();
    }

    pub async fn delete(&self, name: &str) {
        self.webhooks().delete(name, &DeleteParams::default()).await.unwrap();
    }

    /// Forces a resync through the annotation and waits until the operator handled it.
    pub async fn force_resync(&self, name: &str, value: &str) {
        self.patch(name, json!({"metadata": {"annotations": {"hookwright.dev/reconcile-requested-at": value}}})).await;
        self.wait(name, &format!("resync {value} handled"), |wh| {
            wh.status.as_ref().and_then(|s| s.reconcile_request_handled.as_deref()) == Some(value)
        })
        .await;
    }

    /// Polls the Webhook until `pred` holds (deadline 60 s); returns it.
    pub async fn wait(&self, name: &str, what: &str, pred: impl Fn(&Webhook) -> bool) -> Webhook {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(wh) = self.webhooks().get_opt(name).await.unwrap() {
                if pred(&wh) {
                    return wh;
                }
                if Instant::now() > deadline {
                    panic!(
                        "timed out waiting for {what} on {name}; status: {}",
                        serde_json::to_string_pretty(&wh.status).unwrap()
                    );
                }
            } else if Instant::now() > deadline {
                panic!("timed out waiting for {what}: {name} does not exist");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until the Ready condition is True for the current generation.
    pub async fn wait_ready(&self, name: &str) -> Webhook {
        self.wait(name, "Ready", |wh| {
            condition(wh, "Ready")
                .is_some_and(|c| c.status == "True" && c.observed_generation == wh.metadata.generation)
        })
        .await
    }

    /// Waits until the Synced condition has `reason`.
    pub async fn wait_reason(&self, name: &str, reason: &str) -> Webhook {
        self.wait(name, &format!("Synced reason {reason}"), |wh| {
            condition(wh, "Synced").is_some_and(|c| c.reason == reason)
        })
        .await
    }

    pub async fn wait_gone(&self, name: &str) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while self.webhooks().get_opt(name).await.unwrap().is_some() {
            assert!(Instant::now() < deadline, "{name} was not deleted in time");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    // --- the fake's admin API ---

    pub async fn admin(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        admin_call(&self.http, &self.fake.admin_url(), method, path, body).await
    }

    /// Requests the fake received with `method` (all routes and statuses), or all when "*".
    pub async fn count(&self, method: &str) -> u64 {
        self.count_where(method, None, "").await
    }

    /// Requests with `method` on routes ending in `route_end` (`/webhooks` lists, `/{id}` one).
    pub async fn count_route(&self, method: &str, route_end: &str) -> u64 {
        self.count_where(method, None, route_end).await
    }

    /// Requests with `method` that got `status`.
    pub async fn count_status(&self, method: &str, status: u64) -> u64 {
        self.count_where(method, Some(status), "").await
    }

    async fn count_where(&self, method: &str, status: Option<u64>, route_end: &str) -> u64 {
        let v = self.admin(reqwest::Method::GET, "/requests", None).await;
        v["requests"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| (method == "*" || r["method"] == method) && status.is_none_or(|s| r["status"] == s))
            .filter(|r| r["route"].as_str().unwrap_or_default().ends_with(route_end))
            .map(|r| r["count"].as_u64().unwrap())
            .sum()
    }

    /// The stored remote webhook (with secret and headers).
    pub async fn remote(&self, id: &str) -> Value {
        self.admin(reqwest::Method::GET, &format!("/apps/{}/webhooks/{id}", self.app), None).await
    }

    pub async fn remote_count(&self) -> usize {
        let v = self.admin(reqwest::Method::GET, "/webhooks", None).await;
        v["webhooks"].as_array().unwrap().len()
    }

    /// Events about `name` in this namespace, as (reason, note).
    pub async fn events(&self, name: &str) -> Vec<(String, String)> {
        let api: Api<k8s_openapi::api::events::v1::Event> = Api::namespaced(self.client.clone(), &self.ns);
        api.list(&Default::default())
            .await
            .unwrap()
            .items
            .into_iter()
            .filter(|e| e.regarding.as_ref().and_then(|r| r.name.as_deref()) == Some(name))
            .map(|e| (e.reason.unwrap_or_default(), e.note.unwrap_or_default()))
            .collect()
    }

    pub async fn wait_event(&self, name: &str, reason: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some((_, note)) = self.events(name).await.into_iter().find(|(r, _)| r == reason) {
                return note;
            }
            assert!(Instant::now() < deadline, "no {reason} Event for {name}: {:?}", self.events(name).await);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// One call of a fake's admin API (`admin_url` + `path`); it must succeed. JSON answer or null.
pub async fn admin_call(
    http: &reqwest::Client,
    admin_url: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> Value {
    let mut req = http.request(method, format!("{admin_url}{path}"));
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status();
    let text = resp.text().await.unwrap();
    assert!(status.is_success(), "admin {path}: {status} {text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

pub fn condition<'a>(
    wh: &'a Webhook,
    type_: &str,
) -> Option<&'a k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition> {
    wh.status.as_ref()?.conditions.iter().find(|c| c.type_ == type_)
}

pub fn webhook_id(wh: &Webhook) -> String {
    wh.status.as_ref().and_then(|s| s.webhook_id.clone()).expect("webhookId in status")
}

/// Lets the operator run for `secs` (used only to show that nothing happens in a window).
pub async fn observe_quietly(secs: u64) {
    tokio::time::sleep(Duration::from_secs(secs)).await;
}
