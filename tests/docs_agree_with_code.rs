//! The docs name the operator's annotations and finalizer as the code spells them: every
//! `hookwright.dev/<name>` in README, CONTRIBUTING, CHANGELOG, docs/, the chart, examples/ and
//! gitops/ is one the code uses (issue 12, hole 9: the chart README named a finalizer that does
//! not exist).
use std::path::{Path, PathBuf};

use hookwright::crd::{
    CREATE_INTENT_ANNOTATION, EXTERNAL_ID_ANNOTATION, FINALIZER, RECONCILE_REQUESTED_ANNOTATION,
    TEST_DELIVERY_ANNOTATION,
};

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files(&path, out);
        } else if path.extension().is_some_and(|e| ["md", "yaml", "yml", "lua", "tpl", "txt"].iter().any(|x| e == *x)) {
            out.push(path);
        }
    }
}

#[test]
fn every_hookwright_dev_name_in_the_docs_exists_in_the_code() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut paths: Vec<PathBuf> =
        ["README.md", "CONTRIBUTING.md", "CHANGELOG.md"].iter().map(|f| root.join(f)).collect();
    for dir in ["docs", "charts/hookwright", "examples", "gitops"] {
        files(&root.join(dir), &mut paths);
    }
    let known = [
        EXTERNAL_ID_ANNOTATION,
        CREATE_INTENT_ANNOTATION,
        RECONCILE_REQUESTED_ANNOTATION,
        TEST_DELIVERY_ANNOTATION,
        FINALIZER,
    ];
    let mut unknown = Vec::new();
    for path in &paths {
        let text = std::fs::read_to_string(path).unwrap();
        for (i, _) in text.match_indices("hookwright.dev/") {
            let name: String = text[i..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || "./-_".contains(*c))
                .collect::<String>()
                .trim_end_matches(['.', '-', '_'])
                .to_string();
            // The API group itself (`hookwright.dev/v1alpha1`, or the bare prefix in CEL).
            if !known.contains(&name.as_str())
                && !["hookwright.dev/v1alpha1", "hookwright.dev/"].contains(&name.as_str())
            {
                unknown.push(format!("{}: {name}", path.strip_prefix(root).unwrap().display()));
            }
        }
    }
    assert!(paths.len() > 20, "scanned only {} files", paths.len());
    assert!(
        unknown.is_empty(),
        "names the code does not use (annotations and finalizer are in src/crd/mod.rs): {unknown:#?}"
    );
}

/// The `--flags` of `hookwright <command> --help`.
fn flags_of(command: &str) -> Vec<String> {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_hookwright")).args([command, "--help"]).output().unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    let mut flags: Vec<String> = help
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix("--"))
        .map(|rest| format!("--{}", rest.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-')).next().unwrap()))
        .filter(|f| f != "--help")
        .collect();
    flags.sort();
    flags.dedup();
    flags
}

/// The flags named in the first column of a markdown table in `doc`.
fn flags_in_table(doc: &str) -> Vec<String> {
    let mut flags: Vec<String> = doc
        .lines()
        .filter_map(|l| l.strip_prefix("| `--"))
        .map(|rest| format!("--{}", rest.split('`').next().unwrap()))
        .collect();
    flags.sort();
    flags
}

#[test]
fn the_receive_flag_table_lists_every_flag_and_only_those() {
    let doc = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/verify.md")).unwrap();
    let receive = doc.split("## Proxy: `hookwright receive`").nth(1).expect("the receive section");
    let documented = flags_in_table(receive.split("\n## ").next().unwrap());
    assert_eq!(documented, flags_of("receive"), "docs/verify.md's flag table vs `hookwright receive --help`");
}
