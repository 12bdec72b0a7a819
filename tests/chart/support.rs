//! Shared helpers of the chart tests: running helm and kubectl, parsing rendered manifests,
//! installing a release into the test control plane, ServiceAccount tokens, running the
//! operator binary the way the chart's Deployment would, and the Argo CD health script.
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use hookwright_testenv::ControlPlane;
use k8s_openapi::api::authentication::v1::{TokenRequest, TokenRequestSpec};
use k8s_openapi::api::core::v1::ServiceAccount;
use kube::api::{Api, PostParams};
use serde_json::Value;

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn chart_dir() -> PathBuf {
    repo().join("charts/hookwright")
}

pub fn helm() -> PathBuf {
    hookwright_testenv::bin_dir().join("helm")
}

pub fn kubectl() -> PathBuf {
    hookwright_testenv::bin_dir().join("kubectl")
}

/// Runs `cmd`; returns its output whatever the exit status.
pub fn output(cmd: &mut Command) -> Output {
    cmd.output().unwrap_or_else(|e| panic!("running {cmd:?}: {e}"))
}

/// Runs `cmd` and panics with its stderr unless it succeeds; returns stdout.
pub fn run(cmd: &mut Command) -> String {
    let out = output(cmd);
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

/// Parses a multi-document YAML stream into JSON values (empty documents skipped).
pub fn parse_docs(yaml: &str) -> Vec<Value> {
    use serde::Deserialize;
    serde_yaml_ng::Deserializer::from_str(yaml)
        .map(|d| Value::deserialize(d).unwrap_or_else(|e| panic!("invalid YAML: {e}\n{yaml}")))
        .filter(|v| !v.is_null())
        .collect()
}

/// `helm template <release> charts/hookwright -n <ns> <args>`, parsed.
pub fn template(ns: &str, args: &[&str]) -> Vec<Value> {
    parse_docs(&run(Command::new(helm()).args(["template", "hw", "-n", ns]).arg(chart_dir()).args(args)))
}

/// The one rendered object of `kind` named `name`.
pub fn find<'a>(docs: &'a [Value], kind: &str, name: &str) -> &'a Value {
    docs.iter()
        .find(|d| d["kind"] == kind && d["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no {kind} {name} in {:?}", kinds(docs)))
}

/// `Kind/name` of every document, sorted.
pub fn kinds(docs: &[Value]) -> Vec<String> {
    let mut k: Vec<String> = docs
        .iter()
        .map(|d| format!("{}/{}", d["kind"].as_str().unwrap_or("?"), d["metadata"]["name"].as_str().unwrap_or("?")))
        .collect();
    k.sort();
    k
}

/// RBAC rules as comparable tuples: (apiGroups, resources, resourceNames, verbs), sorted.
pub fn rules(role: &Value) -> Vec<(String, String, String, String)> {
    let join = |v: &Value| {
        let mut items: Vec<String> =
            v.as_array().map(|a| a.iter().map(|s| s.as_str().unwrap().to_string()).collect()).unwrap_or_default();
        items.sort();
        items.join(",")
    };
    let mut r: Vec<_> = role["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .map(|r| (join(&r["apiGroups"]), join(&r["resources"]), join(&r["resourceNames"]), join(&r["verbs"])))
        .collect();
    r.sort();
    r
}

/// Helm installs are serialised: two at once race on the CRDs they both ship.
static HELM: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Installs the chart as `release` into `ns` (created) with `--set` values.
pub async fn helm_install(cp: &ControlPlane, release: &str, ns: &str, set: &[&str]) {
    let _one = HELM.lock().await;
    let mut cmd = Command::new(helm());
    cmd.args(["install", release]).arg(chart_dir()).args(["-n", ns, "--create-namespace", "--kubeconfig"]);
    cmd.arg(cp.kubeconfig_path());
    for s in set {
        cmd.args(["--set", s]);
    }
    let out = tokio::task::spawn_blocking(move || run(&mut cmd)).await.unwrap();
    assert!(out.contains("STATUS: deployed"), "helm install output:\n{out}");
    // NOTES.txt tells the next step.
    assert!(out.contains("rollout status deployment/") && out.contains("create secret generic mendix-pat"), "{out}");
}

/// A token of ServiceAccount `ns/name` from the TokenRequest API, as a pod would get it.
pub async fn sa_token(client: &kube::Client, ns: &str, name: &str) -> String {
    let sas: Api<ServiceAccount> = Api::namespaced(client.clone(), ns);
    let tr = TokenRequest {
        spec: Some(TokenRequestSpec { audiences: Some(vec![]), expiration_seconds: Some(3600), ..Default::default() }),
        ..Default::default()
    };
    sas.create_token_request(name, &PostParams::default(), &tr)
        .await
        .unwrap_or_else(|e| panic!("TokenRequest for {ns}/{name}: {e}"))
        .status
        .and_then(|s| s.token)
        .expect("token in TokenRequest status")
}

/// Only one operator process runs at a time: a cluster-wide operator would also reconcile the
/// Webhooks of a namespace-scoped test.
pub static OPERATOR: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The operator binary started with the container args and env of the chart's Deployment
/// (as installed in the apiserver), authenticated with `token`.
pub struct Operator {
    pub process: hookwright_testenv::Guarded,
    pub port: u16,
    pub probes: Vec<String>,
    _kubeconfig: tempfile::NamedTempFile,
}

impl Operator {
    pub async fn start(cp: &ControlPlane, client: &kube::Client, ns: &str, deployment: &str, token: &str) -> Operator {
        use k8s_openapi::api::apps::v1::Deployment;
        let dep = Api::<Deployment>::namespaced(client.clone(), ns).get(deployment).await.expect("chart's Deployment");
        let pod = dep.spec.template.spec.expect("pod spec");
        let c = pod.containers.into_iter().find(|c| c.name == "operator").expect("operator container");
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut args = c.args.expect("container args");
        assert_eq!(args.first().map(String::as_str), Some("run"), "the Deployment runs `hookwright run`");
        // Listen on loopback instead of the pod's 0.0.0.0.
        let metrics = args.iter_mut().find(|a| a.starts_with("--metrics-addr=")).expect("--metrics-addr in args");
        *metrics = format!("--metrics-addr=127.0.0.1:{port}");
        let mut kubeconfig = tempfile::NamedTempFile::new().unwrap();
        std::io::Write::write_all(&mut kubeconfig, cp.kubeconfig_yaml(token).as_bytes()).unwrap();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_hookwright"));
        cmd.args(&args).env_clear().env("KUBECONFIG", kubeconfig.path());
        for e in c.env.unwrap_or_default() {
            let value = match (e.value, e.value_from.and_then(|v| v.field_ref).map(|f| f.field_path)) {
                (Some(v), _) => v,
                (None, Some(path)) if path == "metadata.name" => format!("{deployment}-test-pod"),
                (None, Some(path)) if path == "metadata.namespace" => ns.to_string(),
                (None, other) => panic!("env {} from {other:?}: not simulated", e.name),
            };
            cmd.env(e.name, value);
        }
        let probes = [c.liveness_probe, c.readiness_probe]
            .into_iter()
            .map(|p| p.and_then(|p| p.http_get).and_then(|h| h.path).expect("HTTP probe path"))
            .collect();
        let log = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("chart-operator-{ns}.log"));
        let process = hookwright_testenv::spawn_logged("hookwright", cmd, &log).expect("start operator");
        let op = Operator { process, port, probes, _kubeconfig: kubeconfig };
        op.wait_probes().await;
        op
    }

    /// Waits until every probe path of the chart answers 200.
    async fn wait_probes(&self) {
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        for path in &self.probes {
            loop {
                if let Err(e) = self.process.check_running() {
                    panic!("operator exited: {e}");
                }
                let url = format!("http://127.0.0.1:{}{path}", self.port);
                if http.get(&url).send().await.is_ok_and(|r| r.status().is_success()) {
                    break;
                }
                assert!(Instant::now() < deadline, "{url} did not answer 200 within 60 s");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }

    pub fn log_tail(&self) -> String {
        self.process.log_tail()
    }
}

/// Polls `f` every 100 ms until it returns `Some`, or panics after `secs` with `what`.
pub async fn poll<T, F, Fut>(secs: u64, what: &str, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out after {secs} s waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Whether `err` is an API error with HTTP status `code`.
pub fn is_status<T: std::fmt::Debug>(res: &Result<T, kube::Error>, code: u16) -> bool {
    matches!(res, Err(kube::Error::Api(s)) if s.code == code)
}

/// Lua interpreters on this machine (Debian packages lua5.1 — Argo CD's gopher-lua speaks 5.1 —
/// and lua5.4); at least one must exist.
pub fn lua_interpreters() -> Vec<&'static str> {
    let found: Vec<&'static str> = ["lua5.1", "lua5.4"]
        .into_iter()
        .filter(|l| Command::new(l).arg("-v").output().is_ok_and(|o| o.status.success()))
        .collect();
    assert!(!found.is_empty(), "no Lua interpreter: apt-get install lua5.1 lua5.4 (.ci/run does)");
    found
}

/// Runs gitops/argocd-health.lua as Argo CD does (global `obj`, the chunk returns the health)
/// with every interpreter; returns (status, message) after checking they all agree.
pub fn argocd_health(obj: &Value) -> (String, String) {
    let script = repo().join("gitops/argocd-health.lua");
    let program = format!(
        "obj = {}\nlocal hs = assert(loadfile({}))()\nio.write(hs.status, \"\\n\", hs.message or \"\")\n",
        lua_literal(obj),
        lua_string(&script.display().to_string())
    );
    let mut results = Vec::new();
    for lua in lua_interpreters() {
        let out = run(Command::new(lua).arg("-e").arg(&program));
        let (status, message) = out.split_once('\n').unwrap_or((&out, ""));
        results.push((lua, status.to_string(), message.to_string()));
    }
    let (_, status, message) = results[0].clone();
    for (lua, s, m) in &results {
        assert_eq!((s, m), (&status, &message), "{lua} disagrees with {}", results[0].0);
    }
    (status, message)
}

/// A JSON value as a Lua table constructor (JSON null becomes nil, as in Argo CD).
pub fn lua_literal(v: &Value) -> String {
    match v {
        Value::Null => "nil".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => lua_string(s),
        Value::Array(a) => format!("{{{}}}", a.iter().map(lua_literal).collect::<Vec<_>>().join(", ")),
        Value::Object(o) => format!(
            "{{{}}}",
            o.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| format!("[{}] = {}", lua_string(k), lua_literal(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn lua_string(s: &str) -> String {
    let mut out = String::from("\"");
    for b in s.bytes() {
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            0x20..=0x7e => out.push(b as char),
            _ => out.push_str(&format!("\\{b:03}")),
        }
    }
    out.push('"');
    out
}

/// Applies `docs` with `kubectl apply --server-side` as the admin, into `ns` when namespaced.
pub fn kubectl_apply(cp: &ControlPlane, ns: &str, docs: &[Value], dir: &Path) {
    let file = dir.join(format!("apply-{}.yaml", uuid::Uuid::new_v4().simple()));
    let yaml: Vec<String> = docs.iter().map(|d| serde_yaml_ng::to_string(d).unwrap()).collect();
    std::fs::write(&file, yaml.join("---\n")).unwrap();
    run(Command::new(kubectl())
        .arg("--kubeconfig")
        .arg(cp.kubeconfig_path())
        .args(["apply", "--server-side", "--field-manager=chart-test", "-n", ns, "-f"])
        .arg(&file));
}

/// Evaluates the Webhook `healthCheckExprs` of gitops/flux-kustomization.yaml on real objects
/// with the apiserver's own CEL: a ValidatingAdmissionPolicy in Warn mode holds one validation
/// per expression (`object.` prefixed), and a server-side dry-run update of the object, labelled
/// as a probe, answers with a warning for each expression that is true. Flux's order decides:
/// inProgress, then failed, then current; none true means Flux keeps waiting (InProgress).
pub struct FluxProbe {
    exprs: Vec<(String, String)>,
    kubeconfig: PathBuf,
    dir: PathBuf,
}

const FLUX_PROBE_LABEL: &str = "hookwright-test/flux-health-probe";

impl FluxProbe {
    pub async fn install(cp: &ControlPlane, dir: &Path) -> FluxProbe {
        let k = parse_docs(&std::fs::read_to_string(repo().join("gitops/flux-kustomization.yaml")).unwrap());
        let checks = k[0]["spec"]["healthCheckExprs"].as_array().unwrap();
        let wh = checks.iter().find(|c| c["kind"] == "Webhook").expect("Webhook healthCheckExprs");
        // Flux binds the object's top-level fields as variables; the policy sees `object`.
        let top = regex::Regex::new(r"(^|[^.\w])(status|metadata)\b").unwrap();
        let exprs: Vec<(String, String)> = ["inProgress", "failed", "current"]
            .into_iter()
            .map(|f| (f.to_string(), top.replace_all(wh[f].as_str().unwrap(), "${1}object.${2}").into_owned()))
            .collect();
        let mut validations: Vec<Value> = exprs
            .iter()
            .map(|(f, e)| serde_json::json!({"expression": format!("!({e})"), "message": format!("flux:{f}")}))
            .collect();
        validations.push(serde_json::json!({"expression": "false", "message": "flux:probe-active"}));
        let policy = serde_json::json!({
            "apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingAdmissionPolicy",
            "metadata": {"name": "flux-health-probe"},
            "spec": {
                "failurePolicy": "Fail",
                "matchConstraints": {"resourceRules": [{"apiGroups": ["hookwright.dev"], "apiVersions": ["*"],
                                                        "resources": ["webhooks"], "operations": ["UPDATE"]}]},
                "matchConditions": [{"name": "probes-only",
                    "expression": format!("has(object.metadata.labels) && '{FLUX_PROBE_LABEL}' in object.metadata.labels")}],
                "validations": validations
            }
        });
        let binding = serde_json::json!({
            "apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingAdmissionPolicyBinding",
            "metadata": {"name": "flux-health-probe"},
            "spec": {"policyName": "flux-health-probe", "validationActions": ["Warn"]}
        });
        // The apiserver compiles every expression here: a syntax error fails the apply.
        kubectl_apply(cp, "default", &[policy, binding], dir);
        FluxProbe { exprs, kubeconfig: cp.kubeconfig_path(), dir: dir.to_path_buf() }
    }

    /// The true expressions for the stored Webhook `ns/name`, once the policy is active (polled,
    /// 60 s; a conflicting concurrent write is retried with a fresh read).
    async fn true_exprs(&self, ns: &str, name: &str) -> Vec<String> {
        let (kubeconfig, dir, ns, name) = (self.kubeconfig.clone(), self.dir.clone(), ns.to_string(), name.to_string());
        poll(60, "the Flux probe policy to be active", || {
            let (kubeconfig, dir, ns, name) = (kubeconfig.clone(), dir.clone(), ns.clone(), name.clone());
            async move {
                let stderr = tokio::task::spawn_blocking(move || {
                    let get = run(Command::new(kubectl())
                        .arg("--kubeconfig")
                        .arg(&kubeconfig)
                        .args(["get", "webhook", &name, "-n", &ns, "-o", "json"]));
                    let mut probe: Value = serde_json::from_str(&get).unwrap();
                    probe["metadata"].as_object_mut().unwrap().remove("managedFields");
                    probe["metadata"]["labels"][FLUX_PROBE_LABEL] = "true".into();
                    let file = dir.join(format!("probe-{}.json", uuid::Uuid::new_v4().simple()));
                    std::fs::write(&file, serde_json::to_vec(&probe).unwrap()).unwrap();
                    let out = output(
                        Command::new(kubectl())
                            .arg("--kubeconfig")
                            .arg(&kubeconfig)
                            .args(["replace", "--dry-run=server", "-f"])
                            .arg(&file),
                    );
                    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
                    if !out.status.success() {
                        assert!(stderr.contains("Conflict"), "dry-run replace failed: {stderr}");
                        return String::new();
                    }
                    stderr
                })
                .await
                .unwrap();
                stderr.contains("flux:probe-active").then(|| {
                    stderr
                        .lines()
                        .filter_map(|l| l.rsplit_once("flux:").map(|(_, f)| f.trim().to_string()))
                        .filter(|f| f != "probe-active")
                        .collect()
                })
            }
        })
        .await
    }

    /// Flux's verdict for the stored Webhook `ns/name`: InProgress, Failed or Current.
    pub async fn health(&self, ns: &str, name: &str) -> String {
        let t = self.true_exprs(ns, name).await;
        let verdict = if t.iter().any(|f| f == "inProgress") {
            "InProgress"
        } else if t.iter().any(|f| f == "failed") {
            "Failed"
        } else if t.iter().any(|f| f == "current") {
            "Current"
        } else {
            "InProgress"
        };
        eprintln!("flux: {name} -> {verdict} (true expressions: {t:?} of {})", self.exprs.len());
        verdict.to_string()
    }
}
