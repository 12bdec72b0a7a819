//! Writing what happened: the Webhook's status (server-side apply, field manager `hookwright`)
//! and Kubernetes Events.
use kube::api::{Api, Patch, PatchParams};
use kube::runtime::events::{Event, EventType};
use kube::{Resource, ResourceExt};

use super::context::Context;
use crate::crd::{Webhook, WebhookStatus};

pub const FIELD_MANAGER: &str = "hookwright";

/// Replaces the status with `status` (we own every status field); returns the object written.
pub async fn status(ctx: &Context, wh: &Webhook, status: &WebhookStatus) -> Result<Webhook, kube::Error> {
    let api: Api<Webhook> = Api::namespaced(ctx.client.clone(), &wh.namespace().unwrap_or_default());
    let body = serde_json::json!({
        "apiVersion": "hookwright.dev/v1alpha1",
        "kind": "Webhook",
        "status": status,
    });
    api.patch_status(&wh.name_any(), &PatchParams::apply(FIELD_MANAGER).force(), &Patch::Apply(body)).await
}

/// Publishes an Event about `wh`; failures to publish are logged, never fatal.
pub async fn event(ctx: &Context, wh: &Webhook, warning: bool, reason: &str, action: &str, note: String) {
    let ev = Event {
        type_: if warning { EventType::Warning } else { EventType::Normal },
        reason: reason.into(),
        note: Some(note.chars().take(1000).collect()),
        action: action.into(),
        secondary: None,
    };
    if let Err(e) = ctx.recorder.publish(&ev, &wh.object_ref(&())).await {
        tracing::warn!(error = %e, reason, "could not publish Event");
    }
}
