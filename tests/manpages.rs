//! The manual pages under man/ document every option and argument the
//! programs take: each long option that `--help` lists (for the program and
//! each of its commands, `explain`, `config` and `request` included) must
//! appear in the page as an mdoc `Fl` macro; each command's SYNOPSIS entry
//! in pycache(8) shows the arguments of its usage line (`.Ar`, `...`, `.Op`
//! as they repeat or may be left out) and the options only it takes; the
//! keys `pycache config KEY` takes are pycache.conf(5)'s. A flag or an
//! argument added without its documentation fails here. `tests/run.sh`
//! also runs `mandoc -Tlint` over the pages.

use std::collections::{BTreeMap, BTreeSet};
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

/// The commands of `pycache`, each with a SYNOPSIS entry in pycache(8).
const COMMANDS: [&str; 6] = ["check", "update", "clean", "explain", "config", "request"];

#[test]
fn pycache_page_documents_every_option() {
    let mut commands: Vec<Vec<&str>> = vec![vec![]];
    commands.extend(COMMANDS.iter().map(|c| vec![*c]));
    let commands: Vec<&[&str]> = commands.iter().map(Vec::as_slice).collect();
    assert_documented("pycache.8", env!("CARGO_BIN_EXE_pycache"), &commands);
}

/// `pycache CMD --help`'s text.
fn help(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_pycache"))
        .args(args)
        .arg("--help")
        .output()
        .unwrap();
    assert!(out.status.success(), "pycache {args:?} --help failed");
    String::from_utf8(out.stdout).unwrap()
}

/// The arguments of `pycache CMD`'s usage line (`Usage: pycache explain
/// [OPTIONS] <PATH>...`): each name, lowercase, whether it may be left
/// out (`[KEY]`) and whether it repeats (`...`).
fn arguments(command: &str) -> Vec<(String, bool, bool)> {
    let help = help(&[command]);
    let usage = help
        .lines()
        .find_map(|l| l.strip_prefix(&format!("Usage: pycache {command} ")))
        .unwrap_or_else(|| panic!("pycache {command} --help has no usage line:\n{help}"));
    usage
        .split_whitespace()
        .filter(|w| *w != "[OPTIONS]")
        .map(|w| {
            let repeated = w.ends_with("...");
            let w = w.trim_end_matches("...");
            let optional = w.starts_with('[');
            let name = w.trim_matches(['[', ']', '<', '>']).to_lowercase();
            (name, optional, repeated)
        })
        .collect()
}

/// pycache(8)'s SYNOPSIS entry of each command (the lines after `.Nm` up
/// to the next), by the command its `.Cm` line names.
fn synopsis(page: &str) -> BTreeMap<String, Vec<String>> {
    let start = page.find(".Sh SYNOPSIS\n").expect("no SYNOPSIS");
    let text = &page[start..];
    let text = &text[..text[1..].find("\n.Sh ").unwrap() + 1];
    let mut entries = BTreeMap::new();
    for entry in text.split("\n.Nm\n").skip(1) {
        let lines: Vec<String> = entry.lines().map(String::from).collect();
        if let Some(command) = lines[0].strip_prefix(".Cm ") {
            entries.insert(command.to_string(), lines[1..].to_vec());
        }
    }
    entries
}

/// pycache(8)'s item of `command` in its list of commands: from its
/// `.It Cm COMMAND` line to the next `.It` or `.El`.
fn command_item(page: &str, command: &str) -> String {
    let start = page
        .lines()
        .position(|l| {
            l == format!(".It Cm {command}") || l.starts_with(&format!(".It Cm {command} "))
        })
        .unwrap_or_else(|| panic!("man/pycache.8 has no `.It Cm {command}` item"));
    page.lines()
        .skip(start)
        .enumerate()
        .take_while(|(i, l)| *i == 0 || !(l.starts_with(".It ") || l.starts_with(".El")))
        .map(|(_, l)| format!("{l}\n"))
        .collect()
}

/// Each command's arguments are in its SYNOPSIS entry as `.Ar NAME` (with
/// `...` when it repeats, inside `.Op` or beside an alternative `|` when it
/// may be left out), and the options only it takes (such as request's
/// `--from`) are in its entry or its item.
#[test]
fn pycache_page_shows_each_commands_arguments_and_own_options() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("man/pycache.8");
    let page = std::fs::read_to_string(path).unwrap();
    let synopsis = synopsis(&page);
    let common = long_options(env!("CARGO_BIN_EXE_pycache"), &[]);
    let mut wrong = Vec::new();
    for command in COMMANDS {
        let Some(entry) = synopsis.get(command) else {
            wrong.push(format!("{command}: no SYNOPSIS entry"));
            continue;
        };
        let arguments = arguments(command);
        if ["check", "explain", "config", "request"].contains(&command) {
            assert!(
                !arguments.is_empty(),
                "{command}: no argument read from its usage line"
            );
        }
        for (name, optional, repeated) in arguments {
            let shown = format!("Ar {name}{}", if repeated { " ..." } else { "" });
            let line = entry.iter().find(|l| {
                let l = l.trim_start_matches('.');
                let l = l.strip_prefix("Op ").unwrap_or(l);
                l.split(" | ").any(|part| part.trim() == shown)
            });
            match line {
                None => wrong.push(format!("{command}: no `.{shown}` in its SYNOPSIS entry")),
                Some(line) if optional && !(line.starts_with(".Op ") || line.contains(" | ")) => {
                    wrong.push(format!(
                        "{command}: {name} may be left out, but `{line}` has no .Op"
                    ))
                }
                Some(line) if !optional && line.starts_with(".Op ") => wrong.push(format!(
                    "{command}: {name} is needed, but `{line}` is in .Op"
                )),
                Some(_) => {}
            }
        }
        let item = command_item(&page, command);
        for option in long_options(env!("CARGO_BIN_EXE_pycache"), &[command]) {
            let here = format!("Fl -{option}");
            if !common.contains(&option)
                && !entry.iter().any(|l| l.contains(&here))
                && !item.contains(&here)
            {
                wrong.push(format!(
                    "{command}: its own option --{option} is in neither its SYNOPSIS entry \
                     nor its item"
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "man/pycache.8:\n{}", wrong.join("\n"));
}

/// The keys `pycache config KEY` takes (its help's possible values) are
/// the keys pycache.conf(5) documents.
#[test]
fn config_keys_are_the_configuration_pages() {
    let help = help(&["config"]);
    let values = help
        .split("[possible values: ")
        .nth(1)
        .and_then(|v| v.split(']').next())
        .unwrap_or_else(|| panic!("pycache config --help lists no KEY values:\n{help}"));
    let keys: BTreeSet<&str> = values.split(", ").collect();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let page = std::fs::read_to_string(root.join("man/pycache.conf.5")).unwrap();
    let in_page: BTreeSet<&str> = page
        .lines()
        .filter_map(|l| l.strip_prefix(".It Ic "))
        .collect();
    assert_eq!(
        keys, in_page,
        "pycache config's KEY values against man/pycache.conf.5"
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
    let keys: BTreeSet<&str> = pycache::settings::config::KEYS.iter().copied().collect();
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
    let missing: Vec<&str> = pycache::settings::options::OPTIONS
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
