//! What a release publishes, checked up to the push: the crate, the chart and the image agree on
//! the version and the repository; the chart packages; and the release workflow's push path works
//! against a real registry on loopback (go-containerregistry's, `crane registry serve`): `crane
//! push` of the OCI layout of `make image` keeps its digest and `crane validate` accepts it, and
//! `helm push` of the packaged chart is pulled back intact.
use std::io::BufRead;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use serde_json::Value;

use super::image::cargo_package;
use super::support::{chart_dir, find, helm, parse_docs, repo, run, template};

fn chart_yaml() -> Value {
    parse_docs(&std::fs::read_to_string(chart_dir().join("Chart.yaml")).unwrap()).remove(0)
}

fn values_yaml() -> Value {
    parse_docs(&std::fs::read_to_string(chart_dir().join("values.yaml")).unwrap()).remove(0)
}

fn release_workflow() -> Value {
    parse_docs(&std::fs::read_to_string(repo().join(".github/workflows/release.yml")).unwrap()).remove(0)
}

fn image_digest() -> String {
    let path = repo().join("target/image/digest");
    let d = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}: run `make image`", path.display()));
    d.trim().to_string()
}

/// The directory of the Go-built release tools (tools/go-tools/build.sh, run by hack/setup.sh).
fn go_tools() -> PathBuf {
    let dir = run(Command::new(repo().join("tools/go-tools/build.sh")).arg("--path"));
    let dir = PathBuf::from(dir.trim());
    assert!(dir.join(".complete").is_file(), "{} not built: run `make setup`", dir.display());
    dir
}

#[test]
fn crate_chart_and_image_versions_agree() {
    let version = cargo_package().version;
    let chart = chart_yaml();
    assert_eq!(chart["version"], version.as_str(), "Chart.yaml version vs Cargo.toml");
    assert_eq!(chart["appVersion"], version.as_str(), "Chart.yaml appVersion vs Cargo.toml");
    // The image the chart runs by default: the repository the release pushes to, tagged with
    // the version make image labels its image with.
    let values = values_yaml();
    let repository = values["image"]["repository"].as_str().unwrap();
    assert_eq!(values["image"]["tag"], "", "the tag follows appVersion");
    let workflow = release_workflow();
    assert_eq!(workflow["env"]["IMAGE_REPO"], repository, "release.yml pushes where the chart pulls from");
    let deployment = |docs: &[Value]| {
        find(docs, "Deployment", "hw-hookwright")["spec"]["template"]["spec"]["containers"][0]["image"].clone()
    };
    assert_eq!(deployment(&template("default", &[])), format!("{repository}:{version}"));
    // Pinned by digest, as docs/install.md tells: the digest make image printed.
    let digest = image_digest();
    let pinned = template("default", &["--set", &format!("image.digest={digest}")]);
    assert_eq!(deployment(&pinned), format!("{repository}@{digest}"));
    // The image make image built is that version (its config labels too: image.rs).
    let summary: Value =
        serde_json::from_slice(&std::fs::read(repo().join("target/image/image.json")).unwrap()).unwrap();
    assert_eq!(summary["version"], version.as_str(), "make image's version");
    // The docs name the chart reference and the image repository the release pushes.
    let install = std::fs::read_to_string(repo().join("docs/install.md")).unwrap();
    let chart_ref = format!("{}/hookwright", workflow["env"]["CHART_REPO"].as_str().unwrap());
    assert!(install.contains(&chart_ref), "docs/install.md does not mention {chart_ref}");
    assert!(install.contains(repository), "docs/install.md does not mention {repository}");
}

#[test]
fn release_workflow_publishes_what_make_builds() {
    let w = release_workflow();
    let tags = w["on"]["push"]["tags"].as_array().expect("on.push.tags");
    assert!(tags.iter().all(|t| t.as_str().unwrap().starts_with("v")), "{tags:?}");
    assert_eq!(w["jobs"]["test"]["uses"], "./.github/workflows/ci.yml", "the tests run before anything is published");
    let publish = &w["jobs"]["publish"];
    assert_eq!(publish["needs"], "test");
    assert_eq!(publish["permissions"]["id-token"], "write", "keyless signing needs the OIDC token");
    let script: String =
        publish["steps"].as_array().unwrap().iter().filter_map(|s| s["run"].as_str()).collect::<Vec<_>>().join("\n");
    for want in [
        "make image IMAGE_PROFILE=release",
        "make chart-package",
        "crane\" push target/image/oci",
        "cosign sign --yes \"$ref\"",
        "cosign attest --yes --type cyclonedx",
        "helm\" push \"target/chart/hookwright-$VERSION.tgz\"",
        "cargo cyclonedx",
        "gh release create",
    ] {
        assert!(script.contains(want), "release.yml's publish job lacks {want:?}");
    }
    let ci = parse_docs(&std::fs::read_to_string(repo().join(".github/workflows/ci.yml")).unwrap()).remove(0);
    assert!(ci["on"].get("workflow_call").is_some(), "release.yml calls ci.yml");
    let ci_runs: Vec<&str> =
        ci["jobs"]["test"]["steps"].as_array().unwrap().iter().filter_map(|s| s["run"].as_str()).collect();
    assert!(ci_runs.iter().any(|r| r.contains("bash .ci/run")), "ci.yml runs .ci/run: {ci_runs:?}");
}

/// `crane registry serve` on a free loopback port; killed on drop.
struct Registry {
    process: hookwright_testenv::Guarded,
    host: String,
}

fn registry(crane: &std::path::Path) -> Registry {
    let log =
        PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("registry-{}.log", uuid::Uuid::new_v4().simple()));
    let mut cmd = Command::new(crane);
    cmd.args(["registry", "serve", "--address", "127.0.0.1:0"]);
    let process = hookwright_testenv::spawn_logged("crane registry", cmd, &log).expect("crane registry serve");
    // It logs the port it listens on; poll the log with a deadline.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let port = loop {
        if let Some(p) = std::fs::read(&log).ok().and_then(|b| {
            b.lines().map_while(Result::ok).find_map(|l| l.split("serving on port ").nth(1).map(str::to_string))
        }) {
            break p.trim().to_string();
        }
        process.check_running().expect("crane registry running");
        assert!(std::time::Instant::now() < deadline, "crane registry did not report its port within 30 s");
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    Registry { process, host: format!("127.0.0.1:{port}") }
}

#[test]
fn chart_packages_and_both_push_to_an_oci_registry_on_loopback() {
    let tools = go_tools();
    let crane = tools.join("crane");
    let reg = registry(&crane);
    let version = cargo_package().version;

    // The image: pushed as the release pushes it, same digest, valid by go-containerregistry.
    let image_ref = format!("{}/hookwright/hookwright:{version}", reg.host);
    let pushed =
        run(Command::new(&crane).args(["push", "--insecure", "target/image/oci", &image_ref]).current_dir(repo()));
    let digest = image_digest();
    assert_eq!(pushed.trim(), format!("{}/hookwright/hookwright@{digest}", reg.host));
    let validated = run(Command::new(&crane).args(["validate", "--insecure", "--remote", &image_ref]));
    assert!(validated.starts_with("PASS"), "{validated}");
    let local: Value = serde_json::from_slice(&std::fs::read(repo().join("target/image/image.json")).unwrap()).unwrap();
    for arch in ["amd64", "arm64"] {
        let platform = format!("linux/{arch}");
        let remote_digest =
            run(Command::new(&crane).args(["digest", "--insecure", "--platform", &platform, &image_ref]));
        assert_eq!(remote_digest.trim(), local["platforms"][&platform]["manifest"], "{platform} manifest");
        let config: Value = serde_json::from_str(&run(Command::new(&crane).args([
            "config",
            "--insecure",
            "--platform",
            &platform,
            &image_ref,
        ])))
        .unwrap();
        assert_eq!(config["architecture"], arch);
        assert_eq!(config["config"]["User"], "65532:65532");
    }
    // The amd64 file system as a registry client exports it: the two files.
    let export = Command::new(&crane)
        .args(["export", "--insecure", "--platform", "linux/amd64", &image_ref, "-"])
        .stdout(Stdio::piped())
        .output()
        .unwrap();
    assert!(export.status.success());
    let tar_list = {
        let mut child = Command::new("tar").arg("-t").stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let data = export.stdout;
        let writer = std::thread::spawn(move || std::io::Write::write_all(&mut stdin, &data));
        let out = child.wait_with_output().unwrap();
        writer.join().unwrap().unwrap();
        String::from_utf8(out.stdout).unwrap()
    };
    let mut files: Vec<&str> = tar_list.lines().filter(|l| !l.ends_with('/')).collect();
    files.retain(|f| !["etc", "etc/ssl", "etc/ssl/certs"].contains(f));
    files.sort();
    assert_eq!(files, ["etc/ssl/certs/ca-certificates.crt", "hookwright"]);

    // The chart: `helm package` (make chart-package), then pushed and read back.
    let out = tempfile::tempdir().unwrap();
    let packaged = run(Command::new(helm()).arg("package").arg(chart_dir()).arg("-d").arg(out.path()));
    let tgz = out.path().join(format!("hookwright-{version}.tgz"));
    assert!(tgz.is_file(), "helm package wrote no {}: {packaged}", tgz.display());
    let listing = run(Command::new("tar").arg("-tzf").arg(&tgz));
    for want in ["hookwright/Chart.yaml", "hookwright/values.schema.json", "hookwright/crds/webhook.yaml"] {
        assert!(listing.lines().any(|l| l == want), "{want} not in the package:\n{listing}");
    }
    let helm_env = |cmd: &mut Command| {
        // Helm's registry login file and caches in the temporary folder, not the user's.
        cmd.env("HELM_REGISTRY_CONFIG", out.path().join("registry.json"))
            .env("HELM_CACHE_HOME", out.path().join("cache"))
            .env("HELM_CONFIG_HOME", out.path().join("config"));
    };
    let mut push = Command::new(helm());
    push.arg("push").arg(&tgz).arg(format!("oci://{}/charts", reg.host)).arg("--plain-http");
    helm_env(&mut push);
    let pushed = super::support::output(&mut push);
    let text = format!("{}{}", String::from_utf8_lossy(&pushed.stdout), String::from_utf8_lossy(&pushed.stderr));
    assert!(pushed.status.success(), "helm push: {text}");
    assert!(text.contains("Digest: sha256:"), "helm push names the digest the release signs: {text}");
    let mut show = Command::new(helm());
    show.args([
        "show",
        "chart",
        &format!("oci://{}/charts/hookwright", reg.host),
        "--version",
        &version,
        "--plain-http",
    ]);
    helm_env(&mut show);
    let shown = parse_docs(&run(&mut show)).remove(0);
    assert_eq!((shown["name"].clone(), shown["appVersion"].clone()), (Value::from("hookwright"), Value::from(version)));
    drop(reg.process);
}
