//! The durable mark a create leaves before its POST: the `hookwright.dev/create-intent`
//! annotation (when, remote name, URL), written in the same JSON patch as the finalizer so a
//! create costs one metadata write instead of two (DESIGN §3). Kept on the object, not only in
//! status, so it also survives a status that is lost (a restore from a backup without status):
//! an object without a recorded id but with an intent lists before it creates.
//!
//! Pure: this module reads and builds; `reconcile` sends the patches.
use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::crd::{CREATE_INTENT_ANNOTATION, FINALIZER, WebhookStatus};

/// What a create is about to send: found again by name and URL if its answer is lost.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateIntent {
    pub since: String,
    pub name: String,
    pub url: String,
}

impl CreateIntent {
    /// The intent `status` carries in its `createPending*` fields (converge's working copy).
    pub fn of_status(status: &WebhookStatus) -> Option<Self> {
        Some(CreateIntent {
            since: status.create_pending_since.clone()?,
            name: status.create_pending_name.clone().unwrap_or_default(),
            url: status.create_pending_url.clone().unwrap_or_default(),
        })
    }

    /// The intent recorded in an object's annotations (a malformed value counts as an intent
    /// with unknown name and URL: listing first is the safe side).
    pub fn of_annotations(annotations: &BTreeMap<String, String>) -> Option<Self> {
        let raw = annotations.get(CREATE_INTENT_ANNOTATION)?;
        Some(serde_json::from_str(raw).unwrap_or_else(|_| CreateIntent {
            since: raw.clone(),
            name: String::new(),
            url: String::new(),
        }))
    }

    fn annotation_value(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// The status as recorded on the object: its status, with the create intent of its
/// annotation when that intent may not have been settled: the status has no marker of its own
/// (statuses written by older versions keep theirs) and no confirmation at or after the
/// intent (a create, or a re-create, whose id never reached status).
pub fn recorded_status(meta: &ObjectMeta, status: Option<&WebhookStatus>) -> WebhookStatus {
    let mut status = status.cloned().unwrap_or_default();
    let empty = BTreeMap::new();
    if status.create_pending_since.is_none()
        && let Some(intent) = CreateIntent::of_annotations(meta.annotations.as_ref().unwrap_or(&empty))
        && !settled(&intent, &status)
    {
        status.create_pending_since = Some(intent.since);
        status.create_pending_name = Some(intent.name).filter(|n| !n.is_empty());
        status.create_pending_url = Some(intent.url).filter(|u| !u.is_empty());
    }
    status
}

/// A confirmation (`lastSyncedAt`) at or after the intent: its create's id was recorded.
fn settled(intent: &CreateIntent, status: &WebhookStatus) -> bool {
    let parse = |t: &str| t.parse::<jiff::Timestamp>().ok();
    match (parse(&intent.since), status.last_synced_at.as_deref().and_then(parse)) {
        (Some(since), Some(confirmed)) => since <= confirmed,
        _ => false,
    }
}

pub fn has_finalizer(meta: &ObjectMeta) -> bool {
    meta.finalizers.iter().flatten().any(|f| f == FINALIZER)
}

/// A JSON patch that records `intent` (or, for `None`, removes a recorded one) and adds the
/// finalizer when `meta` lacks it. Guarded by the object's uid and resourceVersion, so it fails
/// rather than act on a view that is no longer current (the create it precedes is decided from
/// that view), and by the finalizer list and annotation map it extends.
pub fn patch(meta: &ObjectMeta, intent: Option<&CreateIntent>) -> Value {
    let mut ops = vec![
        json!({"op": "test", "path": "/metadata/uid", "value": meta.uid}),
        json!({"op": "test", "path": "/metadata/resourceVersion", "value": meta.resource_version}),
    ];
    if !has_finalizer(meta) {
        ops.push(json!({"op": "test", "path": "/metadata/finalizers", "value": meta.finalizers}));
        ops.push(match &meta.finalizers {
            Some(list) if !list.is_empty() => {
                json!({"op": "add", "path": "/metadata/finalizers/-", "value": FINALIZER})
            }
            _ => json!({"op": "add", "path": "/metadata/finalizers", "value": [FINALIZER]}),
        });
    }
    let key = CREATE_INTENT_ANNOTATION.replace('~', "~0").replace('/', "~1");
    let annotations = meta.annotations.as_ref();
    match (intent, annotations) {
        (Some(intent), Some(_)) => {
            ops.push(json!({"op": "add", "path": format!("/metadata/annotations/{key}"), "value": intent.annotation_value()}));
        }
        (Some(intent), None) => {
            ops.push(json!({"op": "test", "path": "/metadata/annotations", "value": null}));
            let map = json!({CREATE_INTENT_ANNOTATION: intent.annotation_value()});
            ops.push(json!({"op": "add", "path": "/metadata/annotations", "value": map}));
        }
        (None, Some(a)) if a.contains_key(CREATE_INTENT_ANNOTATION) => {
            ops.push(json!({"op": "remove", "path": format!("/metadata/annotations/{key}")}));
        }
        (None, _) => {}
    }
    Value::Array(ops)
}

/// Whether [`patch`] would change anything beyond its guards.
pub fn patch_needed(meta: &ObjectMeta, intent: Option<&CreateIntent>) -> bool {
    let recorded = meta.annotations.as_ref().and_then(CreateIntent::of_annotations);
    !has_finalizer(meta) || recorded.as_ref() != intent
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(finalizers: Option<Vec<&str>>, annotations: Option<Vec<(&str, &str)>>) -> ObjectMeta {
        ObjectMeta {
            uid: Some("u1".into()),
            resource_version: Some("7".into()),
            finalizers: finalizers.map(|f| f.into_iter().map(String::from).collect()),
            annotations: annotations.map(|a| a.into_iter().map(|(k, v)| (k.into(), v.into())).collect()),
            ..Default::default()
        }
    }

    fn intent() -> CreateIntent {
        CreateIntent { since: "2026-01-01T00:00:00Z".into(), name: "team hook".into(), url: "https://a".into() }
    }

    /// The apiserver's JSON patch treats a missing member as null in `test` (kube-runtime's
    /// finalizer patches rely on it); this crate is strict, so the documents spell out nulls.
    fn apply(mut doc: Value, patch: Value) -> Result<Value, json_patch::PatchError> {
        let p: json_patch::Patch = serde_json::from_value(patch).unwrap();
        json_patch::patch(&mut doc, &p).map(|()| doc)
    }

    #[test]
    fn one_patch_adds_the_finalizer_and_the_intent_to_a_bare_object() {
        let m = meta(None, None);
        let doc = json!({"metadata": {"uid": "u1", "resourceVersion": "7", "finalizers": null, "annotations": null}});
        let out = apply(doc, patch(&m, Some(&intent()))).unwrap();
        assert_eq!(out["metadata"]["finalizers"], json!([FINALIZER]));
        let back: ObjectMeta = serde_json::from_value(out["metadata"].clone()).unwrap();
        assert_eq!(CreateIntent::of_annotations(back.annotations.as_ref().unwrap()), Some(intent()));
        assert_eq!(recorded_status(&back, None).create_pending_url.as_deref(), Some("https://a"));
    }

    #[test]
    fn other_finalizers_and_annotations_are_kept() {
        let m = meta(Some(vec!["other/f"]), Some(vec![("a", "b")]));
        let doc = json!({"metadata": {"uid": "u1", "resourceVersion": "7", "finalizers": ["other/f"], "annotations": {"a": "b"}}});
        let out = apply(doc, patch(&m, Some(&intent()))).unwrap();
        assert_eq!(out["metadata"]["finalizers"], json!(["other/f", FINALIZER]));
        assert_eq!(out["metadata"]["annotations"]["a"], "b");
    }

    #[test]
    fn a_lagging_view_or_another_object_makes_the_patch_fail_instead_of_overwriting() {
        let m = meta(None, None);
        let newer = json!({"metadata": {"uid": "u1", "resourceVersion": "7", "finalizers": null, "annotations": {"set": "by someone"}}});
        assert!(apply(newer, patch(&m, Some(&intent()))).is_err());
        let finalized =
            json!({"metadata": {"uid": "u1", "resourceVersion": "7", "finalizers": ["x"], "annotations": null}});
        assert!(apply(finalized, patch(&m, Some(&intent()))).is_err());
        let recreated =
            json!({"metadata": {"uid": "u2", "resourceVersion": "7", "finalizers": null, "annotations": null}});
        assert!(apply(recreated, patch(&m, Some(&intent()))).is_err());
        let written_since =
            json!({"metadata": {"uid": "u1", "resourceVersion": "8", "finalizers": null, "annotations": null}});
        assert!(apply(written_since, patch(&m, Some(&intent()))).is_err(), "any write since the view");
    }

    #[test]
    fn clearing_removes_only_the_intent_and_is_needed_only_when_recorded() {
        let recorded = intent().annotation_value();
        let m = meta(Some(vec![FINALIZER]), Some(vec![(CREATE_INTENT_ANNOTATION, &recorded), ("a", "b")]));
        assert!(patch_needed(&m, None) && !patch_needed(&m, Some(&intent())));
        let doc = serde_json::to_value(&m).map(|v| json!({"metadata": v})).unwrap();
        let out = apply(doc, patch(&m, None)).unwrap();
        assert_eq!(out["metadata"]["annotations"], json!({"a": "b"}));
        assert_eq!(out["metadata"]["finalizers"], json!([FINALIZER]));
    }

    #[test]
    fn an_intent_counts_until_a_later_confirmation_settles_it() {
        let m = meta(Some(vec![FINALIZER]), Some(vec![(CREATE_INTENT_ANNOTATION, &intent().annotation_value())]));
        let confirmed = |at: &str| WebhookStatus {
            webhook_id: Some("old".into()),
            last_synced_at: Some(at.into()),
            ..Default::default()
        };
        let after = recorded_status(&m, Some(&confirmed("2026-01-01T00:00:01Z")));
        assert!(after.create_pending_since.is_none(), "the create it marked was recorded");
        let before = recorded_status(&m, Some(&confirmed("2025-12-31T23:59:59Z")));
        assert_eq!(before.create_pending_name.as_deref(), Some("team hook"), "a re-create whose id was lost");
        assert!(recorded_status(&m, None).create_pending_since.is_some(), "a status lost in a restore");
    }

    #[test]
    fn a_status_from_an_older_version_keeps_its_own_marker() {
        let m = meta(None, Some(vec![(CREATE_INTENT_ANNOTATION, "not json")]));
        let old = WebhookStatus { create_pending_since: Some("old".into()), ..Default::default() };
        assert_eq!(recorded_status(&m, Some(&old)).create_pending_since.as_deref(), Some("old"));
        let unknown = recorded_status(&m, None);
        assert_eq!((unknown.create_pending_since.as_deref(), unknown.create_pending_name), (Some("not json"), None));
    }
}
