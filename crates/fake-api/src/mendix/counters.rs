//! Counters of public API requests by method, route template and status.
//! Status 0 means that no response was sent (commit-then-drop, or the client gave up first).
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub const ROUTE_LIST: &str = "/api/v1/apps/{app}/webhooks";
pub const ROUTE_ITEM: &str = "/api/v1/apps/{app}/webhooks/{id}";
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

/// The route template of a request path (with `{app}` and `{id}` literally). Inside the router
/// nested at `/api/v1` the prefix is already stripped, so both forms are accepted.
pub fn route_template(path: &str) -> &'static str {
    let path = path.strip_prefix("/api/v1").unwrap_or(path);
    let Some(rest) = path.strip_prefix('/') else {
        return ROUTE_OTHER;
    };
    let segs: Vec<&str> = rest.split('/').collect();
    match segs.as_slice() {
        ["apps", app, "webhooks"] if !app.is_empty() => ROUTE_LIST,
        ["apps", app, "webhooks", id] if !app.is_empty() && !id.is_empty() => ROUTE_ITEM,
        _ => ROUTE_OTHER,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates() {
        assert_eq!(route_template("/api/v1/apps/x/webhooks"), ROUTE_LIST);
        assert_eq!(route_template("/api/v1/apps/x/webhooks/mxep_1"), ROUTE_ITEM);
        assert_eq!(route_template("/api/v1/apps/x/webhooks/"), ROUTE_OTHER);
        assert_eq!(route_template("/api/v1/apps//webhooks"), ROUTE_OTHER);
        assert_eq!(route_template("/apps/x/webhooks"), ROUTE_LIST);
        assert_eq!(route_template("/other"), ROUTE_OTHER);
    }
}
