//! Who a provider is, as the controller tracks it: the provider object's kind, namespace and
//! name (one string form for metrics and maps), and a token's hash (to recognise a token
//! without keeping it). Also an object's uid as a number, the key of per-object maps.
use std::hash::{DefaultHasher, Hash, Hasher};

use crate::crd::ProviderKind;

/// Which provider object: kind, name, and namespace for a namespaced one.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ProviderKey {
    pub kind: ProviderKind,
    pub name: String,
    pub namespace: Option<String>,
}

impl ProviderKey {
    /// The provider's identity as one string (metrics label, and the key of what is
    /// remembered about it): `<kind>/<namespace>/<name>`, namespace empty for a cluster one.
    pub fn id(&self) -> String {
        format!("{}/{}/{}", self.kind, self.namespace.as_deref().unwrap_or(""), self.name)
    }
}

/// sha256 of a token, to recognise it without keeping it.
pub fn token_hash(token: &str) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    Sha256::digest(token.as_bytes()).into()
}

/// An object's uid as a number: Kubernetes uids are UUIDs, 16 bytes instead of a 36-character
/// string. Another uid (from a test, say) maps to its hash.
pub fn uid_key(uid: &str) -> u128 {
    let hex: String = uid.chars().filter(|c| *c != '-').collect();
    if hex.len() == 32
        && let Ok(n) = u128::from_str_radix(&hex, 16)
    {
        return n;
    }
    let mut h = DefaultHasher::new();
    uid.hash(&mut h);
    u128::from(h.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_uuid_is_its_number_and_other_uids_differ_too() {
        assert_eq!(uid_key("8d5b4f3e-0000-4000-8000-000000000001"), 0x8d5b4f3e_0000_4000_8000_000000000001);
        assert_ne!(uid_key("u1"), uid_key("u2"));
        assert_eq!(uid_key("u1"), uid_key("u1"));
    }
}
