//! Who a provider is, as the controller tracks it: the provider object's kind, namespace and
//! name (one string form for metrics and maps), and a token's hash (to recognise a token
//! without keeping it).
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
