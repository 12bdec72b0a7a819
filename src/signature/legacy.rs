//! **Legacy**: the deprecated Sprints/Stories webhooks of the Mendix Platform API, signed with an
//! `MxAPI-Signature` header. New Mendix app webhooks use [`super::standard`]; use this module
//! only for old Sprints/Stories integrations.
//!
//! # What the Mendix documentation says (seed 003, quoted verbatim)
//!
//! > `MxAPI-Signature` –  the HMAC hex digest (asymmetric hash using the *HMAC_SHA256* hash
//! > algorithm) of the response body, which is calculated using the hash (the hashes secret
//! > provided in the webhooks setting using the *SHA-256* hash algorithm with the length as 50)
//! >
//! > For example, `(gNh407kBD1wkpHfwIrjWcTMjw4rKxIKX0s5b48FYOys=)`
//!
//! # The interpretation implemented here
//!
//! The description contradicts itself and cannot be checked against a published vector (the
//! example gives neither secret nor body), so this module states its reading and is lenient
//! only where leniency costs no security:
//!
//! - **Message**: the raw request body, nothing else (no id, no timestamp — so this scheme has
//!   no replay protection; a receiver must deduplicate on `MxAPI-Projects-Delivery` itself).
//! - **MAC**: HMAC-SHA256 ("asymmetric" is a misnomer: HMAC is symmetric).
//! - **Key**: the webhook secret from the settings (the "length as 50" is read as the length of
//!   that secret). "Calculated using the hash (the hashes secret …)" can also be read as "the
//!   key is the SHA-256 of the secret", so there are two [`LegacyKey`] derivations.
//!   [`sign`] uses the one the caller names (default [`LegacyKey::Secret`]); [`verify`] accepts
//!   either, since both need the secret and a forger without it can produce neither.
//! - **Encoding**: the text says "hex digest" but the example is base64 of 32 bytes, so
//!   [`verify`] accepts 64 hex digits or base64 (padded or not), optionally wrapped in
//!   parentheses as in the example. [`sign`] writes base64 without parentheses (the form of the
//!   example; the parentheses are read as documentation punctuation).

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_PAD_INDIFFERENT};
use hmac::Mac;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::errors::SignatureError;
use super::key::SigningKey;
use super::standard::keyed_hmac;

/// The header carrying the legacy signature.
pub const LEGACY_SIGNATURE_HEADER: &str = "mxapi-signature";

/// How the HMAC key is derived from the webhook secret (see the module documentation).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum LegacyKey {
    /// The secret's bytes are the key.
    #[default]
    Secret,
    /// SHA-256 of the secret's bytes is the key.
    Sha256OfSecret,
}

impl LegacyKey {
    /// Both derivations, in the order [`verify`] tries them.
    pub const ALL: [LegacyKey; 2] = [LegacyKey::Secret, LegacyKey::Sha256OfSecret];
}

fn legacy_mac(secret: &SigningKey, derivation: LegacyKey, body: &[u8]) -> [u8; 32] {
    let mut mac = match derivation {
        LegacyKey::Secret => keyed_hmac(secret.expose()),
        LegacyKey::Sha256OfSecret => keyed_hmac(&Sha256::digest(secret.expose())),
    };
    mac.update(body);
    mac.finalize().into_bytes().into()
}

/// The `MxAPI-Signature` value for `body`: base64 of HMAC-SHA256 with the derived key.
pub fn sign(secret: &SigningKey, derivation: LegacyKey, body: &[u8]) -> String {
    STANDARD.encode(legacy_mac(secret, derivation, body))
}

/// Verifies an `MxAPI-Signature` header value against `body`; returns the derivation that
/// matched. `secret` should be built with [`super::KeyFormat::Raw`].
pub fn verify(secret: &SigningKey, header_value: &str, body: &[u8]) -> Result<LegacyKey, SignatureError> {
    let given = decode_header(header_value)?;
    let mut found = None;
    for derivation in LegacyKey::ALL {
        if bool::from(legacy_mac(secret, derivation, body).ct_eq(&given)) && found.is_none() {
            found = Some(derivation);
        }
    }
    found.ok_or(SignatureError::NoMatchingSignature { candidates: 1, keys: LegacyKey::ALL.len() })
}

/// Verifies a legacy delivery given its HTTP headers.
pub fn verify_header_map(
    secret: &SigningKey,
    headers: &http::HeaderMap,
    body: &[u8],
) -> Result<LegacyKey, SignatureError> {
    let value = headers.get(LEGACY_SIGNATURE_HEADER).ok_or(SignatureError::MissingHeader(LEGACY_SIGNATURE_HEADER))?;
    let value = value.to_str().map_err(|_| SignatureError::BadFormat {
        header: LEGACY_SIGNATURE_HEADER,
        reason: "value is not visible ASCII",
    })?;
    verify(secret, value, body)
}

/// 32 bytes from `(…)`-wrapped or bare hex or base64.
fn decode_header(value: &str) -> Result<[u8; 32], SignatureError> {
    let bad = |reason| SignatureError::BadFormat { header: LEGACY_SIGNATURE_HEADER, reason };
    let v = value.trim();
    if v.is_empty() {
        return Err(SignatureError::MissingHeader(LEGACY_SIGNATURE_HEADER));
    }
    let v = v.strip_prefix('(').and_then(|s| s.strip_suffix(')')).unwrap_or(v).trim();
    let bytes = if v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()) {
        hex::decode(v).map_err(|_| bad("invalid hex"))?
    } else if v.len() <= 44 {
        STANDARD_PAD_INDIFFERENT.decode(v).map_err(|_| bad("neither 64 hex digits nor base64"))?
    } else {
        return Err(bad("neither 64 hex digits nor base64 of 32 bytes"));
    };
    bytes.try_into().map_err(|_| bad("not a 32-byte HMAC-SHA256"))
}

#[cfg(test)]
mod tests {
    use super::*;

    // A 50-character secret, as the seed describes.
    const SECRET: &str = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN";

    fn key() -> SigningKey {
        SigningKey::raw(SECRET).unwrap()
    }

    #[test]
    fn known_answer() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        let k = SigningKey::raw("Jefe").unwrap();
        let sig = sign(&k, LegacyKey::Secret, b"what do ya want for nothing?");
        let hex = hex::encode(STANDARD.decode(&sig).unwrap());
        assert_eq!(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    }

    #[test]
    fn every_accepted_encoding_verifies() {
        let body = br#"{"Action":"updated"}"#;
        for derivation in LegacyKey::ALL {
            let b64 = sign(&key(), derivation, body);
            let hex = hex::encode(STANDARD.decode(&b64).unwrap());
            for form in [
                b64.clone(),
                format!("({b64})"),
                b64.trim_end_matches('=').to_string(),
                hex.clone(),
                hex.to_uppercase(),
            ] {
                assert_eq!(verify(&key(), &form, body), Ok(derivation), "{form}");
            }
        }
    }

    #[test]
    fn wrong_body_secret_or_format_fails() {
        let body = b"{}";
        let sig = sign(&key(), LegacyKey::Secret, body);
        assert!(matches!(verify(&key(), &sig, b"{ }"), Err(SignatureError::NoMatchingSignature { .. })));
        let other = SigningKey::raw("other").unwrap();
        assert!(matches!(verify(&other, &sig, body), Err(SignatureError::NoMatchingSignature { .. })));
        for bad in ["(", "()", "zz", "gNh407kBD1wkpHfwIrjWcTMjw4rKxIKX0s5b48FYOys=gNh407", "YWJj"] {
            assert!(matches!(verify(&key(), bad, body), Err(SignatureError::BadFormat { .. })), "{bad}");
        }
        assert_eq!(verify(&key(), "  ", body), Err(SignatureError::MissingHeader(LEGACY_SIGNATURE_HEADER)));
        // The seed's example parses (it is base64 of 32 bytes) but was made with an unknown secret.
        assert!(matches!(
            verify(&key(), "(gNh407kBD1wkpHfwIrjWcTMjw4rKxIKX0s5b48FYOys=)", body),
            Err(SignatureError::NoMatchingSignature { .. })
        ));
    }

    #[test]
    fn header_map() {
        let body = b"{}";
        let mut map = http::HeaderMap::new();
        assert_eq!(verify_header_map(&key(), &map, body), Err(SignatureError::MissingHeader(LEGACY_SIGNATURE_HEADER)));
        map.insert("MxAPI-Signature", sign(&key(), LegacyKey::Sha256OfSecret, body).parse().unwrap());
        assert_eq!(verify_header_map(&key(), &map, body), Ok(LegacyKey::Sha256OfSecret));
    }
}
