//! The layers of `src/` (README, "Source layout"): every `crate::` path in
//! the code of a module points to its own layer or one below, and no two
//! modules use each other, directly or around a circle. Comments are not
//! code: a doc link may point anywhere.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

/// The layers, lowest first: a top-level file or folder of `src/`.
const LAYERS: &[&str] = &[
    "testing", "cancel", "text", "exit", "fs", "bytecode", "settings", "error", "python", "run",
    "front",
];

/// Every `.rs` file below `dir`, as its module path (`run/engine`).
fn modules(dir: &Path, prefix: &str, out: &mut BTreeMap<String, String>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        if path.is_dir() {
            modules(&path, &format!("{prefix}{name}/"), out);
        } else if let Some(stem) = name.strip_suffix(".rs") {
            let module = match stem {
                "mod" => prefix.trim_end_matches('/').to_string(),
                stem => format!("{prefix}{stem}"),
            };
            out.insert(module, code_of(&fs::read_to_string(&path).unwrap()));
        }
    }
}

/// The text without comments (line comments, doc comments).
fn code_of(text: &str) -> String {
    text.lines()
        .map(|line| match line.find("//") {
            // A `//` inside a string literal is rare in this code; the
            // quotes before it tell.
            Some(at) if line[..at].matches('"').count() % 2 == 0 => &line[..at],
            _ => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The module a `crate::a::b::c` path names: the longest prefix that is a
/// module.
fn target(path: &[&str], known: &BTreeMap<String, String>) -> Option<String> {
    (1..=path.len())
        .rev()
        .map(|n| path[..n].join("/"))
        .find(|m| known.contains_key(m))
}

fn layer(module: &str) -> usize {
    let top = module.split('/').next().unwrap();
    LAYERS
        .iter()
        .position(|l| *l == top)
        .unwrap_or_else(|| panic!("src/{module}: in no layer; add it to LAYERS and README"))
}

/// Each module (but lib.rs and the programs) and the modules it uses.
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut known = BTreeMap::new();
    modules(&src, "", &mut known);
    known.retain(|m, _| m != "lib" && !m.starts_with("bin/"));
    // Names lib.rs re-exports at the crate root, by the module they are from.
    let lib = code_of(&fs::read_to_string(src.join("lib.rs")).unwrap());
    let mut reexports = BTreeMap::new();
    for item in lib.split(';') {
        let Some(rest) = item.trim().strip_prefix("pub use crate::") else {
            continue;
        };
        let (module, names) = rest
            .split_once("::{")
            .unwrap_or_else(|| rest.rsplit_once("::").unwrap());
        for name in names.trim_end_matches('}').split(',') {
            reexports.insert(name.trim().to_string(), module.replace("::", "/"));
        }
    }
    let mut graph = BTreeMap::new();
    for (module, code) in &known {
        let mut uses = BTreeSet::new();
        for (at, _) in code.match_indices("crate::") {
            let rest = &code[at + "crate::".len()..];
            let end = rest
                .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                .unwrap_or(rest.len());
            let path: Vec<&str> = rest[..end].split("::").filter(|p| !p.is_empty()).collect();
            let used = match path.first() {
                Some(first) if first.starts_with(char::is_uppercase) => {
                    reexports.get(*first).cloned()
                }
                Some(_) => target(&path, &known),
                None => None,
            };
            let used = used.unwrap_or_else(|| {
                panic!("src/{module}.rs: crate::{} names no module", &rest[..end])
            });
            if used != *module && !module.starts_with(&format!("{used}/")) {
                uses.insert(used);
            }
        }
        graph.insert(module.clone(), uses);
    }
    graph
}

#[test]
fn every_use_points_to_its_own_layer_or_below() {
    let graph = graph();
    assert!(graph.len() > 25, "{:?}", graph.keys());
    let mut upward = Vec::new();
    for (module, uses) in &graph {
        for used in uses {
            if layer(used) > layer(module) {
                upward.push(format!("src/{module} uses src/{used}, a layer above it"));
            }
        }
    }
    assert!(upward.is_empty(), "{}", upward.join("\n"));
}

#[test]
fn no_two_modules_use_each_other() {
    let graph = graph();
    // Depth first; a module met again on the current path closes a circle.
    fn visit(
        module: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
        circles: &mut Vec<String>,
    ) {
        if let Some(at) = path.iter().position(|m| m == module) {
            circles.push(format!("{} -> {module}", path[at..].join(" -> ")));
            return;
        }
        if !done.insert(module.to_string()) {
            return;
        }
        path.push(module.to_string());
        for used in graph.get(module).into_iter().flatten() {
            visit(used, graph, path, done, circles);
        }
        path.pop();
    }
    let (mut done, mut circles) = (BTreeSet::new(), Vec::new());
    for module in graph.keys() {
        visit(module, &graph, &mut Vec::new(), &mut done, &mut circles);
    }
    assert!(
        circles.is_empty(),
        "import circles:\n{}",
        circles.join("\n")
    );
}

#[test]
fn readme_maps_every_module() {
    let readme =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let layout = &readme[readme.find("## Source layout").unwrap()..];
    let layout = &layout[..layout.find("\n## ").unwrap()];
    // A folder's mod.rs only lists its files; every other module has a line.
    let missing: Vec<String> = (graph().into_keys())
        .filter(|m| m.contains('/') || m == "testing" || m == "cancel" || m == "error")
        .filter(|m| !layout.contains(&format!("`src/{m}.rs`")))
        .collect();
    assert!(
        missing.is_empty(),
        "README's Source layout has no line for: {missing:?}"
    );
}
