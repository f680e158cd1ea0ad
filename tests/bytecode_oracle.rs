//! Invariant: what pycache writes is what CPython itself would write and
//! use, and its freshness verdicts are importlib's: CPython is the oracle.
//! Each test runs on every CPython found (see `common::pythons`) and on
//! CPython 3.14 (pyodide's, `common::py314`).

mod common;

use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;

use common::{
    LEVELS, Tree, cache_of, code_with_consts, codes_match, importlib_verdicts, inode,
    oracle_pythons, populate,
};

#[test]
fn update_writes_what_importlib_uses_and_code_equals_compile() {
    for python in oracle_pythons() {
        let tree = Tree::new(&python);
        let sources = populate(&tree);
        let out = tree.pycache(&["update", "--json"]).expect(0).json();
        assert_eq!(
            out["compiled"].as_array().unwrap().len(),
            sources.len(),
            "{python:?}"
        );
        let mut cases = Vec::new();
        for level in LEVELS {
            let verdicts = importlib_verdicts(&python, level, &sources);
            assert_eq!(
                verdicts,
                vec!["fresh"; sources.len()],
                "{python:?} level {level}"
            );
            for source in &sources {
                cases.push((source, cache_of(source, &python.tag(), level), level));
            }
        }
        let asked: Vec<_> = cases
            .iter()
            .map(|(s, c, level)| (s.as_path(), c.as_path(), s.as_path(), *level))
            .collect();
        for ((source, cfile, level), (same, filename)) in
            cases.iter().zip(codes_match(&python, &asked))
        {
            assert!(
                same,
                "{python:?}: {} level {level} differs from compile()",
                cfile.display()
            );
            assert_eq!(filename, source.to_string_lossy());
        }
    }
}

#[test]
fn freshness_agrees_with_importlib_for_every_kind_of_damage() {
    for python in oracle_pythons() {
        let tree = Tree::new(&python);
        let names = [
            "fresh",
            "mtime",
            "size",
            "magic",
            "truncated",
            "empty",
            "garbage",
            "missing",
        ];
        let sources: Vec<PathBuf> = names
            .iter()
            .map(|n| tree.write(format!("{n}.py"), &format!("NAME = {n:?}\n")))
            .collect();
        tree.pycache(&["update", "-O", "0"]).expect(0);
        let cache = |n: &str| tree.cache(&format!("{n}.py"), 0);
        let header = if python.minor < 7 { 12 } else { 16 };
        // Same size, later mtime: only the timestamp tells.
        let mtime = tree.site.join("mtime.py");
        let t =
            fs::metadata(&mtime).unwrap().modified().unwrap() + std::time::Duration::from_secs(5);
        fs::File::options()
            .write(true)
            .open(&mtime)
            .unwrap()
            .set_modified(t)
            .unwrap();
        // Same mtime, other size.
        let size = tree.site.join("size.py");
        let t = fs::metadata(&size).unwrap().modified().unwrap();
        fs::write(&size, "NAME = 'size, longer'\n").unwrap();
        fs::File::options()
            .write(true)
            .open(&size)
            .unwrap()
            .set_modified(t)
            .unwrap();
        let mut data = fs::read(cache("magic")).unwrap();
        data[0] ^= 0x55;
        fs::write(cache("magic"), data).unwrap();
        let data = fs::read(cache("truncated")).unwrap();
        fs::write(cache("truncated"), &data[..header - 3]).unwrap();
        fs::write(cache("empty"), b"").unwrap();
        let mut data = fs::read(cache("garbage")).unwrap();
        data.truncate(header);
        data.extend_from_slice(b"not marshal data");
        fs::write(cache("garbage"), data).unwrap();
        fs::remove_file(cache("missing")).unwrap();

        let out = tree
            .pycache(&["check", "-O", "0", "--json"])
            .expect(1)
            .json();
        let state = |n: &str| {
            out["to_compile"]
                .as_array()
                .unwrap()
                .iter()
                .find(|p| p["path"].as_str().unwrap().ends_with(&format!("/{n}.py")))
                .map(|p| {
                    format!(
                        "{} {}",
                        p["levels"][0]["state"].as_str().unwrap(),
                        p["levels"][0]["reason"].as_str().unwrap()
                    )
                })
                .unwrap_or_else(|| "fresh ".into())
        };
        assert_eq!(state("fresh"), "fresh ", "{python:?}");
        assert_eq!(state("mtime"), "stale source mtime changed");
        assert_eq!(state("size"), "stale source size changed");
        assert_eq!(state("magic"), "stale wrong magic number");
        assert_eq!(state("truncated"), "stale truncated");
        assert_eq!(state("empty"), "stale truncated");
        assert_eq!(state("garbage"), "stale no code object after the header");
        assert_eq!(state("missing"), "missing ");
        // Where importlib recompiles on its own, it agrees with us.
        let judged: Vec<PathBuf> = ["fresh", "mtime", "size", "magic", "truncated", "empty"]
            .iter()
            .map(|n| tree.site.join(format!("{n}.py")))
            .collect();
        assert_eq!(
            importlib_verdicts(&python, 0, &judged),
            ["fresh", "stale", "stale", "stale", "stale", "stale"],
            "{python:?}"
        );
        // update repairs all of it; importlib then uses every file.
        tree.pycache(&["update", "-O", "0"]).expect(0);
        assert_eq!(
            importlib_verdicts(&python, 0, &sources),
            vec!["fresh"; sources.len()]
        );
        let _ = names;
    }
}

#[test]
fn hash_based_pycs_are_compared_with_their_source() {
    for python in oracle_pythons().into_iter().filter(|p| p.minor >= 7) {
        for mode in ["checked-hash", "unchecked-hash"] {
            let tree = Tree::new(&python);
            let source = tree.write("h.py", "A = 1\n");
            tree.pycache(&["update", "-O", "0", "--invalidation-mode", mode])
                .expect(0);
            let flags = fs::read(tree.cache("h.py", 0)).unwrap()[4];
            assert_eq!(flags, if mode == "checked-hash" { 3 } else { 1 });
            tree.pycache(&["check", "-O", "0"]).expect(0);
            // Same size and mtime, other bytes: only the hash can tell.
            let t = fs::metadata(&source).unwrap().modified().unwrap();
            fs::write(&source, "A = 2\n").unwrap();
            fs::File::options()
                .write(true)
                .open(&source)
                .unwrap()
                .set_modified(t)
                .unwrap();
            let ours = tree.pycache(&["check", "-O", "0", "--json"]).json();
            let theirs = importlib_verdicts(&python, 0, std::slice::from_ref(&source));
            let stale = !ours["to_compile"].as_array().unwrap().is_empty();
            // importlib checks a checked-hash pyc and trusts an unchecked
            // one; pycache, the tool that keeps the tree, checks both.
            assert!(stale, "{python:?} {mode}: {ours}");
            let importlib_checks = mode == "checked-hash";
            assert_eq!(
                theirs == ["stale"],
                importlib_checks,
                "{python:?} {mode}: importlib {theirs:?}"
            );
        }
    }
}

/// Defect 2 of the hostile review: an upgrade that changes a source leaves
/// its unchecked-hash pycs in use for good, since importlib never compares
/// them; pycache does, and switching the mode back repairs them.
#[test]
fn unchecked_hash_pycs_follow_their_source() {
    for python in oracle_pythons().into_iter().filter(|p| p.minor >= 7) {
        let tree = Tree::new(&python);
        let source = tree.write("m.py", "VERSION = 1\n");
        let unchecked = ["--invalidation-mode", "unchecked-hash"];
        tree.pycache(&[&["update"][..], &unchecked].concat())
            .expect(0);
        fs::write(&source, "VERSION = 22\n").unwrap();
        let import = || {
            let out = std::process::Command::new(&python.path)
                .args([
                    "-I",
                    "-c",
                    "import sys; sys.path.insert(0, sys.argv[1]); import m; print(m.VERSION)",
                ])
                .arg(&tree.site)
                .output()
                .unwrap();
            String::from_utf8_lossy(&out.stdout).trim().to_string()
        };
        assert_eq!(import(), "1", "{python:?}: importlib used the old bytecode");
        // check compiles nothing, so it takes no mode: the pycs' own flags
        // say they are unchecked.
        for args in [&["check", "--json"][..], &["check", "--verify", "--json"]] {
            let report = tree.pycache(args).expect(1).json();
            let levels = &report["to_compile"][0]["levels"];
            assert_eq!(levels.as_array().unwrap().len(), 3, "{python:?} {report}");
            for level in levels.as_array().unwrap() {
                assert_eq!(level["reason"], "source hash changed", "{python:?}");
            }
        }
        // Back to the default mode: the stale pycs are written again.
        tree.pycache(&["update"]).expect(0);
        for level in LEVELS {
            assert_eq!(
                fs::read(tree.cache("m.py", level)).unwrap()[4],
                0,
                "{python:?}"
            );
        }
        assert_eq!(import(), "22", "{python:?}");
        tree.pycache(&["check"]).expect(0);
    }
}

#[test]
fn each_level_gets_its_own_code_where_optimization_changes_it() {
    // Levels 0 and 1 share one compile only when -O cannot change the code.
    for python in oracle_pythons() {
        let tree = Tree::new(&python);
        let sources = [
            tree.write(
                "plain.py",
                "\"\"\"Doc.\"\"\"\ndef f():\n    \"\"\"Doc.\"\"\"\n    return 1\n",
            ),
            tree.write(
                "asserts.py",
                "def f(x):\n    assert x, 'no'\n    return x\n",
            ),
            tree.write(
                "debug.py",
                "if __debug__:\n    MODE = 'debug'\nelse:\n    MODE = 'optimized'\n",
            ),
            tree.write(
                "mention.py",
                "# assert in a comment only\nVALUE = 'assertion'\n",
            ),
            tree.write(
                "methods.py",
                "def test(self):\n    self.assertEqual(__debug__x, 1)\n",
            ),
            tree.write("packed.py", "def f(x):\n\tx=1;assert(x)\n"),
            // The keyword need not be in the bytes: the declared encoding
            // decodes `+AGE-` and `\x5f` to `a` and `_`.
            tree.write(
                "utf7.py",
                "# coding: utf-7\ndef f(x):\n    +AGE-ssert x\n    return x\n",
            ),
            tree.write(
                "escaped.py",
                "# -*- coding: unicode_escape -*-\nif \\x5f_debug__:\n    MODE = 1\n",
            ),
            // Levels 1 and 2 share one compile only when there is no
            // docstring: one in each place -OO looks, and none at all.
            tree.write("moddoc.py", "'Module doc.'\nX = 1\n"),
            tree.write("classdoc.py", "class A:\n    'Doc.'\n    x = 1\n"),
            tree.write(
                "nesteddoc.py",
                "def f():\n    def g():\n        'Doc.'\n    return g\n",
            ),
            tree.write(
                "methoddoc.py",
                "class A:\n    x = 'v'\n    async def m(self):\n        ('Doc.')\n        return 1\n",
            ),
            tree.write(
                "nodocs.py",
                "class A:\n    x = 'not a doc'\n\
                 def f(x):\n    y = 'first constant'\n    assert x\n\
                 \x20   return [s + 'z' for s in x], lambda: 'v'\n",
            ),
            tree.write("plain_nodoc.py", "X = 'a'\ndef f():\n    return 'b'\n"),
        ];
        tree.pycache(&["update"]).expect(0);
        let tag = python.tag();
        let cases: Vec<_> = LEVELS
            .iter()
            .flat_map(|&level| sources.iter().map(move |s| (s, level)))
            .map(|(s, level)| (s, cache_of(s, &tag, level), level))
            .collect();
        let asked: Vec<_> = cases
            .iter()
            .map(|(s, c, level)| (s.as_path(), c.as_path(), s.as_path(), *level))
            .collect();
        for ((source, _, level), (same, _)) in cases.iter().zip(codes_match(&python, &asked)) {
            assert!(same, "{python:?}: {} at level {level}", source.display());
        }
        let bytes = |name: &str, level| fs::read(tree.cache(name, level)).unwrap();
        assert_ne!(bytes("debug.py", 0), bytes("debug.py", 1), "{python:?}");
        for name in ["asserts.py", "packed.py", "utf7.py", "escaped.py"] {
            assert_ne!(bytes(name, 0), bytes(name, 1), "{python:?}: {name}");
        }
        for name in ["moddoc.py", "classdoc.py", "nesteddoc.py", "methoddoc.py"] {
            assert_ne!(bytes(name, 1), bytes(name, 2), "{python:?}: {name}");
        }
        assert_ne!(bytes("plain.py", 1), bytes("plain.py", 2), "{python:?}");
        // Levels whose pycs are the same bytes are one file with a name per
        // level (on every version), where the interpreter can link: pyodide
        // (WebAssembly) has no os.link and writes the bytes again.
        let links = !python.is_pyodide();
        for source in &sources {
            let cfiles = LEVELS.map(|level| cache_of(source, &python.tag(), level));
            for (a, b) in [(0, 1), (1, 2), (0, 2)] {
                let same_bytes = fs::read(&cfiles[a]).unwrap() == fs::read(&cfiles[b]).unwrap();
                assert_eq!(
                    inode(&cfiles[a]) == inode(&cfiles[b]),
                    same_bytes && links,
                    "{python:?}: {} levels {a} and {b}",
                    source.display()
                );
            }
        }
        let nlink = fs::metadata(tree.cache("plain_nodoc.py", 0))
            .unwrap()
            .nlink();
        assert_eq!(nlink, if links { 3 } else { 1 }, "{python:?}");
    }
}

#[test]
fn any_byte_in_a_file_name_survives() {
    for python in oracle_pythons() {
        let tree = Tree::new(&python);
        let mut names: Vec<&[u8]> = vec![b"new\nline.py", b"latin\xe9.py", b"sp ace\"q'.py"];
        if python.is_pyodide() {
            // Its files are node's, whose paths are UTF-8 strings: a name
            // that is not UTF-8 cannot be reached from pyodide at all.
            names[1] = "utf8\u{e9}.py".as_bytes();
        }
        let dir = tree.site.join("odd");
        fs::create_dir_all(&dir).unwrap();
        let sources: Vec<PathBuf> = names
            .iter()
            .map(|n| {
                let p = dir.join(std::ffi::OsStr::from_bytes(n));
                fs::write(&p, "V = 'odd'\n").unwrap();
                p
            })
            .collect();
        let run = tree.pycache(&["update", "--json"]).expect(0);
        let out = run.json();
        assert_eq!(
            out["compiled"].as_array().unwrap().len(),
            3,
            "{python:?}: {out}"
        );
        // JSON keeps the exact bytes as surrogate escapes.
        let raw = run.stdout;
        let latin = python.is_pyodide() || raw.contains("latin\\udce9.py");
        assert!(latin && raw.contains("new\\u000aline.py"), "{raw}");
        for level in LEVELS {
            assert_eq!(
                importlib_verdicts(&python, level, &sources),
                ["fresh"; 3],
                "{python:?} {level}"
            );
        }
        tree.pycache(&["check"]).expect(0);
        for s in &sources {
            fs::remove_file(s).unwrap();
        }
        tree.pycache(&["update"]).expect(0);
        assert_eq!(tree.listing(), Vec::<String>::new(), "{python:?}");
    }
}

#[test]
fn pycs_are_the_bytes_py_compile_writes() {
    // Byte for byte from 3.11 on (before, marshal's bytes also depend on
    // the hash seed and on the process, and the code objects are compared
    // above): every level, linked or not, whatever the levels share.
    const PY_COMPILE: &str = r#"
import sys, os, py_compile, importlib.util, tempfile
out = sys.stdout.buffer
tmp = tempfile.mkdtemp()
for raw in sys.stdin.buffer.read().split(b"\0"):
    if not raw:
        continue
    src = os.fsdecode(raw)
    for level in (0, 1, 2):
        ours = importlib.util.cache_from_source(src, optimization=level or "")
        ref = os.path.join(tmp, "ref.pyc")
        py_compile.compile(src, cfile=ref, doraise=True, optimize=level)
        with open(ours, "rb") as a, open(ref, "rb") as b:
            same = a.read() == b.read()
        out.write(b"%s %d %s\n" % (raw, level, b"same" if same else b"different"))
"#;
    for python in oracle_pythons().into_iter().filter(|p| p.minor >= 11) {
        let tree = Tree::new(&python);
        let sources = common::write_tricky(&tree);
        tree.pycache(&["update"]).expect(0);
        let input: Vec<u8> = sources
            .iter()
            .flat_map(|s| s.as_os_str().as_bytes().iter().copied().chain([0]))
            .collect();
        let out = common::run_with_stdin(
            std::process::Command::new(&python.path).args(["-I", "-c", PY_COMPILE]),
            &input,
        );
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{python:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            text.lines().count(),
            3 * sources.len(),
            "{python:?}: {text}"
        );
        let different: Vec<&str> = text.lines().filter(|l| !l.ends_with(" same")).collect();
        assert!(different.is_empty(), "{python:?}: {different:#?}");
    }
}

#[test]
fn verify_agrees_with_marshal_loads() {
    // `check --verify` calls a pyc stale exactly where the interpreter's
    // marshal.loads fails on its body: pycs written by py_compile (fresh),
    // and the same with bodies cut short or replaced.
    const WRITE_AND_LOAD: &str = r#"
import sys, os, py_compile, importlib.util, marshal, types
site, bodies = sys.argv[1:3]
out = sys.stdout.buffer
for name in sorted(os.listdir(site)):
    if not name.endswith(".py"):
        continue
    src = os.path.join(site, name)
    cfile = importlib.util.cache_from_source(src, optimization="")
    py_compile.compile(src, doraise=True)
    with open(cfile, "rb") as f:
        data = f.read()
    header, body = data[:16], data[16:]
    changed = os.path.join(bodies, name[:-3])
    if os.path.exists(changed):
        with open(changed, "rb") as f:
            new = f.read()
        body = body[:int(new[4:])] if new.startswith(b"cut:") else new
        with open(cfile, "wb") as f:
            f.write(header + body)
    try:
        loaded = marshal.loads(body)
        verdict = "loads" if isinstance(loaded, types.CodeType) else "not code"
    except Exception as e:
        verdict = "%s: %s" % (type(e).__name__, e)
    out.write(b"%s %s\n" % (name[:-3].encode(), verdict.encode()))
"#;
    for python in oracle_pythons().into_iter().filter(|p| p.minor >= 11) {
        let tree = Tree::new(&python);
        let bodies = tree.tmp.path().join("bodies");
        fs::create_dir(&bodies).unwrap();
        let mut cases: Vec<(&str, Vec<u8>)> = vec![
            ("fresh", Vec::new()),
            ("cut_half", b"cut:40".to_vec()),
            ("cut_one", b"cut:1".to_vec()),
            ("garbage", b"not marshal data".to_vec()),
            ("unknown_type", code_with_consts(1, b"q")),
            ("null_const", code_with_consts(1, b"0")),
            ("bad_ref", code_with_consts(1, b"r\x05\0\0\0")),
            (
                "crafted",
                code_with_consts(3, b"i\x01\0\0\0\xe9\0\0\0\0r\0\0\0\0"),
            ),
        ];
        if python.minor >= 14 {
            cases.extend([
                (
                    "slices_crafted",
                    code_with_consts(2, b":i\x01\0\0\0i\x02\0\0\0N:NNi\x02\0\0\0"),
                ),
                ("slice_ref_later", code_with_consts(2, b"\xbaNNNr\0\0\0\0")),
                ("slice_ref_itself", code_with_consts(1, b"\xbaNr\0\0\0\0N")),
                ("slice_null", code_with_consts(1, b":N0N")),
                ("slice_short", code_with_consts(1, b":NN")),
            ]);
        }
        if !python.is_pyodide() {
            // WebAssembly's CPython stops at 1,500 levels; the walker
            // follows native builds (2,000).
            let nested = |k: usize| {
                let mut consts = b")\x01".repeat(k);
                consts.push(b'N');
                code_with_consts(1, &consts)
            };
            cases.extend([("nested_1999", nested(1997)), ("nested_2000", nested(1998))]);
        }
        for (name, body) in &cases {
            let text = if name.starts_with("slices") {
                "def f(x):\n    return x[1:2], x[::2], x[1:2]\n"
            } else {
                "X = 'value'\ndef f(x):\n    return x + X\n"
            };
            tree.write(format!("{name}.py"), text);
            if !body.is_empty() {
                fs::write(bodies.join(name), body).unwrap();
            }
        }
        // Written by py_compile as it stands, constant slices and all.
        tree.write(
            "slices.py",
            "def f(x):\n    return x[1:2], x[::2], x[:-1], x[1:2]\n",
        );
        let out = std::process::Command::new(&python.path)
            .args(["-I", "-c", WRITE_AND_LOAD])
            .arg(&tree.site)
            .arg(&bodies)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{python:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let theirs: Vec<(String, String)> = String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|l| {
                let (n, v) = l.split_once(' ').unwrap();
                (n.to_string(), v.to_string())
            })
            .collect();
        assert_eq!(theirs.len(), cases.len() + 1, "{python:?}: {theirs:?}");
        let run = tree.pycache(&["check", "-O", "0", "--verify", "--json"]);
        let ours = run.json();
        let stale = |name: &str| {
            ours["to_compile"].as_array().unwrap().iter().find_map(|p| {
                p["path"]
                    .as_str()
                    .unwrap()
                    .ends_with(&format!("/{name}.py"))
                    .then(|| p["levels"][0]["reason"].as_str().unwrap().to_string())
            })
        };
        for (name, verdict) in &theirs {
            let loads = verdict == "loads";
            assert_eq!(
                stale(name).is_none(),
                loads,
                "{python:?}: {name}: marshal.loads says {verdict:?}, pycache says {:?}",
                stale(name)
            );
        }
        let verdict = |name: &str| &theirs.iter().find(|(n, _)| n == name).unwrap().1;
        // The cases are what they were meant to be.
        for name in ["fresh", "crafted", "slices"] {
            assert_eq!(verdict(name), "loads", "{python:?}: {name}");
        }
        for name in [
            "cut_half",
            "cut_one",
            "garbage",
            "unknown_type",
            "null_const",
            "bad_ref",
        ] {
            assert_ne!(verdict(name), "loads", "{python:?}: {name}");
        }
        if python.minor >= 14 {
            assert_eq!(verdict("slices_crafted"), "loads");
            assert_eq!(verdict("slice_ref_later"), "loads");
            for name in ["slice_ref_itself", "slice_null", "slice_short"] {
                assert_ne!(verdict(name), "loads", "{python:?}: {name}");
            }
        }
        if !python.is_pyodide() {
            assert_eq!(verdict("nested_1999"), "loads", "{python:?}");
            assert_ne!(verdict("nested_2000"), "loads", "{python:?}");
        }
    }
}
