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
use secrecy::SecretString;

use super::conditions::{self, DELIVERED, READY, SYNCED};
use super::context::{AuthOutcome, Context};
use super::error::ReconcileError;
use super::provider::{self, ProviderKey};
use super::{desired, report, test_delivery};
use crate::crd::{
    DeletionPolicy, EXTERNAL_ID_ANNOTATION, FINALIZER, RECONCILE_REQUESTED_ANNOTATION, TEST_DELIVERY_ANNOTATION,
    Webhook, WebhookStatus,
};
use crate::providers::{ApiError, DesiredWebhook, Header, WebhookApi};

/// The error the controller sees: only failures to talk to Kubernetes itself escape; provider
/// and input problems are reported in status and requeued inside `apply`.
pub type Error = kube::runtime::finalizer::Error<ReconcileError>;

pub async fn reconcile(wh: Arc<Webhook>, ctx: Arc<Context>) -> Result<Action, Error> {
    let _timer = ctx.metrics.reconcile_started();
    let api: Api<Webhook> = Api::namespaced(ctx.client.clone(), &wh.namespace().unwrap_or_default());
    finalizer(&api, FINALIZER, wh, |event| async {
        match event {
            FinalizerEvent::Apply(wh) => apply(&wh, &ctx).await,
            FinalizerEvent::Cleanup(wh) => cleanup(&wh, &ctx).await,
        }
    })
    .await
}

pub fn error_policy(wh: Arc<Webhook>, err: &Error, ctx: Arc<Context>) -> Action {
    let failures = ctx.failed(&wh.uid().unwrap_or_default());
    tracing::warn!(namespace = %wh.namespace().unwrap_or_default(), name = %wh.name_any(), error = %err, "reconcile failed");
    ctx.metrics.reconciled("Error");
    Action::requeue(Duration::from_secs((1u64 << failures.min(8)).min(300)))
}

/// What a successful sync did.
struct Synced {
    id: String,
    hash: String,
    /// Stable reason: Created, Updated, UpToDate, DriftRepaired, Recreated, Adopted, Recovered.
    reason: &'static str,
    /// The remote side was read or written in this reconcile (so `lastSyncedAt` moves).
    confirmed: bool,
    /// Event text when something changed.
    note: Option<String>,
    /// What was pushed (for a test delivery).
    desired: DesiredWebhook,
}

async fn apply(wh: &Webhook, ctx: &Context) -> Result<Action, ReconcileError> {
    // kube-runtime wraps each reconcile in a span naming the object (`object.ref`), so every
    // log line below carries the namespace and name.
    let uid = wh.uid().unwrap_or_default();
    let generation = wh.metadata.generation;
    let mut status = wh.status.clone().unwrap_or_default();

    if wh.spec.suspend {
        let msg = "spec.suspend is true: the remote webhook is not changed (deletion still works)";
        conditions::set(&mut status.conditions, SYNCED, false, "Suspended", msg, generation);
        status.observed_generation = generation;
        report::status(ctx, wh, &status).await?;
        ctx.metrics.reconciled("Suspended");
        return Ok(Action::await_change());
    }

    let mut provider_key = None;
    let outcome = sync(wh, ctx, &mut status, &mut provider_key).await;
    status.observed_generation = generation;
    status.reconcile_request_handled = wh.annotations().get(RECONCILE_REQUESTED_ANNOTATION).cloned();
    match outcome {
        Ok(done) => {
            ctx.succeeded(&uid);
            status.webhook_id = Some(done.id.clone());
            status.applied_hash = Some(done.hash);
            status.create_pending_since = None;
            if done.confirmed {
                status.last_synced_at = Some(jiff::Timestamp::now().to_string());
            }
            let msg = format!("remote webhook {} equals the spec", done.id);
            conditions::set(&mut status.conditions, READY, true, done.reason, &msg, generation);
            conditions::set(&mut status.conditions, SYNCED, true, done.reason, &msg, generation);
            if let Some(requested) = test_delivery_requested(wh, &status) {
                deliver_test_event(ctx, wh, &done.desired, &mut status).await;
                status.test_delivery_handled = Some(requested);
            }
            report::status(ctx, wh, &status).await?;
            if let Some(note) = done.note {
                let warning = done.reason == "Recreated";
                report::event(ctx, wh, warning, done.reason, "Sync", note).await;
            }
            if let Some((key, token_hash)) = provider_key {
                ctx.record_auth(&key, token_hash, AuthOutcome::Accepted);
            }
            ctx.metrics.reconciled(done.reason);
            Ok(Action::requeue(jittered(ctx.settings.drift_interval)))
        }
        Err(err) => {
            let failures = ctx.failed(&uid);
            let (reason, msg) = (err.reason(), err.to_string());
            tracing::info!(reason, error = %msg, "sync failed");
            let unchanged = conditions::get(&status.conditions, SYNCED)
                .is_some_and(|c| c.status == "False" && c.reason == reason && c.message == msg);
            conditions::set(&mut status.conditions, READY, false, reason, &msg, generation);
            conditions::set(&mut status.conditions, SYNCED, false, reason, &msg, generation);
            report::status(ctx, wh, &status).await?;
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
    status: &mut WebhookStatus,
    provider_key: &mut Option<(ProviderKey, [u8; 32])>,
) -> Result<Synced, ReconcileError> {
    let (ns, name) = (wh.namespace().unwrap_or_default(), wh.name_any());
    let provider = provider::resolve(ctx, wh).await?;
    let api = provider.api.as_ref();
    let app = wh.spec.mendix.as_ref().ok_or(ReconcileError::NoTarget)?.app_id.clone();
    let secret = validation_secret(ctx, wh, &ns).await?;
    let headers = headers(ctx, wh, &ns).await?;
    let desired = desired::build(wh, desired::remote_name(wh, &ns, &name), secret, headers);
    let hash = desired::applied_hash(&desired);

    let result = converge(wh, ctx, api, &app, &desired, &hash, status).await;
    *provider_key = Some((provider.key, provider.token_hash));
    result
}

async fn converge(
    wh: &Webhook,
    ctx: &Context,
    api: &dyn WebhookApi,
    app: &str,
    desired: &DesiredWebhook,
    hash: &str,
    status: &mut WebhookStatus,
) -> Result<Synced, ReconcileError> {
    let synced = |id: String, reason, confirmed, note: Option<String>| Synced {
        id,
        hash: hash.to_string(),
        reason,
        confirmed,
        note,
        desired: desired.clone(),
    };

    // 5. No id yet: recover a create that may have been sent, else create.
    let known = status.webhook_id.clone().or_else(|| wh.annotations().get(EXTERNAL_ID_ANNOTATION).cloned());
    let Some(id) = known else {
        if status.create_pending_since.is_some() {
            let listed = api.list(app).await?;
            if let Some(found) = listed.into_iter().find(|s| s.name == desired.name && s.url == desired.url) {
                let remote = api.get(app, &found.id).await?;
                if !desired.matches(&remote) {
                    api.update(app, &found.id, desired).await?;
                }
                record_id(ctx, wh, status, &found.id).await?;
                let note = format!("found remote webhook {} from an interrupted create and adopted it", found.id);
                return Ok(synced(found.id, "Recovered", true, Some(note)));
            }
        }
        let id = create(ctx, wh, api, app, desired, status).await?;
        let note = format!("created remote webhook {id}");
        return Ok(synced(id, "Created", true, Some(note)));
    };

    // 6. Have an id: push changes with one PUT; on the drift check, read back and repair.
    let adopting = status.webhook_id.is_none();
    let changed = status.applied_hash.as_deref() != Some(hash);
    let drift_due = adopting || resync_requested(wh, status) || drift_check_due(status, ctx.settings.drift_interval);
    if !drift_due && !changed {
        return Ok(synced(id, "UpToDate", false, None));
    }
    if !drift_due {
        return match api.update(app, &id, desired).await {
            Ok(_) => Ok(synced(id.clone(), "Updated", true, Some(format!("updated remote webhook {id}")))),
            Err(ApiError::NotFound) => recreate(ctx, wh, api, app, desired, status, &id)
                .await
                .map(|(new, note)| synced(new, "Recreated", true, Some(note))),
            Err(e) => Err(e.into()),
        };
    }
    let remote = match api.get(app, &id).await {
        Ok(r) => r,
        Err(ApiError::NotFound) => {
            let (new, note) = recreate(ctx, wh, api, app, desired, status, &id).await?;
            return Ok(synced(new, "Recreated", true, Some(note)));
        }
        Err(e) => return Err(e.into()),
    };
    if adopting {
        status.webhook_id = Some(id.clone());
    }
    if desired.matches(&remote) {
        let note = adopting.then(|| format!("adopted remote webhook {id}; it already equals the spec"));
        return Ok(synced(id, if adopting { "Adopted" } else { "UpToDate" }, true, note));
    }
    let fields = desired.drifted_fields(&remote).join(", ");
    api.update(app, &id, desired).await?;
    let (reason, note) = match (adopting, changed) {
        (true, _) => ("Adopted", format!("adopted remote webhook {id} and updated {fields}")),
        (false, true) => ("Updated", format!("updated remote webhook {id}")),
        (false, false) => {
            ("DriftRepaired", format!("remote webhook {id} was changed outside hookwright ({fields}); restored it"))
        }
    };
    Ok(synced(id, reason, true, Some(note)))
}

/// Marks the create as pending (durably, before sending), POSTs once, and records the id at
/// once. A definite rejection clears the marker; an unknown outcome (timeout, dropped
/// connection, 5xx) keeps it so the next attempt lists before creating.
async fn create(
    ctx: &Context,
    wh: &Webhook,
    api: &dyn WebhookApi,
    app: &str,
    desired: &DesiredWebhook,
    status: &mut WebhookStatus,
) -> Result<String, ReconcileError> {
    status.create_pending_since = Some(jiff::Timestamp::now().to_string());
    report::status(ctx, wh, status).await?;
    match api.create(app, desired).await {
        Ok(created) => {
            record_id(ctx, wh, status, &created.id).await?;
            Ok(created.id)
        }
        Err(e) => {
            if !outcome_unknown(&e) {
                status.create_pending_since = None;
            }
            Err(e.into())
        }
    }
}

/// The remote webhook was deleted outside hookwright: create it again.
async fn recreate(
    ctx: &Context,
    wh: &Webhook,
    api: &dyn WebhookApi,
    app: &str,
    desired: &DesiredWebhook,
    status: &mut WebhookStatus,
    old: &str,
) -> Result<(String, String), ReconcileError> {
    status.webhook_id = None;
    let new = create(ctx, wh, api, app, desired, status).await?;
    Ok((new.clone(), format!("remote webhook {old} was deleted outside hookwright; created {new}")))
}

/// Stores the id in status (first, so a reconcile triggered by the annotation change sees
/// it) and in the `hookwright.dev/external-id` annotation.
async fn record_id(ctx: &Context, wh: &Webhook, status: &mut WebhookStatus, id: &str) -> Result<(), ReconcileError> {
    status.webhook_id = Some(id.to_string());
    status.create_pending_since = None;
    report::status(ctx, wh, status).await?;
    if wh.annotations().get(EXTERNAL_ID_ANNOTATION).map(String::as_str) != Some(id) {
        let api: Api<Webhook> = Api::namespaced(ctx.client.clone(), &wh.namespace().unwrap_or_default());
        let patch = serde_json::json!({"metadata": {"annotations": {EXTERNAL_ID_ANNOTATION: id}}});
        api.patch(&wh.name_any(), &PatchParams::default(), &Patch::Merge(&patch)).await?;
    }
    Ok(())
}

/// Step 1: the object is being deleted.
async fn cleanup(wh: &Webhook, ctx: &Context) -> Result<Action, ReconcileError> {
    let status = wh.status.clone().unwrap_or_default();
    let id = status.webhook_id.clone().or_else(|| wh.annotations().get(EXTERNAL_ID_ANNOTATION).cloned());
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
    match delete_remote(wh, ctx, id).await {
        Ok(Some(id)) => {
            report::event(ctx, wh, false, "Deleted", "Delete", format!("deleted remote webhook {id}")).await;
            Ok(Action::await_change())
        }
        Ok(None) => Ok(Action::await_change()),
        Err(err) => {
            let msg = format!(
                "cannot delete the remote webhook: {err}. Fix the cause, or set spec.deletionPolicy: Orphan, or remove the finalizer {FINALIZER} to let the object go"
            );
            let mut status = status;
            conditions::set(&mut status.conditions, SYNCED, false, err.reason(), &msg, wh.metadata.generation);
            report::status(ctx, wh, &status).await?;
            report::event(ctx, wh, true, "DeleteFailed", "Delete", msg).await;
            Err(err)
        }
    }
}

/// Deletes the remote webhook (404 counts as done). Without an id but with a pending create,
/// looks for the webhook that create may have made.
async fn delete_remote(wh: &Webhook, ctx: &Context, id: Option<String>) -> Result<Option<String>, ReconcileError> {
    let provider = provider::resolve(ctx, wh).await?;
    let app = wh.spec.mendix.as_ref().ok_or(ReconcileError::NoTarget)?.app_id.clone();
    let id = match id {
        Some(id) => id,
        None => {
            let (ns, name) = (wh.namespace().unwrap_or_default(), wh.name_any());
            let remote_name = desired::remote_name(wh, &ns, &name);
            let listed = provider.api.list(&app).await?;
            match listed.into_iter().find(|s| s.name == remote_name && s.url == wh.spec.url) {
                Some(found) => found.id,
                None => return Ok(None),
            }
        }
    };
    match provider.api.delete(&app, &id).await {
        Ok(()) | Err(ApiError::NotFound) => Ok(Some(id)),
        Err(e) => Err(e.into()),
    }
}

async fn validation_secret(ctx: &Context, wh: &Webhook, ns: &str) -> Result<SecretString, ReconcileError> {
    match &wh.spec.validation_secret_ref {
        Some(r) => crate::secrets::read_key(&ctx.client, ns, &r.name, &r.key, "validation secret").await,
        None => crate::secrets::generated_validation_secret(&ctx.client, wh).await,
    }
}

async fn headers(ctx: &Context, wh: &Webhook, ns: &str) -> Result<Vec<Header>, ReconcileError> {
    let mut out = Vec::with_capacity(wh.spec.headers.len());
    for h in &wh.spec.headers {
        let value = match (&h.value, &h.value_from) {
            (Some(v), _) => SecretString::from(v.clone()),
            (None, Some(from)) => {
                let r = &from.secret_key_ref;
                crate::secrets::read_key(&ctx.client, ns, &r.name, &r.key, "header value").await?
            }
            (None, None) => SecretString::from(String::new()),
        };
        out.push(Header { name: h.name.clone(), value });
    }
    Ok(out)
}

fn outcome_unknown(e: &ApiError) -> bool {
    matches!(
        e,
        ApiError::Timeout
            | ApiError::Transport(_)
            | ApiError::Server { .. }
            | ApiError::Decode
            | ApiError::Unexpected { .. }
    )
}

/// A new value of the test-delivery annotation, not yet acted on.
fn test_delivery_requested(wh: &Webhook, status: &WebhookStatus) -> Option<String> {
    let asked = wh.annotations().get(TEST_DELIVERY_ANNOTATION)?;
    (Some(asked) != status.test_delivery_handled.as_ref()).then(|| asked.clone())
}

/// Sends the test event (when enabled) and records the `Delivered` condition and an Event.
async fn deliver_test_event(ctx: &Context, wh: &Webhook, desired: &DesiredWebhook, status: &mut WebhookStatus) {
    let result = if ctx.settings.test_delivery {
        let app = wh.spec.mendix.as_ref().map(|m| m.app_id.as_str()).unwrap_or_default();
        test_delivery::deliver(&ctx.http, desired, app).await
    } else {
        test_delivery::Delivery {
            ok: false,
            reason: "TestDeliveryDisabled",
            message: "test deliveries are off: start the operator with --enable-test-delivery (chart value testDelivery.enabled)".into(),
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

fn resync_requested(wh: &Webhook, status: &WebhookStatus) -> bool {
    let asked = wh.annotations().get(RECONCILE_REQUESTED_ANNOTATION);
    asked.is_some() && asked != status.reconcile_request_handled.as_ref()
}

/// Due when the last confirmation is older than 80% of the interval (requeues are jittered).
fn drift_check_due(status: &WebhookStatus, interval: Duration) -> bool {
    let Some(last) = status.last_synced_at.as_deref().and_then(|t| t.parse::<jiff::Timestamp>().ok()) else {
        return true;
    };
    let elapsed = jiff::Timestamp::now().duration_since(last);
    elapsed.as_secs_f64() >= interval.as_secs_f64() * 0.8
}

/// `d` ± 10%.
fn jittered(d: Duration) -> Duration {
    d.mul_f64(0.9 + 0.2 * rand::random::<f64>())
}
