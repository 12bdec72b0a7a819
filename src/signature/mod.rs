//! Signing and verifying webhook deliveries, for receivers of Mendix webhooks and for the
//! operator's own test deliveries.
//!
//! # Standard Webhooks v1 (Mendix app webhooks)
//!
//! Mendix sends `webhook-id`, `webhook-timestamp` and `webhook-signature` headers. The signature
//! is HMAC-SHA256 over `{webhook-id}.{webhook-timestamp}.{body}`, base64-encoded, written as
//! `v1,<base64>`; several entries may be sent, space-separated, the first computed with the
//! newest secret. A delivery is valid when *any* entry matches.
//!
//! ## Which key? ([`KeyFormat`])
//!
//! - [`KeyFormat::Raw`] (**the default**): the validation secret string, as typed in the
//!   Developer Portal, is the HMAC key. This is what the Mendix documentation tells receivers to
//!   do (`openssl dgst -sha256 -binary -hmac "$VALIDATION_SECRET"`), so it is what a Mendix
//!   secret works with.
//! - [`KeyFormat::Whsec`]: the Standard Webhooks convention: `whsec_<base64>`, decoded. Use it
//!   with senders that follow that specification (Svix and its libraries).
//!
//! ## Sending (operator test delivery)
//!
//! ```
//! use hookwright::signature::{new_message_id, signed_headers, unix_now, SigningKey, KeyFormat};
//! let key = SigningKey::new("the validation secret", KeyFormat::Raw).unwrap();
//! let body = br#"{"eventType":"package.uploaded"}"#;
//! let signed = signed_headers(&[key], &new_message_id(), unix_now(), body);
//! for (name, value) in signed.pairs() {
//!     // request = request.header(name, value);
//!     assert!(name.starts_with("webhook-") && !value.is_empty());
//! }
//! ```
//!
//! ## Receiving
//!
//! ```
//! # use hookwright::signature::*;
//! # let key = SigningKey::raw("the validation secret").unwrap();
//! # let body = b"{}";
//! # let headers = signed_headers(&[key.clone()], "msg_1", unix_now(), body).to_header_map().unwrap();
//! match verify(&key, &headers, body, unix_now(), DEFAULT_TOLERANCE) {
//!     Ok(_) => { /* process */ }
//!     Err(e) if e.is_timestamp() => { /* too old or too new: replay or clock skew */ }
//!     Err(e) => panic!("rejected: {e}"),
//! }
//! ```
//!
//! The comparison is constant-time ([`subtle`]); the timestamp must be within the tolerance
//! (default [`DEFAULT_TOLERANCE`], 5 minutes) in both directions and is checked before the
//! signature. Replay protection within the tolerance window (remembering `webhook-id`s) is the
//! receiver's job; `hookwright receive` does it.
//!
//! # Legacy Sprints/Stories webhooks
//!
//! The deprecated `MxAPI-Signature` scheme lives in [`legacy`], behind its own functions.

pub mod errors;
#[cfg(test)]
mod fuzz;
pub mod headers;
pub mod key;
pub mod legacy;
pub mod standard;

pub use errors::{KeyError, SignatureError};
pub use headers::{HEADER_ID, HEADER_SIGNATURE, HEADER_TIMESTAMP, WebhookHeaders, parse_raw_headers};
pub use key::{KeyFormat, SigningKey, WHSEC_PREFIX};
pub use standard::{
    DEFAULT_TOLERANCE, SignedHeaders, Verified, check_timestamp, mac, new_message_id, sign, sign_list, signed_headers,
    unix_now, verify, verify_headers, verify_ignoring_timestamp,
};
