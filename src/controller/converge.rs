//! Steps 5–6 of the reconcile story: make the remote webhook equal to the desired state with
//! the fewest calls, crash-safely. Talks to the provider through [`WebhookApi`] and records
//! progress through [`Checkpoint`], so it runs against in-memory fakes in unit tests.
use crate::controller::error::ReconcileError;
use crate::crd::WebhookStatus;
use crate::providers::{ApiError, DesiredWebhook, WebhookApi};

/// What converging writes to, and learns from, the apiserver: the durable mark of a create,
/// and what only a fresh read (not the reflector cache, which lags our own writes) can tell.
/// The id a create made is recorded by the status write that ends every reconcile.
#[async_trait::async_trait]
pub trait Checkpoint: Send + Sync {
    /// Records the create marker of `status` (`createPending*`) durably before a POST, or
    /// forgets a recorded one when `status` has none (a definite rejection). Fails with
    /// [`ReconcileError::StaleView`] when the object is no longer the one last seen (the write
    /// is conditional on it), so a create decided from a lagging view is never sent.
    async fn save_create_marker(&self, status: &WebhookStatus) -> Result<(), ReconcileError>;
    /// The status as the apiserver has it now, with its create marker. Read before any
    /// decision that could create.
    async fn fresh_status(&self) -> Result<WebhookStatus, ReconcileError>;
    /// Another live object ("namespace/name") whose status records remote webhook `id`.
    fn claimed_by(&self, id: &str) -> Option<String>;
}

/// What converging needs besides the status.
#[derive(Clone, Copy)]
pub struct Inputs<'a> {
    /// Where the webhook lives in the provider account (`providers::Target::scope`).
    pub scope: &'a str,
    pub desired: &'a DesiredWebhook,
    /// `applied_hash` of `desired`.
    pub hash: &'a str,
    /// The id in the external-id annotation, if any (set by a user or `hookwright import` to
    /// adopt an existing webhook).
    pub annotated_id: Option<&'a str>,
    /// A new `reconcile-requested-at` value, or the drift sweep, asks for a read-back now.
    pub read_back: bool,
}

/// What a successful sync did.
pub struct Synced {
    pub id: String,
    /// Where the webhook lives (the scope it was synced in), for `status.location`.
    pub location: String,
    pub hash: String,
    /// Stable reason: Created, Updated, UpToDate, DriftRepaired, Recreated, Adopted, Recovered.
    pub reason: &'static str,
    /// The remote side was read or written in this reconcile (so `lastSyncedAt` moves).
    pub confirmed: bool,
    /// Event text when something changed.
    pub note: Option<String>,
    /// What was pushed (for a test delivery).
    pub desired: DesiredWebhook,
}

impl Synced {
    fn of(input: &Inputs<'_>, id: String, reason: &'static str, confirmed: bool, note: Option<String>) -> Self {
        Synced {
            id,
            location: input.scope.to_string(),
            hash: input.hash.to_string(),
            reason,
            confirmed,
            note,
            desired: input.desired.clone(),
        }
    }
}

/// No id yet → adopt the annotated webhook, recover an interrupted create, or create; have an
/// id → one PUT when something changed, and on the drift check read back, repair or re-create.
/// Leaves in `status` the create marker and the id as soon as they exist.
///
/// One object, one remote webhook: no POST is ever decided from the cache alone (the status
/// is read fresh first), a POST whose outcome is unknown is found by listing before any other
/// POST, and a webhook another object owns is never adopted.
pub async fn converge(
    api: &dyn WebhookApi,
    checkpoint: &dyn Checkpoint,
    input: Inputs<'_>,
    status: &mut WebhookStatus,
) -> Result<Synced, ReconcileError> {
    let Inputs { scope, desired, hash, annotated_id, read_back } = input;
    let synced = |id, reason, confirmed, note| Synced::of(&input, id, reason, confirmed, note);
    let record = Record { checkpoint, hash };

    // 5. No id yet. The cache may lag our own writes. A brand-new object (no id, marker or
    // annotated id in view) goes straight to the create, whose marker write holds only if the
    // object is still the one in view, and falls back to a fresh read if it is not. Anything
    // else is read fresh from the apiserver first.
    let brand_new = status.webhook_id.is_none() && status.create_pending_since.is_none() && annotated_id.is_none();
    if status.webhook_id.is_none() && !brand_new {
        *status = checkpoint.fresh_status().await?;
    }
    let id = match (status.webhook_id.clone(), annotated_id) {
        (Some(id), _) => id,
        (None, Some(id)) => match checkpoint.claimed_by(id) {
            Some(owner) => return Err(ReconcileError::AdoptionConflict { id: id.to_string(), owner }),
            None => id.to_string(),
        },
        (None, None) => {
            return match create_once(api, &record, scope, desired, status).await {
                Ok((id, reason, note)) => Ok(synced(id, reason, true, Some(note))),
                Err(ReconcileError::StaleView) if brand_new => {
                    *status = checkpoint.fresh_status().await?;
                    Box::pin(converge(api, checkpoint, input, status)).await
                }
                Err(e) => Err(e),
            };
        }
    };

    // 6. Have an id: push changes with one PUT; on the drift check, read back and repair.
    let adopting = status.webhook_id.is_none();
    let changed = status.applied_hash.as_deref() != Some(hash);
    let drift_due = adopting || read_back;
    if !drift_due && !changed {
        return Ok(synced(id, "UpToDate", false, None));
    }
    if !drift_due {
        return match api.update(scope, &id, desired, None).await {
            Ok(_) => Ok(synced(id.clone(), "Updated", true, Some(format!("updated remote webhook {id}")))),
            Err(ApiError::NotFound) => recreate(api, checkpoint, input, status, &id).await,
            Err(e) => Err(e.into()),
        };
    }
    let remote = match api.observe(scope, &id).await {
        Ok(r) => r,
        Err(ApiError::NotFound) => return recreate(api, checkpoint, input, status, &id).await,
        Err(e) => return Err(e.into()),
    };
    if adopting {
        status.webhook_id = Some(id.clone());
    }
    // What the provider says about suspension (some suspend failing webhooks): shown in status; one that should
    // deliver is unsuspended below, one that should not is left as it is.
    status.suspended_at = remote.suspended.then(|| remote.suspended_at.clone().unwrap_or_default());
    if desired.matches(&remote) {
        let note = adopting.then(|| format!("adopted remote webhook {id}; it already equals the spec"));
        return Ok(synced(id, if adopting { "Adopted" } else { "UpToDate" }, true, note));
    }
    let fields = desired.drifted_fields(&remote).join(", ");
    api.update(scope, &id, desired, Some(&remote)).await?;
    if desired.needs_unsuspend(&remote) {
        status.suspended_at = None;
        let since = remote.suspended_at.as_deref().unwrap_or("an unknown time");
        let note =
            format!("remote webhook {id} was suspended by the provider (since {since}); unsuspended it ({fields})");
        return Ok(synced(id, "Unsuspended", true, Some(note)));
    }
    let (reason, note) = match (adopting, changed) {
        (true, _) => ("Adopted", format!("adopted remote webhook {id} and updated {fields}")),
        (false, true) => ("Updated", format!("updated remote webhook {id}")),
        (false, false) => {
            ("DriftRepaired", format!("remote webhook {id} was changed outside hookwright ({fields}); restored it"))
        }
    };
    Ok(synced(id, reason, true, Some(note)))
}

struct Record<'a> {
    checkpoint: &'a dyn Checkpoint,
    /// `applied_hash` of what the create (or the recovery's update) pushed.
    hash: &'a str,
}

impl Record<'_> {
    /// Sets the id in `status`. The remote webhook has just been written with the desired
    /// state, so the hash and the confirmation time go with it: a reconcile that reads this
    /// status next has nothing to check. `apply` writes it at once; until then the create
    /// marker lets a restarted operator find the webhook instead of creating another.
    fn id(&self, status: &mut WebhookStatus, id: &str) {
        status.webhook_id = Some(id.to_string());
        status.applied_hash = Some(self.hash.to_string());
        status.last_synced_at = Some(jiff::Timestamp::now().to_string());
        status.clear_pending_create();
    }
}

/// Creates the remote webhook at most once. `status` is fresh from the apiserver: when its
/// marker says a create may already have been sent, the webhook that create made is looked for
/// (and adopted) before anything is POSTed.
async fn create_once(
    api: &dyn WebhookApi,
    record: &Record<'_>,
    scope: &str,
    desired: &DesiredWebhook,
    status: &mut WebhookStatus,
) -> Result<(String, &'static str, String), ReconcileError> {
    if status.create_pending_since.is_some() {
        let unclaimed = |id: &str| record.checkpoint.claimed_by(id).is_none();
        if let Some(found) = find_pending_create(api, scope, status, (&desired.name, &desired.url), unclaimed).await? {
            let remote = api.observe(scope, &found).await?;
            if !desired.matches(&remote) {
                api.update(scope, &found, desired, Some(&remote)).await?;
            }
            record.id(status, &found);
            let note = format!("found remote webhook {found} from an interrupted create and adopted it");
            return Ok((found, "Recovered", note));
        }
    }
    let id = create(api, record, scope, desired, status).await?;
    let note = format!("created remote webhook {id}");
    Ok((id, "Created", note))
}

/// The remote webhook an interrupted create made: the scope's webhooks (all pages) matched on
/// the name and URL that create sent, as recorded with the marker (`fallback` for markers
/// written without them), skipping webhooks that another object owns. Used by converge and by
/// deletion.
pub async fn find_pending_create(
    api: &dyn WebhookApi,
    scope: &str,
    status: &WebhookStatus,
    fallback: (&str, &str),
    unclaimed: impl Fn(&str) -> bool,
) -> Result<Option<String>, ApiError> {
    let name = status.create_pending_name.as_deref().unwrap_or(fallback.0);
    let url = status.create_pending_url.as_deref().unwrap_or(fallback.1);
    let listed = api.list_named(scope, name).await?;
    Ok(listed.into_iter().find(|s| s.name == name && s.url == url && unclaimed(&s.id)).map(|s| s.id))
}

/// Marks the create as pending (durably, before sending, with the name and URL it sends),
/// POSTs once, and sets the id in `status`. A definite rejection clears the marker; an unknown
/// outcome (timeout, dropped connection, 5xx) keeps it so the next attempt lists first.
async fn create(
    api: &dyn WebhookApi,
    record: &Record<'_>,
    scope: &str,
    desired: &DesiredWebhook,
    status: &mut WebhookStatus,
) -> Result<String, ReconcileError> {
    status.create_pending_since = Some(jiff::Timestamp::now().to_string());
    status.create_pending_name = Some(desired.name.clone());
    status.create_pending_url = Some(desired.url.clone());
    record.checkpoint.save_create_marker(status).await?;
    match api.create(scope, desired).await {
        Ok(created) => {
            record.id(status, &created.id);
            Ok(created.id)
        }
        Err(e) => {
            if !outcome_unknown(&e) {
                status.clear_pending_create();
                // Best effort: a marker left behind costs the next attempt one list call.
                if let Err(clear) = record.checkpoint.save_create_marker(status).await {
                    tracing::debug!(error = %clear, "could not clear the create marker");
                }
            }
            Err(e.into())
        }
    }
}

/// The remote webhook `old` is gone (deleted outside hookwright): create it again, at most
/// once. The status is read fresh first: a lagging cache may name an id that an earlier
/// reconcile already replaced, and a marker from an earlier re-create whose answer was lost
/// must be honoured.
async fn recreate(
    api: &dyn WebhookApi,
    checkpoint: &dyn Checkpoint,
    input: Inputs<'_>,
    status: &mut WebhookStatus,
    old: &str,
) -> Result<Synced, ReconcileError> {
    let fresh = checkpoint.fresh_status().await?;
    if fresh.webhook_id.as_deref().is_some_and(|id| id != old) {
        *status = fresh;
        return Box::pin(converge(api, checkpoint, input, status)).await;
    }
    *status = fresh;
    status.webhook_id = None;
    let record = Record { checkpoint, hash: input.hash };
    let (new, reason, note) = create_once(api, &record, input.scope, input.desired, status).await?;
    let (reason, note) = match reason {
        "Created" => ("Recreated", format!("remote webhook {old} was deleted outside hookwright; created {new}")),
        recovered => (recovered, note),
    };
    Ok(Synced::of(&input, new, reason, true, Some(note)))
}

/// Deletes the remote webhook this object owns: the one its status records, or, when a create
/// was interrupted before its id was recorded, the one that create made (list and match, as in
/// recovery; never a webhook another object owns). Never one the external-id annotation merely
/// names. 404 counts as done. The id deleted, or `None` when there was nothing to delete.
pub async fn delete(
    api: &dyn WebhookApi,
    checkpoint: &dyn Checkpoint,
    scope: &str,
    status: &WebhookStatus,
    fallback: (&str, &str),
) -> Result<Option<String>, ReconcileError> {
    let id = match &status.webhook_id {
        Some(id) => id.clone(),
        None if status.create_pending_since.is_some() => {
            let unclaimed = |id: &str| checkpoint.claimed_by(id).is_none();
            match find_pending_create(api, scope, status, fallback, unclaimed).await? {
                Some(id) => id,
                None => return Ok(None),
            }
        }
        None => return Ok(None),
    };
    match api.delete(scope, &id).await {
        Ok(()) | Err(ApiError::NotFound) => Ok(Some(id)),
        Err(e) => Err(e.into()),
    }
}

/// The request may or may not have been carried out.
fn outcome_unknown(e: &ApiError) -> bool {
    matches!(
        e,
        ApiError::Timeout
            | ApiError::Transport(_)
            | ApiError::Server { .. }
            | ApiError::Decode
            | ApiError::TooLarge { .. }
            | ApiError::Unexpected { .. }
    )
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use secrecy::SecretString;

    use super::*;
    use crate::providers::Header;
    use crate::providers::desired::applied_hash;
    use crate::providers::fake::FakeApi;

    const APP: &str = "76ef1b0f-4050-4810-a159-cb419268636c";

    /// Records what would be written to the apiserver (create markers, and the status `apply`
    /// writes after each converge), and answers fresh reads with the last status written (or
    /// `apiserver`, what the apiserver held before this test's writes).
    #[derive(Default)]
    struct Saved {
        statuses: Mutex<Vec<WebhookStatus>>,
        /// What the reconcile last saw: the cached status it was given, a fresh read, or its
        /// own marker write (the real checkpoint keeps that object's resourceVersion).
        viewed: Mutex<Option<WebhookStatus>>,
        fresh_reads: std::sync::atomic::AtomicUsize,
        apiserver: WebhookStatus,
        /// Remote ids that other objects own.
        others: Vec<String>,
    }

    impl Saved {
        fn holding(apiserver: WebhookStatus) -> Self {
            Saved { apiserver, ..Default::default() }
        }

        fn current(&self) -> WebhookStatus {
            self.statuses.lock().unwrap().last().cloned().unwrap_or_else(|| self.apiserver.clone())
        }
    }

    #[async_trait::async_trait]
    impl Checkpoint for Saved {
        async fn save_create_marker(&self, status: &WebhookStatus) -> Result<(), ReconcileError> {
            // The apiserver's precondition: the write holds only on the object last seen.
            if self.viewed.lock().unwrap().as_ref() != Some(&self.current()) {
                return Err(ReconcileError::StaleView);
            }
            self.statuses.lock().unwrap().push(status.clone());
            *self.viewed.lock().unwrap() = Some(status.clone());
            Ok(())
        }
        async fn fresh_status(&self) -> Result<WebhookStatus, ReconcileError> {
            self.fresh_reads.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let current = self.current();
            *self.viewed.lock().unwrap() = Some(current.clone());
            Ok(current)
        }
        fn claimed_by(&self, id: &str) -> Option<String> {
            self.others.iter().any(|o| o == id).then(|| "ns/other".to_string())
        }
    }

    fn desired(url: &str) -> DesiredWebhook {
        DesiredWebhook {
            name: "team_a hook".into(),
            url: url.into(),
            event_types: vec!["package.uploaded".into()],
            active: true,
            validation_secret: Some(SecretString::from("s".repeat(40))),
            headers: vec![Header { name: "X-Team".into(), value: SecretString::from("a") }],
            failure_handling: None,
        }
    }

    async fn run(
        api: &FakeApi,
        saved: &Saved,
        d: &DesiredWebhook,
        status: &mut WebhookStatus,
        annotated: Option<&str>,
        resync: bool,
    ) -> Result<Synced, ReconcileError> {
        let hash = applied_hash(d);
        let input = Inputs { scope: APP, desired: d, hash: &hash, annotated_id: annotated, read_back: resync };
        *saved.viewed.lock().unwrap() = Some(status.clone());
        let result = converge(api, saved, input, status).await;
        // `apply` writes the status whatever the outcome.
        saved.statuses.lock().unwrap().push(status.clone());
        result
    }

    /// Status as `apply` leaves it after a success.
    fn settle(status: &mut WebhookStatus, s: &Synced) {
        status.webhook_id = Some(s.id.clone());
        status.applied_hash = Some(s.hash.clone());
        if s.confirmed {
            status.last_synced_at = Some(jiff::Timestamp::now().to_string());
        }
    }

    #[tokio::test]
    async fn create_marks_pending_before_posting_and_leaves_the_id_for_the_status_write() {
        let (api, saved, mut status) = (FakeApi::default(), Saved::default(), WebhookStatus::default());
        let s = run(&api, &saved, &desired("https://a"), &mut status, None, false).await.unwrap();
        assert_eq!((s.reason, api.calls("create")), ("Created", 1));
        let statuses = saved.statuses.lock().unwrap();
        assert_eq!(statuses.len(), 2, "one marker, one status: no other write");
        assert!(statuses[0].create_pending_since.is_some() && statuses[0].webhook_id.is_none());
        assert_eq!(statuses[1].webhook_id.as_deref(), Some(s.id.as_str()));
        assert!(statuses[1].create_pending_since.is_none() && statuses[1].last_synced_at.is_some());
    }

    /// A brand-new object is created without a fresh read: the marker write is conditional on
    /// the object in view. From a stale view, that write fails and one fresh read settles it.
    #[tokio::test]
    async fn a_brand_new_object_needs_no_fresh_read_and_a_stale_view_never_posts_twice() {
        let (api, saved) = (FakeApi::default(), Saved::default());
        let d = desired("https://a");
        let s = run(&api, &saved, &d, &mut WebhookStatus::default(), None, false).await.unwrap();
        assert_eq!((s.reason, saved.fresh_reads.load(std::sync::atomic::Ordering::SeqCst)), ("Created", 0));
        let again = run(&api, &saved, &d, &mut WebhookStatus::default(), None, false).await.unwrap();
        assert_eq!((again.reason, again.id), ("UpToDate", s.id));
        assert_eq!((api.calls("create"), saved.fresh_reads.load(std::sync::atomic::Ordering::SeqCst)), (1, 1));
    }

    #[tokio::test]
    async fn nothing_changed_costs_no_call_and_a_change_costs_one_put() {
        let (api, saved, mut status) = (FakeApi::default(), Saved::default(), WebhookStatus::default());
        let s = run(&api, &saved, &desired("https://a"), &mut status, None, false).await.unwrap();
        settle(&mut status, &s);
        let again = run(&api, &saved, &desired("https://a"), &mut status, Some(&s.id), false).await.unwrap();
        assert_eq!((again.reason, again.confirmed), ("UpToDate", false));
        assert_eq!(api.calls("get") + api.calls("update") + api.calls("create"), 1);
        let edited = run(&api, &saved, &desired("https://b"), &mut status, Some(&s.id), false).await.unwrap();
        assert_eq!((edited.reason, api.calls("update"), api.calls("get")), ("Updated", 1, 0));
        assert_eq!(api.stored(APP, &s.id).unwrap().url, "https://b");
    }

    #[tokio::test]
    async fn resync_reads_back_and_repairs_drift() {
        let (api, saved, mut status) = (FakeApi::default(), Saved::default(), WebhookStatus::default());
        let d = desired("https://a");
        let s = run(&api, &saved, &d, &mut status, None, false).await.unwrap();
        settle(&mut status, &s);
        let ok = run(&api, &saved, &d, &mut status, Some(&s.id), true).await.unwrap();
        assert_eq!((ok.reason, api.calls("get"), api.calls("update")), ("UpToDate", 1, 0));
        // A portal edit: the next read-back restores it with one PUT and names the field.
        api.update(APP, &s.id, &desired("https://elsewhere"), None).await.unwrap();
        let fixed = run(&api, &saved, &d, &mut status, Some(&s.id), true).await.unwrap();
        assert_eq!(fixed.reason, "DriftRepaired");
        assert!(fixed.note.unwrap().contains("(spec.url)"));
        assert_eq!(api.stored(APP, &s.id).unwrap().url, "https://a");
    }

    #[tokio::test]
    async fn remote_delete_is_recreated() {
        let (api, saved, mut status) = (FakeApi::default(), Saved::default(), WebhookStatus::default());
        let d = desired("https://a");
        let s = run(&api, &saved, &d, &mut status, None, false).await.unwrap();
        settle(&mut status, &s);
        api.delete(APP, &s.id).await.unwrap();
        let r = run(&api, &saved, &d, &mut status, Some(&s.id), true).await.unwrap();
        assert_eq!(r.reason, "Recreated");
        assert_ne!(r.id, s.id);
        assert_eq!(api.count(APP), 1);
    }

    #[tokio::test]
    async fn adoption_reads_then_puts_once_and_never_creates() {
        let (api, saved, mut status) = (FakeApi::default(), Saved::default(), WebhookStatus::default());
        let existing = api.create(APP, &desired("https://portal")).await.unwrap();
        let r = run(&api, &saved, &desired("https://a"), &mut status, Some(&existing.id), false).await.unwrap();
        assert_eq!((r.reason, r.id.as_str()), ("Adopted", existing.id.as_str()));
        assert_eq!((api.calls("create"), api.calls("get"), api.calls("update")), (1, 1, 1));
    }

    #[tokio::test]
    async fn lost_create_is_recovered_by_listing_not_by_posting_again() {
        let api = FakeApi::default();
        let d = desired("https://a");
        // The POST happened, but its answer was lost; the apiserver holds the marker.
        api.create(APP, &d).await.unwrap();
        let saved = Saved::holding(pending(&d));
        let mut status = WebhookStatus::default();
        let r = run(&api, &saved, &d, &mut status, None, false).await.unwrap();
        assert_eq!(r.reason, "Recovered");
        assert_eq!((api.calls("create"), api.count(APP)), (1, 1));
    }

    /// The marker as `create` writes it before sending `d`.
    fn pending(d: &DesiredWebhook) -> WebhookStatus {
        WebhookStatus {
            create_pending_since: Some("2026-01-01T00:00:00Z".into()),
            create_pending_name: Some(d.name.clone()),
            create_pending_url: Some(d.url.clone()),
            ..Default::default()
        }
    }

    /// Hole 0/2 of issue 11: the cache (the status handed in) lags the apiserver, which
    /// already records the id; nothing is created.
    #[tokio::test]
    async fn a_stale_cache_without_the_id_never_creates() {
        let api = FakeApi::default();
        let d = desired("https://a");
        let existing = api.create(APP, &d).await.unwrap();
        let hash = applied_hash(&d);
        let apiserver = WebhookStatus {
            webhook_id: Some(existing.id.clone()),
            applied_hash: Some(hash),
            last_synced_at: Some(jiff::Timestamp::now().to_string()),
            ..Default::default()
        };
        let saved = Saved::holding(apiserver);
        let mut cached = WebhookStatus::default();
        let r = run(&api, &saved, &d, &mut cached, None, false).await.unwrap();
        assert_eq!((r.reason, r.id.as_str()), ("UpToDate", existing.id.as_str()));
        assert_eq!((api.calls("create"), api.calls("list")), (1, 0), "no second POST, no LIST");
    }

    /// The reconcile right after a create, from a cache that has not seen the create's status
    /// writes (a Secret or annotation trigger): the fresh status says it all, no remote call.
    #[tokio::test]
    async fn the_reconcile_after_a_create_costs_no_call_even_from_a_stale_cache() {
        let (api, saved) = (FakeApi::default(), Saved::default());
        let d = desired("https://a");
        run(&api, &saved, &d, &mut WebhookStatus::default(), None, false).await.unwrap();
        let r = run(&api, &saved, &d, &mut WebhookStatus::default(), None, false).await.unwrap();
        assert_eq!(r.reason, "UpToDate");
        let calls = (api.calls("create"), api.calls("get"), api.calls("list"), api.calls("update"));
        assert_eq!(calls, (1, 0, 0, 0));
    }

    /// Hole 2: the marker is in the apiserver but not yet in the cache: list, never POST.
    #[tokio::test]
    async fn a_marker_the_cache_has_not_seen_still_prevents_a_second_post() {
        let api = FakeApi::default();
        let d = desired("https://a");
        api.create(APP, &d).await.unwrap();
        let saved = Saved::holding(pending(&d));
        let r = run(&api, &saved, &d, &mut WebhookStatus::default(), None, false).await.unwrap();
        assert_eq!(r.reason, "Recovered");
        assert_eq!(api.calls("create"), 1);
    }

    /// Hole 1: a re-create whose answer is lost is recovered by listing, although the stale
    /// annotation still names the deleted webhook.
    #[tokio::test]
    async fn a_lost_recreate_is_recovered_not_repeated() {
        let (api, saved, mut status) = (FakeApi::default(), Saved::default(), WebhookStatus::default());
        let d = desired("https://a");
        let s = run(&api, &saved, &d, &mut status, None, false).await.unwrap();
        settle(&mut status, &s);
        let stale = status.clone();
        api.delete(APP, &s.id).await.unwrap();
        api.lose_create_answers(true);
        assert!(run(&api, &saved, &d, &mut status, Some(&s.id), true).await.is_err());
        api.lose_create_answers(false);
        // The cache still shows the deleted id (and the annotation names it): found, not re-sent.
        let mut cached = stale.clone();
        let r = run(&api, &saved, &d, &mut cached, Some(&s.id), true).await.unwrap();
        assert_eq!(r.reason, "Recovered");
        // The cache shows nothing at all: the fresh read has the recovered id.
        let again = run(&api, &saved, &d, &mut WebhookStatus::default(), Some(&s.id), false).await.unwrap();
        assert_eq!(again.id, r.id);
        assert_eq!((api.calls("create"), api.count(APP)), (2, 1));
    }

    /// Hole 3: the spec changes between the lost POST and the recovery; the webhook is found
    /// by what was sent, then brought to the new spec.
    #[tokio::test]
    async fn recovery_matches_what_was_sent_not_the_current_spec() {
        let api = FakeApi::default();
        let sent = desired("https://a");
        api.create(APP, &sent).await.unwrap();
        let saved = Saved::holding(pending(&sent));
        let mut edited = desired("https://b");
        edited.name = "renamed".into();
        let r = run(&api, &saved, &edited, &mut WebhookStatus::default(), None, false).await.unwrap();
        assert_eq!(r.reason, "Recovered");
        assert_eq!((api.calls("create"), api.calls("update")), (1, 1));
        assert_eq!(api.stored(APP, &r.id).unwrap().url, "https://b");
    }

    /// Holes 3 and 4: a webhook another object owns is never adopted, by recovery or by the
    /// annotation.
    #[tokio::test]
    async fn a_webhook_owned_by_another_object_is_never_taken() {
        let api = FakeApi::default();
        let d = desired("https://a");
        let theirs = api.create(APP, &d).await.unwrap();
        let saved = Saved { others: vec![theirs.id.clone()], ..Saved::holding(pending(&d)) };
        let r = run(&api, &saved, &d, &mut WebhookStatus::default(), None, false).await.unwrap();
        assert_eq!(r.reason, "Created", "the same name and URL, but not ours");
        assert_ne!(r.id, theirs.id);

        let saved = Saved { others: vec![theirs.id.clone()], ..Saved::default() };
        let err = run(&api, &saved, &d, &mut WebhookStatus::default(), Some(&theirs.id), false).await.err().unwrap();
        assert_eq!(err.reason(), "AdoptionConflict");
        assert!(err.to_string().contains("ns/other"), "{err}");
        assert_eq!(api.calls("update"), 0);
    }

    #[tokio::test]
    async fn create_marker_survives_unknown_outcomes_only() {
        let (api, saved) = (FakeApi::default(), Saved::default());
        let mut status = WebhookStatus::default();
        api.fail_next(ApiError::Timeout);
        assert!(run(&api, &saved, &desired("https://a"), &mut status, None, false).await.is_err());
        assert!(status.create_pending_since.is_some(), "a timed-out POST may have happened");
        let (saved, mut status) = (Saved::default(), WebhookStatus::default());
        api.fail_next(ApiError::Invalid(vec![]));
        assert!(run(&api, &saved, &desired("https://a"), &mut status, None, false).await.is_err());
        assert!(status.create_pending_since.is_none(), "a 400 created nothing");
    }

    // --- delete ---

    #[tokio::test]
    async fn delete_removes_the_recorded_webhook_once_and_404_counts_as_done() {
        let (api, saved, mut status) = (FakeApi::default(), Saved::default(), WebhookStatus::default());
        let d = desired("https://a");
        let s = run(&api, &saved, &d, &mut status, None, false).await.unwrap();
        settle(&mut status, &s);
        let gone = delete(&api, &saved, APP, &status, (&d.name, &d.url)).await.unwrap();
        assert_eq!(
            (gone.as_deref(), api.calls("delete"), api.calls("list"), api.count(APP)),
            (Some(s.id.as_str()), 1, 0, 0)
        );
        // Already gone (deleted in the portal, or by the last attempt whose answer was lost).
        let again = delete(&api, &saved, APP, &status, (&d.name, &d.url)).await.unwrap();
        assert_eq!((again, api.calls("delete")), (Some(s.id.clone()), 2));
    }

    #[tokio::test]
    async fn delete_without_an_id_finds_what_an_interrupted_create_made() {
        let (api, saved) = (FakeApi::default(), Saved::default());
        let d = desired("https://a");
        api.lose_create_answers(true);
        let mut status = WebhookStatus::default();
        assert!(run(&api, &saved, &d, &mut status, None, false).await.is_err());
        assert!(status.webhook_id.is_none() && status.create_pending_since.is_some());
        let gone = delete(&api, &saved, APP, &status, (&d.name, &d.url)).await.unwrap();
        assert!(gone.is_some());
        assert_eq!((api.calls("list"), api.calls("delete"), api.count(APP)), (1, 1, 0));
    }

    #[tokio::test]
    async fn delete_never_touches_what_it_cannot_prove_is_its_own() {
        let (api, saved) = (FakeApi::default(), Saved::default());
        let d = desired("https://a");
        // No id and no marker: nothing was ever created, so nothing is listed or deleted.
        let nothing = delete(&api, &saved, APP, &WebhookStatus::default(), (&d.name, &d.url)).await.unwrap();
        assert_eq!((nothing, api.calls("list"), api.calls("delete")), (None, 0, 0));
        // A marker, and a webhook with the same name and URL that another object owns.
        let other = api.create(APP, &d).await.unwrap();
        let saved = Saved { others: vec![other.id.clone()], ..Default::default() };
        let found = delete(&api, &saved, APP, &pending(&d), (&d.name, &d.url)).await.unwrap();
        assert_eq!((found, api.calls("list"), api.calls("delete"), api.count(APP)), (None, 1, 0, 1));
    }

    // --- suspension by the provider ---

    #[tokio::test]
    async fn a_suspended_webhook_is_unsuspended_when_it_should_deliver_and_left_alone_when_not() {
        let (api, saved, mut status) = (FakeApi::default(), Saved::default(), WebhookStatus::default());
        let d = desired("https://a");
        let s = run(&api, &saved, &d, &mut status, None, false).await.unwrap();
        settle(&mut status, &s);
        api.suspend(APP, &s.id, "2026-12-01T10:00:00Z");
        let fixed = run(&api, &saved, &d, &mut status, Some(&s.id), true).await.unwrap();
        assert_eq!((fixed.reason, api.calls("update")), ("Unsuspended", 1));
        assert!(fixed.note.unwrap().contains("since 2026-12-01T10:00:00Z"));
        assert_eq!(status.suspended_at, None);
        assert!(!api.stored(APP, &s.id).unwrap().suspended);
        // Spec says inactive: a suspension is shown, not undone.
        let mut off = desired("https://a");
        off.active = false;
        api.update(APP, &s.id, &off, None).await.unwrap();
        api.suspend(APP, &s.id, "2026-12-02T10:00:00Z");
        let calls = api.calls("update");
        let left = run(&api, &saved, &off, &mut status, Some(&s.id), true).await.unwrap();
        assert_eq!((left.reason, api.calls("update") - calls), ("UpToDate", 0));
        assert_eq!(status.suspended_at.as_deref(), Some("2026-12-02T10:00:00Z"));
    }
}
