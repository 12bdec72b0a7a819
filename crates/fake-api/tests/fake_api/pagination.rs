//! List pagination: limit, opaque cursors, prev/next, ascOrder, and stability while other
//! clients insert concurrently.
use std::collections::HashSet;
use std::sync::Arc;

use reqwest::Method;
use serde_json::Value;

use crate::common::*;

struct PageOut {
    ids: Vec<String>,
    prev: Option<String>,
    next: Option<String>,
}

async fn page(fx: &Fx, query: &str) -> PageOut {
    let r = fx.api(Method::GET, &format!("/apps/{APP_A}/webhooks?{query}"), Some(RW), None).await;
    assert_eq!(r.status, 200, "{query}: {}", r.text);
    let v = r.json();
    for item in v["webhooks"].as_array().expect("webhooks") {
        let keys: HashSet<&str> = item.as_object().expect("item").keys().map(String::as_str).collect();
        assert_eq!(keys, HashSet::from(["id", "name", "url", "eventTypes", "isActive"]), "summary fields");
    }
    PageOut {
        ids: v["webhooks"]
            .as_array()
            .expect("list")
            .iter()
            .map(|w| w["id"].as_str().expect("id").to_string())
            .collect(),
        prev: v["cursors"]["prev"].as_str().map(str::to_owned),
        next: v["cursors"]["next"].as_str().map(str::to_owned),
    }
}

fn q(cursor: &str) -> String {
    url::form_urlencoded::Serializer::new(String::new()).append_pair("cursor", cursor).finish()
}

async fn create_n(fx: &Fx, prefix: &str, n: usize) -> Vec<String> {
    let mut ids = Vec::new();
    for i in 0..n {
        ids.push(fx.create(APP_A, &body(&format!("{prefix} {i}"))).await["id"].as_str().expect("id").to_string());
    }
    ids
}

/// Walks every page from the first, while `inserts` webhooks are created concurrently.
async fn walk_with_concurrent_inserts(
    fx: Arc<Fx>,
    asc: bool,
    limit: usize,
    inserts: usize,
) -> (Vec<String>, Vec<String>) {
    let writer = {
        let fx = fx.clone();
        tokio::spawn(async move { create_n(&fx, "Concurrent", inserts).await })
    };
    let mut seen = Vec::new();
    let mut query = format!("limit={limit}&ascOrder={asc}");
    let mut pages = 0;
    loop {
        let p = page(&fx, &query).await;
        assert!(p.ids.len() <= limit);
        seen.extend(p.ids);
        pages += 1;
        assert!(pages < 200, "bounded walk");
        match p.next {
            Some(c) => query = format!("limit={limit}&ascOrder={asc}&{}", q(&c)),
            None => break,
        }
    }
    let inserted = writer.await.expect("writer");
    (seen, inserted)
}

#[tokio::test]
async fn ascending_walk_over_many_pages_with_concurrent_inserts() {
    let fx = Arc::new(Fx::start().await);
    let initial = create_n(&fx, "Initial", 10).await;
    let (seen, inserted) = walk_with_concurrent_inserts(fx.clone(), true, 3, 12).await;
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "no item repeated: {seen:?}");
    assert_eq!(&seen[..initial.len()], &initial[..], "existing items in creation order, none skipped");
    let inserted_seen: Vec<&String> = seen[initial.len()..].iter().collect();
    // Items inserted while walking appear after the existing ones, in creation order.
    let expected: Vec<&String> = inserted.iter().filter(|id| seen.contains(id)).collect();
    assert_eq!(inserted_seen, expected);
    assert!(seen.len().div_ceil(3) >= 4, "at least 4 pages walked");
}

#[tokio::test]
async fn descending_walk_with_concurrent_inserts_sees_each_existing_item_once() {
    let fx = Arc::new(Fx::start().await);
    let initial = create_n(&fx, "Initial", 9).await;
    let (seen, inserted) = walk_with_concurrent_inserts(fx.clone(), false, 2, 10).await;
    let mut newest_first = initial.clone();
    newest_first.reverse();
    // New items sort before the first page, so a descending walk never meets them.
    let existing: Vec<&String> = seen.iter().filter(|id| !inserted.contains(id)).collect();
    assert_eq!(existing, newest_first.iter().collect::<Vec<_>>(), "every existing item once, newest first");
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "no repeats");
}

#[tokio::test]
async fn prev_cursor_and_default_order() {
    let fx = Fx::start().await;
    let ids = create_n(&fx, "Item", 7).await;
    let newest_first: Vec<String> = ids.iter().rev().cloned().collect();
    // Default: descending by creation time.
    let p1 = page(&fx, "limit=3").await;
    assert_eq!(p1.ids, newest_first[0..3]);
    assert!(p1.prev.is_none(), "no page before the first");
    let p2 = page(&fx, &format!("limit=3&{}", q(p1.next.as_deref().expect("next")))).await;
    assert_eq!(p2.ids, newest_first[3..6]);
    let p3 = page(&fx, &format!("limit=3&{}", q(p2.next.as_deref().expect("next")))).await;
    assert_eq!(p3.ids, newest_first[6..7]);
    assert!(p3.next.is_none(), "no page after the last");
    let back = page(&fx, &format!("limit=3&{}", q(p3.prev.as_deref().expect("prev")))).await;
    assert_eq!(back.ids, p2.ids);
    let back = page(&fx, &format!("limit=3&{}", q(back.prev.as_deref().expect("prev")))).await;
    assert_eq!(back.ids, p1.ids);
    assert!(back.prev.is_none());
    // ascOrder=true: oldest first; ascOrder=false is the default.
    assert_eq!(page(&fx, "ascOrder=true&limit=2").await.ids, ids[0..2]);
    assert_eq!(page(&fx, "ascOrder=false&limit=2").await.ids, newest_first[0..2]);
    // The cursor keeps the order it was made with.
    let a1 = page(&fx, "ascOrder=true&limit=2").await;
    let a2 = page(&fx, &format!("limit=2&{}", q(a1.next.as_deref().expect("next")))).await;
    assert_eq!(a2.ids, ids[2..4]);
}

#[tokio::test]
async fn default_limit_is_20_and_everything_fits_with_a_large_limit() {
    let fx = Fx::start().await;
    create_n(&fx, "Item", 21).await;
    let p = page(&fx, "").await;
    assert_eq!(p.ids.len(), 20);
    assert!(p.next.is_some());
    let p = page(&fx, "limit=1000").await;
    assert_eq!(p.ids.len(), 21);
    assert!(p.next.is_none() && p.prev.is_none());
    // Integers beyond the machine's range are still integers >= 1 (what the schema allows).
    assert_eq!(page(&fx, "limit=605923234702818866626560").await.ids.len(), 21);
    let empty = fx.api(Method::GET, &format!("/apps/{APP_B}/webhooks"), Some(RW), None).await.json();
    assert_eq!(empty["webhooks"], Value::Array(vec![]));
    assert!(empty["cursors"].as_object().is_some_and(|c| c.is_empty()));
}

#[tokio::test]
async fn invalid_limit_cursor_or_order_is_400() {
    let fx = Fx::start().await;
    create_n(&fx, "Item", 2).await;
    let path = format!("/apps/{APP_A}/webhooks");
    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=-1", "limit"),
        ("limit=abc", "limit"),
        ("limit=1.5", "limit"),
        ("limit=", "limit"),
        ("limit=00", "limit"),
        ("cursor=garbage", "cursor"),
        ("cursor=djE6YXNjOm5leHQ6eDp5", "cursor"),
        ("ascOrder=yes", "ascOrder"),
        ("ascOrder=1", "ascOrder"),
    ] {
        let r = fx.api(Method::GET, &format!("{path}?{query}"), Some(RW), None).await;
        assert_eq!(r.error(400), [field], "{query}");
    }
    // Unknown parameters are ignored; an empty cursor means the first page.
    assert_eq!(page(&fx, "foo=bar&cursor=").await.ids.len(), 2);
}
