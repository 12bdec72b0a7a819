//! Validation of `CreateWebhookRequest` and `UpdateWebhookRequest`.
//!
//! The seed lists every field of both under "required" (no field is marked optional), so every
//! field must be present, with its type, and no other field may be (the fake's reading; see
//! docs/fake-api.md). Where the seed gives only a type, the fake adds these rules:
//! `name` non-empty; `endpoint.url` matches [`URL_PATTERN`]; header names are RFC 9110 tokens
//! ([`HEADER_NAME_PATTERN`]), each with a non-empty list of values without control characters;
//! event types non-empty and not repeated within a list; `removeHeaders` not repeated;
//! `failureHandling` an object, passed through. Every violation becomes one detail naming the
//! field; reasons never repeat the submitted value.
use serde_json::{Map, Value};

use super::model::{Create, Endpoint, Headers, Update};
use crate::common::errors::InvalidParam;

/// An absolute http(s) URL with a DNS name or IPv4 host, optional port, and visible ASCII after.
pub const URL_PATTERN: &str = r"^https?://[A-Za-z0-9.-]+(:[0-9]+)?([/?#][!-~]*)?$";
/// An HTTP header name (RFC 9110 `token`).
pub const HEADER_NAME_PATTERN: &str = r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$";
/// A header value: no control characters but horizontal tab.
pub const HEADER_VALUE_PATTERN: &str = r"^[^\x00-\x08\x0A-\x1F\x7F]*$";

const CREATE_FIELDS: &[&str] = &["name", "enabled", "endpoint", "failureHandling", "eventTypes"];
const CREATE_ENDPOINT_FIELDS: &[&str] = &["url", "headers"];
const UPDATE_FIELDS: &[&str] =
    &["name", "enabled", "endpoint", "failureHandling", "removeFailureHandling", "addEventTypes", "removeEventTypes"];
const UPDATE_ENDPOINT_FIELDS: &[&str] = &["url", "addHeaders", "removeHeaders"];

/// [`URL_PATTERN`], by hand.
pub fn url_valid(url: &str) -> bool {
    let Some(rest) = url.strip_prefix("http://").or_else(|| url.strip_prefix("https://")) else {
        return false;
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let (host, port) = match authority.split_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (authority, None),
    };
    !host.is_empty()
        && host.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
        && port.is_none_or(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        && tail.bytes().all(|b| b.is_ascii_graphic())
}

/// [`HEADER_NAME_PATTERN`], by hand.
pub fn header_name_valid(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// [`HEADER_VALUE_PATTERN`], by hand.
pub fn header_value_valid(value: &str) -> bool {
    value.chars().all(|c| c == '\t' || !(c <= '\u{1f}' || c == '\u{7f}'))
}

/// Parses and validates a raw create body.
pub fn create_from_bytes(body: &[u8]) -> Result<Create, Vec<InvalidParam>> {
    let map = object_body(body)?;
    let mut r = Reader::new(&map, "");
    r.only(CREATE_FIELDS);
    let name = r.string("name");
    let enabled = r.boolean("enabled");
    let endpoint = r.object("endpoint").and_then(|m| {
        let mut e = Reader::new(m, "endpoint");
        e.only(CREATE_ENDPOINT_FIELDS);
        let url = e.url();
        let headers = e.headers("headers");
        r.absorb(e);
        Some(Endpoint { url: url?, headers: headers? })
    });
    let failure_handling = r.object("failureHandling").cloned();
    let event_types = r.event_types("eventTypes");
    match (name, enabled, endpoint, failure_handling, event_types) {
        (Some(name), Some(enabled), Some(endpoint), Some(failure_handling), Some(event_types)) if r.ok() => {
            Ok(Create { name, enabled, endpoint, failure_handling, event_types })
        }
        _ => Err(r.errs),
    }
}

/// Parses and validates a raw update body.
pub fn update_from_bytes(body: &[u8]) -> Result<Update, Vec<InvalidParam>> {
    let map = object_body(body)?;
    let mut r = Reader::new(&map, "");
    r.only(UPDATE_FIELDS);
    let name = r.string("name");
    let enabled = r.boolean("enabled");
    let endpoint = r.object("endpoint").and_then(|m| {
        let mut e = Reader::new(m, "endpoint");
        e.only(UPDATE_ENDPOINT_FIELDS);
        let url = e.url();
        let add = e.headers("addHeaders");
        let remove = e.header_names("removeHeaders");
        r.absorb(e);
        Some((url?, add?, remove?))
    });
    let failure_handling = r.object("failureHandling").cloned();
    let remove_failure_handling = r.boolean("removeFailureHandling");
    let add_event_types = r.event_types("addEventTypes");
    let remove_event_types = r.event_types("removeEventTypes");
    match (name, enabled, endpoint, failure_handling, remove_failure_handling, add_event_types, remove_event_types) {
        (
            Some(name),
            Some(enabled),
            Some((url, add_headers, remove_headers)),
            Some(failure_handling),
            Some(remove_failure_handling),
            Some(add_event_types),
            Some(remove_event_types),
        ) if r.ok() => Ok(Update {
            name,
            enabled,
            url,
            add_headers,
            remove_headers,
            failure_handling,
            remove_failure_handling,
            add_event_types,
            remove_event_types,
        }),
        _ => Err(r.errs),
    }
}

fn object_body(body: &[u8]) -> Result<Map<String, Value>, Vec<InvalidParam>> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(vec![InvalidParam::new("body", "must be a JSON object")]),
        Err(_) => Err(vec![InvalidParam::new("body", "must be a valid JSON document")]),
    }
}

/// Reads the fields of one JSON object, collecting every violation.
struct Reader<'a> {
    map: &'a Map<String, Value>,
    prefix: &'static str,
    errs: Vec<InvalidParam>,
}

impl<'a> Reader<'a> {
    fn new(map: &'a Map<String, Value>, prefix: &'static str) -> Self {
        Self { map, prefix, errs: Vec::new() }
    }

    fn name(&self, field: &str) -> String {
        if self.prefix.is_empty() { field.to_string() } else { format!("{}.{field}", self.prefix) }
    }

    fn fail(&mut self, field: &str, reason: &str) {
        let name = self.name(field);
        self.errs.push(InvalidParam::new(name, reason));
    }

    fn ok(&self) -> bool {
        self.errs.is_empty()
    }

    fn absorb(&mut self, other: Reader<'_>) {
        self.errs.extend(other.errs);
    }

    /// Fields other than `allowed` are errors (named without repeating unknown names' values).
    fn only(&mut self, allowed: &[&str]) {
        let unknown: Vec<String> = self.map.keys().filter(|k| !allowed.contains(&k.as_str())).cloned().collect();
        for k in unknown {
            let reason = format!("is not a field here; the fields are {}", allowed.join(", "));
            self.fail(&k, &reason);
        }
    }

    fn required(&mut self, field: &str) -> Option<&'a Value> {
        let v = self.map.get(field);
        if v.is_none() {
            self.fail(field, "is required");
        }
        v
    }

    fn string(&mut self, field: &str) -> Option<String> {
        match self.required(field)? {
            Value::String(s) if !s.is_empty() => Some(s.clone()),
            Value::String(_) => {
                self.fail(field, "must not be empty");
                None
            }
            _ => {
                self.fail(field, "must be a string");
                None
            }
        }
    }

    fn boolean(&mut self, field: &str) -> Option<bool> {
        match self.required(field)? {
            Value::Bool(b) => Some(*b),
            _ => {
                self.fail(field, "must be a boolean");
                None
            }
        }
    }

    fn object(&mut self, field: &str) -> Option<&'a Map<String, Value>> {
        match self.required(field)? {
            Value::Object(m) => Some(m),
            _ => {
                self.fail(field, "must be an object");
                None
            }
        }
    }

    fn url(&mut self) -> Option<String> {
        let url = self.string("url")?;
        if url_valid(&url) {
            Some(url)
        } else {
            self.fail("url", &format!("must be an absolute http or https URL matching {URL_PATTERN}"));
            None
        }
    }

    fn array(&mut self, field: &str) -> Option<&'a Vec<Value>> {
        match self.required(field)? {
            Value::Array(items) => Some(items),
            _ => {
                self.fail(field, "must be an array of strings");
                None
            }
        }
    }

    /// An array of strings, each passing `valid` and unique under `key`.
    fn strings(
        &mut self,
        field: &str,
        valid: fn(&str) -> bool,
        invalid: &str,
        key: fn(&str) -> String,
    ) -> Option<Vec<String>> {
        let items = self.array(field)?;
        let mut out: Vec<String> = Vec::with_capacity(items.len());
        let mut ok = true;
        for (i, item) in items.iter().enumerate() {
            let reason = match item {
                Value::String(s) if !valid(s) => invalid,
                Value::String(s) if out.iter().any(|o| key(o) == key(s)) => "repeats an earlier item",
                Value::String(s) => {
                    out.push(s.clone());
                    continue;
                }
                _ => "must be a string",
            };
            self.fail(&format!("{field}[{i}]"), reason);
            ok = false;
        }
        ok.then_some(out)
    }

    fn event_types(&mut self, field: &str) -> Option<Vec<String>> {
        self.strings(field, |s| !s.is_empty(), "must not be empty", str::to_string)
    }

    fn header_names(&mut self, field: &str) -> Option<Vec<String>> {
        let invalid = "must be an HTTP header name (RFC 9110 token)";
        self.strings(field, header_name_valid, invalid, str::to_string)
    }

    /// `map<string, string[]>`: header name -> non-empty list of values.
    fn headers(&mut self, field: &str) -> Option<Headers> {
        let map = match self.required(field)? {
            Value::Object(m) => m,
            _ => {
                self.fail(field, "must be an object of header name to a list of values");
                return None;
            }
        };
        let mut out = Headers::new();
        let mut ok = true;
        for (name, values) in map {
            if !header_name_valid(name) {
                self.fail(field, "has a name that is not an HTTP header name (RFC 9110 token)");
                ok = false;
                continue;
            }
            let at = format!("{field}.{name}");
            let list = match values {
                Value::Array(items) if !items.is_empty() => items,
                _ => {
                    self.fail(&at, "must be a non-empty array of strings");
                    ok = false;
                    continue;
                }
            };
            let mut vals = Vec::with_capacity(list.len());
            for (i, v) in list.iter().enumerate() {
                match v {
                    Value::String(s) if header_value_valid(s) => vals.push(s.clone()),
                    Value::String(_) => self.fail(&format!("{at}[{i}]"), "must not contain control characters"),
                    _ => self.fail(&format!("{at}[{i}]"), "must be a string"),
                }
            }
            if vals.len() == list.len() {
                out.insert(name.clone(), vals);
            } else {
                ok = false;
            }
        }
        ok.then_some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn create() -> Value {
        json!({"name": "n", "enabled": true, "endpoint": {"url": "https://x.example/h", "headers": {"X-A": ["1"]}},
               "failureHandling": {}, "eventTypes": ["policy.issue"]})
    }

    fn update() -> Value {
        json!({"name": "n", "enabled": true, "endpoint": {"url": "https://x.example/h", "addHeaders": {}, "removeHeaders": []},
               "failureHandling": {}, "removeFailureHandling": false, "addEventTypes": [], "removeEventTypes": []})
    }

    fn create_errs(body: Value) -> Vec<String> {
        match create_from_bytes(body.to_string().as_bytes()) {
            Ok(_) => vec![],
            Err(e) => e.into_iter().map(|p| p.name).collect(),
        }
    }

    #[test]
    fn minimal_bodies_are_accepted() {
        assert!(create_from_bytes(create().to_string().as_bytes()).is_ok());
        assert!(update_from_bytes(update().to_string().as_bytes()).is_ok());
    }

    #[test]
    fn every_field_is_required_and_checked_together() {
        assert_eq!(
            create_errs(
                json!({"name": "", "enabled": "yes", "endpoint": {"headers": []}, "eventTypes": [1, ""], "x": 1})
            ),
            [
                "x",
                "name",
                "enabled",
                "endpoint.url",
                "endpoint.headers",
                "failureHandling",
                "eventTypes[0]",
                "eventTypes[1]"
            ]
        );
        let mut u = update();
        u.as_object_mut().map(|m| m.remove("removeEventTypes"));
        u["endpoint"].as_object_mut().map(|m| m.remove("removeHeaders"));
        let names: Vec<String> =
            update_from_bytes(u.to_string().as_bytes()).expect_err("invalid").into_iter().map(|p| p.name).collect();
        assert_eq!(names, ["endpoint.removeHeaders", "removeEventTypes"]);
    }

    #[test]
    fn hand_written_checks_agree_with_the_patterns() {
        let url_re = regex::Regex::new(URL_PATTERN).expect("url");
        let name_re = regex::Regex::new(HEADER_NAME_PATTERN).expect("name");
        let value_re = regex::Regex::new(HEADER_VALUE_PATTERN).expect("value");
        let samples = [
            "",
            "http://",
            "http://a",
            "https://a.b-c:8080/x?y=1#z",
            "https://a:/x",
            "https://a:8o",
            "HTTP://a",
            "ftp://a",
            "https://a b",
            "https://[::1]/",
            "https://u@a/",
            "https://a/\u{7f}",
            "https://a/ä",
            "X-Api-Key",
            "a\tb",
            "a\nb",
            "x{y}",
            "`|~",
        ];
        for s in samples {
            assert_eq!(url_valid(s), url_re.is_match(s), "url {s:?}");
            assert_eq!(header_name_valid(s), name_re.is_match(s), "header name {s:?}");
            assert_eq!(header_value_valid(s), value_re.is_match(s), "header value {s:?}");
        }
    }

    #[test]
    fn repeats_and_bad_headers_are_named() {
        let mut b = create();
        b["eventTypes"] = json!(["a", "b", "a"]);
        b["endpoint"]["headers"] = json!({"bad name": ["1"], "X-B": [], "X-C": ["ok", "a\nb", 3]});
        assert_eq!(
            create_errs(b),
            [
                "endpoint.headers.X-B",
                "endpoint.headers.X-C[1]",
                "endpoint.headers.X-C[2]",
                "endpoint.headers",
                "eventTypes[2]"
            ]
        );
    }

    #[test]
    fn reasons_never_echo_values() {
        let mut b = create();
        b["name"] = json!(7);
        b["endpoint"]["url"] = json!("secret-value!");
        b["endpoint"]["headers"] = json!({"secret-value!": ["x"], "X-A": ["secret-value!\n"]});
        let err = create_from_bytes(b.to_string().as_bytes()).expect_err("invalid");
        assert!(err.iter().all(|p| !p.reason.contains("secret-value") && !p.name.contains("secret-value")), "{err:?}");
    }
}
