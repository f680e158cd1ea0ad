//! Which interpreter and which site-packages a run is about: from a flavor
//! (nothing is started), or by asking an interpreter about itself.

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::bytecode::magic::MagicFrom;
use crate::bytecode::pyc::Magic;
use crate::cancel::Cancel;
use crate::error::Error;
use crate::python::child::{kill_group, quoted, read_in_background, spawn_error, trusted};
use crate::python::location::Location;
use crate::python::path_search::{self, Found};
use crate::settings::flavor::Flavor;
use crate::settings::options::Selection;

/// How long asking an interpreter about itself may take (it is asked before
/// any option of a run applies).
const ASK_TIMEOUT: Duration = Duration::from_secs(60);

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
    /// The standard library, `PREFIX/lib/python3.X` as the running system
    /// spells it (an asked interpreter's `sysconfig` `stdlib`): the tree
    /// with `stdlib` on, and for a flavor of a version the table does not
    /// know, the bytecode that tells its magic number
    /// ([`crate::bytecode::magic`]).
    stdlib: Option<PathBuf>,
    site_packages: PathBuf,
    root: Option<PathBuf>,
    /// Whether an interpreter was started to make this target (asked about
    /// itself): the report counts it.
    asked: bool,
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
            asked: false,
        }
    }

    /// The target of an interpreter, asked for its version, cache tag, magic
    /// number and site-packages (`sysconfig`'s `purelib`). A bare name is
    /// looked up in `PATH` first (src/python/path_search.rs).
    pub fn from_interpreter(python: &Path, cancel: &Cancel) -> Result<Target, Error> {
        let (resolved, how) = path_search::resolve(python)?;
        Target::from_found(python, resolved, how, cancel)
    }

    /// [`Target::from_interpreter`] once `python` was found at `resolved`.
    fn from_found(
        python: &Path,
        resolved: PathBuf,
        how: Found,
        cancel: &Cancel,
    ) -> Result<Target, Error> {
        let named = (how != Found::AsGiven).then(|| (python.to_path_buf(), resolved.clone(), how));
        let python = resolved.as_path();
        let answer = ask(python, cancel)?;
        let mut fields = answer.split(|&b| b == 0);
        let mut next = || fields.next().unwrap_or_default().to_vec();
        let (major, minor, tag, magic, gil_disabled, purelib, executable, stdlib) = (
            next(),
            next(),
            next(),
            next(),
            next(),
            next(),
            next(),
            next(),
        );
        let failed = |detail: &str| Error::InterpreterBadAnswer {
            interpreter: python.to_path_buf(),
            detail: detail.to_string(),
        };
        let number = |b: Vec<u8>| String::from_utf8(b).ok().and_then(|s| s.parse::<u8>().ok());
        let (major, minor) = match (number(major), number(minor)) {
            (Some(major), Some(minor)) => (major, minor),
            _ => {
                return Err(failed(
                    "did not report its version, as CPython 3.6 or later would",
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
            stdlib: (!stdlib.is_empty()).then(|| PathBuf::from(OsString::from_vec(stdlib))),
            site_packages: PathBuf::from(OsString::from_vec(purelib)),
            root: None,
            asked: true,
        })
    }

    /// Compiles with this interpreter instead (for a flavor: another path to
    /// the same Python; the compile workers check its cache tag). A bare
    /// name is looked up in `PATH` now, once (src/python/path_search.rs); when
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
                    e => e.message(),
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
    /// environment would search the C library's default path instead, and
    /// an interpreter another user could have changed is never run
    /// (`trusted`).
    pub fn runnable(&self) -> Result<&Path, Error> {
        match &self.missing {
            None => trusted(&self.interpreter).map(|()| self.interpreter.as_path()),
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

    /// The standard library (`PREFIX/lib/python3.X`), as the running
    /// system spells it.
    pub(crate) fn stdlib(&self) -> Option<&Path> {
        self.stdlib.as_deref()
    }

    /// The site-packages path as given (runtime spelling).
    pub fn site_packages(&self) -> &Path {
        &self.site_packages
    }

    /// Interpreters started to make this target: 1 when one was asked
    /// about itself, else 0.
    pub fn interpreters_started(&self) -> usize {
        usize::from(self.asked)
    }

    /// The root given with [`Target::with_root`].
    pub fn root(&self) -> Option<&Path> {
        self.root.as_deref()
    }

    /// Where the site-packages is on disk ([`Location::find`]).
    pub fn locate(&self) -> Result<Location, Error> {
        Location::find(&self.site_packages, self.root.as_deref())
    }

    /// Where the tree is on disk: the site-packages, or with `stdlib` the
    /// standard library that holds it ([`Location::find_with_stdlib`]).
    pub fn locate_tree(&self, stdlib: bool) -> Result<Location, Error> {
        match (&self.stdlib, stdlib) {
            (Some(lib), true) => {
                Location::find_with_stdlib(lib, &self.site_packages, self.root.as_deref())
            }
            (None, true) => Err(crate::settings::defs::OptionError {
                key: "stdlib".into(),
                problem: format!(
                    "{} did not say where its standard library is; leave stdlib off",
                    self.interpreter.display()
                ),
            }
            .into()),
            (_, false) => self.locate(),
        }
    }

    /// Resolves what a front selected. With neither a flavor nor an
    /// interpreter, `python3` on `PATH` is asked.
    pub fn select(selection: &Selection, cancel: &Cancel) -> Result<Target, Error> {
        let mut target = match (selection.flavor, &selection.python) {
            (Some(flavor), python) => {
                let prefix = selection
                    .prefix
                    .as_deref()
                    .unwrap_or(Path::new(Selection::PREFIX));
                let target = Target::from_flavor(flavor, prefix);
                match python {
                    Some(python) => target.with_interpreter(python),
                    None => target,
                }
            }
            (None, Some(python)) => Target::from_interpreter(python, cancel)?,
            (None, None) => {
                let (resolved, how) = path_search::default_interpreter()?;
                Target::from_found(Path::new(path_search::DEFAULT), resolved, how, cancel)?
            }
        };
        if let Some(dir) = &selection.site_packages {
            target = target.with_site_packages(dir);
        }
        if let Some(root) = &selection.root {
            target = target.with_root(root);
        }
        Ok(target)
    }
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
/// free-threaded build (`Py_GIL_DISABLED`) else `0`, purelib, executable
/// and the standard library (file system bytes). It runs without `site` (`-S`), so a
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
w(os.fsencode(sys.executable or '') + b'\\0')
w(os.fsencode(sysconfig.get_paths()['stdlib']))
";

/// Runs `python -I -S -B -c ASK` with a time limit ([`ASK_TIMEOUT`], also
/// for reading its output). The environment is kept so that a launcher
/// found on PATH (a pyenv shim) works; `-I` keeps PYTHON* variables from
/// changing the answer, `-S` keeps every `.pth` file from running, and
/// `-B` keeps it from writing the bytecode of what it imports (as root,
/// into a standard library that may ship none).
fn ask(python: &Path, cancel: &Cancel) -> Result<Vec<u8>, Error> {
    trusted(python)?;
    let mut child = Command::new(python)
        .args(["-I", "-S", "-B", "-c", ASK])
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
            Ok(None) if started.elapsed() < ASK_TIMEOUT && !cancel.is_cancelled() => {
                std::thread::sleep(Duration::from_millis(2))
            }
            Ok(None) => {
                kill_group(&mut child);
                let _ = child.wait();
                if cancel.is_cancelled() {
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
        return Err(Error::InterpreterExited {
            interpreter: python.to_path_buf(),
            status: status.to_string(),
            message: quoted(&err, |_| false).unwrap_or_else(|| "no message".into()),
        });
    }
    let out = out.ok_or_else(timed_out)?;
    match out.windows(ASK_MARKER.len()).position(|w| w == ASK_MARKER) {
        Some(at) => Ok(out[at + ASK_MARKER.len()..].to_vec()),
        None => Err(Error::InterpreterBadAnswer {
            interpreter: python.to_path_buf(),
            detail: "did not report its version, as CPython 3.6 or later would".into(),
        }),
    }
}
