//! Issue 12: kube-apiserver and etcd crash (SIGKILL) and restart in the middle of a run. The
//! operator's watches recover, and nothing is lost or duplicated: every live Webhook is Ready
//! with its spec applied remotely, one remote webhook each, deleted ones gone remotely, and one
//! POST per Webhook ever created.
//!
//! The test starts a control plane of its own (the restart would break other tests sharing one)
//! and runs the operator without leader election. `hookwright run` treats losing the API as
//! transient (its watches retry with backoff, failed reconciles are requeued; see
//! src/cli/run.rs and src/controller/mod.rs), so the operator must survive the outage: the
//! test fails if the process exits.
//!
//! The operator's log is kept in `target/tmp/control-plane-restart-operator.log`; on failure the
//! control plane's logs are copied to `target/tmp/control-plane-restart-logs/`.
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use hookwright::crd::{CREATE_INTENT_ANNOTATION, Webhook};
use hookwright_fake_api::mendix::{FakeConfig, Faults};
use hookwright_testenv::{ControlPlane, Guarded};
use kube::api::{DeleteParams, ListParams, Patch, PatchParams};
use serde_json::json;

#[path = "support/standalone.rs"]
mod standalone;

/// Webhooks created and Ready before the crash; created right before it; created after it.
const FIRST: usize = 10;
const SECOND: usize = 10;
const AFTER: usize = 3;

/// `hookwright run` on `world`'s namespace and control plane, without leader election. The
/// drift interval is long on purpose: a change made after the restart must reach the operator
/// through its recovered watch, not through a periodic resync.
fn operator(world: &standalone::World, log: &Path) -> Guarded {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut cmd = std::process::Command::new(hookwright_testenv::operator_binary(env!("CARGO_BIN_EXE_hookwright")));
    cmd.args(["run", "--namespace", &world.ns, "--drift-interval", "10m", "--api-timeout", "5s"])
        .args(["--concurrency", "4"])
        .arg(format!("--metrics-addr=127.0.0.1:{port}"))
        .env("KUBECONFIG", &world.kubeconfig)
        .env("RUST_LOG", "info,hookwright=debug,kube_runtime=debug");
    hookwright_testenv::spawn_logged("hookwright", cmd, log).unwrap()
}

/// Copies the control plane's logs (its directory is removed with it) when the test fails.
struct LogsOnFailure {
    from: PathBuf,
    to: PathBuf,
}

impl Drop for LogsOnFailure {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            return;
        }
        let _ = std::fs::remove_dir_all(&self.to);
        let _ = std::fs::create_dir_all(&self.to);
        for entry in std::fs::read_dir(&self.from).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "log") {
                let _ = std::fs::copy(&path, self.to.join(entry.file_name()));
            }
        }
        eprintln!("control-plane logs copied to {}", self.to.display());
    }
}

/// Ready for the current generation, with a remote id.
fn settled(w: &Webhook) -> bool {
    w.metadata.deletion_timestamp.is_none()
        && w.status.as_ref().is_some_and(|s| {
            s.webhook_id.is_some()
                && s.conditions
                    .iter()
                    .any(|c| c.type_ == "Ready" && c.status == "True" && c.observed_generation == w.metadata.generation)
        })
}

fn name(i: usize) -> String {
    format!("hook-{i}")
}

/// POSTs the fake answered with a success (each one made a remote webhook).
async fn successful_posts(world: &standalone::World) -> u64 {
    let v = world.admin(reqwest::Method::GET, "/requests", None).await;
    v["requests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["method"] == "POST" && (200..300).contains(&r["status"].as_u64().unwrap()))
        .map(|r| r["count"].as_u64().unwrap())
        .sum()
}

/// Remote id → URL of the fake's webhooks for `world`'s app.
async fn remote(world: &standalone::World) -> BTreeMap<String, String> {
    world
        .remote()
        .await
        .iter()
        .filter(|w| w["appId"].as_str() == Some(world.app.to_string().as_str()))
        .map(|w| (w["id"].as_str().unwrap().to_string(), w["url"].as_str().unwrap().to_string()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watches_recover_after_apiserver_and_etcd_crash_and_nothing_is_lost_or_duplicated() {
    let started = Instant::now();
    let mut cp = ControlPlane::start().await.unwrap_or_else(|e| panic!("starting the control plane: {e}"));
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let _logs = LogsOnFailure { from: cp.dir().to_path_buf(), to: tmp.join("control-plane-restart-logs") };
    // Provider latency, so that creates are in flight when the control plane goes down.
    let mut config = FakeConfig { faults: Faults { latency_ms: 500, ..Faults::default() }, ..FakeConfig::default() };
    config.rate_limit.limit_per_hour = 1_000_000;
    let world = standalone::world_on(&cp, "restart", config).await;
    let op_log = tmp.join("control-plane-restart-operator.log");
    let op = operator(&world, &op_log);
    let webhooks = world.webhooks.clone();
    let running =
        || op.check_running().unwrap_or_else(|e| panic!("the operator exited: {e}; log {}", op_log.display()));

    // 1. Webhooks Ready before the crash.
    for i in 0..FIRST {
        world.create_webhook(&name(i)).await;
    }
    let deadline = Instant::now() + Duration::from_secs(45);
    loop {
        running();
        let items = webhooks.list(&ListParams::default()).await.unwrap().items;
        if items.len() == FIRST && items.iter().all(settled) {
            break;
        }
        let ready = items.iter().filter(|w| settled(w)).count();
        assert!(Instant::now() < deadline, "{ready} of {FIRST} Ready before the crash after 45 s");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    eprintln!("{FIRST} Webhooks Ready at {:?}", started.elapsed());

    // 2. More Webhooks and, without waiting for them to be Ready, a crash of etcd and
    // kube-apiserver as soon as some of their creates are in flight (a create marker is
    // written right before the POST). The control plane stays down until the fake has answered
    // those POSTs, so the operator cannot record their ids and must find them again after.
    for i in FIRST..FIRST + SECOND {
        world.create_webhook(&name(i)).await;
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    let in_flight = loop {
        running();
        let items = webhooks.list(&ListParams::default()).await.unwrap().items;
        let pending = items
            .iter()
            .filter(|w| {
                let marked = w.metadata.annotations.as_ref().is_some_and(|a| a.contains_key(CREATE_INTENT_ANNOTATION));
                marked && w.status.as_ref().is_none_or(|s| s.webhook_id.is_none())
            })
            .count();
        if pending > 0 {
            break pending;
        }
        assert!(Instant::now() < deadline, "no create of the second batch started within 20 s");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let crash = Instant::now();
    cp.crash();
    let answered = FIRST as u64 + in_flight as u64;
    let deadline = Instant::now() + Duration::from_secs(10);
    while successful_posts(&world).await < answered {
        assert!(Instant::now() < deadline, "the {in_flight} POSTs in flight at the crash were not answered in 10 s");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    cp.restart().await.unwrap_or_else(|e| panic!("restarting the control plane: {e}"));
    let restarted = crash.elapsed();
    eprintln!("{in_flight} creates in flight at the crash; etcd and kube-apiserver Ready again after {restarted:?}");
    running();

    // 3. After the restart: spec edits (of Ready Webhooks and of ones created right before the
    // crash), deletes of Ready ones, and new ones.
    let edited = [name(0), name(1), name(FIRST + 2)];
    for n in &edited {
        let patch = json!({"spec": {"url": format!("https://r.example.com/{n}/after-restart")}});
        webhooks.patch(n, &PatchParams::default(), &Patch::Merge(&patch)).await.unwrap();
    }
    let deleted = [name(2), name(3), name(4)];
    let mut deleted_ids = Vec::new();
    for n in &deleted {
        let id = webhooks.get(n).await.unwrap().status.and_then(|s| s.webhook_id).expect("was Ready before the crash");
        deleted_ids.push(id);
        webhooks.delete(n, &DeleteParams::default()).await.unwrap();
    }
    let total = FIRST + SECOND + AFTER;
    for i in FIRST + SECOND..total {
        world.create_webhook(&name(i)).await;
    }
    let expected: BTreeSet<String> = (0..total).map(name).filter(|n| !deleted.contains(n)).collect();

    // 4. Everything converges: the live objects exactly, each Ready for its generation, and the
    // fake's webhooks equal to the objects' ids and URLs, one to one.
    // Each watch retries with its own backoff (0.8 s doubling), so a few seconds of outage
    // should cost a few seconds more; 45 s leaves a wide margin (7 to 18 s seen). With
    // kube-runtime's default trigger backoff (one exponential backoff over all watches, see
    // src/controller/trigger_backoff.rs) half the runs missed this deadline.
    let deadline = crash + Duration::from_secs(45);
    let mut edits_applied = None;
    let (objects, remote) = loop {
        running();
        let items = webhooks.list(&ListParams::default()).await.unwrap().items;
        let names: BTreeSet<String> = items.iter().filter_map(|w| w.metadata.name.clone()).collect();
        let remote = remote(&world).await;
        let urls: BTreeSet<&String> = remote.values().collect();
        if edits_applied.is_none()
            && edited.iter().all(|n| urls.contains(&format!("https://r.example.com/{n}/after-restart")))
        {
            edits_applied = Some(crash.elapsed());
        }
        let ids: BTreeMap<String, String> =
            items.iter().filter_map(|w| Some((w.status.as_ref()?.webhook_id.clone()?, w.spec.url.clone()))).collect();
        if names == expected && items.iter().all(settled) && remote == ids {
            break (items, remote);
        }
        if Instant::now() > deadline {
            let stuck: Vec<_> = items
                .iter()
                .filter(|w| !settled(w))
                .map(|w| (w.metadata.name.clone(), w.metadata.deletion_timestamp.is_some(), w.status.clone()))
                .collect();
            panic!(
                "not converged 45 s after the crash.\nobjects {names:?}\nexpected {expected:?}\nnot settled {stuck:#?}\n\
                 remote (id -> url) {remote:#?}\nobjects (id -> url) {ids:#?}\nsuccessful POSTs {}\noperator log {}",
                successful_posts(&world).await,
                op_log.display()
            );
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    // How long the operator was blind: the edits were made as soon as the apiserver was Ready.
    eprintln!(
        "after the crash: control plane Ready at {restarted:?}, edits applied remotely at {edits_applied:?}, \
         all converged at {:?} ({:?} in all)",
        crash.elapsed(),
        started.elapsed()
    );

    // 5. Nothing lost, nothing duplicated.
    let by_name: BTreeMap<String, (String, String)> = objects
        .iter()
        .map(|w| {
            let id = w.status.as_ref().and_then(|s| s.webhook_id.clone()).unwrap();
            (w.metadata.name.clone().unwrap(), (id, w.spec.url.clone()))
        })
        .collect();
    assert_eq!(remote.len(), expected.len(), "one remote webhook per live Webhook: {remote:#?}");
    let owned: BTreeSet<&String> = by_name.values().map(|(id, _)| id).collect();
    assert_eq!(owned.len(), expected.len(), "two Webhooks share a remote webhook: {by_name:#?}");
    for n in &edited {
        let (id, url) = &by_name[n];
        assert_eq!(url, &format!("https://r.example.com/{n}/after-restart"), "{n}'s edit is in its spec");
        assert_eq!(remote.get(id), Some(url), "{n}'s edit made after the restart is applied remotely");
    }
    for (n, id) in deleted.iter().zip(&deleted_ids) {
        assert!(!remote.contains_key(id), "{n}, deleted after the restart, still exists remotely as {id}");
    }
    let posts = successful_posts(&world).await;
    assert_eq!(posts, total as u64, "one successful POST per Webhook ever created ({total}): none lost, none repeated");
    running();
    eprintln!(
        "live {}, remote {}, successful POSTs {posts}, all POSTs {}, LISTs {}; {:?} in all",
        expected.len(),
        remote.len(),
        world.count("POST", "").await,
        world.count("GET", "/webhooks").await,
        started.elapsed()
    );
}
