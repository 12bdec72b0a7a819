//! Bearer tokens: the tokens file, the permissions of the `webhooks` security group (read, list,
//! write), and which tenants a token may touch. A tenant exists for the fake when at least one
//! token lists it.
use std::collections::BTreeSet;
use std::path::Path;

use axum::http::HeaderMap;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::common::errors::FakeError;
use crate::common::tokens::{self, Registry};

/// A permission of the `webhooks` security group, as the seed names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Permission {
    /// `GET …/webhooks/{locator}` (and, with `list`, the list).
    Read,
    /// `GET …/webhooks/list`, together with `read`.
    List,
    /// Create, update, unsuspend, delete.
    Write,
}

impl Permission {
    /// All three.
    pub const ALL: [Permission; 3] = [Permission::Read, Permission::List, Permission::Write];

    pub fn as_str(self) -> &'static str {
        match self {
            Permission::Read => "read",
            Permission::List => "list",
            Permission::Write => "write",
        }
    }
}

/// One entry of the tokens file: `{token, permissions: [read, list, write], tenants: [uuid...]}`.
/// Unknown permission names are refused, so a typo does not silently remove a permission.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenEntry {
    pub token: String,
    #[serde(default)]
    pub permissions: Vec<Permission>,
    #[serde(default, with = "crate::common::uuid_serde::seq")]
    pub tenants: Vec<Uuid>,
}

impl TokenEntry {
    pub fn new(token: impl Into<String>, permissions: &[Permission], tenants: &[Uuid]) -> Self {
        Self { token: token.into(), permissions: permissions.to_vec(), tenants: tenants.to_vec() }
    }
}

/// What a token may do (also the body of `PUT /_admin/tokens/{token}`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Grant {
    #[serde(default)]
    pub permissions: BTreeSet<Permission>,
    #[serde(default, with = "crate::common::uuid_serde::seq")]
    pub tenants: BTreeSet<Uuid>,
}

impl Grant {
    pub fn has(&self, permission: Permission) -> bool {
        self.permissions.contains(&permission)
    }

    pub fn has_tenant(&self, tenant: &Uuid) -> bool {
        self.tenants.contains(tenant)
    }
}

/// The token registry. Tokens are never logged or echoed.
pub type Tokens = Registry<Grant>;

impl Registry<Grant> {
    pub fn from_token_entries(entries: Vec<TokenEntry>) -> Result<Self, FakeError> {
        Self::from_pairs(entries.into_iter().map(|e| {
            let grant =
                Grant { permissions: e.permissions.into_iter().collect(), tenants: e.tenants.into_iter().collect() };
            (e.token, grant)
        }))
    }

    pub fn tenant_exists(&self, tenant: &Uuid) -> bool {
        self.grants().any(|g| g.has_tenant(tenant))
    }
}

/// Parses a tokens file: a JSON or YAML list of [`TokenEntry`].
pub fn parse_tokens(text: &str) -> Result<Vec<TokenEntry>, FakeError> {
    tokens::parse_list(text)
}

pub fn load_tokens(path: &Path) -> Result<Vec<TokenEntry>, FakeError> {
    tokens::load_list(path)
}

/// The token of `Authorization: Bearer <token>`; the scheme is compared case-insensitively.
pub fn presented_token(headers: &HeaderMap) -> Option<&str> {
    tokens::presented_token(headers, "Bearer")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_json_and_yaml_and_refuses_unknown_permissions() {
        let tenant = "0f5e1b5c-8a61-4c1e-9d7e-2b0b7f6b9a10";
        let json = format!(r#"[{{"token":"t1","permissions":["read","list"],"tenants":["{tenant}"]}}]"#);
        let yaml = format!("- token: t1\n  permissions: [read, list]\n  tenants: [{tenant}]\n");
        let parsed = parse_tokens(&json).expect("json");
        assert_eq!(parsed, parse_tokens(&yaml).expect("yaml"));
        assert_eq!(parsed[0].permissions, [Permission::Read, Permission::List]);
        assert!(parse_tokens("- token: t\n  permissions: [reed]\n").is_err());
        assert!(parse_tokens("- token: t\n  tenants: [not-a-uuid]\n").is_err());
        assert!(parse_tokens("- token: t\n  scopes: [read]\n").is_err(), "Mendix-style entries are refused");
    }
}
