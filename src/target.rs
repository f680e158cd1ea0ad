//! Which interpreter and which site-packages a run is about, and where that
//! site-packages is on disk (below `--root`, behind a symlink).

use std::ffi::OsString;
use std::io::Read;
use std::os::unix::ffi::OsStringExt;
use std::os::unix::process::CommandExt;
use std::path::{Component, Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use rustix::process::{Pid, Signal};

use crate::error::Error;
use crate::flavor::Flavor;
use crate::magic::MagicFrom;
use crate::path_search::{self, Found};
use crate::pyc::Magic;

/// How long asking an interpreter about itself may take (it is asked before
/// any option of a run applies).
const ASK_TIMEOUT: Duration = Duration::from_secs(60);

/// Symlinks followed while resolving one path inside a root, as Linux's
/// and FreeBSD's own limit (ELOOP) for a lookup.
const MAX_SYMLINKS: usize = 32;

/// The interpreter and site-packages a run works on.
///
/// Built from a flavor (no interpreter is started: layout, cache tag and
/// magic number follow from the flavor) or from an interpreter, which is then
/// asked once for its version, cache tag, magic number and site-packages.
#[derive(Clone, Debug)]
pub struct Target {
    minor: u8,
    /// A free-threaded flavor (`py313t`): same tag, its own tree.
    free_threaded: bool,
    tag: String,
    magic: Option<[u8; 4]>,
    /// Where `magic` came from: the table for a flavor, the interpreter
    /// when it was asked.
    magic_from: MagicFrom,
    interpreter: PathBuf,
    /// How the interpreter was named, when that is not its path: the name
    /// given, the file it was found as and how (verbose output says so).
    named: Option<(PathBuf, PathBuf, Found)>,
    /// Set when the interpreter was named by a bare name that `PATH` does
    /// not have: the error's hint. Nothing is started then.
    missing: Option<String>,
    /// The standard library of a flavor, `PREFIX/lib/python3.X` as the
    /// running system spells it, whose own bytecode tells the magic number
    /// of a version the table does not know ([`crate::magic`]).
    stdlib: Option<PathBuf>,
    site_packages: PathBuf,
    root: Option<PathBuf>,
}

/// Where the site-packages of a [`Target`] is on this machine, resolved.
#[derive(Clone, Debug)]
pub struct Location {
    /// The directory the engine reads and writes (symlinks resolved, inside
    /// the root when there is one).
    pub dir: PathBuf,
    /// The site-packages path as the running system sees it: what compiled
    /// code objects record and what pkg's touched directories start with.
    pub runtime: PathBuf,
    /// Set when `dir` differs from the path given, to say so in verbose output.
    pub note: Option<String>,
}

impl Target {
    /// The target of `flavor` installed below `prefix` (usually `/usr/local`):
    /// `PREFIX/bin/python3.11` and `PREFIX/lib/python3.11/site-packages`.
    pub fn from_flavor(flavor: Flavor, prefix: &Path) -> Target {
        Target {
            minor: flavor.minor(),
            free_threaded: flavor.is_free_threaded(),
            tag: flavor.cache_tag(),
            magic: flavor.magic(),
            magic_from: MagicFrom::Table,
            interpreter: flavor.interpreter(prefix),
            named: None,
            missing: None,
            stdlib: Some(flavor.stdlib(prefix)),
            site_packages: flavor.site_packages(prefix),
            root: None,
        }
    }

    /// The target of an interpreter, asked for its version, cache tag, magic
    /// number and site-packages (`sysconfig`'s `purelib`). A bare name is
    /// looked up in `PATH` first (src/path_search.rs).
    pub fn from_interpreter(python: &Path) -> Result<Target, Error> {
        let (resolved, how) = path_search::resolve(python)?;
        let named = (how != Found::AsGiven).then(|| (python.to_path_buf(), resolved.clone(), how));
        let python = resolved.as_path();
        let answer = ask(python)?;
        let mut fields = answer.split(|&b| b == 0);
        let mut next = || fields.next().unwrap_or_default().to_vec();
        let (major, minor, tag, magic, gil_disabled, purelib, executable) =
            (next(), next(), next(), next(), next(), next(), next());
        let failed = |detail: &str| Error::InterpreterBadAnswer {
            interpreter: python.to_path_buf(),
            detail: detail.to_string(),
        };
        let number = |b: Vec<u8>| String::from_utf8(b).ok().and_then(|s| s.parse::<u8>().ok());
        let (major, minor) = match (number(major), number(minor)) {
            (Some(major), Some(minor)) => (major, minor),
            _ => {
                return Err(failed(
                    "did not report its version; is it CPython 3.6 or later?",
                ));
            }
        };
        Flavor::new(major, minor).map_err(|_| {
            failed(&format!(
                "is Python {major}.{minor}; CPython 3.6 or later is needed"
            ))
        })?;
        let tag = String::from_utf8(tag).map_err(|_| failed("reported a malformed cache tag"))?;
        if tag.is_empty() || tag == "None" {
            return Err(failed(
                "has no bytecode cache tag (sys.implementation.cache_tag is None)",
            ));
        }
        let magic = hex4(&magic).ok_or_else(|| failed("reported a malformed magic number"))?;
        // A free-threaded build (`python3.13t`) is its own flavor, py313t.
        let free_threaded = gil_disabled == b"1";
        if free_threaded {
            Flavor::free_threaded(major, minor).map_err(|_| {
                failed(&format!(
                    "says it is a free-threaded Python {major}.{minor}, which starts at 3.13"
                ))
            })?;
        }
        Ok(Target {
            minor,
            free_threaded,
            tag,
            magic: Some(magic),
            magic_from: MagicFrom::Interpreter,
            // A launcher (a pyenv shim, `python3` on PATH) is replaced by the
            // interpreter it ran, so workers run exactly what was asked.
            interpreter: if executable.is_empty() {
                python.to_path_buf()
            } else {
                PathBuf::from(OsString::from_vec(executable))
            },
            named,
            missing: None,
            stdlib: None,
            site_packages: PathBuf::from(OsString::from_vec(purelib)),
            root: None,
        })
    }

    /// Compiles with this interpreter instead (for a flavor: another path to
    /// the same Python; the compile workers check its cache tag). A bare
    /// name is looked up in `PATH` now, once (src/path_search.rs); when
    /// it is not there, nothing is started and the run says why where it
    /// needs the interpreter ([`Target::runnable`]).
    pub fn with_interpreter(mut self, python: impl Into<PathBuf>) -> Target {
        let python = python.into();
        self.named = None;
        self.missing = None;
        match path_search::resolve(&python) {
            Ok((resolved, how)) => {
                if how != Found::AsGiven {
                    self.named = Some((python, resolved.clone(), how));
                }
                self.interpreter = resolved;
            }
            Err(e) => {
                self.missing = Some(match e {
                    Error::InterpreterNotFound {
                        hint: Some(hint), ..
                    } => hint,
                    e => e.to_string(),
                });
                self.interpreter = python;
            }
        }
        self
    }

    /// Works on this site-packages instead of the default one.
    pub fn with_site_packages(mut self, dir: impl Into<PathBuf>) -> Target {
        self.site_packages = dir.into();
        self
    }

    /// Works on `root/<site-packages>` (a staged image); compiled files
    /// still record the site-packages path of the running system.
    pub fn with_root(mut self, root: impl Into<PathBuf>) -> Target {
        self.root = Some(root.into());
        self
    }

    /// The flavor of this target's version (`py311`, `py313t`).
    pub fn flavor(&self) -> Flavor {
        let flavor = if self.free_threaded {
            Flavor::free_threaded(3, self.minor)
        } else {
            Flavor::new(3, self.minor)
        };
        flavor.expect("a target's version is a flavor's")
    }

    /// `3.11`, or `3.13t` for a free-threaded flavor.
    pub fn version(&self) -> String {
        let t = if self.free_threaded { "t" } else { "" };
        format!("3.{}{t}", self.minor)
    }

    /// Minor version of CPython 3.
    pub fn minor(&self) -> u8 {
        self.minor
    }

    /// The cache tag whose files this target owns, `cpython-311`.
    pub fn tag(&self) -> &str {
        &self.tag
    }

    /// The magic number pycs must carry, when known without starting Python.
    pub fn magic(&self) -> Option<Magic> {
        self.magic.map(|bytes| Magic {
            bytes,
            minor: self.minor,
        })
    }

    /// Where [`Target::magic`] comes from, when there is one: the table
    /// for a flavor, the interpreter for a target made by asking it.
    pub fn magic_from(&self) -> MagicFrom {
        self.magic_from
    }

    /// The interpreter that compiles.
    pub fn interpreter(&self) -> &Path {
        &self.interpreter
    }

    /// The interpreter to start, or why there is none: a bare name that
    /// `PATH` does not have is never handed to a worker, whose empty
    /// environment would search the C library's default path instead.
    pub fn runnable(&self) -> Result<&Path, Error> {
        match &self.missing {
            None => Ok(&self.interpreter),
            Some(hint) => Err(Error::InterpreterNotFound {
                interpreter: self.interpreter.clone(),
                hint: Some(hint.clone()),
            }),
        }
    }

    /// What verbose output says about how the interpreter was found, when
    /// it was not named by its absolute path.
    pub fn interpreter_note(&self) -> Option<String> {
        let (given, found, how) = self.named.as_ref()?;
        path_search::note(given, found, how)
    }

    /// The flavor's standard library (`PREFIX/lib/python3.X`), as the
    /// running system spells it; `None` for a target made from an
    /// interpreter.
    pub(crate) fn stdlib(&self) -> Option<&Path> {
        self.stdlib.as_deref()
    }

    /// The site-packages path as given (runtime spelling).
    pub fn site_packages(&self) -> &Path {
        &self.site_packages
    }

    /// The root given with [`Target::with_root`].
    pub fn root(&self) -> Option<&Path> {
        self.root.as_deref()
    }

    /// Resolves where the site-packages is on disk. It must exist and be a
    /// directory. Without a root, a symlinked path is resolved once, here;
    /// with a root, every symlink on the way is resolved inside the root, so
    /// no link can lead outside it.
    pub fn locate(&self) -> Result<Location, Error> {
        let runtime = absolute(&self.site_packages)?;
        let dir = match &self.root {
            Some(root) => {
                let root = root
                    .canonicalize()
                    .map_err(|e| Error::io(root.clone(), e))?;
                resolve_in_root(&root, &runtime)?
            }
            None => match runtime.canonicalize() {
                Ok(dir) => dir,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    return Err(Error::SitePackagesMissing { path: runtime });
                }
                Err(e) => return Err(Error::io(runtime, e)),
            },
        };
        match dir.metadata() {
            Ok(meta) if meta.is_dir() => {}
            Ok(_) => return Err(Error::NotADirectory { path: dir }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(Error::SitePackagesMissing { path: dir });
            }
            Err(e) => return Err(Error::io(dir, e)),
        }
        let note = (dir != runtime)
            .then(|| format!("working on {} for {}", dir.display(), runtime.display()));
        Ok(Location { dir, runtime, note })
    }
}

impl Location {
    /// Whether `dir` (absolute, or taken from the working directory) is
    /// this site-packages or below it, spelled for the running system or
    /// on disk. Only the spelling is looked at: `dir` may be gone.
    pub fn contains(&self, dir: &Path) -> bool {
        let dir = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
        [&self.runtime, &self.dir].iter().any(|top| {
            dir.strip_prefix(top)
                .is_ok_and(|rel| rel.components().all(|c| matches!(c, Component::Normal(_))))
        })
    }
}

/// How a front names its target: the flags of the program, the options of
/// the Lua module. [`Selection::target`] is the one place they are resolved.
#[derive(Clone, Debug, Default)]
pub struct Selection {
    /// A flavor: layout, tag and magic follow from it.
    pub flavor: Option<Flavor>,
    /// Where the flavor is installed; `/usr/local` when `None`.
    pub prefix: Option<PathBuf>,
    /// The interpreter. With a flavor, only the one that compiles; alone,
    /// it is asked for everything.
    pub python: Option<PathBuf>,
    /// Overrides the site-packages.
    pub site_packages: Option<PathBuf>,
    /// Works below this root.
    pub root: Option<PathBuf>,
}

impl Selection {
    /// The default prefix of a flavor.
    pub const PREFIX: &'static str = "/usr/local";

    /// Resolves the selection. With neither a flavor nor an interpreter,
    /// `python3` on `PATH` is asked.
    pub fn target(&self) -> Result<Target, Error> {
        let mut target = match (self.flavor, &self.python) {
            (Some(flavor), python) => {
                let prefix = self.prefix.as_deref().unwrap_or(Path::new(Self::PREFIX));
                let target = Target::from_flavor(flavor, prefix);
                match python {
                    Some(python) => target.with_interpreter(python),
                    None => target,
                }
            }
            (None, Some(python)) => Target::from_interpreter(python)?,
            (None, None) => {
                // A message of its own: no interpreter was named at all.
                Target::from_interpreter(Path::new("python3")).map_err(|e| match e {
                    Error::InterpreterNotFound { interpreter, .. } => {
                        let path = match std::env::var_os("PATH") {
                            Some(_) => "not on PATH",
                            None => "PATH is not set",
                        };
                        Error::InterpreterNotFound {
                            interpreter,
                            hint: Some(format!(
                                "{path}; give a flavor (pyXY) or an interpreter path"
                            )),
                        }
                    }
                    e => e,
                })?
            }
        };
        if let Some(dir) = &self.site_packages {
            target = target.with_site_packages(dir);
        }
        if let Some(root) = &self.root {
            target = target.with_root(root);
        }
        Ok(target)
    }
}

fn absolute(path: &Path) -> Result<PathBuf, Error> {
    if path.is_absolute() {
        return Ok(path.to_path_buf());
    }
    std::env::current_dir()
        .map(|cwd| cwd.join(path))
        .map_err(|e| Error::io(path, e))
}

/// Resolves the absolute `path` as if `root` were `/`: `..` stops at the
/// root, absolute symlink targets restart from the root. The result is
/// always inside `root` (a canonical path). Components that do not exist are
/// kept as they are.
pub fn resolve_in_root(root: &Path, path: &Path) -> Result<PathBuf, Error> {
    let mut pending: Vec<OsString> = components(path);
    pending.reverse();
    let mut current = root.to_path_buf();
    let mut links = 0;
    while let Some(name) = pending.pop() {
        if name == ".." {
            if current != root {
                current.pop();
            }
            continue;
        }
        let candidate = current.join(&name);
        match candidate.symlink_metadata() {
            Ok(meta) if meta.file_type().is_symlink() => {
                links += 1;
                if links > MAX_SYMLINKS {
                    return Err(Error::io(
                        candidate,
                        std::io::Error::other("too many levels of symbolic links"),
                    ));
                }
                let target = candidate
                    .read_link()
                    .map_err(|e| Error::io(candidate.clone(), e))?;
                if target.is_absolute() {
                    current = root.to_path_buf();
                }
                let mut more = components(&target);
                more.reverse();
                pending.extend(more);
            }
            _ => current = candidate,
        }
    }
    Ok(current)
}

fn components(path: &Path) -> Vec<OsString> {
    path.components()
        .filter_map(|c| match c {
            Component::Normal(n) => Some(n.to_os_string()),
            Component::ParentDir => Some(OsString::from("..")),
            _ => None,
        })
        .collect()
}

fn hex4(text: &[u8]) -> Option<[u8; 4]> {
    let text = std::str::from_utf8(text).ok()?;
    if text.len() != 8 {
        return None;
    }
    let mut out = [0u8; 4];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

/// Marks the start of the answer, so that whatever a wrapper script or the
/// interpreter prints before it is skipped.
const ASK_MARKER: &[u8] = b"\0pycache-ask\0";

/// What the interpreter prints about itself after [`ASK_MARKER`]:
/// NUL-separated major, minor, cache tag, magic (hex), `1` for a
/// free-threaded build (`Py_GIL_DISABLED`) else `0`, purelib and
/// executable (file system bytes). It runs without `site` (`-S`), so a
/// venv's `pyvenv.cfg` is looked for as `site` would (beside the
/// executable or one directory up) before `sysconfig` reads `sys.prefix`.
const ASK: &str = "import sys, os
e = sys.executable
if e:
    d = os.path.dirname(os.path.abspath(e))
    if any(os.path.isfile(os.path.join(c, 'pyvenv.cfg')) for c in (d, os.path.dirname(d))):
        sys.prefix = sys.exec_prefix = os.path.dirname(d)
import sysconfig, importlib.util as u
w = sys.stdout.buffer.write
w(b'\\0pycache-ask\\0')
ft = '1' if sysconfig.get_config_var('Py_GIL_DISABLED') else '0'
for f in (str(sys.version_info[0]), str(sys.version_info[1]), str(sys.implementation.cache_tag), u.MAGIC_NUMBER.hex(), ft):
    w(f.encode() + b'\\0')
w(os.fsencode(sysconfig.get_paths()['purelib']) + b'\\0')
w(os.fsencode(sys.executable or ''))
";

/// Runs `python -I -S -c ASK` with a time limit ([`ASK_TIMEOUT`], also for
/// reading its output). The environment is kept so that a launcher found on
/// PATH (a pyenv shim) works; `-I` keeps PYTHON* variables from changing
/// the answer and `-S` keeps every `.pth` file from running.
fn ask(python: &Path) -> Result<Vec<u8>, Error> {
    let mut child = Command::new(python)
        .args(["-I", "-S", "-c", ASK])
        // As the compile workers: killing it kills what it started.
        .process_group(0)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| spawn_error(python, e))?;
    let started = Instant::now();
    let stdout = read_in_background(child.stdout.take().expect("piped"));
    let stderr = read_in_background(child.stderr.take().expect("piped"));
    let timed_out = || Error::StartupTimeout {
        interpreter: python.to_path_buf(),
        after: ASK_TIMEOUT,
    };
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None)
                if started.elapsed() < ASK_TIMEOUT && crate::interrupt::received().is_none() =>
            {
                std::thread::sleep(Duration::from_millis(2))
            }
            Ok(None) => {
                if let Some(pid) = i32::try_from(child.id()).ok().and_then(Pid::from_raw) {
                    let _ = rustix::process::kill_process_group(pid, Signal::KILL);
                }
                let _ = child.kill();
                let _ = child.wait();
                if crate::interrupt::received().is_some() {
                    return Err(Error::Interrupted {
                        interpreter: python.to_path_buf(),
                        doing: "not asked about itself",
                    });
                }
                return Err(timed_out());
            }
            Err(e) => return Err(Error::io(python, e)),
        }
    };
    // Something it started may hold the pipes open: their reading is
    // bounded too.
    let left = ASK_TIMEOUT.saturating_sub(started.elapsed());
    let out = stdout.and_then(|r| r.recv_timeout(left).ok());
    if !status.success() {
        let err = stderr
            .and_then(|r| r.recv_timeout(Duration::from_secs(1)).ok())
            .unwrap_or_default();
        let err = String::from_utf8_lossy(&err);
        let last = err.lines().last().unwrap_or("no message").to_string();
        return Err(Error::InterpreterExited {
            interpreter: python.to_path_buf(),
            status: status.to_string(),
            message: last,
        });
    }
    let out = out.ok_or_else(timed_out)?;
    match out.windows(ASK_MARKER.len()).position(|w| w == ASK_MARKER) {
        Some(at) => Ok(out[at + ASK_MARKER.len()..].to_vec()),
        None => Err(Error::InterpreterBadAnswer {
            interpreter: python.to_path_buf(),
            detail: "did not report its version; is it CPython 3.6 or later?".into(),
        }),
    }
}

/// Reads `pipe` to its end in a thread; the bytes arrive on the channel.
/// `None` when no thread can be started (the output is then not read).
fn read_in_background(mut pipe: impl Read + Send + 'static) -> Option<Receiver<Vec<u8>>> {
    let (send, receive) = mpsc::channel();
    std::thread::Builder::new()
        .spawn(move || {
            let mut out = Vec::new();
            let _ = pipe.read_to_end(&mut out);
            let _ = send.send(out);
        })
        .ok()?;
    Some(receive)
}

/// The error for an interpreter that could not be started.
pub(crate) fn spawn_error(python: &Path, e: std::io::Error) -> Error {
    if e.kind() == std::io::ErrorKind::NotFound {
        Error::InterpreterNotFound {
            interpreter: python.to_path_buf(),
            hint: None,
        }
    } else {
        Error::InterpreterNotRunnable {
            interpreter: python.to_path_buf(),
            source: e,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn root_resolution_never_leaves_the_root() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().canonicalize().unwrap();
        std::fs::create_dir_all(root.join("real/lib")).unwrap();
        symlink("/real", root.join("abs")).unwrap();
        symlink("../../../../..", root.join("real/up")).unwrap();
        symlink("/host-etc", root.join("etc")).unwrap();
        assert_eq!(
            resolve_in_root(&root, Path::new("/abs/lib")).unwrap(),
            root.join("real/lib")
        );
        assert_eq!(
            resolve_in_root(&root, Path::new("/real/up/real")).unwrap(),
            root.join("real")
        );
        assert_eq!(
            resolve_in_root(&root, Path::new("/../../x")).unwrap(),
            root.join("x")
        );
        assert_eq!(
            resolve_in_root(&root, Path::new("/etc/passwd")).unwrap(),
            root.join("host-etc/passwd")
        );
        symlink("loop", root.join("loop")).unwrap();
        let err = resolve_in_root(&root, Path::new("/loop")).unwrap_err();
        let Error::Io { path, source } = &err else {
            panic!("a symlink loop gave {err:?}, not an I/O error");
        };
        assert_eq!(path, &root.join("loop"));
        assert_eq!(source.to_string(), "too many levels of symbolic links");
        assert_eq!(
            err.to_string(),
            format!(
                "{}: too many levels of symbolic links",
                root.join("loop").display()
            )
        );
    }
}
