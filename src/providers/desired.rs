//! From a `Webhook` and its resolved secrets to the desired remote webhook, and the hash of
//! everything pushed. Pure functions, no I/O.
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

use kube::ResourceExt;

use crate::crd::Webhook;
use crate::providers::{DesiredWebhook, Header};

/// Longest remote name we derive (the Mendix pattern has no documented maximum).
const MAX_DERIVED_NAME: usize = 100;
/// Hex characters of the object's UID that end a derived name.
const UID_SUFFIX: usize = 8;

/// The remote name: `spec.displayName`, else `<namespace> <name> <uid prefix>` mapped into
/// Mendix's pattern `^[a-zA-Z0-9_ ]+$` (every other character becomes `_`). The UID suffix
/// keeps derived names unique per object (`a.b` and `a-b` map to the same characters, and long
/// names are truncated), and it depends only on the object's identity, so the name is stable
/// for the object's life. Truncation shortens the namespace and name, never the suffix.
pub fn remote_name(wh: &Webhook, namespace: &str, name: &str) -> String {
    if let Some(d) = &wh.spec.display_name {
        return d.clone();
    }
    let uid: String =
        wh.uid().unwrap_or_default().chars().filter(char::is_ascii_alphanumeric).take(UID_SUFFIX).collect();
    let room = if uid.is_empty() { MAX_DERIVED_NAME } else { MAX_DERIVED_NAME - UID_SUFFIX - 1 };
    let mut mapped: String = format!("{namespace} {name}")
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '_' || c == ' ' { c } else { '_' })
        .take(room)
        .collect();
    if !uid.is_empty() {
        mapped.push(' ');
        mapped.push_str(&uid);
    }
    mapped
}

/// The full desired remote state.
pub fn build(
    wh: &Webhook,
    name: String,
    validation_secret: Option<SecretString>,
    headers: Vec<Header>,
) -> DesiredWebhook {
    let failure_handling =
        wh.spec.socotra.as_ref().and_then(|s| s.failure_handling.as_ref()).and_then(|f| serde_json::to_value(f).ok());
    DesiredWebhook {
        name,
        url: wh.spec.url.clone(),
        event_types: wh.spec.event_types.clone(),
        active: wh.spec.active,
        validation_secret,
        headers,
        failure_handling,
    }
}

/// One sha256 over every pushed field, secret and header values included, truncated to 16 hex
/// characters. Secrets are hashed only together with everything else, never alone, so a
/// low-entropy header value cannot be brute-forced from the object. Order-insensitive where
/// the API is (event types, header names).
pub fn applied_hash(d: &DesiredWebhook) -> String {
    let mut h = Sha256::new();
    let mut field = |bytes: &[u8]| {
        h.update((bytes.len() as u64).to_be_bytes());
        h.update(bytes);
    };
    field(b"hookwright/applied/v1");
    field(d.name.as_bytes());
    field(d.url.as_bytes());
    field(if d.active { b"1" } else { b"0" });
    let mut events: Vec<&str> = d.event_types.iter().map(String::as_str).collect();
    events.sort_unstable();
    events.dedup();
    for e in events {
        field(e.as_bytes());
    }
    if let Some(secret) = &d.validation_secret {
        field(secret.expose_secret().as_bytes());
    }
    let mut headers: Vec<(String, &str)> =
        d.headers.iter().map(|x| (x.name.to_ascii_lowercase(), x.value.expose_secret())).collect();
    // By name only, stably: the values of one name keep their order.
    headers.sort_by(|a, b| a.0.cmp(&b.0));
    for (k, v) in headers {
        field(k.as_bytes());
        field(v.as_bytes());
    }
    if let Some(fh) = &d.failure_handling {
        field(b"failureHandling");
        field(fh.to_string().as_bytes());
    }
    let hex = hex::encode(h.finalize());
    hex.get(..16).unwrap_or(&hex).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crd::WebhookSpec;

    fn webhook(display: Option<&str>) -> Webhook {
        let mut wh = Webhook::new("build-notifier.v2", WebhookSpec::default());
        wh.spec.display_name = display.map(str::to_string);
        wh.spec.url = "https://ci.example.com/h".into();
        wh.spec.event_types = vec!["package.uploaded".into()];
        wh.spec.active = true;
        wh
    }

    fn desired(secret: &str, header: &str) -> DesiredWebhook {
        build(
            &webhook(None),
            "n".into(),
            Some(SecretString::from(secret.to_string())),
            vec![Header { name: "X-Team".into(), value: SecretString::from(header.to_string()) }],
        )
    }

    #[test]
    fn derived_name_fits_the_mendix_pattern_and_is_stable() {
        let mut wh = webhook(None);
        wh.metadata.uid = Some("3f2a9c1b-1111-4222-8333-944455556666".into());
        let n = remote_name(&wh, "team-a", "build-notifier.v2");
        assert_eq!(n, "team_a build_notifier_v2 3f2a9c1b");
        assert!(regex::Regex::new("^[a-zA-Z0-9_ ]+$").unwrap().is_match(&n));
        assert_eq!(n, remote_name(&wh, "team-a", "build-notifier.v2"));
        assert_eq!(remote_name(&webhook(Some("Custom Name")), "x", "y"), "Custom Name");
    }

    #[test]
    fn derived_names_differ_between_objects_that_map_to_the_same_characters() {
        let (mut a, mut b) = (webhook(None), webhook(None));
        a.metadata.uid = Some("aaaaaaaa-0000-4000-8000-000000000000".into());
        b.metadata.uid = Some("bbbbbbbb-0000-4000-8000-000000000000".into());
        assert_ne!(remote_name(&a, "ns", "a.b"), remote_name(&b, "ns", "a-b"));
        // Truncation keeps the suffix: two long names sharing their first 100 characters differ.
        let long = "x".repeat(200);
        let (na, nb) = (remote_name(&a, "ns", &long), remote_name(&b, "ns", &long));
        assert_ne!(na, nb);
        assert_eq!(na.len(), MAX_DERIVED_NAME);
        assert!(na.ends_with(" aaaaaaaa"));
    }

    #[test]
    fn hash_changes_with_each_secret_input_and_ignores_order() {
        let base = applied_hash(&desired(&"a".repeat(32), "one"));
        assert_eq!(base.len(), 16);
        assert_ne!(base, applied_hash(&desired(&"b".repeat(32), "one")));
        assert_ne!(base, applied_hash(&desired(&"a".repeat(32), "two")));
        let mut d = desired(&"a".repeat(32), "one");
        d.event_types = vec!["teamserver.push".into(), "package.uploaded".into()];
        let mut e = d.clone();
        e.event_types.reverse();
        assert_eq!(applied_hash(&d), applied_hash(&e));
    }
}
