//! Validation of the POST/PUT ("upsert") body, rule by rule as the reference lists them.
//! Every violation becomes one `invalid-params` entry naming the field; reasons state the rule
//! and never repeat the submitted value.
use serde_json::{Map, Value};

use super::errors::InvalidParam;
use super::model::{Header, Upsert};

pub const NAME_PATTERN: &str = r"^([a-zA-Z0-9_ ]+)$";
pub const SECRET_PATTERN: &str = r"^(whsec_)?[a-zA-Z0-9+/=]{32,100}$";
pub const URL_MAX_CHARS: usize = 65536;

/// Header key prefixes the API refuses (compared case-insensitively).
pub const DENIED_HEADER_PREFIXES: &[&str] =
    &["x-amz-", "x-amzn-", "x-google", "x-goog-", "x-gfe", "x-azure-", "x-fd-", "x-svix-", "svix-"];

/// Header keys the API refuses (compared case-insensitively).
pub const DENIED_HEADER_KEYS: &[&str] = &[
    "user-agent",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailers",
    "transfer-encoding",
    "upgrade",
    "age",
    "cache-control",
    "clear-site-data",
    "expires",
    "pragma",
    "warning",
    "content-length",
    "content-type",
    "content-encoding",
    "content-language",
    "content-location",
];

/// Whether a custom header key is refused by the API.
pub fn header_key_denied(key: &str) -> bool {
    let lower = key.to_ascii_lowercase();
    DENIED_HEADER_PREFIXES.iter().any(|p| lower.starts_with(p)) || DENIED_HEADER_KEYS.contains(&lower.as_str())
}

/// [`NAME_PATTERN`]: one or more ASCII letters, digits, underscores or spaces.
pub fn name_valid(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b' ')
}

/// [`SECRET_PATTERN`]: an optional `whsec_` prefix, then 32 to 100 of `[a-zA-Z0-9+/=]`.
pub fn secret_valid(secret: &str) -> bool {
    let body = secret.strip_prefix("whsec_").unwrap_or(secret);
    (32..=100).contains(&body.len()) && body.bytes().all(|b| b.is_ascii_alphanumeric() || b"+/=".contains(&b))
}

pub fn url_valid(url: &str) -> bool {
    let n = url.chars().count();
    (1..=URL_MAX_CHARS).contains(&n)
}

/// Parses and validates a raw request body.
pub fn upsert_from_bytes(body: &[u8]) -> Result<Upsert, Vec<InvalidParam>> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => upsert_from_map(&map),
        Ok(_) => Err(vec![InvalidParam::new("body", "must be a JSON object")]),
        Err(_) => Err(vec![InvalidParam::new("body", "must be a valid JSON document")]),
    }
}

/// Validates a JSON object as an upsert body, collecting every violation.
pub fn upsert_from_map(map: &Map<String, Value>) -> Result<Upsert, Vec<InvalidParam>> {
    let mut errs = Vec::new();
    let name = required_string(map, "name", &mut errs).and_then(|s| check(s, "name", &mut errs, name_rule));
    let url = required_string(map, "url", &mut errs).and_then(|s| check(s, "url", &mut errs, url_rule));
    let event_types = match map.get("eventTypes") {
        None => {
            errs.push(required("eventTypes"));
            None
        }
        Some(v) => event_types(v, &mut errs),
    };
    let is_active = match map.get("isActive") {
        None => {
            errs.push(required("isActive"));
            None
        }
        Some(Value::Bool(b)) => Some(*b),
        Some(_) => {
            errs.push(InvalidParam::new("isActive", "must be a boolean"));
            None
        }
    };
    let secret = required_string(map, "validationSecret", &mut errs)
        .and_then(|s| check(s, "validationSecret", &mut errs, secret_rule));
    let headers = match map.get("headers") {
        None => Some(Vec::new()),
        Some(v) => headers(v, &mut errs),
    };
    match (name, url, event_types, is_active, secret, headers) {
        (Some(name), Some(url), Some(event_types), Some(is_active), Some(validation_secret), Some(headers))
            if errs.is_empty() =>
        {
            Ok(Upsert { name, url, event_types, is_active, validation_secret, headers })
        }
        _ => Err(errs),
    }
}

fn required(field: &str) -> InvalidParam {
    InvalidParam::new(field, "is required")
}

fn required_string(map: &Map<String, Value>, field: &str, errs: &mut Vec<InvalidParam>) -> Option<String> {
    match map.get(field) {
        None => {
            errs.push(required(field));
            None
        }
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => {
            errs.push(InvalidParam::new(field, "must be a string"));
            None
        }
    }
}

fn check(value: String, field: &str, errs: &mut Vec<InvalidParam>, rule: fn(&str) -> Option<String>) -> Option<String> {
    match rule(&value) {
        None => Some(value),
        Some(reason) => {
            errs.push(InvalidParam::new(field, reason));
            None
        }
    }
}

fn name_rule(name: &str) -> Option<String> {
    if name.is_empty() {
        Some("must be at least 1 character long".into())
    } else if !name_valid(name) {
        Some(format!("must match pattern {NAME_PATTERN} (letters, digits, underscore and space)"))
    } else {
        None
    }
}

fn url_rule(url: &str) -> Option<String> {
    (!url_valid(url)).then(|| format!("must be between 1 and {URL_MAX_CHARS} characters long"))
}

fn secret_rule(secret: &str) -> Option<String> {
    (!secret_valid(secret)).then(|| format!("must match pattern {SECRET_PATTERN}"))
}

fn event_types(v: &Value, errs: &mut Vec<InvalidParam>) -> Option<Vec<String>> {
    let Value::Array(items) = v else {
        errs.push(InvalidParam::new("eventTypes", "must be an array of strings"));
        return None;
    };
    let mut out = Vec::with_capacity(items.len());
    let mut ok = true;
    for (i, item) in items.iter().enumerate() {
        match item {
            Value::String(s) => out.push(s.clone()),
            _ => {
                errs.push(InvalidParam::new(format!("eventTypes[{i}]"), "must be a string"));
                ok = false;
            }
        }
    }
    ok.then_some(out)
}

fn headers(v: &Value, errs: &mut Vec<InvalidParam>) -> Option<Vec<Header>> {
    let Value::Array(items) = v else {
        errs.push(InvalidParam::new("headers", "must be an array of {key, value} objects"));
        return None;
    };
    let mut out = Vec::with_capacity(items.len());
    let mut ok = true;
    for (i, item) in items.iter().enumerate() {
        let Value::Object(obj) = item else {
            errs.push(InvalidParam::new(format!("headers[{i}]"), "must be an object with key and value"));
            ok = false;
            continue;
        };
        let key = header_field(obj, i, "key", errs);
        let value = header_field(obj, i, "value", errs);
        if let Some(k) = &key
            && header_key_denied(k)
        {
            errs.push(InvalidParam::new(
                format!("headers[{i}].key"),
                "is a reserved header name or uses a reserved prefix (compared case-insensitively)",
            ));
            ok = false;
            continue;
        }
        match (key, value) {
            (Some(key), Some(value)) => out.push(Header { key, value }),
            _ => ok = false,
        }
    }
    ok.then_some(out)
}

fn header_field(obj: &Map<String, Value>, i: usize, field: &str, errs: &mut Vec<InvalidParam>) -> Option<String> {
    match obj.get(field) {
        Some(Value::String(s)) => Some(s.clone()),
        None => {
            errs.push(InvalidParam::new(format!("headers[{i}].{field}"), "is required"));
            None
        }
        Some(_) => {
            errs.push(InvalidParam::new(format!("headers[{i}].{field}"), "must be a string"));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn base() -> Value {
        json!({"name": "n 1_x", "url": "https://x", "eventTypes": ["teamserver.push"], "isActive": true,
               "validationSecret": "a".repeat(32)})
    }

    fn names(body: Value) -> Vec<String> {
        match upsert_from_bytes(body.to_string().as_bytes()) {
            Ok(_) => vec![],
            Err(e) => e.into_iter().map(|p| p.name).collect(),
        }
    }

    #[test]
    fn accepts_minimal_body_and_defaults_headers() {
        let u = upsert_from_bytes(base().to_string().as_bytes()).expect("valid");
        assert!(u.headers.is_empty());
    }

    #[test]
    fn collects_every_violation() {
        let got = names(json!({"name": "", "url": 5, "eventTypes": "x", "validationSecret": "short"}));
        assert_eq!(got, vec!["name", "url", "eventTypes", "isActive", "validationSecret"]);
    }

    #[test]
    fn hand_written_checks_agree_with_the_documented_patterns() {
        let name_re = regex::Regex::new(NAME_PATTERN).expect("name pattern");
        let secret_re = regex::Regex::new(SECRET_PATTERN).expect("secret pattern");
        let long = "a".repeat(100);
        let samples = [
            "",
            " ",
            "a",
            "a b_C9",
            "a-b",
            "ä",
            "a\n",
            "whsec_",
            "whsecAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            "whsec_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "+/=+/=+/=+/=+/=+/=+/=+/=+/=+/=+/",
            "whsec_whsec_aaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            &long,
        ];
        for s in samples {
            assert_eq!(name_valid(s), name_re.is_match(s), "name {s:?}");
            assert_eq!(secret_valid(s), secret_re.is_match(s), "secret {s:?}");
        }
        let too_long = format!("{long}a");
        assert_eq!(secret_valid(&too_long), secret_re.is_match(&too_long));
        assert_eq!(secret_valid(&format!("whsec_{long}")), secret_re.is_match(&format!("whsec_{long}")));
    }

    #[test]
    fn header_denylist_is_case_insensitive() {
        assert!(header_key_denied("X-Amz-Date"));
        assert!(header_key_denied("CONTENT-TYPE"));
        assert!(header_key_denied("x-googlebot"));
        assert!(!header_key_denied("Authorization"));
        assert!(!header_key_denied("x-amz"));
    }

    #[test]
    fn reasons_never_echo_values() {
        let mut b = base();
        b["name"] = json!("secret-value!");
        b["validationSecret"] = json!("secret-value!");
        b["headers"] = json!([{"key": "secret-value!-x-amz-", "value": 1}]);
        let err = upsert_from_bytes(b.to_string().as_bytes()).expect_err("invalid");
        assert!(err.iter().all(|p| !p.reason.contains("secret-value")));
    }
}
