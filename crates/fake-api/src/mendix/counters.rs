//! The Mendix API's route templates for the request counters (`GET /_admin/requests`).
pub use crate::common::counters::{Counters, RequestCount};

pub const ROUTE_LIST: &str = "/api/v1/apps/{app}/webhooks";
pub const ROUTE_ITEM: &str = "/api/v1/apps/{app}/webhooks/{id}";
pub const ROUTE_OTHER: &str = crate::common::counters::ROUTE_OTHER;

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
