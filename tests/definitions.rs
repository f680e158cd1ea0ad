//! The one definition of the options (src/settings/defs.rs) and of the report
//! (its struct) against every copy a reader or another front sees:
//! lua/pycache.lua's option table, README's option table and Lua option
//! list, and README's JSON and Lua field lists and the JSON schema in the
//! report module's doc. A drift fails here; `PYCACHE_BLESS=1 cargo test
//! --test definitions` rewrites the generated blocks.

use std::path::{Path, PathBuf};

use pycache::front::docs;
use pycache::front::failure_line;
use pycache::settings::defs::OPTIONS;
use pycache::{Engine, Flavor, Target};

fn read(path: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Checks (or, blessing, rewrites) the text between the line holding
/// `begin` and the line holding `end` in `file`.
fn generated_block(file: &str, begin: &str, end: &str, want: &str) {
    let text = read(file);
    let start = text
        .find(begin)
        .unwrap_or_else(|| panic!("{file}: no line with {begin:?}"));
    let body = start + text[start..].find('\n').expect("a line") + 1;
    let stop = body
        + text[body..]
            .find(end)
            .unwrap_or_else(|| panic!("{file}: no line with {end:?}"));
    let stop = text[..stop].rfind('\n').map_or(stop, |n| n + 1);
    let got = &text[body..stop];
    let want = format!("{}\n", want.trim_end());
    if got == want {
        return;
    }
    if std::env::var_os("PYCACHE_BLESS").is_some() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
        std::fs::write(path, format!("{}{want}{}", &text[..body], &text[stop..])).unwrap();
        return;
    }
    panic!(
        "{file}: the block after {begin:?} drifted from the engine's definitions; run \
         PYCACHE_BLESS=1 cargo test --test definitions, or paste:\n{want}"
    );
}

#[test]
fn pycache_lua_starts_failure_lines_as_the_engine_does() {
    generated_block(
        "lua/pycache.lua",
        "-- BEGIN failure",
        "-- END failure",
        &failure_line::lua_table(),
    );
}

#[test]
fn pycache_lua_escapes_its_lines_as_the_engine_does() {
    generated_block(
        "lua/pycache.lua",
        "-- BEGIN escaped",
        "-- END escaped",
        &pycache::text::lua_table(),
    );
}

#[test]
fn pycache_lua_leaves_options_to_the_engine() {
    // It passes the engine's options on as they are: no key of the engine
    // and none of its messages is written in it.
    let lua = read("lua/pycache.lua");
    for def in OPTIONS {
        for text in [format!("{:?}", def.key), def.expected.to_string()] {
            assert!(
                !lua.contains(&text),
                "lua/pycache.lua names {text}: the engine's options are the engine's to read"
            );
        }
    }
}

#[test]
fn readme_lists_every_option_as_defined() {
    let readme = read("README.md");
    for row in docs::readme_rows() {
        assert!(
            readme.lines().any(|l| l == row),
            "README.md's option table lacks, or words otherwise:\n{row}"
        );
    }
    generated_block(
        "README.md",
        "<!-- options:lua begin",
        "<!-- options:lua end",
        &docs::readme_lua_list(),
    );
    let help = std::process::Command::new(env!("CARGO_BIN_EXE_pycache"))
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    for def in OPTIONS.iter().filter(|d| !d.flag.is_empty()) {
        assert!(help.contains(&format!("--{}", def.flag)), "{help}");
    }
}

/// Every field name of real reports' JSON, nested ones as `outer.inner`:
/// a `check`, and an `update` stopped by a missing interpreter (the fields
/// only a report with an error has).
fn report_fields() -> Vec<String> {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("a.py"), "A = 1\n").unwrap();
    let target = Target::from_flavor(Flavor::parse("py311").unwrap(), tmp.path())
        .with_site_packages(tmp.path());
    let checked = Engine::new(target.clone()).check().unwrap();
    let stopped = Engine::new(target).update(&|_, _| {}).unwrap();
    assert_eq!(
        stopped.exit_code,
        pycache::ExitCode::Environment,
        "{:?}",
        stopped.lines
    );
    let mut fields = Vec::new();
    for report in [checked, stopped] {
        let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
        for (key, value) in json.as_object().unwrap() {
            let mut names = vec![key.clone()];
            if let Some(inner) = value.as_object() {
                names.extend(inner.keys().map(|k| format!("{key}.{k}")));
            }
            for name in names {
                if !fields.contains(&name) {
                    fields.push(name);
                }
            }
        }
    }
    fields
}

/// The source file whose module doc has the report's `# JSON schema`
/// heading, looked for among every `.rs` file under src/ (so that the
/// report module may move into a folder), with its text.
fn report_source() -> (PathBuf, String) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let found: Vec<(PathBuf, String)> = walkdir::WalkDir::new(&src)
        .into_iter()
        .map(|e| e.unwrap().into_path())
        .filter(|p| p.extension().is_some_and(|x| x == "rs"))
        .filter_map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            let has = text.lines().any(|l| l.starts_with("//! # JSON schema"));
            has.then_some((p, text))
        })
        .collect();
    let [(path, text)] = <[_; 1]>::try_from(found).unwrap_or_else(|found| {
        let paths: Vec<_> = found.iter().map(|(p, _)| p.display().to_string()).collect();
        panic!("want one file under src/ with a `//! # JSON schema` heading, found {paths:?}")
    });
    (path, text)
}

/// The lines of the ```text block under `# JSON schema` in `text`'s
/// module doc, without their `//! ` (or `//!`).
fn schema_block(text: &str) -> Vec<&str> {
    // The module doc is the file's leading run of `//!` lines.
    let doc = text
        .lines()
        .map_while(|l| l.strip_prefix("//!"))
        .map(|l| l.strip_prefix(' ').unwrap_or(l));
    let mut lines = doc
        .skip_while(|l| !l.starts_with("# JSON schema"))
        .skip_while(|l| *l != "```text")
        .skip(1);
    let mut block = Vec::new();
    for line in lines.by_ref() {
        if line == "```" {
            return block;
        }
        block.push(line);
    }
    panic!("no closed ```text block under `# JSON schema` in the module doc")
}

/// The fields `block` names: each top-level field starts a line (a line
/// starting with a space continues the one before), and the fields of an
/// object (`{name VALUE, name VALUE}`) are given as `outer.inner`.
fn schema_fields(block: &[&str]) -> Vec<String> {
    let mut entries: Vec<String> = Vec::new();
    for line in block {
        match entries.last_mut() {
            Some(entry) if line.starts_with(' ') => entry.push_str(line),
            _ => entries.push(line.to_string()),
        }
    }
    let mut fields = Vec::new();
    for entry in entries {
        let (name, value) = entry
            .split_once(' ')
            .unwrap_or_else(|| panic!("schema entry without a value: {entry:?}"));
        let is_name =
            |n: &str| !n.is_empty() && n.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
        assert!(
            is_name(name),
            "schema entry that does not start with a field name: {entry:?}"
        );
        fields.push(name.to_string());
        if let Some(object) = value.trim_start().strip_prefix('{') {
            let (inner, _) = object
                .split_once('}')
                .unwrap_or_else(|| panic!("{name}: {{ without }}: {entry:?}"));
            for part in inner.split(',') {
                let part = part.trim();
                let inner_name = part.split(' ').next().unwrap();
                assert!(is_name(inner_name), "{name}: not a field: {part:?}");
                fields.push(format!("{name}.{inner_name}"));
            }
        }
    }
    fields
}

#[test]
fn readme_and_module_docs_name_every_report_field() {
    let readme = read("README.md");
    let json = &readme[readme.find("### JSON report").unwrap()..];
    let json = &json[..json.find("\n## ").unwrap_or(json.len())];
    let lua = &readme[readme.find("The report table has the fields").unwrap()..];
    let lua = &lua[..lua.find("\n###").unwrap()];
    let fields = report_fields();
    assert!(fields.len() > 20, "{fields:?}");
    for field in &fields {
        let name = field.rsplit('.').next().unwrap();
        assert!(
            json.contains(&format!("`{name}`")),
            "README's JSON section does not name {field}"
        );
        assert!(
            lua.contains(name),
            "README's Lua report paragraph does not name {field}"
        );
    }
    // The schema block names each field of a real report, and nothing else.
    let (path, text) = report_source();
    let block = schema_block(&text);
    let named = schema_fields(&block);
    let mut once = named.clone();
    once.sort();
    once.dedup();
    assert_eq!(once.len(), named.len(), "a field named twice: {named:?}");
    let missing: Vec<_> = fields.iter().filter(|f| !named.contains(f)).collect();
    let unknown: Vec<_> = named.iter().filter(|f| !fields.contains(f)).collect();
    assert!(
        missing.is_empty() && unknown.is_empty(),
        "{}'s JSON schema block drifted from the report: fields it lacks {missing:?}, \
         fields it names that a report does not have {unknown:?}; the block:\n{}",
        path.display(),
        block.join("\n")
    );
}

/// README's table of error kinds has one row per kind the engine has, in
/// its order ([`pycache::ErrorKind::ALL`]).
#[test]
fn readme_lists_every_error_kind() {
    let readme = read("README.md");
    let table = &readme[readme.find("#### Error kinds").unwrap()..];
    let table = &table[..table.find("\n#").unwrap()];
    let rows: Vec<&str> = table
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .map(|l| l.split('`').next().unwrap())
        .collect();
    let kinds: Vec<&str> = pycache::ErrorKind::ALL.iter().map(|k| k.name()).collect();
    assert_eq!(rows, kinds);
}
