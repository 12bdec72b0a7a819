//! The list: offset/count paging over many pages (a plain array; a client pages until a short
//! page), the default and the largest count, the filters, tenant scoping.
use std::collections::HashSet;

use reqwest::Method;
use serde_json::{Value, json};

use crate::common::*;

async fn page(fx: &Fx, tenant: &str, query: &str) -> Vec<Value> {
    let r = fx.api(Method::GET, &format!("{}?{query}", list_path(tenant)), Some(ALL), None).await;
    assert_eq!(r.status, 200, "{query}: {}", r.text);
    r.json().as_array().cloned().unwrap_or_else(|| panic!("a plain array: {}", r.text))
}

fn names(items: &[Value]) -> Vec<String> {
    items.iter().map(|w| w["name"].as_str().expect("name").to_string()).collect()
}

/// Pages with `count` until a short page, as a client does; returns every item seen.
async fn walk(fx: &Fx, tenant: &str, count: usize, filter: &str) -> (Vec<Value>, usize) {
    let mut all = Vec::new();
    let mut pages = 0;
    loop {
        let items = page(fx, tenant, &format!("offset={}&count={count}{filter}", all.len())).await;
        pages += 1;
        let short = items.len() < count;
        all.extend(items);
        if short {
            return (all, pages);
        }
        assert!(pages < 100, "paging ends");
    }
}

#[tokio::test]
async fn paging_over_many_pages_until_a_short_page_sees_each_webhook_once_in_creation_order() {
    let fx = Fx::start().await;
    let mut created = Vec::new();
    for i in 0..23 {
        created.push(fx.create(TENANT_A, &create_body(&format!("hook {i:02}"))).await);
    }
    fx.create(TENANT_B, &create_body("in B")).await;
    let (all, pages) = walk(&fx, TENANT_A, 5, "").await;
    assert_eq!(pages, 5, "4 full pages of 5, then a short page of 3");
    assert_eq!(all, created, "oldest first, each once, whole WebhookResponses");
    // An exact multiple ends with an empty page.
    let (all, pages) = walk(&fx, TENANT_A, 23, "").await;
    assert_eq!((all.len(), pages), (23, 2));
    let locators: HashSet<&str> = all.iter().map(|w| w["locator"].as_str().expect("locator")).collect();
    assert_eq!(locators.len(), 23);
    // Offsets beyond the end are an empty page, not an error.
    assert!(page(&fx, TENANT_A, "offset=23").await.is_empty());
    assert!(page(&fx, TENANT_A, "offset=99999999999999999999999").await.is_empty());
    assert_eq!(names(&page(&fx, TENANT_A, "offset=21&count=100").await), ["hook 21", "hook 22"]);
}

#[tokio::test]
async fn default_count_is_100_and_the_largest_1000() {
    let fx = Fx::start().await;
    for i in 0..101 {
        fx.create(TENANT_A, &create_body(&format!("h{i}"))).await;
    }
    assert_eq!(page(&fx, TENANT_A, "").await.len(), 100, "default count");
    assert_eq!(page(&fx, TENANT_A, "offset=100").await.len(), 1);
    assert_eq!(page(&fx, TENANT_A, "count=1000").await.len(), 101);
    assert_eq!(page(&fx, TENANT_A, "count=%2B3").await.len(), 3, "+3 is 3");
}

#[tokio::test]
async fn invalid_paging_and_filters_are_400() {
    let fx = Fx::start().await;
    let cases = [
        ("offset=-1", "offset"),
        ("offset=x", "offset"),
        ("offset=", "offset"),
        ("offset=1.5", "offset"),
        ("count=0", "count"),
        ("count=1001", "count"),
        ("count=-5", "count"),
        ("count=ten", "count"),
        ("enabled=yes", "enabled"),
        ("suspended=1", "suspended"),
        ("active=TRUE", "active"),
    ];
    for (q, field) in cases {
        let r = fx.api(Method::GET, &format!("{}?{q}", list_path(TENANT_A)), Some(ALL), None).await;
        assert_eq!(r.error(400), [field], "{q}");
    }
    let r = fx.api(Method::GET, &format!("{}?offset=-1&count=0", list_path(TENANT_A)), Some(ALL), None).await;
    assert_eq!(r.error(400), ["offset", "count"], "all at once");
    // The first occurrence wins; unknown parameters are ignored.
    assert!(page(&fx, TENANT_A, "count=2&count=0&extended=true&foo=bar").await.is_empty());
}

#[tokio::test]
async fn filters_by_name_enabled_suspended_active_and_event_types() {
    let fx = Fx::start().await;
    let mut off = create_body("Off");
    off["enabled"] = json!(false);
    off["eventTypes"] = json!(["claim.open"]);
    fx.create(TENANT_A, &off).await;
    let on = fx.create_locator(TENANT_A, "On").await;
    let suspended = fx.create_locator(TENANT_A, "Suspended").await;
    fx.create_locator(TENANT_A, "On").await;
    let r = fx.admin(Method::POST, &format!("/tenants/{TENANT_A}/webhooks/{suspended}/suspend"), None).await;
    assert_eq!(r.status, 200);

    let got = |q: &'static str| {
        let fx = &fx;
        async move { names(&page(fx, TENANT_A, q).await) }
    };
    assert_eq!(got("name=On").await, ["On", "On"], "exact name, every match");
    assert!(got("name=on").await.is_empty(), "case-sensitive");
    assert!(got("name=O").await.is_empty(), "not a prefix");
    assert_eq!(got("name=Suspended").await, ["Suspended"]);
    assert_eq!(got("enabled=false").await, ["Off"]);
    assert_eq!(got("enabled=true").await, ["On", "Suspended", "On"]);
    assert_eq!(got("suspended=true").await, ["Suspended"]);
    assert_eq!(got("suspended=false").await, ["Off", "On", "On"]);
    assert_eq!(got("active=true").await, ["On", "On"], "enabled and not suspended");
    assert_eq!(got("active=false").await, ["Off", "Suspended"]);
    assert_eq!(got("eventTypes=claim.open").await, ["Off"]);
    assert_eq!(got("eventTypes=invoice.issue&eventTypes=nothing").await, ["On", "Suspended", "On"], "any of them");
    assert_eq!(got("eventTypes=claim.open,invoice.issue").await.len(), 4, "comma-separated too");
    assert_eq!(got("eventTypes=nothing").await, Vec::<String>::new());
    assert_eq!(got("active=true&name=On&count=1").await, ["On"], "filters combine; count applies to the matches");
    assert_eq!(got("active=true&name=On&offset=1").await, ["On"], "offset counts matches");
    let first_on = page(&fx, TENANT_A, "name=On&count=1").await;
    assert_eq!(first_on[0]["locator"], json!(on), "oldest first");
}

#[tokio::test]
async fn lists_are_per_tenant() {
    let fx = Fx::start().await;
    fx.create(TENANT_A, &create_body("a")).await;
    fx.create(TENANT_B, &create_body("b")).await;
    assert_eq!(names(&page(&fx, TENANT_A, "").await), ["a"]);
    assert_eq!(names(&page(&fx, TENANT_B, "").await), ["b"]);
    let r = fx.api(Method::GET, &list_path(TENANT_C), Some(OTHER), None).await;
    assert_eq!(r.json(), json!([]), "a tenant without webhooks");
}
