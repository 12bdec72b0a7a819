//! Issue 5: `crds/` holds exactly what `hookwright crd` prints, one file per CRD; `docs/api.md`
//! holds exactly what `hookwright crd --reference` prints.
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;

const HINT: &str = "crds/ is out of date with the Rust types in src/crd/: run `make crds` and commit the result";
const API_DOCS_HINT: &str = "docs/api.md is out of date: run `make api-docs`";

fn crds_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("crds")
}

/// The YAML files in crds/, by file name.
fn files_in_crds_dir() -> BTreeMap<String, String> {
    let mut files = BTreeMap::new();
    for entry in std::fs::read_dir(crds_dir()).unwrap_or_else(|e| panic!("reading crds/: {e}; {HINT}")) {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            files.insert(name, std::fs::read_to_string(&path).unwrap());
        }
    }
    files
}

/// Lines that carry content (no `---` separators, no blank lines), sorted: a multiset.
fn content_lines(text: &str) -> Vec<&str> {
    let mut lines: Vec<&str> = text.lines().filter(|l| *l != "---" && !l.trim().is_empty()).collect();
    lines.sort_unstable();
    lines
}

#[test]
fn each_crd_file_equals_its_generated_document() {
    let generated = hookwright::crd::all_crds_yaml();
    let mut expected = BTreeMap::new();
    for doc in generated.split("---\n") {
        let crd: CustomResourceDefinition = serde_yaml_ng::from_str(doc).expect("generated YAML parses");
        expected.insert(format!("{}.yaml", crd.spec.names.singular.expect("singular name is set")), doc.to_string());
    }
    let actual = files_in_crds_dir();
    assert_eq!(
        actual.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>(),
        "file names in crds/ differ from the generated CRDs; {HINT}"
    );
    for (name, want) in &expected {
        assert!(actual[name] == *want, "crds/{name} differs from the generated CRD; {HINT}");
    }
}

#[test]
fn crd_files_together_equal_the_binary_output() {
    let out =
        std::process::Command::new(env!("CARGO_BIN_EXE_hookwright")).arg("crd").output().expect("run hookwright crd");
    assert!(out.status.success(), "hookwright crd failed: {}", String::from_utf8_lossy(&out.stderr));
    let printed = String::from_utf8(out.stdout).expect("utf-8 output");
    let files = files_in_crds_dir().into_values().collect::<Vec<_>>().join("\n");
    assert!(content_lines(&files) == content_lines(&printed), "crds/*.yaml differ from `hookwright crd`; {HINT}");
}

/// The first line where `actual` and `expected` differ (1-based), both versions shown.
fn first_difference(actual: &str, expected: &str) -> String {
    let (mut a, mut e) = (actual.lines(), expected.lines());
    for n in 1.. {
        match (a.next(), e.next()) {
            (Some(x), Some(y)) if x == y => {}
            (None, None) => break,
            (x, y) => return format!("line {n}: docs/api.md has {x:?}, generated is {y:?}"),
        }
    }
    "line endings or final newline differ".to_string()
}

#[test]
fn api_reference_is_up_to_date() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/api.md");
    let actual = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading docs/api.md: {e}; {API_DOCS_HINT}"));
    let expected = hookwright::crd::api_reference_markdown();
    assert!(actual == expected, "{API_DOCS_HINT} (first difference: {})", first_difference(&actual, &expected));
}

#[test]
fn binary_prints_the_api_reference() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_hookwright"))
        .args(["crd", "--reference"])
        .output()
        .expect("run hookwright crd --reference");
    assert!(out.status.success(), "hookwright crd --reference failed: {}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8(out.stdout).expect("utf-8 output") == hookwright::crd::api_reference_markdown());
}
