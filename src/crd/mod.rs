//! Custom resource types of the `hookwright.dev/v1alpha1` API: `Webhook`, `WebhookProvider`
//! and `ClusterWebhookProvider`. Pure data: no I/O here. Validation that needs no I/O lives in
//! the schema (OpenAPI and CEL rules), so the apiserver rejects bad objects at apply time.
mod common;
mod provider;
mod reference;
mod typical;
mod webhook;

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::CustomResourceExt;

pub use common::{ClusterSecretKeyRef, Condition, DeletionPolicy, ProviderKind, ProviderRef, SecretKeyRef};
pub use provider::{
    ClusterMendixProvider, ClusterSocotraProvider, ClusterWebhookProvider, ClusterWebhookProviderSpec,
    MENDIX_DEFAULT_BASE_URL, MendixProvider, ProviderStatus, SocotraProvider, WebhookProvider, WebhookProviderSpec,
};
pub use reference::api_reference_markdown;
pub use typical::typical_webhook_json;
pub use webhook::{
    FailureHandling, HeaderSpec, HeaderValue, HeaderValueSource, MENDIX_RESERVED_HEADER_NAMES,
    MENDIX_RESERVED_HEADER_PREFIXES, MendixTarget, RetryStrategy, SocotraTarget, Webhook, WebhookSpec, WebhookStatus,
    is_reserved_header_name,
};

/// API group of all hookwright resources.
pub const GROUP: &str = "hookwright.dev";
/// API version of all hookwright resources.
pub const VERSION: &str = "v1alpha1";

/// Annotation naming an existing remote webhook id to adopt instead of creating one (set by a
/// user or by `hookwright import`; the operator records the ids it creates in status).
pub const EXTERNAL_ID_ANNOTATION: &str = "hookwright.dev/external-id";
/// Written (with the finalizer) just before a create is sent: when, remote name and URL as JSON.
pub const CREATE_INTENT_ANNOTATION: &str = "hookwright.dev/create-intent";
/// Annotation whose every new value forces a full resync now.
pub const RECONCILE_REQUESTED_ANNOTATION: &str = "hookwright.dev/reconcile-requested-at";
/// Annotation whose every new value requests one signed test delivery.
pub const TEST_DELIVERY_ANNOTATION: &str = "hookwright.dev/test-delivery-requested-at";
/// Finalizer guarding the remote webhook's deletion.
pub const FINALIZER: &str = "hookwright.dev/cleanup";

/// Condition type: the remote webhook equals the spec (also the provider's readiness).
pub const CONDITION_READY: &str = "Ready";
/// Condition type: outcome of the last reconcile (the printer column `Reason` shows its reason).
pub const CONDITION_SYNCED: &str = "Synced";
/// Condition type: result of the last test delivery.
pub const CONDITION_DELIVERED: &str = "Delivered";

/// The three CustomResourceDefinitions, in a stable order: Webhook, WebhookProvider,
/// ClusterWebhookProvider.
///
/// Schema descriptions come from doc comments; their line breaks are joined into one line per
/// paragraph so `kubectl explain` can wrap the text to the terminal.
pub fn all_crds() -> Vec<CustomResourceDefinition> {
    [Webhook::crd(), WebhookProvider::crd(), ClusterWebhookProvider::crd()]
        .into_iter()
        .map(unwrap_descriptions)
        .collect()
}

fn unwrap_descriptions(crd: CustomResourceDefinition) -> CustomResourceDefinition {
    fn walk(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Object(map) => {
                for (k, child) in map.iter_mut() {
                    match child {
                        serde_json::Value::String(text) if k == "description" => *text = unwrap_paragraphs(text),
                        _ => walk(child),
                    }
                }
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(walk),
            _ => {}
        }
    }
    #[allow(clippy::expect_used, reason = "generation of our own CRDs at build time, not reachable from input")]
    let mut value = serde_json::to_value(&crd).expect("a CustomResourceDefinition serializes to JSON");
    walk(&mut value);
    #[allow(clippy::expect_used, reason = "generation of our own CRDs at build time, not reachable from input")]
    serde_json::from_value(value).expect("only descriptions changed")
}

/// Joins the lines of each paragraph (paragraphs are separated by blank lines) with spaces.
fn unwrap_paragraphs(text: &str) -> String {
    text.split("\n\n")
        .map(|para| para.lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// The CRDs as one multi-document YAML stream (documents separated by `---`), as printed by
/// `hookwright crd` and split into `crds/` by `make crds`.
pub fn all_crds_yaml() -> String {
    all_crds()
        .iter()
        .map(|crd| {
            #[allow(clippy::expect_used, reason = "generation of our own CRDs at build time, not reachable from input")]
            serde_yaml_ng::to_string(crd).expect("a CustomResourceDefinition serializes to YAML")
        })
        .collect::<Vec<_>>()
        .join("---\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use kube::Resource;

    #[test]
    fn group_and_version_constants_match_the_derived_resources() {
        assert_eq!(Webhook::group(&()), GROUP);
        assert_eq!(WebhookProvider::group(&()), GROUP);
        assert_eq!(ClusterWebhookProvider::group(&()), GROUP);
        assert_eq!(Webhook::version(&()), VERSION);
        for annotation in [
            EXTERNAL_ID_ANNOTATION,
            CREATE_INTENT_ANNOTATION,
            RECONCILE_REQUESTED_ANNOTATION,
            TEST_DELIVERY_ANNOTATION,
            FINALIZER,
        ] {
            assert!(annotation.starts_with(&format!("{GROUP}/")), "{annotation}");
        }
    }

    #[test]
    fn paragraphs_are_unwrapped() {
        assert_eq!(unwrap_paragraphs("a\nb\n c\n\nd\ne"), "a b c\n\nd e");
        assert_eq!(unwrap_paragraphs("single line"), "single line");
    }

    #[test]
    fn yaml_has_three_documents_without_multiline_descriptions() {
        let yaml = all_crds_yaml();
        let docs: Vec<&str> = yaml.split("---\n").collect();
        assert_eq!(docs.len(), 3);
        for doc in docs {
            let crd: CustomResourceDefinition = serde_yaml_ng::from_str(doc).unwrap();
            assert_eq!(crd.spec.group, GROUP);
        }
        assert!(!yaml.contains("description: |"), "descriptions must be single-line paragraphs");
    }

    #[test]
    fn optional_fields_are_omitted_when_serialized() {
        let spec = WebhookSpec {
            provider_ref: ProviderRef { kind: ProviderKind::ClusterWebhookProvider, name: "mendix".into() },
            mendix: Some(MendixTarget { app_id: "76ef1b0f-4050-4810-a159-cb419268636c".into() }),
            url: "https://example.com/hook".into(),
            event_types: vec!["package.uploaded".into()],
            active: true,
            ..Default::default()
        };
        let json = serde_json::to_value(&spec).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "providerRef": {"kind": "ClusterWebhookProvider", "name": "mendix"},
                "mendix": {"appId": "76ef1b0f-4050-4810-a159-cb419268636c"},
                "url": "https://example.com/hook",
                "eventTypes": ["package.uploaded"],
                "active": true,
                "headers": [],
                "deletionPolicy": "Delete",
                "suspend": false,
            })
        );
        let status = serde_json::to_value(WebhookStatus::default()).unwrap();
        assert_eq!(status, serde_json::json!({}));
    }

    #[test]
    fn defaults_apply_when_deserializing() {
        let spec: WebhookSpec = serde_json::from_value(serde_json::json!({
            "providerRef": {"kind": "WebhookProvider", "name": "mendix"},
            "mendix": {"appId": "76ef1b0f-4050-4810-a159-cb419268636c"},
            "url": "https://example.com/hook",
            "eventTypes": ["package.uploaded"],
        }))
        .unwrap();
        assert!(spec.active);
        assert!(!spec.suspend);
        assert!(spec.headers.is_empty());
        assert_eq!(spec.deletion_policy, DeletionPolicy::Delete);
        let provider: WebhookProviderSpec =
            serde_json::from_value(serde_json::json!({"mendix": {"tokenSecretRef": {"name": "t", "key": "token"}}}))
                .unwrap();
        assert_eq!(provider.mendix.unwrap().base_url, MENDIX_DEFAULT_BASE_URL);
    }

    #[test]
    fn reserved_header_names_match_the_mendix_reference() {
        for name in
            ["User-Agent", "content-TYPE", "TE", "X-Amz-Date", "x-amzn-trace-id", "X-Google-Foo", "x-goog-x", "X-GFE-1"]
        {
            assert!(is_reserved_header_name(name), "{name}");
        }
        for name in ["X-Azure-Ref", "x-fd-id", "X-Svix-Id", "Svix-Signature"] {
            assert!(is_reserved_header_name(name), "{name}");
        }
        for name in ["Authorization", "X-Team", "X-Amz", "Tea", "Accept"] {
            assert!(!is_reserved_header_name(name), "{name}");
        }
    }
}
