//! For test binaries that start operator processes of their own (not the e2e harness's shared
//! one): a namespace holding a token Secret and a WebhookProvider `m` that points at a fake
//! API with one app, Webhooks for that app, operator processes, and the fake's request counts.
#![allow(dead_code)] // each including binary uses a part
use std::path::PathBuf;

use hookwright::crd::{Webhook, WebhookProvider};
use hookwright_fake_api::mendix::{FakeConfig, FakeServer, TokenEntry};
use hookwright_testenv::{ControlPlane, Guarded};
use k8s_openapi::api::core::v1::Secret;
use kube::api::{Api, PostParams};
use serde_json::{Value, json};

pub struct World {
    /// The control plane's admin kubeconfig (given to operators) and directory (their logs).
    pub kubeconfig: PathBuf,
    pub dir: PathBuf,
    pub client: kube::Client,
    pub ns: String,
    pub fake: FakeServer,
    pub app: uuid::Uuid,
    pub webhooks: Api<Webhook>,
}

/// The shared control plane with the CRDs, a new namespace `<prefix>-…`, and a fake started
/// from `config` plus a token for one new app.
pub async fn world(prefix: &str, config: FakeConfig) -> World {
    world_on(hookwright_testenv::shared().await, prefix, config).await
}

/// As `world`, on a control plane the test started itself (e.g. one it restarts).
pub async fn world_on(cp: &ControlPlane, prefix: &str, mut config: FakeConfig) -> World {
    let client = cp.client().await.unwrap();
    hookwright_testenv::install_crds(&client, &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("crds")).await.unwrap();
    hookwright::tls::install_crypto_provider();
    let ns = hookwright_testenv::create_namespace(&client, prefix).await.unwrap();
    let app = uuid::Uuid::new_v4();
    let token = format!("pat{}", uuid::Uuid::new_v4().simple());
    config.tokens.push(TokenEntry::new(token.clone(), &["mx:webhook:read", "mx:webhook:write"], &[app]));
    let fake = FakeServer::start(config).await.unwrap();
    let secret =
        json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "pat"}, "stringData": {"token": token}});
    let secrets: Api<Secret> = Api::namespaced(client.clone(), &ns);
    secrets.create(&PostParams::default(), &serde_json::from_value(secret).unwrap()).await.unwrap();
    let provider = json!({"apiVersion": "hookwright.dev/v1alpha1", "kind": "WebhookProvider", "metadata": {"name": "m"},
        "spec": {"mendix": {"baseUrl": fake.base_url(), "tokenSecretRef": {"name": "pat", "key": "token"}}}});
    let providers: Api<WebhookProvider> = Api::namespaced(client.clone(), &ns);
    providers.create(&PostParams::default(), &serde_json::from_value(provider).unwrap()).await.unwrap();
    let webhooks = Api::namespaced(client.clone(), &ns);
    World { kubeconfig: cp.kubeconfig_path(), dir: cp.dir().to_path_buf(), client, ns, fake, app, webhooks }
}

impl World {
    /// Creates Webhook `name` (provider `m`, URL `https://r.example.com/<name>`).
    pub async fn create_webhook(&self, name: &str) {
        let wh = json!({"apiVersion": "hookwright.dev/v1alpha1", "kind": "Webhook", "metadata": {"name": name},
            "spec": {"providerRef": {"kind": "WebhookProvider", "name": "m"}, "mendix": {"appId": self.app.to_string()},
                     "url": format!("https://r.example.com/{name}"), "eventTypes": ["package.uploaded"]}});
        self.webhooks.create(&PostParams::default(), &serde_json::from_value(wh).unwrap()).await.unwrap();
    }

    /// Starts `hookwright run <args>` watching only this namespace (tests of one binary run
    /// side by side), as POD_NAME `name`, logging to the control plane's directory.
    pub fn operator(&self, name: &str, args: &[&str]) -> Guarded {
        self.operator_with_metrics(name, args).0
    }

    /// As `operator`, with the URL of its /metrics.
    pub fn operator_with_metrics(&self, name: &str, args: &[&str]) -> (Guarded, String) {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut cmd = std::process::Command::new(hookwright_testenv::operator_binary(env!("CARGO_BIN_EXE_hookwright")));
        cmd.arg("run")
            .args(args)
            .args(["--namespace", &self.ns])
            .arg(format!("--metrics-addr=127.0.0.1:{port}"))
            .env("KUBECONFIG", &self.kubeconfig)
            .env("POD_NAME", name)
            .env("RUST_LOG", "info");
        let log = self.dir.join(format!("{}-{name}-{}.log", self.ns, uuid::Uuid::new_v4().simple()));
        (hookwright_testenv::spawn_logged("hookwright", cmd, &log).unwrap(), format!("http://127.0.0.1:{port}/metrics"))
    }

    /// The fake's admin API.
    pub async fn admin(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut req = reqwest::Client::new().request(method, format!("{}{path}", self.fake.admin_url()));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap();
        assert!(resp.status().is_success(), "admin {path}: {}", resp.status());
        resp.json().await.unwrap_or(Value::Null)
    }

    /// Requests the fake received with `method` on routes ending in `route_end` ("" for all).
    pub async fn count(&self, method: &str, route_end: &str) -> u64 {
        let v = self.admin(reqwest::Method::GET, "/requests", None).await;
        v["requests"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["method"] == method && r["route"].as_str().unwrap_or_default().ends_with(route_end))
            .map(|r| r["count"].as_u64().unwrap())
            .sum()
    }

    /// The fake's stored webhooks.
    pub async fn remote(&self) -> Vec<Value> {
        self.admin(reqwest::Method::GET, "/webhooks", None).await["webhooks"].as_array().unwrap().clone()
    }
}
