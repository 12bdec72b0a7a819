//! End to end: `helm install` into the real apiserver, then the operator binary runs locally
//! with the container args of the chart's Deployment and a TokenRequest token of the chart's
//! own ServiceAccount, against the fake Mendix API. Every example reaches Ready (so the chart's
//! RBAC and admission policy are sufficient), Webhooks delete cleanly, and the Argo CD health
//! script is checked against the real objects of each state.
use std::collections::BTreeMap;

use hookwright_fake_api::mendix::{FakeConfig, FakeServer, TokenEntry};
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::Secret;
use kube::api::{Api, DeleteParams, Patch, PatchParams};
use serde_json::{Value, json};

use super::support::{
    FluxProbe, OPERATOR, Operator, argocd_health, helm_install, kubectl_apply, parse_docs, poll, repo, sa_token,
};

const RELEASE: &str = "hookwright";
const RELEASE_NS: &str = "hookwright-system";
const MENDIX: &str = "https://webhook-portal.home.mendix.com/api/v1";
/// The Webhooks the examples declare, in examples/*.yaml.
const EXAMPLE_WEBHOOKS: &[&str] =
    &["build-notifier", "ci-pipeline", "teamserver-audit", "release-announcer", "portal-made", "platform-notifier"];

/// The Socotra example's Webhook (examples/socotra-webhook.yaml), served by the Socotra fake.
const SOCOTRA_EXAMPLE_WEBHOOK: &str = "policy-events";

/// Where the examples' Socotra provider is pointed instead: base URL, tenant, token.
struct SocotraFake<'a> {
    url: &'a str,
    tenant: &'a str,
    token: &'a str,
}

/// The examples, each file's documents rewritten to use the fakes (base URL, app or tenant,
/// token).
fn examples(fake_url: &str, app: &str, token: &str, socotra: &SocotraFake<'_>) -> Vec<(String, Vec<Value>)> {
    let mut files: Vec<_> = std::fs::read_dir(repo().join("examples"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    // Providers first, as a user would apply them.
    files.sort_by_key(|p| (!p.to_string_lossy().contains("provider"), p.clone()));
    files
        .into_iter()
        .map(|path| {
            let mut docs = parse_docs(&std::fs::read_to_string(&path).unwrap());
            for d in &mut docs {
                match d["kind"].as_str().unwrap() {
                    "WebhookProvider" | "ClusterWebhookProvider" if d["spec"].get("socotra").is_some() => {
                        d["spec"]["socotra"]["baseUrl"] = socotra.url.into();
                        d["spec"]["socotra"]["tenantLocator"] = socotra.tenant.into();
                    }
                    "WebhookProvider" | "ClusterWebhookProvider" => {
                        assert_eq!(d["spec"]["mendix"]["baseUrl"], MENDIX, "{path:?} points at the real Mendix API");
                        d["spec"]["mendix"]["baseUrl"] = fake_url.into();
                    }
                    "Webhook" if d["spec"].get("socotra").is_some() => {}
                    "Webhook" => {
                        assert!(d["spec"]["mendix"]["appId"].is_string(), "{path:?}");
                        d["spec"]["mendix"]["appId"] = app.into();
                    }
                    "Secret" if d["metadata"]["name"] == "socotra-token" => {
                        d["stringData"]["token"] = socotra.token.into()
                    }
                    "Secret" if d["stringData"].get("token").is_some() => d["stringData"]["token"] = token.into(),
                    _ => {}
                }
            }
            (path.file_name().unwrap().to_string_lossy().into_owned(), docs)
        })
        .collect()
}

/// An object exactly as the apiserver returns it (no typed round trip), for the Lua script.
async fn raw(client: &kube::Client, path: &str) -> Option<Value> {
    let req = http::Request::get(path).body(Vec::new()).unwrap();
    match client.request::<Value>(req).await {
        Ok(v) => Some(v),
        Err(kube::Error::Api(s)) if s.code == 404 => None,
        Err(e) => panic!("GET {path}: {e}"),
    }
}

fn webhook_path(ns: &str, name: &str) -> String {
    format!("/apis/hookwright.dev/v1alpha1/namespaces/{ns}/webhooks/{name}")
}

fn condition<'a>(obj: &'a Value, type_: &str) -> Option<&'a Value> {
    obj["status"]["conditions"].as_array()?.iter().find(|c| c["type"] == type_)
}

fn is_ready(obj: &Value) -> bool {
    condition(obj, "Ready")
        .is_some_and(|c| c["status"] == "True" && c["observedGeneration"] == obj["metadata"]["generation"])
}

/// Polls the Webhook until `pred` holds (60 s); returns it.
async fn wait_webhook(client: &kube::Client, ns: &str, name: &str, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
    let path = webhook_path(ns, name);
    poll(60, &format!("{what} on Webhook {ns}/{name}"), || async { raw(client, &path).await.filter(|v| pred(v)) }).await
}

async fn admin_get(http: &reqwest::Client, fake: &FakeServer, path: &str) -> Value {
    admin_get_at(http, &fake.admin_url(), path).await
}

async fn admin_get_at(http: &reqwest::Client, admin_url: &str, path: &str) -> Value {
    let r = http.get(format!("{admin_url}{path}")).send().await.unwrap();
    assert!(r.status().is_success(), "admin GET {path}: {}", r.status());
    r.json().await.unwrap()
}

async fn remote_ids(http: &reqwest::Client, fake: &FakeServer) -> Vec<String> {
    let all = admin_get(http, fake, "/webhooks").await;
    all["webhooks"].as_array().unwrap().iter().map(|w| w["id"].as_str().unwrap().to_string()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn helm_install_then_every_example_reaches_ready_with_the_charts_service_account() {
    let _only_operator = OPERATOR.lock().await;
    let cp = hookwright_testenv::shared().await;
    let admin = cp.client().await.unwrap();
    hookwright::tls::install_crypto_provider();

    // 1. The chart, with default values (cluster-wide, leader election on), CRDs included.
    helm_install(cp, RELEASE, RELEASE_NS, &[]).await;
    let ns = hookwright_testenv::create_namespace(&admin, "team-a").await.unwrap();

    // 2. The fake Mendix API: one app, one token; the adoption example's webhook already exists.
    let app = uuid::Uuid::new_v4().to_string();
    let token = format!("pat{}", uuid::Uuid::new_v4().simple());
    let app_uuid: uuid::Uuid = app.parse().unwrap();
    let fake = FakeServer::start(FakeConfig {
        tokens: vec![TokenEntry::new(token.clone(), &["mx:webhook:read", "mx:webhook:write"], &[app_uuid])],
        ..Default::default()
    })
    .await
    .unwrap();
    let http = reqwest::Client::new();
    // The fake Socotra API: one tenant, one token, for examples/socotra-*.yaml.
    let tenant = uuid::Uuid::new_v4();
    let socotra_token = format!("soc{}", uuid::Uuid::new_v4().simple());
    let socotra_fake = hookwright_fake_api::socotra::FakeServer::start(hookwright_fake_api::socotra::FakeConfig {
        tokens: vec![hookwright_fake_api::socotra::TokenEntry::new(
            socotra_token.clone(),
            &hookwright_fake_api::socotra::Permission::ALL,
            &[tenant],
        )],
        ..Default::default()
    })
    .await
    .unwrap();
    let socotra = SocotraFake { url: &socotra_fake.base_url(), tenant: &tenant.to_string(), token: &socotra_token };
    let examples = examples(&fake.base_url(), &app, &token, &socotra);
    let adopted_id = examples
        .iter()
        .flat_map(|(_, docs)| docs)
        .find_map(|d| d["metadata"]["annotations"]["hookwright.dev/external-id"].as_str().map(str::to_string))
        .expect("an adoption example");
    let r = http
        .post(format!("{}/apps/{app}/webhooks", fake.admin_url()))
        .json(&json!({"id": adopted_id, "name": "Made in the portal", "url": "https://old.example.com/hook",
                      "eventTypes": ["package.uploaded"], "isActive": true}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "inserting the webhook to adopt: {}", r.status());

    // 3. Every example, applied as a user would (kubectl apply), before the operator runs.
    let dir = tempfile::tempdir().unwrap();
    let mut applied = Vec::new();
    for (file, docs) in &examples {
        let mut by_ns: BTreeMap<String, Vec<Value>> = BTreeMap::new();
        for d in docs {
            let target = d["metadata"]["namespace"].as_str().unwrap_or(&ns).to_string();
            by_ns.entry(target).or_default().push(d.clone());
        }
        for (target, docs) in by_ns {
            kubectl_apply(cp, &target, &docs, dir.path());
        }
        applied.push(file.clone());
    }
    eprintln!("applied examples: {applied:?}");
    // Objects for the unhappy states the health script must recognise.
    let fake_url = fake.base_url();
    let wh = |name: &str, provider: &str, extra: Value| {
        let mut spec = json!({"providerRef": {"kind": "WebhookProvider", "name": provider}, "mendix": {"appId": app},
                              "url": format!("https://hooks.example.com/{name}"), "eventTypes": ["package.uploaded"]});
        spec.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        json!({"apiVersion": "hookwright.dev/v1alpha1", "kind": "Webhook", "metadata": {"name": name}, "spec": spec})
    };
    let secret = |name: &str, key: &str, value: &str| json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name}, "stringData": {key: value}});
    kubectl_apply(
        cp,
        &ns,
        &[
            secret("revoked-pat", "token", "pat-not-known-to-mendix"),
            json!({"apiVersion": "hookwright.dev/v1alpha1", "kind": "WebhookProvider", "metadata": {"name": "mendix-revoked"},
                   "spec": {"mendix": {"baseUrl": fake_url, "tokenSecretRef": {"name": "revoked-pat", "key": "token"}}}}),
            wh("bad-token", "mendix-revoked", json!({})),
            secret("weak", "secret", "too-short"),
            wh("weak-secret", "mendix", json!({"validationSecretRef": {"name": "weak", "key": "secret"}})),
            wh(
                "missing-header",
                "mendix",
                json!({"headers": [{"name": "Authorization",
                "valueFrom": {"secretKeyRef": {"name": "does-not-exist", "key": "header"}}}]}),
            ),
            wh("paused", "mendix", json!({"suspend": true})),
        ],
        dir.path(),
    );
    // Not reconciled yet (no operator runs): Progressing.
    let fresh = raw(&admin, &webhook_path(&ns, "build-notifier")).await.unwrap();
    assert!(fresh.get("status").is_none_or(|s| s.get("conditions").is_none()), "{fresh}");
    assert_eq!(argocd_health(&fresh).0, "Progressing");

    // 4. The operator, as the chart's Deployment runs it, with the chart's ServiceAccount token.
    let token_sa = sa_token(&admin, RELEASE_NS, RELEASE).await;
    let op = Operator::start(cp, &admin, RELEASE_NS, RELEASE, &token_sa).await;
    eprintln!("operator probes {:?} answer 200 on 127.0.0.1:{}", op.probes, op.port);

    // 5. Every example Webhook reaches Ready for its current generation.
    let mut ready = BTreeMap::new();
    for name in EXAMPLE_WEBHOOKS {
        let path = webhook_path(&ns, name);
        let obj = poll(120, &format!("{name} Ready"), || async {
            let v = raw(&admin, &path).await.expect("example Webhook exists");
            is_ready(&v).then_some(v)
        })
        .await;
        let synced = condition(&obj, "Synced").unwrap();
        eprintln!("{name}: Ready ({}: {})", synced["reason"], synced["message"]);
        ready.insert(name.to_string(), obj);
    }
    assert_eq!(ready["portal-made"]["status"]["webhookId"], adopted_id.as_str());
    // The Socotra example too, in the tenant of its provider, with its several header values.
    let policy = poll(120, "policy-events Ready", || async {
        let v = raw(&admin, &webhook_path(&ns, SOCOTRA_EXAMPLE_WEBHOOK)).await.expect("Socotra example exists");
        is_ready(&v).then_some(v)
    })
    .await;
    assert_eq!(policy["status"]["location"], tenant.to_string());
    let locator = policy["status"]["webhookId"].as_str().unwrap();
    let remote = admin_get_at(&http, &socotra_fake.admin_url(), &format!("/tenants/{tenant}/webhooks/{locator}")).await;
    assert_eq!(remote["endpoint"]["headers"]["X-Tags"], json!(["billing", "eu"]));
    assert_eq!(remote["failureHandling"]["onFailure"], "suspend");
    // The suspended example is reported as such and never reaches the provider.
    let frozen_path = webhook_path(&ns, "frozen-notifier");
    let frozen = poll(60, "frozen-notifier Suspended", || async {
        let v = raw(&admin, &frozen_path).await.expect("suspended example exists");
        condition(&v, "Synced").is_some_and(|c| c["reason"] == "Suspended").then_some(v)
    })
    .await;
    assert!(frozen["status"].get("webhookId").is_none(), "a suspended Webhook is never created: {frozen}");
    let ids = remote_ids(&http, &fake).await;
    assert_eq!(ids.len(), EXAMPLE_WEBHOOKS.len(), "one remote webhook per example, none twice: {ids:?}");
    for obj in ready.values() {
        assert!(ids.iter().any(|id| obj["status"]["webhookId"] == id.as_str()));
    }
    let remote = |name: &str| {
        let id = ready[name]["status"]["webhookId"].as_str().unwrap().to_string();
        let (http, fake, app) = (&http, &fake, &app);
        async move { admin_get(http, fake, &format!("/apps/{app}/webhooks/{id}")).await }
    };
    let adopted = remote("portal-made").await;
    assert_eq!(adopted["url"], "https://hooks.example.com/mendix/portal", "the adopted webhook now equals the spec");
    assert_eq!(adopted["name"], "Portal made webhook");
    let ci = remote("ci-pipeline").await;
    assert_eq!(ci["validationSecret"], "whsec_ZXhhbXBsZS1vbmx5LXJlcGxhY2UtbWUtcGxlYXNl");
    let headers: BTreeMap<String, String> = ci["headers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| (h["key"].as_str().unwrap().to_string(), h["value"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(headers.get("Authorization").map(String::as_str), Some("Bearer REPLACE_WITH_CI_TOKEN"));
    assert_eq!(headers.get("X-Team").map(String::as_str), Some("team-a"));
    assert_eq!(remote("teamserver-audit").await["isActive"], false);

    // Generated validation secrets: created by the operator, labelled and owned (the admission
    // policy let these creates through and nothing else).
    let secrets: Api<Secret> = Api::namespaced(admin.clone(), &ns);
    for name in ["build-notifier", "teamserver-audit", "release-announcer", "portal-made", "platform-notifier"] {
        let s = secrets.get(&format!("{name}-validation-secret")).await.unwrap();
        assert_eq!(
            s.metadata.labels.as_ref().and_then(|l| l.get("app.kubernetes.io/managed-by")).map(String::as_str),
            Some("hookwright")
        );
        let owner = &s.metadata.owner_references.as_ref().unwrap()[0];
        assert_eq!((owner.kind.as_str(), owner.name.as_str()), ("Webhook", name));
        assert_eq!(owner.uid, ready[name]["metadata"]["uid"].as_str().unwrap());
        assert_eq!(owner.controller, Some(true));
        // Setting blockOwnerDeletion would need `update webhooks/finalizers` in the chart's RBAC
        // (OwnerReferencesPermissionEnforcement, which this control plane does not enable).
        assert_ne!(owner.block_owner_deletion, Some(true), "add webhooks/finalizers update to the chart's RBAC");
        let value = String::from_utf8(s.data.unwrap()["secret"].0.clone()).unwrap();
        assert_eq!(remote(name).await["validationSecret"], value.as_str());
    }

    // Events were recorded (events.k8s.io create), the Lease is held (leader election rule).
    let events: Api<k8s_openapi::api::events::v1::Event> = Api::namespaced(admin.clone(), &ns);
    // Adoption is told by its Event (the Synced reason moves on to UpToDate at the next reconcile).
    let adopted_event = poll(30, "an Adopted Event for portal-made", || async {
        events.list(&Default::default()).await.unwrap().items.into_iter().find(|e| {
            e.reason.as_deref() == Some("Adopted")
                && e.regarding.as_ref().and_then(|r| r.name.as_deref()) == Some("portal-made")
        })
    })
    .await;
    eprintln!("portal-made: {}", adopted_event.note.unwrap_or_default());
    let lease = Api::<Lease>::namespaced(admin.clone(), RELEASE_NS).get("hookwright-leader").await.unwrap();
    assert_eq!(lease.spec.unwrap().holder_identity.as_deref(), Some("hookwright-test-pod"));

    // 6. The Argo CD health script and the Flux health expressions on the real objects.
    let flux = FluxProbe::install(cp, dir.path()).await;
    for (name, obj) in &ready {
        let (status, message) = argocd_health(obj);
        assert_eq!(status, "Healthy", "{name}: {message}");
        assert_eq!(flux.health(&ns, name).await, "Current", "{name}");
    }
    for (name, reason) in
        [("bad-token", "Unauthorized"), ("weak-secret", "InvalidSecret"), ("missing-header", "SecretNotFound")]
    {
        let obj = wait_webhook(&admin, &ns, name, reason, |v| {
            condition(v, "Synced").is_some_and(|c| c["reason"] == reason && c["status"] == "False")
        })
        .await;
        let (status, message) = argocd_health(&obj);
        assert_eq!(status, "Degraded", "{name}");
        assert!(message.starts_with(reason), "{name}: {message}");
        assert_eq!(flux.health(&ns, name).await, "Failed", "{name}");
        eprintln!("{name}: Degraded ({message})");
    }
    let paused = wait_webhook(&admin, &ns, "paused", "Suspended", |v| {
        condition(v, "Synced").is_some_and(|c| c["reason"] == "Suspended")
    })
    .await;
    assert_eq!(argocd_health(&paused).0, "Suspended");
    assert_eq!(flux.health(&ns, "paused").await, "Current", "suspended is the state asked for");
    for (path, want) in [
        (format!("/apis/hookwright.dev/v1alpha1/namespaces/{ns}/webhookproviders/mendix"), ("True", "Healthy")),
        (
            format!("/apis/hookwright.dev/v1alpha1/namespaces/{ns}/webhookproviders/mendix-revoked"),
            ("False", "Degraded"),
        ),
        ("/apis/hookwright.dev/v1alpha1/clusterwebhookproviders/mendix-platform".to_string(), ("True", "Healthy")),
    ] {
        let obj = poll(60, &format!("Ready={} on {path}", want.0), || async {
            raw(&admin, &path).await.filter(|v| condition(v, "Ready").is_some_and(|c| c["status"] == want.0))
        })
        .await;
        let (status, message) = argocd_health(&obj);
        assert_eq!(status, want.1, "{path}: {message}");
    }

    // 7. Deletion: Delete removes the remote webhook, Orphan keeps it; both objects go away.
    let webhooks: Api<hookwright::crd::Webhook> = Api::namespaced(admin.clone(), &ns);
    for (name, remote_stays) in [("build-notifier", false), ("release-announcer", true)] {
        let id = ready[name]["status"]["webhookId"].as_str().unwrap().to_string();
        webhooks.delete(name, &DeleteParams::default()).await.unwrap();
        poll(60, &format!("{name} deleted"), || async {
            webhooks.get_opt(name).await.unwrap().is_none().then_some(())
        })
        .await;
        assert_eq!(remote_ids(&http, &fake).await.contains(&id), remote_stays, "{name}: remote {id}");
    }

    // The chart's rights were enough: the operator never got a 403.
    let log = std::fs::read_to_string(op.process.log_path()).unwrap();
    assert!(!log.to_lowercase().contains("forbidden"), "operator log mentions Forbidden:\n{}", op.log_tail());

    // 8. States seen while the operator is away: a spec change not yet reconciled, a deletion
    // waiting for the finalizer.
    drop(op);
    webhooks
        .patch(
            "ci-pipeline",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"eventTypes": ["package.uploaded"]}})),
        )
        .await
        .unwrap();
    let stale = raw(&admin, &webhook_path(&ns, "ci-pipeline")).await.unwrap();
    assert!(stale["status"]["observedGeneration"].as_i64() < stale["metadata"]["generation"].as_i64(), "{stale}");
    let (status, message) = argocd_health(&stale);
    assert_eq!(status, "Progressing", "{message}");
    assert!(message.contains("generation"), "{message}");
    assert_eq!(flux.health(&ns, "ci-pipeline").await, "InProgress");
    webhooks.delete("teamserver-audit", &DeleteParams::default()).await.unwrap();
    let deleting = raw(&admin, &webhook_path(&ns, "teamserver-audit")).await.expect("held by the finalizer");
    assert!(deleting["metadata"]["deletionTimestamp"].is_string());
    assert_eq!(argocd_health(&deleting).0, "Progressing");
}
