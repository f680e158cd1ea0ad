//! A flavor of a version the magic table does not know (issue 21, defect
//! 3): its number is read from the bytecode its own Python package
//! installed for the standard library, when no user but root can have made
//! it, so a trigger with nothing to do starts no interpreter; otherwise the
//! interpreter is asked, as the authority it stays.
//!
//! The table is made not to know a version with the debug-build-only
//! `PYCACHE_TEST_FORGET_MAGIC` (src/testing.rs); release builds compile it
//! out (`cfg(debug_assertions)`). Each prefix here holds a real
//! interpreter behind a wrapper that records every start, and real
//! standard library files copied with their pycs (mtimes kept).

mod common;

use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::{Python, Run, bounded, debian_python, importlib_verdicts, pythons};
use pycache::Flavor;

const FORGET: &str = "PYCACHE_TEST_FORGET_MAGIC";

/// The modules whose pycs src/bytecode/magic.rs reads.
const PROBES: [&str; 4] = ["os", "abc", "codecs", "types"];

/// `PREFIX/bin/python3.X` (a wrapper recording each start, then the real
/// interpreter) and `PREFIX/lib/python3.X` (the probe modules of the real
/// standard library with their level-0 pycs, and an empty site-packages).
struct Prefix {
    tmp: tempfile::TempDir,
    prefix: PathBuf,
    stdlib: PathBuf,
    site: PathBuf,
    log: PathBuf,
    python: Python,
}

impl Prefix {
    fn new(python: &Python) -> Prefix {
        let tmp = tempfile::tempdir().unwrap();
        let base = tmp.path().canonicalize().unwrap();
        Prefix::at(tmp, &base.join("local"), python)
    }

    /// The prefix `prefix` (made here) inside `tmp`.
    fn at(tmp: tempfile::TempDir, prefix: &Path, python: &Python) -> Prefix {
        let stdlib = prefix.join("lib").join(python.name());
        let site = stdlib.join("site-packages");
        let log = tmp.path().join("starts.log");
        for dir in [prefix.join("bin"), site.clone(), stdlib.join("__pycache__")] {
            fs::create_dir_all(dir).unwrap();
        }
        // What a package installs: nothing group- or world-writable
        // (whatever the umask of the test run).
        let top = tmp.path().canonicalize().unwrap();
        let mut dir = stdlib.join("__pycache__");
        while dir.starts_with(&top) && dir != top {
            fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
            dir.pop();
        }
        fs::set_permissions(&site, fs::Permissions::from_mode(0o755)).unwrap();
        fs::set_permissions(prefix.join("bin"), fs::Permissions::from_mode(0o755)).unwrap();
        let p = Prefix {
            tmp,
            prefix: prefix.to_path_buf(),
            stdlib,
            site,
            log,
            python: python.clone(),
        };
        p.copy_probes();
        let wrapper = p.prefix.join("bin").join(python.name());
        fs::write(
            &wrapper,
            format!(
                "#!/bin/sh\necho start >> '{}'\nexec '{}' \"$@\"\n",
                p.log.display(),
                python.path.display()
            ),
        )
        .unwrap();
        fs::set_permissions(&wrapper, fs::Permissions::from_mode(0o755)).unwrap();
        p
    }

    /// Copies the probes' sources and level-0 pycs from the interpreter's
    /// own standard library, keeping their modes and mtimes (`cp -p`).
    fn copy_probes(&self) {
        let out = Command::new(&self.python.path)
            .args(["-I", "-c", "import os; print(os.path.dirname(os.__file__))"])
            .output()
            .unwrap();
        let real = PathBuf::from(String::from_utf8(out.stdout).unwrap().trim());
        for probe in PROBES {
            let pyc = self.real_pyc(&real, probe);
            assert!(
                pyc.is_file(),
                "{} is missing: the tests read the standard library's own bytecode; \
                 run `{} -m compileall {}` as root",
                pyc.display(),
                self.python.path.display(),
                real.display()
            );
            cp(&real.join(format!("{probe}.py")), &self.stdlib);
            cp(&pyc, &self.stdlib.join("__pycache__"));
        }
    }

    fn real_pyc(&self, stdlib: &Path, probe: &str) -> PathBuf {
        stdlib
            .join("__pycache__")
            .join(format!("{probe}.{}.pyc", self.python.tag()))
    }

    fn pyc(&self, probe: &str) -> PathBuf {
        self.real_pyc(&self.stdlib, probe)
    }

    fn source(&self, probe: &str) -> PathBuf {
        self.stdlib.join(format!("{probe}.py"))
    }

    fn write(&self, rel: &str, text: &str) -> PathBuf {
        let path = self.site.join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, text).unwrap();
        path
    }

    /// Interpreters started so far through the wrapper.
    fn starts(&self) -> usize {
        fs::read_to_string(&self.log)
            .map(|log| log.lines().count())
            .unwrap_or(0)
    }

    /// `pycache ARGS --flavor pyXY --prefix PREFIX`, the table made not to
    /// know the version when `forget`; fails the test after 60 s.
    fn run(&self, args: &[&str], forget: bool) -> Run {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_pycache"));
        cmd.args(args)
            .arg("--flavor")
            .arg(self.python.flavor())
            .arg("--prefix")
            .arg(&self.prefix);
        if forget {
            cmd.env(FORGET, format!("3.{}", self.python.minor));
        }
        bounded(&mut cmd, Duration::from_secs(60))
    }

    /// Rewrites the number at the start of `pyc`, keeping its mtime (and
    /// so its freshness for its source).
    fn set_number(&self, pyc: &Path, number: u16) {
        let out = Command::new(&self.python.path)
            .args([
                "-I",
                "-c",
                "import os, sys\n\
                 p, n = sys.argv[1], int(sys.argv[2])\n\
                 st = os.stat(p)\n\
                 b = bytearray(open(p, 'rb').read())\n\
                 b[0:2] = n.to_bytes(2, 'little')\n\
                 open(p, 'wb').write(b)\n\
                 os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns))",
            ])
            .arg(pyc)
            .arg(number.to_string())
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
    }

    /// Compiles every probe again with `mode` (py_compile's invalidation
    /// mode, `CHECKED_HASH` or `UNCHECKED_HASH`).
    fn recompile_probes(&self, mode: &str) {
        for probe in PROBES {
            let out = Command::new(&self.python.path)
                .args([
                    "-I",
                    "-c",
                    &format!(
                        "import py_compile, sys\n\
                         py_compile.compile(sys.argv[1], cfile=sys.argv[2], doraise=True, \
                         invalidation_mode=py_compile.PycInvalidationMode.{mode})"
                    ),
                ])
                .arg(self.source(probe))
                .arg(self.pyc(probe))
                .output()
                .unwrap();
            assert!(out.status.success(), "{out:?}");
        }
    }

    /// The table's number of this version, as the report spells it.
    fn table_hex(&self) -> String {
        let magic = Flavor::parse(&self.python.flavor())
            .unwrap()
            .magic()
            .unwrap();
        magic.iter().map(|b| format!("{b:02x}")).collect()
    }
}

fn cp(from: &Path, to_dir: &Path) {
    let status = Command::new("cp")
        .arg("-p")
        .arg(from)
        .arg(to_dir)
        .status()
        .unwrap();
    assert!(
        status.success(),
        "cp -p {} {}",
        from.display(),
        to_dir.display()
    );
}

fn chown(owner: &str, path: &Path) {
    let status = Command::new("chown").arg(owner).arg(path).status().unwrap();
    assert!(status.success(), "chown {owner} {}", path.display());
}

#[test]
fn the_table_is_each_interpreters_own_number() {
    for python in pythons() {
        let out = Command::new(&python.path)
            .args([
                "-I",
                "-c",
                "import importlib.util; print(importlib.util.MAGIC_NUMBER.hex())",
            ])
            .output()
            .unwrap();
        let own = String::from_utf8(out.stdout).unwrap().trim().to_string();
        let table: String = Flavor::parse(&python.flavor())
            .unwrap()
            .magic()
            .unwrap_or_else(|| panic!("the table does not know {python:?}"))
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(table, own, "{python:?}");
    }
}

#[test]
fn an_unknown_version_is_read_from_its_stdlib_and_a_no_op_starts_nothing() {
    for python in pythons() {
        let p = Prefix::new(&python);
        let sources = [
            p.write("pkg/__init__.py", "from .mod import f\n"),
            p.write("pkg/mod.py", "def f():\n    assert True\n    return 1\n"),
            p.write("top.py", "'''Doc.'''\nVALUE = 42\n"),
        ];
        // The first run compiles: one worker, and no interpreter asked.
        let out = p
            .run(&["update", "--json", "-j", "1"], true)
            .expect(0)
            .json();
        assert_eq!(out["python"]["magic_from"], "stdlib", "{python:?}: {out}");
        assert_eq!(out["python"]["magic"], p.table_hex().as_str(), "{out}");
        assert_eq!(out["compiled"].as_array().unwrap().len(), 3, "{out}");
        assert_eq!(out["interpreters_started"], 1, "{out}");
        assert_eq!(p.starts(), 1, "{python:?}: {out}");
        for level in [0, 1, 2] {
            assert_eq!(importlib_verdicts(&python, level, &sources), ["fresh"; 3]);
        }

        // Nothing to do: no interpreter starts, whatever the command.
        let touched = p.tmp.path().join("touched");
        fs::write(&touched, format!("{}\0", p.site.join("pkg").display())).unwrap();
        let touched = touched.to_str().unwrap();
        for args in [
            &["check", "--json"][..],
            &["update", "--json"][..],
            &["update", "--json", "--dirs-from", touched][..],
        ] {
            let out = p.run(args, true).expect(0).json();
            assert_eq!(out["python"]["magic_from"], "stdlib", "{args:?}: {out}");
            assert_eq!(out["interpreters_started"], 0, "{args:?}: {out}");
            assert_eq!(out["sources"], if args.len() > 2 { 2 } else { 3 });
        }
        assert_eq!(
            p.starts(),
            1,
            "{python:?}: a run with nothing to do started Python"
        );

        // The same verdicts as with the table: a missing, a stale and an
        // orphaned pyc.
        p.write("new.py", "N = 1\n");
        p.write("top.py", "'''Doc.'''\nVALUE = 43\n\n");
        fs::remove_file(&sources[1]).unwrap();
        let learned = p.run(&["check", "--json"], true).expect(1).json();
        let table = p.run(&["check", "--json"], false).expect(1).json();
        for key in [
            "sources",
            "fresh",
            "to_compile",
            "orphans",
            "empty_dirs",
            "exit_code",
        ] {
            assert_eq!(learned[key], table[key], "{python:?} {key}");
        }
        assert_eq!(learned["python"]["magic"], table["python"]["magic"]);
        assert_eq!(table["python"]["magic_from"], "table");
        assert_eq!(
            learned["to_compile"].as_array().unwrap().len(),
            2,
            "{learned}"
        );
        assert_eq!(learned["orphans"].as_array().unwrap().len(), 3, "{learned}");
        assert_eq!(p.starts(), 1, "{python:?}");
        p.run(&["update", "-q"], true).expect(0);
        let left = [
            sources[0].clone(),
            sources[2].clone(),
            p.site.join("new.py"),
        ];
        for level in [0, 1, 2] {
            assert_eq!(importlib_verdicts(&python, level, &left), ["fresh"; 3]);
        }
    }
}

#[test]
fn stdlib_bytecode_anyone_but_root_could_have_made_is_not_believed() {
    // Each case damages the evidence in one way; the interpreter is then
    // asked (one start, said in -v), never hangs, and the verdicts stay
    // right. A checked-hash standard library is believed.
    let python = debian_python();
    type Damage = fn(&Prefix);
    let cases: [(&str, Damage, &str); 14] = [
        (
            "a pyc owned by nobody",
            |p| chown("nobody", &p.pyc("os")),
            "os.cpython-311.pyc: owned by uid",
        ),
        (
            "a pyc in group nogroup, group-writable",
            |p| {
                chown("root:nogroup", &p.pyc("abc"));
                fs::set_permissions(p.pyc("abc"), fs::Permissions::from_mode(0o664)).unwrap();
            },
            "abc.cpython-311.pyc: writable by group or others (mode 664)",
        ),
        (
            "a source owned by nobody",
            |p| chown("nobody", &p.source("codecs")),
            "codecs.py: owned by uid",
        ),
        (
            "a world-writable standard library",
            |p| fs::set_permissions(&p.stdlib, fs::Permissions::from_mode(0o777)).unwrap(),
            "python3.11: writable by group or others (mode 777)",
        ),
        (
            "a directory on the way owned by nobody",
            |p| chown("nobody", &p.prefix.join("lib")),
            "/local/lib: owned by uid",
        ),
        (
            "a symlinked __pycache__",
            |p| {
                let real = p.stdlib.join("cache.real");
                fs::rename(p.stdlib.join("__pycache__"), &real).unwrap();
                symlink(&real, p.stdlib.join("__pycache__")).unwrap();
            },
            "__pycache__: a symlink or not a directory",
        ),
        (
            "a symlinked pyc",
            |p| {
                let real = p.stdlib.join("os.pyc.real");
                fs::rename(p.pyc("os"), &real).unwrap();
                symlink(&real, p.pyc("os")).unwrap();
            },
            "os.cpython-311.pyc: a symlink",
        ),
        (
            "probes that disagree",
            |p| p.set_number(&p.pyc("codecs"), 3494),
            "the probes disagree",
        ),
        (
            "a FIFO in place of a pyc",
            |p| {
                fs::remove_file(p.pyc("types")).unwrap();
                let status = Command::new("mkfifo").arg(p.pyc("types")).status().unwrap();
                assert!(status.success());
            },
            "types.cpython-311.pyc: not a regular file",
        ),
        (
            "a pyc stale for its source",
            |p| {
                let mut text = fs::read_to_string(p.source("abc")).unwrap();
                text.push_str("\n# edited\n");
                fs::write(p.source("abc"), text).unwrap();
            },
            "abc.cpython-311.pyc: not fresh for its source (source",
        ),
        (
            "unchecked-hash pycs",
            |p| p.recompile_probes("UNCHECKED_HASH"),
            "an unchecked-hash pyc, never compared with its source",
        ),
        (
            "a single probe",
            |p| {
                for probe in ["os", "abc", "codecs"] {
                    fs::remove_file(p.pyc(probe)).unwrap();
                }
            },
            "1 of the pycs of os, abc, codecs, types found, 2 needed",
        ),
        (
            "no __pycache__",
            |p| fs::remove_dir_all(p.stdlib.join("__pycache__")).unwrap(),
            "__pycache__: no such directory",
        ),
        (
            "a pyc that is not one",
            |p| fs::write(p.pyc("os"), "not a pyc at all").unwrap(),
            "os.cpython-311.pyc: not a pyc header",
        ),
    ];
    for (case, damage, why) in cases {
        let p = Prefix::new(&python);
        p.write("m.py", "X = 1\n");
        p.run(&["update", "-q"], false).expect(0);
        damage(&p);
        let before = p.starts();
        let out = p.run(&["check", "--json", "-v"], true).expect(0).json();
        assert_eq!(out["python"]["magic_from"], "interpreter", "{case}: {out}");
        assert_eq!(out["python"]["magic"], p.table_hex().as_str(), "{case}");
        assert_eq!(out["interpreters_started"], 1, "{case}: {out}");
        assert_eq!(p.starts(), before + 1, "{case}");
        let notes = out["notes"].to_string();
        assert!(
            notes.contains("the standard library's bytecode was not used") && notes.contains(why),
            "{case}: {notes}"
        );
    }

    // A checked-hash standard library (what py_compile writes when
    // SOURCE_DATE_EPOCH is set) is checked by its hash, and believed.
    let p = Prefix::new(&python);
    p.write("m.py", "X = 1\n");
    p.run(&["update", "-q"], false).expect(0);
    p.recompile_probes("CHECKED_HASH");
    let before = p.starts();
    let out = p.run(&["check", "--json"], true).expect(0).json();
    assert_eq!(out["python"]["magic_from"], "stdlib", "{out}");
    assert_eq!(p.starts(), before);
    // ... and one whose source changed is not.
    fs::write(p.source("types"), "# another source of the same size?\n").unwrap();
    let out = p.run(&["check", "--json", "-v"], true).expect(0).json();
    assert_eq!(out["python"]["magic_from"], "interpreter", "{out}");
    assert!(
        out["notes"].to_string().contains("source hash changed"),
        "{out}"
    );
}

#[test]
fn the_interpreter_overrules_a_learned_number_and_the_number_follows_upgrades() {
    let python = debian_python();
    let p = Prefix::new(&python);
    let kept = p.write("m.py", "X = 1\n");
    p.run(&["update", "-q"], false).expect(0);
    // Every probe says 3494 (as a pre-release's would): believed, so
    // `check`, which starts nothing, judges with it.
    for probe in PROBES {
        p.set_number(&p.pyc(probe), 3494);
    }
    let before = p.starts();
    let out = p.run(&["check", "--json"], true).expect(1).json();
    assert_eq!(out["python"]["magic"], "a60d0d0a", "{out}");
    assert_eq!(out["python"]["magic_from"], "stdlib", "{out}");
    assert_eq!(
        out["to_compile"][0]["levels"][0]["reason"],
        "wrong magic number"
    );
    assert_eq!(p.starts(), before);
    // `update` meets the interpreter: its worker greets with its own
    // number, the tree is judged again with it, and only what that finds
    // is compiled.
    let added = p.write("n.py", "N = 1\n");
    let out = p.run(&["update", "--json"], true).expect(0).json();
    assert!(
        out["warnings"].to_string().contains(
            "magic number a70d0d0a (3495) differs from a60d0d0a (3494) of its standard \
             library's bytecode; judged again with the interpreter's"
        ),
        "{out}"
    );
    assert_eq!(out["python"]["magic"], "a70d0d0a", "{out}");
    assert_eq!(out["python"]["magic_from"], "interpreter", "{out}");
    let compiled: Vec<&str> = out["compiled"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["path"].as_str().unwrap())
        .collect();
    assert_eq!(compiled, [added.to_str().unwrap()], "{out}");
    assert_eq!(out["interpreters_started"], 2, "{out}");
    for level in [0, 1, 2] {
        assert_eq!(
            importlib_verdicts(&python, level, &[kept.clone(), added.clone()]),
            ["fresh"; 2]
        );
    }
    // An upgrade of the Python package replaces its bytecode: the number
    // follows, and nothing starts again.
    p.copy_probes();
    let before = p.starts();
    let out = p.run(&["update", "--json"], true).expect(0).json();
    assert_eq!(out["python"]["magic"], "a70d0d0a", "{out}");
    assert_eq!(out["python"]["magic_from"], "stdlib", "{out}");
    assert_eq!(out["interpreters_started"], 0, "{out}");
    assert_eq!(p.starts(), before);
}

#[test]
fn a_staged_root_is_read_below_the_root() {
    // `pkg -r ROOT`: the image's own standard library tells the number; the
    // compiling interpreter is the host's.
    let python = debian_python();
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().canonicalize().unwrap().join("stage");
    let p = Prefix::at(tmp, &root.join("usr/local"), &python);
    let source = p.write("m.py", "X = 1\n");
    let wrapper = p.prefix.join("bin").join(python.name());
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pycache"));
    cmd.args(["update", "--json", "--flavor", "py311", "--root"])
        .arg(&root)
        .arg("--python")
        .arg(&wrapper)
        .env(FORGET, "3.11");
    let out = bounded(&mut cmd, Duration::from_secs(60)).expect(0).json();
    assert_eq!(out["python"]["magic_from"], "stdlib", "{out}");
    assert_eq!(out["interpreters_started"], 1, "{out}");
    assert_eq!(importlib_verdicts(&python, 0, &[source]), ["fresh"]);
}
