//! The request log: every public API request with its body, so a test can assert exactly what a
//! client sent (`GET /_admin/request-log`). Bounded: the oldest entries go first.
use std::collections::VecDeque;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Entries kept at most; older ones are dropped (and counted in `dropped`).
pub const MAX_ENTRIES: usize = 10_000;

/// One request as the fake received it. The `Authorization` header is never recorded.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoggedRequest {
    /// Arrival order, from 1.
    pub seq: u64,
    pub method: String,
    /// The route template, as in the request counters.
    pub route: String,
    /// The path as sent (percent-encoded).
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
    /// The answer's status; 0 when no response was sent.
    pub status: u16,
    /// The body parsed as JSON; null when empty or not JSON.
    pub body: Value,
    /// The body as text (lossy UTF-8) when it is not empty and not JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw_body: Option<String>,
}

/// What `GET /_admin/request-log` answers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RequestLogPage {
    pub requests: Vec<LoggedRequest>,
    /// Entries dropped because the log was full.
    pub dropped: u64,
}

#[derive(Debug, Default)]
pub struct RequestLog {
    next_seq: u64,
    entries: VecDeque<LoggedRequest>,
    dropped: u64,
}

impl RequestLog {
    /// The sequence number of a request that just arrived.
    pub fn arrive(&mut self) -> u64 {
        self.next_seq += 1;
        self.next_seq
    }

    pub fn push(&mut self, entry: LoggedRequest) {
        if self.entries.len() >= MAX_ENTRIES {
            self.entries.pop_front();
            self.dropped += 1;
        }
        self.entries.push_back(entry);
    }

    /// The entries in arrival order, those with `method` only when given.
    pub fn page(&self, method: Option<&str>) -> RequestLogPage {
        let mut requests: Vec<LoggedRequest> =
            self.entries.iter().filter(|e| method.is_none_or(|m| e.method.eq_ignore_ascii_case(m))).cloned().collect();
        requests.sort_by_key(|e| e.seq);
        RequestLogPage { requests, dropped: self.dropped }
    }

    /// Forgets the entries; sequence numbers keep counting up.
    pub fn clear(&mut self) {
        self.entries.clear();
        self.dropped = 0;
    }
}

/// The body as JSON when it is JSON, else as text.
pub fn body_fields(body: &[u8]) -> (Value, Option<String>) {
    if body.is_empty() {
        return (Value::Null, None);
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(v) => (v, None),
        Err(_) => (Value::Null, Some(String::from_utf8_lossy(body).into_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(seq: u64, method: &str) -> LoggedRequest {
        LoggedRequest {
            seq,
            method: method.into(),
            route: "r".into(),
            path: "/p".into(),
            query: None,
            status: 200,
            body: Value::Null,
            raw_body: None,
        }
    }

    #[test]
    fn sorted_by_arrival_filtered_and_bounded() {
        let mut log = RequestLog::default();
        let (a, b) = (log.arrive(), log.arrive());
        log.push(entry(b, "PATCH"));
        log.push(entry(a, "GET"));
        assert_eq!(log.page(None).requests.iter().map(|e| e.seq).collect::<Vec<_>>(), [1, 2]);
        assert_eq!(log.page(Some("patch")).requests.len(), 1);
        for _ in 0..MAX_ENTRIES {
            let s = log.arrive();
            log.push(entry(s, "GET"));
        }
        let page = log.page(None);
        assert_eq!((page.requests.len(), page.dropped), (MAX_ENTRIES, 2));
    }

    #[test]
    fn bodies_as_json_or_text() {
        assert_eq!(body_fields(b""), (Value::Null, None));
        assert_eq!(body_fields(br#"{"a":1}"#), (serde_json::json!({"a": 1}), None));
        assert_eq!(body_fields(b"{oops"), (Value::Null, Some("{oops".into())));
    }
}
