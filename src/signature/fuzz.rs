//! Property tests ("fuzz_" prefix) for header parsing and verification: no input makes them
//! panic, and whatever is signed verifies. `cargo test` runs proptest's default 256 cases each;
//! `make fuzz` runs them with `PROPTEST_CASES` raised.

use std::time::Duration;

use proptest::prelude::*;

use super::headers::{parse_raw_headers, parse_timestamp, signature_entries, v1_macs};
use super::*;

fn key_format() -> impl Strategy<Value = KeyFormat> {
    prop_oneof![Just(KeyFormat::Raw), Just(KeyFormat::Whsec)]
}

/// Strings that look roughly like header dumps, so the parser's deeper branches are reached.
fn header_dump() -> impl Strategy<Value = String> {
    let line = prop_oneof![
        "[A-Za-z-]{0,12}:[ \t]?[ -~]{0,30}",
        "(webhook-id|webhook-timestamp|webhook-signature|Webhook-Signature): [ -~]{0,40}",
        "[ \t][ -~]{0,20}",
        "(POST|GET) /[a-z]{0,5} HTTP/1\\.[01]",
        "HTTP/1\\.1 [0-9]{3} [A-Za-z ]{0,8}",
        "(> |< )?[ -~]{0,20}",
        Just(String::new()),
        any::<String>(),
    ];
    (proptest::collection::vec(line, 0..12), prop_oneof![Just("\n"), Just("\r\n")]).prop_map(|(l, sep)| l.join(sep))
}

/// Signature headers built from plausible and implausible entries.
fn signature_header() -> impl Strategy<Value = String> {
    let entry = prop_oneof![
        "v1,[A-Za-z0-9+/]{43}=?",
        "v1,[A-Za-z0-9+/=]{0,60}",
        "v[0-9a-z]{0,3},[ -~]{0,50}",
        "[ -~]{0,20}",
        any::<String>(),
    ];
    (proptest::collection::vec(entry, 0..8), prop_oneof![Just(" "), Just("  "), Just("\t"), Just(",")])
        .prop_map(|(e, sep)| e.join(sep))
}

fn check(
    keys: &[SigningKey],
    id: &str,
    ts: &str,
    sig: &str,
    body: &[u8],
    now: i64,
    tol: u64,
) -> Result<Verified, SignatureError> {
    verify_headers(keys, &WebhookHeaders { id, timestamp: ts, signature: sig }, body, now, Duration::from_secs(tol))
}

proptest! {
    #[test]
    fn fuzz_raw_header_parsing_never_panics(text in header_dump(), bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        if let Ok(pairs) = parse_raw_headers(&text) {
            for (name, value) in &pairs {
                prop_assert!(!name.is_empty() && !name.contains(':'));
                prop_assert!(!value.contains('\n'));
            }
            let _ = WebhookHeaders::from_pairs(pairs.iter().map(|(n, v)| (n.as_str(), v.as_str())));
        }
        let _ = parse_raw_headers(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn fuzz_signature_list_parsing_never_panics(value in signature_header()) {
        let entries: Vec<_> = signature_entries(&value).collect();
        let macs = v1_macs(&value);
        prop_assert!(macs.len() <= entries.len());
        for e in entries {
            prop_assert!(!e.version.contains([' ', '\t', ',']));
        }
    }

    #[test]
    fn fuzz_timestamp_parsing_is_exact(s in prop_oneof!["[0-9]{0,21}", "[-+ 0-9.e]{0,8}", any::<String>()]) {
        let canonical = !s.is_empty() && s.len() <= 19 && s.bytes().all(|b| b.is_ascii_digit());
        match parse_timestamp(&s) {
            Ok(n) => {
                prop_assert!(canonical);
                prop_assert_eq!(s.parse::<i64>(), Ok(n));
            }
            Err(e) => {
                prop_assert_eq!(e.kind(), "bad_format");
                prop_assert!(!canonical || s.parse::<i64>().is_err());
            }
        }
    }

    #[test]
    fn fuzz_check_timestamp_never_panics(ts in any::<i64>(), now in any::<i64>(), tol in any::<u64>()) {
        let r = check_timestamp(ts, now, Duration::from_secs(tol));
        let inside = (i128::from(now) - i128::from(ts)).unsigned_abs() <= u128::from(tol);
        prop_assert_eq!(r.is_ok(), inside);
    }

    #[test]
    fn fuzz_header_map_verify_never_panics(
        values in proptest::collection::vec((0usize..4, proptest::collection::vec(any::<u8>(), 0..80)), 0..6),
        body in proptest::collection::vec(any::<u8>(), 0..128),
        now in any::<i64>(),
    ) {
        let names = ["webhook-id", "webhook-timestamp", "webhook-signature", "content-type"];
        let mut map = http::HeaderMap::new();
        for (i, v) in values {
            if let Ok(v) = http::HeaderValue::from_bytes(&v) {
                map.append(names[i], v);
            }
        }
        let key = SigningKey::raw("fuzz").map_err(|e| TestCaseError::fail(e.to_string()))?;
        let r = verify(&key, &map, &body, now, DEFAULT_TOLERANCE);
        prop_assert!(r.is_err(), "random headers verified: {:?}", r);
    }

    #[test]
    fn fuzz_verify_arbitrary_strings_never_panics(
        id in any::<String>(),
        ts in prop_oneof!["[0-9]{1,12}", any::<String>()],
        sig in signature_header(),
        body in proptest::collection::vec(any::<u8>(), 0..128),
        now in any::<i64>(),
        tol in prop_oneof![Just(300u64), any::<u64>()],
    ) {
        let key = SigningKey::raw("fuzz").map_err(|e| TestCaseError::fail(e.to_string()))?;
        let r = check(&[key], &id, &ts, &sig, &body, now, tol);
        prop_assert!(r.is_err());
        let _ = legacy::verify(&SigningKey::raw("fuzz").map_err(|e| TestCaseError::fail(e.to_string()))?, &sig, &body);
    }

    #[test]
    fn fuzz_key_loading_never_panics(secret in prop_oneof![any::<String>(), "whsec_[A-Za-z0-9+/=]{0,50}"], format in key_format()) {
        if let Ok(key) = SigningKey::new(&secret, format) {
            let shown = format!("{:?}", key);
            prop_assert_eq!(shown, format!("SigningKey {{ format: {:?}, bytes: \"[redacted]\" }}", format));
        }
    }

    #[test]
    fn fuzz_sign_then_verify_round_trips(
        key_bytes in proptest::collection::vec(any::<u8>(), 1..100),
        format in key_format(),
        id in "[!-~]{1,40}",
        ts in 0i64..=4_000_000_000,
        skew in -300i64..=300,
        body in proptest::collection::vec(any::<u8>(), 0..512),
        noise_before in proptest::collection::vec("v1,[A-Za-z0-9+/]{43}=", 0..3),
        flip in any::<prop::sample::Index>(),
    ) {
        let secret = match format {
            KeyFormat::Raw => key_bytes.clone(),
            KeyFormat::Whsec => {
                use base64::Engine as _;
                format!("whsec_{}", base64::engine::general_purpose::STANDARD.encode(&key_bytes)).into_bytes()
            }
        };
        let key = SigningKey::from_bytes(&secret, format).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let mut list = noise_before;
        list.push(sign(&key, &id, ts, &body));
        let sig = list.join(" ");
        let tss = ts.to_string();
        let ok = check(std::slice::from_ref(&key), &id, &tss, &sig, &body, ts + skew, 300);
        prop_assert_eq!(ok.map(|v| (v.key_index, v.timestamp)), Ok((0, ts)));

        let mut tampered = body.clone();
        if tampered.is_empty() { tampered.push(0) } else { let i = flip.index(tampered.len()); tampered[i] ^= 1; }
        let bad = check(std::slice::from_ref(&key), &id, &tss, &sig, &tampered, ts + skew, 300);
        prop_assert!(matches!(bad, Err(SignatureError::NoMatchingSignature { .. })), "{:?}", bad);

        let legacy_sig = legacy::sign(&key, legacy::LegacyKey::Secret, &body);
        prop_assert_eq!(legacy::verify(&key, &legacy_sig, &body), Ok(legacy::LegacyKey::Secret));
    }
}
