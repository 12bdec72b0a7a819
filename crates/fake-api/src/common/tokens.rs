//! Tokens shared by the fakes: the well-formedness rule, the tokens file (a JSON or YAML list),
//! the `Authorization: <scheme> <token>` header, and a registry from token to what it may do.
//! Tokens are never logged or echoed.
use std::collections::HashMap;
use std::path::Path;

use axum::http::{HeaderMap, header};
use serde::de::DeserializeOwned;

use super::errors::FakeError;

/// Tokens end up in an HTTP header, so they must be visible ASCII.
pub fn token_well_formed(token: &str) -> bool {
    !token.is_empty() && token.len() <= 4096 && token.bytes().all(|b| b.is_ascii_graphic())
}

/// Parses a tokens file: a JSON list, or else a YAML list, of `T`.
pub fn parse_list<T: DeserializeOwned>(text: &str) -> Result<Vec<T>, FakeError> {
    match serde_json::from_str::<Vec<T>>(text) {
        Ok(v) => Ok(v),
        Err(json_err) => serde_yaml_ng::from_str::<Vec<T>>(text)
            .map_err(|yaml_err| FakeError::TokensFormat(format!("as JSON: {json_err}; as YAML: {yaml_err}"))),
    }
}

/// Reads and parses a tokens file.
pub fn load_list<T: DeserializeOwned>(path: &Path) -> Result<Vec<T>, FakeError> {
    let text = std::fs::read_to_string(path).map_err(|source| FakeError::Read { path: path.to_path_buf(), source })?;
    parse_list(&text)
}

/// The token of `Authorization: <scheme> <token>`; the scheme is compared case-insensitively.
pub fn presented_token<'a>(headers: &'a HeaderMap, scheme: &str) -> Option<&'a str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (given, rest) = value.trim().split_once(' ')?;
    let token = rest.trim();
    (given.eq_ignore_ascii_case(scheme) && !token.is_empty()).then_some(token)
}

/// Token -> grant.
#[derive(Clone, Debug)]
pub struct Registry<G> {
    grants: HashMap<String, G>,
}

impl<G> Default for Registry<G> {
    fn default() -> Self {
        Self { grants: HashMap::new() }
    }
}

impl<G> Registry<G> {
    /// Builds the registry from the entries of a tokens file, in file order: every token must be
    /// well-formed and listed once.
    pub fn from_pairs(entries: impl IntoIterator<Item = (String, G)>) -> Result<Self, FakeError> {
        let mut grants = HashMap::new();
        for (index, (token, grant)) in entries.into_iter().enumerate() {
            if !token_well_formed(&token) {
                return Err(FakeError::TokenEntry {
                    index,
                    reason: "token must be non-empty printable ASCII without spaces".into(),
                });
            }
            if grants.insert(token, grant).is_some() {
                return Err(FakeError::TokenEntry { index, reason: "token listed twice".into() });
            }
        }
        Ok(Self { grants })
    }

    pub fn lookup(&self, token: &str) -> Option<&G> {
        self.grants.get(token)
    }

    /// Every grant, in no particular order.
    pub fn grants(&self) -> impl Iterator<Item = &G> {
        self.grants.values()
    }

    pub fn set(&mut self, token: String, grant: G) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn authorization_header_scheme() {
        let mut h = HeaderMap::new();
        assert_eq!(presented_token(&h, "Bearer"), None);
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("bearer abc"));
        assert_eq!(presented_token(&h, "Bearer"), Some("abc"));
        assert_eq!(presented_token(&h, "MxToken"), None);
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer "));
        assert_eq!(presented_token(&h, "Bearer"), None);
    }

    #[test]
    fn registry_refuses_malformed_and_repeated_tokens() {
        assert!(Registry::from_pairs([("a b".to_string(), ())]).is_err());
        assert!(Registry::from_pairs([("a".to_string(), ()), ("a".to_string(), ())]).is_err());
        let r = Registry::from_pairs([("a".to_string(), 1), ("b".to_string(), 2)]).expect("valid");
        assert_eq!((r.lookup("b"), r.len()), (Some(&2), 2));
    }
}
