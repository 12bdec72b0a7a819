//! Reading the Secrets a `Webhook` refers to, and the validation secret hookwright generates
//! when none is referenced. Values are returned as `SecretString` and never logged.
use std::collections::BTreeMap;

use base64::Engine as _;
use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret;
use kube::api::{Api, ObjectMeta, PostParams};
use kube::{Resource, ResourceExt};
use secrecy::SecretString;

use crate::crd::Webhook;

/// Label on Secrets hookwright creates (the chart's admission policy keys on it).
/// Why a Secret value could not be read. The controller reports each with its own reason
/// (`SecretNotFound`, `InvalidSecret`); messages name the Secret and key, never the value.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("Secret {namespace}/{name} not found ({purpose})")]
    NotFound { namespace: String, name: String, purpose: &'static str },
    #[error("Secret {namespace}/{name} has no key {key:?} ({purpose})")]
    KeyMissing { namespace: String, name: String, key: String, purpose: &'static str },
    #[error("Secret {namespace}/{name} key {key:?} is empty or not UTF-8 text ({purpose})")]
    ValueInvalid { namespace: String, name: String, key: String, purpose: &'static str },
    #[error("Kubernetes API call failed: {0}")]
    Kube(#[from] kube::Error),
}

pub const MANAGED_BY_LABEL: (&str, &str) = ("app.kubernetes.io/managed-by", "hookwright");
/// Key of the generated validation secret in its Secret.
pub const GENERATED_KEY: &str = "secret";

/// Name of the Secret holding a generated validation secret.
pub fn generated_secret_name(webhook_name: &str) -> String {
    format!("{webhook_name}{GENERATED_SUFFIX}")
}

const GENERATED_SUFFIX: &str = "-validation-secret";

/// The Webhook whose generated validation Secret would be named `secret_name`, if any.
pub fn generated_secret_owner(secret_name: &str) -> Option<&str> {
    secret_name.strip_suffix(GENERATED_SUFFIX).filter(|n| !n.is_empty())
}

/// A new validation secret: `whsec_` + base64 of 24 random bytes (32 characters), matching
/// Mendix's `^(whsec_)?[a-zA-Z0-9+/=]{32,100}$`.
pub fn generate_validation_secret() -> String {
    let bytes: [u8; 24] = rand::random();
    format!("whsec_{}", base64::engine::general_purpose::STANDARD.encode(bytes))
}

/// Reads `key` of Secret `namespace/name` as text.
pub async fn read_key(
    client: &kube::Client,
    namespace: &str,
    name: &str,
    key: &str,
    purpose: &'static str,
) -> Result<SecretString, SecretError> {
    let api: Api<Secret> = Api::namespaced(client.clone(), namespace);
    let secret = api.get_opt(name).await?.ok_or_else(|| SecretError::NotFound {
        namespace: namespace.into(),
        name: name.into(),
        purpose,
    })?;
    value_of(&secret, key)
        .ok_or_else(|| SecretError::KeyMissing {
            namespace: namespace.into(),
            name: name.into(),
            key: key.into(),
            purpose,
        })?
        .map_err(|()| SecretError::ValueInvalid {
            namespace: namespace.into(),
            name: name.into(),
            key: key.into(),
            purpose,
        })
}

/// `Some(Ok(text))`, `Some(Err(()))` when present but empty/not UTF-8, `None` when absent.
/// Trailing line ends (from `echo > file`) are dropped, and nothing else: the same rule as
/// `hookwright receive` reading its secret file, so both sides use the same bytes.
fn value_of(secret: &Secret, key: &str) -> Option<Result<SecretString, ()>> {
    let raw: Vec<u8> =
        match (secret.data.as_ref().and_then(|d| d.get(key)), secret.string_data.as_ref().and_then(|d| d.get(key))) {
            (Some(ByteString(b)), _) => b.clone(),
            (None, Some(s)) => s.as_bytes().to_vec(),
            (None, None) => return None,
        };
    let text = crate::signature::key::trim_line_end(&raw);
    Some(match std::str::from_utf8(text) {
        Ok(s) if !s.is_empty() => Ok(SecretString::from(s.to_string())),
        _ => Err(()),
    })
}

/// The generated validation secret of `wh`, and the resourceVersion of the Secret when this
/// call created it: read from its owned Secret, or generated and stored there once. Never
/// regenerated while that Secret exists. `probably_new` (no remote webhook and no create yet)
/// tries the create first and reads only when the Secret exists (409), saving a GET on every
/// first reconcile.
pub async fn generated_validation_secret(
    client: &kube::Client,
    wh: &Webhook,
    probably_new: bool,
) -> Result<(SecretString, Option<String>), SecretError> {
    let ns = wh.namespace().unwrap_or_default();
    let name = generated_secret_name(&wh.name_any());
    let api: Api<Secret> = Api::namespaced(client.clone(), &ns);
    if probably_new {
        return create_generated(&api, wh, ns, name).await;
    }
    if let Some(existing) = api.get_opt(&name).await? {
        return match value_of(&existing, GENERATED_KEY) {
            Some(Ok(v)) => Ok((v, None)),
            _ => Err(SecretError::ValueInvalid {
                namespace: ns,
                name,
                key: GENERATED_KEY.into(),
                purpose: "generated validation secret; delete the Secret to generate a new one",
            }),
        };
    }
    create_generated(&api, wh, ns, name).await
}

async fn create_generated(
    api: &Api<Secret>,
    wh: &Webhook,
    ns: String,
    name: String,
) -> Result<(SecretString, Option<String>), SecretError> {
    let value = generate_validation_secret();
    let secret = Secret {
        metadata: ObjectMeta {
            name: Some(name.clone()),
            namespace: Some(ns.clone()),
            labels: Some(BTreeMap::from([(MANAGED_BY_LABEL.0.into(), MANAGED_BY_LABEL.1.into())])),
            owner_references: wh.controller_owner_ref(&()).map(|o| vec![o]),
            ..Default::default()
        },
        type_: Some("Opaque".into()),
        data: Some(BTreeMap::from([(GENERATED_KEY.into(), ByteString(value.clone().into_bytes()))])),
        ..Default::default()
    };
    match api.create(&PostParams::default(), &secret).await {
        Ok(created) => Ok((SecretString::from(value), created.resource_version())),
        // Another worker (or a previous run) created it first: use what is stored.
        Err(kube::Error::Api(s)) if s.code == 409 => {
            let stored = api.get(&name).await?;
            value_of(&stored, GENERATED_KEY).and_then(Result::ok).map(|v| (v, None)).ok_or(SecretError::ValueInvalid {
                namespace: ns,
                name,
                key: GENERATED_KEY.into(),
                purpose: "generated validation secret",
            })
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_secret_matches_the_mendix_pattern() {
        let re = regex::Regex::new("^(whsec_)?[a-zA-Z0-9+/=]{32,100}$").unwrap();
        let a = generate_validation_secret();
        assert!(re.is_match(&a), "{}", a.len());
        assert_ne!(a, generate_validation_secret());
    }

    #[test]
    fn line_ends_are_trimmed_and_empty_is_invalid() {
        let s = Secret {
            data: Some(BTreeMap::from([
                ("k".to_string(), ByteString(b"tok\n".to_vec())),
                ("crlf".to_string(), ByteString(b"tok\r\n".to_vec())),
                ("space".to_string(), ByteString(b"tok \n".to_vec())),
                ("e".to_string(), ByteString(b"\n".to_vec())),
            ])),
            ..Default::default()
        };
        use secrecy::ExposeSecret;
        assert_eq!(value_of(&s, "k").unwrap().unwrap().expose_secret(), "tok");
        assert_eq!(value_of(&s, "crlf").unwrap().unwrap().expose_secret(), "tok");
        // Issue 12, hole 4: the same rule as `hookwright receive` reading its secret file (line
        // ends only), so both sides sign and verify with the same bytes.
        assert_eq!(value_of(&s, "space").unwrap().unwrap().expose_secret(), "tok ");
        assert_eq!(
            value_of(&s, "space").unwrap().unwrap().expose_secret().as_bytes(),
            crate::signature::key::trim_line_end(b"tok \n")
        );
        assert!(value_of(&s, "e").unwrap().is_err());
        assert!(value_of(&s, "missing").is_none());
    }
}
