//! The chart's rights are not excessive: the token of its ServiceAccount is denied everything
//! outside the operator's kinds, denied changing or deleting Secrets it does not own, and the
//! admission policy lets it create only the Secret the operator generates. A namespace-scoped
//! install is confined to its namespace and still brings a Webhook to Ready.
use std::collections::BTreeMap;

use hookwright_fake_api::mendix::{FakeConfig, FakeServer, TokenEntry};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::authorization::v1::{ResourceAttributes, SelfSubjectAccessReview, SelfSubjectAccessReviewSpec};
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{
    ConfigMap, Event as CoreEvent, Namespace, Node, Pod, Secret, Service, ServiceAccount,
};
use k8s_openapi::api::rbac::v1::{ClusterRoleBinding, Role};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, DeleteParams, DynamicObject, ListParams, Patch, PatchParams, PostParams};
use kube::core::{ApiResource, GroupVersionKind};
use serde_json::{Value, json};

use super::support::{OPERATOR, Operator, helm_install, is_status, poll, sa_token};

fn obj<T: serde::de::DeserializeOwned>(v: Value) -> T {
    serde_json::from_value(v).unwrap()
}

/// Asks the apiserver whether the caller may do `verb` on `resource` (SelfSubjectAccessReview).
async fn can(client: &kube::Client, verb: &str, group: &str, resource: &str, sub: &str, ns: &str, name: &str) -> bool {
    let review = SelfSubjectAccessReview {
        spec: SelfSubjectAccessReviewSpec {
            resource_attributes: Some(ResourceAttributes {
                verb: Some(verb.into()),
                group: Some(group.into()),
                resource: Some(resource.into()),
                subresource: (!sub.is_empty()).then(|| sub.into()),
                namespace: (!ns.is_empty()).then(|| ns.into()),
                name: (!name.is_empty()).then(|| name.into()),
                ..Default::default()
            }),
            ..Default::default()
        },
        ..Default::default()
    };
    let r = Api::<SelfSubjectAccessReview>::all(client.clone()).create(&PostParams::default(), &review).await.unwrap();
    r.status.expect("review status").allowed
}

fn expect_forbidden<T: std::fmt::Debug>(what: &str, res: Result<T, kube::Error>) {
    assert!(is_status(&res, 403), "{what}: expected 403 Forbidden, got {res:?}");
    eprintln!("denied as expected: {what}");
}

/// The Secret the operator would generate for Webhook `wh` (name, uid), with `tweak` applied.
fn generated_secret(wh: (&str, &str), tweak: impl FnOnce(&mut Value)) -> Secret {
    let mut s = json!({
        "apiVersion": "v1", "kind": "Secret", "type": "Opaque",
        "metadata": {
            "name": format!("{}-validation-secret", wh.0),
            "labels": {"app.kubernetes.io/managed-by": "hookwright"},
            "ownerReferences": [{"apiVersion": "hookwright.dev/v1alpha1", "kind": "Webhook", "name": wh.0, "uid": wh.1,
                                 "controller": true}]
        },
        "stringData": {"secret": "whsec_dGVzdC1vbmx5LXNlY3JldC12YWx1ZS0xMjM0"}
    });
    tweak(&mut s);
    obj(s)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_charts_token_is_denied_everything_the_operator_does_not_need() {
    let cp = hookwright_testenv::shared().await;
    let admin = cp.client().await.unwrap();
    let (release, release_ns) = ("hw-lp", "hookwright-lp");
    helm_install(cp, release, release_ns, &[]).await;
    let sa = format!("{release}-hookwright");
    let token = sa_token(&admin, release_ns, &sa).await;
    let op = cp.client_with_token(&token).await.unwrap();
    let ns = hookwright_testenv::create_namespace(&admin, "lp").await.unwrap();

    // What it needs works (so the denials below are about rights, not a broken token).
    Api::<hookwright::crd::Webhook>::all(op.clone()).list(&ListParams::default()).await.expect("list Webhooks");
    Api::<Secret>::all(op.clone()).list_metadata(&ListParams::default()).await.expect("list Secrets (metadata)");

    // Kinds outside the operator's.
    expect_forbidden("list pods", Api::<Pod>::all(op.clone()).list(&ListParams::default()).await);
    let pod: Pod = obj(json!({"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "image": "busybox"}]}}));
    expect_forbidden("create pod", Api::<Pod>::namespaced(op.clone(), &ns).create(&PostParams::default(), &pod).await);
    expect_forbidden(
        "list configmaps",
        Api::<ConfigMap>::namespaced(op.clone(), &ns).list(&ListParams::default()).await,
    );
    let cm: ConfigMap = obj(json!({"metadata": {"name": "c"}, "data": {"k": "v"}}));
    expect_forbidden(
        "create configmap",
        Api::<ConfigMap>::namespaced(op.clone(), &ns).create(&PostParams::default(), &cm).await,
    );
    expect_forbidden("list deployments", Api::<Deployment>::all(op.clone()).list(&ListParams::default()).await);
    expect_forbidden(
        "delete the operator's own Deployment",
        Api::<Deployment>::namespaced(op.clone(), release_ns).delete(&sa, &DeleteParams::default()).await,
    );
    expect_forbidden("list services", Api::<Service>::all(op.clone()).list(&ListParams::default()).await);
    expect_forbidden("list namespaces", Api::<Namespace>::all(op.clone()).list(&ListParams::default()).await);
    expect_forbidden("list nodes", Api::<Node>::all(op.clone()).list(&ListParams::default()).await);
    expect_forbidden("list serviceaccounts", Api::<ServiceAccount>::all(op.clone()).list(&ListParams::default()).await);
    expect_forbidden("list roles", Api::<Role>::all(op.clone()).list(&ListParams::default()).await);
    let crb: ClusterRoleBinding = obj(json!({"metadata": {"name": "escalate"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
        "subjects": [{"kind": "ServiceAccount", "name": sa, "namespace": release_ns}]}));
    expect_forbidden(
        "bind cluster-admin",
        Api::<ClusterRoleBinding>::all(op.clone()).create(&PostParams::default(), &crb).await,
    );
    expect_forbidden("list CRDs", Api::<CustomResourceDefinition>::all(op.clone()).list(&ListParams::default()).await);
    let ev: CoreEvent = obj(json!({"metadata": {"name": "e"}, "involvedObject": {"kind": "Pod", "name": "p"}}));
    expect_forbidden(
        "create core/v1 event",
        Api::<CoreEvent>::namespaced(op.clone(), &ns).create(&PostParams::default(), &ev).await,
    );

    // Another operator's custom resources.
    let crd: CustomResourceDefinition = obj(json!({
        "metadata": {"name": "widgets.example.test"},
        "spec": {"group": "example.test", "scope": "Namespaced",
                 "names": {"plural": "widgets", "singular": "widget", "kind": "Widget"},
                 "versions": [{"name": "v1", "served": true, "storage": true,
                               "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}]}
    }));
    let crds = Api::<CustomResourceDefinition>::all(admin.clone());
    match crds.create(&PostParams::default(), &crd).await {
        Ok(_) => {}
        Err(kube::Error::Api(s)) if s.code == 409 => {}
        Err(e) => panic!("creating the Widget CRD: {e}"),
    }
    let widgets = ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk("example.test", "v1", "Widget"), "widgets");
    let admin_widgets: Api<DynamicObject> = Api::namespaced_with(admin.clone(), &ns, &widgets);
    poll(30, "the Widget CRD to serve", || async { admin_widgets.list(&ListParams::default()).await.ok() }).await;
    let op_widgets: Api<DynamicObject> = Api::all_with(op.clone(), &widgets);
    expect_forbidden("list another CRD's objects", op_widgets.list(&ListParams::default()).await);

    // hookwright's kinds: only the verbs the operator uses.
    let admin_webhooks: Api<hookwright::crd::Webhook> = Api::namespaced(admin.clone(), &ns);
    let webhook: hookwright::crd::Webhook = obj(json!({
        "apiVersion": "hookwright.dev/v1alpha1", "kind": "Webhook", "metadata": {"name": "owner"},
        "spec": {"providerRef": {"kind": "WebhookProvider", "name": "none"},
                 "mendix": {"appId": "76ef1b0f-4050-4810-a159-cb419268636c"},
                 "url": "https://hooks.example.com/x", "eventTypes": ["package.uploaded"]}}));
    let owner = admin_webhooks.create(&PostParams::default(), &webhook).await.unwrap();
    let owner_uid = owner.metadata.uid.clone().unwrap();
    let op_webhooks: Api<hookwright::crd::Webhook> = Api::namespaced(op.clone(), &ns);
    let mut other = webhook.clone();
    other.metadata.name = Some("made-by-operator".into());
    expect_forbidden("create Webhook", op_webhooks.create(&PostParams::default(), &other).await);
    expect_forbidden("replace Webhook", op_webhooks.replace("owner", &PostParams::default(), &owner).await);
    expect_forbidden("delete Webhook", op_webhooks.delete("owner", &DeleteParams::default()).await);
    let providers: Api<hookwright::crd::WebhookProvider> = Api::namespaced(op.clone(), &ns);
    expect_forbidden(
        "patch WebhookProvider spec",
        providers.patch("mendix", &PatchParams::default(), &Patch::Merge(json!({"spec": {}}))).await,
    );
    expect_forbidden("delete WebhookProvider", providers.delete("mendix", &DeleteParams::default()).await);

    // Secrets hookwright does not own: readable (token and header Secrets are read), never
    // changed or deleted.
    let admin_secrets: Api<Secret> = Api::namespaced(admin.clone(), &ns);
    let foreign: Secret = obj(
        json!({"metadata": {"name": "team-database", "labels": {"app": "db"}}, "stringData": {"password": "hunter2"}}),
    );
    let foreign = admin_secrets.create(&PostParams::default(), &foreign).await.unwrap();
    let op_secrets: Api<Secret> = Api::namespaced(op.clone(), &ns);
    op_secrets.get("team-database").await.expect("the operator reads Secrets");
    let mut changed = foreign.clone();
    changed.string_data = Some(BTreeMap::from([("password".to_string(), "changed".to_string())]));
    expect_forbidden(
        "replace foreign Secret",
        op_secrets.replace("team-database", &PostParams::default(), &changed).await,
    );
    for (what, patch) in [
        ("merge-patch foreign Secret", Patch::Merge(json!({"stringData": {"password": "changed"}}))),
        (
            "label foreign Secret as hookwright's",
            Patch::Merge(json!({"metadata": {"labels": {"app.kubernetes.io/managed-by": "hookwright"}}})),
        ),
    ] {
        expect_forbidden(what, op_secrets.patch("team-database", &PatchParams::default(), &patch).await);
    }
    let apply = Patch::Apply(json!({"apiVersion": "v1", "kind": "Secret", "stringData": {"password": "changed"}}));
    expect_forbidden(
        "server-side apply foreign Secret",
        op_secrets.patch("team-database", &PatchParams::apply("x").force(), &apply).await,
    );
    expect_forbidden("delete foreign Secret", op_secrets.delete("team-database", &DeleteParams::default()).await);
    expect_forbidden(
        "delete all Secrets",
        op_secrets.delete_collection(&DeleteParams::default(), &ListParams::default()).await,
    );
    let unchanged = admin_secrets.get("team-database").await.unwrap();
    assert_eq!(unchanged.metadata.resource_version, foreign.metadata.resource_version, "the Secret never changed");

    // Secret creates: the admission policy admits only the operator's generated Secret. It is
    // loaded by the apiserver asynchronously after helm install, so poll until it denies.
    let unlabelled: Secret = obj(json!({"metadata": {"name": "plain"}, "stringData": {"k": "v"}}));
    let denial = poll(60, "the admission policy to deny an unlabelled Secret", || async {
        match op_secrets.create(&PostParams::default(), &unlabelled).await {
            Err(kube::Error::Api(s)) if s.code == 403 => Some(s.message),
            Ok(_) => {
                // Policy not active yet: undo and try again.
                admin_secrets.delete("plain", &DeleteParams::default()).await.unwrap();
                None
            }
            Err(e) => panic!("unexpected error: {e}"),
        }
    })
    .await;
    assert!(denial.contains("ValidatingAdmissionPolicy"), "{denial}");
    assert!(denial.contains("app.kubernetes.io/managed-by=hookwright"), "{denial}");
    eprintln!("unlabelled Secret: {denial}");
    let cases: Vec<(&str, Secret, &str)> = vec![
        (
            "labelled, no owner",
            generated_secret(("owner", &owner_uid), |s| {
                s["metadata"].as_object_mut().unwrap().remove("ownerReferences");
            }),
            "generated Secret",
        ),
        (
            "owned by something else",
            generated_secret(("owner", &owner_uid), |s| {
                s["metadata"]["ownerReferences"][0]["kind"] = "Deployment".into()
            }),
            "generated Secret",
        ),
        (
            "not the generated name",
            generated_secret(("owner", &owner_uid), |s| s["metadata"]["name"] = "owner-something-else".into()),
            "generated Secret",
        ),
        (
            "service-account token for another account",
            generated_secret(("owner", &owner_uid), |s| {
                s["type"] = "kubernetes.io/service-account-token".into();
                s["metadata"]["annotations"] = json!({"kubernetes.io/service-account.name": "default"});
                s.as_object_mut().unwrap().remove("stringData");
            }),
            "type Opaque",
        ),
    ];
    for (what, secret, message) in cases {
        match op_secrets.create(&PostParams::default(), &secret).await {
            Err(kube::Error::Api(s)) if s.code == 403 && s.message.contains(message) => {
                eprintln!("denied as expected: create Secret ({what}): {}", s.message)
            }
            other => panic!("create Secret ({what}): expected the policy's 403 mentioning {message:?}, got {other:?}"),
        }
    }
    // Positive controls: the operator's own Secret passes; the policy does not touch other users.
    let created = op_secrets
        .create(&PostParams::default(), &generated_secret(("owner", &owner_uid), |_| {}))
        .await
        .expect("the generated Secret is admitted");
    assert_eq!(created.metadata.name.as_deref(), Some("owner-validation-secret"));
    expect_forbidden(
        "delete even a hookwright Secret (the operator never deletes; GC does)",
        op_secrets.delete("owner-validation-secret", &DeleteParams::default()).await,
    );
    admin_secrets.create(&PostParams::default(), &unlabelled).await.expect("admins are not limited by the policy");

    // Access reviews for the rest of the matrix (verb, group, resource, subresource, ns, name).
    let allowed = [
        ("patch", "hookwright.dev", "webhooks", "status", ns.as_str(), "owner"),
        ("patch", "hookwright.dev", "webhookproviders", "status", ns.as_str(), "p"),
        ("patch", "hookwright.dev", "clusterwebhookproviders", "status", "", "p"),
        ("create", "events.k8s.io", "events", "", ns.as_str(), ""),
        ("patch", "events.k8s.io", "events", "", ns.as_str(), "e"),
        ("create", "coordination.k8s.io", "leases", "", release_ns, ""),
        ("get", "coordination.k8s.io", "leases", "", release_ns, "hookwright-leader"),
        ("patch", "coordination.k8s.io", "leases", "", release_ns, "hookwright-leader"),
    ];
    let denied = [
        ("update", "hookwright.dev", "webhooks", "status", ns.as_str(), "owner"),
        ("update", "hookwright.dev", "webhooks", "finalizers", ns.as_str(), "owner"),
        ("update", "hookwright.dev", "webhooks", "", ns.as_str(), "owner"),
        ("deletecollection", "hookwright.dev", "webhooks", "", ns.as_str(), ""),
        ("create", "hookwright.dev", "clusterwebhookproviders", "", "", ""),
        ("delete", "events.k8s.io", "events", "", ns.as_str(), "e"),
        ("get", "coordination.k8s.io", "leases", "", release_ns, "kube-scheduler"),
        ("patch", "coordination.k8s.io", "leases", "", "kube-system", "kube-controller-manager"),
        ("create", "coordination.k8s.io", "leases", "", "kube-system", ""),
        ("list", "coordination.k8s.io", "leases", "", release_ns, ""),
        ("create", "", "serviceaccounts", "token", release_ns, &sa),
        ("impersonate", "", "serviceaccounts", "", release_ns, "default"),
        ("escalate", "rbac.authorization.k8s.io", "clusterroles", "", "", ""),
        ("bind", "rbac.authorization.k8s.io", "clusterroles", "", "", "cluster-admin"),
        ("update", "", "secrets", "", ns.as_str(), "owner-validation-secret"),
        ("create", "admissionregistration.k8s.io", "validatingadmissionpolicybindings", "", "", ""),
        ("delete", "admissionregistration.k8s.io", "validatingadmissionpolicies", "", "", ""),
    ];
    for (verb, group, res, sub, n, name) in allowed {
        assert!(
            can(&op, verb, group, res, sub, n, name).await,
            "must be allowed: {verb} {group}/{res}/{sub} {n}/{name}"
        );
    }
    for (verb, group, res, sub, n, name) in denied {
        assert!(
            !can(&op, verb, group, res, sub, n, name).await,
            "must be denied: {verb} {group}/{res}/{sub} {n}/{name}"
        );
    }
    eprintln!("access reviews: {} allowed, {} denied as expected", allowed.len(), denied.len());
    // (The policy's type-check status is written by kube-controller-manager, which this control
    // plane does not run; each validation was exercised above instead.)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_namespace_scoped_install_is_confined_to_its_namespace_and_works_there() {
    let cp = hookwright_testenv::shared().await;
    let admin = cp.client().await.unwrap();
    hookwright::tls::install_crypto_provider();
    let watched = hookwright_testenv::create_namespace(&admin, "team-ns").await.unwrap();
    let elsewhere = hookwright_testenv::create_namespace(&admin, "other").await.unwrap();
    let (release, release_ns) = ("hw-ns", "hookwright-ns");
    let set = format!("watch.namespace={watched}");
    helm_install(cp, release, release_ns, &[&set]).await;
    let sa = format!("{release}-hookwright");
    let token = sa_token(&admin, release_ns, &sa).await;
    let op = cp.client_with_token(&token).await.unwrap();

    Api::<hookwright::crd::Webhook>::namespaced(op.clone(), &watched).list(&ListParams::default()).await.unwrap();
    Api::<Secret>::namespaced(op.clone(), &watched).list_metadata(&ListParams::default()).await.unwrap();
    Api::<hookwright::crd::ClusterWebhookProvider>::all(op.clone()).list(&ListParams::default()).await.unwrap();
    expect_forbidden(
        "list Webhooks in another namespace",
        Api::<hookwright::crd::Webhook>::namespaced(op.clone(), &elsewhere).list(&ListParams::default()).await,
    );
    expect_forbidden(
        "list Webhooks cluster-wide",
        Api::<hookwright::crd::Webhook>::all(op.clone()).list(&ListParams::default()).await,
    );
    expect_forbidden(
        "list Secrets in another namespace",
        Api::<Secret>::namespaced(op.clone(), &elsewhere).list_metadata(&ListParams::default()).await,
    );
    expect_forbidden(
        "list Secrets cluster-wide",
        Api::<Secret>::all(op.clone()).list_metadata(&ListParams::default()).await,
    );
    assert!(!can(&op, "get", "", "secrets", "", &elsewhere, "any").await);
    assert!(!can(&op, "create", "", "secrets", "", &elsewhere, "").await);

    // The operator in namespace mode brings a Webhook of its namespace to Ready and ignores one
    // elsewhere.
    let _only_operator = OPERATOR.lock().await;
    let app = uuid::Uuid::new_v4();
    let pat = format!("pat{}", uuid::Uuid::new_v4().simple());
    let fake = FakeServer::start(FakeConfig {
        tokens: vec![TokenEntry::new(pat.clone(), &["mx:webhook:read", "mx:webhook:write"], &[app])],
        ..Default::default()
    })
    .await
    .unwrap();
    for n in [&watched, &elsewhere] {
        let secrets: Api<Secret> = Api::namespaced(admin.clone(), n);
        let s: Secret = obj(json!({"metadata": {"name": "mendix-pat"}, "stringData": {"token": pat}}));
        secrets.create(&PostParams::default(), &s).await.unwrap();
        let p: hookwright::crd::WebhookProvider = obj(
            json!({"apiVersion": "hookwright.dev/v1alpha1", "kind": "WebhookProvider",
            "metadata": {"name": "mendix"},
            "spec": {"mendix": {"baseUrl": fake.base_url(), "tokenSecretRef": {"name": "mendix-pat", "key": "token"}}}}),
        );
        Api::<hookwright::crd::WebhookProvider>::namespaced(admin.clone(), n)
            .create(&PostParams::default(), &p)
            .await
            .unwrap();
        let w: hookwright::crd::Webhook = obj(json!({"apiVersion": "hookwright.dev/v1alpha1", "kind": "Webhook",
            "metadata": {"name": "scoped"},
            "spec": {"providerRef": {"kind": "WebhookProvider", "name": "mendix"}, "mendix": {"appId": app.to_string()},
                     "url": format!("https://hooks.example.com/{n}"), "eventTypes": ["package.uploaded"]}}));
        Api::<hookwright::crd::Webhook>::namespaced(admin.clone(), n).create(&PostParams::default(), &w).await.unwrap();
    }
    let deployment = format!("{release}-hookwright");
    let args = Api::<Deployment>::namespaced(admin.clone(), release_ns)
        .get(&deployment)
        .await
        .unwrap()
        .spec
        .template
        .spec
        .unwrap()
        .containers[0]
        .args
        .clone()
        .unwrap();
    assert!(args.contains(&format!("--namespace={watched}")), "{args:?}");
    let operator = Operator::start(cp, &admin, release_ns, &deployment, &token).await;
    let watched_api = Api::<hookwright::crd::Webhook>::namespaced(admin.clone(), &watched);
    let ready = poll(120, "the watched namespace's Webhook Ready", || async {
        let w = watched_api.get("scoped").await.unwrap();
        let ok = w.status.as_ref().is_some_and(|s| {
            s.conditions
                .iter()
                .any(|c| c.type_ == "Ready" && c.status == "True" && c.observed_generation == w.metadata.generation)
        });
        ok.then_some(w)
    })
    .await;
    let id = ready.status.unwrap().webhook_id.unwrap();
    let other = Api::<hookwright::crd::Webhook>::namespaced(admin.clone(), &elsewhere).get("scoped").await.unwrap();
    assert!(other.status.is_none() && other.metadata.finalizers.is_none(), "not touched: {other:?}");
    let lease = Api::<Lease>::namespaced(admin.clone(), release_ns).get("hookwright-leader").await.unwrap();
    assert!(lease.spec.unwrap().holder_identity.is_some());

    watched_api.delete("scoped", &DeleteParams::default()).await.unwrap();
    poll(60, "the Webhook deleted", || async { watched_api.get_opt("scoped").await.unwrap().is_none().then_some(()) })
        .await;
    let remote: Value = reqwest::get(format!("{}/webhooks", fake.admin_url())).await.unwrap().json().await.unwrap();
    let remaining: Vec<&str> =
        remote["webhooks"].as_array().unwrap().iter().map(|w| w["id"].as_str().unwrap()).collect();
    assert!(!remaining.contains(&id.as_str()), "remote webhook {id} deleted: {remaining:?}");
    assert!(remaining.is_empty(), "nothing created for the other namespace: {remaining:?}");
    drop(operator);
    // No finalizer was ever added there: the object goes at once.
    Api::<hookwright::crd::Webhook>::namespaced(admin.clone(), &elsewhere)
        .delete("scoped", &DeleteParams::default())
        .await
        .unwrap();
}
