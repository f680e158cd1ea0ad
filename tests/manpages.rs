//! The manual pages under man/ document every option the programs take:
//! each long option that `--help` lists (for the program and each of its
//! commands) must appear in the page as an mdoc `Fl` macro, so a flag added
//! without its documentation fails here. `tests/run.sh` also runs
//! `mandoc -Tlint` over the pages.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

/// The long options (`--name`) that `program args... --help` lists.
fn long_options(program: &str, args: &[&str]) -> BTreeSet<String> {
    let out = Command::new(program)
        .args(args)
        .arg("--help")
        .output()
        .unwrap_or_else(|e| panic!("{program} --help: {e}"));
    assert!(out.status.success(), "{program} {args:?} --help failed");
    let help = String::from_utf8(out.stdout).expect("help is UTF-8");
    let mut found = BTreeSet::new();
    for line in help.lines() {
        let line = line.trim_start();
        // Option lines start with `-x, --name` or `--name`; prose mentioning
        // an option elsewhere is not a definition.
        let is_option = line.starts_with("--")
            || (line.starts_with('-') && line.as_bytes().get(2) == Some(&b','));
        let Some(at) = line.find("--").filter(|_| is_option) else {
            continue;
        };
        let name: String = line[at + 2..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect();
        if !name.is_empty() {
            found.insert(name);
        }
    }
    found
}

/// The long options a page documents with `Fl -name`.
fn documented(page: &str) -> BTreeSet<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("man").join(page);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut found = BTreeSet::new();
    for (at, _) in text.match_indices("Fl -") {
        let name: String = text[at + 4..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect();
        found.insert(name);
    }
    found
}

fn assert_documented(page: &str, program: &str, commands: &[&[&str]]) {
    let documented = documented(page);
    let mut missing = Vec::new();
    for args in commands {
        let options = long_options(program, args);
        assert!(
            options.contains("help"),
            "{program} {args:?} --help lists no options: the parser above is out of date"
        );
        for option in options {
            if !documented.contains(&option) {
                missing.push(format!("--{option} (from {args:?})"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "man/{page} does not document: {}",
        missing.join(", ")
    );
}

#[test]
fn pycache_page_documents_every_option() {
    assert_documented(
        "pycache.8",
        env!("CARGO_BIN_EXE_pycache"),
        &[&[], &["check"], &["update"], &["clean"], &["explain"]],
    );
}

#[test]
fn gen_triggers_page_documents_every_option() {
    assert_documented("gen-triggers.1", env!("CARGO_BIN_EXE_gen-triggers"), &[&[]]);
}

/// Every key `pycache.conf` takes is documented in pycache.conf(5) as
/// `.It Ic KEY`, and shown with its default in the sample the port
/// installs, commented out (`#KEY = ...`); neither lists a key that is none.
#[test]
fn configuration_page_and_sample_list_every_key() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let page = std::fs::read_to_string(root.join("man/pycache.conf.5")).unwrap();
    let sample = std::fs::read_to_string(root.join("etc/pycache.conf.sample")).unwrap();
    let in_page: BTreeSet<&str> = page
        .lines()
        .filter_map(|l| l.strip_prefix(".It Ic "))
        .collect();
    let in_sample: BTreeSet<&str> = sample
        .lines()
        .filter_map(|l| l.strip_prefix('#')?.split_once(" = ").map(|(k, _)| k))
        .filter(|k| k.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'))
        .collect();
    let keys: BTreeSet<&str> = pycache::settings::defs::config_keys().collect();
    assert_eq!(
        in_page, keys,
        "man/pycache.conf.5 (.It Ic KEY) against the engine's keys"
    );
    assert_eq!(
        in_sample, keys,
        "etc/pycache.conf.sample (#KEY = default) against the engine's keys"
    );
}

#[test]
fn lua_page_documents_every_option_key() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("man/pycache.lua.3");
    let text = std::fs::read_to_string(&path).unwrap();
    let missing: Vec<&str> = pycache::settings::defs::OPTIONS
        .iter()
        .map(|d| d.key)
        .filter(|key| !text.contains(&format!(".It Cm {key}\n")))
        .collect();
    assert!(
        missing.is_empty(),
        "man/pycache.lua.3 has no `.It Cm KEY` for: {}",
        missing.join(", ")
    );
}
