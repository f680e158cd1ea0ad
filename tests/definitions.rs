//! The one definition of the options (src/settings/options.rs) and of the report
//! (its struct) against every copy a reader or another front sees:
//! lua/pycache.lua's option table, README's option table and Lua option
//! list, and README's JSON and Lua field lists and the JSON schema in the
//! report module's doc. A drift fails here; `PYCACHE_BLESS=1 cargo test
//! --test definitions` rewrites the generated blocks. lua/pycache.lua is
//! read as Lua tokens, so that a field access (`opts.flavor`,
//! `opts["flavor"]`, a key in a table constructor) counts, a comment does
//! not; README's field lists are read as lists of fields, each name where
//! a field is named, nested ones under theirs.

use std::path::{Path, PathBuf};

mod common;

use common::{Tree, debian_python};
use pycache::front::docs;
use pycache::run::trigger;
use pycache::settings::options::OPTIONS;

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
        "{file}: the block after {begin:?} drifted from src/settings/options.rs; run \
         PYCACHE_BLESS=1 cargo test --test definitions, or paste:\n{want}"
    );
}

#[test]
fn pycache_lua_starts_failure_lines_as_the_engine_does() {
    generated_block(
        "lua/pycache.lua",
        "-- BEGIN failure",
        "-- END failure",
        &trigger::lua_table(),
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

// ---------------------------------------------------------------------------
// lua/pycache.lua as Lua tokens: names, strings (their text between the
// quotes or long brackets) and punctuation; comments are dropped.

#[derive(Debug, Clone, PartialEq)]
enum Lua {
    Name(String),
    Str(String),
    Punct(&'static str),
}

/// The tokens of `text`, each with its line.
fn lua_tokens(text: &str) -> Vec<(usize, Lua)> {
    let s = text.as_bytes();
    let at = |i: usize| s.get(i).copied().unwrap_or(0);
    let is_name = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    // `[==[` at `i`: the number of `=`, when it opens a long bracket.
    let long_open = |i: usize| {
        let mut level = 0;
        while at(i + 1 + level) == b'=' {
            level += 1;
        }
        (at(i) == b'[' && at(i + 1 + level) == b'[').then_some(level)
    };
    // The index just after the `]==]` closing a long bracket of `level`
    // whose text starts at `from`, and that text.
    let long_close = |from: usize, level: usize| {
        let close = format!("]{}]", "=".repeat(level));
        let end = text[from..].find(&close).map_or(s.len(), |n| from + n);
        (end + close.len(), &text[from..end])
    };
    const PUNCTS: [&str; 25] = [
        "...", "..", "==", "~=", "<=", ">=", "::", "//", "<<", ">>", ".", ":", "=", "{", "}", "(",
        ")", "[", "]", ",", ";", "#", "+", "-", "*",
    ];
    let mut out = Vec::new();
    let (mut i, mut line) = (0, 1);
    while i < s.len() {
        let c = s[i];
        let start_line = line;
        let start = i;
        if c == b'\n' {
            line += 1;
            i += 1;
        } else if c.is_ascii_whitespace() {
            i += 1;
        } else if c == b'-' && at(i + 1) == b'-' {
            if let Some(level) = long_open(i + 2) {
                let (end, body) = long_close(i + 4 + level, level);
                line += body.matches('\n').count();
                i = end;
            } else {
                while i < s.len() && s[i] != b'\n' {
                    i += 1;
                }
            }
        } else if let Some(level) = long_open(i) {
            let (end, body) = long_close(i + 2 + level, level);
            line += body.matches('\n').count();
            out.push((start_line, Lua::Str(body.to_string())));
            i = end;
        } else if c == b'"' || c == b'\'' {
            i += 1;
            while i < s.len() && s[i] != c {
                if s[i] == b'\\' {
                    i += 1;
                }
                if at(i) == b'\n' {
                    line += 1;
                }
                i += 1;
            }
            out.push((start_line, Lua::Str(text[start + 1..i].to_string())));
            i += 1;
        } else if c.is_ascii_digit() {
            while is_name(at(i))
                || at(i) == b'.' && at(i + 1) != b'.'
                || (at(i) == b'-' || at(i) == b'+') && matches!(s[i - 1], b'e' | b'E' | b'p' | b'P')
            {
                i += 1;
            }
        } else if is_name(c) {
            while is_name(at(i)) {
                i += 1;
            }
            out.push((start_line, Lua::Name(text[start..i].to_string())));
        } else {
            let punct = PUNCTS
                .iter()
                .find(|p| s[i..].starts_with(p.as_bytes()))
                .copied()
                .unwrap_or("?");
            i += punct.len().max(1);
            out.push((start_line, Lua::Punct(punct)));
        }
    }
    out
}

/// `text` without the lines from each `-- BEGIN` line to its `-- END`
/// line, the blocks [`generated_block`] keeps equal to the engine's.
fn without_generated_blocks(text: &str) -> String {
    let mut inside = false;
    let mut out = String::new();
    for line in text.lines() {
        if line.starts_with("-- BEGIN ") {
            inside = true;
        }
        if !inside {
            out.push_str(line);
        }
        out.push('\n');
        if line.starts_with("-- END ") {
            inside = false;
        }
    }
    out
}

/// Each place `lua` names one of `keys` as a table field: `t.key`,
/// `t:key(...)`, `t["key"]` or `t['key']`, a `key = ...` or `["key"] =
/// ...` in a table constructor, and any string that is a key (it could
/// index a table later); as `line N: what`.
fn option_names(lua: &str, keys: &[&str]) -> Vec<String> {
    let toks = lua_tokens(&without_generated_blocks(lua));
    let key = |t: Option<&(usize, Lua)>| match t {
        Some((_, Lua::Name(n) | Lua::Str(n))) if keys.contains(&n.as_str()) => Some(n.clone()),
        _ => None,
    };
    let mut found = Vec::new();
    // The open brackets: a name followed by `=` right after `{`, `,` or `;`
    // is a constructor's key when the innermost one is `{`.
    let mut open: Vec<&str> = Vec::new();
    for (i, (line, tok)) in toks.iter().enumerate() {
        let next = toks.get(i + 1);
        let prev = i.checked_sub(1).map(|p| &toks[p].1);
        match tok {
            Lua::Punct(p @ ("{" | "(" | "[")) => open.push(p),
            Lua::Punct("}" | ")" | "]") => {
                open.pop();
            }
            _ => {}
        }
        let what = match tok {
            Lua::Punct(p @ ("." | ":")) => key(next).map(|k| format!("{p}{k}")),
            Lua::Str(s) if keys.contains(&s.as_str()) => Some(
                if matches!(prev, Some(Lua::Punct("[")))
                    && matches!(next, Some((_, Lua::Punct("]"))))
                {
                    format!("[{s:?}]")
                } else {
                    format!("the string {s:?}")
                },
            ),
            Lua::Name(n)
                if keys.contains(&n.as_str())
                    && open.last() == Some(&"{")
                    && matches!(prev, Some(Lua::Punct("{" | "," | ";")))
                    && matches!(next, Some((_, Lua::Punct("=")))) =>
            {
                Some(format!("{{ {n} = ... }}"))
            }
            _ => None,
        };
        if let Some(what) = what {
            found.push(format!("line {line}: {what}"));
        }
    }
    found
}

/// Where lua/pycache.lua names an engine option today: what, and the line
/// (trimmed) that does; every other place fails [`pycache_lua_leaves_options_to_the_engine`].
/// These are the front deciding with the engine's options, which it should
/// not: when it stops, its entry goes (the test fails on an entry no line
/// needs). Both are for the lead to settle (issue 30, item 6):
/// - the failure line names the flavor or interpreter from the options
///   given (`opts.flavor or opts.python`), not from the engine's answer;
/// - pkg's `arg` is put under the engine's `dirs` (the trigger's one
///   translation; the request could carry it under its own name).
const NAMED_TODAY: &[(&str, &str)] = &[
    (
        ".flavor",
        r#"local who = type(opts) == "table" and (opts.flavor or opts.python) or nil"#,
    ),
    (
        ".python",
        r#"local who = type(opts) == "table" and (opts.flavor or opts.python) or nil"#,
    ),
    (
        ".dirs",
        r#"if command == "update" then engine.dirs = touched_dirs(own.arg) end"#,
    ),
];

#[test]
fn pycache_lua_leaves_options_to_the_engine() {
    // It passes the engine's options on as they are: it reads no option of
    // the engine, names none, and writes none of its messages.
    let lua = read("lua/pycache.lua");
    let keys: Vec<&str> = OPTIONS.iter().map(|d| d.key).collect();
    for own in ["program", "backend", "arg"] {
        assert!(
            !keys.contains(&own),
            "{own}: pycache.lua's own key is an engine option too"
        );
    }
    let lines: Vec<&str> = lua.lines().collect();
    let mut unexpected = Vec::new();
    let mut named = Vec::new();
    for place in option_names(&lua, &keys) {
        let (n, what) = place["line ".len()..].split_once(": ").unwrap();
        let text = lines[n.parse::<usize>().unwrap() - 1].trim();
        match NAMED_TODAY.iter().find(|(w, t)| *w == what && *t == text) {
            Some(known) => named.push(known),
            None => unexpected.push(format!("{place}: {text}")),
        }
    }
    assert!(
        unexpected.is_empty(),
        "lua/pycache.lua names the engine's options (the engine's to read):\n{}",
        unexpected.join("\n")
    );
    let gone: Vec<_> = NAMED_TODAY.iter().filter(|k| !named.contains(k)).collect();
    assert!(
        gone.is_empty(),
        "lua/pycache.lua no longer names these: remove them from NAMED_TODAY: {gone:?}"
    );
    for def in OPTIONS {
        assert!(
            !lua.contains(def.expected),
            "lua/pycache.lua has the engine's words {:?}",
            def.expected
        );
    }
}

/// The finder on made-up Lua: each way of naming a key is found, and
/// comments, other names and the generated blocks are not.
#[test]
fn option_names_finds_every_way_of_naming_a_key() {
    let keys = ["jobs", "flavor"];
    let lua = r#"local a = opts.jobs
local b = opts["flavor"] .. opts['jobs']
local t = { x = 1, jobs = 2; flavor = 3 }
local u = { ["jobs"] = 1 }
o:flavor()
-- opts.jobs in a comment
--[==[ opts.flavor
in a long comment ]==]
local jobs, flavor = 1, 2
f(jobs, flavor)
local s = "jobs: " .. njobs .. jobsx.y .. f("flavor")
-- BEGIN x: generated
local J = { jobs = 1 }
-- END x
local c = { f = { flavor = 1 } }
"#;
    assert_eq!(
        option_names(lua, &keys),
        [
            "line 1: .jobs",
            "line 2: [\"flavor\"]",
            "line 2: [\"jobs\"]",
            "line 3: { jobs = ... }",
            "line 3: { flavor = ... }",
            "line 4: [\"jobs\"]",
            "line 5: :flavor",
            "line 11: the string \"flavor\"",
            "line 15: { flavor = ... }",
        ]
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

/// The field names of real reports' JSON, run by the program, nested ones
/// as `outer.inner`: `.0` the top-level ones and those of an object in
/// them (`python.tag`), `.1` those and the fields of the objects in a list
/// too (`to_compile.levels.state`). The reports: a `check` (sources to
/// compile, an orphan), an `update` with Debian's python3.11 (pycs
/// written, a source that fails) and one stopped by a missing interpreter
/// (the fields only a report with an error has).
fn report_fields() -> (Vec<String>, Vec<String>) {
    let tree = Tree::new(&debian_python());
    tree.write("a.py", "A = 1\n");
    tree.write("bad.py", "print 'py2'\n");
    tree.write("__pycache__/gone.cpython-311.pyc", "orphan");
    let checked = tree.pycache(&["check", "--json"]).expect(1).json();
    let updated = tree.pycache(&["update", "--json"]).expect(1).json();
    std::fs::remove_file(tree.prefix.join("bin/python3.11")).unwrap();
    tree.write("b.py", "B = 1\n");
    let stopped = tree.pycache(&["update", "--json"]).expect(3).json();
    assert!(stopped["error"].is_string(), "{stopped}");
    assert_eq!(
        updated["failures"].as_array().unwrap().len(),
        1,
        "{updated}"
    );
    fn walk(value: &serde_json::Value, prefix: &str, deep: bool, out: &mut Vec<String>) {
        match value {
            serde_json::Value::Object(fields) => {
                for (key, value) in fields {
                    let name = format!("{prefix}{key}");
                    if !out.contains(&name) {
                        out.push(name.clone());
                    }
                    if deep || value.is_object() {
                        walk(value, &format!("{name}."), deep, out);
                    }
                }
            }
            serde_json::Value::Array(items) if deep => {
                for item in items {
                    walk(item, prefix, deep, out);
                }
            }
            _ => {}
        }
    }
    let (mut shallow, mut deep) = (Vec::new(), Vec::new());
    for report in [&checked, &updated, &stopped] {
        walk(report, "", false, &mut shallow);
        walk(report, "", true, &mut deep);
    }
    (shallow, deep)
}

/// The fields README's JSON section lists in its `Fields:` paragraph: each
/// name in backticks, nested in `{...}` (an object, or `[{...}]` the
/// objects of a list) under the name before it, as `outer.inner`. What is
/// in parentheses is a remark, not a field.
fn readme_json_fields(readme: &str) -> Vec<String> {
    let start = readme
        .find("\nFields: ")
        .expect("README's JSON report section has no `Fields:` paragraph");
    let text = &readme[start + "\nFields: ".len()..];
    let text = &text[..text.find("\n\n").unwrap()];
    let text = &text[..text.find("A fatal error prints").unwrap_or(text.len())];
    let (mut fields, mut outer, mut last) = (Vec::new(), Vec::<String>::new(), None);
    let mut remark = 0;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '(' => remark += 1,
            ')' => remark -= 1,
            _ if remark > 0 => {}
            '`' => {
                let name: String = chars.by_ref().take_while(|&c| c != '`').collect();
                assert!(
                    !name.is_empty() && name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                    "README's Fields: paragraph: `{name}` is no field name"
                );
                let mut path = outer.clone();
                path.push(name.clone());
                fields.push(path.join("."));
                last = Some(name);
            }
            '{' => outer.push(
                last.clone()
                    .expect("README's Fields: paragraph: { after no field"),
            ),
            '}' => {
                outer
                    .pop()
                    .expect("README's Fields: paragraph: } without {");
            }
            _ => {}
        }
    }
    assert!(
        outer.is_empty() && remark == 0,
        "README's Fields: paragraph: unclosed brackets"
    );
    fields
}

/// The fields README's Lua report paragraph lists: `name` or
/// `name{inner,inner}` in backticks, between its first `(` and `)`.
fn readme_lua_fields(readme: &str) -> Vec<String> {
    let start = readme
        .find("The report table has the fields")
        .expect("README has no Lua report paragraph");
    let text = &readme[start..];
    let text = &text[text.find("(`").unwrap() + 1..];
    let text = &text[..text.find("`)").unwrap() + 1];
    let mut fields = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('`') {
        let close = open + 1 + rest[open + 1..].find('`').unwrap();
        let item = &rest[open + 1..close];
        rest = &rest[close + 1..];
        let (name, inner) = match item.split_once('{') {
            Some((name, inner)) => (name, inner.strip_suffix('}').expect("{ without }")),
            None => (item, ""),
        };
        fields.push(name.to_string());
        for field in inner.split(',').filter(|f| !f.is_empty()) {
            fields.push(format!("{name}.{field}"));
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
    let (fields, deep) = report_fields();
    assert!(fields.len() > 20, "{fields:?}");
    // README's JSON paragraph lists every field, those of the objects in
    // a list too, once each, and nothing else.
    let listed = readme_json_fields(&readme);
    let missing: Vec<_> = deep.iter().filter(|f| !listed.contains(f)).collect();
    let unknown: Vec<_> = listed.iter().filter(|f| !deep.contains(f)).collect();
    let mut once = listed.clone();
    once.sort();
    once.dedup();
    assert!(
        missing.is_empty() && unknown.is_empty() && once.len() == listed.len(),
        "README's JSON Fields: paragraph drifted from the report: it lacks {missing:?}, \
         names {unknown:?} that no report has; it lists: {listed:?}"
    );
    // README's Lua paragraph lists every field and those of `python`, and
    // no field that is none.
    let lua = readme_lua_fields(&readme);
    let missing: Vec<_> = fields.iter().filter(|f| !lua.contains(f)).collect();
    let unknown: Vec<_> = lua.iter().filter(|f| !deep.contains(f)).collect();
    assert!(
        missing.is_empty() && unknown.is_empty(),
        "README's Lua report paragraph drifted from the report: it lacks {missing:?}, \
         names {unknown:?} that no report has; it lists: {lua:?}"
    );
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
/// its order ([`pycache::Error::KINDS`]).
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
    assert_eq!(rows, pycache::Error::KINDS);
}
