//! `make bench` / `make bench-full` (issue 14): how fast the operator converges N Webhooks
//! against this machine's own limit, and what it costs in apiserver writes, remote calls,
//! memory and CPU. Real kube-apiserver + etcd (crates/testenv), the release binary, the fake
//! Mendix API with a per-call latency. Writes `bench/results/<N>.json`; `bench/report.py` makes
//! the chart and the tables from it. Every wait has a deadline; every loop is bounded.
//!
//! Phases, one control plane:
//! 1. RSS of the operator with no Webhook.
//! 2. The floor: N Webhooks created in a namespace the operator does not watch, then the
//!    writes a create needs at least (Secret create, annotation patch, status apply) timed at
//!    concurrency C; floor = max(N·L/C, that time).
//! 3. N Webhooks over `apps` apps applied, the operator started: time until all Ready, writes
//!    and remote calls per create, RSS.
//! 4. `edits` spec edits one after another: edit-to-PUT latency, writes and calls per edit.
//! 5. Rotation of a Secret shared by k Webhooks; metadata-only edits; no-op resyncs.
//! 6. Idle window: CPU, calls, writes; then deletes of the edited Webhooks.
//! 7. Restart with nothing changed. 8. Unrelated 1 KiB Secrets: RSS live and after a restart.
//! 9. Drift checks over a window with a short drift interval, scaled to the default 10 minutes.
use std::time::{Duration, Instant};

use hookwright::crd::Webhook;
use hookwright_fake_api::mendix::{FakeConfig, FakeServer, Faults, TokenEntry};
use k8s_openapi::api::core::v1::Secret;
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use serde_json::json;

mod config;
mod operator;
mod probes;
mod ready;
mod report;
mod world;

use config::Config;
use operator::Operator;
use probes::{Counts, Rss};

const QUIET_POLLS: usize = 3;

/// Counters of both sides at one moment.
#[derive(Clone)]
struct Snap {
    writes: Counts,
    calls: Counts,
    /// The running operator's drift calls (its own counter), to tell them from the step's.
    drift: u64,
}

impl Snap {
    /// Provider calls since `before`, less the drift sweep's (which runs on its own schedule).
    fn step_calls(&self, before: &Snap) -> u64 {
        self.calls.delta(&before.calls).total().saturating_sub(self.drift.saturating_sub(before.drift))
    }
}

struct Bench {
    cfg: Config,
    client: kube::Client,
    http: reqwest::Client,
    admin_url: String,
    kubeconfig: std::path::PathBuf,
    dir: std::path::PathBuf,
    ns: String,
    webhooks: Api<Webhook>,
    secrets: Api<Secret>,
    /// /metrics of the operator running now.
    metrics_url: std::sync::Mutex<Option<String>>,
}

impl Bench {
    async fn snap(&self) -> Snap {
        let url = self.metrics_url.lock().unwrap().clone();
        let drift = match url {
            Some(u) => probes::drift_calls(&self.http, &u).await.unwrap_or(0),
            None => 0,
        };
        Snap {
            writes: probes::apiserver_writes(&self.client).await,
            calls: probes::fake_calls(&self.http, &self.admin_url).await,
            drift,
        }
    }

    /// Waits (bounded) until neither counter moved for QUIET_POLLS polls one second apart.
    async fn quiesce(&self, what: &str) -> Snap {
        self.quiesce_within(what, Duration::from_secs(60)).await
    }

    async fn quiesce_within(&self, what: &str, limit: Duration) -> Snap {
        let deadline = Instant::now() + limit;
        let mut last = self.snap().await;
        let mut quiet = 0;
        while quiet < QUIET_POLLS {
            if Instant::now() > deadline {
                eprintln!("bench: {what}: counters still moving after {limit:?}; measuring anyway");
                break;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
            let now = self.snap().await;
            quiet = if now.writes == last.writes && now.calls == last.calls { quiet + 1 } else { 0 };
            last = now;
        }
        last
    }

    async fn operator(&self, extra: &[String], label: &str) -> Operator {
        let op = Operator::start(&self.kubeconfig, &self.dir, &self.ns, self.cfg.concurrency, extra, label).await;
        *self.metrics_url.lock().unwrap() = Some(op.metrics_url.clone());
        op
    }

    /// Waits (bounded) until the operator counted `target` reconciles; the count it reached.
    async fn wait_reconciles(&self, op: &Operator, target: u64, limit: Duration) -> u64 {
        let deadline = Instant::now() + limit;
        loop {
            op.proc.check_running().expect("operator running");
            let n = probes::reconciles(&self.http, &op.metrics_url).await.unwrap_or(0);
            if n >= target || Instant::now() > deadline {
                if n < target {
                    eprintln!("bench: {n} of {target} reconciles within {limit:?}");
                }
                return n;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    async fn put_count(&self) -> u64 {
        probes::fake_calls(&self.http, &self.admin_url).await.starting("PUT ")
    }
}

/// HOOKWRIGHT_BENCH_HOLD: the cluster stays up, with the fake, until `file` is removed.
async fn hold(file: &std::path::Path, b: &Bench, fake: &FakeServer, ns: &str) {
    let coords = json!({"kubeconfig": b.kubeconfig, "namespace": ns, "fake_admin": fake.admin_url(), "dir": b.dir});
    std::fs::write(file, coords.to_string()).unwrap();
    eprintln!("bench: holding the cluster until {} is removed (at most 3 hours): {coords}", file.display());
    let deadline = Instant::now() + Duration::from_secs(3 * 3600);
    while file.exists() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let idx = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[idx.clamp(1, sorted.len()) - 1]
}

fn per(x: u64, n: usize) -> f64 {
    x as f64 / n.max(1) as f64
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let cfg = Config::from_env();
    let wall = Instant::now();
    eprintln!("bench: {cfg:?}");
    assert!(operator::binary().is_file(), "{} missing: run cargo build --release", operator::binary().display());
    hookwright::tls::install_crypto_provider();
    let machine = report::machine();

    let cp = hookwright_testenv::ControlPlane::start().await.expect("control plane");
    let client = cp.client().await.unwrap();
    hookwright_testenv::install_crds(&client, &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("crds"))
        .await
        .unwrap();
    let ns = hookwright_testenv::create_namespace(&client, "bench").await.unwrap();
    let floor_ns = hookwright_testenv::create_namespace(&client, "floor").await.unwrap();
    let apps: Vec<uuid::Uuid> = (0..cfg.apps).map(|_| uuid::Uuid::new_v4()).collect();
    let token = format!("pat{}", uuid::Uuid::new_v4().simple());
    let mut fake_cfg = FakeConfig {
        faults: Faults { latency_ms: cfg.latency_ms, ..Faults::default() },
        tokens: vec![TokenEntry::new(token.clone(), &["mx:webhook:read", "mx:webhook:write"], &apps)],
        ..FakeConfig::default()
    };
    fake_cfg.rate_limit.limit_per_hour = 1_000_000_000;
    let fake = FakeServer::start(fake_cfg).await.unwrap();
    let secrets: Api<Secret> = Api::namespaced(client.clone(), &ns);
    let pat = json!({"metadata": {"name": "pat"}, "stringData": {"token": token}});
    secrets.create(&PostParams::default(), &serde_json::from_value(pat).unwrap()).await.unwrap();
    let provider = json!({"apiVersion": "hookwright.dev/v1alpha1", "kind": "WebhookProvider", "metadata": {"name": "m"},
        "spec": {"mendix": {"baseUrl": fake.base_url(), "tokenSecretRef": {"name": "pat", "key": "token"}}}});
    let providers: Api<hookwright::crd::WebhookProvider> = Api::namespaced(client.clone(), &ns);
    providers.create(&PostParams::default(), &serde_json::from_value(provider).unwrap()).await.unwrap();
    secrets.create(&PostParams::default(), &world::signing_secret(&format!("whsec_{}", "A".repeat(40)))).await.unwrap();

    let b = Bench {
        cfg: cfg.clone(),
        client: client.clone(),
        http: reqwest::Client::new(),
        admin_url: fake.admin_url(),
        kubeconfig: cp.kubeconfig_path(),
        dir: cp.dir().to_path_buf(),
        ns: ns.clone(),
        webhooks: Api::namespaced(client.clone(), &ns),
        secrets: secrets.clone(),
        metrics_url: Default::default(),
    };
    let (n, c) = (cfg.n, cfg.concurrency);
    let mut out = json!({"when": jiff::Timestamp::now().to_string(), "machine": machine, "versions": report::versions(),
        "config": cfg});

    // 1. RSS with no Webhook: ready, then a 3 s window.
    {
        let op = b.operator(&[], "empty").await;
        b.quiesce("empty operator").await;
        let r = probes::rss(op.pid());
        out["memory"]["n0"] = json!(r);
        eprintln!("bench: RSS with 0 Webhooks {:.1} MiB (peak {:.1})", mib(r.rss_kib), mib(r.hwm_kib));
        op.proc.kill();
    }

    // 2. The floor, in a namespace the operator does not watch.
    let create_deadline = Duration::from_secs(60 + n as u64 / 10);
    if cfg.hold.is_some() {
        out["floor"] = json!({"seconds": f64::NAN});
    } else {
        let fw: Api<Webhook> = Api::namespaced(client.clone(), &floor_ns);
        let fs: Api<Secret> = Api::namespaced(client.clone(), &floor_ns);
        let (create, _) = world::bulk(n, c, "floor creates", create_deadline, |i| {
            let (fw, wh) = (fw.clone(), world::webhook(i, &apps, 0));
            async move { fw.create(&PostParams::default(), &wh).await.map(|_| ()) }
        })
        .await;
        let before = probes::apiserver_writes(&client).await;
        let (writes, series) = world::bulk(n, c, "floor writes", create_deadline * 3, |i| {
            let (fw, fs) = (fw.clone(), fs.clone());
            async move { world::floor_writes(&fw, &fs, i).await }
        })
        .await;
        let counted = probes::apiserver_writes(&client).await.delta(&before);
        let floor = writes.max(cfg.remote_floor());
        eprintln!(
            "bench: floor {:.1} s (apiserver writes {:.1} s for {} writes, N·L/C {:.1} s); creates took {:.1} s",
            floor.as_secs_f64(),
            writes.as_secs_f64(),
            counted.total(),
            cfg.remote_floor().as_secs_f64(),
            create.as_secs_f64()
        );
        out["floor"] = json!({
            "seconds": floor.as_secs_f64(),
            "apiserver_write_seconds": writes.as_secs_f64(),
            "remote_seconds": cfg.remote_floor().as_secs_f64(),
            "writes": counted.json(),
            "writes_per_object": per(counted.total(), n),
            "creates_seconds": create.as_secs_f64(),
            "series": series,
        });
        // Free the apiserver's memory for the run proper (no finalizers were added).
        let _ = fw.delete_collection(&DeleteParams::default(), &ListParams::default()).await;
        let _ = fs.delete_collection(&DeleteParams::default(), &ListParams::default().labels("bench=floor")).await;
    }
    let floor = out["floor"]["seconds"].as_f64().unwrap_or(f64::NAN);

    // 3. Converge: N Webhooks applied, then the operator started.
    let (apply, _) = world::bulk(n, c, "creates", create_deadline, |i| {
        let (api, wh) = (b.webhooks.clone(), world::webhook(i, &apps, cfg.rotation_k));
        async move { api.create(&PostParams::default(), &wh).await.map(|_| ()) }
    })
    .await;
    eprintln!("bench: {n} Webhooks accepted by the apiserver in {:.1} s", apply.as_secs_f64());
    let tracker = ready::Tracker::start(b.webhooks.clone());
    let before = b.quiesce("before converge").await;
    let op = b.operator(&[], "converge").await;
    let start = op.started;
    let deadline = start + Duration::from_secs(cfg.converge_deadline_secs);
    let mut series = vec![(0.0, 0usize)];
    let mut peak = Rss::default();
    let converged = loop {
        op.proc.check_running().expect("operator running");
        let ready = tracker.ready();
        let t = start.elapsed().as_secs_f64();
        if series.last().is_none_or(|l| l.1 != ready) {
            series.push((t, ready));
        }
        let r = probes::rss(op.pid());
        peak = Rss { rss_kib: peak.rss_kib.max(r.rss_kib), hwm_kib: r.hwm_kib };
        if ready >= n {
            break Some(start.elapsed());
        }
        if Instant::now() > deadline {
            eprintln!("bench: only {ready} of {n} Ready within {} s", cfg.converge_deadline_secs);
            break None;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    let after = b.quiesce("after converge").await;
    let (writes, calls) = (after.writes.delta(&before.writes), after.calls.delta(&before.calls));
    let secs = converged.map(|d| d.as_secs_f64());
    eprintln!(
        "bench: converged in {secs:?} s = {:.2} × floor; writes {:?}; calls {:?}",
        secs.unwrap_or(f64::NAN) / floor,
        writes.0,
        calls.0
    );
    out["converge"] = json!({
        "apply_seconds": apply.as_secs_f64(),
        "seconds": secs,
        "ready": tracker.ready(),
        "ratio_to_floor": secs.map(|s| s / floor),
        "series": series,
        "writes": writes.json(),
        "writes_per_create": per(writes.total(), n),
        "calls": calls.json(),
        "drift_calls_in_window": after.drift.saturating_sub(before.drift),
        "calls_per_create": per(after.step_calls(&before), n),
        "posts_per_create": per(calls.starting("POST "), n),
    });
    let r = probes::rss(op.pid());
    out["memory"]["n"] = json!({"rss_kib": r.rss_kib, "hwm_kib": r.hwm_kib});
    if let Some(file) = &cfg.hold {
        drop(op);
        return hold(file, &b, &fake, &ns).await;
    }

    // 4. Edits one after another: edit-to-PUT latency.
    let targets: Vec<usize> =
        (0..cfg.edits).map(|e| cfg.rotation_k + e * (n - cfg.rotation_k) / cfg.edits.max(1)).collect();
    let before = b.quiesce("before edits").await;
    let mut lat = Vec::new();
    for (e, i) in targets.iter().enumerate() {
        let puts = b.put_count().await;
        let patch = json!({"spec": {"url": format!("https://receiver.example.com/{i}/edit-{e}")}});
        b.webhooks.patch(&world::webhook_name(*i), &PatchParams::default(), &Patch::Merge(&patch)).await.unwrap();
        let t = Instant::now();
        let limit = t + Duration::from_secs(30);
        loop {
            if b.put_count().await > puts {
                lat.push(t.elapsed().as_secs_f64());
                break;
            }
            if Instant::now() > limit {
                eprintln!("bench: edit {e}: no PUT within 30 s");
                lat.push(30.0);
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
    let after = b.quiesce("after edits").await;
    let (writes, calls) = (after.writes.delta(&before.writes), after.calls.delta(&before.calls));
    let op_writes = writes.total().saturating_sub(targets.len() as u64);
    let mut sorted = lat.clone();
    sorted.sort_by(f64::total_cmp);
    let (p50, p99) = (percentile(&sorted, 50.0), percentile(&sorted, 99.0));
    eprintln!("bench: edit-to-PUT p50 {p50:.3} s p99 {p99:.3} s; writes {:?}; calls {:?}", writes.0, calls.0);
    out["edit"] = json!({
        "edits": targets.len(),
        "latency_note": "from the apiserver's answer to the bench's spec patch until the fake counted the PUT (answered after the fake's latency L)",
        "latency_p50_seconds": p50, "latency_p99_seconds": p99, "latency_max_seconds": sorted.last(),
        "latencies_seconds": lat,
        "writes": writes.json(), "operator_writes_per_edit": per(op_writes, targets.len()),
        "calls": calls.json(), "drift_calls_in_window": after.drift.saturating_sub(before.drift),
        "calls_per_edit": per(after.step_calls(&before), targets.len()),
    });

    // 5a. Rotation of the Secret shared by k Webhooks.
    let before = b.quiesce("before rotation").await;
    let rot_start = Instant::now();
    b.secrets
        .replace("shared-signing", &PostParams::default(), &{
            let mut s = b.secrets.get("shared-signing").await.unwrap();
            s.data = None;
            s.string_data = Some([("secret".to_string(), format!("whsec_{}", "B".repeat(40)))].into());
            s
        })
        .await
        .unwrap();
    let limit = Instant::now() + Duration::from_secs(60 + cfg.rotation_k as u64);
    while b.put_count().await < before.calls.starting("PUT ") + cfg.rotation_k as u64 && Instant::now() < limit {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let rot_secs = rot_start.elapsed().as_secs_f64();
    let after = b.quiesce("after rotation").await;
    let (writes, calls) = (after.writes.delta(&before.writes), after.calls.delta(&before.calls));
    eprintln!("bench: rotation of a Secret shared by {}: calls {:?} writes {:?}", cfg.rotation_k, calls.0, writes.0);
    out["rotation"] = json!({
        "k": cfg.rotation_k, "seconds_to_last_put": rot_secs,
        "calls": calls.json(), "drift_calls_in_window": after.drift.saturating_sub(before.drift),
        "calls_per_rotation": after.step_calls(&before), "calls_per_object": per(after.step_calls(&before), cfg.rotation_k),
        "writes": writes.json(), "operator_writes": writes.total().saturating_sub(1),
    });

    // 5b. Metadata-only edits of the targets (a label): they should not even reconcile.
    let before = b.quiesce("before metadata edits").await;
    let rec0 = probes::reconciles(&b.http, &op.metrics_url).await.unwrap_or(0);
    for i in &targets {
        let patch = json!({"metadata": {"labels": {"bench-touch": "1"}}});
        b.webhooks.patch(&world::webhook_name(*i), &PatchParams::default(), &Patch::Merge(&patch)).await.unwrap();
    }
    let after = b.quiesce("after metadata edits").await;
    let rec = probes::reconciles(&b.http, &op.metrics_url).await.unwrap_or(0) - rec0;
    let (writes, calls) = (after.writes.delta(&before.writes), after.calls.delta(&before.calls));
    eprintln!(
        "bench: {} metadata-only edits, {rec} reconciles: calls {:?} writes {:?}",
        targets.len(),
        calls.0,
        writes.0
    );
    out["metadata_edit"] = json!({"objects": targets.len(), "reconciles": rec, "calls": calls.json(),
        "operator_writes": writes.total().saturating_sub(targets.len() as u64)});

    // 5c. No-op resyncs: reconciles that find nothing changed, caused by a label on the shared
    // Secret (its k dependents) and on the provider (its dependents, if it fans out).
    let before = b.quiesce("before no-op").await;
    let rec0 = probes::reconciles(&b.http, &op.metrics_url).await.unwrap_or(0);
    let touch = json!({"metadata": {"labels": {"bench-touch": "1"}}});
    b.secrets.patch("shared-signing", &PatchParams::default(), &Patch::Merge(&touch)).await.unwrap();
    providers.patch("m", &PatchParams::default(), &Patch::Merge(&touch)).await.unwrap();
    let rec = b.wait_reconciles(&op, rec0 + cfg.rotation_k as u64, Duration::from_secs(15)).await;
    let after = b.quiesce("after no-op").await;
    let rec = probes::reconciles(&b.http, &op.metrics_url).await.unwrap_or(rec) - rec0;
    let (writes, calls) = (after.writes.delta(&before.writes), after.calls.delta(&before.calls));
    eprintln!(
        "bench: no-op touches of the Secret and the provider: {rec} reconciles; calls {:?} writes {:?}",
        calls.0, writes.0
    );
    out["noop_resync"] = json!({
        "trigger": "a label added to the Secret shared by k Webhooks and to the WebhookProvider",
        "reconciles": rec,
        "calls": calls.json(), "drift_calls_in_window": after.drift.saturating_sub(before.drift),
        "calls_per_resync": (rec > 0).then(|| per(after.step_calls(&before), rec as usize)),
        "writes": writes.json(), "operator_writes_per_resync": (rec > 0).then(|| per(writes.total().saturating_sub(2), rec as usize)),
    });

    // 6. Idle: CPU over the window, calls and writes meanwhile.
    let before = b.quiesce("before idle").await;
    let cpu0 = probes::cpu_secs(op.pid());
    let t0 = Instant::now();
    let idle_end = t0 + Duration::from_secs(cfg.idle_secs);
    while Instant::now() < idle_end {
        op.proc.check_running().expect("operator running");
        tokio::time::sleep_until(idle_end.min(Instant::now() + Duration::from_secs(5)).into()).await;
    }
    let idle = t0.elapsed().as_secs_f64();
    let cpu = probes::cpu_secs(op.pid()) - cpu0;
    let after = b.snap().await;
    let (writes, calls) = (after.writes.delta(&before.writes), after.calls.delta(&before.calls));
    let millicores = cpu / idle * 1000.0;
    eprintln!("bench: idle {idle:.0} s: {millicores:.2} millicores; calls {:?} writes {:?}", calls.0, writes.0);
    let r = probes::rss(op.pid());
    out["cpu"] = json!({"idle_seconds": idle, "cpu_seconds": cpu, "millicores": millicores,
        "calls": calls.json(), "writes": writes.json(), "webhooks": n});
    out["memory"]["n_steady"] = json!(r);
    eprintln!("bench: RSS at {n} after idle {:.1} MiB (peak {:.1})", mib(r.rss_kib), mib(r.hwm_kib));
    // 6b. Deletes of the edited Webhooks.
    let before = b.quiesce("before deletes").await;
    for i in &targets {
        b.webhooks.delete(&world::webhook_name(*i), &DeleteParams::default()).await.unwrap();
    }
    let limit = Instant::now() + Duration::from_secs(60 + targets.len() as u64);
    let mut left = targets.len();
    while left > 0 && Instant::now() < limit {
        tokio::time::sleep(Duration::from_millis(100)).await;
        left = b.webhooks.list_metadata(&ListParams::default().labels("bench-touch=1")).await.unwrap().items.len();
    }
    let after = b.quiesce("after deletes").await;
    let (writes, calls) = (after.writes.delta(&before.writes), after.calls.delta(&before.calls));
    eprintln!("bench: {} deletes ({left} left): calls {:?} writes {:?}", targets.len(), calls.0, writes.0);
    out["delete"] = json!({
        "objects": targets.len(), "left": left,
        "calls": calls.json(), "drift_calls_in_window": after.drift.saturating_sub(before.drift),
        "calls_per_delete": per(after.step_calls(&before), targets.len()),
        "writes": writes.json(), "operator_writes_per_delete": per(writes.total().saturating_sub(targets.len() as u64), targets.len()),
    });
    let remaining = n - targets.len();

    op.proc.kill();

    // 7. Restart with nothing changed.
    let before = b.quiesce("before restart").await;
    let op = b.operator(&[], "restart").await;
    let rec = b.wait_reconciles(&op, remaining as u64, Duration::from_secs(60 + n as u64 / 10)).await;
    let restart_secs = op.started.elapsed().as_secs_f64();
    let after = b.quiesce("after restart").await;
    let (writes, calls) = (after.writes.delta(&before.writes), after.calls.delta(&before.calls));
    let r = probes::rss(op.pid());
    eprintln!("bench: restart: {rec} reconciles in {restart_secs:.1} s; calls {:?} writes {:?}", calls.0, writes.0);
    out["restart"] = json!({"reconciles": rec, "seconds": restart_secs, "calls": calls.json(),
        "calls_per_restart": calls.total(), "writes": writes.json(), "writes_per_restart": writes.total(), "rss": r});

    // 8. Unrelated Secrets: live, then after a restart (with a short drift interval for 9).
    let (secs, _) = world::bulk(cfg.unrelated_secrets, c, "unrelated Secrets", create_deadline * 4, |i| {
        let (api, s) = (b.secrets.clone(), world::unrelated_secret(i));
        async move { api.create(&PostParams::default(), &s).await.map(|_| ()) }
    })
    .await;
    b.quiesce("after unrelated Secrets").await;
    let live = probes::rss(op.pid());
    eprintln!(
        "bench: {} unrelated Secrets in {:.1} s; RSS {:.1} MiB (peak {:.1})",
        cfg.unrelated_secrets,
        secs.as_secs_f64(),
        mib(live.rss_kib),
        mib(live.hwm_kib)
    );
    op.proc.kill();
    let drift = format!("--drift-interval={}s", cfg.drift_interval_secs);
    let op = b.operator(&[drift], "drift").await;
    let rec = b.wait_reconciles(&op, remaining as u64, Duration::from_secs(60 + n as u64 / 10)).await;
    b.quiesce_within("after restart with Secrets", Duration::from_secs(10)).await;
    let restarted = probes::rss(op.pid());
    out["memory"]["unrelated_secrets"] = json!({"count": cfg.unrelated_secrets, "create_seconds": secs.as_secs_f64(),
        "live": live, "after_restart": restarted});
    eprintln!(
        "bench: after a restart with them ({rec} reconciles): RSS {:.1} MiB (peak {:.1})",
        mib(restarted.rss_kib),
        mib(restarted.hwm_kib)
    );

    // 9. Drift checks: the window opens at the first call the fake sees (so no fencepost call
    // inflates the rate) and counts every call after it.
    let first_deadline = Instant::now() + Duration::from_secs(2 * cfg.drift_interval_secs + 60);
    let base = probes::fake_calls(&b.http, &b.admin_url).await.total();
    while probes::fake_calls(&b.http, &b.admin_url).await.total() == base {
        op.proc.check_running().expect("operator running");
        assert!(Instant::now() < first_deadline, "no drift call within two intervals of the restart");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let before = b.snap().await;
    let w0 = Instant::now();
    let w_end = w0 + Duration::from_secs(cfg.drift_window_secs);
    while Instant::now() < w_end {
        op.proc.check_running().expect("operator running");
        tokio::time::sleep_until(w_end.min(Instant::now() + Duration::from_secs(5)).into()).await;
    }
    let window = w0.elapsed().as_secs_f64();
    let calls = b.snap().await.calls.delta(&before.calls);
    let per_hour = calls.total() as f64 * 3600.0 / window;
    let wanted_at_default = cfg.apps as f64 * 6.0;
    eprintln!(
        "bench: drift window {window:.0} s: calls {:?}; {per_hour:.0}/h on the token ({remaining} Webhooks, {} apps)",
        calls.0, cfg.apps
    );
    out["drift"] = json!({
        "interval_seconds": cfg.drift_interval_secs, "window_seconds": window, "calls": calls.json(),
        "webhooks_per_token": remaining, "apps_per_token": cfg.apps,
        "calls_per_hour_per_token": per_hour,
        "lists_per_hour_wanted_at_default_10m": wanted_at_default,
        "how": "operator with the default --drift-budget (100/h/token) and a short --drift-interval; the window opens at the first drift call and counts every fake call after it, per hour. At the default 10 min, 100 apps want 600 lists an hour, so the budget sets the pace either way; the cost does not grow with Webhooks per app",
    });
    op.proc.kill();
    drop(tracker);

    out["goals"] = report::goals(&out);
    out["wall_seconds"] = json!(wall.elapsed().as_secs_f64());
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/results");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{n}.json"));
    std::fs::write(&path, serde_json::to_string_pretty(&out).unwrap() + "\n").unwrap();
    eprintln!("bench: wrote {} after {:.0} s", path.display(), wall.elapsed().as_secs_f64());
    for g in out["goals"].as_array().unwrap() {
        eprintln!("  {}: {} / {}", g["goal"].as_str().unwrap(), g["measured"], g["target"].as_str().unwrap());
    }
}
