//! Issue 5: the CRDs in `crds/` install into a real kube-apiserver, accept valid objects (with
//! defaults applied) and reject invalid ones at apply time with a clear message; printer
//! columns, short names, categories, the status subresource and `kubectl explain` text work.
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use hookwright::crd::{ClusterWebhookProvider, DeletionPolicy, ProviderKind, Webhook, WebhookProvider};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, ApiResource, DynamicObject, Patch, PatchParams, PostParams};
use kube::runtime::wait::{await_condition, conditions};
use kube::{Client, Resource};
use serde_json::{Value, json};

const APP_ID: &str = "76ef1b0f-4050-4810-a159-cb419268636c";

/// Server-side applies every CRD in `crds/` and waits (watch, with a deadline) until each is
/// Established. Idempotent, so every test calls it.
async fn install_crds(client: &Client) {
    let api: Api<CustomResourceDefinition> = Api::all(client.clone());
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("crds");
    let mut names = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("crds/ exists") {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "yaml") {
            continue;
        }
        let crd: CustomResourceDefinition =
            serde_yaml_ng::from_str(&std::fs::read_to_string(&path).unwrap()).expect("crds/*.yaml parse");
        let name = crd.metadata.name.clone().expect("CRD has a name");
        api.patch(&name, &PatchParams::apply("hookwright-tests").force(), &Patch::Apply(&crd))
            .await
            .unwrap_or_else(|e| panic!("the apiserver rejected {}: {e}", path.display()));
        names.push(name);
    }
    assert_eq!(names.len(), 3, "expected three CRDs in crds/");
    for name in names {
        tokio::time::timeout(
            Duration::from_secs(60),
            await_condition(api.clone(), &name, conditions::is_crd_established()),
        )
        .await
        .unwrap_or_else(|_| panic!("CRD {name} not Established within 60s"))
        .unwrap();
    }
}

async fn setup(prefix: &str) -> (&'static hookwright_testenv::ControlPlane, Client, String) {
    let cp = hookwright_testenv::shared().await;
    let client = cp.client().await.unwrap();
    install_crds(&client).await;
    let ns = hookwright_testenv::create_namespace(&client, prefix).await.unwrap();
    (cp, client, ns)
}

fn dynamic_api<K: Resource<DynamicType = ()>>(client: &Client, ns: Option<&str>) -> Api<DynamicObject> {
    let ar = ApiResource::erase::<K>(&());
    match ns {
        Some(ns) => Api::namespaced_with(client.clone(), ns, &ar),
        None => Api::all_with(client.clone(), &ar),
    }
}

fn object(kind: &str, name: &str, spec: Value) -> DynamicObject {
    serde_json::from_value(json!({
        "apiVersion": "hookwright.dev/v1alpha1",
        "kind": kind,
        "metadata": {"name": name},
        "spec": spec,
    }))
    .unwrap()
}

fn valid_webhook_spec() -> Value {
    json!({
        "providerRef": {"kind": "WebhookProvider", "name": "mendix"},
        "mendix": {"appId": APP_ID},
        "url": "https://ci.example.com/hooks/mendix",
        "eventTypes": ["package.uploaded", "teamserver.push"],
    })
}

fn valid_provider_spec() -> Value {
    json!({"mendix": {"tokenSecretRef": {"name": "mendix-pat", "key": "token"}}})
}

fn valid_cluster_provider_spec() -> Value {
    json!({"mendix": {"tokenSecretRef": {"name": "mendix-pat", "namespace": "hookwright", "key": "token"}}})
}

/// `base` with `edit` applied.
fn with(base: Value, edit: impl FnOnce(&mut serde_json::Map<String, Value>)) -> Value {
    let mut v = base;
    edit(v.as_object_mut().unwrap());
    v
}

#[tokio::test]
async fn valid_objects_are_accepted_with_defaults_applied() {
    let (_cp, client, ns) = setup("crd-valid").await;

    // Minimal Webhook: defaults come from the schema.
    dynamic_api::<Webhook>(&client, Some(&ns))
        .create(&PostParams::default(), &object("Webhook", "minimal", valid_webhook_spec()))
        .await
        .expect("a minimal valid Webhook is accepted");
    let webhooks: Api<Webhook> = Api::namespaced(client.clone(), &ns);
    let minimal = webhooks.get("minimal").await.unwrap();
    assert!(minimal.spec.active, "active defaults to true");
    assert!(!minimal.spec.suspend, "suspend defaults to false");
    assert_eq!(minimal.spec.deletion_policy, DeletionPolicy::Delete);
    assert!(minimal.spec.headers.is_empty());
    assert_eq!(minimal.spec.provider_ref.kind, ProviderKind::WebhookProvider);

    // Every field set.
    let full = with(valid_webhook_spec(), |s| {
        s.insert("providerRef".into(), json!({"kind": "ClusterWebhookProvider", "name": "mendix.prod"}));
        s.insert("displayName".into(), json!("Team A build notifier_2"));
        s.insert("url".into(), json!("http://receiver.team-a.svc:8080/hooks?source=mendix"));
        s.insert("active".into(), json!(false));
        s.insert("validationSecretRef".into(), json!({"name": "build-notifier-signing", "key": "secret"}));
        s.insert(
            "headers".into(),
            json!([
                {"name": "Authorization", "valueFrom": {"secretKeyRef": {"name": "ci-token", "key": "header"}}},
                {"name": "X-Team", "value": "team-a"},
                {"name": "X-Amz", "value": "not a reserved prefix"},
                {"name": "X-Empty", "value": ""},
            ]),
        );
        s.insert("deletionPolicy".into(), json!("Orphan"));
        s.insert("suspend".into(), json!(true));
    });
    dynamic_api::<Webhook>(&client, Some(&ns))
        .create(&PostParams::default(), &object("Webhook", "full", full))
        .await
        .expect("a Webhook using every field is accepted");
    let full = webhooks.get("full").await.unwrap();
    assert_eq!(full.spec.headers.len(), 4);
    assert_eq!(full.spec.deletion_policy, DeletionPolicy::Orphan);
    assert_eq!(full.spec.display_name.as_deref(), Some("Team A build notifier_2"));

    // A Socotra Webhook: multi-valued headers, any display name, failure handling; Mendix's
    // header denylist does not apply.
    let socotra = socotra_with(|s| {
        s.insert("displayName".into(), json!("policy-events (team-a)"));
        s.insert(
            "headers".into(),
            json!([{"name": "X-Tags", "values": [{"value": "a"}, {"valueFrom": {"secretKeyRef": {"name": "t", "key": "k"}}}]},
                   {"name": "User-Agent", "value": "team-a"}]),
        );
        s.insert(
            "socotra".into(),
            json!({"failureHandling": {"alertEndpoint": "https://alerts.example.com/socotra", "triggers": ["5xx", "timeout"],
                   "retry": {"strategy": "exponential", "intervalSeconds": 30, "attempts": 5}, "onFailure": "suspend"}}),
        );
    });
    dynamic_api::<Webhook>(&client, Some(&ns))
        .create(&PostParams::default(), &object("Webhook", "socotra", socotra))
        .await
        .expect("a Socotra Webhook is accepted");
    let created = webhooks.get("socotra").await.unwrap();
    let fh = created.spec.socotra.and_then(|s| s.failure_handling).expect("failureHandling kept");
    assert_eq!((fh.retry.unwrap().attempts, fh.on_failure.as_deref()), (5, Some("suspend")));
    assert_eq!(created.spec.headers[0].values.as_ref().map(Vec::len), Some(2));

    // Providers: the Mendix base URL defaults; Socotra blocks are accepted on providers.
    dynamic_api::<WebhookProvider>(&client, Some(&ns))
        .create(&PostParams::default(), &object("WebhookProvider", "mendix", valid_provider_spec()))
        .await
        .expect("a valid WebhookProvider is accepted");
    let provider = Api::<WebhookProvider>::namespaced(client.clone(), &ns).get("mendix").await.unwrap();
    assert_eq!(provider.spec.mendix.unwrap().base_url, "https://webhook-portal.home.mendix.com/api/v1");
    let socotra = json!({"socotra": {"baseUrl": "https://api.sandbox.socotra.com", "tenantLocator": "t-1",
        "tokenSecretRef": {"name": "socotra-token", "key": "token"}}, "requestsPerHour": 100});
    dynamic_api::<WebhookProvider>(&client, Some(&ns))
        .create(&PostParams::default(), &object("WebhookProvider", "socotra", socotra))
        .await
        .expect("a Socotra WebhookProvider is accepted");

    let cluster_name = format!("{ns}-mendix");
    let cluster_spec = with(valid_cluster_provider_spec(), |s| {
        s.insert("requestsPerHour".into(), json!(1));
    });
    dynamic_api::<ClusterWebhookProvider>(&client, None)
        .create(&PostParams::default(), &object("ClusterWebhookProvider", &cluster_name, cluster_spec))
        .await
        .expect("a valid ClusterWebhookProvider is accepted");
    let cluster = Api::<ClusterWebhookProvider>::all(client.clone()).get(&cluster_name).await.unwrap();
    assert_eq!(cluster.spec.requests_per_hour, Some(1));
    assert_eq!(cluster.spec.mendix.unwrap().token_secret_ref.namespace, "hookwright");
}

struct Case {
    what: &'static str,
    kind: &'static str,
    spec: Value,
    expect: &'static str,
}

fn case(what: &'static str, kind: &'static str, spec: Value, expect: &'static str) -> Case {
    Case { what, kind, spec, expect }
}

fn webhook_with(edit: impl FnOnce(&mut serde_json::Map<String, Value>)) -> Value {
    with(valid_webhook_spec(), edit)
}

fn headers(list: Value) -> Value {
    webhook_with(|s| {
        s.insert("headers".into(), list);
    })
}

/// A valid Socotra Webhook (no mendix block), changed by `f`.
fn socotra_with(f: impl FnOnce(&mut serde_json::Map<String, Value>)) -> Value {
    webhook_with(|s| {
        s.remove("mendix");
        s.insert("socotra".into(), json!({}));
        f(s);
    })
}

fn invalid_cases() -> Vec<Case> {
    let url_msg = "must be an absolute http:// or https:// URL with a host";
    let one_block = "exactly one provider block must be set: spec.mendix or spec.socotra";
    let one_value = "set exactly one of value, valueFrom or values";
    let reserved = "spec.headers: a header name is reserved and rejected by Mendix";
    let reserved_prefix = "spec.headers: a header name starts with a prefix reserved and rejected by Mendix";
    let set = |k: &'static str, v: Value| move |s: &mut serde_json::Map<String, Value>| drop(s.insert(k.into(), v));
    let wh = "Webhook";
    let whp = "WebhookProvider";
    let cwhp = "ClusterWebhookProvider";
    vec![
        case(
            "app id is not a UUID",
            wh,
            webhook_with(set("mendix", json!({"appId": "my-app"}))),
            "must be a Mendix app id",
        ),
        case(
            "app id has a wrong group length",
            wh,
            webhook_with(set("mendix", json!({"appId": "76ef1b0f-4050-4810-a159-cb419268636"}))),
            "must be a Mendix app id",
        ),
        case("ftp URL", wh, webhook_with(set("url", json!("ftp://ci.example.com/hooks"))), url_msg),
        case("relative URL", wh, webhook_with(set("url", json!("/hooks/mendix"))), url_msg),
        case("URL without scheme", wh, webhook_with(set("url", json!("ci.example.com/hooks"))), url_msg),
        case("URL without host", wh, webhook_with(set("url", json!("https:///hooks"))), url_msg),
        case(
            "URL longer than 65536 characters",
            wh,
            webhook_with(set("url", json!(format!("https://ci.example.com/{}", "a".repeat(65536))))),
            "spec.url: Too long",
        ),
        case("empty URL", wh, webhook_with(set("url", json!(""))), "spec.url"),
        case(
            "display name with a dash",
            wh,
            webhook_with(set("displayName", json!("build-notifier"))),
            "must contain only letters, digits, underscores and spaces",
        ),
        case("empty eventTypes", wh, webhook_with(set("eventTypes", json!([]))), "spec.eventTypes: Invalid value"),
        case(
            "duplicate eventTypes",
            wh,
            webhook_with(set("eventTypes", json!(["package.uploaded", "package.uploaded"]))),
            "spec.eventTypes[1]: Duplicate value",
        ),
        case("reserved header name, mixed case", wh, headers(json!([{"name": "User-Agent", "value": "x"}])), reserved),
        case(
            "reserved header name, upper case",
            wh,
            headers(json!([{"name": "CONTENT-TYPE", "value": "x"}])),
            reserved,
        ),
        case(
            "reserved header prefix, mixed case",
            wh,
            headers(json!([{"name": "X-Amz-Date", "value": "x"}])),
            reserved_prefix,
        ),
        case("reserved header prefix svix-", wh, headers(json!([{"name": "Svix-Id", "value": "x"}])), reserved_prefix),
        case(
            "header name is not an HTTP token",
            wh,
            headers(json!([{"name": "X Team", "value": "x"}])),
            "must be a valid HTTP header name",
        ),
        case(
            "header with both value and valueFrom",
            wh,
            headers(
                json!([{"name": "X-Team", "value": "a", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}]),
            ),
            one_value,
        ),
        case("header with neither value nor valueFrom", wh, headers(json!([{"name": "X-Team"}])), one_value),
        case(
            "duplicate header names differing in case",
            wh,
            headers(json!([{"name": "X-Team", "value": "a"}, {"name": "x-team", "value": "b"}])),
            "header names must be unique (compared case-insensitively)",
        ),
        case(
            "duplicate header names",
            wh,
            headers(json!([{"name": "X-Team", "value": "a"}, {"name": "X-Team", "value": "b"}])),
            "spec.headers[1]: Duplicate value",
        ),
        case(
            "header valueFrom without key",
            wh,
            headers(json!([{"name": "Authorization", "valueFrom": {"secretKeyRef": {"name": "ci-token"}}}])),
            "spec.headers[0].valueFrom.secretKeyRef.key: Required value",
        ),
        case("both provider blocks", wh, webhook_with(set("socotra", json!({}))), one_block),
        case("neither provider block", wh, webhook_with(|s| drop(s.remove("mendix"))), one_block),
        case(
            "several header values for Mendix",
            wh,
            headers(json!([{"name": "X-Team", "values": [{"value": "a"}, {"value": "b"}]}])),
            "Mendix headers carry one value each",
        ),
        case(
            "Socotra with a validation secret",
            wh,
            socotra_with(set("validationSecretRef", json!({"name": "signing", "key": "k"}))),
            "Socotra does not sign deliveries with a validation secret",
        ),
        case(
            "Socotra header value with both value and valueFrom",
            wh,
            socotra_with(set(
                "headers",
                json!([{"name": "X-Tags", "values": [{"value": "a", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}]}]),
            )),
            "set exactly one of value or valueFrom",
        ),
        case(
            "Socotra retry with 11 attempts",
            wh,
            socotra_with(set(
                "socotra",
                json!({"failureHandling": {"retry": {"strategy": "linear", "intervalSeconds": 30, "attempts": 11}}}),
            )),
            "attempts",
        ),
        case(
            "Socotra unknown failure trigger",
            wh,
            socotra_with(set("socotra", json!({"failureHandling": {"triggers": ["3xx"]}}))),
            "each trigger is one of 4xx, 5xx, timeout",
        ),
        case(
            "Socotra unknown onFailure",
            wh,
            socotra_with(set("socotra", json!({"failureHandling": {"onFailure": "drop"}}))),
            "must be divert or suspend",
        ),
        case(
            "validationSecretRef without key",
            wh,
            webhook_with(set("validationSecretRef", json!({"name": "signing"}))),
            "spec.validationSecretRef.key: Required value",
        ),
        case(
            "validationSecretRef with an empty name",
            wh,
            webhook_with(set("validationSecretRef", json!({"name": "", "key": "secret"}))),
            "spec.validationSecretRef.name",
        ),
        case(
            "validationSecretRef with an invalid Secret name",
            wh,
            webhook_with(set("validationSecretRef", json!({"name": "Signing_Secret", "key": "secret"}))),
            "must be a valid Secret name",
        ),
        case(
            "unknown deletionPolicy",
            wh,
            webhook_with(set("deletionPolicy", json!("Keep"))),
            "spec.deletionPolicy: Unsupported value: \"Keep\"",
        ),
        case(
            "unknown providerRef kind",
            wh,
            webhook_with(set("providerRef", json!({"kind": "Issuer", "name": "mendix"}))),
            "spec.providerRef.kind: Unsupported value: \"Issuer\"",
        ),
        case(
            "providerRef without name",
            wh,
            webhook_with(set("providerRef", json!({"kind": "WebhookProvider"}))),
            "spec.providerRef.name: Required value",
        ),
        case("missing url", wh, webhook_with(|s| drop(s.remove("url"))), "spec.url: Required value"),
        case(
            "requestsPerHour 0",
            whp,
            with(valid_provider_spec(), set("requestsPerHour", json!(0))),
            "spec.requestsPerHour: Invalid value",
        ),
        case("provider with neither block", whp, json!({"requestsPerHour": 10}), one_block),
        case(
            "provider with both blocks",
            whp,
            with(
                valid_provider_spec(),
                set(
                    "socotra",
                    json!({"baseUrl": "https://api.socotra.com", "tenantLocator": "t", "tokenSecretRef": {"name": "s", "key": "k"}}),
                ),
            ),
            one_block,
        ),
        case(
            "provider with an ftp base URL",
            whp,
            json!({"mendix": {"baseUrl": "ftp://mendix.example.com", "tokenSecretRef": {"name": "s", "key": "k"}}}),
            url_msg,
        ),
        case(
            "provider token ref without key",
            whp,
            json!({"mendix": {"tokenSecretRef": {"name": "mendix-pat"}}}),
            "spec.mendix.tokenSecretRef.key: Required value",
        ),
        case(
            "cluster provider token ref without namespace",
            cwhp,
            json!({"mendix": {"tokenSecretRef": {"name": "mendix-pat", "key": "token"}}}),
            "spec.mendix.tokenSecretRef.namespace: Required value",
        ),
        case("cluster provider with neither block", cwhp, json!({}), one_block),
        case(
            "cluster provider requestsPerHour 0",
            cwhp,
            with(valid_cluster_provider_spec(), set("requestsPerHour", json!(0))),
            "spec.requestsPerHour: Invalid value",
        ),
    ]
}

#[tokio::test]
async fn invalid_objects_are_rejected_with_clear_messages() {
    let (_cp, client, ns) = setup("crd-invalid").await;
    let cases = invalid_cases();
    assert!(cases.len() >= 18);
    let mut failures = Vec::new();
    for (i, c) in cases.into_iter().enumerate() {
        let (api, name) = match c.kind {
            "Webhook" => (dynamic_api::<Webhook>(&client, Some(&ns)), format!("bad-{i}")),
            "WebhookProvider" => (dynamic_api::<WebhookProvider>(&client, Some(&ns)), format!("bad-{i}")),
            "ClusterWebhookProvider" => (dynamic_api::<ClusterWebhookProvider>(&client, None), format!("{ns}-bad-{i}")),
            other => unreachable!("{other}"),
        };
        match api.create(&PostParams::default(), &object(c.kind, &name, c.spec)).await {
            Ok(_) => {
                failures.push(format!("{} ({}): accepted, expected rejection with {:?}", c.what, c.kind, c.expect))
            }
            Err(kube::Error::Api(status)) => {
                eprintln!("{} ({}): {}", c.what, c.kind, status.message);
                if status.code != 422 || !status.message.contains(c.expect) {
                    failures.push(format!(
                        "{} ({}): got {} {:?}, expected 422 containing {:?}",
                        c.what, c.kind, status.code, status.message, c.expect
                    ));
                }
            }
            Err(e) => failures.push(format!("{}: unexpected error {e}", c.what)),
        }
    }
    assert!(failures.is_empty(), "{} case(s) failed:\n{}", failures.len(), failures.join("\n"));
}

#[tokio::test]
async fn app_id_is_immutable_but_other_fields_can_change() {
    let (_cp, client, ns) = setup("crd-immutable").await;
    dynamic_api::<Webhook>(&client, Some(&ns))
        .create(&PostParams::default(), &object("Webhook", "w", valid_webhook_spec()))
        .await
        .unwrap();
    let webhooks: Api<Webhook> = Api::namespaced(client.clone(), &ns);
    let pp = PatchParams::default();
    webhooks
        .patch("w", &pp, &Patch::Merge(json!({"spec": {"url": "https://other.example.com/hook"}})))
        .await
        .expect("changing the URL is allowed");
    match webhooks
        .patch("w", &pp, &Patch::Merge(json!({"spec": {"mendix": {"appId": "11111111-2222-3333-4444-555555555555"}}})))
        .await
    {
        Err(kube::Error::Api(s)) => {
            assert_eq!(s.code, 422);
            assert!(s.message.contains("spec.mendix.appId: Invalid value"), "{}", s.message);
            assert!(s.message.contains("is immutable"), "{}", s.message);
        }
        other => panic!("changing the app id must be rejected, got {other:?}"),
    }
}

fn kubectl() -> PathBuf {
    hookwright_testenv::bin_dir().join("kubectl")
}

async fn run_kubectl(cp: &hookwright_testenv::ControlPlane, args: &[&str]) -> String {
    let out = tokio::process::Command::new(kubectl())
        .arg("--kubeconfig")
        .arg(cp.kubeconfig_path())
        .args(args)
        .output()
        .await
        .unwrap_or_else(|e| panic!("running {}: {e}", kubectl().display()));
    assert!(out.status.success(), "kubectl {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test]
async fn status_subresource_printer_columns_short_names_and_explain() {
    let (cp, client, ns) = setup("crd-columns").await;
    dynamic_api::<Webhook>(&client, Some(&ns))
        .create(&PostParams::default(), &object("Webhook", "build-notifier", valid_webhook_spec()))
        .await
        .unwrap();
    dynamic_api::<WebhookProvider>(&client, Some(&ns))
        .create(&PostParams::default(), &object("WebhookProvider", "mendix", valid_provider_spec()))
        .await
        .unwrap();

    // Status is written through the status subresource with server-side apply, as the operator does.
    let webhooks: Api<Webhook> = Api::namespaced(client.clone(), &ns);
    let status = json!({
        "apiVersion": "hookwright.dev/v1alpha1",
        "kind": "Webhook",
        "status": {
            "observedGeneration": 1,
            "webhookId": "mxep_mfiHo9gZw6RcGisubUfhyfuCllim5q",
            "location": APP_ID,
            "lastSyncedAt": "2026-11-26T12:00:00Z",
            "appliedHash": "0123456789abcdef",
            "conditions": [
                {"type": "Ready", "status": "True", "reason": "UpToDate", "message": "remote webhook equals spec",
                 "lastTransitionTime": "2026-11-26T12:00:00Z", "observedGeneration": 1},
                {"type": "Synced", "status": "True", "reason": "Created", "message": "created",
                 "lastTransitionTime": "2026-11-26T12:00:00Z", "observedGeneration": 1},
            ],
        },
    });
    let patched = webhooks
        .patch_status("build-notifier", &PatchParams::apply("hookwright").force(), &Patch::Apply(&status))
        .await
        .expect("status apply is accepted");
    let st = patched.status.expect("status is set");
    assert_eq!(st.webhook_id.as_deref(), Some("mxep_mfiHo9gZw6RcGisubUfhyfuCllim5q"));
    assert_eq!(st.conditions.len(), 2);

    let table = run_kubectl(cp, &["get", "wh", "-n", &ns]).await;
    eprintln!("{table}");
    let header: Vec<&str> = table.lines().next().unwrap().split_whitespace().collect();
    assert_eq!(header, ["NAME", "LOCATION", "URL", "EVENTS", "ACTIVE", "READY", "REASON", "ID", "AGE"], "{table}");
    let row = table.lines().nth(1).expect("one row");
    for want in ["build-notifier", APP_ID, "https://ci.example.com/hooks/mendix", "package.uploaded", "true", "True"] {
        assert!(row.contains(want), "row lacks {want:?}:\n{table}");
    }
    assert!(row.contains("Created") && row.contains("mxep_mfiHo9gZw6RcGisubUfhyfuCllim5q"), "{table}");

    let providers = run_kubectl(cp, &["get", "whp", "-n", &ns]).await;
    let header: Vec<&str> = providers.lines().next().unwrap().split_whitespace().collect();
    assert_eq!(header, ["NAME", "READY", "REASON", "AGE"], "{providers}");
    run_kubectl(cp, &["get", "cwhp"]).await;
    let category = run_kubectl(cp, &["get", "hookwright", "-n", &ns, "-o", "name"]).await;
    assert!(category.contains("webhook.hookwright.dev/build-notifier"), "{category}");
    assert!(category.contains("webhookprovider.hookwright.dev/mendix"), "{category}");

    // kubectl explain reads the published OpenAPI, which follows the CRD by a moment.
    let want = "Absolute http:// or https:// URL the provider delivers events to";
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let out = tokio::process::Command::new(kubectl())
            .arg("--kubeconfig")
            .arg(cp.kubeconfig_path())
            .args(["explain", "webhook.spec.url"])
            .output()
            .await
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).replace('\n', " ");
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        if out.status.success() && text.contains(want) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "kubectl explain webhook.spec.url never showed the doc comment; last output: {text}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}
