//! Two operator replicas with leader election: only the Lease holder reconciles, the standby
//! takes over when the leader dies, and a replica that loses its Lease stops at once.
use std::time::{Duration, Instant};

use hookwright_fake_api::mendix::{FakeConfig, Faults};
use k8s_openapi::api::coordination::v1::Lease;
use kube::api::{Api, Patch, PatchParams};
use serde_json::json;

#[path = "support/standalone.rs"]
mod standalone;

const LEADER_ELECTION: [&str; 3] = ["--leader-election", "--leader-election-duration", "4s"];

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

async fn holder(leases: &Api<Lease>) -> String {
    leases.get_opt("hookwright-leader").await.unwrap().and_then(|l| l.spec?.holder_identity).unwrap_or_default()
}

async fn ready(w: &standalone::World, name: &str) -> bool {
    w.webhooks
        .get(name)
        .await
        .unwrap()
        .status
        .is_some_and(|s| s.conditions.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_leader_reconciles_and_standby_takes_over() {
    let w = standalone::world("ha", FakeConfig::default()).await;
    let args = [&LEADER_ELECTION[..], &["--leader-election-namespace", &w.ns]].concat();
    let mut a = Some(w.operator("replica-a", &args));
    let b = w.operator("replica-b", &args);
    let leases: Api<Lease> = Api::namespaced(w.client.clone(), &w.ns);
    wait_until("a leader", Duration::from_secs(30), || async { !holder(&leases).await.is_empty() }).await;
    let first = holder(&leases).await;

    w.create_webhook("one").await;
    wait_until("one Ready", Duration::from_secs(60), || ready(&w, "one")).await;

    // Kill the leader outright; the standby takes the Lease after it expires and carries on.
    let (leader, survivor) = if first == "replica-a" { (a.take().unwrap(), "replica-b") } else { (b, "replica-a") };
    drop(leader);
    wait_until("the standby to lead", Duration::from_secs(60), || async { holder(&leases).await == survivor }).await;
    w.create_webhook("two").await;
    wait_until("two Ready", Duration::from_secs(60), || ready(&w, "two")).await;
    assert_eq!(w.count("POST", "").await, 2, "each webhook was created once, by whichever replica led");
    drop(a);
}

/// Issue 11, hole 7: a replica that loses its Lease stops at once. Its in-flight reconcile
/// (a create held 8 s by the provider) must not write status after another holder took over.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_that_loses_its_lease_stops_writing_at_once() {
    let config = FakeConfig { faults: Faults { latency_ms: 8000, ..Faults::default() }, ..FakeConfig::default() };
    let w = standalone::world("lost", config).await;
    let args = [&LEADER_ELECTION[..], &["--leader-election-namespace", &w.ns, "--api-timeout", "30s"]].concat();
    let replica = w.operator("replica-a", &args);
    let leases: Api<Lease> = Api::namespaced(w.client.clone(), &w.ns);
    wait_until("replica-a to lead", Duration::from_secs(30), || async { holder(&leases).await == "replica-a" }).await;

    w.create_webhook("slow").await;
    // The create marker is written right before the POST, which the fake now holds for 8 s.
    wait_until("the POST to be in flight", Duration::from_secs(30), || async {
        let wh = w.webhooks.get("slow").await.unwrap();
        wh.metadata.annotations.is_some_and(|a| a.contains_key(hookwright::crd::CREATE_INTENT_ANNOTATION))
    })
    .await;

    // Another holder takes the Lease (as a replica would after a network partition).
    let now = k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime(k8s_openapi::jiff::Timestamp::now());
    let steal = json!({"spec": {"holderIdentity": "thief", "leaseDurationSeconds": 3600, "renewTime": now, "acquireTime": now}});
    leases.patch("hookwright-leader", &PatchParams::default(), &Patch::Merge(&steal)).await.unwrap();
    let stolen = Instant::now();
    wait_until("replica-a to stop", Duration::from_secs(20), || async { replica.check_running().is_err() }).await;
    eprintln!("replica-a stopped {:?} after losing the Lease", stolen.elapsed());
    // Give the held POST time to be answered; nobody may record its id now.
    wait_until("the held POST to finish", Duration::from_secs(20), || async { w.count("POST", "").await > 0 }).await;
    let status = w.webhooks.get("slow").await.unwrap().status.unwrap_or_default();
    assert_eq!(status.webhook_id, None, "a replica without the Lease wrote status");
}
