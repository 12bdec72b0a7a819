//! Issue 5: `crds/` holds exactly what `hookwright crd` prints, one file per CRD.
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;

const HINT: &str = "crds/ is out of date with the Rust types in src/crd/: run `make crds` and commit the result";

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
