//! Webhook types as the Mendix Webhooks API serialises them, and id/secret generators. No I/O.
use rand::RngExt;
use rand::distr::Alphanumeric;
use serde::{Deserialize, Serialize};

/// A custom header sent with every delivery: `{"key": "...", "value": "..."}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    pub key: String,
    pub value: String,
}

/// The detailed webhook (`GET /webhooks/{id}`, POST and PUT answers).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Webhook {
    pub id: String,
    pub name: String,
    pub url: String,
    pub event_types: Vec<String>,
    pub is_active: bool,
    pub validation_secret: String,
    #[serde(default)]
    pub headers: Vec<Header>,
}

/// A list item: no secret, no headers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookSummary {
    pub id: String,
    pub name: String,
    pub url: String,
    pub event_types: Vec<String>,
    pub is_active: bool,
}

impl From<&Webhook> for WebhookSummary {
    fn from(w: &Webhook) -> Self {
        Self {
            id: w.id.clone(),
            name: w.name.clone(),
            url: w.url.clone(),
            event_types: w.event_types.clone(),
            is_active: w.is_active,
        }
    }
}

/// A validated POST/PUT body. PUT replaces every field, so absent headers mean no headers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Upsert {
    pub name: String,
    pub url: String,
    pub event_types: Vec<String>,
    pub is_active: bool,
    pub validation_secret: String,
    pub headers: Vec<Header>,
}

impl Upsert {
    pub fn into_webhook(self, id: String) -> Webhook {
        Webhook {
            id,
            name: self.name,
            url: self.url,
            event_types: self.event_types,
            is_active: self.is_active,
            validation_secret: self.validation_secret,
            headers: self.headers,
        }
    }
}

/// `{"prev"?, "next"?}` of a list answer.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursors {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prev: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

/// The list answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookList {
    pub webhooks: Vec<WebhookSummary>,
    pub cursors: Cursors,
}

/// A webhook together with the app it belongs to (admin dump, state file).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppWebhook {
    #[serde(with = "super::uuid_serde")]
    pub app_id: uuid::Uuid,
    #[serde(flatten)]
    pub webhook: Webhook,
}

fn random_alphanumeric(len: usize) -> String {
    rand::rng().sample_iter(Alphanumeric).take(len).map(char::from).collect()
}

/// `mxep_` + 30 alphanumerics, the shape of the documented example id.
pub fn new_webhook_id() -> String {
    format!("mxep_{}", random_alphanumeric(30))
}

/// `msg_` + 27 alphanumerics, the shape of the documented `webhook-id` header.
pub fn new_message_id() -> String {
    format!("msg_{}", random_alphanumeric(27))
}

/// What the portal puts in when the secret is left blank: `whsec_` + base64 of 24 random bytes.
/// It matches the documented secret pattern and works with both signing-key conventions.
pub fn generate_secret() -> String {
    use base64::Engine as _;
    let bytes: [u8; 24] = rand::random();
    format!("whsec_{}", base64::engine::general_purpose::STANDARD.encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_documented_shape() {
        let id = new_webhook_id();
        assert!(id.starts_with("mxep_") && id.len() == 35 && id[5..].chars().all(|c| c.is_ascii_alphanumeric()));
        let msg = new_message_id();
        assert!(msg.starts_with("msg_") && msg.len() == 31);
        assert_ne!(new_webhook_id(), new_webhook_id());
    }

    #[test]
    fn generated_secret_matches_pattern() {
        let re = regex::Regex::new(r"^(whsec_)?[a-zA-Z0-9+/=]{32,100}$").expect("pattern");
        assert!(re.is_match(&generate_secret()));
    }

    #[test]
    fn summary_has_no_secret_or_headers() {
        let w = Webhook {
            id: "mxep_x".into(),
            name: "n".into(),
            url: "u".into(),
            event_types: vec![],
            is_active: true,
            validation_secret: "s".repeat(32),
            headers: vec![Header { key: "k".into(), value: "v".into() }],
        };
        let v = serde_json::to_value(WebhookSummary::from(&w)).expect("json");
        assert!(v.get("validationSecret").is_none() && v.get("headers").is_none());
    }
}
