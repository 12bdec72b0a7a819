//! Personal access tokens: the tokens file, scopes, and which apps a token may touch.
//! An app exists for the fake when at least one token lists it.
use std::collections::BTreeSet;
use std::path::Path;

use axum::http::{HeaderMap, Method};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use crate::common::tokens::token_well_formed;
use crate::common::tokens::{self, Registry};

use super::errors::FakeError;

pub const SCOPE_READ: &str = "mx:webhook:read";
pub const SCOPE_WRITE: &str = "mx:webhook:write";

/// One entry of the tokens file: `{token, scopes: [...], apps: [uuid...]}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenEntry {
    pub token: String,
    #[serde(default)]
    pub scopes: Vec<String>,
    #[serde(default, with = "crate::common::uuid_serde::seq")]
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
    #[serde(default, with = "crate::common::uuid_serde::seq")]
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
pub type Tokens = Registry<Grant>;

impl Registry<Grant> {
    pub fn from_entries(entries: Vec<TokenEntry>) -> Result<Self, FakeError> {
        Self::from_pairs(
            entries.into_iter().map(|e| (e.token, Grant { scopes: e.scopes, apps: e.apps.into_iter().collect() })),
        )
    }

    pub fn app_exists(&self, app: &Uuid) -> bool {
        self.grants().any(|g| g.has_app(app))
    }
}

/// Parses a tokens file: a JSON or YAML list of [`TokenEntry`].
pub fn parse_tokens(text: &str) -> Result<Vec<TokenEntry>, FakeError> {
    tokens::parse_list(text)
}

pub fn load_tokens(path: &Path) -> Result<Vec<TokenEntry>, FakeError> {
    tokens::load_list(path)
}

/// The token of `Authorization: MxToken <pat>`; the scheme is compared case-insensitively.
pub fn presented_token(headers: &HeaderMap) -> Option<&str> {
    tokens::presented_token(headers, "MxToken")
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::{HeaderValue, header};

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
