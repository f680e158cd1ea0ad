//! `pycache explain`: what each file is and `check`'s verdict on it, field
//! by field, for pycs real CPythons wrote. Every verdict is asserted in
//! words and in JSON; the verdicts are the interpreters' own importlib's
//! and `check`'s; no interpreter is started where `check` starts none.

mod common;

use std::ffi::OsStr;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime};

use common::{Python, Run, Tree, bounded, debian_python, importlib_verdicts, pythons};
use serde_json::Value;

/// The mtime every source starts with: 2023-11-14 22:13:20 UTC.
const T0: u64 = 1_700_000_000;

fn set_mtime(path: &Path, secs: u64) {
    fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(secs))
        .unwrap();
}

/// Writes `rel` below site-packages, dated [`T0`].
fn source(tree: &Tree, rel: &str, text: &str) -> PathBuf {
    let path = tree.write(rel, text);
    set_mtime(&path, T0);
    path
}

/// `py_compile` of `source` by `python` at `level`, with `mode`
/// (`timestamp`, `checked-hash`, `unchecked-hash`), into `cfile` (the
/// interpreter's own cache file when `None`).
fn compile(python: &Python, source: &Path, level: u8, mode: &str, cfile: Option<&Path>) {
    const SCRIPT: &str = "import sys, py_compile as p\n\
        kw = {'cfile': sys.argv[4]} if len(sys.argv) > 4 else {}\n\
        if sys.argv[2] != 'timestamp':\n    \
            kw['invalidation_mode'] = p.PycInvalidationMode[sys.argv[2].upper().replace('-', '_')]\n\
        p.compile(sys.argv[1], doraise=True, optimize=int(sys.argv[3]), **kw)";
    let mut cmd = Command::new(&python.path);
    cmd.args(["-I", "-c", SCRIPT])
        .arg(source)
        .args([mode, &level.to_string()])
        .env_remove("SOURCE_DATE_EPOCH");
    if let Some(cfile) = cfile {
        cmd.arg(cfile);
    }
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{python:?}: {out:?}");
}

/// Rewrites bytes of `pyc` at `at`, keeping its mtime.
fn patch(pyc: &Path, at: usize, bytes: &[u8]) {
    let mut data = fs::read(pyc).unwrap();
    data[at..at + bytes.len()].copy_from_slice(bytes);
    fs::write(pyc, data).unwrap();
}

fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(status.success(), "mkfifo {} failed", path.display());
}

/// `pycache explain ARGS --no-config --flavor pyXY --prefix PREFIX`,
/// bounded: a FIFO must never block it.
fn explain(tree: &Tree, args: &[&OsStr]) -> Run {
    let mut cmd = tree.command(&["explain", "--no-config"]);
    cmd.args(args).env_remove("PYCACHE_CONF");
    bounded(&mut cmd, Duration::from_secs(60))
}

fn os(s: &str) -> &OsStr {
    OsStr::new(s)
}

/// Another CPython than `python`: its pycs carry another magic number and
/// tag.
fn another(python: &Python) -> Python {
    pythons()
        .into_iter()
        .filter(|p| p.minor != python.minor)
        .max_by_key(|p| p.minor)
        .expect("pythons() finds two versions")
}

/// The file of the JSON explanation whose path is `path`.
fn file<'j>(json: &'j Value, path: &Path) -> &'j Value {
    let files = json["files"].as_array().unwrap();
    files
        .iter()
        .find(|f| f["path"] == path.to_str().unwrap())
        .unwrap_or_else(|| panic!("{} not explained in {json:#}", path.display()))
}

#[test]
fn every_verdict_in_words() {
    let python = debian_python();
    let other = another(&python);
    let tree = Tree::new(&python);
    let site = tree.site.display().to_string();
    let c = |rel: &str| tree.cache(rel, 0);

    let fresh = source(&tree, "fresh.py", "A = 1\n");
    compile(&python, &fresh, 0, "timestamp", None);
    let mtime = source(&tree, "mtime.py", "B = 1\n");
    compile(&python, &mtime, 0, "timestamp", None);
    set_mtime(&mtime, T0 + 90);
    let size = source(&tree, "size.py", "C = 1\n");
    compile(&python, &size, 0, "timestamp", None);
    fs::write(&size, "C = 10\n").unwrap();
    set_mtime(&size, T0);
    // Another CPython's pyc under this interpreter's name.
    let magic = source(&tree, "magic.py", "D = 1\n");
    compile(&other, &magic, 0, "timestamp", Some(&c("magic.py")));
    let flags = source(&tree, "flags.py", "E = 1\n");
    compile(&python, &flags, 0, "timestamp", None);
    patch(&c("flags.py"), 4, &[4, 0, 0, 0]);
    let checked = source(&tree, "checked.py", "F = 1\n");
    compile(&python, &checked, 0, "checked-hash", None);
    let changed = source(&tree, "changed.py", "G = 1\n");
    compile(&python, &changed, 0, "checked-hash", None);
    fs::write(&changed, "G = 2\n").unwrap();
    let unchecked = source(&tree, "unchecked.py", "H = 1\n");
    compile(&python, &unchecked, 0, "unchecked-hash", None);
    fs::write(&unchecked, "H = 2\n").unwrap();
    let hash = |rel: &str| -> String {
        fs::read(c(rel)).unwrap()[8..16]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    };
    let other_magic = fs::read(c("magic.py")).unwrap()[..4].to_vec();
    let other_hex: String = other_magic.iter().map(|b| format!("{b:02x}")).collect();
    let other_number = u16::from_le_bytes([other_magic[0], other_magic[1]]);
    // What importlib says of each: the verdicts explained are its own.
    let all = [
        &fresh, &mtime, &size, &magic, &flags, &checked, &changed, &unchecked,
    ];
    let sources: Vec<PathBuf> = all.iter().map(|p| p.to_path_buf()).collect();
    assert_eq!(
        importlib_verdicts(&python, 0, &sources),
        [
            "fresh", "stale", "stale", "stale", "stale", "fresh", "stale", "fresh"
        ]
    );

    let rels = [
        "fresh.py",
        "mtime.py",
        "size.py",
        "magic.py",
        "flags.py",
        "checked.py",
        "changed.py",
        "unchecked.py",
    ];
    let pycs: Vec<PathBuf> = rels.iter().map(|r| c(r)).collect();
    let mut args: Vec<&OsStr> = vec![os("-O"), os("0")];
    args.extend(pycs.iter().map(|p| p.as_os_str()));
    let run = explain(&tree, &args).expect(1);
    let of = |rel: &str| format!("{site}/{}", rel.replace(".py", ""));
    let expected = [
        format!(
            "{site}/__pycache__/fresh.cpython-311.pyc: fresh\n\
             \x20 bytecode of {}.py, level 0, tag cpython-311: this interpreter's (Python 3.11)\n\
             \x20 magic  a70d0d0a (3495) = expected\n\
             \x20 flags  0: timestamp-based\n\
             \x20 mtime  1700000000 (2023-11-14 22:13:20 UTC) = source\n\
             \x20 size   6 = source",
            of("fresh.py")
        ),
        format!(
            "{site}/__pycache__/mtime.cpython-311.pyc: stale: source mtime changed\n\
             \x20 bytecode of {}.py, level 0, tag cpython-311: this interpreter's (Python 3.11)\n\
             \x20 magic  a70d0d0a (3495) = expected\n\
             \x20 flags  0: timestamp-based\n\
             \x20 mtime  1700000000 (2023-11-14 22:13:20 UTC) != source 1700000090 (2023-11-14 22:14:50 UTC)\n\
             \x20 size   6 = source\n\
             \x20 pycache update compiles it again",
            of("mtime.py")
        ),
        format!(
            "{site}/__pycache__/size.cpython-311.pyc: stale: source size changed\n\
             \x20 bytecode of {}.py, level 0, tag cpython-311: this interpreter's (Python 3.11)\n\
             \x20 magic  a70d0d0a (3495) = expected\n\
             \x20 flags  0: timestamp-based\n\
             \x20 mtime  1700000000 (2023-11-14 22:13:20 UTC) = source\n\
             \x20 size   6 != source 7\n\
             \x20 pycache update compiles it again",
            of("size.py")
        ),
        format!(
            "{site}/__pycache__/magic.cpython-311.pyc: stale: wrong magic number\n\
             \x20 bytecode of {}.py, level 0, tag cpython-311: this interpreter's (Python 3.11)\n\
             \x20 magic  {other_hex} ({other_number}), Python 3.{}'s != expected a70d0d0a (3495), Python 3.11's\n\
             \x20 pycache update compiles it again",
            of("magic.py"),
            other.minor
        ),
        format!(
            "{site}/__pycache__/flags.cpython-311.pyc: stale: unknown flags\n\
             \x20 bytecode of {}.py, level 0, tag cpython-311: this interpreter's (Python 3.11)\n\
             \x20 magic  a70d0d0a (3495) = expected\n\
             \x20 flags  4: unknown bits (importlib knows 0 to 3)\n\
             \x20 pycache update compiles it again",
            of("flags.py")
        ),
        format!(
            "{site}/__pycache__/checked.cpython-311.pyc: fresh\n\
             \x20 bytecode of {}.py, level 0, tag cpython-311: this interpreter's (Python 3.11)\n\
             \x20 magic  a70d0d0a (3495) = expected\n\
             \x20 flags  3: hash-based, checked at every import\n\
             \x20 hash   {} = source",
            of("checked.py"),
            hash("checked.py")
        ),
        format!(
            "{site}/__pycache__/changed.cpython-311.pyc: stale: source hash changed\n\
             \x20 bytecode of {}.py, level 0, tag cpython-311: this interpreter's (Python 3.11)\n\
             \x20 magic  a70d0d0a (3495) = expected\n\
             \x20 flags  3: hash-based, checked at every import\n\
             \x20 hash   {} != source {}\n\
             \x20 pycache update compiles it again",
            of("changed.py"),
            hash("changed.py"),
            source_hash(&python, &changed)
        ),
        format!(
            "{site}/__pycache__/unchecked.cpython-311.pyc: stale: source hash changed\n\
             \x20 bytecode of {}.py, level 0, tag cpython-311: this interpreter's (Python 3.11)\n\
             \x20 magic  a70d0d0a (3495) = expected\n\
             \x20 flags  1: hash-based, unchecked by importlib, compared by pycache\n\
             \x20 hash   {} != source {}\n\
             \x20 pycache update compiles it again",
            of("unchecked.py"),
            hash("unchecked.py"),
            source_hash(&python, &unchecked)
        ),
    ];
    assert_eq!(run.stdout, expected.join("\n") + "\n", "{}", run.stderr);
    assert_eq!(run.stderr, "");
}

/// `_imp.source_hash` of `path`'s bytes, as `python` computes it.
fn source_hash(python: &Python, path: &Path) -> String {
    let out = Command::new(&python.path)
        .args([
            "-I",
            "-c",
            "import _imp, sys, importlib.util as u\n\
             data = open(sys.argv[1], 'rb').read()\n\
             print(_imp.source_hash(int.from_bytes(u.MAGIC_NUMBER, 'little'), data).hex())",
        ])
        .arg(path)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// The files pycache does not judge: whose they are and what becomes of
/// them, said without opening a FIFO or following a link.
#[test]
fn whose_each_file_is() {
    let python = debian_python();
    let other = another(&python);
    let tree = Tree::new(&python);
    let site = tree.site.display().to_string();
    let m = source(&tree, "m.py", "M = 1\n");
    compile(&python, &m, 0, "timestamp", None);
    // Another interpreter's bytecode of the same source, its own name.
    compile(&other, &m, 0, "timestamp", None);
    // A sourceless module, and one a source shadows.
    let legacy = tree.site.join("legacy.pyc");
    fs::copy(tree.cache("m.py", 0), &legacy).unwrap();
    fs::copy(tree.cache("m.py", 0), tree.site.join("m.pyc")).unwrap();
    // An orphan, a leftover temporary file of this tag, a symlink and a
    // FIFO where pycs would be.
    let gone = source(&tree, "gone.py", "X = 0\n");
    compile(&python, &gone, 0, "timestamp", None);
    fs::remove_file(&gone).unwrap();
    let cache = tree.site.join("__pycache__");
    let leftover = cache.join("m.cpython-311.pyc.4242.7");
    fs::copy(tree.cache("m.py", 0), &leftover).unwrap();
    // pkg's saved copy of a cache file it replaced with a package's own.
    let pkgsave = cache.join("m.cpython-311.opt-1.pyc.pkgsave");
    fs::copy(tree.cache("m.py", 0), &pkgsave).unwrap();
    source(&tree, "link.py", "L = 1\n");
    symlink("/etc/passwd", tree.cache("link.py", 0)).unwrap();
    mkfifo(&cache.join("fifo.cpython-311.pyc"));
    let other_pyc = tree
        .cache("m.py", 0)
        .with_file_name(format!("m.{}.pyc", other.tag()));
    let paths = [
        other_pyc.clone(),
        legacy.clone(),
        tree.site.join("m.pyc"),
        tree.cache("gone.py", 0),
        leftover.clone(),
        pkgsave.clone(),
        tree.cache("link.py", 0),
        cache.join("fifo.cpython-311.pyc"),
    ];
    let mut args: Vec<&OsStr> = paths.iter().map(|p| p.as_os_str()).collect();
    args.extend([os("-O"), os("0")]);
    let run = explain(&tree, &args).expect(1);
    let (o, om) = (other.minor, other.tag());
    let hex = python_magic(&other);
    let number = u16::from_str_radix(&format!("{}{}", &hex[2..4], &hex[..2]), 16).unwrap();
    let other_magic = format!("{hex} ({number})");
    let prefix = tree.prefix.display();
    let expected = [
        format!(
            "{site}/__pycache__/m.{om}.pyc: left alone: another interpreter's bytecode (Python 3.{o}'s)\n\
             \x20 bytecode of {site}/m.py, level 0, tag {om}: Python 3.{o}'s\n\
             \x20 magic  {other_magic}: Python 3.{o}'s\n\
             \x20 no Python 3.{o} is installed under {prefix}"
        ),
        format!(
            "{site}/legacy.pyc: left alone: a module without source: Python imports it as legacy\n\
             \x20 magic  a70d0d0a (3495): Python 3.11's\n\
             \x20 not bytecode pycache manages (that is only in __pycache__)"
        ),
        format!(
            "{site}/m.pyc: left alone: a module without source, shadowed by m.py: Python imports that instead\n\
             \x20 magic  a70d0d0a (3495): Python 3.11's\n\
             \x20 not bytecode pycache manages (that is only in __pycache__)"
        ),
        format!(
            "{site}/__pycache__/gone.cpython-311.pyc: orphan: its source {site}/gone.py is not there\n\
             \x20 bytecode of {site}/gone.py, level 0, tag cpython-311: this interpreter's (Python 3.11)\n\
             \x20 pycache update and pycache clean remove it"
        ),
        format!(
            "{site}/__pycache__/m.cpython-311.pyc.4242.7: orphan: a temporary file an interrupted write left (removed whatever its source)\n\
             \x20 left by an interrupted write of m.cpython-311.pyc: bytecode of {site}/m.py, level 0, tag cpython-311: this interpreter's (Python 3.11)\n\
             \x20 pycache update and pycache clean remove it"
        ),
        format!(
            "{site}/__pycache__/m.cpython-311.opt-1.pyc.pkgsave: orphan: a copy pkg saved of a cache file before it installed a package's own (removed whatever its source)\n\
             \x20 saved by pkg from m.cpython-311.opt-1.pyc: bytecode of {site}/m.py, level 1, tag cpython-311: this interpreter's (Python 3.11)\n\
             \x20 pycache update and pycache clean remove it"
        ),
        format!(
            "{site}/__pycache__/link.cpython-311.pyc: missing: a symlink is there, not a regular file\n\
             \x20 bytecode of {site}/link.py, level 0, tag cpython-311: this interpreter's (Python 3.11)\n\
             \x20 pycache update fails on this source while a symlink has the name of level 0, as it writes over nothing but regular files: remove it"
        ),
        format!(
            "{site}/__pycache__/fifo.cpython-311.pyc: left alone: a FIFO, never opened; its source {site}/fifo.py is not there, but only regular files are removed\n\
             \x20 bytecode of {site}/fifo.py, level 0, tag cpython-311: this interpreter's (Python 3.11)"
        ),
    ];
    assert_eq!(run.stdout, expected.join("\n") + "\n", "{}", run.stderr);

    // With the other flavor installed, the words say so and how to ask.
    fs::create_dir_all(tree.prefix.join(format!("lib/python3.{o}/site-packages"))).unwrap();
    let json = explain(&tree, &[other_pyc.as_os_str(), os("--json")])
        .expect(0)
        .json();
    let f = file(&json, &other_pyc);
    assert_eq!(f["owner"], "other");
    assert_eq!(f["tag"], om.as_str());
    assert_eq!(f["version"], format!("3.{o}"));
    assert_eq!(f["installed"], serde_json::json!([format!("py3{o}")]));
    assert_eq!(f["header"]["magic_release"], format!("3.{o}"));
    assert_eq!(f["header"]["expected_magic"], Value::Null);
    assert_eq!(
        f["notes"],
        serde_json::json!([
            format!("py3{o} installed under {prefix}"),
            format!("pycache explain --flavor py3{o} judges it for Python 3.{o}")
        ])
    );
    // Nothing was changed, and the FIFO is still one.
    assert!(leftover.exists() && pkgsave.exists() && tree.cache("gone.py", 0).exists());
    assert!(
        fs::symlink_metadata(tree.cache("link.py", 0))
            .unwrap()
            .file_type()
            .is_symlink()
    );
}

/// Each header field in JSON, on every CPython: 3.6's 12-byte header has
/// no flags; 3.7+ writes hash-based pycs too. The states are importlib's.
#[test]
fn header_fields_as_json_on_every_python() {
    for python in pythons() {
        let other = another(&python);
        let tree = Tree::new(&python);
        let fresh = source(&tree, "fresh.py", "A = 1\n");
        compile(&python, &fresh, 0, "timestamp", None);
        let mtime = source(&tree, "mtime.py", "B = 1\n");
        compile(&python, &mtime, 0, "timestamp", None);
        set_mtime(&mtime, T0 + 1);
        let size = source(&tree, "size.py", "C = 1\n");
        compile(&python, &size, 0, "timestamp", None);
        fs::write(&size, "C = 100\n").unwrap();
        set_mtime(&size, T0);
        let magic = source(&tree, "magic.py", "D = 1\n");
        compile(
            &other,
            &magic,
            0,
            "timestamp",
            Some(&tree.cache("magic.py", 0)),
        );
        let mut sources = vec![fresh.clone(), mtime.clone(), size.clone(), magic.clone()];
        let mut states = vec!["fresh", "stale", "stale", "stale"];
        // pycache compares an unchecked-hash pyc, which importlib does not.
        let mut judged = states.clone();
        if python.minor >= 7 {
            let checked = source(&tree, "checked.py", "E = 1\n");
            compile(&python, &checked, 0, "checked-hash", None);
            let changed = source(&tree, "changed.py", "F = 1\n");
            compile(&python, &changed, 0, "checked-hash", None);
            fs::write(&changed, "F = 2\n").unwrap();
            let unchecked = source(&tree, "unchecked.py", "G = 1\n");
            compile(&python, &unchecked, 0, "unchecked-hash", None);
            fs::write(&unchecked, "G = 2\n").unwrap();
            let flags = source(&tree, "flags.py", "H = 1\n");
            compile(&python, &flags, 0, "timestamp", None);
            patch(&tree.cache("flags.py", 0), 4, &[8, 0, 0, 0]);
            sources.extend([checked, changed, unchecked, flags]);
            states.extend(["fresh", "stale", "fresh", "stale"]);
            judged.extend(["fresh", "stale", "stale", "stale"]);
        }
        assert_eq!(
            importlib_verdicts(&python, 0, &sources),
            states,
            "{python:?}"
        );
        let run = explain(
            &tree,
            &[tree.site.as_os_str(), os("-O"), os("0"), os("--json")],
        );
        let json = run.expect(1).json();
        assert_eq!(json["interpreters_started"], 0, "{python:?}");
        assert_eq!(json["python"]["magic_from"], "table");
        for (source, state) in sources.iter().zip(&judged) {
            let f = file(&json, source);
            assert_eq!(f["kind"], "source");
            assert_eq!(f["state"], *state, "{python:?} {}: {f:#}", source.display());
            assert_eq!(f["levels"][0]["state"], *state);
            assert_eq!(
                f["levels"][0]["path"],
                tree.cache(source.file_name().unwrap().to_str().unwrap(), 0)
                    .to_str()
                    .unwrap()
            );
        }
        let header = |source: &Path| file(&json, source)["levels"][0]["header"].clone();
        let own = python_magic(&python);
        let h = header(&fresh);
        assert_eq!(h["magic"], own);
        assert_eq!(h["expected_magic"], own);
        assert_eq!(h["magic_release"], format!("3.{}", python.minor));
        assert_eq!(h["mode"], "timestamp");
        assert_eq!(
            h["flags"],
            if python.minor >= 7 {
                serde_json::json!(0)
            } else {
                Value::Null
            }
        );
        assert_eq!(
            (h["mtime"].clone(), h["source_mtime"].clone()),
            (T0.into(), T0.into())
        );
        assert_eq!(
            (h["size"].clone(), h["source_size"].clone()),
            (6.into(), 6.into())
        );
        assert_eq!(
            (h["hash"].clone(), h["source_hash"].clone()),
            (Value::Null, Value::Null)
        );
        let h = header(&mtime);
        assert_eq!(
            (h["mtime"].clone(), h["source_mtime"].clone()),
            (T0.into(), (T0 + 1).into())
        );
        assert_eq!(
            file(&json, &mtime)["levels"][0]["reason"],
            "source mtime changed"
        );
        let h = header(&size);
        assert_eq!(
            (h["size"].clone(), h["source_size"].clone()),
            (6.into(), 8.into())
        );
        assert_eq!(
            file(&json, &size)["levels"][0]["reason"],
            "source size changed"
        );
        let h = header(&magic);
        assert_eq!(h["magic"], python_magic(&other));
        assert_eq!(h["magic_release"], format!("3.{}", other.minor));
        assert_eq!(h["expected_magic"], own);
        assert_eq!(
            h["mode"],
            Value::Null,
            "the rest of another version's header is not read"
        );
        assert_eq!(
            file(&json, &magic)["levels"][0]["reason"],
            "wrong magic number"
        );
        if python.minor >= 7 {
            for (rel, mode, flags, same) in [
                ("checked.py", "checked-hash", 3, true),
                ("changed.py", "checked-hash", 3, false),
                ("unchecked.py", "unchecked-hash", 1, false),
            ] {
                let h = header(&tree.site.join(rel));
                assert_eq!(h["mode"], mode, "{rel}");
                assert_eq!(h["flags"], flags, "{rel}");
                assert_eq!(h["mtime"], Value::Null);
                let want = source_hash(&python, &tree.site.join(rel));
                assert_eq!(h["source_hash"], want.as_str(), "{python:?} {rel}");
                assert_eq!(h["hash"] == h["source_hash"], same, "{rel}: {h}");
            }
            assert_eq!(header(&tree.site.join("flags.py"))["flags"], 8);
            assert_eq!(header(&tree.site.join("flags.py"))["mode"], Value::Null);
        }
    }
}

/// `importlib.util.MAGIC_NUMBER.hex()` of `python`.
fn python_magic(python: &Python) -> String {
    let out = Command::new(&python.path)
        .args([
            "-I",
            "-c",
            "import importlib.util as u; print(u.MAGIC_NUMBER.hex())",
        ])
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// A tree with every kind of stale, missing, orphaned, unkept and empty:
/// what `check` reports is what `explain` says, file by file, and both
/// exit 1.
#[test]
fn check_and_explain_agree() {
    let python = debian_python();
    let other = another(&python);
    let tree = Tree::new(&python);
    let site = &tree.site;
    let put = |rel: &str, text: &str, levels: &[u8]| {
        let path = source(&tree, rel, text);
        for &level in levels {
            compile(&python, &path, level, "timestamp", None);
        }
        path
    };
    put("fresh.py", "A = 1\n", &[0, 1]);
    let mtime = put("mtime.py", "B = 1\n", &[0, 1]);
    set_mtime(&mtime, T0 + 5);
    let size = put("size.py", "C = 1\n", &[0]);
    fs::write(&size, "C = 22\n").unwrap();
    set_mtime(&size, T0);
    let magic = put("magic.py", "D = 1\n", &[]);
    compile(
        &other,
        &magic,
        0,
        "timestamp",
        Some(&tree.cache("magic.py", 0)),
    );
    put("flags.py", "E = 1\n", &[0, 1]);
    patch(&tree.cache("flags.py", 1), 4, &[4, 0, 0, 0]);
    let hash = put("hash.py", "F = 1\n", &[]);
    compile(&python, &hash, 0, "checked-hash", None);
    fs::write(&hash, "F = 3\n").unwrap();
    put("short.py", "G = 1\n", &[0]);
    let data = fs::read(tree.cache("short.py", 0)).unwrap();
    fs::write(tree.cache("short.py", 0), &data[..10]).unwrap();
    put("garbage.py", "H = 1\n", &[0]);
    patch(&tree.cache("garbage.py", 0), 16, b"x");
    put("missing.py", "I = 1\n", &[]);
    put("unkept.py", "J = 1\n", &[0, 1, 2]);
    let gone = put("gone.py", "K = 1\n", &[0]);
    fs::remove_file(gone).unwrap();
    fs::copy(
        tree.cache("fresh.py", 0),
        site.join("__pycache__/fresh.cpython-311.pyc.77"),
    )
    .unwrap();
    put("link.py", "L = 1\n", &[]);
    symlink("/etc/passwd", tree.cache("link.py", 0)).unwrap();
    // A package dropped whole: only its cache is left; and one whose
    // cache is a symlink, where nothing can be compiled.
    let dropped = put("dropped/old.py", "M = 1\n", &[0]);
    fs::remove_file(dropped).unwrap();
    put("blocked/b.py", "N = 1\n", &[]);
    symlink("/tmp", site.join("blocked/__pycache__")).unwrap();
    let dirs = [site.clone(), site.join("blocked"), site.join("dropped")];
    let common = ["-O", "0,1", "--prune-levels", "--json"];
    let mut check = tree.command(&["check", "--no-config"]);
    check.args(common).args(&dirs);
    let check = bounded(&mut check, Duration::from_secs(60))
        .expect(1)
        .json();
    let mut args: Vec<&OsStr> = common.iter().map(|a| os(a)).collect();
    args.extend(dirs.iter().map(|d| d.as_os_str()));
    let explained = explain(&tree, &args).expect(1).json();
    let files = explained["files"].as_array().unwrap();
    // Each source: its levels not fresh, with the same reasons, are the
    // ones check lists to compile.
    // A source beside a cache that is no directory is a failure of the
    // cache instead (nothing can be compiled into it).
    let failed_caches: Vec<String> = (check["failures"].as_array().unwrap().iter())
        .map(|f| f["path"].as_str().unwrap().to_string())
        .collect();
    let mut to_compile: Vec<Value> = Vec::new();
    for f in files.iter().filter(|f| f["kind"] == "source") {
        let path = Path::new(f["path"].as_str().unwrap());
        let cache = path.with_file_name("__pycache__");
        if failed_caches.contains(&cache.to_str().unwrap().to_string()) {
            assert_eq!(f["state"], "missing", "{f:#}");
            continue;
        }
        let levels: Vec<Value> = (f["levels"].as_array().unwrap().iter())
            .filter(|l| l["state"] != "fresh")
            .map(|l| serde_json::json!({"level": l["level"], "state": l["state"], "reason": l["reason"]}))
            .collect();
        if !levels.is_empty() {
            to_compile.push(serde_json::json!({"path": f["path"], "levels": levels}));
        }
    }
    to_compile.sort_by_key(|v| v["path"].as_str().unwrap().to_string());
    assert_eq!(Value::Array(to_compile), check["to_compile"]);
    let with = |state: &str| -> Vec<Value> {
        let mut paths: Vec<Value> = (files.iter())
            .filter(|f| f["state"] == state)
            .map(|f| f["path"].clone())
            .collect();
        paths.sort_by_key(|v| v.as_str().unwrap().to_string());
        paths
    };
    assert_eq!(Value::Array(with("orphan")), check["orphans"]);
    assert_eq!(Value::Array(with("prune")), check["to_prune"]);
    assert_eq!(Value::Array(with("empty")), check["empty_dirs"]);
    let failed: Vec<Value> = (files.iter())
        .filter(|f| f["state"] == "failed")
        .map(|f| serde_json::json!({"path": f["path"], "reason": f["reason"]}))
        .collect();
    assert_eq!(Value::Array(failed), check["failures"]);
    // Every kind was there to agree on.
    let reasons: Vec<&str> = (check["to_compile"].as_array().unwrap().iter())
        .flat_map(|p| p["levels"].as_array().unwrap().iter())
        .map(|l| l["reason"].as_str().unwrap())
        .collect();
    for reason in [
        "source mtime changed",
        "source size changed",
        "wrong magic number",
        "unknown flags",
        "source hash changed",
        "truncated",
        "no code object after the header",
        "",
    ] {
        assert!(reasons.contains(&reason), "{reason:?} not in {reasons:?}");
    }
    for list in ["orphans", "to_prune", "empty_dirs", "failures"] {
        assert!(
            !check[list].as_array().unwrap().is_empty(),
            "{list}: {check:#}"
        );
    }
    assert_eq!(
        check["interpreters_started"],
        explained["interpreters_started"]
    );
}

/// No interpreter is started to explain, as none is to check: the one a
/// flavor names would say so in its log, and the JSON counts none.
#[test]
fn no_interpreter_is_started() {
    let python = debian_python();
    let tree = Tree::new(&python);
    let log = tree.prefix.join("started.log");
    let fake = tree.prefix.join("bin/python3.11");
    fs::remove_file(&fake).unwrap();
    fs::write(
        &fake,
        format!("#!/bin/sh\necho \"$@\" >> {}\nexit 1\n", log.display()),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(&fake, fs::Permissions::from_mode(0o755)).unwrap();
    let m = source(&tree, "pkg/m.py", "M = 1\n");
    source(&tree, "pkg/stale.py", "S = 1\n");
    compile(&python, &m, 0, "timestamp", None);
    let site = tree.site.join("pkg");
    let json = explain(&tree, &[site.as_os_str(), os("--json")])
        .expect(1)
        .json();
    assert_eq!(json["interpreters_started"], 0);
    let run = explain(&tree, &[site.as_os_str(), os("-v")]).expect(1);
    assert!(
        run.stdout.ends_with("  started 0 interpreter(s)\n"),
        "{}",
        run.stdout
    );
    assert!(
        !log.exists(),
        "the interpreter was started: {:?}",
        fs::read_to_string(&log)
    );
}

#[test]
fn paths_that_name_nothing_to_explain() {
    let python = debian_python();
    let tree = Tree::new(&python);
    let site = tree.site.display().to_string();
    let m = source(&tree, "m.py", "M = 1\n");
    compile(&python, &m, 0, "timestamp", None);
    symlink(&tree.site, tree.site.join("loop")).unwrap();
    let elsewhere = tree
        .prefix
        .join("lib/python3.12/site-packages/x/__pycache__/x.cpython-312.pyc");
    let run = explain(
        &tree,
        &[
            tree.cache("m.py", 0).as_os_str(),
            elsewhere.as_os_str(),
            os("/etc/passwd"),
            tree.site.join("nothing.py").as_os_str(),
            tree.site.join("loop/m.py").as_os_str(),
            tree.cache("nothing.py", 1).as_os_str(),
            os("-O"),
            os("0"),
            os("-q"),
        ],
    );
    // Quiet: the fresh pyc says nothing; each PATH that names nothing one line.
    assert_eq!(
        run.expect(2).stdout,
        format!(
            "pycache: {}: not in {site} (Python 3.11's site-packages); it is in a site-packages of py312: give --flavor py312\n\
             pycache: /etc/passwd: not in {site} (Python 3.11's site-packages); give a path below it, or select the tree that holds it (--flavor, --python, --site-packages, --root)\n\
             pycache: {site}/nothing.py: no such file or directory\n\
             pycache: {site}/loop/m.py: behind the symlink {site}/loop, which pycache never follows; give the path it leads to\n\
             pycache: {site}/__pycache__/nothing.cpython-311.opt-1.pyc: no such file or directory\n",
            elsewhere.display()
        )
    );
    // A missing pyc of a level kept is that level, missing.
    let run = explain(
        &tree,
        &[tree.cache("m.py", 1).as_os_str(), os("-O"), os("0,1")],
    )
    .expect(1);
    assert_eq!(
        run.stdout,
        format!(
            "{site}/__pycache__/m.cpython-311.opt-1.pyc: missing\n\
             \x20 bytecode of {site}/m.py, level 1, tag cpython-311: this interpreter's (Python 3.11)\n\
             \x20 pycache update writes it\n"
        )
    );
}

/// A directory: its sources level by level, its sourceless modules, its
/// cache's files no source covers, and itself when it is to go; not its
/// subdirectories. Relative paths are taken from the working directory.
#[test]
fn a_directory_explains_its_own_files() {
    let python = debian_python();
    let tree = Tree::new(&python);
    let site = tree.site.display().to_string();
    let m = source(&tree, "pkg/m.py", "M = 1\n");
    for level in [0, 1, 2] {
        compile(&python, &m, level, "timestamp", None);
    }
    source(&tree, "pkg/sub/deep.py", "D = 1\n");
    fs::write(tree.site.join("pkg/data.txt"), "data").unwrap();
    let gone = source(&tree, "old/x.py", "X = 1\n");
    compile(&python, &gone, 0, "timestamp", None);
    fs::remove_file(gone).unwrap();
    let mut cmd = tree.command(&["explain", "--no-config", "pkg", "old", "-O", "0,1"]);
    cmd.current_dir(&tree.site);
    let run = bounded(&mut cmd, Duration::from_secs(60)).expect(1);
    let level = |n: u8, name: &str| {
        [
            format!("  level {n}: __pycache__/{name}: fresh"),
            "    magic  a70d0d0a (3495) = expected".into(),
            "    flags  0: timestamp-based".into(),
            "    mtime  1700000000 (2023-11-14 22:13:20 UTC) = source".into(),
            "    size   6 = source".into(),
        ]
        .join("\n")
    };
    assert_eq!(
        run.stdout,
        format!(
            "{site}/pkg/m.py: fresh\n\
             \x20 a source; its bytecode for this interpreter (Python 3.11, tag cpython-311):\n\
             {}\n\
             {}\n\
             {site}/pkg/__pycache__/m.cpython-311.opt-2.pyc: not kept: level 2 is not kept (levels 0 and 1): check and update leave it alone\n\
             \x20 bytecode of {site}/pkg/m.py, level 2, tag cpython-311: this interpreter's (Python 3.11)\n\
             \x20 with --prune-levels, update and clean remove it\n\
             {site}/old: to remove: it holds nothing but caches that go, and goes with them\n\
             \x20 pycache update and pycache clean remove it\n\
             {site}/old/__pycache__: to remove: it holds nothing but this interpreter's orphans, and no source is beside it\n\
             \x20 pycache update and pycache clean remove it\n\
             {site}/old/__pycache__/x.cpython-311.pyc: orphan: its source {site}/old/x.py is not there\n\
             \x20 bytecode of {site}/old/x.py, level 0, tag cpython-311: this interpreter's (Python 3.11)\n\
             \x20 pycache update and pycache clean remove it\n",
            level(0, "m.cpython-311.pyc"),
            level(1, "m.cpython-311.opt-1.pyc"),
        )
    );
}

/// Under `--root`, a PATH is the running system's or the one on disk; a
/// name that is not UTF-8 is `\xNN` in words and `\udcNN` in JSON.
#[test]
fn paths_under_a_root_and_names_that_are_not_utf8() {
    let python = debian_python();
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().canonicalize().unwrap();
    let runtime = PathBuf::from("/usr/local/lib/python3.11/site-packages");
    let site = root.join("usr/local/lib/python3.11/site-packages");
    fs::create_dir_all(&site).unwrap();
    let odd = site.join(OsStr::from_bytes(b"caf\xe9\x1b.py"));
    fs::write(&odd, "X = 1\n").unwrap();
    set_mtime(&odd, T0);
    compile(&python, &odd, 0, "timestamp", None);
    let run = |path: &Path, json: bool| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_pycache"));
        cmd.args([
            "explain",
            "--no-config",
            "--flavor",
            "py311",
            "-O",
            "0",
            "--root",
        ])
        .arg(&root)
        .arg(path);
        if json {
            cmd.arg("--json");
        }
        bounded(&mut cmd, Duration::from_secs(60))
    };
    let on_system = runtime.join(OsStr::from_bytes(b"caf\xe9\x1b.py"));
    let words = run(&on_system, false).expect(0).stdout;
    assert_eq!(words, run(&odd, false).expect(0).stdout);
    // As every text line shows them (src/text.rs): a byte that is not
    // UTF-8 as U+FFFD, a control character escaped.
    let shown = format!("{}/caf\u{fffd}\\x1b.py", site.display());
    assert!(words.starts_with(&format!("{shown}: fresh\n")), "{words}");
    assert!(!words.contains('\x1b'), "{words:?}");
    let json = run(&on_system, true).expect(0);
    assert!(
        json.stdout.contains(&format!(
            "\"path\":\"{}/caf\\udce9\\u001b.py\"",
            site.display()
        )),
        "{}",
        json.stdout
    );
    assert_eq!(
        json.json()["python"]["site_packages"],
        runtime.to_str().unwrap()
    );
}

/// Sources `check` reads through a link, or does not judge: a symlink
/// inside the tree is judged by what it leads to; one leading out of the
/// tree, and a source `exclude` matches, are not judged, and say so.
#[test]
fn sources_read_through_a_link_or_not_judged() {
    let python = debian_python();
    let tree = Tree::new(&python);
    let site = tree.site.display().to_string();
    let m = source(&tree, "m.py", "M = 1\n");
    symlink(&m, tree.site.join("alias.py")).unwrap();
    compile(&python, &tree.site.join("alias.py"), 0, "timestamp", None);
    let outside = tree.prefix.join("outside.py");
    fs::write(&outside, "O = 1\n").unwrap();
    symlink(&outside, tree.site.join("away.py")).unwrap();
    source(&tree, "excluded.py", "E = 1\n");
    let run = explain(
        &tree,
        &[
            tree.site.join("alias.py").as_os_str(),
            tree.site.join("away.py").as_os_str(),
            tree.site.join("excluded.py").as_os_str(),
            tree.cache("excluded.py", 0).as_os_str(),
            os("-O"),
            os("0"),
            os("-x"),
            os("exc*"),
        ],
    );
    assert_eq!(
        run.expect(0).stdout,
        format!(
            "{site}/alias.py: fresh\n\
             \x20 a source (a symlink inside the tree, read through); its bytecode for this interpreter (Python 3.11, tag cpython-311):\n\
             \x20 level 0: __pycache__/alias.cpython-311.pyc: fresh\n\
             \x20   magic  a70d0d0a (3495) = expected\n\
             \x20   flags  0: timestamp-based\n\
             \x20   mtime  1700000000 (2023-11-14 22:13:20 UTC) = source\n\
             \x20   size   6 = source\n\
             {site}/away.py: not judged: a symlink to outside the tree or to nothing: check and update leave it alone\n\
             {site}/excluded.py: excluded: its path matches an exclude pattern: check and update leave it alone\n\
             {site}/__pycache__/excluded.cpython-311.pyc: excluded: its source is excluded: check and update leave it alone\n\
             \x20 bytecode of {site}/excluded.py, level 0, tag cpython-311: this interpreter's (Python 3.11)\n"
        )
    );
}
