//! `hookwright verify` as a user runs it: exit codes 0/1/2/64 and exactly one line on stderr,
//! which never contains the secret.

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use hookwright::signature::{SigningKey, sign};

const BIN: &str = env!("CARGO_BIN_EXE_hookwright");
const SECRET: &str = "Mx-validation-secret-0123456789-abcdefghijklmnop";
const ID: &str = "msg_2M605iBQRge9hTgpYg7fKXQubaw";
const TS: i64 = 1677072542;
const BODY: &str = r#"{"eventType":"package.uploaded","projectId":"f60650eb-230a-4419-a6af-b3668fc82d5d"}"#;

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Env {
        let env = Env { dir: tempfile::tempdir().unwrap() };
        env.write("secret", format!("{SECRET}\n").as_bytes());
        env.write("body.json", BODY.as_bytes());
        env
    }
    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }
    fn write(&self, name: &str, contents: &[u8]) -> String {
        std::fs::write(self.dir.path().join(name), contents).unwrap();
        self.path(name)
    }
}

fn signature() -> String {
    sign(&SigningKey::raw(SECRET).unwrap(), ID, TS, BODY.as_bytes())
}

/// Runs `hookwright verify ARGS` with `stdin` as input and `envs` set.
fn run(args: &[&str], stdin: &[u8], envs: &[(&str, &str)]) -> Output {
    let mut child = Command::new(BIN)
        .arg("verify")
        .args(args)
        .envs(envs.iter().copied())
        .env_remove("HOOKWRIGHT_TEST_UNSET")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The child may exit before reading stdin (usage errors): a broken pipe is fine.
    let _ = child.stdin.take().unwrap().write_all(stdin);
    child.wait_with_output().unwrap()
}

/// Asserts the exit code, that stderr is one line containing `needle`, and that no secret leaked.
fn expect(out: &Output, code: i32, needle: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "stderr: {stderr}");
    assert!(stderr.contains(needle), "expected {needle:?} in {stderr:?}");
    assert!(
        !stderr.contains(SECRET) && !stderr.contains("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"),
        "secret leaked: {stderr}"
    );
    if code != 64 || stderr.starts_with("hookwright verify:") {
        assert_eq!(stderr.lines().count(), 1, "one line on stderr: {stderr:?}");
    }
    assert!(out.stdout.is_empty());
}

fn flags<'a>(env: &'a Env, sig: &'a str, ts: &'a str) -> Vec<String> {
    ["--secret-file", &env.path("secret"), "--id", ID, "--timestamp", ts, "--signature", sig]
        .iter()
        .map(|s| s.to_string())
        .collect()
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

#[test]
fn valid_delivery_exits_0() {
    let env = Env::new();
    let sig = signature();
    let ts = TS.to_string();
    let now = (TS + 10).to_string();
    let mut args = flags(&env, &sig, &ts);
    args.extend(["--body-file".into(), env.path("body.json"), "--now".into(), now.clone()]);
    expect(&run(&strs(&args), b"", &[]), 0, "valid: signature 1 of the list matches");

    // Body on stdin, secret from the environment, a rotation list with the match second.
    let list = format!("v1,{} {sig}", "A".repeat(43) + "=");
    let args = ["--secret-env", "MX_SECRET", "--id", ID, "--timestamp", &ts, "--signature", &list, "--now", &now];
    expect(&run(&args, BODY.as_bytes(), &[("MX_SECRET", SECRET)]), 0, "signature 2 of the list");
}

#[test]
fn openssl_recipe_from_the_mendix_guide_verifies() {
    // seed 002: printf '%s.%s.%s' ... | openssl dgst -sha256 -binary -hmac "$VALIDATION_SECRET" | openssl base64
    let script = r#"printf '%s.%s.%s' "$WEBHOOK_ID" "$WEBHOOK_TIMESTAMP" "$PAYLOAD" | openssl dgst -sha256 -binary -hmac "$VALIDATION_SECRET" | openssl base64"#;
    let out = Command::new("bash")
        .args(["-c", script])
        .env("WEBHOOK_ID", ID)
        .env("WEBHOOK_TIMESTAMP", TS.to_string())
        .env("PAYLOAD", BODY)
        .env("VALIDATION_SECRET", SECRET)
        .output()
        .unwrap();
    assert!(out.status.success());
    let sig = format!("v1,{}", String::from_utf8(out.stdout).unwrap().trim());
    assert_eq!(sig, signature());
    let env = Env::new();
    let ts = TS.to_string();
    let mut args = flags(&env, &sig, &ts);
    args.extend(["--now".into(), ts.clone()]);
    expect(&run(&strs(&args), BODY.as_bytes(), &[]), 0, "valid");
}

#[test]
fn tampered_body_or_wrong_secret_exits_1() {
    let env = Env::new();
    let sig = signature();
    let ts = TS.to_string();
    let mut args = flags(&env, &sig, &ts);
    args.extend(["--now".into(), ts.clone()]);
    expect(&run(&strs(&args), b"{\"eventType\":\"package.uploaded\"}", &[]), 1, "invalid: no signature matches");

    let other = env.write("other", b"another-secret");
    let args = ["--secret-file", &other, "--id", ID, "--timestamp", &ts, "--signature", &sig, "--now", &ts];
    expect(&run(&args, BODY.as_bytes(), &[]), 1, "no signature matches: 1 v1 signature(s)");

    // Malformed values of the delivery itself are "invalid", not usage errors.
    let args = ["--secret-file", &other, "--id", ID, "--timestamp", "yesterday", "--signature", &sig];
    expect(&run(&args, BODY.as_bytes(), &[]), 1, "malformed header webhook-timestamp");
    let args = ["--secret-file", &other, "--id", ID, "--timestamp", &ts, "--signature", "sha256=abc", "--now", &ts];
    expect(&run(&args, BODY.as_bytes(), &[]), 1, "malformed header webhook-signature");
}

#[test]
fn timestamp_outside_tolerance_exits_2() {
    let env = Env::new();
    let sig = signature();
    let ts = TS.to_string();
    let late = (TS + 301).to_string();
    let mut args = flags(&env, &sig, &ts);
    args.extend(["--now".into(), late]);
    expect(&run(&strs(&args), BODY.as_bytes(), &[]), 2, "is 301s older than now");
    expect(&run(&strs(&args), BODY.as_bytes(), &[]), 2, "the signature itself matches");

    let early = (TS - 301).to_string();
    let mut args = flags(&env, &sig, &ts);
    args.extend(["--now".into(), early]);
    expect(&run(&strs(&args), BODY.as_bytes(), &[]), 2, "is 301s ahead of now");

    // --tolerance widens the window; without --now the real clock says 2023 is long past.
    let mut args = flags(&env, &sig, &ts);
    args.extend(["--now".into(), (TS + 301).to_string(), "--tolerance".into(), "400".into()]);
    expect(&run(&strs(&args), BODY.as_bytes(), &[]), 0, "within 400s");
    expect(&run(&strs(&flags(&env, &sig, &ts)), BODY.as_bytes(), &[]), 2, "older than now");
    let mut args = flags(&env, "v1,AAAA", &ts);
    args.extend(["--now".into(), (TS + 1000).to_string()]);
    expect(&run(&strs(&args), BODY.as_bytes(), &[]), 2, "the signature does not match either");
}

#[test]
fn headers_file_from_a_request_dump() {
    let env = Env::new();
    let dump = format!(
        "POST /hooks/mendix HTTP/1.1\r\nHost: receiver.example.com\r\nContent-Type: application/json\r\n\
         Webhook-Id: {ID}\r\nwebhook-timestamp: {TS}\r\nwebhook-signature: {}\r\nX-Custom: 1\r\n\r\n{BODY}",
        signature()
    );
    let headers = env.write("request.txt", dump.as_bytes());
    let secret = env.path("secret");
    let now = TS.to_string();
    let args =
        ["--secret-file", &secret, "--headers-file", &headers, "--body-file", &env.path("body.json"), "--now", &now];
    expect(&run(&args, b"", &[]), 0, "valid");

    let partial = env.write("partial.txt", format!("webhook-id: {ID}\nwebhook-timestamp: {TS}\n").as_bytes());
    let args = ["--secret-file", &secret, "--headers-file", &partial, "--now", &now];
    expect(&run(&args, BODY.as_bytes(), &[]), 1, "missing header webhook-signature");

    let garbage = env.write("garbage.txt", b"this is not a header\n");
    let args = ["--secret-file", &secret, "--headers-file", &garbage];
    expect(&run(&args, BODY.as_bytes(), &[]), 64, "line 1: expected `Name: value`");
}

#[test]
fn key_formats() {
    // The published Standard Webhooks vector (see tests/signature_vectors.rs).
    let env = Env::new();
    let whsec = env.write("whsec", b"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
    let base = [
        "--secret-file",
        &whsec,
        "--id",
        "msg_p5jXN8AQM9LWM0D4loKWxJek",
        "--timestamp",
        "1614265330",
        "--signature",
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
        "--now",
        "1614265330",
    ];
    let body = br#"{"test": 2432232314}"#;
    let mut args = base.to_vec();
    args.extend(["--key-format", "whsec"]);
    expect(&run(&args, body, &[]), 0, "key format whsec");
    expect(&run(&base, body, &[]), 1, "try --key-format whsec");

    // A raw secret that happens to be valid base64, verified with the wrong convention.
    let b64ish = "c2VjcmV0c2VjcmV0c2VjcmV0";
    let file = env.write("b64ish", b64ish.as_bytes());
    let sig = sign(&SigningKey::raw(b64ish).unwrap(), ID, TS, BODY.as_bytes());
    let ts = TS.to_string();
    let args = ["--secret-file", &file, "--id", ID, "--timestamp", &ts, "--signature", &sig, "--now", &ts];
    expect(&run(&args, BODY.as_bytes(), &[]), 0, "key format raw");
    let mut args = args.to_vec();
    args.extend(["--key-format", "whsec"]);
    expect(&run(&args, BODY.as_bytes(), &[]), 1, "try --key-format raw");
}

#[test]
fn usage_errors_exit_64() {
    let env = Env::new();
    let sig = signature();
    let ts = TS.to_string();
    let secret = env.path("secret");
    let missing = env.path("missing");
    let empty = env.write("empty", b"\n");
    let bad_whsec = env.write("bad", b"whsec_%%%");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["--id", ID, "--timestamp", &ts, "--signature", &sig], "--secret-file"),
        (vec!["--secret-file", &secret, "--timestamp", &ts, "--signature", &sig], "--id"),
        (vec!["--secret-file", &secret, "--headers-file", &secret, "--id", ID], "cannot be used with"),
        (
            vec!["--secret-file", &secret, "--secret-env", "X", "--id", ID, "--timestamp", &ts, "--signature", &sig],
            "cannot be used with",
        ),
        (
            vec!["--secret-file", &missing, "--id", ID, "--timestamp", &ts, "--signature", &sig],
            "cannot read secret file",
        ),
        (
            vec!["--secret-env", "HOOKWRIGHT_TEST_UNSET", "--id", ID, "--timestamp", &ts, "--signature", &sig],
            "is not set",
        ),
        (vec!["--secret-file", &empty, "--id", ID, "--timestamp", &ts, "--signature", &sig], "secret is empty"),
        (
            vec![
                "--secret-file",
                &bad_whsec,
                "--key-format",
                "whsec",
                "--id",
                ID,
                "--timestamp",
                &ts,
                "--signature",
                &sig,
            ],
            "not valid base64",
        ),
        (
            vec!["--secret-file", &secret, "--key-format", "hex", "--id", ID, "--timestamp", &ts, "--signature", &sig],
            "unknown key format",
        ),
        (
            vec!["--secret-file", &secret, "--tolerance", "-5", "--id", ID, "--timestamp", &ts, "--signature", &sig],
            "'-5'",
        ),
        (
            vec![
                "--secret-file",
                &secret,
                "--id",
                ID,
                "--timestamp",
                &ts,
                "--signature",
                &sig,
                "--body-file",
                &missing,
            ],
            "cannot read body file",
        ),
        (vec!["--secret-file", &secret, "--bogus"], "--bogus"),
    ];
    for (args, needle) in cases {
        expect(&run(&args, BODY.as_bytes(), &[]), 64, needle);
    }
    assert!(!Path::new(&missing).exists());
}

#[test]
fn help_exits_0() {
    let out = Command::new(BIN).args(["verify", "--help"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let help = String::from_utf8(out.stdout).unwrap();
    for flag in
        ["--secret-file", "--secret-env", "--headers-file", "--body-file", "--now", "--tolerance", "--key-format"]
    {
        assert!(help.contains(flag), "{flag} missing from help");
    }
}
