//! `hookwright import` end to end (issue 15): 25 webhooks made directly in the fake (three apps,
//! several pages, headers, inactive ones) are imported, the output is applied with kubectl, and
//! every Webhook adopts its webhook (reason Adopted) with no POST, no DELETE and at most one PUT
//! each. Two imports give the same bytes, a second apply changes nothing, no secret value is
//! printed, and a later import skips what is now managed.
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use serde_json::json;

use super::harness::{condition, env};

const BIN: &str = env!("CARGO_BIN_EXE_hookwright");
const N: usize = 25;

fn run(cmd: &mut Command) -> (String, String) {
    let out = cmd.output().unwrap();
    let (stdout, stderr) =
        (String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned());
    assert!(out.status.success(), "{cmd:?} failed:\n{stdout}\n{stderr}");
    (stdout, stderr)
}

fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(&p).unwrap()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imported_webhooks_are_adopted_with_no_create_no_delete_and_at_most_one_put_each() {
    let env = env("import").await;
    let cp = hookwright_testenv::shared().await;
    let apps = [env.app, uuid::Uuid::new_v4(), uuid::Uuid::new_v4()];
    let scopes = json!(["mx:webhook:read", "mx:webhook:write"]);
    let app_ids: Vec<String> = apps.iter().map(ToString::to_string).collect();
    env.admin(
        reqwest::Method::PUT,
        &format!("/tokens/{}", env.token),
        Some(json!({"scopes": scopes, "apps": app_ids})),
    )
    .await;

    // 25 webhooks made "in the portal": names that collide, inactive ones, headers.
    let mut secret_values = Vec::new();
    for i in 0..N {
        let app = apps[i % 3];
        let secret = format!("imp{i:0>2}{}", uuid::Uuid::new_v4().simple());
        let mut hook = json!({
            "name": if i % 5 == 0 { "Build hook".to_string() } else { format!("Hook {i}") },
            "url": format!("https://receiver.example.com/import/{i}"),
            "eventTypes": ["package.uploaded"], "isActive": i % 4 != 0, "validationSecret": secret,
        });
        secret_values.push(secret);
        if i % 3 == 0 {
            let value = format!("Bearer hdr-{i}-{}", uuid::Uuid::new_v4().simple());
            hook["headers"] = json!([{"key": "Authorization", "value": value}, {"key": "X-Team", "value": "team-a"}]);
            secret_values.push(value);
        }
        env.admin(reqwest::Method::POST, &format!("/apps/{app}/webhooks"), Some(hook)).await;
    }
    env.admin(reqwest::Method::DELETE, "/requests", None).await;

    let tmp = tempfile::tempdir().unwrap();
    let import = |out: &Path, secrets: &str, extra: &[&str]| {
        let mut cmd = Command::new(BIN);
        cmd.args(["import", "--provider", "mendix", "-n", &env.ns, "--page-size", "4", "--secrets", secrets, "--out"])
            .arg(out)
            .args(extra)
            .env("KUBECONFIG", cp.kubeconfig_path());
        for app in &apps {
            cmd.arg("--app").arg(app.to_string());
        }
        run(&mut cmd)
    };
    let never_printed = |text: &str| {
        for v in &secret_values {
            assert!(!text.contains(v.as_str()), "a secret value was printed:\n{text}");
        }
    };

    // Twice, the same bytes; the Secrets are created in the cluster.
    let (first, second) = (tmp.path().join("first"), tmp.path().join("second"));
    let (out, err) = import(&first, "create", &[]);
    never_printed(&out);
    never_printed(&err);
    let (out, err) = import(&second, "create", &[]);
    never_printed(&format!("{out}{err}"));
    let written = files(&first);
    assert_eq!(written.len(), N, "one file per webhook: {:?}", written.keys());
    assert_eq!(written, files(&second), "two imports give the same bytes");
    for text in written.values() {
        never_printed(&String::from_utf8_lossy(text));
    }
    assert!(env.count("GET").await >= 6, "three apps of 8 to 9 webhooks at 4 per page: several pages each");

    // --secrets manifest: the values only in a 0600 file.
    let manifest = tmp.path().join("secrets.yaml");
    let (out, err) = import(&tmp.path().join("third"), "manifest", &["--secrets-file", manifest.to_str().unwrap()]);
    never_printed(&format!("{out}{err}"));
    use std::os::unix::fs::PermissionsExt as _;
    assert_eq!(std::fs::metadata(&manifest).unwrap().permissions().mode() & 0o777, 0o600);
    let text = std::fs::read_to_string(&manifest).unwrap();
    assert!(secret_values.iter().all(|v| text.contains(v.as_str())), "every value is in the manifest file");

    // kubectl apply: every Webhook adopts its webhook.
    let kubectl = hookwright_testenv::bin_dir().join("kubectl");
    let apply = || {
        let mut cmd = Command::new(&kubectl);
        cmd.arg("--kubeconfig").arg(cp.kubeconfig_path()).args(["apply", "-f"]).arg(&first);
        run(&mut cmd).0
    };
    apply();
    for name in written.keys().map(|f| f.trim_end_matches(".yaml").to_string()) {
        let wh = env.wait_ready(&name).await;
        assert_eq!(condition(&wh, "Synced").unwrap().reason, "Adopted", "{name}");
    }
    assert_eq!((env.count("POST").await, env.count("DELETE").await), (0, 0), "nothing created, nothing deleted");
    assert!(env.count("PUT").await <= N as u64, "at most one PUT per webhook");
    assert_eq!(env.remote_count().await, N);

    // A second apply changes nothing; a later import skips what is managed now.
    let again = apply();
    assert_eq!(again.lines().filter(|l| l.ends_with(" unchanged")).count(), N, "{again}");
    let (out, err) = import(&tmp.path().join("fourth"), "reference", &[]);
    assert!(out.trim().is_empty(), "{out}");
    assert_eq!(err.lines().filter(|l| l.starts_with("skipped ")).count(), N, "{err}");
}
