//! The chart without a cluster: helm lint, helm template with default and non-default values,
//! values the schema must reject, and files that must stay in sync with their sources.
use std::process::Command;

use serde_json::Value;

use super::support::{chart_dir, find, helm, kinds, output, parse_docs, repo, rules, run, template};

type Rule = (&'static str, &'static str, &'static str, &'static str);

/// The operator's rights on namespaced kinds (ClusterRole when cluster-wide, Role otherwise):
/// (apiGroups, resources, resourceNames, verbs), sorted. Changing the chart's RBAC means
/// changing this list, on purpose.
const NAMESPACED_RULES: &[Rule] = &[
    ("", "secrets", "", "create,get,list,watch"),
    ("events.k8s.io", "events", "", "create,patch"),
    ("hookwright.dev", "webhookproviders", "", "get,list,watch"),
    ("hookwright.dev", "webhookproviders/status", "", "patch"),
    ("hookwright.dev", "webhooks", "", "get,list,patch,watch"),
    ("hookwright.dev", "webhooks/status", "", "patch"),
];
const CLUSTER_PROVIDER_RULES: &[Rule] = &[
    ("hookwright.dev", "clusterwebhookproviders", "", "get,list,watch"),
    ("hookwright.dev", "clusterwebhookproviders/status", "", "patch"),
];

fn owned(rules: &[Rule]) -> Vec<(String, String, String, String)> {
    let mut v: Vec<_> =
        rules.iter().map(|(a, b, c, d)| (a.to_string(), b.to_string(), c.to_string(), d.to_string())).collect();
    v.sort();
    v
}

fn container(docs: &[Value]) -> &Value {
    let dep = find(docs, "Deployment", "hw-hookwright");
    let containers = dep["spec"]["template"]["spec"]["containers"].as_array().unwrap();
    assert_eq!(containers.len(), 1);
    &containers[0]
}

fn args(docs: &[Value]) -> Vec<String> {
    container(docs)["args"].as_array().unwrap().iter().map(|a| a.as_str().unwrap().to_string()).collect()
}

fn ci_values(name: &str) -> String {
    chart_dir().join("ci").join(name).display().to_string()
}

#[test]
fn helm_lint_strict_with_default_and_ci_values() {
    let mut files = vec![None];
    for e in std::fs::read_dir(chart_dir().join("ci")).unwrap() {
        files.push(Some(e.unwrap().path()));
    }
    assert!(files.len() >= 4, "charts/hookwright/ci/*-values.yaml");
    for f in files {
        let mut cmd = Command::new(helm());
        cmd.args(["lint", "--strict"]).arg(chart_dir());
        if let Some(f) = &f {
            cmd.arg("-f").arg(f);
        }
        let out = run(&mut cmd);
        assert!(out.contains("0 chart(s) failed"), "{f:?}: {out}");
        eprintln!("helm lint --strict {f:?}: ok");
    }
}

#[test]
fn default_values_render_a_hardened_cluster_wide_install() {
    let docs = template("hookwright", &[]);
    assert_eq!(
        kinds(&docs),
        [
            "ClusterRole/hw-hookwright",
            "ClusterRoleBinding/hw-hookwright",
            "Deployment/hw-hookwright",
            "Role/hw-hookwright-leader-election",
            "RoleBinding/hw-hookwright-leader-election",
            "Service/hw-hookwright-metrics",
            "ServiceAccount/hw-hookwright",
            "ValidatingAdmissionPolicy/hw-hookwright-secret-writes",
            "ValidatingAdmissionPolicyBinding/hw-hookwright-secret-writes",
        ]
    );
    // RBAC: exactly the rules the code needs (proven sufficient by tests/chart/install.rs).
    let mut expected = owned(NAMESPACED_RULES);
    expected.extend(owned(CLUSTER_PROVIDER_RULES));
    expected.sort();
    assert_eq!(rules(find(&docs, "ClusterRole", "hw-hookwright")), expected);
    assert_eq!(
        rules(find(&docs, "Role", "hw-hookwright-leader-election")),
        owned(&[
            ("coordination.k8s.io", "leases", "", "create"),
            ("coordination.k8s.io", "leases", "hookwright-leader", "get,patch"),
        ])
    );
    let binding = find(&docs, "ClusterRoleBinding", "hw-hookwright");
    assert_eq!(
        binding["subjects"],
        serde_json::json!([{"kind": "ServiceAccount", "name": "hw-hookwright", "namespace": "hookwright"}])
    );

    // Pod and container hardening.
    let dep = find(&docs, "Deployment", "hw-hookwright");
    let pod = &dep["spec"]["template"]["spec"];
    assert_eq!(dep["spec"]["replicas"], 1);
    assert_eq!(pod["serviceAccountName"], "hw-hookwright");
    assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
    assert_eq!(pod["securityContext"]["seccompProfile"]["type"], "RuntimeDefault");
    let c = container(&docs);
    assert_eq!(c["securityContext"]["readOnlyRootFilesystem"], true);
    assert_eq!(c["securityContext"]["allowPrivilegeEscalation"], false);
    assert_eq!(c["securityContext"]["capabilities"]["drop"], serde_json::json!(["ALL"]));
    assert!(c["resources"]["requests"]["cpu"].is_string() && c["resources"]["requests"]["memory"].is_string());
    assert!(c["resources"]["limits"]["memory"].is_string());
    assert_eq!(c["image"], "ghcr.io/hookwright/hookwright:0.1.0", "tag defaults to appVersion");
    assert_eq!(c["livenessProbe"]["httpGet"], serde_json::json!({"path": "/livez", "port": "metrics"}));
    assert_eq!(c["readinessProbe"]["httpGet"], serde_json::json!({"path": "/readyz", "port": "metrics"}));
    assert_eq!(c["ports"][0], serde_json::json!({"name": "metrics", "containerPort": 8080, "protocol": "TCP"}));
    assert_eq!(
        args(&docs),
        [
            "run",
            "--concurrency=4",
            "--drift-interval=10m",
            "--drift-budget=100",
            "--log-format=json",
            "--metrics-addr=0.0.0.0:8080",
            "--api-timeout=30s",
            "--api-connect-timeout=5s",
            "--leader-election",
            "--leader-election-namespace=hookwright",
            "--leader-election-lease=hookwright-leader",
            "--leader-election-duration=15s",
        ]
    );
    let svc = find(&docs, "Service", "hw-hookwright-metrics");
    assert_eq!(svc["spec"]["ports"][0]["targetPort"], "metrics");
    assert_eq!(svc["spec"]["selector"], dep["spec"]["selector"]["matchLabels"]);

    // The admission policy is bound and applies to the operator's ServiceAccount only.
    let vap = find(&docs, "ValidatingAdmissionPolicy", "hw-hookwright-secret-writes");
    assert_eq!(
        vap["spec"]["matchConditions"][0]["expression"],
        "request.userInfo.username == \"system:serviceaccount:hookwright:hw-hookwright\""
    );
    assert_eq!(vap["spec"]["failurePolicy"], "Fail");
    let vapb = find(&docs, "ValidatingAdmissionPolicyBinding", "hw-hookwright-secret-writes");
    assert_eq!(vapb["spec"]["policyName"], "hw-hookwright-secret-writes");
    assert_eq!(vapb["spec"]["validationActions"], serde_json::json!(["Deny"]));
}

#[test]
fn namespace_scoped_install_uses_a_role_in_the_watched_namespace() {
    let docs = template("hookwright", &["-f", &ci_values("namespaced-values.yaml")]);
    assert_eq!(
        kinds(&docs),
        [
            "ClusterRole/hw-hookwright-clusterwebhookproviders",
            "ClusterRoleBinding/hw-hookwright-clusterwebhookproviders",
            "Deployment/hw-hookwright",
            "Role/hw-hookwright",
            "RoleBinding/hw-hookwright",
            "Service/hw-hookwright-metrics",
            "ServiceAccount/hw-hookwright",
            "ValidatingAdmissionPolicy/hw-hookwright-secret-writes",
            "ValidatingAdmissionPolicyBinding/hw-hookwright-secret-writes",
        ]
    );
    let role = find(&docs, "Role", "hw-hookwright");
    assert_eq!(role["metadata"]["namespace"], "team-a");
    assert_eq!(rules(role), owned(NAMESPACED_RULES));
    assert_eq!(find(&docs, "RoleBinding", "hw-hookwright")["metadata"]["namespace"], "team-a");
    assert_eq!(
        rules(find(&docs, "ClusterRole", "hw-hookwright-clusterwebhookproviders")),
        owned(CLUSTER_PROVIDER_RULES),
        "the only cluster-wide rights: ClusterWebhookProviders"
    );
    let a = args(&docs);
    assert!(a.contains(&"--namespace=team-a".to_string()), "{a:?}");
    assert!(!a.iter().any(|x| x.starts_with("--leader-election")), "leader election off in this values file: {a:?}");

    // Without ClusterWebhookProviders: nothing cluster-scoped but the admission policy.
    let docs =
        template("hookwright", &["--set", "watch.namespace=team-a", "--set", "rbac.clusterWebhookProviders=false"]);
    assert!(!kinds(&docs).iter().any(|k| k.starts_with("ClusterRole")), "{:?}", kinds(&docs));
    let docs = template("hookwright", &["--set", "rbac.create=false", "--set", "admissionPolicy.enabled=false"]);
    assert_eq!(
        kinds(&docs),
        ["Deployment/hw-hookwright", "Service/hw-hookwright-metrics", "ServiceAccount/hw-hookwright"]
    );
}

#[test]
fn ha_values_run_replicas_with_leader_election_and_a_disruption_budget() {
    let docs = template("ops", &["-f", &ci_values("ha-values.yaml")]);
    let dep = find(&docs, "Deployment", "hw-hookwright");
    assert_eq!(dep["spec"]["replicas"], 2);
    let a = args(&docs);
    for want in [
        "--leader-election",
        "--leader-election-namespace=ops",
        "--leader-election-lease=hookwright-ha",
        "--leader-election-duration=20s",
        "--concurrency=8",
        "--log-format=text",
        "--enable-test-delivery",
    ] {
        assert!(a.contains(&want.to_string()), "{want} missing from {a:?}");
    }
    let pdb = find(&docs, "PodDisruptionBudget", "hw-hookwright");
    assert_eq!(pdb["spec"]["maxUnavailable"], 1);
    assert_eq!(pdb["spec"]["selector"]["matchLabels"], dep["spec"]["selector"]["matchLabels"]);
    assert_eq!(
        rules(find(&docs, "Role", "hw-hookwright-leader-election")),
        owned(&[
            ("coordination.k8s.io", "leases", "", "create"),
            ("coordination.k8s.io", "leases", "hookwright-ha", "get,patch"),
        ])
    );
    assert!(dep["spec"]["template"]["spec"]["topologySpreadConstraints"].is_array());
}

#[test]
fn monitoring_values_add_a_service_monitor_and_pin_the_image_by_digest() {
    let docs = template("monitoring", &["-f", &ci_values("monitoring-values.yaml")]);
    let sm = find(&docs, "ServiceMonitor", "hw-hookwright");
    assert_eq!(sm["metadata"]["labels"]["release"], "prometheus");
    assert_eq!(sm["spec"]["endpoints"][0]["port"], "metrics");
    assert_eq!(sm["spec"]["endpoints"][0]["path"], "/metrics");
    let svc = find(&docs, "Service", "hw-hookwright-metrics");
    for (k, v) in sm["spec"]["selector"]["matchLabels"].as_object().unwrap() {
        assert_eq!(&svc["metadata"]["labels"][k], v, "the ServiceMonitor selects the metrics Service");
    }
    let c = container(&docs);
    assert_eq!(
        c["image"],
        "registry.example.com/platform/hookwright@sha256:0000000000000000000000000000000000000000000000000000000000000000"
    );
    assert!(c["env"].as_array().unwrap().iter().any(|e| e["name"] == "HTTPS_PROXY"));
}

/// Renders with `set`; returns helm's error output (the render must fail).
fn rejected(set: &[&str]) -> String {
    let mut cmd = Command::new(helm());
    cmd.args(["template", "hw"]).arg(chart_dir());
    for s in set {
        cmd.args(["--set", s]);
    }
    let out = output(&mut cmd);
    assert!(!out.status.success(), "{set:?} must be rejected, but rendered");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn invalid_values_are_rejected_by_the_schema() {
    let cases: &[(&[&str], &str)] = &[
        (&["replicaCount=3", "leaderElection.enabled=false"], "/leaderElection/enabled"),
        (&["replicaCount=-1"], "/replicaCount"),
        (&["config.logFormat=xml"], "/config/logFormat"),
        (&["config.driftInterval=5d"], "/config/driftInterval"),
        (&["config.driftInterval=0s"], "/config/driftInterval"),
        (&["config.apiTimeout=soon"], "/config/apiTimeout"),
        (&["config.concurrency=0"], "/config/concurrency"),
        (&["config.enableTestDelivery=maybe"], "/config/enableTestDelivery"),
        (&["watch.namespace=Team_A"], "/watch/namespace"),
        (&["image.pullPolicy=Sometimes"], "/image/pullPolicy"),
        (&["image.digest=latest"], "/image/digest"),
        (&["metrics.port=70000"], "/metrics/port"),
        (&["admissionPolicy.validationActions={Deny,Warn}"], "/admissionPolicy/validationActions"),
        (&["leaderElection.leaseName=Not_A_Name"], "/leaderElection/leaseName"),
        (&["replicas=2"], "additional properties 'replicas' not allowed"),
        (&["config.driftIntervall=5m"], "additional properties 'driftIntervall' not allowed"),
    ];
    for (set, path) in cases {
        let err = rejected(set);
        assert!(err.contains("values don't meet the specifications of the schema"), "{set:?}: {err}");
        assert!(err.contains(path), "{set:?}: the error must point at {path}:\n{err}");
        eprintln!("rejected {set:?}: {}", err.lines().filter(|l| l.contains(path)).collect::<Vec<_>>().join(" | "));
    }
    // Not a schema matter, but caught at render time with a clear message.
    let err = rejected(&["metrics.serviceMonitor.enabled=true", "metrics.service.enabled=false"]);
    assert!(err.contains("needs metrics.service.enabled"), "{err}");
    let err = rejected(&["serviceAccount.create=false"]);
    assert!(err.contains("serviceAccount.name is required"), "{err}");
}

#[test]
fn chart_crds_equal_the_generated_crds() {
    let list = |dir: &std::path::Path| {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.ends_with(".yaml"))
            .collect();
        v.sort();
        v
    };
    let (src, dst) = (repo().join("crds"), chart_dir().join("crds"));
    assert_eq!(list(&src), list(&dst), "charts/hookwright/crds/ is out of date: run `make chart-crds`");
    for f in list(&src) {
        let a = std::fs::read_to_string(src.join(&f)).unwrap();
        let b = std::fs::read_to_string(dst.join(&f)).unwrap();
        assert!(a == b, "charts/hookwright/crds/{f} differs from crds/{f}: run `make chart-crds`");
    }
}

#[test]
fn argocd_cm_snippet_embeds_the_health_script_for_each_kind() {
    let script = std::fs::read_to_string(repo().join("gitops/argocd-health.lua")).unwrap();
    let cm = parse_docs(&std::fs::read_to_string(repo().join("gitops/argocd-cm.yaml")).unwrap());
    let data = cm[0]["data"].as_object().unwrap();
    for kind in ["Webhook", "WebhookProvider", "ClusterWebhookProvider"] {
        let key = format!("resource.customizations.health.hookwright.dev_{kind}");
        assert_eq!(data[&key].as_str(), Some(script.as_str()), "{key} must be gitops/argocd-health.lua verbatim");
    }
}

#[test]
fn flux_kustomization_checks_webhook_health() {
    let k = parse_docs(&std::fs::read_to_string(repo().join("gitops/flux-kustomization.yaml")).unwrap());
    assert_eq!(k[0]["apiVersion"], "kustomize.toolkit.fluxcd.io/v1");
    assert_eq!(k[0]["spec"]["wait"], true);
    let exprs = k[0]["spec"]["healthCheckExprs"].as_array().unwrap();
    let wh = exprs.iter().find(|e| e["kind"] == "Webhook").expect("Webhook health expressions");
    assert_eq!(wh["apiVersion"], "hookwright.dev/v1alpha1");
    for field in ["inProgress", "failed", "current"] {
        assert!(wh[field].as_str().is_some_and(|s| s.contains("observedGeneration")), "{field}");
    }
}
