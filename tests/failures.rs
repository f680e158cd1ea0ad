//! Invariants: a source that fails to compile (or hangs, or crashes its
//! worker) is reported and skipped while the rest compiles; a missing
//! interpreter still lets cleaning run and is reported in plain words; an
//! unreadable directory is reported and the rest processed.

mod common;

use std::fs;

use common::{
    LEVELS, Tree, cache_of, debian_python, importlib_verdicts, populate, pythons, running_as_root,
    walk_all,
};

#[test]
fn a_syntax_error_is_reported_and_the_rest_compiles() {
    for python in pythons() {
        let tree = Tree::new(&python);
        let sources = populate(&tree);
        tree.write("py2only.py", "print 'hello'\n");
        let out = tree.pycache(&["update"]).expect(1);
        let line = out
            .stdout
            .lines()
            .find(|l| l.contains("py2only.py"))
            .unwrap_or_else(|| panic!("{}", out.stdout));
        assert!(
            line.starts_with("pycache: /")
                && line.contains("SyntaxError")
                && line.contains("(line 1)"),
            "{line}"
        );
        assert!(
            out.stdout
                .contains("wrote 12 pycs (4 .pyc, 4 .opt-1.pyc, 4 .opt-2.pyc) for 4 sources in"),
            "{}",
            out.stdout
        );
        for level in LEVELS {
            assert_eq!(importlib_verdicts(&python, level, &sources), ["fresh"; 4]);
        }
    }
}

#[test]
fn a_missing_interpreter_still_cleans_and_says_so() {
    let python = debian_python();
    let tree = Tree::new(&python);
    populate(&tree);
    tree.pycache(&["update"]).expect(0);
    fs::remove_file(tree.site.join("pkg/mod.py")).unwrap();
    tree.write("new.py", "N = 1\n");
    fs::remove_file(tree.prefix.join("bin/python3.11")).unwrap();
    let out = tree.pycache(&["update"]).expect(3);
    assert!(!tree.cache("pkg/mod.py", 0).exists(), "orphan not removed");
    assert!(
        out.stdout.contains("removed 3 orphaned files"),
        "{}",
        out.stdout
    );
    // The line of what kept the run from finishing goes to stderr, as
    // every fatal error's does, saying what to do.
    assert!(
        out.stderr.starts_with("pycache: ")
            && out
                .stderr
                .contains("bin/python3.11: interpreter not found; 1 source(s) not compiled")
            && out.stderr.ends_with(
                "cleaning was still done; unless the Python 3.11 package is being removed, \
                 reinstall it\n"
            )
            && out.stderr.lines().count() == 1,
        "{}",
        out.stderr
    );
    assert!(!out.stdout.contains("not found"), "{}", out.stdout);
    tree.pycache(&["clean"]).expect(0);
    // Nothing to compile: a missing interpreter is no error at all.
    fs::remove_file(tree.site.join("new.py")).unwrap();
    tree.pycache(&["update"]).expect(0);
    // And --python pointing nowhere is an environment error.
    let run = common::pycache(["check", "--python", "/nonexistent/python3.11"]).expect(3);
    assert!(
        run.stderr
            .contains("/nonexistent/python3.11: interpreter not found"),
        "{}",
        run.stderr
    );
}

#[test]
fn an_unreadable_directory_is_reported_and_the_rest_processed() {
    let python = debian_python();
    let tree = Tree::new(&python);
    populate(&tree);
    let locked = tree.write("locked/inner.py", "I = 1\n");
    let locked_dir = locked.parent().unwrap().to_path_buf();
    // One more, deep inside a package whose other files must still compile.
    let deep = tree.write("pkg/sub/deeper/locked/x.py", "X = 1\n");
    let deep_dir = deep.parent().unwrap().to_path_buf();
    tree.write("pkg/sub/deeper/ok.py", "OK = 1\n");
    // Root reads everything: run as nobody, owning the tree, when we are root.
    let is_root = running_as_root();
    for p in walk_all(tree.tmp.path()) {
        if is_root {
            std::os::unix::fs::lchown(&p, Some(65534), Some(65534)).unwrap();
        }
    }
    let mut perms = fs::metadata(&locked_dir).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o000);
    fs::set_permissions(&locked_dir, perms.clone()).unwrap();
    fs::set_permissions(&deep_dir, perms).unwrap();
    let mut cmd = if is_root {
        let mut c = std::process::Command::new("setpriv");
        c.args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            env!("CARGO_BIN_EXE_pycache"),
        ]);
        c
    } else {
        std::process::Command::new(env!("CARGO_BIN_EXE_pycache"))
    };
    cmd.args([
        "update",
        "--python",
        "/usr/bin/python3.11",
        "--site-packages",
    ])
    .arg(&tree.site);
    let out = common::Run::of(
        cmd.output()
            .expect("setpriv (util-linux) is needed to drop root"),
    )
    .expect(1);
    for dir in [&locked_dir, &deep_dir] {
        let line = format!("pycache: {}: cannot read directory", dir.display());
        assert!(out.stdout.contains(&line), "{}", out.stdout);
    }
    assert!(out.stdout.contains("for 5 sources in"), "{}", out.stdout);
    assert!(out.stdout.contains("2 failed"), "{}", out.stdout);
    let mut perms = fs::metadata(&tree.site).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    fs::set_permissions(&locked_dir, perms.clone()).unwrap();
    fs::set_permissions(&deep_dir, perms).unwrap();
}

#[test]
fn a_hanging_or_crashing_file_is_reported_and_the_pool_goes_on() {
    let python = debian_python();
    let tree = Tree::new(&python);
    let sources = populate(&tree);
    tree.write("crash_me.py", "C = 1\n");
    tree.write("hang_me.py", "H = 1\n");
    // An interpreter that dies or hangs on some files: the real worker,
    // with the compile step wrapped.
    let wrapper = tree.prefix.join("bin/python3.11");
    fs::remove_file(&wrapper).unwrap();
    fs::write(
        &wrapper,
        r#"#!/bin/sh
# the worker program follows -c, its mode follows the program
while [ "$#" -gt 0 ] && [ "$1" != -c ]; do shift; done
exec /usr/bin/python3.11 -I -S -B -X utf8 -u -c "
import builtins, os, time
real = builtins.compile
def compile(source, path, *args, **kwargs):
    if 'crash_me' in str(path):
        os.kill(os.getpid(), 9)
    if 'hang_me' in str(path):
        time.sleep(30)
    return real(source, path, *args, **kwargs)
builtins.compile = compile
$2" "$3"
"#,
    )
    .unwrap();
    let mut perms = fs::metadata(&wrapper).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    fs::set_permissions(&wrapper, perms).unwrap();
    for jobs in ["1", "2"] {
        let out = tree
            .pycache(&["update", "--timeout", "2", "-j", jobs, "--json"])
            .expect(1)
            .json();
        let failures = out["failures"].as_array().unwrap();
        assert_eq!(failures.len(), 2, "{out}");
        assert!(
            failures[0]["path"]
                .as_str()
                .unwrap()
                .ends_with("crash_me.py")
        );
        assert!(
            failures[0]["reason"]
                .as_str()
                .unwrap()
                .contains("compile worker crashed (signal: 9"),
            "{out}"
        );
        assert!(
            failures[1]["path"]
                .as_str()
                .unwrap()
                .ends_with("hang_me.py")
        );
        assert_eq!(
            failures[1]["reason"],
            "timed out after 2 s; worker restarted"
        );
        assert!(out["interpreters_started"].as_u64().unwrap() >= 2, "{out}");
        for level in LEVELS {
            assert_eq!(importlib_verdicts(&python, level, &sources), ["fresh"; 4]);
        }
        for s in &sources {
            for level in LEVELS {
                fs::remove_file(cache_of(s, &python.tag(), level)).unwrap();
            }
        }
    }
    // No worker is left behind (their command line carries the wrapper's code).
    let ps = std::process::Command::new("ps")
        .args(["-eo", "args"])
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&ps.stdout).contains("'hang_me' in str(path)"));
}
