//! Shared by the integration tests: real CPython interpreters and
//! site-packages trees in temporary directories.
#![allow(dead_code)]

use std::ffi::OsStr;
use std::fs;
use std::io::Read;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// A CPython found on this machine.
#[derive(Clone, Debug)]
pub struct Python {
    pub path: PathBuf,
    pub minor: u8,
}

impl Python {
    /// Whether this is CPython 3.14 under pyodide (see [`py314`]): real
    /// CPython, but WebAssembly's, which has no `os.link`.
    pub fn is_pyodide(&self) -> bool {
        self.path == py314_shim()
    }
    pub fn flavor(&self) -> String {
        format!("py3{}", self.minor)
    }
    pub fn tag(&self) -> String {
        format!("cpython-3{}", self.minor)
    }
    pub fn name(&self) -> String {
        format!("python3.{}", self.minor)
    }
}

/// Every CPython 3.6+ here: Debian's `/usr/bin/python3.11` and each
/// `~/.pyenv/versions/3.X.Y/bin/python3.X` (one per minor version). Fails,
/// saying what to install, when fewer than two versions are found: the
/// tests must prove the rules on more than one version.
pub fn pythons() -> Vec<Python> {
    let mut found: Vec<Python> = Vec::new();
    let mut add = |path: PathBuf| {
        let Some(minor) = version_of(&path) else {
            return;
        };
        if minor >= 6 && !found.iter().any(|p| p.minor == minor) {
            found.push(Python { path, minor });
        }
    };
    add(PathBuf::from("/usr/bin/python3.11"));
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    let mut dirs: Vec<PathBuf> = fs::read_dir(home.join(".pyenv/versions"))
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    dirs.sort();
    for dir in dirs {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let mut parts = name.split('.');
        if let (Some("3"), Some(minor)) = (parts.next(), parts.next()) {
            add(dir.join("bin").join(format!("python3.{minor}")));
        }
    }
    found.sort_by_key(|p| p.minor);
    assert!(
        found.len() >= 2,
        "the tests need at least two CPython 3 versions; found {found:?}. \
         Install another one, e.g. `apt-get install python3.11` plus `pyenv install 3.12`"
    );
    found
}

/// `tests/py314/python3.14.mjs`: CPython 3.14.2 (pyodide, the version
/// pinned in tests/py314/package.json) run by node, behaving enough like
/// `python3.14` for the engine and the tests.
pub fn py314_shim() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/py314/python3.14.mjs")
}

/// CPython 3.14, which no package of this machine provides: pyodide's
/// through [`py314_shim`]. Fails, saying what to install, when node or
/// pyodide is missing.
pub fn py314() -> Python {
    let shim = py314_shim();
    let pyodide = shim.with_file_name("node_modules/pyodide/pyodide.mjs");
    assert!(
        Path::new("/usr/bin/node").exists() && pyodide.exists(),
        "CPython 3.14 runs under pyodide here, which is not installed \
         (/usr/bin/node or {} is missing): run `bash tests/py314/install.sh` \
         (installs Debian's nodejs and npm, then pyodide with npm)",
        pyodide.display()
    );
    Python {
        path: shim,
        minor: 14,
    }
}

/// [`pythons`] and CPython 3.14 ([`py314`] when no native 3.14 is found):
/// the interpreters the bytecode oracle tests run on.
pub fn oracle_pythons() -> Vec<Python> {
    let mut all = pythons();
    if !all.iter().any(|p| p.minor == 14) {
        all.push(py314());
    }
    all
}

/// The Debian interpreter every machine of the project has.
pub fn debian_python() -> Python {
    let path = PathBuf::from("/usr/bin/python3.11");
    assert!(
        path.exists(),
        "{} is missing: apt-get install python3.11",
        path.display()
    );
    Python { path, minor: 11 }
}

fn version_of(python: &Path) -> Option<u8> {
    let out = Command::new(python)
        .args([
            "-I",
            "-c",
            "import sys; print(sys.version_info[0], sys.version_info[1])",
        ])
        .output()
        .ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    let mut it = text.split_whitespace();
    (it.next()? == "3").then_some(())?;
    it.next()?.parse().ok()
}

/// A LOCALBASE in a temporary directory: `bin/python3.X` links to a real
/// interpreter, `lib/python3.X/site-packages` is empty.
pub struct Tree {
    pub tmp: tempfile::TempDir,
    pub prefix: PathBuf,
    pub site: PathBuf,
    pub python: Python,
}

impl Tree {
    pub fn new(python: &Python) -> Tree {
        let tmp = tempfile::tempdir().unwrap();
        let prefix = tmp.path().canonicalize().unwrap().join("local");
        let site = prefix.join("lib").join(python.name()).join("site-packages");
        fs::create_dir_all(&site).unwrap();
        fs::create_dir_all(prefix.join("bin")).unwrap();
        std::os::unix::fs::symlink(&python.path, prefix.join("bin").join(python.name())).unwrap();
        Tree {
            tmp,
            prefix,
            site,
            python: python.clone(),
        }
    }

    /// Writes `rel` below site-packages (parents created).
    pub fn write(&self, rel: impl AsRef<Path>, text: &str) -> PathBuf {
        let path = self.site.join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, text).unwrap();
        path
    }

    /// Runs `pycache ARGS --flavor pyXY --prefix PREFIX`.
    pub fn pycache(&self, args: &[&str]) -> Run {
        Run::of(self.command(args).output().unwrap())
    }

    /// The command `pycache ARGS --flavor pyXY --prefix PREFIX`, to run.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_pycache"));
        cmd.args(args)
            .arg("--flavor")
            .arg(self.python.flavor())
            .arg("--prefix")
            .arg(&self.prefix);
        cmd
    }

    /// Every path below site-packages, relative, sorted.
    pub fn listing(&self) -> Vec<String> {
        listing(&self.site)
    }

    /// `__pycache__/stem.TAG[.opt-N].pyc` of `rel`.
    pub fn cache(&self, rel: &str, level: u8) -> PathBuf {
        cache_of(&self.site.join(rel), &self.python.tag(), level)
    }
}

pub fn cache_of(source: &Path, tag: &str, level: u8) -> PathBuf {
    let stem = source.file_stem().unwrap().as_bytes();
    let mut name = stem.to_vec();
    name.extend_from_slice(format!(".{tag}").as_bytes());
    if level > 0 {
        name.extend_from_slice(format!(".opt-{level}").as_bytes());
    }
    name.extend_from_slice(b".pyc");
    source
        .parent()
        .unwrap()
        .join("__pycache__")
        .join(OsStr::from_bytes(&name))
}

pub fn listing(root: &Path) -> Vec<String> {
    let mut out: Vec<String> = walkdir::WalkDir::new(root)
        .min_depth(1)
        .follow_links(false)
        .into_iter()
        .map(|e| {
            let e = e.unwrap();
            let rel = e
                .path()
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            if e.file_type().is_dir() {
                format!("{rel}/")
            } else {
                rel
            }
        })
        .collect();
    out.sort();
    out
}

/// Runs the `pycache` program with exactly `args`.
pub fn pycache<I, S>(args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    Run::of(
        Command::new(env!("CARGO_BIN_EXE_pycache"))
            .args(args)
            .output()
            .unwrap(),
    )
}

/// A finished `pycache` run.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn of(out: Output) -> Run {
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// The JSON report. serde_json refuses lone surrogates, which stand
    /// for non-UTF-8 bytes: they are read as U+FFFD here.
    pub fn json(&self) -> serde_json::Value {
        self.json_with(|_| "\\ufffd".to_string())
    }

    /// The JSON report, each lone surrogate (a byte that is not UTF-8)
    /// read as the six characters of its escape, `\udce9`: a path that is
    /// not UTF-8 compares exactly with `format!("{dir}/caf\\udce9")`.
    pub fn json_escapes_kept(&self) -> serde_json::Value {
        self.json_with(|escape| format!("\\{escape}"))
    }

    fn json_with(&self, lone: impl Fn(&str) -> String) -> serde_json::Value {
        let text = lone_surrogates_replaced(&self.stdout, lone);
        serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}\nstderr: {}", self.stdout, self.stderr))
    }

    #[track_caller]
    pub fn expect(self, code: i32) -> Run {
        assert_eq!(
            self.code, code,
            "stdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }
}

/// `text` (JSON) with each `\uXXXX` escape of a lone surrogate replaced
/// by `lone(escape)` (the escape is `\udce9`, as written); an escaped
/// backslash and a surrogate pair are left as they are.
fn lone_surrogates_replaced(text: &str, lone: impl Fn(&str) -> String) -> String {
    let surrogate = |escape: &str, range: std::ops::RangeInclusive<u32>| {
        escape.len() == 6
            && escape.starts_with("\\u")
            && u32::from_str_radix(&escape[2..], 16).is_ok_and(|n| range.contains(&n))
    };
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('\\') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let escape = rest.get(..6).unwrap_or(rest);
        if surrogate(escape, 0xD800..=0xDBFF)
            && surrogate(rest.get(6..12).unwrap_or(""), 0xDC00..=0xDFFF)
        {
            out.push_str(&rest[..12]);
            rest = &rest[12..];
        } else if surrogate(escape, 0xD800..=0xDFFF) {
            out.push_str(&lone(escape));
            rest = &rest[6..];
        } else {
            // `\\`, `\"`, `\n`, `\u0041`: the escape's first two characters.
            let two = rest.char_indices().nth(2).map_or(rest.len(), |(i, _)| i);
            out.push_str(&rest[..two]);
            rest = &rest[two..];
        }
    }
    out.push_str(rest);
    out
}

/// Asks `python`'s own importlib whether each cache file would be used for
/// its source at `level` (`SourceFileLoader.get_code` compiling or not):
/// `fresh` or `stale` per source, in order.
pub fn importlib_verdicts(python: &Python, level: u8, sources: &[PathBuf]) -> Vec<String> {
    const ORACLE: &str = r#"
import sys, os, importlib.machinery as m
class L(m.SourceFileLoader):
    compiled = False
    def source_to_code(self, data, path, *, _optimize=-1):
        L.compiled = True
        return super().source_to_code(data, path, _optimize=_optimize)
    def set_data(self, *a, **k):
        pass
for raw in sys.stdin.buffer.read().split(b"\0"):
    if raw:
        L.compiled = False
        L("m", os.fsdecode(raw)).get_code("m")
        print("stale" if L.compiled else "fresh")
"#;
    let mut cmd = Command::new(&python.path);
    cmd.arg("-I");
    match level {
        1 => cmd.arg("-O"),
        2 => cmd.arg("-OO"),
        _ => &mut cmd,
    };
    let input: Vec<u8> = sources
        .iter()
        .flat_map(|s| s.as_os_str().as_bytes().iter().copied().chain([0]))
        .collect();
    let out = run_with_stdin(cmd.args(["-c", ORACLE]), &input);
    assert!(
        out.status.success(),
        "oracle failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

/// Whether the code object in `cfile` equals `compile()` of the source at
/// `level` with `dfile` as file name (marshal bytes differ between
/// processes; code objects compare by value).
pub fn code_matches(
    python: &Python,
    source: &Path,
    cfile: &Path,
    dfile: &Path,
    level: u8,
) -> (bool, String) {
    codes_match(python, &[(source, cfile, dfile, level)]).remove(0)
}

/// [`code_matches`] for each of `cases` (source, cfile, dfile, level), in
/// one run of the interpreter.
pub fn codes_match(python: &Python, cases: &[(&Path, &Path, &Path, u8)]) -> Vec<(bool, String)> {
    const CHECK: &str = r#"
import sys, os, marshal
fields = sys.stdin.buffer.read().split(b"\0")
header = 12 if sys.version_info < (3, 7) else 16
out = sys.stdout.buffer
for i in range(0, len(fields) - 1, 4):
    src, cfile, dfile, level = (os.fsdecode(a) for a in fields[i:i + 4])
    data = open(cfile, "rb").read()
    code = marshal.loads(data[header:])
    with open(src, "rb") as f:
        want = compile(f.read(), dfile, "exec", dont_inherit=True, optimize=int(level))
    out.write(b"same " if code == want else b"different ")
    out.write(os.fsencode(code.co_filename) + b"\0")
"#;
    let mut input = Vec::new();
    for (source, cfile, dfile, level) in cases {
        for field in [
            source.as_os_str().as_bytes(),
            cfile.as_os_str().as_bytes(),
            dfile.as_os_str().as_bytes(),
            level.to_string().as_bytes(),
        ] {
            input.extend_from_slice(field);
            input.push(0);
        }
    }
    let out = run_with_stdin(Command::new(&python.path).args(["-I", "-c", CHECK]), &input);
    assert!(
        out.status.success(),
        "check failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let answers: Vec<(bool, String)> = out
        .stdout
        .split(|&b| b == 0)
        .filter(|a| !a.is_empty())
        .map(|a| {
            let text = String::from_utf8_lossy(a);
            let (verdict, filename) = text.split_once(' ').unwrap_or((&text, ""));
            (verdict == "same", filename.to_string())
        })
        .collect();
    assert_eq!(answers.len(), cases.len(), "{python:?}: {answers:?}");
    answers
}

pub fn run_with_stdin(cmd: &mut Command, input: &[u8]) -> Output {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

// Helpers of the invariant test files (once in tests/engine.rs).

/// The optimization levels every test keeps.
pub const LEVELS: [u8; 3] = [0, 1, 2];

/// A small package with a subpackage and a top-level module.
pub fn populate(tree: &Tree) -> Vec<PathBuf> {
    vec![
        tree.write("pkg/__init__.py", "from .mod import f\n"),
        tree.write(
            "pkg/mod.py",
            "def f():\n    assert True, 'x'\n    return 'doc'\n",
        ),
        tree.write(
            "pkg/sub/__init__.py",
            "\"\"\"Docstring removed at -OO.\"\"\"\nX = 1\n",
        ),
        tree.write("top.py", "import os\nVALUE = 42\n"),
    ]
}

pub fn walk_all(root: &Path) -> Vec<PathBuf> {
    walkdir::WalkDir::new(root)
        .into_iter()
        .map(|e| e.unwrap().into_path())
        .collect()
}

pub fn running_as_root() -> bool {
    std::process::Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

pub fn inode(path: &Path) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt;
    let meta = fs::metadata(path).unwrap();
    (meta.dev(), meta.ino())
}

/// Sources where the levels' codes differ or may seem to (`name`, `text`,
/// the oldest minor version that compiles it): docstrings in every place
/// -OO looks and strings that are not docstrings, `assert` and `__debug__`
/// spelled in many ways, constant slices (marshalled as such from 3.14),
/// f-strings, lambdas, comprehensions, async code, class bodies and
/// annotations (deferred from 3.14).
pub const TRICKY: &[(&str, &str, u8)] = &[
    ("moddoc.py", "\"\"\"Module doc.\"\"\"\nX = 1\n", 6),
    ("onlydoc.py", "\"\"\"Only a docstring.\"\"\"\n", 6),
    (
        "classdoc.py",
        "class A:\n    \"\"\"Class doc.\"\"\"\n    x = 1\n",
        6,
    ),
    (
        "funcdoc.py",
        "def f():\n    \"\"\"Doc.\"\"\"\n    return 1\n",
        6,
    ),
    (
        "funcdoc_only.py",
        "def f():\n    \"\"\"Only a doc.\"\"\"\n",
        6,
    ),
    (
        "asyncdoc.py",
        "async def f():\n    \"\"\"Doc.\"\"\"\n    return 1\n",
        6,
    ),
    (
        "methoddoc.py",
        "class A:\n    x = 'v'\n    def m(self):\n        ('Doc.')\n        return 1\n",
        6,
    ),
    (
        "nesteddoc.py",
        "def f():\n    def g():\n        'Doc.'\n    return g\n",
        6,
    ),
    (
        "concatdoc.py",
        "def f():\n    'Doc, ' 'in two parts.'\n    return 2\n",
        6,
    ),
    (
        "notfirst.py",
        "def f():\n    x = 1\n    'not a docstring'\n    return x\n",
        6,
    ),
    (
        "lambda.py",
        "F = lambda: 'not a doc'\nG = lambda x: x[1:2]\n",
        6,
    ),
    (
        "firstconst.py",
        "X = 'a'\ndef f():\n    return 'b'\nclass C:\n    y = 'not a doc'\n",
        6,
    ),
    (
        "bytesdoc.py",
        "def f():\n    b'not a docstring'\n    return 1\n",
        6,
    ),
    (
        "fstringdoc.py",
        "def f(x):\n    f'not a docstring {x}'\n    return f'{x!r:>10}{x=}'\n",
        8,
    ),
    (
        "asserts.py",
        "def f(x):\n    assert x, 'no'\n    return x\n",
        6,
    ),
    (
        "debug.py",
        "if __debug__:\n    MODE = 'debug'\nelse:\n    MODE = 'optimized'\n",
        6,
    ),
    // NFKC: the identifier is `__debug__`.
    ("nfkc_debug.py", "if __\u{1d4b9}ebug__:\n    MODE = 1\n", 6),
    (
        "utf7.py",
        "# coding: utf-7\ndef f(x):\n    +AGE-ssert x\n    return x\n",
        6,
    ),
    (
        "escaped.py",
        "# -*- coding: unicode_escape -*-\nif \\x5f_debug__:\n    MODE = 1\n",
        6,
    ),
    (
        "assert_doc.py",
        "'''Doc.'''\ndef f(x):\n    '''Doc.'''\n    assert x\n    return x\n",
        6,
    ),
    (
        "mention.py",
        "# assert in a comment\nVALUE = 'assertion __doc__ __debug__x'\n",
        6,
    ),
    ("docname.py", "def f():\n    return f.__doc__\n", 6),
    (
        "slices.py",
        "def f(x):\n    return x[1:2], x[::2], x[:-1], x[1:2:3], x['a':'b'], x[1:2]\n",
        6,
    ),
    (
        "comprehensions.py",
        "L = [x for x in range(3) if x]\nS = {x for x in 'ab'}\n\
         D = {k: v for k, v in []}\nG = (x for x in 'cd')\n",
        6,
    ),
    (
        "asynccode.py",
        "import asyncio\nasync def f(xs):\n    async with xs as y:\n\
         \x20       async for z in y:\n            await asyncio.sleep(0)\n\
         \x20   return [a async for a in xs]\n",
        6,
    ),
    (
        "classes.py",
        "class A(object, metaclass=type):\n    x: int = 1\n    def __init__(self):\n\
         \x20       self.y = 2\n    @property\n    def p(self):\n        return self.y\n",
        6,
    ),
    // A class in a function, closing over its argument: marshal writes
    // its constants by their reference counts.
    (
        "closure_class.py",
        "def f(cp):\n    'Doc.'\n    class A:\n        def encode(self, input, final=False):\n\
         \x20           return g(cp, input, self.errors)[0]\n    return A\n",
        6,
    ),
    (
        "annotations.py",
        "x: int = 1\ndef f(a: 'A', b: 'list[int]' = None) -> str:\n    return ''\n\
         class C:\n    y: 'dict[str, int]'\n    def g(self, z: 'C') -> 'C':\n\
         \x20       '''Doc.'''\n        return z\n",
        6,
    ),
    (
        "generics.py",
        "type Alias[T] = list[T]\ndef first[T](xs: list[T]) -> T:\n    'Doc.'\n    return xs[0]\n\
         class Box[T]:\n    item: T\n",
        12,
    ),
    (
        "template.py",
        "def f(name):\n    return t'Hello {name!r}', t'{name:>{10}}'\n",
        14,
    ),
];

/// Writes the [`TRICKY`] sources that 3.`minor` compiles below
/// site-packages; returns their paths.
pub fn write_tricky(tree: &Tree) -> Vec<PathBuf> {
    TRICKY
        .iter()
        .filter(|(_, _, since)| tree.python.minor >= *since)
        .map(|(name, text, _)| tree.write(name, text))
        .collect()
}

/// Runs `cmd` in its own process group; fails the test when it takes longer
/// than `limit` (the whole group is killed first).
pub fn bounded(cmd: &mut Command, limit: Duration) -> Run {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .unwrap();
    let (out, err) = (read_all(child.stdout.take()), read_all(child.stderr.take()));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > limit {
            kill_group(child.id(), "KILL");
            let _ = child.wait();
            panic!("{cmd:?} did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Run {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.join().unwrap()).into_owned(),
        stderr: String::from_utf8_lossy(&err.join().unwrap()).into_owned(),
    }
}

/// Reads `pipe` to its end on a thread of its own.
pub fn read_all(pipe: Option<impl Read + Send + 'static>) -> std::thread::JoinHandle<Vec<u8>> {
    let mut pipe = pipe.unwrap();
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = pipe.read_to_end(&mut buf);
        buf
    })
}

/// `kill -SIGNAL -- -PGID`: signals a whole process group.
pub fn kill_group(pgid: u32, signal: &str) {
    let status = Command::new("kill")
        .args([&format!("-{signal}"), "--", &format!("-{pgid}")])
        .status()
        .unwrap();
    assert!(status.success(), "kill -{signal} -- -{pgid}");
}

/// Runs `pycache ARGS --flavor --prefix` of `tree`, stopping at the pause
/// `point`, where `during` changes the tree; then lets it go on. Fails
/// when the program never reaches the point.
pub fn paused(tree: &Tree, args: &[&str], point: &str, during: impl FnOnce()) -> Run {
    let sync = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_pycache"))
        .args(args)
        .arg("--flavor")
        .arg(tree.python.flavor())
        .arg("--prefix")
        .arg(&tree.prefix)
        .env(
            "PYCACHE_TEST_PAUSE",
            format!("{point}:{}", sync.path().display()),
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let until = Instant::now() + Duration::from_secs(30);
    while !sync.path().join(format!("{point}.paused")).exists() {
        if Instant::now() > until || child.try_wait().unwrap().is_some() {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!(
                "pycache never paused at {point} (a release build, or the pause point \
                 is gone): {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    during();
    fs::write(sync.path().join(format!("{point}.go")), b"").unwrap();
    Run::of(bounded_output(child, Duration::from_secs(30)))
}

/// The child's output, killing it (and failing) when it runs past `limit`.
/// Its pipes are read meanwhile, so a long report never fills them.
pub fn bounded_output(child: std::process::Child, limit: Duration) -> std::process::Output {
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || tx.send(child.wait_with_output()));
    match rx.recv_timeout(limit) {
        Ok(out) => out.unwrap(),
        Err(_) => {
            let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
            panic!("pycache still running after {limit:?}");
        }
    }
}

include!("code_body.rs");
