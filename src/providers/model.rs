//! What the operator wants a remote webhook to be, and what the provider reports. No I/O.
//!
//! Secret material (validation secret, header values) is held in [`SecretString`], whose
//! `Debug` prints `[REDACTED]`, so these types can be logged without leaking.
use secrecy::{ExposeSecret, SecretString};

/// One custom header sent with every delivery.
#[derive(Clone, Debug)]
pub struct Header {
    pub name: String,
    pub value: SecretString,
}

/// The full desired state of a remote webhook, in the `Webhook`'s terms; each provider's client
/// turns it into its own wire form.
#[derive(Clone, Debug)]
pub struct DesiredWebhook {
    pub name: String,
    pub url: String,
    pub event_types: Vec<String>,
    pub active: bool,
    /// The signing secret, for providers that sign deliveries with one (Mendix; not Socotra).
    pub validation_secret: Option<SecretString>,
    /// Custom headers; a name may repeat for providers that keep several values per name.
    pub headers: Vec<Header>,
    /// Socotra's failure handling, passed through as canonical JSON (None: none wanted).
    pub failure_handling: Option<serde_json::Value>,
}

/// A webhook as the provider returns it from a GET (all fields).
#[derive(Clone, Debug, Default)]
pub struct RemoteWebhook {
    pub id: String,
    pub name: String,
    pub url: String,
    pub event_types: Vec<String>,
    pub active: bool,
    pub validation_secret: Option<SecretString>,
    pub headers: Vec<Header>,
    pub failure_handling: Option<serde_json::Value>,
    /// The provider suspended the webhook (Socotra, after repeated delivery failures).
    pub suspended: bool,
    /// When it was suspended, as the provider reports it.
    pub suspended_at: Option<String>,
}

/// A webhook as listed (no secret, no headers).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RemoteSummary {
    pub id: String,
    pub name: String,
    pub url: String,
    pub event_types: Vec<String>,
    pub active: bool,
}

impl DesiredWebhook {
    /// True when `remote` already equals this desired state. Event types compare as sets and
    /// headers as name → value maps (header names case-insensitively), as the API treats them.
    pub fn matches(&self, remote: &RemoteWebhook) -> bool {
        self.drifted_fields(remote).is_empty()
    }

    /// The webhook should deliver but the provider suspended it.
    pub fn needs_unsuspend(&self, remote: &RemoteWebhook) -> bool {
        self.active && remote.suspended
    }

    /// The fields that differ from `remote`, named as the `Webhook` spec names them (never
    /// values), for Events and logs: whatever the provider calls them, a user finds them in
    /// the object.
    pub fn drifted_fields(&self, remote: &RemoteWebhook) -> Vec<&'static str> {
        let mut out = Vec::new();
        if self.name != remote.name {
            out.push("spec.displayName");
        }
        if self.url != remote.url {
            out.push("spec.url");
        }
        if self.active != remote.active {
            out.push("spec.active");
        }
        if sorted(&self.event_types) != sorted(&remote.event_types) {
            out.push("spec.eventTypes");
        }
        let secret_differs = match (&self.validation_secret, &remote.validation_secret) {
            (Some(want), Some(have)) => want.expose_secret() != have.expose_secret(),
            (Some(_), None) => true,
            (None, _) => false,
        };
        if secret_differs {
            out.push("spec.validationSecretRef");
        }
        if header_map(&self.headers) != header_map(&remote.headers) {
            out.push("spec.headers");
        }
        if self.failure_handling != remote.failure_handling {
            out.push("spec.socotra.failureHandling");
        }
        if self.needs_unsuspend(remote) {
            out.push("suspended at the provider");
        }
        out
    }
}

fn sorted(v: &[String]) -> Vec<&str> {
    let mut s: Vec<&str> = v.iter().map(String::as_str).collect();
    s.sort_unstable();
    s.dedup();
    s
}

/// Header name (case-insensitive) → its values in order.
pub fn header_map(h: &[Header]) -> std::collections::BTreeMap<String, Vec<&str>> {
    let mut map: std::collections::BTreeMap<String, Vec<&str>> = std::collections::BTreeMap::new();
    for h in h {
        map.entry(h.name.to_ascii_lowercase()).or_default().push(h.value.expose_secret());
    }
    map
}

/// Why a header value cannot be sent in an HTTP header: control characters (a CR or LF would
/// split the header, others are refused by HTTP), or more than 8 KiB.
pub fn header_value_problem(value: &str) -> Option<&'static str> {
    if value.bytes().any(|b| (b < 0x20 && b != b'\t') || b == 0x7f) {
        Some("header values cannot contain line breaks or other control characters")
    } else if value.len() > 8192 {
        Some("header values are limited to 8 KiB")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn header_values_with_line_breaks_are_refused() {
        assert_eq!(super::header_value_problem("Bearer abc\tdef"), None);
        assert!(super::header_value_problem("Bearer x\r\nX-Injected: 1").is_some());
        assert!(super::header_value_problem("a\u{0}b").is_some());
        assert!(super::header_value_problem(&"a".repeat(8193)).is_some());
    }

    use super::*;

    fn desired() -> DesiredWebhook {
        DesiredWebhook {
            name: "team a build".into(),
            url: "https://ci.example.com/h".into(),
            event_types: vec!["teamserver.push".into(), "package.uploaded".into()],
            active: true,
            validation_secret: Some(SecretString::from("s".repeat(40))),
            headers: vec![Header { name: "X-Team".into(), value: SecretString::from("a") }],
            failure_handling: None,
        }
    }

    fn remote_of(d: &DesiredWebhook) -> RemoteWebhook {
        RemoteWebhook {
            id: "mxep_1".into(),
            name: d.name.clone(),
            url: d.url.clone(),
            event_types: d.event_types.iter().rev().cloned().collect(),
            active: d.active,
            validation_secret: d.validation_secret.clone(),
            headers: vec![Header { name: "x-team".into(), value: SecretString::from("a") }],
            ..Default::default()
        }
    }

    #[test]
    fn equal_modulo_order_and_header_case() {
        let d = desired();
        assert!(d.matches(&remote_of(&d)));
        assert!(d.drifted_fields(&remote_of(&d)).is_empty());
    }

    #[test]
    fn each_field_is_detected() {
        let d = desired();
        let mut r = remote_of(&d);
        r.url = "https://other".into();
        r.validation_secret = Some(SecretString::from("t".repeat(40)));
        r.headers[0].value = SecretString::from("b");
        assert!(!d.matches(&r));
        assert_eq!(d.drifted_fields(&r), vec!["spec.url", "spec.validationSecretRef", "spec.headers"]);
    }

    #[test]
    fn suspension_is_drift_only_when_the_webhook_should_deliver() {
        let mut d = desired();
        let mut r = remote_of(&d);
        (r.suspended, r.suspended_at) = (true, Some("2026-12-01T10:00:00Z".into()));
        assert_eq!(d.drifted_fields(&r), vec!["suspended at the provider"]);
        d.active = false;
        r.active = false;
        assert!(d.matches(&r), "a disabled webhook that is also suspended is left alone");
    }

    #[test]
    fn several_values_per_header_compare_in_order() {
        let mut d = desired();
        d.validation_secret = None;
        d.headers = vec![
            Header { name: "X-Tags".into(), value: SecretString::from("a") },
            Header { name: "X-Tags".into(), value: SecretString::from("b") },
        ];
        let mut r = remote_of(&d);
        r.headers = d.headers.clone();
        assert!(d.matches(&r), "no secret wanted: none compared");
        r.headers.reverse();
        assert_eq!(d.drifted_fields(&r), vec!["spec.headers"]);
    }

    #[test]
    fn debug_never_shows_secrets() {
        let text = format!("{:?}", desired());
        assert!(!text.contains(&"s".repeat(40)));
        assert!(text.contains("REDACTED"));
    }
}
