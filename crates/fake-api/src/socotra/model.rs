//! Webhooks as the Socotra Webhooks API serialises them (`WebhookResponse`), validated request
//! bodies, the add/remove update, locators and timestamps. No I/O.
use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

/// Header name -> values, as `endpoint.headers` carries them.
pub type Headers = BTreeMap<String, Vec<String>>;

/// `EndpointResponse`: `{url, headers}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Endpoint {
    pub url: String,
    #[serde(default)]
    pub headers: Headers,
}

/// `WebhookResponse`, the answer of get, list (items), create and update. Every field is always
/// present; `suspendedAt` is null unless the webhook is suspended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Webhook {
    pub locator: String,
    pub name: String,
    pub enabled: bool,
    pub endpoint: Endpoint,
    /// Passed through as given (the seed does not define its fields); `{}` is the platform's
    /// default strategy.
    #[serde(default)]
    pub failure_handling: Map<String, Value>,
    #[serde(default)]
    pub suspended: bool,
    /// RFC 3339 UTC with milliseconds, e.g. `2026-11-03T09:15:02.120Z`.
    #[serde(default)]
    pub suspended_at: Option<String>,
    pub event_types: Vec<String>,
}

/// A webhook with the tenant it belongs to (admin dump, state file).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TenantWebhook {
    #[serde(with = "crate::common::uuid_serde")]
    pub tenant_locator: Uuid,
    #[serde(flatten)]
    pub webhook: Webhook,
}

/// A validated `CreateWebhookRequest`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Create {
    pub name: String,
    pub enabled: bool,
    pub endpoint: Endpoint,
    pub failure_handling: Map<String, Value>,
    pub event_types: Vec<String>,
}

impl Create {
    pub fn into_webhook(self, locator: String) -> Webhook {
        Webhook {
            locator,
            name: self.name,
            enabled: self.enabled,
            endpoint: self.endpoint,
            failure_handling: self.failure_handling,
            suspended: false,
            suspended_at: None,
            event_types: self.event_types,
        }
    }
}

/// A validated `UpdateWebhookRequest`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Update {
    pub name: String,
    pub enabled: bool,
    pub url: String,
    pub add_headers: Headers,
    pub remove_headers: Vec<String>,
    pub failure_handling: Map<String, Value>,
    pub remove_failure_handling: bool,
    pub add_event_types: Vec<String>,
    pub remove_event_types: Vec<String>,
}

impl Webhook {
    /// Applies an update with the seed's add/remove semantics: `name`, `enabled` and
    /// `endpoint.url` are set; then every removal happens (`removeHeaders` by name,
    /// `removeEventTypes`, `removeFailureHandling` back to `{}`), then every addition
    /// (`addHeaders` sets a header's values, `addEventTypes` appends the types not yet there,
    /// `failureHandling` sets its top-level fields). So an item in both lists ends up added.
    /// Removing what is not there and adding what is already there change nothing.
    pub fn apply(&mut self, u: Update) {
        self.name = u.name;
        self.enabled = u.enabled;
        self.endpoint.url = u.url;
        for name in &u.remove_headers {
            self.endpoint.headers.remove(name);
        }
        self.event_types.retain(|t| !u.remove_event_types.contains(t));
        if u.remove_failure_handling {
            self.failure_handling.clear();
        }
        self.endpoint.headers.extend(u.add_headers);
        for t in u.add_event_types {
            if !self.event_types.contains(&t) {
                self.event_types.push(t);
            }
        }
        self.failure_handling.extend(u.failure_handling);
    }

    /// Suspends (again) at `at`.
    pub fn suspend(&mut self, at: String) {
        self.suspended = true;
        self.suspended_at = Some(at);
    }

    /// Clears the suspension; false when there was none.
    pub fn unsuspend(&mut self) -> bool {
        let was = self.suspended;
        self.suspended = false;
        self.suspended_at = None;
        was
    }

    /// `enabled` and not suspended: events are delivered.
    pub fn active(&self) -> bool {
        self.enabled && !self.suspended
    }
}

/// Crockford's base32 alphabet, as ULIDs use it.
const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// A new locator: a ULID (48-bit millisecond time, 80 random bits, 26 Crockford base32 chars).
pub fn new_locator() -> String {
    let ms = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis()) & ((1u128 << 48) - 1);
    let value = (ms << 80) | (rand::random::<u128>() & ((1u128 << 80) - 1));
    (0..26u32)
        .map(|i| char::from(CROCKFORD.get(((value >> (125 - 5 * i)) & 31) as usize).copied().unwrap_or(b'0')))
        .collect()
}

/// Whether `s` has the shape of a locator: a ULID in upper case.
pub fn locator_valid(s: &str) -> bool {
    s.len() == 26 && s.as_bytes().first().is_some_and(|b| *b <= b'7') && s.bytes().all(|b| CROCKFORD.contains(&b))
}

/// A timestamp as `suspendedAt` shows it: RFC 3339 UTC with milliseconds.
pub fn format_time(ts: jiff::Timestamp) -> String {
    ts.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// Now, as [`format_time`] writes it.
pub fn now() -> String {
    format_time(jiff::Timestamp::now())
}

/// An RFC 3339 timestamp in the canonical form of [`format_time`], if `s` is one.
pub fn canonical_time(s: &str) -> Option<String> {
    s.parse::<jiff::Timestamp>().ok().map(format_time)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn webhook() -> Webhook {
        Create {
            name: "n".into(),
            enabled: true,
            endpoint: Endpoint {
                url: "https://x".into(),
                headers: [("A".to_string(), vec!["1".to_string()]), ("B".to_string(), vec!["2".to_string()])].into(),
            },
            failure_handling: json!({"divert": true, "suspend": false}).as_object().cloned().unwrap_or_default(),
            event_types: vec!["a".into(), "b".into()],
        }
        .into_webhook(new_locator())
    }

    fn update() -> Update {
        Update {
            name: "n".into(),
            enabled: true,
            url: "https://x".into(),
            add_headers: Headers::new(),
            remove_headers: vec![],
            failure_handling: Map::new(),
            remove_failure_handling: false,
            add_event_types: vec![],
            remove_event_types: vec![],
        }
    }

    #[test]
    fn locators_are_ulids() {
        let l = new_locator();
        assert!(locator_valid(&l), "{l}");
        assert_ne!(l, new_locator());
        assert!(!locator_valid("8ZZZZZZZZZZZZZZZZZZZZZZZZZ"), "first char encodes 3 bits");
        assert!(!locator_valid(&l.to_lowercase()));
        assert!(!locator_valid("list"));
    }

    #[test]
    fn removals_first_then_additions() {
        let mut w = webhook();
        w.apply(Update {
            remove_event_types: vec!["a".into(), "c".into(), "b".into()],
            add_event_types: vec!["b".into(), "d".into()],
            remove_headers: vec!["A".into(), "b".into()],
            add_headers: [("A".to_string(), vec!["9".to_string()])].into(),
            ..update()
        });
        assert_eq!(w.event_types, ["b", "d"], "b in both lists ends up added; c absent is no error");
        assert_eq!(w.endpoint.headers, Headers::from([("A".into(), vec!["9".into()]), ("B".into(), vec!["2".into()])]));
    }

    #[test]
    fn failure_handling_remove_then_set_fields() {
        let mut w = webhook();
        w.apply(Update {
            failure_handling: json!({"suspend": true}).as_object().cloned().unwrap_or_default(),
            ..update()
        });
        assert_eq!(Value::Object(w.failure_handling.clone()), json!({"divert": true, "suspend": true}));
        w.apply(Update {
            remove_failure_handling: true,
            failure_handling: json!({"triggers": ["5xx"]}).as_object().cloned().unwrap_or_default(),
            ..update()
        });
        assert_eq!(Value::Object(w.failure_handling.clone()), json!({"triggers": ["5xx"]}));
        w.apply(Update { remove_failure_handling: true, ..update() });
        assert!(w.failure_handling.is_empty());
    }

    #[test]
    fn adding_present_items_changes_nothing() {
        let mut w = webhook();
        let before = w.clone();
        w.apply(Update { add_event_types: vec!["a".into()], add_headers: before.endpoint.headers.clone(), ..update() });
        assert_eq!(w, before);
    }

    #[test]
    fn timestamps_are_canonical() {
        assert_eq!(canonical_time("2026-11-03T10:15:02.12+01:00").as_deref(), Some("2026-11-03T09:15:02.120Z"));
        assert_eq!(canonical_time("yesterday"), None);
        assert!(canonical_time(&now()).is_some());
    }
}
