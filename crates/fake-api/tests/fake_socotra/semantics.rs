//! The PATCH's add/remove semantics, rule by rule as the seed states them ("removals happen
//! first, followed by additions ... addition takes precedence over removal if a request
//! includes some item in both") and as the fake completes them where the seed is silent.
use reqwest::Method;
use serde_json::{Value, json};

use crate::common::*;

/// A webhook with event types [a, b, c], headers {A: [1], B: [2]} and failure handling
/// {divert: true, suspend: false}; returns its locator.
async fn seeded(fx: &Fx) -> String {
    let body = json!({
        "name": "Seeded", "enabled": true,
        "endpoint": {"url": "https://hooks.example.com/s", "headers": {"A": ["1"], "B": ["2"]}},
        "failureHandling": {"divert": true, "suspend": false},
        "eventTypes": ["a", "b", "c"],
    });
    fx.create(TENANT_A, &body).await["locator"].as_str().expect("locator").to_string()
}

/// An update of the seeded webhook that changes only what `changes` sets.
fn update(changes: Value) -> Value {
    let mut u = json!({
        "name": "Seeded", "enabled": true,
        "endpoint": {"url": "https://hooks.example.com/s", "addHeaders": {}, "removeHeaders": []},
        "failureHandling": {}, "removeFailureHandling": false, "addEventTypes": [], "removeEventTypes": [],
    });
    for (k, v) in changes.as_object().expect("object") {
        match k.as_str() {
            "addHeaders" | "removeHeaders" | "url" => u["endpoint"][k] = v.clone(),
            _ => u[k] = v.clone(),
        }
    }
    u
}

async fn patched(fx: &Fx, changes: Value) -> Value {
    let locator = seeded(fx).await;
    let answer = fx.patch(TENANT_A, &locator, &update(changes)).await;
    assert_eq!(fx.get(TENANT_A, &locator).await, answer, "the answer is what is stored");
    answer
}

#[tokio::test]
async fn a_no_op_update_changes_nothing() {
    let fx = Fx::start().await;
    let locator = seeded(&fx).await;
    let before = fx.get(TENANT_A, &locator).await;
    assert_eq!(fx.patch(TENANT_A, &locator, &update(json!({}))).await, before);
}

#[tokio::test]
async fn name_enabled_and_url_are_set() {
    let fx = Fx::start().await;
    let w = patched(&fx, json!({"name": "New", "enabled": false, "url": "http://other.example/x"})).await;
    assert_eq!(
        (&w["name"], &w["enabled"], &w["endpoint"]["url"]),
        (&json!("New"), &json!(false), &json!("http://other.example/x"))
    );
    assert_eq!(w["eventTypes"], json!(["a", "b", "c"]), "the rest stays");
}

#[tokio::test]
async fn event_types_removals_first_then_additions() {
    let fx = Fx::start().await;
    // Removed, added; removing one that is not there and adding one that is are no-ops.
    let w = patched(&fx, json!({"removeEventTypes": ["b", "zzz"], "addEventTypes": ["d", "a"]})).await;
    assert_eq!(w["eventTypes"], json!(["a", "c", "d"]), "kept in order, additions appended");
    // An item in both lists ends up added: present stays, absent is added.
    let w = patched(&fx, json!({"removeEventTypes": ["a", "e"], "addEventTypes": ["a", "e"]})).await;
    assert_eq!(w["eventTypes"], json!(["b", "c", "a", "e"]), "a removed then added again (at the end), e added");
    // Remove everything.
    let w = patched(&fx, json!({"removeEventTypes": ["a", "b", "c"]})).await;
    assert_eq!(w["eventTypes"], json!([]));
    // Event types compare exactly.
    let w = patched(&fx, json!({"removeEventTypes": ["A"], "addEventTypes": ["B"]})).await;
    assert_eq!(w["eventTypes"], json!(["a", "b", "c", "B"]));
}

#[tokio::test]
async fn headers_removals_first_then_additions() {
    let fx = Fx::start().await;
    // removeHeaders names headers; addHeaders sets a header's values (replacing the old ones).
    let w =
        patched(&fx, json!({"removeHeaders": ["A", "Absent"], "addHeaders": {"B": ["20", "21"], "C": ["3"]}})).await;
    assert_eq!(w["endpoint"]["headers"], json!({"B": ["20", "21"], "C": ["3"]}));
    // A header in both lists ends up with the added values.
    let w = patched(&fx, json!({"removeHeaders": ["A"], "addHeaders": {"A": ["9"]}})).await;
    assert_eq!(w["endpoint"]["headers"], json!({"A": ["9"], "B": ["2"]}));
    // Adding a header with its current values changes nothing.
    let w = patched(&fx, json!({"addHeaders": {"A": ["1"]}})).await;
    assert_eq!(w["endpoint"]["headers"], json!({"A": ["1"], "B": ["2"]}));
    // Names compare exactly, as map keys: "a" is another header than "A".
    let w = patched(&fx, json!({"removeHeaders": ["a"], "addHeaders": {"b": ["x"]}})).await;
    assert_eq!(w["endpoint"]["headers"], json!({"A": ["1"], "B": ["2"], "b": ["x"]}));
}

#[tokio::test]
async fn failure_handling_removal_first_then_fields_set() {
    let fx = Fx::start().await;
    // `failureHandling` sets the top-level fields it names; `{}` changes nothing.
    let w = patched(&fx, json!({"failureHandling": {"suspend": true, "triggers": ["5xx"]}})).await;
    assert_eq!(w["failureHandling"], json!({"divert": true, "suspend": true, "triggers": ["5xx"]}));
    // removeFailureHandling goes back to {} (the platform default)...
    let w = patched(&fx, json!({"removeFailureHandling": true})).await;
    assert_eq!(w["failureHandling"], json!({}));
    // ...first: with a failureHandling in the same request, that is what remains.
    let w = patched(&fx, json!({"removeFailureHandling": true, "failureHandling": {"triggers": ["timeout"]}})).await;
    assert_eq!(w["failureHandling"], json!({"triggers": ["timeout"]}));
}

#[tokio::test]
async fn everything_in_one_request() {
    let fx = Fx::start().await;
    let w = patched(
        &fx,
        json!({"name": "All", "removeEventTypes": ["c"], "addEventTypes": ["x"], "removeHeaders": ["B"],
               "addHeaders": {"A": ["one", "two"]}, "removeFailureHandling": true, "failureHandling": {"suspend": true}}),
    )
    .await;
    assert_eq!(w["name"], "All");
    assert_eq!(w["eventTypes"], json!(["a", "b", "x"]));
    assert_eq!(w["endpoint"]["headers"], json!({"A": ["one", "two"]}));
    assert_eq!(w["failureHandling"], json!({"suspend": true}));
}

#[tokio::test]
async fn a_rejected_update_changes_nothing() {
    let fx = Fx::start().await;
    let locator = seeded(&fx).await;
    let before = fx.get(TENANT_A, &locator).await;
    let mut bad = update(json!({"removeEventTypes": ["a"], "addEventTypes": ["b", "b"]}));
    bad["name"] = json!("Changed");
    fx.api(Method::PATCH, &item_path(TENANT_A, &locator), Some(ALL), Some(&bad)).await.error(400);
    assert_eq!(fx.get(TENANT_A, &locator).await, before);
}

#[tokio::test]
async fn enabling_does_not_unsuspend() {
    let fx = Fx::start().await;
    let locator = seeded(&fx).await;
    let r = fx.admin(Method::POST, &format!("/tenants/{TENANT_A}/webhooks/{locator}/suspend"), None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let at = r.json()["suspendedAt"].clone();
    let w = fx.patch(TENANT_A, &locator, &update(json!({"enabled": true, "addEventTypes": ["z"]}))).await;
    assert_eq!((&w["suspended"], &w["suspendedAt"]), (&json!(true), &at), "only unsuspend clears the suspension");
    assert_eq!(w["eventTypes"], json!(["a", "b", "c", "z"]), "a suspended webhook is still updated");
}
