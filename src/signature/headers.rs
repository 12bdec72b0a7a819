//! Reading the three Standard Webhooks headers: from an [`http::HeaderMap`], from name/value
//! pairs, or from raw HTTP header lines (a `curl -v` or proxy dump), and splitting the
//! `webhook-signature` list. Everything here is total: arbitrary input gives an error, never a
//! panic (see the `fuzz_` property tests).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD_PAD_INDIFFERENT;

use super::errors::SignatureError;

/// The message id header (`msg_...` at Mendix); also the replay-protection key.
pub const HEADER_ID: &str = "webhook-id";
/// Seconds since the Unix epoch, as decimal digits.
pub const HEADER_TIMESTAMP: &str = "webhook-timestamp";
/// Space-separated `v1,<base64>` entries; the first is computed with the newest secret.
pub const HEADER_SIGNATURE: &str = "webhook-signature";
/// The signature scheme version this module signs and verifies.
pub const VERSION_V1: &str = "v1";

/// Longest timestamp accepted, in digits (i64::MAX has 19).
const MAX_TIMESTAMP_DIGITS: usize = 19;

/// The three header values a Standard Webhooks delivery carries, borrowed from wherever they
/// were read. Construct directly when the values arrive separately (CLI flags).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WebhookHeaders<'a> {
    /// `webhook-id`
    pub id: &'a str,
    /// `webhook-timestamp`, unparsed
    pub timestamp: &'a str,
    /// `webhook-signature`, unparsed
    pub signature: &'a str,
}

impl<'a> WebhookHeaders<'a> {
    /// Reads the three headers from an HTTP header map. A header that is missing or empty gives
    /// [`SignatureError::MissingHeader`]; one that is repeated or not visible ASCII gives
    /// [`SignatureError::BadFormat`].
    pub fn from_header_map(map: &'a http::HeaderMap) -> Result<WebhookHeaders<'a>, SignatureError> {
        let get = |name: &'static str| -> Result<&'a str, SignatureError> {
            let mut values = map.get_all(name).iter();
            let value = values.next().ok_or(SignatureError::MissingHeader(name))?;
            if values.next().is_some() {
                return Err(SignatureError::BadFormat { header: name, reason: "header appears more than once" });
            }
            let value = value
                .to_str()
                .map_err(|_| SignatureError::BadFormat { header: name, reason: "value is not visible ASCII" })?;
            non_empty(name, value)
        };
        Ok(WebhookHeaders { id: get(HEADER_ID)?, timestamp: get(HEADER_TIMESTAMP)?, signature: get(HEADER_SIGNATURE)? })
    }

    /// Reads the three headers from name/value pairs; names compare case-insensitively.
    pub fn from_pairs<I>(pairs: I) -> Result<WebhookHeaders<'a>, SignatureError>
    where
        I: IntoIterator<Item = (&'a str, &'a str)>,
    {
        let mut found: [(&'static str, Option<&'a str>); 3] =
            [(HEADER_ID, None), (HEADER_TIMESTAMP, None), (HEADER_SIGNATURE, None)];
        for (name, value) in pairs {
            if let Some((header, slot)) = found.iter_mut().find(|(n, _)| n.eq_ignore_ascii_case(name.trim())) {
                if slot.is_some() {
                    return Err(SignatureError::BadFormat { header, reason: "header appears more than once" });
                }
                *slot = Some(value.trim_matches([' ', '\t']));
            }
        }
        let [id, timestamp, signature] =
            found.map(|(header, v)| v.ok_or(SignatureError::MissingHeader(header)).and_then(|v| non_empty(header, v)));
        Ok(WebhookHeaders { id: id?, timestamp: timestamp?, signature: signature? })
    }

    /// The timestamp as epoch seconds (see [`parse_timestamp`]).
    pub fn timestamp_secs(&self) -> Result<i64, SignatureError> {
        parse_timestamp(self.timestamp)
    }
}

fn non_empty<'a>(name: &'static str, value: &'a str) -> Result<&'a str, SignatureError> {
    if value.is_empty() { Err(SignatureError::MissingHeader(name)) } else { Ok(value) }
}

/// Parses `webhook-timestamp`: 1 to 19 ASCII digits, epoch seconds. Signs, spaces, fractions and
/// exponents are rejected: the value is part of the signed content, so only its canonical form
/// is meaningful.
pub fn parse_timestamp(value: &str) -> Result<i64, SignatureError> {
    let bad = |reason| SignatureError::BadFormat { header: HEADER_TIMESTAMP, reason };
    if value.is_empty() || value.len() > MAX_TIMESTAMP_DIGITS || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad("expected epoch seconds as 1 to 19 decimal digits"));
    }
    value.parse::<i64>().map_err(|_| bad("epoch seconds out of range"))
}

/// One entry of the `webhook-signature` list, split at its first comma.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignatureEntry<'a> {
    /// `v1` for this scheme; other versions (`v1a` asymmetric, future ones) are skipped.
    pub version: &'a str,
    /// The base64 signature, undecoded.
    pub value: &'a str,
}

impl SignatureEntry<'_> {
    /// The 32-byte HMAC-SHA256 if this is a `v1` entry whose value is base64 of 32 bytes.
    pub fn v1_mac(&self) -> Option<[u8; 32]> {
        if self.version != VERSION_V1 {
            return None;
        }
        // A 32-byte MAC is 43 or 44 base64 characters; refuse to decode anything much longer.
        if self.value.len() > 48 {
            return None;
        }
        let bytes = STANDARD_PAD_INDIFFERENT.decode(self.value).ok()?;
        bytes.try_into().ok()
    }
}

/// Splits a `webhook-signature` value into its entries: separated by spaces (runs of spaces and
/// tabs are tolerated), each `version,value`. Entries without a comma are skipped, as the
/// reference libraries do.
pub fn signature_entries(value: &str) -> impl Iterator<Item = SignatureEntry<'_>> {
    value
        .split([' ', '\t'])
        .filter(|s| !s.is_empty())
        .filter_map(|s| s.split_once(',').map(|(version, value)| SignatureEntry { version, value }))
}

/// The decoded MACs of every well-formed `v1` entry, in header order (first = newest secret).
/// Empty means the header has no usable signature ([`SignatureError::BadFormat`] for callers).
pub fn v1_macs(value: &str) -> Vec<[u8; 32]> {
    signature_entries(value).filter_map(|e| e.v1_mac()).collect()
}

/// Why a raw header dump could not be read. Carries the line number, never the line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RawHeadersError {
    /// A line that is neither `Name: value`, a continuation, nor a leading request/status line.
    #[error("line {line}: expected `Name: value`")]
    NotAHeader {
        /// 1-based line number.
        line: usize,
    },
    /// A header name with characters HTTP does not allow in a token.
    #[error("line {line}: invalid header name")]
    BadName {
        /// 1-based line number.
        line: usize,
    },
}

/// Parses raw HTTP header lines, as copied from `curl -v`, a proxy log or a request dump:
/// - an optional first line `POST /path HTTP/1.1` (or a status line `HTTP/1.1 200 OK`) is skipped,
/// - `Name: value` lines follow; `\r\n` and `\n` both end a line; blank lines before the headers
///   are ignored, and the first blank line after them ends the headers (a body may follow),
/// - a line starting with a space or tab continues the previous value (obsolete folding),
/// - curl's `> ` / `< ` prefixes are removed.
///
/// Returns (name, value) pairs in order, names as written, values trimmed.
pub fn parse_raw_headers(text: &str) -> Result<Vec<(String, String)>, RawHeadersError> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut started = false;
    for (i, line) in text.split('\n').enumerate() {
        let lineno = i + 1;
        let line = line.strip_suffix('\r').unwrap_or(line);
        let line = line.strip_prefix("> ").or_else(|| line.strip_prefix("< ")).unwrap_or(line);
        if line.trim().is_empty() {
            if started {
                break;
            }
            continue;
        }
        if line.starts_with([' ', '\t']) {
            match out.last_mut() {
                Some((_, value)) => {
                    value.push(' ');
                    value.push_str(line.trim());
                    continue;
                }
                None => return Err(RawHeadersError::NotAHeader { line: lineno }),
            }
        }
        if !started && out.is_empty() && is_start_line(line) {
            started = true;
            continue;
        }
        started = true;
        let (name, value) = line.split_once(':').ok_or(RawHeadersError::NotAHeader { line: lineno })?;
        if name.is_empty() || !name.bytes().all(is_token_byte) {
            return Err(RawHeadersError::BadName { line: lineno });
        }
        out.push((name.to_string(), value.trim_matches([' ', '\t']).to_string()));
    }
    Ok(out)
}

/// `METHOD target HTTP/x` or `HTTP/x status reason`.
fn is_start_line(line: &str) -> bool {
    if line.starts_with("HTTP/") {
        return true;
    }
    let mut parts = line.split(' ');
    let method = parts.next().unwrap_or("");
    let _target = parts.next();
    let version = parts.next().unwrap_or("");
    !method.is_empty() && method.bytes().all(|b| b.is_ascii_uppercase()) && version.starts_with("HTTP/")
}

/// RFC 9110 `tchar`.
fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_map_lookup_is_case_insensitive_and_strict() {
        let mut map = http::HeaderMap::new();
        map.insert("Webhook-Id", "msg_1".parse().unwrap());
        map.insert("webhook-timestamp", "1677072542".parse().unwrap());
        map.insert("WEBHOOK-SIGNATURE", "v1,abc".parse().unwrap());
        let h = WebhookHeaders::from_header_map(&map).unwrap();
        assert_eq!((h.id, h.timestamp, h.signature), ("msg_1", "1677072542", "v1,abc"));

        map.append("webhook-id", "msg_2".parse().unwrap());
        assert_eq!(
            WebhookHeaders::from_header_map(&map).unwrap_err(),
            SignatureError::BadFormat { header: HEADER_ID, reason: "header appears more than once" }
        );
        map.remove("webhook-id");
        assert_eq!(WebhookHeaders::from_header_map(&map).unwrap_err(), SignatureError::MissingHeader(HEADER_ID));
        map.insert("webhook-id", "".parse().unwrap());
        assert_eq!(WebhookHeaders::from_header_map(&map).unwrap_err(), SignatureError::MissingHeader(HEADER_ID));
        map.insert("webhook-id", http::HeaderValue::from_bytes(b"caf\xc3\xa9").unwrap());
        assert!(matches!(WebhookHeaders::from_header_map(&map), Err(SignatureError::BadFormat { .. })));
    }

    #[test]
    fn pairs_lookup() {
        let h = WebhookHeaders::from_pairs([
            ("Content-Type", "application/json"),
            ("Webhook-Signature", " v1,x "),
            ("webhook-id", "msg_1"),
            ("WEBHOOK-TIMESTAMP", "1"),
        ])
        .unwrap();
        assert_eq!((h.id, h.timestamp, h.signature), ("msg_1", "1", "v1,x"));
        assert_eq!(
            WebhookHeaders::from_pairs([("webhook-id", "a"), ("webhook-timestamp", "1")]).unwrap_err(),
            SignatureError::MissingHeader(HEADER_SIGNATURE)
        );
    }

    #[test]
    fn timestamps() {
        assert_eq!(parse_timestamp("1677072542").unwrap(), 1677072542);
        assert_eq!(parse_timestamp("0").unwrap(), 0);
        assert_eq!(parse_timestamp("9223372036854775807").unwrap(), i64::MAX);
        for bad in ["", "-1", "+1", " 1", "1.5", "1e9", "9223372036854775808", "99999999999999999999", "١٢"] {
            assert!(parse_timestamp(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn signature_lists() {
        let mac = [7u8; 32];
        let b64 = base64::engine::general_purpose::STANDARD.encode(mac);
        let value = format!("v1a,xyz  v2,{b64} junk v1,{b64} v1,{} v1,notbase64!", &b64[..43]);
        let entries: Vec<_> = signature_entries(&value).collect();
        assert_eq!(entries.len(), 5);
        assert_eq!(v1_macs(&value), vec![mac, mac], "padded and unpadded v1 entries decode, others do not");
        assert!(v1_macs("").is_empty());
        assert!(v1_macs("v1,").is_empty());
        assert!(v1_macs("v1,YWJj").is_empty(), "wrong length");
    }

    #[test]
    fn raw_headers_from_a_request_dump() {
        let text = "POST /hooks/mendix HTTP/1.1\r\nHost: example.com\r\nwebhook-id: msg_2M605iBQRge9hTgpYg7fKXQubaw\r\n\
                    webhook-timestamp:1677072542\r\nwebhook-signature: v1,abc\r\n  v1,def\r\n\r\n{\"a\": 1}\r\nnot: header\r\n";
        let pairs = parse_raw_headers(text).unwrap();
        assert_eq!(pairs.len(), 4);
        assert_eq!(pairs[3], ("webhook-signature".to_string(), "v1,abc v1,def".to_string()));
        let h = WebhookHeaders::from_pairs(pairs.iter().map(|(n, v)| (n.as_str(), v.as_str()))).unwrap();
        assert_eq!(h.timestamp, "1677072542");
    }

    #[test]
    fn raw_headers_curl_style_and_errors() {
        let pairs = parse_raw_headers("\n> webhook-id: a\n> webhook-timestamp: 1\n").unwrap();
        assert_eq!(pairs, vec![("webhook-id".into(), "a".into()), ("webhook-timestamp".into(), "1".into())]);
        assert_eq!(parse_raw_headers("webhook-id a\n").unwrap_err(), RawHeadersError::NotAHeader { line: 1 });
        assert_eq!(parse_raw_headers("bad name: a\n").unwrap_err(), RawHeadersError::BadName { line: 1 });
        assert_eq!(parse_raw_headers(" folded\n").unwrap_err(), RawHeadersError::NotAHeader { line: 1 });
        assert!(parse_raw_headers("").unwrap().is_empty());
    }
}
