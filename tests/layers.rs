//! The layers of `src/` (docs/source-layout.md): every path from one
//! module of the library to another (`crate::`, `super::`, `self::`,
//! `$crate::`, in a `use` of any shape, grouped `use crate::{a::b, c::{d,
//! e}}` included, or written inline in code) points to its own layer or one
//! below, and no two modules use each other, directly or around a circle.
//! The programs (`src/bin/*.rs`) are the top layer: they use the library as
//! `pycache::...`, through its public API only, and never take in its files.
//! Comments and string literals are not code: a doc link may point anywhere.
//!
//! The paths are read from the tokens of each file (below), not from its
//! lines, so that a block comment, a string, a grouped import or a path
//! broken over lines counts as what it is. The checker is tested on
//! made-up files of each shape too (`the_checker_catches_*`), so that a
//! checker that reads nothing cannot pass.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

/// The layers, lowest first: a top-level file or folder of `src/`. This is
/// the one statement of their order: the table of docs/source-layout.md
/// must list them in it (`layout_doc_states_the_layer_order`), and `src/lib.rs`
/// declares the same modules (in rustfmt's order).
const LAYERS: &[&str] = &[
    "testing", "cancel", "text", "exit", "fs", "bytecode", "settings", "error", "python", "run",
    "front",
];

// ---------------------------------------------------------------------------
// Rust source as tokens: identifiers, `::` and single punctuation; comments
// (line, doc, nested block), string, byte, raw and C string literals,
// character literals, lifetimes and numbers are dropped.

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    PathSep,
    Punct(char),
}

fn tokens(text: &str) -> Vec<Tok> {
    let s: Vec<char> = text.chars().collect();
    let at = |i: usize| s.get(i).copied().unwrap_or('\0');
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    let mut out = Vec::new();
    let mut i = 0;
    // The index just after a quoted literal whose opening quote is at `i`.
    let skip_string = |mut i: usize| {
        i += 1;
        while i < s.len() && s[i] != '"' {
            i += if s[i] == '\\' { 2 } else { 1 };
        }
        i + 1
    };
    while i < s.len() {
        let c = s[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '/' && at(i + 1) == '/' {
            while i < s.len() && s[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && at(i + 1) == '*' {
            let mut depth = 0;
            while i < s.len() {
                if s[i] == '/' && at(i + 1) == '*' {
                    depth += 1;
                    i += 2;
                } else if s[i] == '*' && at(i + 1) == '/' {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else if c == '"' {
            i = skip_string(i);
        } else if c == '\'' {
            if at(i + 1) == '\\' {
                // '\n', '\'', '\u{1F600}'
                i += 3;
                while i < s.len() && s[i] != '\'' {
                    i += 1;
                }
                i += 1;
            } else if at(i + 2) == '\'' {
                i += 3; // 'x'
            } else {
                i += 1; // a lifetime or a label: its name follows
                while is_ident(at(i)) {
                    i += 1;
                }
            }
        } else if c.is_ascii_digit() {
            while is_ident(at(i)) {
                i += 1;
            }
        } else if is_ident(c) {
            let start = i;
            while is_ident(at(i)) {
                i += 1;
            }
            let word: String = s[start..i].iter().collect();
            let raw_prefix = matches!(word.as_str(), "r" | "br" | "cr");
            if raw_prefix && (at(i) == '#' || at(i) == '"') {
                let mut hashes = 0;
                while at(i + hashes) == '#' {
                    hashes += 1;
                }
                if at(i + hashes) == '"' {
                    // r#"..."#: ends at a quote followed by as many #.
                    i += hashes + 1;
                    while i < s.len() && !(s[i] == '"' && (1..=hashes).all(|k| at(i + k) == '#')) {
                        i += 1;
                    }
                    i += 1 + hashes;
                    continue;
                }
                if word == "r" && hashes == 1 && is_ident(at(i + 1)) {
                    // r#ident, a raw identifier.
                    let start = i + 1;
                    i = start;
                    while is_ident(at(i)) {
                        i += 1;
                    }
                    out.push(Tok::Ident(s[start..i].iter().collect()));
                    continue;
                }
            }
            if matches!(word.as_str(), "b" | "c") && at(i) == '"' {
                i = skip_string(i);
            } else if word == "b" && at(i) == '\'' {
                i += if at(i + 1) == '\\' { 4 } else { 3 };
                while i < s.len() && s[i - 1] != '\'' {
                    i += 1;
                }
            } else {
                out.push(Tok::Ident(word));
            }
        } else if c == ':' && at(i + 1) == ':' {
            out.push(Tok::PathSep);
            i += 2;
        } else {
            out.push(Tok::Punct(c));
            i += 1;
        }
    }
    out
}

// ---------------------------------------------------------------------------
// The paths a file names.

/// A path a file names from its own crate (`crate::`, `self::`, `super::`,
/// `$crate::`: absolute, from the crate root, `self` and `super` resolved)
/// or from another (`pycache::...`, `std::...`: as written).
#[derive(Debug, Clone, PartialEq)]
enum Named {
    Crate(Vec<String>),
    Extern(Vec<String>),
}

/// Every path `text`, the file of `module` (its path from the crate root,
/// `["run", "engine"]`), names in its `use` declarations, whatever their
/// shape, and in its code, inline. A path that starts with another name
/// than `crate`, `self`, `super` or `pycache` in code is a local name or
/// another crate's; only a `use` of it is kept (as `Extern`).
fn named(text: &str, module: &[String]) -> Vec<Named> {
    let toks = tokens(text);
    let ident = |i: usize| match toks.get(i) {
        Some(Tok::Ident(w)) => Some(w.as_str()),
        _ => None,
    };
    let is = |i: usize, t: Tok| toks.get(i) == Some(&t);
    let mut out = Vec::new();
    // Inline modules (`mod tests { ... }`), with the brace depth inside them:
    // `super` in one is the module around it.
    let mut scopes: Vec<(Vec<String>, usize)> = vec![(module.to_vec(), 0)];
    let mut depth = 0;
    let mut opening_mod: Option<String> = None;
    let mut i = 0;
    while i < toks.len() {
        let scope = scopes.last().unwrap().0.clone();
        match &toks[i] {
            Tok::Punct('{') => {
                depth += 1;
                if let Some(name) = opening_mod.take() {
                    let mut inner = scope.clone();
                    inner.push(name);
                    scopes.push((inner, depth));
                }
                i += 1;
            }
            Tok::Punct('}') => {
                if scopes.len() > 1 && scopes.last().unwrap().1 == depth {
                    scopes.pop();
                }
                depth -= 1;
                i += 1;
            }
            Tok::Ident(w) if w == "mod" => {
                if let (Some(name), true) = (ident(i + 1), is(i + 2, Tok::Punct('{'))) {
                    opening_mod = Some(name.to_string());
                }
                i += 1;
            }
            Tok::Ident(w) if w == "use" => {
                let mut paths = Vec::new();
                i = use_tree(&toks, i + 1, Vec::new(), &mut paths);
                for path in paths {
                    out.push(resolved(path, &scope));
                }
            }
            Tok::Ident(w)
                if matches!(w.as_str(), "crate" | "self" | "super" | "pycache")
                    && is(i + 1, Tok::PathSep)
                    // `pub(in crate::run)` says who may see an item; it
                    // uses nothing.
                    && ident(i.wrapping_sub(1)) != Some("in")
                    && !is(i.wrapping_sub(1), Tok::PathSep) =>
            {
                let mut path = vec![w.clone()];
                i += 1;
                while is(i, Tok::PathSep) {
                    match ident(i + 1) {
                        Some(next) => path.push(next.to_string()),
                        None => break, // `::<T>`, `::{`
                    }
                    i += 2;
                }
                out.push(resolved(path, &scope));
            }
            _ => i += 1,
        }
    }
    out
}

/// Reads the use tree starting at `i` under `prefix` into `out`; returns
/// the index after it (after the `;` that ends a `use` declaration).
fn use_tree(toks: &[Tok], mut i: usize, prefix: Vec<String>, out: &mut Vec<Vec<String>>) -> usize {
    let mut path = prefix;
    loop {
        match toks.get(i) {
            Some(Tok::PathSep) | Some(Tok::Punct('$')) => i += 1,
            Some(Tok::Ident(w)) if w == "as" => i += 2,
            Some(Tok::Ident(w)) => {
                path.push(w.clone());
                i += 1;
            }
            Some(Tok::Punct('*')) => i += 1,
            Some(Tok::Punct('{')) => {
                i += 1;
                while toks.get(i).is_some_and(|t| *t != Tok::Punct('}')) {
                    i = use_tree(toks, i, path.clone(), out);
                    if toks.get(i) == Some(&Tok::Punct(',')) {
                        i += 1;
                    }
                }
                i += 1;
                if toks.get(i) == Some(&Tok::Punct(';')) {
                    i += 1;
                }
                return i;
            }
            Some(Tok::Punct(';')) => {
                out.push(path);
                return i + 1;
            }
            _ => {
                // `,` or `}` of the group around: its caller goes on.
                out.push(path);
                return i;
            }
        }
    }
}

/// `path` as seen from the module `scope`: absolute when it starts with
/// `crate`, `self` or `super`; `self` after the start (`{self, ..}`) is the
/// path before it.
fn resolved(path: Vec<String>, scope: &[String]) -> Named {
    let mut segments = path.into_iter().peekable();
    let mut base: Vec<String> = match segments.peek().map(String::as_str) {
        Some("crate") => {
            segments.next();
            Vec::new()
        }
        Some("self") => {
            segments.next();
            scope.to_vec()
        }
        Some("super") => {
            let mut base = scope.to_vec();
            while segments.next_if(|s| s == "super").is_some() {
                assert!(base.pop().is_some(), "super:: above the crate root");
            }
            base
        }
        _ => return Named::Extern(segments.filter(|s| s != "self").collect()),
    };
    base.extend(segments.filter(|s| s != "self"));
    Named::Crate(base)
}

// ---------------------------------------------------------------------------
// The library's modules and what each uses.

/// Every `.rs` file below `dir`, by its module path (`run/engine`), with
/// its text.
fn files(dir: &Path, prefix: &str, out: &mut BTreeMap<String, String>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        if path.is_dir() {
            files(&path, &format!("{prefix}{name}/"), out);
        } else if let Some(stem) = name.strip_suffix(".rs") {
            let module = match stem {
                "mod" => prefix.trim_end_matches('/').to_string(),
                stem => format!("{prefix}{stem}"),
            };
            out.insert(module, fs::read_to_string(&path).unwrap());
        }
    }
}

/// A library as the checker sees it: its modules' texts (`lib` is the
/// crate root) and the names the root re-exports, by the module each is
/// from.
struct Library {
    modules: BTreeMap<String, String>,
    reexports: BTreeMap<String, String>,
}

impl Library {
    fn of(modules: BTreeMap<String, String>) -> Library {
        let mut library = Library {
            modules,
            reexports: BTreeMap::new(),
        };
        let root = library.modules.get("lib").expect("no crate root").clone();
        let mut reexports = BTreeMap::new();
        for name in named(&root, &[]) {
            if let Named::Crate(path) = name {
                let module = library.module_of(&path, "lib");
                reexports.insert(path.last().unwrap().clone(), module);
            }
        }
        library.reexports = reexports;
        library
    }

    fn read() -> Library {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut modules = BTreeMap::new();
        files(&src, "", &mut modules);
        modules.retain(|m, _| !m.starts_with("bin/"));
        Library::of(modules)
    }

    /// The module `path` (absolute) names: the longest prefix of it that is
    /// a file, or, for a name at the crate root, the module it is
    /// re-exported from.
    fn module_of(&self, path: &[String], from: &str) -> String {
        let file = (1..=path.len())
            .rev()
            .map(|n| path[..n].join("/"))
            .find(|m| m != "lib" && self.modules.contains_key(m));
        file.or_else(|| path.first().and_then(|n| self.reexports.get(n).cloned()))
            .unwrap_or_else(|| {
                panic!(
                    "src/{from}.rs: crate::{} names no module of src/",
                    path.join("::")
                )
            })
    }

    /// Each module (but the crate root) and the modules it uses, its own
    /// ancestors left out (a child may use what its folder's mod.rs holds).
    fn graph(&self) -> BTreeMap<String, BTreeSet<String>> {
        let mut graph = BTreeMap::new();
        for (module, text) in &self.modules {
            if module == "lib" {
                continue;
            }
            let scope: Vec<String> = module.split('/').map(String::from).collect();
            let mut uses = BTreeSet::new();
            for name in named(text, &scope) {
                let Named::Crate(path) = name else { continue };
                let used = self.module_of(&path, module);
                if used != *module && !module.starts_with(&format!("{used}/")) {
                    uses.insert(used);
                }
            }
            graph.insert(module.clone(), uses);
        }
        graph
    }

    /// The modules a program outside the crate may name: those declared
    /// `pub mod` (not `pub(crate)`) all the way from the root.
    fn public_modules(&self) -> BTreeSet<String> {
        let mut public = BTreeSet::new();
        let mut todo = vec![("lib".to_string(), String::new())];
        while let Some((file, prefix)) = todo.pop() {
            let toks = tokens(&self.modules[&file]);
            for w in toks.windows(3) {
                if let [Tok::Ident(p), Tok::Ident(m), Tok::Ident(name)] = w
                    && p == "pub"
                    && m == "mod"
                {
                    let module = format!("{prefix}{name}");
                    if self.modules.contains_key(&module) {
                        public.insert(module.clone());
                        todo.push((module.clone(), format!("{module}/")));
                    }
                }
            }
        }
        public
    }
}

fn layer(module: &str) -> usize {
    let top = module.split('/').next().unwrap();
    LAYERS.iter().position(|l| *l == top).unwrap_or_else(|| {
        panic!("src/{module}: in no layer; add it to LAYERS and docs/source-layout.md")
    })
}

/// Each use of `graph` that points to a layer above the user's.
fn upward(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<String> {
    let mut found = Vec::new();
    for (module, uses) in graph {
        for used in uses {
            if layer(used) > layer(module) {
                found.push(format!("src/{module} uses src/{used}, a layer above it"));
            }
        }
    }
    found
}

/// Each circle of `graph`, as `a -> b -> a`.
fn circles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<String> {
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
        visit(module, graph, &mut Vec::new(), &mut done, &mut circles);
    }
    circles
}

/// What in a program's `text` is not the library's public API: a
/// `pycache::` path through a module that is not public, a module it
/// declares (a program has none: it would compile a file of `src/` into
/// itself), `#[path]` and `include!`.
fn private_uses(program: &str, text: &str, library: &Library) -> Vec<String> {
    let public = library.public_modules();
    let mut found = Vec::new();
    for name in named(text, &[]) {
        let Named::Extern(path) = name else { continue };
        if path.first().map(String::as_str) != Some("pycache") {
            continue;
        }
        let path = &path[1..];
        let shown = format!("pycache::{}", path.join("::"));
        let Some(first) = path.first() else { continue };
        if !library.modules.contains_key(first) {
            if !library.reexports.contains_key(first) {
                found.push(format!(
                    "{program}: {shown}: the crate root has no module or re-export {first}"
                ));
            }
            continue;
        }
        // Each module the path goes through must be public.
        let mut module = String::new();
        for segment in path {
            let next = if module.is_empty() {
                segment.clone()
            } else {
                format!("{module}/{segment}")
            };
            if !library.modules.contains_key(&next) {
                break;
            }
            if !public.contains(&next) {
                found.push(format!("{program}: {shown}: src/{next} is not public"));
                break;
            }
            module = next;
        }
    }
    let toks = tokens(text);
    for (i, t) in toks.iter().enumerate() {
        let next = toks.get(i + 1);
        match t {
            Tok::Ident(w) if w == "mod" && matches!(next, Some(Tok::Ident(_))) => {
                found.push(format!("{program}: declares a module"));
            }
            Tok::Ident(w) if w == "include" && next == Some(&Tok::Punct('!')) => {
                found.push(format!("{program}: include! of a file"));
            }
            Tok::Punct('[') if next == Some(&Tok::Ident("path".into())) => {
                found.push(format!("{program}: a #[path] attribute"));
            }
            _ => {}
        }
    }
    found
}

// ---------------------------------------------------------------------------
// The checks on src/.

#[test]
fn every_use_points_to_its_own_layer_or_below() {
    let graph = Library::read().graph();
    assert!(graph.len() > 25, "{:?}", graph.keys());
    let edges: usize = graph.values().map(BTreeSet::len).sum();
    assert!(edges > 60, "{edges} uses read: {graph:?}");
    let upward = upward(&graph);
    assert!(upward.is_empty(), "{}", upward.join("\n"));
}

#[test]
fn no_two_modules_use_each_other() {
    let circles = circles(&Library::read().graph());
    assert!(
        circles.is_empty(),
        "import circles:\n{}",
        circles.join("\n")
    );
}

#[test]
fn the_programs_use_only_the_public_api() {
    let library = Library::read();
    let bin = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/bin");
    let mut programs = 0;
    let mut found = Vec::new();
    for entry in fs::read_dir(&bin).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|x| x == "rs") {
            programs += 1;
            let name = format!("src/bin/{}", path.file_name().unwrap().to_string_lossy());
            let text = fs::read_to_string(&path).unwrap();
            let uses = named(&text, &[]);
            assert!(
                uses.iter()
                    .any(|n| matches!(n, Named::Extern(p) if p[0] == "pycache")),
                "{name}: no pycache:: path read"
            );
            found.extend(private_uses(&name, &text, &library));
        }
    }
    assert_eq!(programs, 2, "src/bin/ holds pycache.rs and gen-triggers.rs");
    assert!(found.is_empty(), "{}", found.join("\n"));
}

/// The table of docs/source-layout.md, the one map of `src/`.
fn layout_table() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/source-layout.md");
    let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let start = text
        .find("\n| layer |")
        .expect("docs/source-layout.md has no `| layer |` table");
    let table = &text[start + 1..];
    let end = table.find("\n\n").unwrap_or(table.len());
    table[..end].to_string()
}

/// The top-level modules of docs/source-layout.md's table, in the order
/// of its rows, are [`LAYERS`]; and they are the modules `src/lib.rs`
/// declares.
#[test]
fn layout_doc_states_the_layer_order() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let layout = layout_table();
    let mut order: Vec<&str> = Vec::new();
    for row in layout.lines().filter(|l| l.starts_with("| ")) {
        for (at, _) in row.match_indices("`src/") {
            let rest = &row[at + "`src/".len()..];
            let top = rest
                .split(['/', '`'])
                .next()
                .unwrap()
                .trim_end_matches(".rs");
            if top != "bin" && !order.contains(&top) {
                order.push(top);
            }
        }
    }
    assert_eq!(
        order, LAYERS,
        "docs/source-layout.md lists the layers in another order than tests/layers.rs's LAYERS"
    );
    let lib = fs::read_to_string(root.join("src/lib.rs")).unwrap();
    let toks = tokens(&lib);
    let mut declared: Vec<&str> = toks
        .windows(3)
        .filter_map(|w| match w {
            [Tok::Ident(m), Tok::Ident(name), Tok::Punct(';')] if m == "mod" => Some(name.as_str()),
            _ => None,
        })
        .collect();
    declared.sort();
    let mut layers = LAYERS.to_vec();
    layers.sort();
    assert_eq!(declared, layers, "src/lib.rs's modules against LAYERS");
}

#[test]
fn layout_doc_maps_every_module() {
    let layout = layout_table();
    // A folder's mod.rs only lists its files; every other module has a line.
    let missing: Vec<String> = (Library::read().graph().into_keys())
        .filter(|m| m.contains('/') || m == "testing" || m == "cancel" || m == "error")
        .filter(|m| !layout.contains(&format!("`src/{m}.rs`")))
        .collect();
    assert!(
        missing.is_empty(),
        "docs/source-layout.md's table has no line for: {missing:?}"
    );
}

// ---------------------------------------------------------------------------
// The checker on made-up files: each shape of an upward import is caught,
// and what is not code is not read.

/// A library of `files` (module path, text) beside a crate root that
/// declares `fs` and `run` and re-exports `run::report::Report`.
fn made_up(files: &[(&str, &str)]) -> Library {
    let mut modules: BTreeMap<String, String> = [
        (
            "lib",
            "pub mod run; mod fs;\npub use crate::run::report::{Report, Verdict};",
        ),
        ("fs", "pub(crate) mod dir; pub(crate) mod walk;"),
        ("fs/dir", ""),
        ("fs/walk", ""),
        ("run", "pub mod report; pub(crate) mod engine;"),
        ("run/report", ""),
        ("run/engine", ""),
    ]
    .into_iter()
    .map(|(m, t)| (m.to_string(), t.to_string()))
    .collect();
    for (module, text) in files {
        modules.insert(module.to_string(), text.to_string());
    }
    Library::of(modules)
}

#[test]
fn the_checker_catches_an_upward_import_of_each_shape() {
    let upward_from_fs_dir = |text: &str| upward(&made_up(&[("fs/dir", text)]).graph());
    let engine = vec!["src/fs/dir uses src/run/engine, a layer above it".to_string()];
    let both = vec![
        "src/fs/dir uses src/run/engine, a layer above it".to_string(),
        "src/fs/dir uses src/run/report, a layer above it".to_string(),
    ];
    for (shape, text, want) in [
        ("crate::", "use crate::run::engine::Engine;", &engine),
        (
            "crate:: inline",
            "fn f() { crate::run::engine::go(); }",
            &engine,
        ),
        (
            "crate:: over lines",
            "fn f() {\n    crate::run\n        ::engine::go();\n}",
            &engine,
        ),
        ("super::super::", "use super::super::run::engine;", &engine),
        (
            "super:: of a test module",
            "mod tests { use super::super::super::run::engine::go; }",
            &engine,
        ),
        (
            "grouped",
            "use crate::{fs::walk, run::{engine::{self, Engine}, report::Report}};",
            &both,
        ),
        ("grouped self", "use crate::run::{engine::{self}};", &engine),
        ("glob", "use crate::run::engine::*;", &engine),
        ("renamed", "use crate::run::engine as e;", &engine),
        (
            "re-exported name",
            "use crate::Verdict; use crate::run::engine;",
            &both,
        ),
        (
            "$crate in a macro",
            "macro_rules! m { () => { $crate::run::engine::go() } }",
            &engine,
        ),
    ] {
        assert_eq!(&upward_from_fs_dir(text), want, "{shape}: {text}");
    }
    // self:: cannot leave its module, so it never goes upward: it resolves
    // to the module's own children, and to a circle when they use it back.
    let library = made_up(&[
        ("fs", "mod dir; mod walk; use self::walk::Walk;"),
        ("fs/walk", "use super::dir::Dir;"),
        ("fs/dir", "pub(crate) fn f() { crate::fs::walk::go() }"),
    ]);
    let graph = library.graph();
    assert_eq!(graph["fs"], BTreeSet::from(["fs/walk".to_string()]));
    assert_eq!(circles(&graph), ["fs/walk -> fs/dir -> fs/walk"]);
}

#[test]
fn the_checker_reads_no_comment_and_no_string() {
    let quiet = [
        "/* use crate::run::engine; */",
        "/* outer /* nested */ crate::run::engine::go() */",
        "/// [`crate::run::engine`]\n//! crate::run::engine",
        r#"const S: &str = "use crate::run::engine;";"#,
        r##"const S: &str = r#"crate::run::engine "quoted" "#;"##,
        r#"const B: &[u8] = b"crate::run::engine";"#,
        r#"const Q: char = '"'; const S: &str = "crate::run::engine";"#,
        "fn f<'a>(x: &'a str) -> &'a str { x } const C: char = '\\'';",
        "pub(in crate::run) fn f() {}",
    ];
    for text in quiet {
        let graph = made_up(&[("fs/dir", text)]).graph();
        assert!(graph["fs/dir"].is_empty(), "{text}: {:?}", graph["fs/dir"]);
    }
    // What follows a string or a comment is read again.
    let graph = made_up(&[(
        "fs/dir",
        r#"/* a */ const S: &str = "\"x"; use crate::run::engine;"#,
    )])
    .graph();
    assert_eq!(graph["fs/dir"], BTreeSet::from(["run/engine".to_string()]));
}

#[test]
fn the_checker_catches_a_program_past_the_public_api() {
    let library = made_up(&[]);
    let check = |text: &str| private_uses("src/bin/p.rs", text, &library);
    assert_eq!(
        check(
            "use pycache::run::report::Report; use pycache::Verdict;\n\
             fn f() { pycache::run::report::go() }"
        ),
        Vec::<String>::new()
    );
    assert_eq!(
        check("use pycache::run::engine::Engine;"),
        ["src/bin/p.rs: pycache::run::engine::Engine: src/run/engine is not public"]
    );
    assert_eq!(
        check("fn f() { pycache::fs::dir::go() }"),
        ["src/bin/p.rs: pycache::fs::dir::go: src/fs is not public"]
    );
    assert_eq!(
        check("use pycache::{Verdict, run::{report, engine::Engine}};"),
        ["src/bin/p.rs: pycache::run::engine::Engine: src/run/engine is not public"]
    );
    assert_eq!(
        check("#[path = \"../run/engine.rs\"]\nmod engine;"),
        [
            "src/bin/p.rs: a #[path] attribute",
            "src/bin/p.rs: declares a module"
        ]
    );
    assert_eq!(
        check("include!(\"../run/engine.rs\");"),
        ["src/bin/p.rs: include! of a file"]
    );
}
