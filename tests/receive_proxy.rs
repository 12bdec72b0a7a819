//! `hookwright receive` (the verifying reverse proxy, run as the real binary) in front of a tiny
//! upstream on 127.0.0.1: valid deliveries are forwarded with all headers and the body and the
//! upstream's answer comes back; tampered bodies, old or future timestamps, replays and unknown
//! secrets get 401 and are counted on /metrics; the secret file is re-read on change with the
//! previous secret accepted during the grace period. One test drives it from the fake Mendix
//! API's event delivery.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use hookwright::signature::{SigningKey, sign, unix_now};

#[path = "support/receive.rs"]
mod support;
use support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn valid_delivery_is_forwarded_with_all_headers_and_body() {
    let upstream = Upstream::start().await;
    let proxy = ProxyProc::start(&upstream.url(), &[]);
    let d = Delivery::new(SECRET, unix_now(), BODY);
    let resp = d.post(&proxy, "/hooks/mendix?source=test").await;
    assert_eq!(resp.status(), 200, "{}", proxy.logs());
    assert_eq!(resp.headers()["x-upstream"], "yes");
    assert_eq!(resp.text().await.unwrap(), "upstream ok");

    let seen = upstream.seen();
    assert_eq!(seen.len(), 1);
    let s = &seen[0];
    assert_eq!(s.uri, "/hooks/mendix?source=test");
    assert_eq!(s.body.as_ref(), BODY);
    assert_eq!(s.headers["webhook-id"], d.id.as_str());
    assert_eq!(s.headers["webhook-timestamp"], d.ts.to_string().as_str());
    assert_eq!(s.headers["webhook-signature"], d.signature.as_str());
    assert_eq!(s.headers["x-custom-header"], "custom-value");
    assert_eq!(s.headers["content-type"], "application/json");
    assert_eq!(s.headers["x-forwarded-for"], "127.0.0.1");
    assert_eq!(s.headers["host"], upstream.addr.to_string().as_str());

    let m = proxy.metrics().await;
    assert_eq!(outcome(&m, "forwarded"), 1.0);
    assert_eq!(sample(&m, "upstream_responses_total{status=\"200\"}"), 1.0);
    assert_eq!(sample(&m, "verified_total{secret=\"current\"}"), 1.0);
    assert!(!proxy.logs().contains(SECRET));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_deliveries_get_401_and_are_counted() {
    let upstream = Upstream::start().await;
    let proxy = ProxyProc::start(&upstream.url(), &[]);
    let now = unix_now();

    // Tampered body: signed for BODY, sent with one byte changed.
    let d = Delivery::new(SECRET, now, BODY);
    let mut tampered = BODY.to_vec();
    tampered[3] ^= 1;
    let r = d.post_body(&proxy, "/", tampered).await;
    assert_eq!(r.status(), 401);
    assert!(r.text().await.unwrap().contains("no signature matches"));

    // Old and future timestamps (correctly signed).
    let r = Delivery::new(SECRET, now - 3600, BODY).post(&proxy, "/").await;
    assert_eq!(r.status(), 401);
    assert!(r.text().await.unwrap().contains("older than now"));
    let r = Delivery::new(SECRET, now + 3600, BODY).post(&proxy, "/").await;
    assert_eq!(r.status(), 401);

    // Wrong secret.
    assert_eq!(Delivery::new("someone-else", now, BODY).post(&proxy, "/").await.status(), 401);

    // The same delivery twice (issue 12, hole 5: the sender retries because our 2xx was lost):
    // acknowledged with 200, never forwarded twice.
    let d = Delivery::new(SECRET, now, BODY);
    assert_eq!(d.post(&proxy, "/").await.status(), 200);
    let r = d.post(&proxy, "/").await;
    assert_eq!(r.status(), 200, "a redelivery of a forwarded id is acknowledged");
    assert!(r.text().await.unwrap().contains("already delivered"));
    // A retry re-signed at another timestamp (as Standard Webhooks senders do): the same.
    let again = Delivery {
        id: d.id.clone(),
        ts: now - 10,
        signature: sign(&SigningKey::raw(SECRET).unwrap(), &d.id, now - 10, BODY),
        body: BODY.to_vec(),
    };
    assert_eq!(again.post(&proxy, "/").await.status(), 200);

    // No webhook headers at all; a GET; a body over the limit.
    let r = client().post(format!("{}/", proxy.url)).body("{}").send().await.unwrap();
    assert_eq!(r.status(), 401);
    let r = client().get(format!("{}/hooks", proxy.url)).send().await.unwrap();
    assert_eq!(r.status(), 405);
    let r = client().get(format!("{}/livez", proxy.url)).send().await.unwrap();
    assert_eq!(r.status(), 200);

    assert_eq!(upstream.seen().len(), 1, "only the one valid delivery reached the upstream");
    let m = proxy.metrics().await;
    for (o, n) in [
        ("forwarded", 1.0),
        ("bad_signature", 2.0),
        ("expired", 1.0),
        ("too_new", 1.0),
        ("redelivered", 2.0),
        ("missing_header", 1.0),
        ("method_not_allowed", 1.0),
        ("upstream_error", 0.0),
    ] {
        assert_eq!(outcome(&m, o), n, "{o}\n{m}");
    }
    assert!(!proxy.logs().contains(SECRET));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limits_and_upstream_failures() {
    let upstream = Upstream::start().await;
    let proxy = ProxyProc::start(&upstream.url(), &["--max-body-bytes", "64"]);
    let big = vec![b'x'; 65];
    let r = Delivery::new(SECRET, unix_now(), &big).post(&proxy, "/").await;
    assert_eq!(r.status(), 413);

    // The upstream answers 500: relayed, and the id stays usable for the sender's retry.
    let d = Delivery::new(SECRET, unix_now(), b"{}");
    let r = d.post(&proxy, "/fail").await;
    assert_eq!(r.status(), 500);
    assert_eq!(r.text().await.unwrap(), "upstream says no");
    assert_eq!(d.post(&proxy, "/").await.status(), 200, "retry after a failed delivery is not a replay");
    let before = upstream.seen().len();
    assert_eq!(d.post(&proxy, "/").await.status(), 200, "after success it is acknowledged...");
    assert_eq!(upstream.seen().len(), before, "...and not forwarded again");

    // Upstream unreachable: 502, counted, id released.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead_url = format!("http://{}", dead.local_addr().unwrap());
    drop(dead);
    let proxy2 = ProxyProc::start(&dead_url, &[]);
    let r = Delivery::new(SECRET, unix_now(), b"{}").post(&proxy2, "/").await;
    assert_eq!(r.status(), 502);
    let m = proxy2.metrics().await;
    assert_eq!(outcome(&m, "upstream_error"), 1.0);

    let m = proxy.metrics().await;
    assert_eq!(outcome(&m, "too_large"), 1.0);
    assert_eq!(sample(&m, "upstream_responses_total{status=\"500\"}"), 1.0);
    assert_eq!(outcome(&m, "redelivered"), 1.0);
}

/// Polls `f` until it returns true or the deadline passes.
async fn eventually<F, Fut>(what: &str, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let start = Instant::now();
    for _ in 0..3000 {
        if f().await {
            return;
        }
        assert!(start.elapsed() < DEADLINE, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("gave up waiting for {what}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secret_rotation_accepts_old_and_new_during_the_grace_period() {
    let upstream = Upstream::start().await;
    let proxy = ProxyProc::start(&upstream.url(), &["--grace-period", "4", "--secret-poll-interval-ms", "100"]);
    let new_secret = "rotated-secret-abcdefghijklmnopqrstuvwxyz";
    assert_eq!(Delivery::new(SECRET, unix_now(), BODY).post(&proxy, "/").await.status(), 200);
    assert_eq!(Delivery::new(new_secret, unix_now(), BODY).post(&proxy, "/").await.status(), 401);

    proxy.rotate_secret(new_secret);
    eventually("the new secret to be accepted", || async {
        Delivery::new(new_secret, unix_now(), BODY).post(&proxy, "/").await.status() == 200
    })
    .await;
    let rotated_at = Instant::now();
    // Within the grace period the old secret still works, and Mendix-style lists with both too.
    let old = Delivery::new(SECRET, unix_now(), BODY).post(&proxy, "/").await.status();
    let within = rotated_at.elapsed() < Duration::from_secs(3);
    if within {
        assert_eq!(old, 200, "old secret refused during the grace period\n{}", proxy.logs());
    }
    let m = proxy.metrics().await;
    assert_eq!(sample(&m, "secret_reloads_total{result=\"ok\"}"), 1.0);
    if within {
        assert_eq!(sample(&m, "verified_total{secret=\"previous\"}"), 1.0);
    }

    // After the grace period only the new one.
    eventually("the old secret to be retired", || async {
        Delivery::new(SECRET, unix_now(), BODY).post(&proxy, "/").await.status() == 401
    })
    .await;
    assert!(rotated_at.elapsed() >= Duration::from_secs(3), "old secret retired before its grace period ended");
    assert_eq!(Delivery::new(new_secret, unix_now(), BODY).post(&proxy, "/").await.status(), 200);
    let m = proxy.metrics().await;
    assert_eq!(sample(&m, "accepted_secrets"), 1.0);

    // An unusable file (empty) is refused: the current secret stays, the error is counted.
    proxy.rotate_secret("\n");
    eventually("the refused reload to be counted", || async {
        sample(&proxy.metrics().await, "secret_reloads_total{result=\"error\"}") >= 1.0
    })
    .await;
    assert_eq!(Delivery::new(new_secret, unix_now(), BODY).post(&proxy, "/").await.status(), 200);
    assert!(!proxy.logs().contains(SECRET) && !proxy.logs().contains(new_secret));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fake_mendix_event_goes_through_the_proxy_and_attacks_do_not() {
    use hookwright_fake_api::mendix::{DeliverySettings, FakeConfig, FakeServer};
    let upstream = Upstream::start().await;
    let proxy = ProxyProc::start(&upstream.url(), &[]);
    let fake = FakeServer::start(FakeConfig {
        delivery: DeliverySettings { max_attempts: 1, ..DeliverySettings::default() },
        ..FakeConfig::default()
    })
    .await
    .unwrap();
    let app = "f60650eb-230a-4419-a6af-b3668fc82d5d";
    let http = client();
    let created = http
        .post(format!("{}/apps/{app}/webhooks", fake.admin_url()))
        .json(&serde_json::json!({
            "name": "through the proxy",
            "url": format!("{}/hooks/mendix", proxy.url),
            "eventTypes": ["package.uploaded"],
            "validationSecret": SECRET,
            "headers": [{"key": "X-Team", "value": "platform"}],
        }))
        .send()
        .await
        .unwrap();
    assert!(created.status().is_success(), "{}", created.text().await.unwrap());
    let emitted = http
        .post(format!("{}/events", fake.admin_url()))
        .json(&serde_json::json!({"appId": app, "eventType": "package.uploaded"}))
        .send()
        .await
        .unwrap();
    assert_eq!(emitted.status(), 202);
    let emitted: serde_json::Value = emitted.json().await.unwrap();

    eventually("the event to reach the upstream", || async { !upstream.seen().is_empty() }).await;
    let seen = upstream.seen()[0].clone();
    assert_eq!(seen.uri, "/hooks/mendix");
    assert_eq!(seen.headers["webhook-id"], emitted["messageId"].as_str().unwrap());
    assert_eq!(seen.headers["x-team"], "platform");
    let payload: serde_json::Value = serde_json::from_slice(&seen.body).unwrap();
    assert_eq!(payload, emitted["payload"]);
    eventually("the fake to record a 200 delivery", || async {
        let d: serde_json::Value =
            http.get(format!("{}/deliveries", fake.admin_url())).send().await.unwrap().json().await.unwrap();
        d["deliveries"].as_array().is_some_and(|a| a.iter().any(|x| x["status"] == 200))
    })
    .await;

    // Replay of the captured delivery, byte for byte.
    let replay = |body: Vec<u8>, ts: String, sig: String| {
        let mut req = http.post(format!("{}/hooks/mendix", proxy.url));
        for (name, value) in &seen.headers {
            if !["host", "content-length", "webhook-timestamp", "webhook-signature"].contains(&name.as_str()) {
                req = req.header(name, value);
            }
        }
        req.header("webhook-timestamp", ts).header("webhook-signature", sig).body(body).send()
    };
    let ts = seen.headers["webhook-timestamp"].to_str().unwrap().to_string();
    let sig = seen.headers["webhook-signature"].to_str().unwrap().to_string();
    assert_eq!(
        replay(seen.body.to_vec(), ts.clone(), sig.clone()).await.unwrap().status(),
        200,
        "acknowledged, not forwarded"
    );
    // Tampered body with the captured signature.
    let mut tampered = seen.body.to_vec();
    tampered.extend_from_slice(b" ");
    assert_eq!(replay(tampered, ts, sig).await.unwrap().status(), 401);
    // An old timestamp, correctly signed for a fresh id.
    let old = Delivery::new(SECRET, unix_now() - 600, &seen.body);
    assert_eq!(old.post(&proxy, "/hooks/mendix").await.status(), 401);

    assert_eq!(upstream.seen().len(), 1);
    let m = proxy.metrics().await;
    assert_eq!(outcome(&m, "forwarded"), 1.0);
    assert_eq!(outcome(&m, "redelivered"), 1.0);
    assert_eq!(outcome(&m, "bad_signature"), 1.0);
    assert_eq!(outcome(&m, "expired"), 1.0);
    fake.shutdown().await;
}

#[test]
fn usage_errors_exit_64() {
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("secret");
    std::fs::write(&secret, "s3cret").unwrap();
    let empty = dir.path().join("empty");
    std::fs::write(&empty, "").unwrap();
    let run = |args: &[&str], secret: &Path| {
        Command::new(BIN)
            .args(["receive", "--listen", "127.0.0.1:0"])
            .args(args)
            .arg("--secret-file")
            .arg(secret)
            .output()
            .unwrap()
    };
    for (args, file, needle) in [
        (&["--upstream", "ftp://x"][..], secret.as_path(), "expected an http"),
        (&["--upstream", "not a url"][..], secret.as_path(), "--upstream"),
        (&["--upstream", "http://127.0.0.1:1"][..], dir.path().join("missing").as_path(), "cannot read secret file"),
        (&["--upstream", "http://127.0.0.1:1"][..], empty.as_path(), "secret is empty"),
        (&["--upstream", "http://127.0.0.1:1", "--key-format", "nope"][..], secret.as_path(), "unknown key format"),
    ] {
        let out = run(args, file);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(64), "{args:?}: {stderr}");
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
        assert!(!stderr.contains("s3cret"));
    }
}

/// Sends `head` (request line and headers) and `partial` body bytes on a raw connection, never
/// the rest of the body, and returns the status line of the answer (empty if none in 5 s).
async fn answer_to_incomplete_request(proxy: &ProxyProc, head: &str, partial: &[u8]) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = proxy.url.trim_start_matches("http://").to_string();
    let mut conn = tokio::net::TcpStream::connect(addr).await.unwrap();
    conn.write_all(head.as_bytes()).await.unwrap();
    conn.write_all(partial).await.unwrap();
    let mut buf = vec![0u8; 256];
    match tokio::time::timeout(Duration::from_secs(5), conn.read(&mut buf)).await {
        Ok(Ok(n)) => String::from_utf8_lossy(&buf[..n]).lines().next().unwrap_or_default().to_string(),
        _ => String::new(),
    }
}

/// Issue 12, hole 3: a request without valid webhook headers (or with a stale timestamp) is
/// refused before its body is read, and a body that never completes is cut off at a deadline;
/// neither can hold a connection and up to `--max-body-bytes` of buffer for long.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headers_are_checked_before_the_body_and_slow_bodies_time_out() {
    let upstream = Upstream::start().await;
    let proxy = ProxyProc::start(&upstream.url(), &["--body-read-timeout", "1"]);
    let no_headers = "POST /hook HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n";
    let status = answer_to_incomplete_request(&proxy, no_headers, b"{\"partial").await;
    assert!(status.starts_with("HTTP/1.1 401"), "answered before the body: {status:?}");

    let stale = format!(
        "POST /hook HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\nwebhook-id: msg_1\r\nwebhook-timestamp: {}\r\nwebhook-signature: v1,AAAA\r\n\r\n",
        unix_now() - 3600
    );
    let status = answer_to_incomplete_request(&proxy, &stale, b"{").await;
    assert!(status.starts_with("HTTP/1.1 401"), "a stale timestamp is refused before the body: {status:?}");

    let fresh = format!(
        "POST /hook HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\nwebhook-id: msg_2\r\nwebhook-timestamp: {}\r\nwebhook-signature: v1,AAAA\r\n\r\n",
        unix_now()
    );
    let started = std::time::Instant::now();
    let status = answer_to_incomplete_request(&proxy, &fresh, b"{").await;
    assert!(status.starts_with("HTTP/1.1 408"), "a body that never completes times out: {status:?}");
    assert!(started.elapsed() < Duration::from_secs(4), "{:?}", started.elapsed());
    assert!(upstream.seen().is_empty());
}
