//! The one definition of the options (src/options.rs) and of the report
//! (src/report.rs) against every copy a reader or another front sees:
//! lua/pycache.lua's option table, README's option table and Lua option
//! list, and README's and the module docs' JSON field lists. A drift fails
//! here; `PYCACHE_BLESS=1 cargo test --test definitions` rewrites the
//! generated blocks.

use std::path::Path;

use pycache::front::docs;
use pycache::settings::options::OPTIONS;
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
        "{file}: the block after {begin:?} drifted from src/options.rs; run \
         PYCACHE_BLESS=1 cargo test --test definitions, or paste:\n{want}"
    );
}

#[test]
fn pycache_lua_maps_options_from_the_engines_table() {
    generated_block(
        "lua/pycache.lua",
        "-- BEGIN options",
        "-- END options",
        &docs::lua_table(),
    );
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

/// Every field name of a real report's JSON, nested ones as `outer.inner`.
fn report_fields() -> Vec<String> {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("a.py"), "A = 1\n").unwrap();
    let target = Target::from_flavor(Flavor::parse("py311").unwrap(), tmp.path())
        .with_site_packages(tmp.path());
    let report = Engine::new(target).check().unwrap();
    let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
    let mut fields = Vec::new();
    for (key, value) in json.as_object().unwrap() {
        fields.push(key.clone());
        if let Some(inner) = value.as_object() {
            fields.extend(inner.keys().map(|k| format!("{key}.{k}")));
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
    let docs = read("src/run/report.rs");
    let fields = report_fields();
    assert!(fields.len() > 20, "{fields:?}");
    for field in fields {
        let name = field.rsplit('.').next().unwrap();
        assert!(
            json.contains(&format!("`{name}`")),
            "README's JSON section does not name {field}"
        );
        assert!(
            lua.contains(name),
            "README's Lua report paragraph does not name {field}"
        );
        assert!(
            docs.contains(&format!("//! {name} ")) || docs.contains(&format!("{name} ")),
            "src/report.rs's schema does not name {field}"
        );
    }
}
