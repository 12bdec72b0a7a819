//! What can go wrong when loading a key or verifying a delivery. No variant carries key material,
//! and no message prints header values an attacker controls beyond short, validated numbers.

/// Why a signing key could not be built from a secret. Never contains the secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// The secret is empty (after removing the `whsec_` prefix for [`KeyFormat::Whsec`]).
    ///
    /// [`KeyFormat::Whsec`]: super::KeyFormat::Whsec
    #[error("the webhook secret is empty")]
    Empty,
    /// A `whsec_` secret whose remainder is not standard base64.
    #[error("the webhook secret is not valid base64 after the optional whsec_ prefix (key format whsec)")]
    NotBase64,
}

/// Why a delivery did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// A required header is absent (or present but empty).
    #[error("missing header {0}")]
    MissingHeader(&'static str),
    /// A header is present but cannot be used: not visible ASCII, repeated, not a number, or no
    /// `v1,<base64>` entry in the signature list.
    #[error("malformed header {header}: {reason}")]
    BadFormat {
        /// The header name, lower case.
        header: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The timestamp is older than `now - tolerance`.
    #[error("timestamp {timestamp} is {age}s older than now ({now}); tolerance is {tolerance}s")]
    Expired {
        /// The `webhook-timestamp` value (epoch seconds).
        timestamp: i64,
        /// The verifier's clock (epoch seconds).
        now: i64,
        /// How far in the past the timestamp is, in seconds.
        age: u64,
        /// The tolerance in seconds.
        tolerance: u64,
    },
    /// The timestamp is later than `now + tolerance`.
    #[error("timestamp {timestamp} is {ahead}s ahead of now ({now}); tolerance is {tolerance}s")]
    TooNew {
        /// The `webhook-timestamp` value (epoch seconds).
        timestamp: i64,
        /// The verifier's clock (epoch seconds).
        now: i64,
        /// How far in the future the timestamp is, in seconds.
        ahead: u64,
        /// The tolerance in seconds.
        tolerance: u64,
    },
    /// The headers are well formed and the timestamp is fine, but no `v1` signature in the list
    /// equals the one computed with any of the keys.
    #[error("no signature matches: {candidates} v1 signature(s) in the header, checked against {keys} key(s)")]
    NoMatchingSignature {
        /// How many well-formed `v1` entries the header had.
        candidates: usize,
        /// How many keys were tried.
        keys: usize,
    },
}

impl SignatureError {
    /// True for [`SignatureError::Expired`] and [`SignatureError::TooNew`].
    pub fn is_timestamp(&self) -> bool {
        matches!(self, SignatureError::Expired { .. } | SignatureError::TooNew { .. })
    }

    /// A stable lower-case word for metrics labels and logs: `missing_header`, `bad_format`,
    /// `expired`, `too_new` or `bad_signature`.
    pub fn kind(&self) -> &'static str {
        match self {
            SignatureError::MissingHeader(_) => "missing_header",
            SignatureError::BadFormat { .. } => "bad_format",
            SignatureError::Expired { .. } => "expired",
            SignatureError::TooNew { .. } => "too_new",
            SignatureError::NoMatchingSignature { .. } => "bad_signature",
        }
    }
}
