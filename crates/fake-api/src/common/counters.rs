//! Counters of public API requests by method, route template and status (each fake names its
//! own route templates).
//! Status 0 means that no response was sent (commit-then-drop, or the client gave up first).
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The route of a request that matches none of the API's paths.
pub const ROUTE_OTHER: &str = "<unmatched>";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestCount {
    pub method: String,
    pub route: String,
    pub status: u16,
    pub count: u64,
}

#[derive(Debug, Default)]
pub struct Counters {
    counts: BTreeMap<(String, &'static str, u16), u64>,
}

impl Counters {
    pub fn record(&mut self, method: &str, route: &'static str, status: u16) {
        *self.counts.entry((method.to_string(), route, status)).or_default() += 1;
    }

    pub fn list(&self) -> Vec<RequestCount> {
        self.counts
            .iter()
            .map(|((method, route, status), count)| RequestCount {
                method: method.clone(),
                route: route.to_string(),
                status: *status,
                count: *count,
            })
            .collect()
    }

    pub fn clear(&mut self) {
        self.counts.clear();
    }
}
