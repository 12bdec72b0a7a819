//! Personal access tokens: the tokens file, scopes, and which apps a token may touch.
//! An app exists for the fake when at least one token lists it.
use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use axum::http::{HeaderMap, Method, header};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::errors::FakeError;

pub const SCOPE_READ: &str = "mx:webhook:read";
pub const SCOPE_WRITE: &str = "mx:webhook:write";

/// One entry of the tokens file: `{token, scopes: [...], apps: [uuid...]}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenEntry {
    pub token: String,
    #[serde(default)]
    pub scopes: Vec<String>,
    #[serde(default, with = "super::uuid_serde::seq")]
    pub apps: Vec<Uuid>,
}

impl TokenEntry {
    pub fn new(token: impl Into<String>, scopes: &[&str], apps: &[Uuid]) -> Self {
        Self { token: token.into(), scopes: scopes.iter().map(|s| s.to_string()).collect(), apps: apps.to_vec() }
    }
}

/// What a token may do.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    #[serde(default)]
    pub scopes: Vec<String>,
    #[serde(default, with = "super::uuid_serde::seq")]
    pub apps: BTreeSet<Uuid>,
}

impl Grant {
    /// `mx:webhook:read` allows GET; `mx:webhook:write` allows every operation.
    pub fn allows(&self, method: &Method) -> bool {
        let has = |s: &str| self.scopes.iter().any(|x| x == s);
        has(SCOPE_WRITE) || (has(SCOPE_READ) && (method == Method::GET || method == Method::HEAD))
    }

    pub fn has_app(&self, app: &Uuid) -> bool {
        self.apps.contains(app)
    }
}

/// The token registry. Tokens are never logged or echoed.
#[derive(Clone, Debug, Default)]
pub struct Tokens {
    grants: HashMap<String, Grant>,
}

impl Tokens {
    pub fn from_entries(entries: Vec<TokenEntry>) -> Result<Self, FakeError> {
        let mut grants = HashMap::new();
        for (index, e) in entries.into_iter().enumerate() {
            if !token_well_formed(&e.token) {
                return Err(FakeError::TokenEntry {
                    index,
                    reason: "token must be non-empty printable ASCII without spaces".into(),
                });
            }
            if grants.insert(e.token, Grant { scopes: e.scopes, apps: e.apps.into_iter().collect() }).is_some() {
                return Err(FakeError::TokenEntry { index, reason: "token listed twice".into() });
            }
        }
        Ok(Self { grants })
    }

    pub fn lookup(&self, token: &str) -> Option<&Grant> {
        self.grants.get(token)
    }

    pub fn app_exists(&self, app: &Uuid) -> bool {
        self.grants.values().any(|g| g.has_app(app))
    }

    pub fn set(&mut self, token: String, grant: Grant) {
        self.grants.insert(token, grant);
    }

    pub fn remove(&mut self, token: &str) -> bool {
        self.grants.remove(token).is_some()
    }

    pub fn len(&self) -> usize {
        self.grants.len()
    }

    pub fn is_empty(&self) -> bool {
        self.grants.is_empty()
    }
}

/// Tokens end up in an HTTP header, so they must be visible ASCII.
pub fn token_well_formed(token: &str) -> bool {
    !token.is_empty() && token.len() <= 4096 && token.bytes().all(|b| b.is_ascii_graphic())
}

/// Parses a tokens file: a JSON or YAML list of [`TokenEntry`].
pub fn parse_tokens(text: &str) -> Result<Vec<TokenEntry>, FakeError> {
    match serde_json::from_str::<Vec<TokenEntry>>(text) {
        Ok(v) => Ok(v),
        Err(json_err) => serde_yaml_ng::from_str::<Vec<TokenEntry>>(text)
            .map_err(|yaml_err| FakeError::TokensFormat(format!("as JSON: {json_err}; as YAML: {yaml_err}"))),
    }
}

pub fn load_tokens(path: &Path) -> Result<Vec<TokenEntry>, FakeError> {
    let text = std::fs::read_to_string(path).map_err(|source| FakeError::Read { path: path.to_path_buf(), source })?;
    parse_tokens(&text)
}

/// The token of `Authorization: MxToken <pat>`; the scheme is compared case-insensitively.
pub fn presented_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, rest) = value.trim().split_once(' ')?;
    let token = rest.trim();
    (scheme.eq_ignore_ascii_case("MxToken") && !token.is_empty()).then_some(token)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn parses_json_and_yaml() {
        let app = "76ef1b0f-4050-4810-a159-cb419268636c";
        let json = format!(r#"[{{"token":"t1","scopes":["{SCOPE_READ}"],"apps":["{app}"]}}]"#);
        let yaml = format!("- token: t1\n  scopes: [{SCOPE_READ}]\n  apps: [{app}]\n");
        assert_eq!(parse_tokens(&json).expect("json"), parse_tokens(&yaml).expect("yaml"));
        assert!(parse_tokens("- token: t\n  apps: [not-a-uuid]\n").is_err());
    }

    #[test]
    fn scopes_map_to_methods() {
        let read = Grant { scopes: vec![SCOPE_READ.into()], apps: BTreeSet::new() };
        let write = Grant { scopes: vec![SCOPE_WRITE.into()], apps: BTreeSet::new() };
        assert!(read.allows(&Method::GET) && !read.allows(&Method::POST) && !read.allows(&Method::DELETE));
        assert!(write.allows(&Method::GET) && write.allows(&Method::PUT));
        assert!(!Grant::default().allows(&Method::GET));
    }

    #[test]
    fn authorization_header_scheme() {
        let mut h = HeaderMap::new();
        assert_eq!(presented_token(&h), None);
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("MxToken abc"));
        assert_eq!(presented_token(&h), Some("abc"));
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer abc"));
        assert_eq!(presented_token(&h), None);
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("MxToken "));
        assert_eq!(presented_token(&h), None);
    }
}
