//! Golden outputs of the program: each command's text, `--json` and
//! `--json-summary` output (stdout, stderr and exit code) on a fixed tree,
//! paths and times normalized. They were taken with the program as it was
//! before the front/engine boundary was redone (9cff4f1, the snapshots'
//! first commit) and prove its output unchanged since; a change to one
//! must be deliberate and listed in the commit that makes it.
//! `PYCACHE_GOLDEN_BIN` runs another build of the program against them.

use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::process::Command;

/// A prefix with a py311 flavor: `bin/python3.11` (the real one) and a
/// site-packages holding a module, a package, a source with a syntax
/// error, a file name that is not UTF-8, another tag's pyc, an orphan and
/// an empty cache.
struct Tree {
    _tmp: tempfile::TempDir,
    prefix: PathBuf,
    site: PathBuf,
}

impl Tree {
    fn new() -> Tree {
        let tmp = tempfile::tempdir().unwrap();
        let prefix = tmp.path().canonicalize().unwrap();
        let site = prefix.join("lib/python3.11/site-packages");
        fs::create_dir_all(prefix.join("bin")).unwrap();
        symlink("/usr/bin/python3.11", prefix.join("bin/python3.11")).unwrap();
        for (path, text) in [
            ("mod.py", "X = 1\n"),
            ("pkg/__init__.py", "\"\"\"A package.\"\"\"\n"),
            ("pkg/sub.py", "def f():\n    assert True\n    return 2\n"),
            ("broken.py", "def (:\n"),
            ("other/__pycache__/kept.cpython-312.pyc", "another tag's"),
            ("other/__pycache__/gone.cpython-311.pyc", "an orphan"),
            ("other/keep.txt", "data"),
        ] {
            let file = site.join(path);
            fs::create_dir_all(file.parent().unwrap()).unwrap();
            fs::write(file, text).unwrap();
        }
        fs::create_dir_all(site.join("empty/__pycache__")).unwrap();
        let odd = site.join(std::ffi::OsStr::from_bytes(b"caf\xe9.py"));
        fs::write(odd, "Y = 2\n").unwrap();
        Tree {
            _tmp: tmp,
            prefix,
            site,
        }
    }

    /// Runs the program with `args`, `--no-config` unless `config` is
    /// named; the outcome as one normalized text.
    fn run(&self, args: &[&str]) -> String {
        let program = std::env::var_os("PYCACHE_GOLDEN_BIN")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_pycache")));
        let mut command = Command::new(program);
        command.args(args).env_remove("PYCACHE_CONF");
        if !args.iter().any(|a| a.starts_with("--config")) {
            command.arg("--no-config");
        }
        let out = command.output().unwrap();
        let text = format!(
            "exit: {}\n--- stdout\n{}--- stderr\n{}",
            out.status.code().map_or("signal".into(), |c| c.to_string()),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
        );
        normalize(&text, &self.prefix)
    }

    fn flavor(&self) -> Vec<String> {
        let prefix = self.prefix.to_str().unwrap().to_string();
        vec!["--flavor".into(), "py311".into(), "--prefix".into(), prefix]
    }

    fn run_flavor(&self, args: &[&str]) -> String {
        let flavor = self.flavor();
        let all: Vec<&str> = args
            .iter()
            .copied()
            .chain(flavor.iter().map(String::as_str))
            .collect();
        self.run(&all)
    }
}

/// The tree's path as `[TREE]`; times as `[MS]` and `[T]`.
fn normalize(text: &str, tree: &Path) -> String {
    let mut text = text.replace(tree.to_str().unwrap(), "[TREE]");
    for (start, end, with) in [("\"elapsed_ms\":", ",", "[MS]"), (" in ", " s", "[T]")] {
        let mut out = String::new();
        let mut rest = text.as_str();
        while let Some(at) = rest.find(start) {
            let after = &rest[at + start.len()..];
            let value = after.find(end).map(|e| &after[..e]);
            match value {
                Some(v) if !v.is_empty() && v.chars().all(|c| c.is_ascii_digit() || c == '.') => {
                    out.push_str(&rest[..at + start.len()]);
                    out.push_str(with);
                    rest = &after[v.len()..];
                }
                _ => {
                    out.push_str(&rest[..at + start.len()]);
                    rest = after;
                }
            }
        }
        out.push_str(rest);
        text = out;
    }
    text
}

#[test]
fn check_on_a_tree_out_of_sync() {
    let tree = Tree::new();
    insta::assert_snapshot!("check_text", tree.run_flavor(&["check"]));
    insta::assert_snapshot!("check_verbose", tree.run_flavor(&["check", "-v"]));
    insta::assert_snapshot!("check_json", tree.run_flavor(&["check", "--json"]));
    insta::assert_snapshot!(
        "check_summary",
        tree.run_flavor(&["check", "--json-summary"])
    );
    insta::assert_snapshot!("check_quiet", tree.run_flavor(&["check", "-q"]));
}

#[test]
fn update_dry_run_then_update_then_check() {
    let tree = Tree::new();
    insta::assert_snapshot!("dry_run_verbose", tree.run_flavor(&["update", "-n", "-v"]));
    insta::assert_snapshot!("dry_run_json", tree.run_flavor(&["update", "-n", "--json"]));
    insta::assert_snapshot!(
        "update_verbose",
        tree.run_flavor(&["update", "-v", "-j", "1"])
    );
    insta::assert_snapshot!("in_sync_text", tree.run_flavor(&["check"]));
    insta::assert_snapshot!("in_sync_json", tree.run_flavor(&["check", "--json"]));
    // A stale pyc: the source changed after its bytecode was written.
    let source = tree.site.join("mod.py");
    fs::write(&source, "X = 2\n").unwrap();
    let later = std::time::SystemTime::now() + std::time::Duration::from_secs(5);
    fs::File::options()
        .write(true)
        .open(&source)
        .unwrap()
        .set_modified(later)
        .unwrap();
    insta::assert_snapshot!("stale_verbose", tree.run_flavor(&["check", "-v"]));
}

#[test]
fn update_json() {
    let tree = Tree::new();
    insta::assert_snapshot!(
        "update_json",
        tree.run_flavor(&["update", "--json", "-j", "1"])
    );
}

#[test]
fn clean_removes_orphans_and_empty_caches() {
    let tree = Tree::new();
    insta::assert_snapshot!("clean_text", Tree::new().run_flavor(&["clean", "-v"]));
    insta::assert_snapshot!("clean_json", tree.run_flavor(&["clean", "--json"]));
    insta::assert_snapshot!("clean_again_quiet", tree.run_flavor(&["clean", "-q"]));
}

#[test]
fn config_shows_the_settings_in_effect() {
    let tree = Tree::new();
    let conf = tree.prefix.join("pycache.conf");
    fs::write(
        &conf,
        "levels = [0, 1];\njobs = 2;\npy311 { timeout = 30; }\n",
    )
    .unwrap();
    let conf = format!("--config={}", conf.display());
    for (name, args) in [
        ("config_text", vec!["config"]),
        ("config_json", vec!["config", "--json"]),
        ("config_key", vec!["config", "levels"]),
        ("config_key_json", vec!["config", "--json", "jobs"]),
    ] {
        let mut args = args;
        args.push(&conf);
        insta::assert_snapshot!(name, tree.run_flavor(&args));
    }
    insta::assert_snapshot!("config_none", tree.run_flavor(&["config"]));
}

#[test]
fn every_flavor_at_once() {
    let tree = Tree::new();
    // A second flavor whose interpreter is missing: its update stops.
    fs::create_dir_all(tree.prefix.join("lib/python3.12/site-packages")).unwrap();
    fs::write(
        tree.prefix.join("lib/python3.12/site-packages/m.py"),
        "M = 1\n",
    )
    .unwrap();
    fs::write(tree.prefix.join("bin/python3.12"), "").unwrap();
    let prefix = tree.prefix.to_str().unwrap();
    for (name, args) in [
        ("all_check", vec!["check", "--all", "--prefix", prefix]),
        (
            "all_check_json",
            vec!["check", "--all", "--json", "--prefix", prefix],
        ),
        (
            "all_update_summary",
            vec![
                "update",
                "--all",
                "--json-summary",
                "-j",
                "1",
                "--prefix",
                prefix,
            ],
        ),
    ] {
        insta::assert_snapshot!(name, tree.run(&args));
    }
    let none = tree.prefix.join("none");
    fs::create_dir(&none).unwrap();
    let args = ["check", "--all", "--prefix", none.to_str().unwrap()];
    insta::assert_snapshot!("all_none", tree.run(&args));
}

#[test]
fn errors() {
    let tree = Tree::new();
    let prefix = tree.prefix.to_str().unwrap();
    let empty = tree.prefix.join("empty-prefix");
    fs::create_dir(&empty).unwrap();
    let empty = empty.to_str().unwrap();
    for (name, args) in [
        ("error_flavor", vec!["check", "--flavor", "py27"]),
        (
            "error_flavor_json",
            vec!["check", "--json", "--flavor", "py27"],
        ),
        (
            "error_option",
            vec![
                "check", "--jobs", "2.5", "--flavor", "py311", "--prefix", prefix,
            ],
        ),
        (
            "error_option_json",
            vec![
                "check", "--json", "--jobs", "2.5", "--flavor", "py311", "--prefix", prefix,
            ],
        ),
        (
            "error_no_site",
            vec!["check", "--flavor", "py311", "--prefix", empty],
        ),
        (
            "error_no_site_json",
            vec!["check", "--json", "--flavor", "py311", "--prefix", empty],
        ),
    ] {
        insta::assert_snapshot!(name, tree.run(&args));
    }
}

#[test]
fn interpreter_missing_or_failing_during_update() {
    let tree = Tree::new();
    fs::remove_file(tree.prefix.join("bin/python3.11")).unwrap();
    insta::assert_snapshot!(
        "missing_interpreter",
        tree.run_flavor(&["update", "-j", "1"])
    );
    insta::assert_snapshot!(
        "missing_interpreter_json",
        tree.run_flavor(&["update", "--json-summary", "-j", "1"])
    );
    // An interpreter that exits at once: the compile worker does not start.
    let fake = tree.prefix.join("bin/python3.11");
    fs::write(&fake, "#!/bin/sh\necho boom >&2\nexit 1\n").unwrap();
    fs::set_permissions(&fake, fs::Permissions::from_mode(0o755)).unwrap();
    insta::assert_snapshot!(
        "failing_interpreter",
        tree.run_flavor(&["update", "-j", "1"])
    );
    insta::assert_snapshot!(
        "failing_interpreter_json",
        tree.run_flavor(&["update", "--json", "-j", "1"])
    );
}
