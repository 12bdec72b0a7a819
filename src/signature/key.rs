//! Turning a webhook secret into HMAC key bytes, under one of the two conventions in use.

use std::fmt;
use std::str::FromStr;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD_PAD_INDIFFERENT;
use secrecy::{ExposeSecret, SecretSlice};

use super::errors::KeyError;

/// The prefix Standard Webhooks puts in front of a base64 secret.
pub const WHSEC_PREFIX: &str = "whsec_";

/// How a secret string becomes the HMAC-SHA256 key.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum KeyFormat {
    /// The bytes of the secret string are the key, exactly as Mendix documents it (seed 002:
    /// `openssl dgst -sha256 -binary -hmac "$VALIDATION_SECRET"`). This is the default: it is
    /// what the Developer Portal's own verification guide tells receivers to do.
    #[default]
    Raw,
    /// Standard Webhooks: strip an optional `whsec_` prefix and base64-decode the rest (padding
    /// optional); the decoded bytes are the key.
    Whsec,
}

impl KeyFormat {
    /// `raw` or `whsec`, the spelling [`FromStr`] accepts.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyFormat::Raw => "raw",
            KeyFormat::Whsec => "whsec",
        }
    }
}

impl fmt::Display for KeyFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error of parsing a [`KeyFormat`] from text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown key format {0:?}: expected raw or whsec")]
pub struct UnknownKeyFormat(String);

impl FromStr for KeyFormat {
    type Err = UnknownKeyFormat;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "raw" => Ok(KeyFormat::Raw),
            "whsec" => Ok(KeyFormat::Whsec),
            _ => Err(UnknownKeyFormat(s.chars().take(32).collect())),
        }
    }
}

/// An HMAC-SHA256 key derived from a webhook secret. The bytes are zeroed on drop and never
/// appear in `Debug` output.
#[derive(Clone)]
pub struct SigningKey {
    bytes: SecretSlice<u8>,
    format: KeyFormat,
}

impl SigningKey {
    /// Builds the key from a secret string under `format`.
    pub fn new(secret: &str, format: KeyFormat) -> Result<SigningKey, KeyError> {
        SigningKey::from_bytes(secret.as_bytes(), format)
    }

    /// [`KeyFormat::Raw`]: the secret string itself is the key (the Mendix convention).
    pub fn raw(secret: &str) -> Result<SigningKey, KeyError> {
        SigningKey::new(secret, KeyFormat::Raw)
    }

    /// [`KeyFormat::Whsec`]: `whsec_<base64>` (prefix optional), decoded.
    pub fn whsec(secret: &str) -> Result<SigningKey, KeyError> {
        SigningKey::new(secret, KeyFormat::Whsec)
    }

    /// Like [`SigningKey::new`] for secrets that may not be UTF-8 (a raw key can be any bytes).
    pub fn from_bytes(secret: &[u8], format: KeyFormat) -> Result<SigningKey, KeyError> {
        let bytes = match format {
            KeyFormat::Raw => secret.to_vec(),
            KeyFormat::Whsec => {
                let rest = secret.strip_prefix(WHSEC_PREFIX.as_bytes()).unwrap_or(secret);
                if rest.is_empty() {
                    return Err(KeyError::Empty);
                }
                STANDARD_PAD_INDIFFERENT.decode(rest).map_err(|_| KeyError::NotBase64)?
            }
        };
        if bytes.is_empty() {
            return Err(KeyError::Empty);
        }
        Ok(SigningKey { bytes: SecretSlice::from(bytes), format })
    }

    /// Builds the key from the contents of a secret file (or environment variable): trailing
    /// `\n`/`\r` are removed first, because `echo secret > file` and many editors add one and a
    /// webhook secret never ends in a line break. Other whitespace is kept.
    pub fn from_file_contents(contents: &[u8], format: KeyFormat) -> Result<SigningKey, KeyError> {
        SigningKey::from_bytes(trim_line_end(contents), format)
    }

    /// The convention this key was built with.
    pub fn format(&self) -> KeyFormat {
        self.format
    }

    /// The key bytes, for the HMAC only.
    pub(crate) fn expose(&self) -> &[u8] {
        self.bytes.expose_secret()
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey").field("format", &self.format).field("bytes", &"[redacted]").finish()
    }
}

/// `contents` without trailing `\n` and `\r` bytes.
pub fn trim_line_end(contents: &[u8]) -> &[u8] {
    let end = contents.iter().rposition(|b| *b != b'\n' && *b != b'\r').map_or(0, |i| i + 1);
    contents.get(..end).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_key_is_the_secret_bytes() {
        let k = SigningKey::raw("whsec_not-decoded").unwrap();
        assert_eq!(k.expose(), b"whsec_not-decoded");
        assert_eq!(k.format(), KeyFormat::Raw);
    }

    #[test]
    fn whsec_prefix_is_optional_and_padding_too() {
        let a = SigningKey::whsec("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let b = SigningKey::whsec("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        assert_eq!(a.expose(), b.expose());
        assert_eq!(a.expose().len(), 24);
        let padded = SigningKey::whsec("whsec_YWJj").unwrap();
        assert_eq!(padded.expose(), b"abc");
        let unpadded = SigningKey::whsec("whsec_YWI").unwrap();
        assert_eq!(unpadded.expose(), b"ab");
        assert_eq!(SigningKey::whsec("YWI=").unwrap().expose(), b"ab");
    }

    #[test]
    fn bad_keys_are_rejected_without_echoing_them() {
        assert_eq!(SigningKey::raw("").unwrap_err(), KeyError::Empty);
        assert_eq!(SigningKey::whsec("whsec_").unwrap_err(), KeyError::Empty);
        let err = SigningKey::whsec("whsec_not base64!!").unwrap_err();
        assert_eq!(err, KeyError::NotBase64);
        assert!(!err.to_string().contains("not base64!!"));
    }

    #[test]
    fn debug_redacts() {
        let k = SigningKey::raw("hunter2-secret").unwrap();
        let shown = format!("{k:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("redacted"));
    }

    #[test]
    fn file_contents_lose_only_line_endings() {
        assert_eq!(trim_line_end(b"abc\n"), b"abc");
        assert_eq!(trim_line_end(b"abc\r\n\n"), b"abc");
        assert_eq!(trim_line_end(b" abc \n"), b" abc ");
        assert_eq!(trim_line_end(b"\n\n"), b"");
        let k = SigningKey::from_file_contents(b"s3cret\n", KeyFormat::Raw).unwrap();
        assert_eq!(k.expose(), b"s3cret");
        assert_eq!(SigningKey::from_file_contents(b"\n", KeyFormat::Raw).unwrap_err(), KeyError::Empty);
    }

    #[test]
    fn key_format_parses() {
        assert_eq!("raw".parse::<KeyFormat>().unwrap(), KeyFormat::Raw);
        assert_eq!("WHSEC".parse::<KeyFormat>().unwrap(), KeyFormat::Whsec);
        assert!("hex".parse::<KeyFormat>().is_err());
        assert_eq!(KeyFormat::default(), KeyFormat::Raw);
    }
}
