//! Two operator replicas with leader election: only the Lease holder reconciles, and the
//! standby takes over when the leader dies.
use std::time::{Duration, Instant};

use hookwright::crd::Webhook;
use hookwright::fake::{FakeConfig, FakeServer, TokenEntry};
use k8s_openapi::api::coordination::v1::Lease;
use kube::api::{Api, PostParams};
use serde_json::json;

async fn wait_until<F, Fut>(what: &str, limit: Duration, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + limit;
    while !f().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_leader_reconciles_and_standby_takes_over() {
    let cp = hookwright_testenv::shared().await;
    let client = cp.client().await.unwrap();
    hookwright_testenv::install_crds(&client, &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("crds"))
        .await
        .unwrap();
    let ns = hookwright_testenv::create_namespace(&client, "ha").await.unwrap();
    let app = uuid::Uuid::new_v4();
    let fake = FakeServer::start(FakeConfig {
        tokens: vec![TokenEntry::new("pat", &["mx:webhook:read", "mx:webhook:write"], &[app])],
        ..FakeConfig::default()
    })
    .await
    .unwrap();

    let start = |name: &'static str| {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut cmd = std::process::Command::new(hookwright_testenv::operator_binary(env!("CARGO_BIN_EXE_hookwright")));
        // Each test's operators watch only its namespace: tests of this binary run side by side.
        cmd.args(["run", "--leader-election", "--leader-election-duration", "4s", "--leader-election-namespace", &ns])
            .args(["--namespace", &ns])
            .arg(format!("--metrics-addr=127.0.0.1:{port}"))
            .env("KUBECONFIG", cp.kubeconfig_path())
            .env("POD_NAME", name);
        hookwright_testenv::spawn_logged("hookwright", cmd, &cp.dir().join(format!("{name}.log"))).unwrap()
    };
    let mut a = Some(start("replica-a"));
    let b = start("replica-b");

    let leases: Api<Lease> = Api::namespaced(client.clone(), &ns);
    let holder = || async {
        leases.get_opt("hookwright-leader").await.unwrap().and_then(|l| l.spec?.holder_identity).unwrap_or_default()
    };
    wait_until("a leader", Duration::from_secs(30), || async { !holder().await.is_empty() }).await;
    let first = holder().await;

    let kube_apply = |v: serde_json::Value| {
        let client = client.clone();
        let ns = ns.clone();
        async move {
            let kind = v["kind"].as_str().unwrap().to_string();
            match kind.as_str() {
                "Secret" => {
                    let api: Api<k8s_openapi::api::core::v1::Secret> = Api::namespaced(client, &ns);
                    api.create(&PostParams::default(), &serde_json::from_value(v).unwrap()).await.unwrap();
                }
                "WebhookProvider" => {
                    let api: Api<hookwright::crd::WebhookProvider> = Api::namespaced(client, &ns);
                    api.create(&PostParams::default(), &serde_json::from_value(v).unwrap()).await.unwrap();
                }
                _ => {
                    let api: Api<Webhook> = Api::namespaced(client, &ns);
                    api.create(&PostParams::default(), &serde_json::from_value(v).unwrap()).await.unwrap();
                }
            }
        }
    };
    kube_apply(
        json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "pat"}, "stringData": {"token": "pat"}}),
    )
    .await;
    kube_apply(json!({"apiVersion": "hookwright.dev/v1alpha1", "kind": "WebhookProvider", "metadata": {"name": "m"},
        "spec": {"mendix": {"baseUrl": fake.base_url(), "tokenSecretRef": {"name": "pat", "key": "token"}}}}))
    .await;
    let webhook = |name: &str| {
        json!({"apiVersion": "hookwright.dev/v1alpha1", "kind": "Webhook", "metadata": {"name": name},
            "spec": {"providerRef": {"kind": "WebhookProvider", "name": "m"}, "mendix": {"appId": app.to_string()},
                     "url": format!("https://r.example.com/{name}"), "eventTypes": ["package.uploaded"]}})
    };
    let webhooks: Api<Webhook> = Api::namespaced(client.clone(), &ns);
    let ready = |name: &'static str| {
        let webhooks = webhooks.clone();
        move || {
            let webhooks = webhooks.clone();
            async move {
                webhooks
                    .get(name)
                    .await
                    .unwrap()
                    .status
                    .is_some_and(|s| s.conditions.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
            }
        }
    };
    kube_apply(webhook("one")).await;
    wait_until("one Ready", Duration::from_secs(60), ready("one")).await;

    // Kill the leader outright; the standby takes the Lease after it expires and carries on.
    let (leader, survivor) = if first == "replica-a" { (a.take().unwrap(), "replica-b") } else { (b, "replica-a") };
    drop(leader);
    wait_until("the standby to lead", Duration::from_secs(60), || async { holder().await == survivor }).await;
    kube_apply(webhook("two")).await;
    wait_until("two Ready", Duration::from_secs(60), ready("two")).await;

    let counts: serde_json::Value =
        reqwest::get(format!("{}/requests", fake.admin_url())).await.unwrap().json().await.unwrap();
    let posts: u64 = counts["requests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["method"] == "POST")
        .map(|r| r["count"].as_u64().unwrap())
        .sum();
    assert_eq!(posts, 2, "each webhook was created once, by whichever replica led");
    drop(a);
}

/// Issue 11, hole 7: a replica that loses its Lease stops at once. Its in-flight reconcile
/// (a create held 8 s by the provider) must not write status after another holder took over.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_that_loses_its_lease_stops_writing_at_once() {
    let cp = hookwright_testenv::shared().await;
    let client = cp.client().await.unwrap();
    hookwright_testenv::install_crds(&client, &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("crds"))
        .await
        .unwrap();
    let ns = hookwright_testenv::create_namespace(&client, "lost").await.unwrap();
    let app = uuid::Uuid::new_v4();
    let fake = FakeServer::start(FakeConfig {
        tokens: vec![TokenEntry::new("pat", &["mx:webhook:read", "mx:webhook:write"], &[app])],
        faults: hookwright::fake::Faults { latency_ms: 8000, ..Default::default() },
        ..FakeConfig::default()
    })
    .await
    .unwrap();
    let secrets: Api<k8s_openapi::api::core::v1::Secret> = Api::namespaced(client.clone(), &ns);
    let secret =
        json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "pat"}, "stringData": {"token": "pat"}});
    secrets.create(&PostParams::default(), &serde_json::from_value(secret).unwrap()).await.unwrap();
    let providers: Api<hookwright::crd::WebhookProvider> = Api::namespaced(client.clone(), &ns);
    let provider = json!({"apiVersion": "hookwright.dev/v1alpha1", "kind": "WebhookProvider", "metadata": {"name": "m"},
        "spec": {"mendix": {"baseUrl": fake.base_url(), "tokenSecretRef": {"name": "pat", "key": "token"}}}});
    providers.create(&PostParams::default(), &serde_json::from_value(provider).unwrap()).await.unwrap();

    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut cmd = std::process::Command::new(hookwright_testenv::operator_binary(env!("CARGO_BIN_EXE_hookwright")));
    // Each test's operators watch only its namespace: tests of this binary run side by side.
    cmd.args(["run", "--leader-election", "--leader-election-duration", "4s", "--leader-election-namespace", &ns])
        .args(["--namespace", &ns])
        .args(["--api-timeout", "30s"])
        .arg(format!("--metrics-addr=127.0.0.1:{port}"))
        .env("KUBECONFIG", cp.kubeconfig_path())
        .env("POD_NAME", "replica-a");
    let replica = hookwright_testenv::spawn_logged("hookwright", cmd, &cp.dir().join("lost-lease.log")).unwrap();
    let leases: Api<Lease> = Api::namespaced(client.clone(), &ns);
    wait_until("replica-a to lead", Duration::from_secs(30), || async {
        leases.get_opt("hookwright-leader").await.unwrap().and_then(|l| l.spec?.holder_identity).as_deref()
            == Some("replica-a")
    })
    .await;

    let webhooks: Api<Webhook> = Api::namespaced(client.clone(), &ns);
    let wh = json!({"apiVersion": "hookwright.dev/v1alpha1", "kind": "Webhook", "metadata": {"name": "slow"},
        "spec": {"providerRef": {"kind": "WebhookProvider", "name": "m"}, "mendix": {"appId": app.to_string()},
                 "url": "https://r.example.com/slow", "eventTypes": ["package.uploaded"]}});
    webhooks.create(&PostParams::default(), &serde_json::from_value(wh).unwrap()).await.unwrap();
    // The create marker is written right before the POST, which the fake now holds for 8 s.
    wait_until("the POST to be in flight", Duration::from_secs(30), || async {
        webhooks.get("slow").await.unwrap().status.is_some_and(|s| s.create_pending_since.is_some())
    })
    .await;

    // Another holder takes the Lease (as a replica would after a network partition).
    let now = k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime(k8s_openapi::jiff::Timestamp::now());
    let steal = json!({"spec": {"holderIdentity": "thief", "leaseDurationSeconds": 3600, "renewTime": now, "acquireTime": now}});
    leases
        .patch("hookwright-leader", &kube::api::PatchParams::default(), &kube::api::Patch::Merge(&steal))
        .await
        .unwrap();
    let stolen = Instant::now();
    wait_until("replica-a to stop", Duration::from_secs(20), || async { replica.check_running().is_err() }).await;
    eprintln!("replica-a stopped {:?} after losing the Lease", stolen.elapsed());
    // Give the held POST time to be answered; nobody may record its id now.
    wait_until("the held POST to finish", Duration::from_secs(20), || async {
        let counts: serde_json::Value =
            reqwest::get(format!("{}/requests", fake.admin_url())).await.unwrap().json().await.unwrap();
        counts["requests"].as_array().unwrap().iter().any(|r| r["method"] == "POST")
    })
    .await;
    let status = webhooks.get("slow").await.unwrap().status.unwrap_or_default();
    assert_eq!(status.webhook_id, None, "a replica without the Lease wrote status");
}
