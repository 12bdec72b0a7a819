//! A typical Webhook, as JSON: what the controller's cache compresses each object against
//! (`controller/cached.rs`). The closer it is to real objects, the smaller they are cached; any
//! Webhook still round-trips.
use super::{CREATE_INTENT_ANNOTATION, FINALIZER, Webhook};

/// The JSON of a Ready Mendix Webhook with placeholder ids and times, in the key order the
/// `Webhook` type serializes (empty if the sample stops deserializing: a test catches that).
pub fn typical_webhook_json() -> Vec<u8> {
    let condition = |kind: &str| {
        serde_json::json!({"lastTransitionTime": "2026-01-01T00:00:00Z",
            "message": "remote webhook mxep_0000000000000000000000000000 equals the spec",
            "observedGeneration": 1, "reason": "Created", "status": "True", "type": kind})
    };
    let typical = serde_json::json!({
        "apiVersion": "hookwright.dev/v1alpha1", "kind": "Webhook",
        "metadata": {
            "annotations": {CREATE_INTENT_ANNOTATION:
                r#"{"since":"2026-01-01T00:00:00.000000000Z","name":"default hook 00000000","url":"https://"}"#},
            "creationTimestamp": "2026-01-01T00:00:00Z",
            "finalizers": [FINALIZER], "generation": 1},
        "spec": {"active": true, "deletionPolicy": "Delete", "eventTypes": ["package.uploaded"],
            "headers": [], "mendix": {"appId": "00000000-0000-0000-0000-000000000000"},
            "providerRef": {"kind": "WebhookProvider", "name": "mendix"}, "suspend": false,
            "url": "https://receiver.example.com/"},
        "status": {"appliedHash": "0000000000000000", "conditions": [condition("Ready"), condition("Synced")],
            "lastSyncedAt": "2026-01-01T00:00:00.000000000Z", "location": "00000000-0000-0000-0000-000000000000",
            "observedGeneration": 1, "webhookId": "mxep_0000000000000000000000000000"}
    });
    serde_json::from_value::<Webhook>(typical).and_then(|wh| serde_json::to_vec(&wh)).unwrap_or_default()
}
