//! Standard Webhooks v1, the scheme of Mendix app webhooks: HMAC-SHA256 over
//! `{webhook-id}.{webhook-timestamp}.{body}`, base64, sent as `v1,<base64>` entries.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use secrecy::zeroize::Zeroize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::errors::SignatureError;
use super::headers::{self, HEADER_SIGNATURE, VERSION_V1, WebhookHeaders};
use super::key::SigningKey;

/// How far a `webhook-timestamp` may be from the verifier's clock, in either direction, unless
/// the caller says otherwise: 5 minutes, as Standard Webhooks and the Mendix guide suggest.
pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(5 * 60);

/// The raw HMAC-SHA256 of `{id}.{timestamp}.{body}`. The timestamp is written as a plain decimal
/// integer, as every reference library does.
pub fn mac(key: &SigningKey, id: &str, timestamp: i64, body: &[u8]) -> [u8; 32] {
    let mut mac = keyed_hmac(key.expose());
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.finalize().into_bytes().into()
}

/// HMAC-SHA256 keyed with `key`. RFC 2104 defines the key block as the key itself when it fits
/// in one block (64 bytes) and as its SHA-256 otherwise, zero-padded; building that block here
/// lets us use the infallible fixed-size constructor instead of `new_from_slice` (which can only
/// fail for fixed-length MACs, never for HMAC).
pub(crate) fn keyed_hmac(key: &[u8]) -> Hmac<Sha256> {
    let mut block = hmac::digest::Key::<Hmac<Sha256>>::default();
    let digest;
    let key = if key.len() > block.len() {
        digest = Sha256::digest(key);
        digest.as_slice()
    } else {
        key
    };
    // Shorter keys are zero-padded (the HMAC rule); `key` is never longer than the block here.
    block.iter_mut().zip(key).for_each(|(b, k)| *b = *k);
    let mac = <Hmac<Sha256> as KeyInit>::new(&block);
    block.as_mut_slice().zeroize();
    mac
}

/// One signature entry, `v1,<base64>`: what a sender puts in `webhook-signature`.
///
/// ```
/// use hookwright::signature::{sign, SigningKey};
/// let key = SigningKey::whsec("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
/// let sig = sign(&key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, br#"{"test": 2432232314}"#);
/// assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
/// ```
pub fn sign(key: &SigningKey, id: &str, timestamp: i64, body: &[u8]) -> String {
    format!("{VERSION_V1},{}", STANDARD.encode(mac(key, id, timestamp, body)))
}

/// The full `webhook-signature` value for a sender that holds several secrets (during a
/// rotation): one entry per key, space-separated, in the order given — put the newest first.
pub fn sign_list(keys: &[SigningKey], id: &str, timestamp: i64, body: &[u8]) -> String {
    keys.iter().map(|k| sign(k, id, timestamp, body)).collect::<Vec<_>>().join(" ")
}

/// The three headers of a signed delivery, ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedHeaders {
    /// `webhook-id`
    pub id: String,
    /// `webhook-timestamp` (epoch seconds)
    pub timestamp: i64,
    /// `webhook-signature`
    pub signature: String,
}

impl SignedHeaders {
    /// (`webhook-id`, …), (`webhook-timestamp`, …), (`webhook-signature`, …).
    pub fn pairs(&self) -> [(&'static str, String); 3] {
        [
            (headers::HEADER_ID, self.id.clone()),
            (headers::HEADER_TIMESTAMP, self.timestamp.to_string()),
            (HEADER_SIGNATURE, self.signature.clone()),
        ]
    }

    /// The headers as an [`http::HeaderMap`]. Fails only if the id holds bytes that cannot be
    /// an HTTP header value (control characters); the other two are always valid.
    pub fn to_header_map(&self) -> Result<http::HeaderMap, http::header::InvalidHeaderValue> {
        let mut map = http::HeaderMap::with_capacity(3);
        for (name, value) in self.pairs() {
            map.insert(name, http::HeaderValue::try_from(value)?);
        }
        Ok(map)
    }
}

/// Signs a delivery the way Mendix does, with one entry per key (newest first). This is what the
/// operator's test delivery and test senders use.
///
/// ```
/// use hookwright::signature::{signed_headers, new_message_id, unix_now, SigningKey};
/// let key = SigningKey::raw("my validation secret").unwrap();
/// let body = br#"{"eventType":"package.uploaded"}"#;
/// let headers = signed_headers(&[key], &new_message_id(), unix_now(), body);
/// let map = headers.to_header_map().unwrap();
/// assert!(map["webhook-signature"].to_str().unwrap().starts_with("v1,"));
/// ```
pub fn signed_headers(keys: &[SigningKey], id: &str, timestamp: i64, body: &[u8]) -> SignedHeaders {
    SignedHeaders { id: id.to_string(), timestamp, signature: sign_list(keys, id, timestamp, body) }
}

/// A fresh message id in the Mendix/Svix style: `msg_` followed by 27 random base62 characters.
pub fn new_message_id() -> String {
    const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut id = String::with_capacity(31);
    id.push_str("msg_");
    for _ in 0..27 {
        id.extend(ALPHABET.get(rand::random_range(0..ALPHABET.len())).map(|b| char::from(*b)));
    }
    id
}

/// The system clock as epoch seconds (0 if the clock is before 1970).
pub fn unix_now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// What a successful verification found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verified {
    /// Index into the keys given of the key that matched (0 = the first, e.g. the current one).
    pub key_index: usize,
    /// Index among the well-formed `v1` entries of the header of the entry that matched.
    pub signature_index: usize,
    /// The parsed `webhook-timestamp`.
    pub timestamp: i64,
}

/// Verifies a delivery received with `headers` and `body` against one key, at time `now`
/// (epoch seconds) with `tolerance` both ways. Checks, in order: the three headers are present
/// and well formed; the timestamp is within tolerance; some `v1` entry equals the HMAC
/// (constant-time comparison).
///
/// ```
/// use hookwright::signature::{verify, signed_headers, DEFAULT_TOLERANCE, SigningKey};
/// let key = SigningKey::raw("secret").unwrap();
/// let sent = signed_headers(&[key.clone()], "msg_1", 1_700_000_000, b"{}");
/// let headers = sent.to_header_map().unwrap();
/// assert!(verify(&key, &headers, b"{}", 1_700_000_100, DEFAULT_TOLERANCE).is_ok());
/// assert!(verify(&key, &headers, b"{ }", 1_700_000_100, DEFAULT_TOLERANCE).is_err());
/// ```
pub fn verify(
    key: &SigningKey,
    headers: &http::HeaderMap,
    body: &[u8],
    now: i64,
    tolerance: Duration,
) -> Result<Verified, SignatureError> {
    let parts = WebhookHeaders::from_header_map(headers)?;
    verify_headers(std::slice::from_ref(key), &parts, body, now, tolerance)
}

/// [`verify`] for already-extracted header values and any number of keys (any key may match;
/// e.g. the new and the old secret during a rotation).
pub fn verify_headers(
    keys: &[SigningKey],
    headers: &WebhookHeaders<'_>,
    body: &[u8],
    now: i64,
    tolerance: Duration,
) -> Result<Verified, SignatureError> {
    let timestamp = headers.timestamp_secs()?;
    check_timestamp(timestamp, now, tolerance)?;
    match_signature(keys, headers, timestamp, body)
}

/// Verifies only the signature, whatever the timestamp (still parsed, as it is signed). For
/// diagnostics and re-processing stored deliveries; receivers of live traffic want [`verify`].
pub fn verify_ignoring_timestamp(
    keys: &[SigningKey],
    headers: &WebhookHeaders<'_>,
    body: &[u8],
) -> Result<Verified, SignatureError> {
    let timestamp = headers.timestamp_secs()?;
    match_signature(keys, headers, timestamp, body)
}

/// `Ok` if `timestamp` is within `tolerance` of `now` in either direction (the bounds count as
/// inside). Never overflows, whatever the inputs.
pub fn check_timestamp(timestamp: i64, now: i64, tolerance: Duration) -> Result<(), SignatureError> {
    let tol = tolerance.as_secs();
    let age = i128::from(now) - i128::from(timestamp);
    let secs = |v: i128| u64::try_from(v.unsigned_abs()).unwrap_or(u64::MAX);
    if age > i128::from(tol) {
        Err(SignatureError::Expired { timestamp, now, age: secs(age), tolerance: tol })
    } else if -age > i128::from(tol) {
        Err(SignatureError::TooNew { timestamp, now, ahead: secs(age), tolerance: tol })
    } else {
        Ok(())
    }
}

fn match_signature(
    keys: &[SigningKey],
    headers: &WebhookHeaders<'_>,
    timestamp: i64,
    body: &[u8],
) -> Result<Verified, SignatureError> {
    let candidates = headers::v1_macs(headers.signature);
    if candidates.is_empty() {
        return Err(SignatureError::BadFormat {
            header: HEADER_SIGNATURE,
            reason: "no v1,<base64 of 32 bytes> entry in the list",
        });
    }
    for (key_index, key) in keys.iter().enumerate() {
        let expected = mac(key, headers.id, timestamp, body);
        // Compare against every candidate (no early exit inside one key), in constant time each.
        let mut found = None;
        for (i, candidate) in candidates.iter().enumerate() {
            if bool::from(candidate.ct_eq(&expected)) && found.is_none() {
                found = Some(i);
            }
        }
        if let Some(signature_index) = found {
            return Ok(Verified { key_index, signature_index, timestamp });
        }
    }
    Err(SignatureError::NoMatchingSignature { candidates: candidates.len(), keys: keys.len() })
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_700_000_000;

    fn headers<'a>(id: &'a str, ts: &'a str, sig: &'a str) -> WebhookHeaders<'a> {
        WebhookHeaders { id, timestamp: ts, signature: sig }
    }

    #[test]
    fn keyed_hmac_matches_rfc_4231() {
        let hex = |key: &[u8], data: &[u8]| {
            let mut m = keyed_hmac(key);
            m.update(data);
            hex::encode(m.finalize().into_bytes())
        };
        // Test case 2 (short key) and 6 (key longer than the 64-byte block, hashed first).
        assert_eq!(
            hex(b"Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert_eq!(
            hex(&[0xaa; 131], b"Test Using Larger Than Block-Size Key - Hash Key First"),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn round_trip_and_tamper() {
        let key = SigningKey::raw("s3cret").unwrap();
        let sig = sign(&key, "msg_1", NOW, b"body");
        let ts = NOW.to_string();
        let ok =
            verify_headers(std::slice::from_ref(&key), &headers("msg_1", &ts, &sig), b"body", NOW, DEFAULT_TOLERANCE);
        assert_eq!(ok, Ok(Verified { key_index: 0, signature_index: 0, timestamp: NOW }));
        for (id, body) in [("msg_2", &b"body"[..]), ("msg_1", b"bodY"), ("msg_1", b"")] {
            let err = verify_headers(std::slice::from_ref(&key), &headers(id, &ts, &sig), body, NOW, DEFAULT_TOLERANCE);
            assert_eq!(err, Err(SignatureError::NoMatchingSignature { candidates: 1, keys: 1 }));
        }
        let other = SigningKey::raw("other").unwrap();
        let err = verify_headers(&[other], &headers("msg_1", &ts, &sig), b"body", NOW, DEFAULT_TOLERANCE);
        assert!(matches!(err, Err(SignatureError::NoMatchingSignature { .. })));
    }

    #[test]
    fn signed_timestamp_is_part_of_the_content() {
        let key = SigningKey::raw("s3cret").unwrap();
        let sig = sign(&key, "msg_1", NOW, b"body");
        let later = (NOW + 1).to_string();
        let err = verify_headers(&[key], &headers("msg_1", &later, &sig), b"body", NOW, DEFAULT_TOLERANCE);
        assert!(matches!(err, Err(SignatureError::NoMatchingSignature { .. })));
    }

    #[test]
    fn tolerance_both_ways_bounds_inclusive() {
        let t = DEFAULT_TOLERANCE;
        assert!(check_timestamp(NOW - 300, NOW, t).is_ok());
        assert!(check_timestamp(NOW + 300, NOW, t).is_ok());
        assert_eq!(
            check_timestamp(NOW - 301, NOW, t),
            Err(SignatureError::Expired { timestamp: NOW - 301, now: NOW, age: 301, tolerance: 300 })
        );
        assert_eq!(
            check_timestamp(NOW + 301, NOW, t),
            Err(SignatureError::TooNew { timestamp: NOW + 301, now: NOW, ahead: 301, tolerance: 300 })
        );
        assert!(check_timestamp(i64::MAX, i64::MIN, Duration::MAX).is_ok());
        assert!(check_timestamp(i64::MAX, i64::MIN, Duration::ZERO).is_err());
        assert!(check_timestamp(0, i64::MAX, Duration::ZERO).is_err());
    }

    #[test]
    fn timestamp_checked_before_signature() {
        let key = SigningKey::raw("s3cret").unwrap();
        let ts = (NOW - 3600).to_string();
        let err =
            verify_headers(&[key], &headers("msg_1", &ts, "v1,garbage"), b"", NOW, DEFAULT_TOLERANCE).unwrap_err();
        assert!(err.is_timestamp());
        assert_eq!(err.kind(), "expired");
    }

    #[test]
    fn any_entry_and_any_key_may_match() {
        let old = SigningKey::raw("old").unwrap();
        let new = SigningKey::whsec("whsec_bmV3LXNlY3JldC1ieXRlcw==").unwrap();
        let list = sign_list(&[new.clone(), old.clone()], "msg_1", NOW, b"x");
        let ts = NOW.to_string();
        let v = verify_headers(std::slice::from_ref(&old), &headers("msg_1", &ts, &list), b"x", NOW, DEFAULT_TOLERANCE)
            .unwrap();
        assert_eq!(v.signature_index, 1);
        let noise = format!("v1a,AAAA v2,{} {list}", &list[3..47]);
        let v = verify_headers(&[old, new], &headers("msg_1", &ts, &noise), b"x", NOW, DEFAULT_TOLERANCE).unwrap();
        assert_eq!((v.key_index, v.signature_index), (0, 1));
    }

    #[test]
    fn malformed_signature_header() {
        let key = SigningKey::raw("k").unwrap();
        let ts = NOW.to_string();
        for sig in ["v1", "v2,AAAA", "v1,!!!", "v1,YWJj", "   "] {
            let err = verify_headers(std::slice::from_ref(&key), &headers("m", &ts, sig), b"", NOW, DEFAULT_TOLERANCE);
            assert!(matches!(err, Err(SignatureError::BadFormat { header: "webhook-signature", .. })), "{sig:?}");
        }
        let err = verify_headers(&[], &headers("m", &ts, &sign(&key, "m", NOW, b"")), b"", NOW, DEFAULT_TOLERANCE);
        assert_eq!(err, Err(SignatureError::NoMatchingSignature { candidates: 1, keys: 0 }));
    }

    #[test]
    fn header_map_entry_point() {
        let key = SigningKey::raw("k").unwrap();
        let map = signed_headers(std::slice::from_ref(&key), "msg_x", NOW, b"{}").to_header_map().unwrap();
        assert!(verify(&key, &map, b"{}", NOW, DEFAULT_TOLERANCE).is_ok());
        let mut missing = map.clone();
        missing.remove("webhook-signature");
        assert_eq!(
            verify(&key, &missing, b"{}", NOW, DEFAULT_TOLERANCE),
            Err(SignatureError::MissingHeader("webhook-signature"))
        );
        let bad_id = SignedHeaders { id: "a\nb".into(), timestamp: NOW, signature: "v1,x".into() };
        assert!(bad_id.to_header_map().is_err());
    }

    #[test]
    fn ignoring_timestamp() {
        let key = SigningKey::raw("k").unwrap();
        let sig = sign(&key, "m", 5, b"");
        assert!(verify_ignoring_timestamp(&[key], &headers("m", "5", &sig), b"").is_ok());
    }

    #[test]
    fn message_ids_look_like_mendix_ones() {
        let a = new_message_id();
        assert_eq!(a.len(), 31);
        assert!(a.starts_with("msg_") && a[4..].bytes().all(|b| b.is_ascii_alphanumeric()), "{a}");
        assert_ne!(a, new_message_id());
    }

    #[test]
    fn errors_never_mention_the_secret() {
        let secret = "very-secret-value-123";
        let key = SigningKey::raw(secret).unwrap();
        let ts = NOW.to_string();
        let errs = [
            verify_headers(std::slice::from_ref(&key), &headers("m", &ts, "v1,AAAA"), b"", NOW, DEFAULT_TOLERANCE),
            verify_headers(std::slice::from_ref(&key), &headers("m", "1", "v1,AAAA"), b"", NOW, DEFAULT_TOLERANCE),
            verify_headers(
                std::slice::from_ref(&key),
                &headers("m", &ts, &sign(&SigningKey::raw("x").unwrap(), "m", NOW, b"")),
                b"",
                NOW,
                DEFAULT_TOLERANCE,
            ),
        ];
        for e in errs {
            let text = format!("{} {:?}", e.as_ref().unwrap_err(), e);
            assert!(!text.contains(secret), "{text}");
        }
    }
}
