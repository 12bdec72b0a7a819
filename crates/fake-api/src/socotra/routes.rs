//! The Socotra API's route templates, as the request counters and the request log name them.
pub use crate::common::counters::ROUTE_OTHER;

/// `POST` (create).
pub const ROUTE_CREATE: &str = "/event/{tenant}/webhooks";
/// `GET` (list).
pub const ROUTE_LIST: &str = "/event/{tenant}/webhooks/list";
/// `GET`, `PATCH`, `DELETE` one webhook.
pub const ROUTE_ITEM: &str = "/event/{tenant}/webhooks/{locator}";
/// `PATCH` (unsuspend).
pub const ROUTE_UNSUSPEND: &str = "/event/{tenant}/webhooks/{locator}/unsuspend";

/// The route template of a request path (with `{tenant}` and `{locator}` literally).
pub fn route_template(path: &str) -> &'static str {
    let Some(rest) = path.strip_prefix('/') else {
        return ROUTE_OTHER;
    };
    let segs: Vec<&str> = rest.split('/').collect();
    match segs.as_slice() {
        ["event", t, "webhooks"] if !t.is_empty() => ROUTE_CREATE,
        ["event", t, "webhooks", "list"] if !t.is_empty() => ROUTE_LIST,
        ["event", t, "webhooks", l] if !t.is_empty() && !l.is_empty() => ROUTE_ITEM,
        ["event", t, "webhooks", l, "unsuspend"] if !t.is_empty() && !l.is_empty() => ROUTE_UNSUSPEND,
        _ => ROUTE_OTHER,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates() {
        assert_eq!(route_template("/event/t/webhooks"), ROUTE_CREATE);
        assert_eq!(route_template("/event/t/webhooks/list"), ROUTE_LIST);
        assert_eq!(route_template("/event/t/webhooks/01H"), ROUTE_ITEM);
        assert_eq!(route_template("/event/t/webhooks/01H/unsuspend"), ROUTE_UNSUSPEND);
        assert_eq!(route_template("/event//webhooks"), ROUTE_OTHER);
        assert_eq!(route_template("/event/t/webhooks/"), ROUTE_OTHER);
        assert_eq!(route_template("/api/v1/apps/x/webhooks"), ROUTE_OTHER);
    }
}
