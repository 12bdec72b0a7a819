//! The secret-leak check of the end-to-end suite (issue 12). When a test's `Env` is dropped,
//! every value of every Secret in the cluster (tokens, validation secrets, Secret-sourced header
//! values, generated secrets) is searched for in the operator's log (debug level), this test
//! process's log (the fake API's, debug level), every Event, and the whole of every Webhook and
//! provider object (status, conditions, annotations). A hit fails the test; the report names
//! the Secret and key, never the value.
use std::path::PathBuf;

use hookwright::crd::{ClusterWebhookProvider, Webhook, WebhookProvider};
use k8s_openapi::api::core::v1::Secret;
use kube::api::{Api, ListParams};
use serde::Serialize;

/// Shorter values are too likely to occur by chance (`true`, a key name).
const MIN_LEN: usize = 8;

/// A secret value and where it came from (for the report; the value is never printed).
pub struct Needle {
    pub origin: String,
    pub value: String,
}

/// A text to search and what it is.
pub struct Haystack {
    pub name: String,
    pub text: String,
}

/// Every needle found in a haystack, as "<origin> in <haystack>" (one pass per haystack).
pub fn find_leaks(needles: &[Needle], haystacks: &[Haystack]) -> Vec<String> {
    let needles: Vec<&Needle> = needles.iter().filter(|n| n.value.len() >= MIN_LEN).collect();
    let Ok(matcher) = aho_corasick::AhoCorasick::new(needles.iter().map(|n| n.value.as_bytes())) else {
        return vec!["cannot build the matcher".into()];
    };
    let mut hits = std::collections::BTreeSet::new();
    for h in haystacks {
        for m in matcher.find_overlapping_iter(h.text.as_bytes()) {
            let n = needles[m.pattern().as_usize()];
            hits.insert(format!("value of {} ({} bytes) in {}", n.origin, n.value.len(), h.name));
        }
    }
    hits.into_iter().collect()
}

/// Namespaces whose name starts with this hold a deliberately planted leak; the suite-wide check
/// leaves them to the test that planted it.
pub const PLANTED: &str = "planted-leak";

/// What one check looks at.
#[derive(Clone)]
pub enum Scope {
    /// The whole cluster and both logs, except planted namespaces.
    Suite,
    /// Only the Secrets, Events and objects of one namespace.
    Namespace(String),
}

impl Scope {
    fn includes(&self, ns: Option<&str>) -> bool {
        match self {
            Scope::Suite => !ns.unwrap_or_default().starts_with(PLANTED),
            Scope::Namespace(only) => ns == Some(only.as_str()),
        }
    }
}

/// The operator's log file (written by the harness).
pub fn operator_log() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("e2e-operator.log")
}

/// This test process's log file (the fake API and the test clients, debug level).
pub fn process_log() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("e2e-test-process.log")
}

/// Sends this process's tracing output (the in-process fake API's among it) to [`process_log`].
pub fn capture_process_log() {
    let Ok(file) = std::fs::File::create(process_log()) else { return };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(
            "debug,hyper=info,hyper_util=info,h2=info,rustls=info,tower=info,reqwest=info",
        ))
        .with_writer(std::sync::Mutex::new(file))
        .with_ansi(false)
        .try_init();
}

/// Every Secret value in scope.
pub async fn needles(client: &kube::Client, scope: &Scope) -> Vec<Needle> {
    let secrets: Api<Secret> = Api::all(client.clone());
    let mut out = Vec::new();
    for s in secrets.list(&ListParams::default()).await.unwrap().items {
        if !scope.includes(s.metadata.namespace.as_deref()) {
            continue;
        }
        let name =
            format!("Secret {}/{}", s.metadata.namespace.unwrap_or_default(), s.metadata.name.unwrap_or_default());
        for (key, value) in s.data.unwrap_or_default() {
            let value = String::from_utf8_lossy(&value.0).into_owned();
            // What the operator would use (line ends trimmed) is the secret as well.
            let trimmed = value.trim_end_matches(['\r', '\n']).to_string();
            out.push(Needle { origin: format!("{name} key {key}"), value: trimmed });
        }
    }
    out
}

/// All objects of a kind in scope, as one JSON text.
async fn objects<K>(client: &kube::Client, kind: &str, scope: &Scope) -> Haystack
where
    K: kube::Resource<DynamicType = ()> + Clone + std::fmt::Debug + serde::de::DeserializeOwned + Serialize,
{
    let items: Vec<K> = Api::<K>::all(client.clone())
        .list(&ListParams::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .filter(|o| scope.includes(o.meta().namespace.as_deref()))
        .collect();
    Haystack { name: format!("{kind} objects"), text: serde_json::to_string(&items).unwrap() }
}

/// The logs (suite scope only), the Events and the hookwright objects in scope.
pub async fn haystacks(client: &kube::Client, scope: &Scope) -> Vec<Haystack> {
    let mut out = Vec::new();
    if matches!(scope, Scope::Suite) {
        for path in [operator_log(), process_log()] {
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            out.push(Haystack { name: path.display().to_string(), text });
        }
    }
    out.push(objects::<k8s_openapi::api::events::v1::Event>(client, "Event (events.k8s.io)", scope).await);
    out.push(objects::<k8s_openapi::api::core::v1::Event>(client, "Event (core)", scope).await);
    out.push(objects::<Webhook>(client, "Webhook", scope).await);
    out.push(objects::<WebhookProvider>(client, "WebhookProvider", scope).await);
    if matches!(scope, Scope::Suite) {
        out.push(objects::<ClusterWebhookProvider>(client, "ClusterWebhookProvider", scope).await);
    }
    out
}

/// The hits in `scope`.
pub async fn check(client: &kube::Client, scope: &Scope) -> Vec<String> {
    find_leaks(&needles(client, scope).await, &haystacks(client, scope).await)
}

/// [`check`] of the whole suite on a thread and runtime of its own (callable from `Drop`).
pub fn check_suite_blocking() -> Vec<String> {
    std::thread::spawn(|| {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let client = hookwright_testenv::shared().await.client().await.unwrap();
            check(&client, &Scope::Suite).await
        })
    })
    .join()
    .unwrap()
}

/// The check finds a Secret value planted in an Event, and says which Secret without printing
/// the value.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_check_catches_a_planted_leak() {
    let env = super::harness::env(PLANTED).await;
    assert!(check(&env.client, &Scope::Namespace(env.ns.clone())).await.is_empty(), "clean before the plant");
    let value = format!("planted-{}", uuid::Uuid::new_v4().simple());
    env.put_secret("planted", &[("value", &value)]).await;
    let event: k8s_openapi::api::events::v1::Event = serde_json::from_value(serde_json::json!({
        "metadata": {"name": "planted-leak"},
        "eventTime": "2026-01-01T00:00:00.000000Z",
        "reportingController": "e2e", "reportingInstance": "e2e", "action": "Plant", "reason": "Planted",
        "type": "Normal", "note": format!("an error message that quotes {value}"),
        "regarding": {"kind": "Secret", "name": "planted", "namespace": env.ns},
    }))
    .unwrap();
    Api::<k8s_openapi::api::events::v1::Event>::namespaced(env.client.clone(), &env.ns)
        .create(&Default::default(), &event)
        .await
        .unwrap();
    let hits = check(&env.client, &Scope::Namespace(env.ns.clone())).await;
    let origin = format!("value of Secret {}/planted key value ({} bytes)", env.ns, value.len());
    // The same Event, read through both Event APIs.
    assert_eq!(
        hits,
        [format!("{origin} in Event (core) objects"), format!("{origin} in Event (events.k8s.io) objects")]
    );
    assert!(!hits[0].contains(&value));
}

#[test]
fn a_value_is_found_and_reported_without_itself() {
    let needles = [
        Needle { origin: "Secret a/b key token".into(), value: "pat-0123456789".into() },
        Needle { origin: "Secret a/c key flag".into(), value: "true".into() },
    ];
    let haystacks = [
        Haystack { name: "log".into(), text: "request with pat-0123456789 failed; ok=true".into() },
        Haystack { name: "events".into(), text: "nothing here".into() },
    ];
    let hits = find_leaks(&needles, &haystacks);
    assert_eq!(hits, ["value of Secret a/b key token (14 bytes) in log"]);
    assert!(!hits[0].contains("pat-0123456789"));
}
