//! Issue 11: the crash loop. Two operator replicas with leader election; the fake API drops
//! create answers after committing them and answers some requests 500; Webhooks are created,
//! edited, deleted and deleted in the portal, and after each step the leader (sometimes the
//! standby) is killed with SIGKILL at a random moment and started again. At the end every
//! object is Ready or gone and the fake's webhooks equal the objects one to one.
//!
//! `HOOKWRIGHT_SOAK_ITERATIONS` steps (default 20 in `make test`; `make soak` runs 300). The
//! numbers go to stderr and to `target/soak-results.json`.
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use hookwright::crd::Webhook;
use hookwright_fake_api::mendix::FakeConfig;
use hookwright_testenv::Guarded;
use k8s_openapi::api::coordination::v1::Lease;
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams};
use rand::RngExt;
use serde_json::json;

#[path = "support/standalone.rs"]
mod standalone;

const MAX_LIVE: usize = 8;

fn iterations() -> usize {
    std::env::var("HOOKWRIGHT_SOAK_ITERATIONS").ok().and_then(|v| v.parse().ok()).unwrap_or(20)
}

struct Replicas<'a> {
    world: &'a standalone::World,
    slots: [Option<Guarded>; 2],
}

impl Replicas<'_> {
    fn start(&mut self, i: usize) {
        let args = ["--leader-election", "--leader-election-duration", "2s", "--leader-election-namespace"];
        let args = [
            &args[..],
            &[self.world.ns.as_str(), "--drift-interval", "2s", "--api-timeout", "2s", "--concurrency", "8"],
            &["--drift-budget", "100000"],
        ]
        .concat();
        self.slots[i] = Some(self.world.operator(&format!("replica-{i}"), &args));
    }

    /// SIGKILL replica `i` (no cleanup code runs) and start it again.
    fn kill_and_restart(&mut self, i: usize) {
        self.slots[i] = None;
        self.start(i);
    }
}

/// Ready for the current generation, and any requested resync (after a portal delete) done.
fn settled(w: &Webhook) -> bool {
    let asked = w.metadata.annotations.as_ref().and_then(|a| a.get("hookwright.dev/reconcile-requested-at"));
    w.metadata.deletion_timestamp.is_none()
        && w.status.as_ref().is_some_and(|s| {
            s.webhook_id.is_some()
                && (asked.is_none() || s.reconcile_request_handled.as_ref() == asked)
                && s.conditions
                    .iter()
                    .any(|c| c.type_ == "Ready" && c.status == "True" && c.observed_generation == w.metadata.generation)
        })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_loop_keeps_objects_and_remote_webhooks_one_to_one() {
    let n = iterations();
    let started = Instant::now();
    let mut config = FakeConfig::default();
    config.rate_limit.limit_per_hour = 10_000_000;
    let world = standalone::world("soak", config).await;
    let (app, webhooks) = (world.app, world.webhooks.clone());
    let faults = json!({"errorRate": 0.1, "commitThenDropRate": 0.3, "latencyMs": 20, "jitterMs": 80});
    world.admin(reqwest::Method::PUT, "/faults", Some(faults)).await;
    let mut replicas = Replicas { world: &world, slots: [None, None] };
    replicas.start(0);
    replicas.start(1);
    let leases: Api<Lease> = Api::namespaced(world.client.clone(), &world.ns);

    let mut rng = rand::rng();
    let mut live: BTreeMap<String, u32> = BTreeMap::new(); // name -> edits
    let (mut next, mut kills, mut actions) = (0usize, 0usize, BTreeMap::<&str, usize>::new());
    for step in 0..n {
        let names: Vec<String> = live.keys().cloned().collect();
        let pick = |rng: &mut rand::rngs::ThreadRng| names[rng.random_range(0..names.len())].clone();
        let action = match rng.random_range(0..10) {
            _ if live.len() < 2 => "create",
            0..=3 if live.len() < MAX_LIVE => "create",
            0..=5 => "edit",
            6 | 7 => "delete",
            _ => "portal-delete",
        };
        *actions.entry(action).or_default() += 1;
        match action {
            "create" => {
                let name = format!("hook-{next}");
                next += 1;
                world.create_webhook(&name).await;
                // Often edit it while its create may be in flight (or its answer lost).
                let edits = if rng.random_bool(0.5) {
                    tokio::time::sleep(Duration::from_millis(rng.random_range(0..300))).await;
                    let patch = json!({"spec": {"url": format!("https://r.example.com/{name}/v1")}});
                    webhooks.patch(&name, &PatchParams::default(), &Patch::Merge(&patch)).await.unwrap();
                    1
                } else {
                    0
                };
                live.insert(name, edits);
            }
            "edit" => {
                let name = pick(&mut rng);
                let edits = live.get_mut(&name).unwrap();
                *edits += 1;
                let patch = json!({"spec": {"url": format!("https://r.example.com/{name}/v{edits}")}});
                webhooks.patch(&name, &PatchParams::default(), &Patch::Merge(&patch)).await.unwrap();
            }
            "delete" => {
                let name = pick(&mut rng);
                webhooks.delete(&name, &DeleteParams::default()).await.unwrap();
                live.remove(&name);
            }
            _ => {
                let name = pick(&mut rng);
                let id = webhooks.get(&name).await.unwrap().status.and_then(|s| s.webhook_id);
                if let Some(id) = id {
                    // It may be gone already (deleted in an earlier step, not yet re-created).
                    let url = format!("{}/apps/{app}/webhooks/{id}", world.fake.admin_url());
                    let _ = reqwest::Client::new().delete(url).send().await;
                }
                let patch =
                    json!({"metadata": {"annotations": {"hookwright.dev/reconcile-requested-at": format!("s{step}")}}});
                webhooks.patch(&name, &PatchParams::default(), &Patch::Merge(&patch)).await.unwrap();
            }
        }
        // Kill at a random moment while the step is being carried out: usually the leader.
        tokio::time::sleep(Duration::from_millis(rng.random_range(0..700))).await;
        let holder = leases.get_opt("hookwright-leader").await.unwrap().and_then(|l| l.spec?.holder_identity);
        let leader = match holder.as_deref() {
            Some("replica-1") => 1,
            _ => 0,
        };
        let victim = if rng.random_bool(0.8) { leader } else { 1 - leader };
        replicas.kill_and_restart(victim);
        kills += 1;
    }

    // Faults off: everything must settle, with nothing duplicated, lost or stuck.
    world.admin(reqwest::Method::PUT, "/faults", Some(json!({}))).await;
    let deadline = Instant::now() + Duration::from_secs(120);
    let objects = loop {
        let items = webhooks.list(&ListParams::default()).await.unwrap().items;
        let names: BTreeSet<String> = items.iter().filter_map(|w| w.metadata.name.clone()).collect();
        let expected: BTreeSet<String> = live.keys().cloned().collect();
        if names == expected && items.iter().all(settled) {
            break items;
        }
        if Instant::now() > deadline {
            let stuck: Vec<_> = items
                .iter()
                .filter(|w| !settled(w) || !expected.contains(w.metadata.name.as_deref().unwrap_or_default()))
                .map(|w| (w.metadata.name.clone(), w.status.clone()))
                .collect();
            panic!("not settled after 120 s: {stuck:#?}");
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };

    let remote: BTreeMap<String, String> = world
        .remote()
        .await
        .iter()
        .map(|w| (w["id"].as_str().unwrap().to_string(), w["url"].as_str().unwrap().to_string()))
        .collect();
    let ids: BTreeMap<String, String> =
        objects.iter().map(|w| (w.status.as_ref().unwrap().webhook_id.clone().unwrap(), w.spec.url.clone())).collect();
    let created = world.count("POST", "").await;
    let duplicates = remote.keys().filter(|id| !ids.contains_key(*id)).count();
    let lost = ids.keys().filter(|id| !remote.contains_key(*id)).count();
    let summary = json!({
        "iterations": n, "kills": kills, "actions": actions, "objects": objects.len(),
        "remote_webhooks": remote.len(), "posts": created,
        "duplicates": duplicates, "lost": lost, "stuck": 0, "seconds": started.elapsed().as_secs(),
    });
    eprintln!("soak: {summary}");
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("soak-results.json");
    std::fs::write(&out, serde_json::to_string_pretty(&summary).unwrap()).unwrap();
    assert_eq!(ids.len(), objects.len(), "two objects share a remote webhook: {ids:?}");
    assert_eq!(duplicates, 0, "remote webhooks no object owns: remote {remote:?}, objects {ids:?}");
    assert_eq!(lost, 0, "objects whose remote webhook is gone");
    assert_eq!(remote, ids, "every remote webhook equals its object's spec");
}
