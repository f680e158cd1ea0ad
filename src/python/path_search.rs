//! Finding the interpreter a front names: `--python NAME` without a `/` is
//! looked up in `PATH` here, once, and the file found is what every
//! interpreter query and compile worker runs.
//!
//! Compile workers start with an empty environment, so a bare name handed
//! to them would be searched in the C library's default path instead of
//! the caller's: glibc's has `/usr/bin`, FreeBSD's only `/usr/bin:/bin`,
//! where no ports Python lives (they are in `/usr/local/bin`). Resolving
//! before anything starts makes a name mean the same thing on every system
//! and in every process pycache starts.
//!
//! The rules are `execvp`'s, with two deliberate differences, both because
//! pycache runs as root:
//! - an empty or relative entry of `PATH` (POSIX reads an empty one as the
//!   working directory) is skipped: an interpreter picked up from wherever
//!   root happens to stand is how a planted file gets run. `./python` names
//!   one in the working directory explicitly;
//! - with `PATH` unset nothing is searched (no built-in default path, which
//!   differs between systems) and the error says that `PATH` is not set.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use crate::error::Error;

/// How an interpreter named by a front was found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Found {
    /// The name was an absolute path: used as given.
    AsGiven,
    /// A relative path (it has a `/`): taken from the working directory.
    FromWorkingDirectory,
    /// A bare name: the first executable file of that name in `PATH`.
    OnPath,
}

/// Resolves `name` as the interpreter to run: an absolute path as it is, a
/// relative path with a `/` from the working directory, a bare name in
/// `PATH` (see the module documentation). Only a bare name can fail here:
/// a path that does not exist is reported when it is started, as before
/// (cleaning needs no interpreter).
pub fn resolve(name: &Path) -> Result<(PathBuf, Found), Error> {
    resolve_in(name, std::env::var_os("PATH").as_deref())
}

/// The interpreter asked when a front names none: `python3` on `PATH`.
/// Not finding it is told in words of its own, since no name was given:
/// what to give instead.
pub fn default_interpreter() -> Result<(PathBuf, Found), Error> {
    let name = Path::new(DEFAULT);
    search(name, std::env::var_os("PATH").as_deref()).map_err(|missing| {
        let why = match missing {
            Missing::WorkingDirectory(e) => return Error::io(name, e),
            Missing::Unset => "PATH is not set",
            Missing::NotIn { .. } => "not on PATH",
        };
        Error::InterpreterNotFound {
            interpreter: name.to_path_buf(),
            hint: Some(format!(
                "{why}; give a flavor (pyXY) or an interpreter path"
            )),
        }
    })
}

/// The name [`default_interpreter`] looks for.
pub const DEFAULT: &str = "python3";

/// [`resolve`] with `path` as the value of `PATH` (`None`: unset).
pub fn resolve_in(name: &Path, path: Option<&OsStr>) -> Result<(PathBuf, Found), Error> {
    search(name, path).map_err(|missing| match missing {
        Missing::WorkingDirectory(e) => Error::io(name, e),
        missing => Error::InterpreterNotFound {
            interpreter: name.to_path_buf(),
            hint: Some(missing.hint()),
        },
    })
}

/// Why a name was not resolved.
enum Missing {
    /// A relative path, and the working directory cannot be known.
    WorkingDirectory(std::io::Error),
    /// `PATH` is not set: nothing was searched.
    Unset,
    /// No directory of `PATH` has it.
    NotIn {
        /// `PATH`'s value.
        path: Vec<u8>,
        /// Whether empty or relative entries were stepped over.
        skipped: bool,
    },
}

impl Missing {
    /// What to tell someone who named the interpreter.
    fn hint(&self) -> String {
        match self {
            Missing::WorkingDirectory(e) => e.to_string(),
            Missing::Unset => {
                "PATH is not set, so a bare name is searched nowhere; give the interpreter's full path"
                    .into()
            }
            Missing::NotIn { path, skipped } => {
                let mut hint = format!(
                    "no executable file of that name in any directory of PATH ({})",
                    String::from_utf8_lossy(path)
                );
                if *skipped {
                    hint.push_str(
                        "; its empty and relative entries are not searched (pycache runs as root): \
                         give ./NAME for one in the working directory",
                    );
                }
                hint.push_str("; give the interpreter's full path");
                hint
            }
        }
    }
}

/// The search itself, `PATH` read once by the caller.
fn search(name: &Path, path: Option<&OsStr>) -> Result<(PathBuf, Found), Missing> {
    if name.is_absolute() {
        return Ok((name.to_path_buf(), Found::AsGiven));
    }
    if name.as_os_str().as_bytes().contains(&b'/') {
        let absolute = std::path::absolute(name).map_err(Missing::WorkingDirectory)?;
        return Ok((absolute, Found::FromWorkingDirectory));
    }
    let Some(path) = path else {
        return Err(Missing::Unset);
    };
    let mut skipped = false;
    for dir in path.as_bytes().split(|&b| b == b':') {
        let dir = Path::new(OsStr::from_bytes(dir));
        if !dir.is_absolute() {
            skipped = true;
            continue;
        }
        let candidate = dir.join(name);
        if is_executable_file(&candidate) {
            return Ok((candidate, Found::OnPath));
        }
    }
    Err(Missing::NotIn {
        path: path.as_bytes().to_vec(),
        skipped,
    })
}

/// Whether `path` is a regular file (links followed, as `execvp` follows
/// them) that this process may execute: what `execvp` would start rather
/// than step over.
fn is_executable_file(path: &Path) -> bool {
    path.metadata().is_ok_and(|m| m.is_file())
        && rustix::fs::access(path, rustix::fs::Access::EXEC_OK).is_ok()
}

/// The note verbose output adds for an interpreter found by `how`.
pub fn note(given: &Path, resolved: &Path, how: &Found) -> Option<String> {
    let how = match how {
        Found::AsGiven => return None,
        Found::FromWorkingDirectory => "from the working directory",
        Found::OnPath => "found on PATH",
    };
    Some(format!(
        "interpreter {}: {} ({how})",
        given.display(),
        resolved.display()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsString;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn names_are_found_as_execvp_would_but_only_in_absolute_entries() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().canonicalize().unwrap();
        let (a, b) = (dir.join("a"), dir.join("b"));
        std::fs::create_dir_all(&a).unwrap();
        std::fs::create_dir_all(&b).unwrap();
        // Not executable in `a`, executable in `b`: `b`'s is taken.
        std::fs::write(a.join("py"), "").unwrap();
        std::fs::write(b.join("py"), "").unwrap();
        std::fs::set_permissions(b.join("py"), std::fs::Permissions::from_mode(0o755)).unwrap();
        // A directory of that name is stepped over too.
        std::fs::create_dir_all(a.join("pydir")).unwrap();
        let path = OsString::from(format!("{}:{}", a.display(), b.display()));
        assert_eq!(
            resolve_in(Path::new("py"), Some(&path)).unwrap(),
            (b.join("py"), Found::OnPath)
        );
        let err = resolve_in(Path::new("pydir"), Some(&path))
            .unwrap_err()
            .message();
        assert!(err.starts_with("pydir: interpreter not found; "), "{err}");
        assert!(
            err.contains(&format!("PATH ({})", path.to_string_lossy())),
            "{err}"
        );
        assert!(!err.contains("relative entries"), "{err}");
        // Empty and relative entries are never searched, and the message
        // says so.
        let relative = OsString::from(format!(":.:b:{}", a.display()));
        let err = resolve_in(Path::new("py"), Some(&relative))
            .unwrap_err()
            .message();
        assert!(err.contains("relative entries are not searched"), "{err}");
        let err = resolve_in(Path::new("py"), None).unwrap_err().message();
        assert!(err.contains("PATH is not set"), "{err}");
        // Paths are paths: absolute as given, relative from the working
        // directory, whether they exist or not.
        assert_eq!(
            resolve_in(Path::new("/no/such/python"), None).unwrap(),
            (PathBuf::from("/no/such/python"), Found::AsGiven)
        );
        let cwd = std::env::current_dir().unwrap();
        assert_eq!(
            resolve_in(Path::new("./bin/python"), None).unwrap(),
            (cwd.join("bin/python"), Found::FromWorkingDirectory)
        );
    }
}
