//! The shape issue 13 asks for, kept by a test: the reconcile story in `src/controller/` is told
//! once for every provider (no provider's name or vocabulary in it) and its files form no
//! import cycle (each `use super::x` / `crate::controller::x` is an edge).
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

fn controller_files() -> BTreeMap<String, String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/controller");
    std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "rs"))
        .map(|p| (p.file_stem().unwrap().to_string_lossy().into_owned(), std::fs::read_to_string(&p).unwrap()))
        .collect()
}

#[test]
fn the_controller_names_no_provider() {
    let word = regex::Regex::new(r"(?i)mendix|app_?id|socotra").unwrap();
    let hits: Vec<String> = controller_files()
        .iter()
        .flat_map(|(file, text)| {
            text.lines()
                .enumerate()
                .filter(|(_, l)| word.is_match(l))
                .map(move |(i, l)| format!("src/controller/{file}.rs:{}: {}", i + 1, l.trim()))
        })
        .collect();
    assert!(hits.is_empty(), "provider specifics belong in src/providers/: {hits:#?}");
}

#[test]
fn controller_files_form_no_import_cycle() {
    let files = controller_files();
    let edge = regex::Regex::new(r"(?:super|crate::controller)::(?:\{([^}]*)\}|([a-z_]+))").unwrap();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (file, text) in &files {
        if file == "mod" {
            continue;
        }
        // Only the code before the unit tests: a test module may use anything.
        let code = text.split("#[cfg(test)]").next().unwrap();
        let mut deps = BTreeSet::new();
        for c in edge.captures_iter(code) {
            let names = c.get(1).or(c.get(2)).unwrap().as_str();
            for n in names.split(',').map(|n| n.trim().split("::").next().unwrap().trim()) {
                if files.contains_key(n) && n != file && n != "mod" {
                    deps.insert(n.to_string());
                }
            }
        }
        graph.insert(file.clone(), deps);
    }
    // Depth-first search for a back edge.
    fn visit(
        n: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        match state.get(n) {
            Some(1) => {
                let start = path.iter().position(|p| p == n).unwrap();
                let mut cycle = path[start..].to_vec();
                cycle.push(n.to_string());
                return Some(cycle);
            }
            Some(2) => return None,
            _ => {}
        }
        state.insert(n.to_string(), 1);
        path.push(n.to_string());
        for d in graph.get(n).into_iter().flatten() {
            if let Some(c) = visit(d, graph, state, path) {
                return Some(c);
            }
        }
        path.pop();
        state.insert(n.to_string(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for n in graph.keys() {
        if let Some(cycle) = visit(n, &graph, &mut state, &mut Vec::new()) {
            panic!("import cycle in src/controller: {}", cycle.join(" -> "));
        }
    }
    assert!(graph.len() > 5, "parsed {} files", graph.len());
}
