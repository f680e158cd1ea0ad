//! Packages without bytecode, the standard library (issue 28): a real
//! CPython's standard library shipped as sources only, laid out as
//! `PREFIX/lib/pythonX.Y`, gets from one `update --stdlib` everything
//! CPython's own install would compile, at every level, byte for byte what
//! that CPython's `py_compile` writes in a fresh interpreter; what the
//! install leaves uncompiled on purpose is neither compiled nor reported.

mod common;

use std::collections::BTreeSet;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{LEVELS, Python, cache_of, debian_python, pythons, run_with_stdin};

/// The standard library of `python` (`sysconfig`'s `stdlib`).
fn stdlib_of(python: &Python) -> PathBuf {
    let out = Command::new(&python.path)
        .args([
            "-I",
            "-S",
            "-c",
            "import sysconfig; print(sysconfig.get_paths()['stdlib'])",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{python:?}");
    PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
}

/// A prefix holding a copy of `python`'s standard library as a port would
/// ship it without bytecode: `lib/python3.X` with its sources and data
/// (links copied as files, no `__pycache__`, nothing of site-packages or
/// dist-packages but an empty site-packages), and `bin/python3.X`.
struct Shipped {
    _tmp: tempfile::TempDir,
    prefix: PathBuf,
    lib: PathBuf,
}

fn ship(python: &Python) -> Shipped {
    let tmp = tempfile::tempdir().unwrap();
    let prefix = tmp.path().canonicalize().unwrap().join("local");
    let lib = prefix.join("lib").join(python.name());
    let from = stdlib_of(python);
    for entry in walkdir::WalkDir::new(&from)
        .follow_links(true)
        .into_iter()
        .filter_entry(|e| {
            let name = e.file_name().as_bytes();
            name != b"__pycache__" && name != b"site-packages" && name != b"dist-packages"
        })
    {
        let Ok(entry) = entry else { continue };
        let to = lib.join(entry.path().strip_prefix(&from).unwrap());
        if entry.file_type().is_dir() {
            fs::create_dir_all(&to).unwrap();
        } else if entry.file_type().is_file() {
            fs::copy(entry.path(), &to).unwrap();
        }
    }
    fs::create_dir_all(lib.join("site-packages")).unwrap();
    fs::create_dir_all(prefix.join("bin")).unwrap();
    std::os::unix::fs::symlink(&python.path, prefix.join("bin").join(python.name())).unwrap();
    Shipped {
        _tmp: tmp,
        prefix,
        lib,
    }
}

/// The sources of the standard library `lib`, outside site-packages.
fn sources(lib: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = walkdir::WalkDir::new(lib)
        .into_iter()
        .filter_entry(|e| e.path() != lib.join("site-packages"))
        .map(|e| e.unwrap().into_path())
        .filter(|p| p.extension().is_some_and(|x| x == "py") && p.is_file())
        .collect();
    found.sort();
    found
}

/// Whether CPython 3.`minor`'s own install leaves `rel` uncompiled: the
/// `-x` expressions of its Makefile's `libinstall`, written out again here
/// from the installed Makefiles, so that the engine's table is checked
/// against an independent copy.
fn cpython_skips(minor: u8, rel: &str) -> bool {
    let words: &[&str] = match minor {
        ..=11 => &["bad_coding", "badsyntax", "lib2to3/tests/data"],
        12 => &["bad_coding", "badsyntax", "test/test_lib2to3/data"],
        _ => &["bad_coding", "badsyntax"],
    };
    words.iter().any(|w| rel.contains(w))
}

/// Compares each (source, level, cache file) with what `py_compile` writes
/// for the source at that level, recording the source's own path. From
/// 3.11 on the bytes must be equal: one interpreter per level does most
/// files, and a file that differs there is compiled again by a fresh
/// interpreter of its own, whose bytes decide (3.12 marshals a source
/// compiled earlier in the same process to other bytes,
/// src/run/compile/worker.py). Before 3.11 `py_compile` itself writes other
/// bytes from one process to the next (set order follows the hash seed, and
/// marshal marks what other loaded modules also reference), so there every
/// header must be `py_compile`'s, and for one file in ten the code object
/// must equal `compile()`'s (tests/bytecode_oracle.rs checks code equality
/// on the sources that are hard to compile right). Returns what still
/// differs.
fn differ_from_py_compile(python: &Python, cases: &[(PathBuf, u8, PathBuf)]) -> Vec<String> {
    const ORACLE: &str = r#"
# No module beyond py_compile's own: one that interns a string a source also
# holds changes how marshal writes it (tempfile imports weakref, whose
# "finalize._Info" then makes 3.13's weakref.py marshal to other bytes).
import marshal, os, sys, py_compile, types

def norm(v):
    # Code compared field by field; floats by their bits (NaN is not equal
    # to itself); sets in a fixed order.
    if isinstance(v, types.CodeType):
        return tuple(norm(getattr(v, a)) for a in sorted(dir(v))
                     if a.startswith("co_") and a not in ("co_lines", "co_positions", "co_lnotab"))
    if isinstance(v, float):
        return ("float", v.hex())
    if isinstance(v, complex):
        return ("complex", v.real.hex(), v.imag.hex())
    if isinstance(v, tuple):
        return tuple(norm(x) for x in v)
    if isinstance(v, frozenset):
        return ("frozenset", tuple(sorted((norm(x) for x in v), key=repr)))
    return (type(v).__name__, v)

fields = sys.stdin.buffer.read().split(b"\0")
out = sys.argv[1]
header = 12 if sys.version_info < (3, 7) else 16
exact = sys.version_info >= (3, 11)
try:
    from importlib._bootstrap_external import _code_to_timestamp_pyc as to_pyc
except ImportError:
    from importlib._bootstrap_external import _code_to_bytecode as to_pyc
empty = compile(b"", "", "exec", dont_inherit=True)
for n, i in enumerate(range(0, len(fields) - 1, 3)):
    src, level, cfile = os.fsdecode(fields[i]), int(fields[i + 1]), os.fsdecode(fields[i + 2])
    with open(cfile, "rb") as b:
        got = b.read()
    if exact:
        py_compile.compile(src, cfile=out, dfile=src, doraise=True, optimize=level)
        with open(out, "rb") as a:
            want = a.read()
    else:
        # py_compile's header, without compiling: the bytes that do not vary.
        st = os.stat(src)
        want = to_pyc(empty, st.st_mtime, st.st_size)[:header]
        same = got[:header] == want
        if same and n % 10 == 0:
            with open(src, "rb") as f:
                code = compile(f.read(), src, "exec", dont_inherit=True, optimize=level)
            same = norm(marshal.loads(got[header:])) == norm(code)
            want = want + marshal.dumps(code)
        if same:
            continue
    if want != got:
        at = next((j for j in range(min(len(want), len(got))) if want[j] != got[j]), min(len(want), len(got)))
        detail = "%d and %d bytes, first difference at %d: py_compile %s, pycache %s" % (
            len(want), len(got), at, want[max(0, at - 16):at + 16].hex(), got[max(0, at - 16):at + 16].hex())
        sys.stdout.buffer.write(fields[i] + b"\0" + fields[i + 1] + b"\0" + detail.encode() + b"\0")
if os.path.exists(out):
    os.unlink(out)
"#;
    let run = |cases: &[&(PathBuf, u8, PathBuf)]| -> Vec<(PathBuf, u8, String)> {
        let mut input = Vec::new();
        for (src, level, cfile) in cases {
            for field in [
                src.as_os_str().as_bytes(),
                level.to_string().as_bytes(),
                cfile.as_os_str().as_bytes(),
            ] {
                input.extend_from_slice(field);
                input.push(0);
            }
        }
        let scratch = tempfile::tempdir().unwrap();
        let out = run_with_stdin(
            Command::new(&python.path)
                .args(["-I", "-S", "-c", ORACLE])
                .arg(scratch.path().join("py_compile.pyc"))
                .env_remove("SOURCE_DATE_EPOCH"),
            &input,
        );
        assert!(
            out.status.success(),
            "{python:?}: py_compile failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let fields: Vec<&[u8]> = out.stdout.split(|&b| b == 0).collect();
        fields
            .chunks(3)
            .filter(|c| c.len() == 3)
            .map(|c| {
                let src = PathBuf::from(std::ffi::OsStr::from_bytes(c[0]));
                let level = std::str::from_utf8(c[1]).unwrap().parse().unwrap();
                (src, level, String::from_utf8_lossy(c[2]).into_owned())
            })
            .collect()
    };
    // One interpreter per level, side by side.
    let first: Vec<(PathBuf, u8, String)> = std::thread::scope(|scope| {
        let runs: Vec<_> = LEVELS
            .map(|level| {
                let run = &run;
                scope.spawn(move || {
                    let of_level: Vec<_> = cases.iter().filter(|c| c.1 == level).collect();
                    run(&of_level)
                })
            })
            .into_iter()
            .collect();
        runs.into_iter().flat_map(|r| r.join().unwrap()).collect()
    });
    // More than a few is a systematic difference, not 3.12's: no need to
    // start an interpreter for each to show it.
    if first.len() > 20 {
        return first
            .iter()
            .map(|(src, level, _)| format!("{} level {level}", src.display()))
            .collect();
    }
    let mut still = Vec::new();
    for (src, level, _) in first {
        let case = cases.iter().find(|c| c.0 == src && c.1 == level).unwrap();
        if let Some((_, _, detail)) = run(&[case]).pop() {
            still.push(format!("{} level {level}: {detail}", src.display()));
        }
    }
    still
}

#[test]
fn a_standard_library_shipped_as_sources_gets_what_cpython_would_compile() {
    for python in pythons() {
        let shipped = ship(&python);
        let update = || {
            let out = Command::new(env!("CARGO_BIN_EXE_pycache"))
                .args(["update", "--stdlib", "--no-config", "--json-summary"])
                .args(["--flavor", &python.flavor()])
                .arg("--prefix")
                .arg(&shipped.prefix)
                .output()
                .unwrap();
            common::Run::of(out).expect(0).json()
        };
        let report = update();
        assert_eq!(report["failures"], serde_json::json!([]), "{python:?}");
        assert_eq!(
            report["python"]["stdlib"],
            shipped.lib.to_str().unwrap(),
            "{python:?}"
        );
        let mut cases = Vec::new();
        let mut skipped = BTreeSet::new();
        for src in sources(&shipped.lib) {
            let rel = src.strip_prefix(&shipped.lib).unwrap().to_str().unwrap();
            for level in LEVELS {
                let cfile = cache_of(&src, &python.tag(), level);
                if cpython_skips(python.minor, rel) {
                    assert!(!cfile.exists(), "{python:?}: {rel} compiled");
                    skipped.insert(rel.to_string());
                } else {
                    assert!(cfile.exists(), "{python:?}: {rel} level {level} missing");
                    cases.push((src.clone(), level, cfile));
                }
            }
        }
        let differ = differ_from_py_compile(&python, &cases);
        assert_eq!(differ, Vec::<String>::new(), "{python:?}");
        let compared = if python.minor >= 11 {
            "byte for byte py_compile's"
        } else {
            "with py_compile's header, one in ten the code of compile()"
        };
        eprintln!(
            "{}: {} pycs {compared}; {} sources left uncompiled as CPython's install leaves them",
            python.name(),
            cases.len(),
            skipped.len()
        );
        // Nothing left to do, nothing started.
        let again = update();
        assert_eq!(again["interpreters_started"], 0, "{python:?}: {again}");
    }
}

/// Debian's layout keeps site-packages (dist-packages) outside the
/// standard library: `--stdlib` is refused there, saying why.
#[test]
fn a_site_packages_outside_the_standard_library_is_refused() {
    let python = debian_python();
    let out = Command::new(env!("CARGO_BIN_EXE_pycache"))
        .args(["check", "--stdlib", "--no-config", "--python"])
        .arg(&python.path)
        .output()
        .unwrap();
    let run = common::Run::of(out).expect(2);
    assert!(
        run.stderr.contains("stdlib: the site-packages ")
            && run
                .stderr
                .contains("is not inside the standard library /usr/lib/python3.11"),
        "{}{}",
        run.stdout,
        run.stderr
    );
}

/// The site-packages inside the tree is never removed, even when it holds
/// nothing but an empty cache.
#[test]
fn site_packages_stays_when_it_holds_only_a_cache() {
    let python = debian_python();
    let tmp = tempfile::tempdir().unwrap();
    let prefix = tmp.path().canonicalize().unwrap().join("local");
    let lib = prefix.join("lib").join(python.name());
    fs::create_dir_all(lib.join("site-packages/__pycache__")).unwrap();
    fs::create_dir_all(lib.join("gone/__pycache__")).unwrap();
    fs::write(lib.join("os.py"), "X = 1\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_pycache"))
        .args(["clean", "--stdlib", "--no-config", "--json"])
        .args(["--flavor", "py311"])
        .arg("--prefix")
        .arg(&prefix)
        .output()
        .unwrap();
    let report = common::Run::of(out).expect(0).json();
    assert!(lib.join("site-packages").is_dir(), "{report}");
    assert!(!lib.join("site-packages/__pycache__").exists(), "{report}");
    assert!(!lib.join("gone").exists(), "{report}");
}

/// CPython 3.12 marshals a source compiled a second time in a process to
/// other bytes when two of its functions share a frozenset of names: the
/// worker compiles levels 0 then 1, so level 1 needs a fresh interpreter
/// (src/run/compile/worker.py). Every level must be `py_compile`'s bytes,
/// on 3.12 and on every other version whose `py_compile` is deterministic.
#[test]
fn each_level_is_py_compile_s_bytes_where_3_12_marshals_a_second_compile_otherwise() {
    const SOURCE: &str =
        "\"\"\"A module whose two functions test membership in one set of names.\"\"\"


def first(code):
    \"\"\"Docstring dropped at -OO.\"\"\"
    assert code, \"asserts dropped at -O\"
    return code in {\"pycache_x225\", \"pycache_x226\", \"pycache_x426\"}


def second(code):
    return code in {\"pycache_x225\", \"pycache_x226\", \"pycache_x426\"}
";
    let all = pythons();
    assert!(
        all.iter().any(|p| p.minor == 12),
        "this test needs CPython 3.12, whose marshal it is about: pyenv install 3.12"
    );
    for python in all.into_iter().filter(|p| p.minor >= 11) {
        let tree = common::Tree::new(&python);
        let src = tree.write("shared.py", SOURCE);
        tree.pycache(&["update"]).expect(0);
        let cases: Vec<_> = LEVELS
            .iter()
            .map(|&level| (src.clone(), level, cache_of(&src, &python.tag(), level)))
            .collect();
        // One fresh interpreter for each level: py_compile's own bytes.
        for case in &cases {
            let differ = differ_from_py_compile(&python, std::slice::from_ref(case));
            assert_eq!(differ, Vec::<String>::new(), "{python:?}");
        }
    }
}

/// pycache's own interpreters write no bytecode of their own imports: the
/// one asked about itself and the compile workers import `sysconfig`,
/// `importlib`, `re`... from the standard library, and as root, without
/// `-B`, importlib would write their pycs there, outside the tree pycache
/// was given (a site-packages), in a library shipped without bytecode.
/// Here the interpreter is a copy of the binary in the prefix, so that it
/// imports from the copied library, as an installed one does.
#[test]
fn pycache_s_interpreters_write_nothing_into_the_standard_library() {
    let python = debian_python();
    let shipped = ship(&python);
    let binary = shipped.prefix.join("bin").join(python.name());
    fs::remove_file(&binary).unwrap();
    fs::copy(&python.path, &binary).unwrap();
    let asked = Command::new(&binary)
        .args(["-I", "-S", "-B", "-c", "import os; print(os.__file__)"])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&asked.stdout).trim(),
        shipped.lib.join("os.py").to_str().unwrap(),
        "the copied interpreter imports from the copied library"
    );
    let site = shipped.lib.join("site-packages");
    fs::write(site.join("m.py"), "import re\nM = re.compile('x')\n").unwrap();
    let prefix = shipped.prefix.to_str().unwrap();
    let runs: [&[&str]; 3] = [
        // Asks the interpreter (no flavor), then compiles (Debian's
        // interpreter names a dist-packages: the site-packages is given).
        &[
            "update",
            "--python",
            binary.to_str().unwrap(),
            "--site-packages",
            site.to_str().unwrap(),
        ],
        &["update", "--flavor", "py311", "--prefix", prefix],
        &["check", "--verify", "--flavor", "py311", "--prefix", prefix],
    ];
    for args in runs {
        let out = Command::new(env!("CARGO_BIN_EXE_pycache"))
            .args(args)
            .arg("--no-config")
            .output()
            .unwrap();
        common::Run::of(out).expect(0);
    }
    assert!(cache_of(&site.join("m.py"), "cpython-311", 0).exists());
    let written: Vec<PathBuf> = walkdir::WalkDir::new(&shipped.lib)
        .into_iter()
        .filter_entry(|e| e.path() != site)
        .map(|e| e.unwrap().into_path())
        .filter(|p| p.file_name().is_some_and(|n| n == "__pycache__"))
        .collect();
    assert!(
        written.is_empty(),
        "pycache's own interpreters wrote bytecode outside the site-packages: {written:?}"
    );
}
