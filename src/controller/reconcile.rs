//! The reconcile story of one `Webhook` (DESIGN §3), top to bottom:
//! deleted? → clean up; suspended? → report and stop; resolve provider, token, validation
//! secret and headers; build the desired remote webhook; no id yet → recover or create; have
//! an id → push one PUT when something changed, and on the drift check read it back and
//! repair (or re-create) it; then write status once and emit an Event when something changed.
use std::sync::Arc;
use std::time::Duration;

use kube::ResourceExt;
use kube::api::{Api, Patch, PatchParams};
use kube::runtime::controller::Action;
use kube::runtime::finalizer::{Event as FinalizerEvent, finalizer};
use secrecy::{ExposeSecret, SecretString};

use super::cached::CachedWebhook;
use super::conditions::{self, DELIVERED, READY, SYNCED};
use super::context::{AuthOutcome, Context};
use super::converge::{self, Checkpoint, Synced};
use super::create_intent::{self, CreateIntent};
use super::error::ReconcileError;
use super::identity::ProviderKey;
use super::provider;
use super::report;
use crate::crd::{
    DeletionPolicy, EXTERNAL_ID_ANNOTATION, FINALIZER, HeaderValueSource, RECONCILE_REQUESTED_ANNOTATION,
    TEST_DELIVERY_ANNOTATION, Webhook, WebhookStatus,
};
use crate::providers::{Header, Target, desired, test_delivery};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

/// The error the controller sees: only failures to talk to Kubernetes itself escape; provider
/// and input problems are reported in status and requeued inside `apply`.
pub type Error = kube::runtime::finalizer::Error<ReconcileError>;

pub async fn reconcile(cached: Arc<CachedWebhook>, ctx: Arc<Context>) -> Result<Action, Error> {
    let _timer = ctx.metrics.reconcile_started();
    let wh = Arc::new(cached.unpack().map_err(|e| Error::ApplyFailed(ReconcileError::Unpack(e)))?);
    if wh.metadata.deletion_timestamp.is_none() && !create_intent::has_finalizer(&wh.metadata) {
        // kube-runtime's helper would add the finalizer in a write of its own and wait for the
        // next event; `apply` adds it in the write that marks a create (or, when it adopts,
        // before it reports success), so a create costs one metadata write, not two.
        return apply(&wh, &ctx).await.map_err(Error::ApplyFailed);
    }
    let api: Api<Webhook> = Api::namespaced(ctx.client.clone(), &wh.namespace().unwrap_or_default());
    finalizer(&api, FINALIZER, wh, |event| async {
        match event {
            FinalizerEvent::Apply(wh) => apply(&wh, &ctx).await,
            FinalizerEvent::Cleanup(wh) => cleanup(&wh, &ctx).await,
        }
    })
    .await
}

pub fn error_policy(wh: Arc<CachedWebhook>, err: &Error, ctx: Arc<Context>) -> Action {
    let failures = ctx.failed(&wh.uid().unwrap_or_default());
    tracing::warn!(namespace = %wh.namespace().unwrap_or_default(), name = %wh.name_any(), error = %err, "reconcile failed");
    ctx.metrics.reconciled("Error");
    let delay = crate::backoff::exponential(failures, Duration::from_secs(1), Duration::from_secs(300));
    Action::requeue(crate::backoff::spread(delay, 0.1))
}

async fn apply(wh: &Webhook, ctx: &Context) -> Result<Action, ReconcileError> {
    // kube-runtime wraps each reconcile in a span naming the object (`object.ref`), so every
    // log line below carries the namespace and name.
    let uid = wh.uid().unwrap_or_default();
    let generation = wh.metadata.generation;
    let checkpoint = KubeCheckpoint::new(ctx, wh);
    let mut status = checkpoint.baseline();

    if wh.spec.suspend {
        let msg = "spec.suspend is true: the remote webhook is not changed (deletion still works)";
        conditions::set(&mut status.conditions, SYNCED, false, "Suspended", msg, generation);
        status.observed_generation = generation;
        checkpoint.write_status(&status).await?;
        ctx.metrics.reconciled("Suspended");
        return Ok(Action::await_change());
    }

    let mut provider_key = None;
    let outcome = sync(wh, ctx, &checkpoint, &mut status, &mut provider_key).await;
    status.observed_generation = generation;
    match outcome {
        Ok(done) => {
            ctx.succeeded(&uid);
            // Only a sync that succeeded answers a resync request; a failed one stays requested.
            status.reconcile_request_handled = wh.annotations().get(RECONCILE_REQUESTED_ANNOTATION).cloned();
            status.webhook_id = Some(done.id.clone());
            status.location = Some(done.location.clone());
            status.applied_hash = Some(done.hash.clone());
            status.clear_pending_create();
            if done.confirmed {
                status.last_synced_at = Some(jiff::Timestamp::now().to_string());
            }
            // Nothing done or read on a webhook already Ready at this generation: keep the
            // reason that says how it got there (Created, Updated, ...), so the status needs no
            // write. A read-back that found it equal says UpToDate.
            let settled = done.reason == "UpToDate"
                && !done.confirmed
                && conditions::get(&status.conditions, READY)
                    .is_some_and(|c| c.status == "True" && c.observed_generation == generation);
            if !settled {
                let msg = format!("remote webhook {} equals the spec", done.id);
                conditions::set(&mut status.conditions, READY, true, done.reason, &msg, generation);
                conditions::set(&mut status.conditions, SYNCED, true, done.reason, &msg, generation);
            }
            if let Some(requested) = test_delivery_requested(wh, &status) {
                deliver_test_event(ctx, wh, &done, &mut status).await;
                status.test_delivery_handled = Some(requested);
            }
            checkpoint.ensure_finalizer().await?;
            checkpoint.write_status(&status).await?;
            // Events are for what the user did not write: an adoption, a recovery, a repair, a
            // re-creation. The user's own create or edit shows in status (Ready's reason
            // Created/Updated, observedGeneration), which keeps a create at 3 writes at most.
            if let Some(note) = done.note.filter(|_| !matches!(done.reason, "Created" | "Updated")) {
                // Something outside hookwright removed or stopped the webhook: worth a Warning.
                let warning = matches!(done.reason, "Recreated" | "Unsuspended");
                report::event(ctx, wh, warning, done.reason, "Sync", note).await;
            }
            if let Some((key, token_hash)) = provider_key {
                ctx.record_auth(&key, token_hash, AuthOutcome::Accepted);
            }
            ctx.metrics.reconciled(done.reason);
            // Nothing on a timer: Kubernetes changes arrive by watch, remote ones are found by
            // the drift sweep, which asks for this object again when its listing differs.
            Ok(Action::await_change())
        }
        Err(err) => {
            let failures = ctx.failed(&uid);
            let (reason, msg) = (err.reason(), err.to_string());
            tracing::info!(reason, error = %msg, "sync failed");
            // One Warning per situation: the same reason and message again is no news, and
            // neither is a transient failure (5xx, timeout, unreachable) that only changed its
            // wording while the provider stays unhealthy.
            let transient = matches!(&err, ReconcileError::Api(e) if e.is_transient());
            let unchanged = conditions::get(&status.conditions, SYNCED)
                .is_some_and(|c| c.status == "False" && c.reason == reason && (c.message == msg || transient));
            conditions::set(&mut status.conditions, READY, false, reason, &msg, generation);
            conditions::set(&mut status.conditions, SYNCED, false, reason, &msg, generation);
            checkpoint.write_status(&status).await?;
            if !unchanged {
                report::event(ctx, wh, true, reason, "Sync", msg.clone()).await;
            }
            if let (Some((key, token_hash)), ReconcileError::Api(api_err)) = (&provider_key, &err)
                && api_err.is_auth()
            {
                ctx.record_auth(key, *token_hash, AuthOutcome::Rejected(msg.clone()));
            }
            ctx.metrics.reconciled(reason);
            Ok(Action::requeue(err.retry_after(failures)))
        }
    }
}

/// Steps 3–6: inputs, desired state, then create or converge. Leaves in `status` the create
/// marker and the id as soon as they exist, so a crash at any point is recoverable.
async fn sync(
    wh: &Webhook,
    ctx: &Context,
    checkpoint: &KubeCheckpoint<'_>,
    status: &mut WebhookStatus,
    provider_key: &mut Option<(ProviderKey, [u8; 32])>,
) -> Result<Synced, ReconcileError> {
    let (ns, name) = (wh.namespace().unwrap_or_default(), wh.name_any());
    let provider = provider::resolve(ctx, wh).await?;
    let api = provider.api.as_ref();
    let target = Target::of(wh, &provider.endpoint)?;
    // No id and no create yet (as the checkpoint sees it): a generated Secret is created first.
    let baseline = checkpoint.baseline();
    let new = baseline.webhook_id.is_none() && baseline.create_pending_since.is_none();
    let secret = validation_secret(ctx, wh, &ns, &target, new).await?;
    let headers = headers(ctx, wh, &ns, &target).await?;
    let desired = desired::build(wh, desired::remote_name(wh, &ns, &name), secret, headers);
    let hash = desired::applied_hash(&desired);

    let input = converge::Inputs {
        scope: &target.scope,
        desired: &desired,
        hash: &hash,
        annotated_id: wh.annotations().get(EXTERNAL_ID_ANNOTATION).map(String::as_str),
        // Taken even when this reconcile fails: the next sweep asks again.
        read_back: resync_requested(wh, status) | ctx.drift_suspects.take(&wh.uid().unwrap_or_default()),
    };
    let result = converge::converge(api, checkpoint, input, status).await;
    *provider_key = Some((provider.key, provider.token_hash));
    result
}

/// Step 1: the object is being deleted. Only the webhook this object's status records (or
/// the one its interrupted create made) is deleted: never one it merely names in the
/// external-id annotation, which may belong to another object.
async fn cleanup(wh: &Webhook, ctx: &Context) -> Result<Action, ReconcileError> {
    let checkpoint = KubeCheckpoint::new(ctx, wh);
    let mut status = checkpoint.baseline();
    if status.webhook_id.is_none() {
        // The cache may lag the write that recorded the id.
        status = checkpoint.fresh_status().await?;
    }
    let id = status.webhook_id.clone();
    if wh.spec.deletion_policy == DeletionPolicy::Orphan {
        if let Some(id) = id {
            report::event(
                ctx,
                wh,
                false,
                "Orphaned",
                "Delete",
                format!("left remote webhook {id} in place (deletionPolicy: Orphan)"),
            )
            .await;
        }
        return Ok(Action::await_change());
    }
    if id.is_none() && status.create_pending_since.is_none() {
        return Ok(Action::await_change());
    }
    match delete_remote(wh, ctx, &checkpoint, &status).await {
        Ok(Some(id)) => {
            report::event(ctx, wh, false, "Deleted", "Delete", format!("deleted remote webhook {id}")).await;
            Ok(Action::await_change())
        }
        Ok(None) => Ok(Action::await_change()),
        Err(err) => {
            let msg = format!(
                "cannot delete the remote webhook: {err}. Fix the cause, or set spec.deletionPolicy: Orphan, or remove the finalizer {FINALIZER} to let the object go"
            );
            conditions::set(&mut status.conditions, SYNCED, false, err.reason(), &msg, wh.metadata.generation);
            checkpoint.write_status(&status).await?;
            report::event(ctx, wh, true, "DeleteFailed", "Delete", msg).await;
            Err(err)
        }
    }
}

/// Deletes the remote webhook with the provider's live or remembered credentials.
async fn delete_remote(
    wh: &Webhook,
    ctx: &Context,
    checkpoint: &KubeCheckpoint<'_>,
    status: &WebhookStatus,
) -> Result<Option<String>, ReconcileError> {
    let provider = provider::resolve_for_cleanup(ctx, wh).await?;
    let scope = Target::of(wh, &provider.endpoint)?.scope;
    let (ns, name) = (wh.namespace().unwrap_or_default(), wh.name_any());
    let remote_name = desired::remote_name(wh, &ns, &name);
    let fallback = (remote_name.as_str(), wh.spec.url.as_str());
    converge::delete(provider.api.as_ref(), checkpoint, &scope, status, fallback).await
}

/// The apiserver side of one reconcile: the status it started from (the cached one, or a fresh
/// read when one was needed), the object's metadata as last seen, and the writes: the create
/// marker with the finalizer (one guarded JSON patch) and the status, skipped when unchanged.
struct KubeCheckpoint<'a> {
    ctx: &'a Context,
    wh: &'a Webhook,
    /// The freshest known status (with its create marker) and metadata.
    seen: std::sync::Mutex<(WebhookStatus, ObjectMeta)>,
    /// The apiserver is known to hold `seen`'s status: a fresh read, our own write, or a
    /// cache that shows our last write.
    known: std::sync::atomic::AtomicBool,
}

impl<'a> KubeCheckpoint<'a> {
    fn new(ctx: &'a Context, wh: &'a Webhook) -> Self {
        let status = create_intent::recorded_status(&wh.metadata, wh.status.as_ref());
        let lags =
            ctx.unseen_writes.cache_may_lag(&wh.uid().unwrap_or_default(), wh.metadata.resource_version.as_deref());
        KubeCheckpoint {
            ctx,
            wh,
            seen: std::sync::Mutex::new((status, wh.metadata.clone())),
            known: std::sync::atomic::AtomicBool::new(!lags),
        }
    }

    fn api(&self) -> Api<Webhook> {
        Api::namespaced(self.ctx.client.clone(), &self.wh.namespace().unwrap_or_default())
    }

    fn seen(&self) -> std::sync::MutexGuard<'_, (WebhookStatus, ObjectMeta)> {
        self.seen.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The status as the apiserver is known to hold it.
    fn baseline(&self) -> WebhookStatus {
        self.seen().0.clone()
    }

    /// Writes `status` unless the apiserver is known to hold it already.
    async fn write_status(&self, status: &WebhookStatus) -> Result<(), kube::Error> {
        if self.known.load(std::sync::atomic::Ordering::SeqCst) && *status == self.seen().0 {
            return Ok(());
        }
        let written = report::status(self.ctx, self.wh, status).await?;
        self.ctx.unseen_writes.wrote(&self.wh.uid().unwrap_or_default(), written.resource_version());
        self.seen().0 = status.clone();
        self.known.store(true, std::sync::atomic::Ordering::SeqCst);
        Ok(())
    }

    /// Adds the finalizer when the object lacks it (an adoption, or a user removed it).
    async fn ensure_finalizer(&self) -> Result<(), ReconcileError> {
        let meta = self.seen().1.clone();
        if create_intent::has_finalizer(&meta) {
            return Ok(());
        }
        let recorded = meta.annotations.as_ref().and_then(CreateIntent::of_annotations);
        self.patch_meta(create_intent::patch(&meta, recorded.as_ref())).await
    }

    async fn patch_meta(&self, ops: serde_json::Value) -> Result<(), ReconcileError> {
        let patch: json_patch::Patch = serde_json::from_value(ops).map_err(kube::Error::SerdeError)?;
        let params = PatchParams::default();
        match self.api().patch(&self.wh.name_any(), &params, &Patch::Json::<()>(patch)).await {
            Ok(updated) => {
                self.seen().1 = updated.metadata;
                Ok(())
            }
            // A failed `test` (422) or a conflict: the object is not the one in view.
            Err(kube::Error::Api(e)) if e.code == 422 || e.code == 409 => Err(ReconcileError::StaleView),
            Err(e) => Err(e.into()),
        }
    }
}

#[async_trait::async_trait]
impl Checkpoint for KubeCheckpoint<'_> {
    async fn save_create_marker(&self, status: &WebhookStatus) -> Result<(), ReconcileError> {
        let (meta, intent) = (self.seen().1.clone(), CreateIntent::of_status(status));
        if !create_intent::patch_needed(&meta, intent.as_ref()) {
            return Ok(());
        }
        self.patch_meta(create_intent::patch(&meta, intent.as_ref())).await
    }

    async fn fresh_status(&self) -> Result<WebhookStatus, ReconcileError> {
        // A GET without resourceVersion is served from etcd (a quorum read), never a cache.
        let current = self.api().get(&self.wh.name_any()).await?;
        if current.uid() != self.wh.uid() {
            // Deleted and re-created under the same name: nothing of the old status applies.
            return Ok(WebhookStatus::default());
        }
        let status = create_intent::recorded_status(&current.metadata, current.status.as_ref());
        *self.seen() = (status.clone(), current.metadata);
        self.known.store(true, std::sync::atomic::Ordering::SeqCst);
        Ok(status)
    }

    fn claimed_by(&self, id: &str) -> Option<String> {
        self.ctx.claims.owner(id, &self.wh.uid().unwrap_or_default())
    }
}

fn resync_requested(wh: &Webhook, status: &WebhookStatus) -> bool {
    let asked = wh.annotations().get(RECONCILE_REQUESTED_ANNOTATION);
    asked.is_some() && asked != status.reconcile_request_handled.as_ref()
}

/// The validation secret, checked against the provider's rules before anything is sent.
async fn validation_secret(
    ctx: &Context,
    wh: &Webhook,
    ns: &str,
    target: &Target,
    probably_new: bool,
) -> Result<Option<SecretString>, ReconcileError> {
    if !target.signs_deliveries() {
        return Ok(None);
    }
    match &wh.spec.validation_secret_ref {
        Some(r) => {
            let purpose = "validation secret";
            let value = crate::secrets::read_key(&ctx.client, ns, &r.name, &r.key, purpose).await?;
            match target.validation_secret_problem(value.expose_secret()) {
                None => Ok(Some(value)),
                Some(problem) => Err(rejected(ns, &r.name, &r.key, purpose, problem)),
            }
        }
        None => {
            let (value, created) = crate::secrets::generated_validation_secret(&ctx.client, wh, probably_new).await?;
            if let Some(rv) = created {
                // Its watch event is no news to the Webhook that made it.
                let name = crate::secrets::generated_secret_name(&wh.name_any());
                ctx.unseen_writes.wrote(&format!("{ns}/{name}"), Some(rv));
            }
            Ok(Some(value))
        }
    }
}

fn rejected(ns: &str, name: &str, key: &str, purpose: &'static str, problem: &'static str) -> ReconcileError {
    ReconcileError::SecretValueRejected { namespace: ns.into(), name: name.into(), key: key.into(), purpose, problem }
}

/// The headers with their values resolved, one entry per value (a name with several values,
/// which some providers allow, gives several entries in order).
async fn headers(ctx: &Context, wh: &Webhook, ns: &str, target: &Target) -> Result<Vec<Header>, ReconcileError> {
    let mut out = Vec::with_capacity(wh.spec.headers.len());
    for h in &wh.spec.headers {
        let sources: Vec<(&Option<String>, &Option<HeaderValueSource>)> = match &h.values {
            Some(values) => values.iter().map(|v| (&v.value, &v.value_from)).collect(),
            None => vec![(&h.value, &h.value_from)],
        };
        for source in sources {
            let value = header_value(ctx, ns, target, source).await?;
            out.push(Header { name: h.name.clone(), value });
        }
    }
    Ok(out)
}

async fn header_value(
    ctx: &Context,
    ns: &str,
    target: &Target,
    source: (&Option<String>, &Option<HeaderValueSource>),
) -> Result<SecretString, ReconcileError> {
    match source {
        (Some(v), _) => Ok(SecretString::from(v.clone())),
        (None, Some(from)) => {
            let r = &from.secret_key_ref;
            let value = crate::secrets::read_key(&ctx.client, ns, &r.name, &r.key, "header value").await?;
            match target.header_value_problem(value.expose_secret()) {
                Some(problem) => Err(rejected(ns, &r.name, &r.key, "header value", problem)),
                None => Ok(value),
            }
        }
        (None, None) => Ok(SecretString::from(String::new())),
    }
}

/// A new value of the test-delivery annotation, not yet acted on.
fn test_delivery_requested(wh: &Webhook, status: &WebhookStatus) -> Option<String> {
    let asked = wh.annotations().get(TEST_DELIVERY_ANNOTATION)?;
    (Some(asked) != status.test_delivery_handled.as_ref()).then(|| asked.clone())
}

/// Sends the test event (when enabled) and records the `Delivered` condition and an Event.
async fn deliver_test_event(ctx: &Context, wh: &Webhook, done: &Synced, status: &mut WebhookStatus) {
    let result = if ctx.settings.test_delivery {
        test_delivery::deliver(&ctx.http, &done.desired, &done.location).await
    } else {
        test_delivery::Delivery {
            ok: false,
            reason: "TestDeliveryDisabled",
            message: "test deliveries are off: start the operator with --enable-test-delivery (chart value config.enableTestDelivery)".into(),
        }
    };
    conditions::set(
        &mut status.conditions,
        DELIVERED,
        result.ok,
        result.reason,
        &result.message,
        wh.metadata.generation,
    );
    report::event(ctx, wh, !result.ok, result.reason, "TestDelivery", result.message).await;
}
