//! `hookwright import`, the pure part: from remote webhooks (as a provider client returns them)
//! to ready-to-commit `Webhook` objects that adopt them, and the Secrets that hold what must not
//! be in a Webhook (validation secrets, header values). No I/O; the command is in
//! `src/cli/import.rs`. Everything here is deterministic, so two runs give the same bytes.
use std::collections::{BTreeMap, BTreeSet};

use secrecy::ExposeSecret;
use serde_json::{Value, json};

use crate::crd::{EXTERNAL_ID_ANNOTATION, FailureHandling, ProviderKind};
use crate::providers::{Flavor, RemoteWebhook};

/// Longest object name written (a DNS-1123 label, so it also fits a Secret name with a suffix).
const MAX_NAME: usize = 50;

/// What the imported objects refer to and how they are written.
#[derive(Clone, Debug)]
pub struct Settings {
    pub flavor: Flavor,
    pub provider_kind: ProviderKind,
    pub provider: String,
    /// Namespace of the Webhooks (and their Secrets).
    pub namespace: String,
    /// `Orphan` unless asked otherwise: an import must never put a webhook at risk.
    pub deletion_policy: String,
}

/// One remote webhook and where it lives (the Mendix app id or the Socotra tenant).
#[derive(Clone, Debug)]
pub struct Found {
    pub scope: String,
    pub remote: RemoteWebhook,
}

/// One imported webhook: its `Webhook` object, and the Secret with its secret values (absent
/// when there are none).
#[derive(Clone, Debug)]
pub struct Imported {
    pub name: String,
    pub remote_id: String,
    pub webhook: Value,
    pub secret: Option<SecretManifest>,
}

/// A Secret the Webhook refers to: name and string data (secret values; never printed).
#[derive(Clone, Debug)]
pub struct SecretManifest {
    pub name: String,
    pub data: BTreeMap<String, secrecy::SecretString>,
}

impl SecretManifest {
    /// The Secret as an object with `stringData` (for a 0600 file or a server-side apply).
    pub fn to_object(&self, namespace: &str) -> Value {
        let data: BTreeMap<&str, &str> = self.data.iter().map(|(k, v)| (k.as_str(), v.expose_secret())).collect();
        json!({
            "apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": self.name, "namespace": namespace,
                         "labels": {"app.kubernetes.io/managed-by": "hookwright-import"}},
            "type": "Opaque",
            "stringData": data,
        })
    }

    /// The keys (for telling the user what to provide), never the values.
    pub fn keys(&self) -> Vec<&str> {
        self.data.keys().map(String::as_str).collect()
    }
}

/// A DNS-1123 label from a remote name: lower case, runs of other characters as one `-`,
/// trimmed, at most [`MAX_NAME`]; `webhook` when nothing is left.
pub fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let out: String = out.trim_matches('-').chars().take(MAX_NAME).collect();
    let out = out.trim_end_matches('-').to_string();
    if out.is_empty() { "webhook".into() } else { out }
}

/// A Secret key for header `name` (its `i`-th value when there are several).
fn header_key(name: &str, i: Option<usize>) -> String {
    let base = format!("header-{}", slug(name));
    match i {
        Some(i) => format!("{base}-{}", i + 1),
        None => base,
    }
}

/// Object names for all `found`, in order: the slug of the remote name, or, where two remote
/// webhooks would share it, the slug plus a piece of the remote id. Stable between runs for the
/// same remote webhooks (`found` is sorted by scope and id first).
pub fn names(found: &[Found]) -> Vec<String> {
    let mut count: BTreeMap<String, usize> = BTreeMap::new();
    for f in found {
        *count.entry(slug(&f.remote.name)).or_default() += 1;
    }
    let mut taken = BTreeSet::new();
    found
        .iter()
        .map(|f| {
            let base = slug(&f.remote.name);
            let shared = count.get(&base).is_some_and(|n| *n > 1);
            let mut name = if shared { with_id(&base, &f.remote.id) } else { base };
            while !taken.insert(name.clone()) {
                name = with_id(&name, &f.remote.id);
            }
            name
        })
        .collect()
}

fn with_id(base: &str, id: &str) -> String {
    let tail: String = slug(id).chars().rev().take(8).collect::<Vec<_>>().into_iter().rev().collect();
    let room = MAX_NAME.saturating_sub(tail.len() + 1);
    format!("{}-{tail}", base.chars().take(room).collect::<String>().trim_end_matches('-'))
}

/// The `Webhook` (and Secret) that adopt `f` under object name `name`.
pub fn import(settings: &Settings, f: &Found, name: &str) -> Imported {
    let r = &f.remote;
    let secret_name = format!("{name}-import");
    let mut data = BTreeMap::new();
    let mut spec = serde_json::Map::new();
    spec.insert("providerRef".into(), json!({"kind": settings.provider_kind.as_str(), "name": settings.provider}));
    match settings.flavor {
        Flavor::Mendix => {
            spec.insert("mendix".into(), json!({"appId": f.scope}));
        }
        Flavor::Socotra => {
            let fh = r.failure_handling.clone().and_then(|v| serde_json::from_value::<FailureHandling>(v).ok());
            let block = match fh {
                Some(fh) => json!({"failureHandling": fh}),
                None => json!({}),
            };
            spec.insert("socotra".into(), block);
        }
    }
    spec.insert("displayName".into(), json!(r.name));
    spec.insert("url".into(), json!(r.url));
    let mut events: Vec<&String> = r.event_types.iter().collect();
    events.sort();
    events.dedup();
    spec.insert("eventTypes".into(), json!(events));
    spec.insert("active".into(), json!(r.active));
    if let Some(secret) = &r.validation_secret {
        data.insert("validation-secret".to_string(), secret.clone());
        spec.insert("validationSecretRef".into(), json!({"name": secret_name, "key": "validation-secret"}));
    }
    let mut by_name: BTreeMap<String, (String, Vec<&secrecy::SecretString>)> = BTreeMap::new();
    for h in &r.headers {
        by_name.entry(h.name.to_ascii_lowercase()).or_insert_with(|| (h.name.clone(), Vec::new())).1.push(&h.value);
    }
    let mut headers = Vec::new();
    for (header, values) in by_name.into_values() {
        let from = |key: &str| json!({"secretKeyRef": {"name": secret_name, "key": key}});
        if let [one] = values.as_slice() {
            let key = header_key(&header, None);
            data.insert(key.clone(), (*one).clone());
            headers.push(json!({"name": header, "valueFrom": from(&key)}));
        } else {
            let mut list = Vec::new();
            for (i, v) in values.into_iter().enumerate() {
                let key = header_key(&header, Some(i));
                data.insert(key.clone(), v.clone());
                list.push(json!({"valueFrom": from(&key)}));
            }
            headers.push(json!({"name": header, "values": list}));
        }
    }
    if !headers.is_empty() {
        spec.insert("headers".into(), Value::Array(headers));
    }
    spec.insert("deletionPolicy".into(), json!(settings.deletion_policy));
    let webhook = json!({
        "apiVersion": "hookwright.dev/v1alpha1", "kind": "Webhook",
        "metadata": {"name": name, "namespace": settings.namespace,
                     "annotations": {EXTERNAL_ID_ANNOTATION: r.id}},
        "spec": spec,
    });
    let secret = (!data.is_empty()).then(|| SecretManifest { name: secret_name, data });
    Imported { name: name.to_string(), remote_id: r.id.clone(), webhook, secret }
}

/// Objects as one YAML document each, in order, ready for `kubectl apply -f`.
pub fn to_yaml(objects: &[&Value]) -> String {
    objects.iter().map(|o| serde_yaml_ng::to_string(o).unwrap_or_default()).collect::<Vec<_>>().join("---\n")
}

#[cfg(test)]
mod tests {
    use secrecy::SecretString;

    use super::*;
    use crate::providers::Header;

    fn remote(id: &str, name: &str) -> Found {
        Found {
            scope: "76ef1b0f-4050-4810-a159-cb419268636c".into(),
            remote: RemoteWebhook {
                id: id.into(),
                name: name.into(),
                url: "https://ci.example.com/h".into(),
                event_types: vec!["teamserver.push".into(), "package.uploaded".into()],
                active: false,
                validation_secret: Some(SecretString::from("s".repeat(40))),
                headers: vec![Header { name: "Authorization".into(), value: SecretString::from("Bearer x") }],
                ..Default::default()
            },
        }
    }

    fn settings() -> Settings {
        Settings {
            flavor: Flavor::Mendix,
            provider_kind: ProviderKind::WebhookProvider,
            provider: "mendix".into(),
            namespace: "team-a".into(),
            deletion_policy: "Orphan".into(),
        }
    }

    #[test]
    fn slugs_are_dns_labels() {
        assert_eq!(slug("Team A build_notifier 2"), "team-a-build-notifier-2");
        assert_eq!(slug("___"), "webhook");
        assert!(slug(&"x".repeat(200)).len() <= MAX_NAME);
    }

    #[test]
    fn names_are_unique_and_stable() {
        let found =
            vec![remote("mxep_AAAA1111", "CI hook"), remote("mxep_BBBB2222", "CI hook"), remote("mxep_C", "Other")];
        let n = names(&found);
        assert_eq!(n, names(&found));
        assert_eq!(n[2], "other");
        assert_ne!(n[0], n[1]);
        assert!(n[0].starts_with("ci-hook-") && n[1].starts_with("ci-hook-"));
    }

    #[test]
    fn the_webhook_adopts_and_holds_no_secret_value() {
        let f = remote("mxep_1", "CI hook");
        let i = import(&settings(), &f, "ci-hook");
        let text = to_yaml(&[&i.webhook]);
        assert!(!text.contains(&"s".repeat(40)) && !text.contains("Bearer x"), "{text}");
        assert_eq!(i.webhook["metadata"]["annotations"][EXTERNAL_ID_ANNOTATION], "mxep_1");
        assert_eq!(i.webhook["spec"]["deletionPolicy"], "Orphan");
        assert_eq!(i.webhook["spec"]["active"], false);
        assert_eq!(i.webhook["spec"]["eventTypes"], json!(["package.uploaded", "teamserver.push"]));
        let secret = i.secret.unwrap();
        assert_eq!(secret.keys(), ["header-authorization", "validation-secret"]);
        assert_eq!(secret.to_object("team-a")["stringData"]["header-authorization"], "Bearer x");
    }
}
