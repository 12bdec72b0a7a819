//! Socotra webhooks end to end (issue 13): the real operator binary and apiserver against the
//! fake Socotra API. Create is one POST; an edit of event types and headers is one PATCH whose
//! add/remove lists are minimal (checked on the body the fake received); a no-op resync writes
//! nothing; a portal edit is repaired with one PATCH naming the fields; a suspended webhook is
//! unsuspended once with a Warning, and left alone when the spec disables it; delete is one
//! DELETE and a 404 counts as done; a lost create answer is recovered without a second webhook;
//! 401/403/429 are reported as for Mendix.
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use hookwright::crd::Webhook;
use hookwright_fake_api::socotra::{FakeConfig, FakeServer, Permission, TokenEntry};
use k8s_openapi::api::core::v1::Secret;
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
use serde_json::{Value, json};

use super::harness::{admin_call, condition, operator, webhook_id};

/// One test's world: a namespace, a fake Socotra API with one tenant and token, the token
/// Secret and a WebhookProvider `socotra` pointing at the fake.
struct SocotraEnv {
    client: kube::Client,
    ns: String,
    fake: FakeServer,
    tenant: uuid::Uuid,
    token: String,
    http: reqwest::Client,
}

async fn socotra_env(prefix: &str, permissions: &[Permission]) -> SocotraEnv {
    let _ = operator().await;
    let cp = hookwright_testenv::shared().await;
    let client = cp.client().await.unwrap();
    let ns = hookwright_testenv::create_namespace(&client, prefix).await.unwrap();
    let tenant = uuid::Uuid::new_v4();
    let token = format!("soc{}", uuid::Uuid::new_v4().simple());
    let config =
        FakeConfig { tokens: vec![TokenEntry::new(token.clone(), permissions, &[tenant])], ..FakeConfig::default() };
    let fake = FakeServer::start(config).await.unwrap();
    let env = SocotraEnv { client, ns, fake, tenant, token: token.clone(), http: reqwest::Client::new() };
    env.put_secret("socotra-token", &[("token", &token)]).await;
    let provider = json!({"apiVersion": "hookwright.dev/v1alpha1", "kind": "WebhookProvider", "metadata": {"name": "socotra"},
        "spec": {"socotra": {"baseUrl": env.fake.base_url(), "tenantLocator": tenant.to_string(),
                             "tokenSecretRef": {"name": "socotra-token", "key": "token"}}}});
    env.apply("webhookproviders", "socotra", provider).await;
    env
}

/// The leak check of the suite runs after Socotra tests too.
impl Drop for SocotraEnv {
    fn drop(&mut self) {
        if std::thread::panicking() {
            return;
        }
        let hits = super::leaks::check_suite_blocking();
        assert!(hits.is_empty(), "secret values leaked: {hits:#?}");
    }
}

impl SocotraEnv {
    fn webhooks(&self) -> Api<Webhook> {
        Api::namespaced(self.client.clone(), &self.ns)
    }

    async fn apply(&self, plural: &str, name: &str, obj: Value) {
        let ar = kube::api::ApiResource {
            group: "hookwright.dev".into(),
            version: "v1alpha1".into(),
            api_version: "hookwright.dev/v1alpha1".into(),
            kind: obj["kind"].as_str().unwrap().into(),
            plural: plural.into(),
        };
        let api: Api<kube::api::DynamicObject> = Api::namespaced_with(self.client.clone(), &self.ns, &ar);
        api.patch(name, &PatchParams::apply("e2e").force(), &Patch::Apply(&obj)).await.unwrap();
    }

    async fn put_secret(&self, name: &str, data: &[(&str, &str)]) {
        let s: Secret = serde_json::from_value(json!({
            "apiVersion": "v1", "kind": "Secret", "metadata": {"name": name},
            "stringData": data.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect::<BTreeMap<_, _>>(),
        }))
        .unwrap();
        let api: Api<Secret> = Api::namespaced(self.client.clone(), &self.ns);
        api.patch(name, &PatchParams::apply("e2e").force(), &Patch::Apply(&s)).await.unwrap();
    }

    /// A Socotra Webhook: two event types, a literal header and a two-valued one (one value
    /// from a Secret).
    fn webhook_json(&self, name: &str) -> Value {
        json!({
            "apiVersion": "hookwright.dev/v1alpha1", "kind": "Webhook", "metadata": {"name": name},
            "spec": {
                "providerRef": {"kind": "WebhookProvider", "name": "socotra"},
                "socotra": {"failureHandling": {"retry": {"strategy": "linear", "intervalSeconds": 30, "attempts": 3}}},
                "url": format!("https://hooks.example.com/{name}"),
                "eventTypes": ["policy.issued", "policy.cancelled"],
                "headers": [
                    {"name": "X-Team", "value": "team-a"},
                    {"name": "X-Tags", "values": [{"value": "billing"}, {"valueFrom": {"secretKeyRef": {"name": "tags", "key": "tag"}}}]},
                ],
            }
        })
    }

    async fn create(&self, obj: Value) {
        let wh: Webhook = serde_json::from_value(obj).unwrap();
        self.webhooks().create(&PostParams::default(), &wh).await.unwrap();
    }

    async fn patch(&self, name: &str, patch: Value) {
        self.webhooks().patch(name, &PatchParams::default(), &Patch::Merge(&patch)).await.unwrap();
    }

    async fn wait(&self, name: &str, what: &str, pred: impl Fn(&Webhook) -> bool) -> Webhook {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let wh = self.webhooks().get_opt(name).await.unwrap();
            if let Some(wh) = &wh
                && pred(wh)
            {
                return wh.clone();
            }
            assert!(Instant::now() < deadline, "timed out waiting for {what} on {name}: {:?}", wh.map(|w| w.status));
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn wait_gone(&self, name: &str) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while self.webhooks().get_opt(name).await.unwrap().is_some() {
            assert!(Instant::now() < deadline, "{name} was not deleted in time");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn wait_ready(&self, name: &str) -> Webhook {
        self.wait(name, "Ready", |wh| {
            condition(wh, "Ready")
                .is_some_and(|c| c.status == "True" && c.observed_generation == wh.metadata.generation)
        })
        .await
    }

    async fn wait_reason(&self, name: &str, reason: &str) -> Webhook {
        self.wait(name, reason, |wh| condition(wh, "Synced").is_some_and(|c| c.reason == reason)).await
    }

    /// Forces a read-back through the annotation and waits until it was handled.
    async fn force_resync(&self, name: &str, value: &str) -> Webhook {
        self.patch(name, json!({"metadata": {"annotations": {"hookwright.dev/reconcile-requested-at": value}}})).await;
        self.wait(name, "resync handled", |wh| {
            wh.status.as_ref().and_then(|s| s.reconcile_request_handled.as_deref()) == Some(value)
        })
        .await
    }

    async fn admin(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        admin_call(&self.http, &self.fake.admin_url(), method, path, body).await
    }

    /// Requests the fake answered, by method and (optionally) route suffix and status.
    async fn count(&self, method: &str, route_end: &str, status: Option<u64>) -> u64 {
        let v = self.admin(reqwest::Method::GET, "/requests", None).await;
        v["requests"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["method"] == method && r["route"].as_str().unwrap_or_default().ends_with(route_end))
            .filter(|r| status.is_none_or(|s| r["status"] == s))
            .map(|r| r["count"].as_u64().unwrap())
            .sum()
    }

    /// Writes (POST, PATCH, DELETE) the fake received.
    async fn writes(&self) -> u64 {
        self.count("POST", "", None).await + self.count("PATCH", "", None).await + self.count("DELETE", "", None).await
    }

    /// Bodies of the PATCH requests to the webhook itself (not unsuspend), in order.
    async fn patch_bodies(&self) -> Vec<Value> {
        let log = self.admin(reqwest::Method::GET, "/request-log", None).await;
        log["requests"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["method"] == "PATCH" && r["route"] == "/event/{tenant}/webhooks/{locator}")
            .map(|r| r["body"].clone())
            .collect()
    }

    async fn remote(&self, locator: &str) -> Value {
        self.admin(reqwest::Method::GET, &format!("/tenants/{}/webhooks/{locator}", self.tenant), None).await
    }

    /// Suspends the remote webhook, as Socotra does after failed deliveries.
    async fn suspend(&self, locator: &str, at: &str) {
        let path = format!("/tenants/{}/webhooks/{locator}/suspend", self.tenant);
        self.admin(reqwest::Method::POST, &path, Some(json!({"suspendedAt": at}))).await;
    }

    async fn remote_count(&self) -> usize {
        self.admin(reqwest::Method::GET, "/webhooks", None).await["webhooks"].as_array().unwrap().len()
    }

    async fn events(&self, name: &str) -> Vec<(String, String, String)> {
        let api: Api<k8s_openapi::api::events::v1::Event> = Api::namespaced(self.client.clone(), &self.ns);
        api.list(&Default::default())
            .await
            .unwrap()
            .items
            .into_iter()
            .filter(|e| e.regarding.as_ref().and_then(|r| r.name.as_deref()) == Some(name))
            .map(|e| (e.type_.unwrap_or_default(), e.reason.unwrap_or_default(), e.note.unwrap_or_default()))
            .collect()
    }

    async fn wait_event(&self, name: &str, reason: &str) -> (String, String) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some((t, _, note)) = self.events(name).await.into_iter().find(|(_, r, _)| r == reason) {
                return (t, note);
            }
            assert!(Instant::now() < deadline, "no {reason} Event for {name}: {:?}", self.events(name).await);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// A header value from a Secret: distinctive, so the leak check never finds it by chance.
const TAG: &str = "tag-4f1c9e7a2b";

fn sorted(v: &Value) -> Vec<String> {
    let mut out: Vec<String> = v.as_array().unwrap().iter().map(|x| x.as_str().unwrap().to_string()).collect();
    out.sort();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_edit_resync_repair_and_delete_cost_one_call_each() {
    let env = socotra_env("soc-life", &Permission::ALL).await;
    env.put_secret("tags", &[("tag", TAG)]).await;
    env.create(env.webhook_json("hook")).await;
    let wh = env.wait_ready("hook").await;
    let id = webhook_id(&wh);
    let status = wh.status.as_ref().unwrap();
    assert_eq!(status.location.as_deref(), Some(env.tenant.to_string().as_str()), "Location is the tenant");
    assert_eq!((env.count("POST", "", Some(200)).await, env.count("PATCH", "", None).await), (1, 0));
    let remote = env.remote(&id).await;
    assert_eq!(remote["endpoint"]["headers"]["X-Tags"], json!(["billing", TAG]));
    assert_eq!(remote["failureHandling"]["retry"]["attempts"], 3);
    assert_eq!(sorted(&remote["eventTypes"]), ["policy.cancelled", "policy.issued"]);

    // One edit of event types and headers: exactly one PATCH with minimal lists.
    env.patch(
        "hook",
        json!({"spec": {"eventTypes": ["policy.issued", "policy.lapsed"],
                        "headers": [{"name": "X-Tags", "values": [{"value": "billing"}]}, {"name": "X-Region", "value": "eu"}]}}),
    )
    .await;
    env.wait_ready("hook").await;
    let patches = env.patch_bodies().await;
    assert_eq!(patches.len(), 1, "one PATCH: {patches:#?}");
    let p = &patches[0];
    assert_eq!(p["addEventTypes"], json!(["policy.lapsed"]));
    assert_eq!(p["removeEventTypes"], json!(["policy.cancelled"]));
    assert_eq!(p["endpoint"]["addHeaders"], json!({"X-Region": ["eu"], "X-Tags": ["billing"]}));
    assert_eq!(sorted(&p["endpoint"]["removeHeaders"]), ["X-Tags", "X-Team"]);
    assert_eq!(p["removeFailureHandling"], false);
    let remote = env.remote(&id).await;
    assert_eq!(remote["endpoint"]["headers"], json!({"X-Region": ["eu"], "X-Tags": ["billing"]}));

    // A resync with nothing changed reads and writes nothing.
    let writes = env.writes().await;
    let got = env.force_resync("hook", "r1").await;
    assert_eq!(condition(&got, "Synced").unwrap().reason, "UpToDate");
    assert_eq!(env.writes().await, writes, "a no-op resync writes nothing");

    // A portal edit is repaired with one PATCH naming the field.
    env.admin(
        reqwest::Method::PATCH,
        &format!("/tenants/{}/webhooks/{id}", env.tenant),
        Some(json!({"endpoint": {"url": "https://evil.example.com/x", "headers": {"X-Region": ["eu"], "X-Tags": ["billing"]}}})),
    )
    .await;
    env.force_resync("hook", "r2").await;
    let (kind, note) = env.wait_event("hook", "DriftRepaired").await;
    assert_eq!(kind, "Normal");
    assert!(note.contains("spec.url"), "{note}");
    assert_eq!(env.patch_bodies().await.len(), 2);
    assert_eq!(env.remote(&id).await["endpoint"]["url"], "https://hooks.example.com/hook");

    // Delete: one DELETE, nothing left.
    env.webhooks().delete("hook", &DeleteParams::default()).await.unwrap();
    env.wait_gone("hook").await;
    assert_eq!((env.count("DELETE", "", None).await, env.remote_count().await), (1, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn suspension_is_undone_once_with_a_warning_and_left_alone_when_disabled() {
    let env = socotra_env("soc-susp", &Permission::ALL).await;
    env.put_secret("tags", &[("tag", TAG)]).await;
    env.create(env.webhook_json("hook")).await;
    let id = webhook_id(&env.wait_ready("hook").await);
    env.suspend(&id, "2026-12-01T10:00:00.000Z").await;
    env.force_resync("hook", "s1").await;
    let (kind, note) = env.wait_event("hook", "Unsuspended").await;
    assert_eq!(kind, "Warning");
    assert!(note.contains("2026-12-01T10:00:00"), "{note}");
    assert_eq!(env.count("PATCH", "/unsuspend", None).await, 1);
    assert_eq!(env.remote(&id).await["suspended"], false);

    // Disabled in the spec: a suspension is shown in status, not undone.
    env.patch("hook", json!({"spec": {"active": false}})).await;
    env.wait_ready("hook").await;
    env.suspend(&id, "2026-12-02T10:00:00.000Z").await;
    let wh = env.force_resync("hook", "s2").await;
    assert_eq!(env.count("PATCH", "/unsuspend", None).await, 1, "no second unsuspend");
    assert!(wh.status.unwrap().suspended_at.is_some_and(|t| t.starts_with("2026-12-02T10:00:00")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_deleted_in_the_portal_is_done_on_delete_and_a_lost_create_is_recovered() {
    let env = socotra_env("soc-lost", &Permission::ALL).await;
    env.put_secret("tags", &[("tag", TAG)]).await;
    // The fake stores the create and drops the connection: the answer is lost.
    env.admin(reqwest::Method::PUT, "/faults", Some(json!({"commitThenDropRate": 1.0}))).await;
    env.create(env.webhook_json("hook")).await;
    env.wait("hook", "a failed create", |w| condition(w, "Synced").is_some_and(|c| c.status == "False")).await;
    env.admin(reqwest::Method::PUT, "/faults", Some(json!({}))).await;
    let wh = env.wait_reason("hook", "Recovered").await;
    assert_eq!(env.remote_count().await, 1, "recovered, not created twice");
    // Recovery asked Socotra for the webhooks of that name only.
    let log = env.admin(reqwest::Method::GET, "/request-log", None).await;
    let lists: Vec<&Value> =
        log["requests"].as_array().unwrap().iter().filter(|r| r["route"] == "/event/{tenant}/webhooks/list").collect();
    assert!(!lists.is_empty());
    assert!(lists.iter().all(|r| r["query"].as_str().is_some_and(|q| q.contains("name="))), "{lists:?}");
    let id = webhook_id(&wh);

    // Deleted in the portal, then the object is deleted: the 404 counts as done.
    env.admin(reqwest::Method::DELETE, &format!("/tenants/{}/webhooks/{id}", env.tenant), None).await;
    env.webhooks().delete("hook", &DeleteParams::default()).await.unwrap();
    env.wait_gone("hook").await;
    assert_eq!(env.count("DELETE", "", Some(404)).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unauthorized_forbidden_and_rate_limited_are_reported_as_for_mendix() {
    // A token the fake does not know.
    let env = socotra_env("soc-auth", &Permission::ALL).await;
    env.put_secret("tags", &[("tag", TAG)]).await;
    env.put_secret("socotra-token", &[("token", "not-a-known-token")]).await;
    env.create(env.webhook_json("hook")).await;
    env.wait_reason("hook", "Unauthorized").await;
    env.put_secret("socotra-token", &[("token", &env.token)]).await;
    env.wait_ready("hook").await;

    // A token without the write permission.
    let ro = socotra_env("soc-ro", &[Permission::Read, Permission::List]).await;
    ro.put_secret("tags", &[("tag", TAG)]).await;
    ro.create(ro.webhook_json("hook")).await;
    ro.wait_reason("hook", "Unauthorized").await;
    assert!(ro.count("POST", "", Some(403)).await >= 1);

    // The rate limit used up: RateLimited. Two Webhooks created together race for the one call
    // (and the 3 s drift sweep may take it first), so whichever loses reports RateLimited.
    env.admin(reqwest::Method::PUT, "/rate-limit", Some(json!({"limitPerHour": 1, "windowSecs": 3600}))).await;
    env.admin(reqwest::Method::POST, "/rate-limit/reset", None).await;
    let mut second = env.webhook_json("second");
    second["spec"]["url"] = json!("https://hooks.example.com/second");
    env.create(second).await;
    env.create(env.webhook_json("third")).await;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let mut reasons = Vec::new();
        for name in ["second", "third"] {
            let wh = env.webhooks().get(name).await.unwrap();
            reasons.push(condition(&wh, "Synced").map(|c| c.reason.clone()));
        }
        if reasons.iter().any(|r| r.as_deref() == Some("RateLimited")) {
            break;
        }
        assert!(Instant::now() < deadline, "neither Webhook reported RateLimited: {reasons:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// `hookwright import` through the same provider seam (issue 15): Socotra webhooks made in the
/// portal (several header values, failure handling, a disabled one) are adopted as they are.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imported_socotra_webhooks_are_adopted_as_they_are() {
    let env = socotra_env("soc-import", &Permission::ALL).await;
    let cp = hookwright_testenv::shared().await;
    let mut values = Vec::new();
    for i in 0..3 {
        let key = format!("rk-{i}-{}", uuid::Uuid::new_v4().simple());
        values.push(key.clone());
        let hook = json!({
            "name": format!("Portal policy hook {i}"), "enabled": i != 2,
            "endpoint": {"url": format!("https://hooks.example.com/portal/{i}"),
                         "headers": {"X-Receiver-Key": [key], "X-Tags": ["billing", "eu"]}},
            "failureHandling": {"onFailure": "divert", "retry": {"strategy": "linear", "intervalSeconds": 60, "attempts": 2}},
            "eventTypes": ["policy.issued"],
        });
        env.admin(reqwest::Method::POST, &format!("/tenants/{}/webhooks", env.tenant), Some(hook)).await;
    }
    env.admin(reqwest::Method::DELETE, "/requests", None).await;
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_hookwright"))
        .args(["import", "--provider", "socotra", "-n", &env.ns, "--secrets", "create", "--out"])
        .arg(dir.path())
        .env("KUBECONFIG", cp.kubeconfig_path())
        .output()
        .unwrap();
    let printed = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{printed}");
    assert!(values.iter().all(|v| !printed.contains(v.as_str())), "a header value was printed: {printed}");
    let kubectl = hookwright_testenv::bin_dir().join("kubectl");
    let applied = std::process::Command::new(kubectl)
        .arg("--kubeconfig")
        .arg(cp.kubeconfig_path())
        .args(["apply", "-f"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(applied.status.success(), "{}", String::from_utf8_lossy(&applied.stderr));
    for i in 0..3 {
        let name = format!("portal-policy-hook-{i}");
        let wh = env.wait_ready(&name).await;
        assert_eq!(condition(&wh, "Synced").unwrap().reason, "Adopted", "{name}");
    }
    assert_eq!(env.writes().await, 0, "adopted as they are: no POST, PATCH or DELETE");
}
