//! `--python NAME` is looked up in `PATH` once, by the engine, and the file
//! found is what every interpreter pycache starts runs (issue 21, defect
//! 4). Compile workers start with an empty environment: a bare name handed
//! to them was searched in the C library's default path, which on FreeBSD
//! (`/usr/bin:/bin`) has no ports Python. Here a name only `PATH` reaches
//! stands for that.

mod common;

use std::ffi::OsString;
use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{Run, Tree, debian_python, importlib_verdicts};

/// A directory holding `mypython3.11`, a link to the Debian interpreter.
fn bin_dir(tree: &Tree) -> PathBuf {
    let bin = tree.tmp.path().canonicalize().unwrap().join("onpath");
    fs::create_dir_all(&bin).unwrap();
    symlink(&tree.python.path, bin.join("mypython3.11")).unwrap();
    bin
}

/// `PATH` with `first` in front of the test's own.
fn path_with(first: &Path) -> OsString {
    let mut path = OsString::from(first);
    path.push(":");
    path.push(std::env::var_os("PATH").unwrap_or_default());
    path
}

fn pycache(args: &[&str], path: Option<&OsString>, cwd: Option<&Path>) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pycache"));
    cmd.args(args);
    match path {
        Some(path) => cmd.env("PATH", path),
        None => cmd.env_remove("PATH"),
    };
    if let Some(cwd) = cwd {
        cmd.current_dir(cwd);
    }
    Run::of(cmd.output().unwrap())
}

#[test]
fn a_name_only_path_reaches_is_resolved_once_and_shown() {
    let python = debian_python();
    let tree = Tree::new(&python);
    let bin = bin_dir(&tree);
    let path = path_with(&bin);
    let prefix = tree.prefix.to_str().unwrap();
    let site = tree.site.to_str().unwrap();
    let resolved = bin.join("mypython3.11");

    // With a flavor: the workers run the file PATH has.
    let first = tree.write("first.py", "F = 1\n");
    let out = pycache(
        &[
            "update",
            "--json",
            "--python",
            "mypython3.11",
            "--flavor",
            "py311",
            "--prefix",
            prefix,
        ],
        Some(&path),
        None,
    )
    .expect(0)
    .json();
    assert_eq!(
        out["python"]["interpreter"],
        resolved.to_str().unwrap(),
        "{out}"
    );
    assert_eq!(out["compiled"].as_array().unwrap().len(), 1, "{out}");
    let notes = out["notes"].to_string();
    assert!(
        notes.contains(&format!(
            "interpreter mypython3.11: {} (found on PATH)",
            resolved.display()
        )),
        "{notes}"
    );
    let run = pycache(
        &[
            "check",
            "-v",
            "--python",
            "mypython3.11",
            "--flavor",
            "py311",
            "--prefix",
            prefix,
        ],
        Some(&path),
        None,
    )
    .expect(0);
    assert!(
        run.stdout.contains(&format!(
            "note: interpreter mypython3.11: {}",
            resolved.display()
        )),
        "{}",
        run.stdout
    );

    // Without a flavor: the name is asked, then the workers run what it
    // said it is.
    let second = tree.write("second.py", "S = 1\n");
    let out = pycache(
        &[
            "update",
            "--json",
            "--python",
            "mypython3.11",
            "--site-packages",
            site,
        ],
        Some(&path),
        None,
    )
    .expect(0)
    .json();
    assert_eq!(out["python"]["tag"], "cpython-311", "{out}");
    assert_eq!(out["compiled"].as_array().unwrap().len(), 1, "{out}");
    let note = format!(
        "interpreter mypython3.11: {} (found on PATH)",
        resolved.display()
    );
    assert!(out["notes"].to_string().contains(&note), "{out}");
    for level in [0, 1, 2] {
        assert_eq!(
            importlib_verdicts(&python, level, &[first.clone(), second.clone()]),
            ["fresh"; 2]
        );
    }

    // A relative path is a path, taken from the working directory.
    tree.write("third.py", "T = 1\n");
    let out = pycache(
        &[
            "update",
            "--json",
            "--python",
            "./mypython3.11",
            "--flavor",
            "py311",
            "--prefix",
            prefix,
        ],
        Some(&OsString::from("/nonexistent")),
        Some(&bin),
    )
    .expect(0)
    .json();
    assert_eq!(
        out["python"]["interpreter"],
        resolved.to_str().unwrap(),
        "{out}"
    );
    assert_eq!(out["compiled"].as_array().unwrap().len(), 1, "{out}");
}

#[test]
fn a_name_found_nowhere_says_so_naming_path() {
    let python = debian_python();
    let tree = Tree::new(&python);
    let bin = bin_dir(&tree);
    let prefix = tree.prefix.to_str().unwrap();
    let site = tree.site.to_str().unwrap();
    tree.write("m.py", "M = 1\n");
    let path = OsString::from("/nonexistent:/usr/sbin");
    let searched =
        "no executable file of that name in any directory of PATH (/nonexistent:/usr/sbin)";

    // With a flavor, cleaning needs no interpreter; compiling does.
    let run = pycache(
        &[
            "update",
            "--python",
            "mypython3.11",
            "--flavor",
            "py311",
            "--prefix",
            prefix,
        ],
        Some(&path),
        None,
    )
    .expect(3);
    assert!(
        run.stderr.contains(&format!(
            "pycache: mypython3.11: interpreter not found; {searched}"
        )),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("1 source(s) not compiled"),
        "{}",
        run.stderr
    );
    // Without one, nothing can be done.
    let run = pycache(
        &[
            "check",
            "--json",
            "--python",
            "mypython3.11",
            "--site-packages",
            site,
        ],
        Some(&path),
        None,
    )
    .expect(3);
    let out = run.json();
    assert_eq!(out["kind"], "interpreter_not_found", "{out}");
    assert!(out["error"].as_str().unwrap().contains(searched), "{out}");

    // An empty entry is not the working directory (pycache runs as
    // root), and the message says so.
    let run = pycache(
        &[
            "update",
            "--python",
            "mypython3.11",
            "--flavor",
            "py311",
            "--prefix",
            prefix,
        ],
        Some(&OsString::from(":/nonexistent")),
        Some(&bin),
    )
    .expect(3);
    assert!(
        run.stderr
            .contains("its empty and relative entries are not searched"),
        "{}",
        run.stderr
    );
    // Nor is anything searched when PATH is unset.
    let run = pycache(
        &[
            "update",
            "--python",
            "mypython3.11",
            "--flavor",
            "py311",
            "--prefix",
            prefix,
        ],
        None,
        Some(&bin),
    )
    .expect(3);
    assert!(run.stderr.contains("PATH is not set"), "{}", run.stderr);
    assert!(!tree.cache("m.py", 0).exists());
}
