//! The container image without a container engine: the static musl binary that `make static`
//! builds (the Dockerfile's build stage, cheaper profile) runs alone in an empty root as the
//! image's non-root user, and the Dockerfile, .dockerignore and chart agree on how.
use std::process::Command;

use super::support::{chart_dir, output, parse_docs, repo};

const STATIC_BIN: &str = "target/x86_64-unknown-linux-musl/static/hookwright";

#[test]
fn static_binary_runs_in_an_empty_root_as_uid_65532() {
    let bin = repo().join(STATIC_BIN);
    assert!(bin.is_file(), "{STATIC_BIN} missing: run `make static` (make test does, before cargo test)");
    let elf = output(Command::new("readelf").arg("-lW").arg(&bin));
    assert!(elf.status.success());
    assert!(
        !String::from_utf8_lossy(&elf.stdout).contains("program interpreter"),
        "{STATIC_BIN} is dynamically linked"
    );
    // An empty root holding only the binary, like distroless/static minus its CA bundle.
    let root = tempfile::tempdir().unwrap();
    std::fs::copy(&bin, root.path().join("hookwright")).unwrap();
    let out = output(
        Command::new("chroot")
            .arg("--userspec=65532:65532")
            .arg(root.path())
            .args(["/hookwright", "crd"])
            .env_clear()
            .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"),
    );
    assert!(out.status.success(), "chroot run failed (needs root): {}", String::from_utf8_lossy(&out.stderr));
    let docs = parse_docs(&String::from_utf8(out.stdout).unwrap());
    let mut names: Vec<&str> = docs.iter().map(|d| d["metadata"]["name"].as_str().unwrap()).collect();
    names.sort();
    assert_eq!(
        names,
        ["clusterwebhookproviders.hookwright.dev", "webhookproviders.hookwright.dev", "webhooks.hookwright.dev"]
    );
}

#[test]
fn dockerfile_dockerignore_and_chart_agree() {
    let dockerfile = std::fs::read_to_string(repo().join("Dockerfile")).unwrap();
    let froms: Vec<&str> = dockerfile.lines().filter(|l| l.starts_with("FROM ")).collect();
    assert_eq!(froms.len(), 2, "multi-stage: build and runtime");
    assert!(froms[0].ends_with(" AS build"), "{}", froms[0]);
    assert!(froms[1].starts_with("FROM gcr.io/distroless/static"), "{}", froms[1]);
    for want in [
        "musl-tools",
        "rustup target add \"$TARGET\"",
        "cargo build --locked --release --target \"$TARGET\" --bin hookwright",
        "ARG TARGET=x86_64-unknown-linux-musl",
        "COPY --from=build /hookwright /hookwright",
        "USER 65532:65532",
        "ENTRYPOINT [\"/hookwright\"]",
    ] {
        assert!(dockerfile.contains(want), "Dockerfile lacks {want:?}");
    }
    // The Makefile's `static` target builds the same binary for the same target.
    let makefile = std::fs::read_to_string(repo().join("Makefile")).unwrap();
    assert!(makefile.contains("--profile static --target $(MUSL_TARGET) --bin hookwright"));
    assert!(makefile.contains("MUSL_TARGET := x86_64-unknown-linux-musl"));
    // The build context holds every file the manifest names: .dockerignore may leave out only
    // build output and VCS data (a [[bench]] whose file is missing makes cargo refuse to build).
    let ignore = std::fs::read_to_string(repo().join(".dockerignore")).unwrap();
    let patterns: Vec<&str> = ignore.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).collect();
    for p in &patterns {
        assert!(
            [".git/", "target/", "crates/*/target/", "**/*.log", ".venv/"].contains(p),
            ".dockerignore pattern {p:?} may hide a file cargo needs"
        );
    }
    let manifest = std::fs::read_to_string(repo().join("Cargo.toml")).unwrap();
    for (section, dir) in [("[[bench]]", "benches"), ("[[test]]", "tests"), ("[[example]]", "examples")] {
        if manifest.contains(section) {
            assert!(repo().join(dir).is_dir(), "{section} in Cargo.toml but no {dir}/");
        }
    }
    // The chart runs the image as the user the image declares.
    let values = parse_docs(&std::fs::read_to_string(chart_dir().join("values.yaml")).unwrap());
    assert_eq!(values[0]["podSecurityContext"]["runAsUser"], 65532);
    assert_eq!(values[0]["podSecurityContext"]["runAsNonRoot"], true);
}
