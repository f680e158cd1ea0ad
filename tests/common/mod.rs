//! Shared by the integration tests: real CPython interpreters and
//! site-packages trees in temporary directories.
#![allow(dead_code)]

use std::ffi::OsStr;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A CPython found on this machine.
#[derive(Clone, Debug)]
pub struct Python {
    pub path: PathBuf,
    pub minor: u8,
}

impl Python {
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
        let text = lone_surrogates_replaced(&self.stdout);
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

fn lone_surrogates_replaced(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("\\udc") {
        out.push_str(&rest[..at]);
        out.push_str("\\ufffd");
        rest = &rest[at + 8..];
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
    const CHECK: &str = r#"
import sys, os, marshal
src, cfile, dfile, level = (os.fsdecode(a) for a in sys.stdin.buffer.read().split(b"\0")[:4])
data = open(cfile, "rb").read()
header = 12 if sys.version_info < (3, 7) else 16
code = marshal.loads(data[header:])
with open(src, "rb") as f:
    want = compile(f.read(), dfile, "exec", dont_inherit=True, optimize=int(level))
print("same" if code == want else "different", code.co_filename)
"#;
    let input = [
        source.as_os_str().as_bytes(),
        cfile.as_os_str().as_bytes(),
        dfile.as_os_str().as_bytes(),
        level.to_string().as_bytes(),
    ]
    .join(&0u8);
    let out = run_with_stdin(Command::new(&python.path).args(["-I", "-c", CHECK]), &input);
    assert!(
        out.status.success(),
        "check failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let (verdict, filename) = text.split_once(' ').unwrap_or((&text, ""));
    (verdict == "same", filename.to_string())
}

fn run_with_stdin(cmd: &mut Command, input: &[u8]) -> Output {
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
