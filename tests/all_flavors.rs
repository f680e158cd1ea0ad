//! `pycache check|update|clean --all`: every flavor installed under a
//! prefix, one summary line each, the worst exit status. The prefix holds
//! three flavors made of links to real interpreters: py311, py313t (a link
//! to CPython 3.13, as in tests/flavors.rs), and py312 whose site-packages
//! is there but whose interpreter is not (the Python 3.12 package was
//! removed, its packages' files were not).

mod common;

use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};

use common::{cache_of, pycache, pythons};

struct Prefix {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
}

impl Prefix {
    fn new() -> Prefix {
        let all = pythons();
        let python = |minor: u8| {
            all.iter()
                .find(|p| p.minor == minor)
                .unwrap_or_else(|| {
                    panic!("--all tests need CPython 3.{minor}: pyenv install 3.{minor}")
                })
                .path
                .clone()
        };
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("local");
        fs::create_dir_all(dir.join("bin")).unwrap();
        symlink(python(11), dir.join("bin/python3.11")).unwrap();
        symlink(python(13), dir.join("bin/python3.13t")).unwrap();
        // Names that are not flavors: never looked at.
        symlink(python(11), dir.join("bin/python3")).unwrap();
        fs::write(dir.join("bin/python3.11-config"), "#!/bin/sh\n").unwrap();
        symlink("/nonexistent/python3.10", dir.join("bin/python3.10")).unwrap();
        fs::create_dir_all(dir.join("lib/python3.10")).unwrap();
        for v in ["3.11", "3.12", "3.13t"] {
            let sp = dir.join(format!("lib/python{v}/site-packages"));
            fs::create_dir_all(sp.join("pkg")).unwrap();
            fs::write(sp.join("pkg/__init__.py"), "x = 1\n").unwrap();
            fs::write(sp.join("top.py"), "import os\n").unwrap();
        }
        Prefix { _tmp: tmp, dir }
    }

    fn sp(&self, version: &str) -> PathBuf {
        self.dir.join(format!("lib/python{version}/site-packages"))
    }

    fn run(&self, args: &[&str]) -> common::Run {
        let mut all = args.to_vec();
        all.extend(["--all", "--prefix", self.dir.to_str().unwrap()]);
        pycache(all)
    }
}

fn summaries(stdout: &str) -> Vec<&str> {
    stdout.lines().filter(|l| l.starts_with(">=> ")).collect()
}

#[test]
fn check_all_has_one_line_per_installed_flavor_in_order() {
    let p = Prefix::new();
    let run = p.run(&["check"]).expect(1);
    assert_eq!(
        summaries(&run.stdout),
        [
            ">=> Python 3.11: 2 sources to compile (6 pycs missing, 0 stale)",
            ">=> Python 3.12: 2 sources to compile (6 pycs missing, 0 stale)",
            ">=> Python 3.13t: 2 sources to compile (6 pycs missing, 0 stale)",
        ],
        "{}",
        run.stderr
    );
    assert_eq!(run.stderr, "");
}

#[test]
fn update_all_compiles_each_and_still_cleans_the_flavor_without_interpreter() {
    let p = Prefix::new();
    // py312: an orphan of its own tag (cleaned without an interpreter) and
    // another version's bytecode (never touched).
    let sp312 = p.sp("3.12");
    let orphan = cache_of(&sp312.join("gone.py"), "cpython-312", 0);
    let other = cache_of(&sp312.join("top.py"), "cpython-311", 0);
    for f in [&orphan, &other] {
        fs::create_dir_all(f.parent().unwrap()).unwrap();
        fs::write(f, b"not ours to judge").unwrap();
    }
    let run = p.run(&["update"]).expect(3);
    let lines = summaries(&run.stdout);
    assert_eq!(lines.len(), 3, "{}", run.stdout);
    assert!(
        lines[0].starts_with(">=> Python 3.11: wrote 6 pycs"),
        "{lines:?}"
    );
    assert!(
        lines[2].starts_with(">=> Python 3.13t: wrote 6 pycs"),
        "{lines:?}"
    );
    let missing = format!(
        "pycache: {}: interpreter not found",
        p.dir.join("bin/python3.12").display()
    );
    assert!(run.stderr.contains(&missing), "{}", run.stderr);
    assert!(
        !orphan.exists(),
        "py312 orphan not cleaned: {}\n{}",
        run.stdout,
        run.stderr
    );
    assert_eq!(fs::read(&other).unwrap(), b"not ours to judge");
    for (v, tag) in [("3.11", "cpython-311"), ("3.13t", "cpython-313")] {
        for level in 0..=2 {
            assert!(
                cache_of(&p.sp(v).join("top.py"), tag, level).is_file(),
                "{v} {level}"
            );
        }
    }
    // The free-threaded tree is its own: nothing of 3.13 was written elsewhere.
    assert!(!p.dir.join("lib/python3.13").exists());

    // Afterwards only py312 is out of sync; without its tree, nothing is.
    let run = p.run(&["check"]).expect(1);
    assert_eq!(
        summaries(&run.stdout),
        [
            ">=> Python 3.11: bytecode up to date (2 sources)",
            ">=> Python 3.12: 2 sources to compile (6 pycs missing, 0 stale)",
            ">=> Python 3.13t: bytecode up to date (2 sources)",
        ]
    );
    fs::remove_dir_all(p.dir.join("lib/python3.12")).unwrap();
    let run = p.run(&["check"]).expect(0);
    assert_eq!(summaries(&run.stdout).len(), 2, "{}", run.stdout);
}

#[test]
fn clean_all_needs_no_interpreter() {
    let p = Prefix::new();
    fs::remove_file(p.dir.join("bin/python3.11")).unwrap();
    let orphans: Vec<PathBuf> = [
        ("3.11", "cpython-311"),
        ("3.12", "cpython-312"),
        ("3.13t", "cpython-313"),
    ]
    .iter()
    .map(|(v, tag)| cache_of(&p.sp(v).join("gone.py"), tag, 1))
    .collect();
    for f in &orphans {
        fs::create_dir_all(f.parent().unwrap()).unwrap();
        fs::write(f, b"x").unwrap();
    }
    let run = p.run(&["clean"]).expect(0);
    assert_eq!(summaries(&run.stdout).len(), 3, "{}", run.stdout);
    for f in &orphans {
        assert!(!f.exists(), "{}", f.display());
    }
}

#[test]
fn json_is_an_array_of_one_report_per_flavor() {
    let p = Prefix::new();
    let run = p.run(&["check", "--json"]).expect(1);
    let reports = run.json();
    let reports = reports.as_array().expect("an array");
    let versions: Vec<&str> = reports
        .iter()
        .map(|r| r["python"]["version"].as_str().unwrap())
        .collect();
    assert_eq!(versions, ["3.11", "3.12", "3.13t"]);
    for r in reports {
        assert_eq!(r["exit_code"], 1);
        assert_eq!(r["sources"], 2);
        assert_eq!(r["command"], "check");
    }
    let sp = Path::new(reports[2]["python"]["site_packages"].as_str().unwrap());
    assert_eq!(sp, p.sp("3.13t"));
}

#[test]
fn a_flavor_that_fails_is_one_line_and_an_entry_in_the_json() {
    let p = Prefix::new();
    // site-packages turned into a file after discovery cannot happen from
    // outside; an unreadable tree is the nearest: a site-packages that is a
    // dangling link is found by name but is no directory.
    let sp = p.sp("3.12");
    fs::remove_dir_all(&sp).unwrap();
    fs::create_dir_all(p.dir.join("bin")).unwrap();
    symlink(p.dir.join("bin/python3.11"), p.dir.join("bin/python3.12")).unwrap();
    let run = p.run(&["check", "--json"]).expect(3);
    let reports = run.json();
    let reports = reports.as_array().unwrap();
    assert_eq!(reports.len(), 3);
    assert_eq!(reports[1]["flavor"], "py312");
    assert_eq!(reports[1]["exit_code"], 3);
    assert!(
        reports[1]["error"]
            .as_str()
            .unwrap()
            .contains("site-packages directory does not exist"),
        "{}",
        reports[1]
    );
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
}

#[test]
fn usage_errors_and_an_empty_prefix() {
    let p = Prefix::new();
    let run = p.run(&["check", "--flavor", "py311"]).expect(2);
    assert!(
        run.stderr.contains("cannot be used with") && run.stderr.contains("--all"),
        "{}",
        run.stderr
    );
    let sp = p.sp("3.11");
    let run = p.run(&["update", sp.to_str().unwrap()]).expect(2);
    assert!(
        run.stderr.contains("--all works on whole site-packages"),
        "{}",
        run.stderr
    );
    assert!(!cache_of(&sp.join("top.py"), "cpython-311", 0).exists());

    let empty = tempfile::tempdir().unwrap();
    let run = pycache(["check", "--all", "--prefix", empty.path().to_str().unwrap()]).expect(0);
    assert_eq!(
        run.stdout.trim(),
        format!(
            ">=> no Python flavor installed under {}",
            empty.path().display()
        )
    );
}
