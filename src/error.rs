//! The one error type of the engine, and the problem with one path. Every
//! error names the path, value or interpreter it is about and ends with
//! what to do ([`Error::advice`]): the reader of a pkg log is the one who
//! has to fix it. Each message is built here only.

use std::borrow::Cow;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Everything that can stop a whole run. Problems with single files (an
/// unreadable pyc, a syntax error) are not errors but entries in the
/// [`Report`](crate::Report).
///
/// Variant fields are named for what they hold: `path` and `interpreter`
/// are what the message leads with.
#[derive(Debug)]
#[non_exhaustive]
#[allow(missing_docs)]
pub enum Error {
    /// An option with a value it does not take (see [`crate::settings::options`]).
    Option(crate::settings::options::OptionError),

    /// A configuration file that cannot be used (`pycache config`; a job
    /// ignores such a file with a warning instead).
    Config(crate::settings::config::ConfigError),

    /// The site-packages directory to work on does not exist.
    SitePackagesMissing { path: PathBuf },

    /// The site-packages path is not a directory.
    NotADirectory { path: PathBuf },

    /// Any other I/O failure on a path that stops the whole run.
    Io { path: PathBuf, source: io::Error },

    /// The interpreter to compile with is not there (for instance while the
    /// Python package itself is being removed).
    InterpreterNotFound {
        interpreter: PathBuf,
        hint: Option<String>,
    },

    /// The interpreter exists but cannot be started (not executable, not
    /// a program, a directory...).
    InterpreterNotRunnable {
        interpreter: PathBuf,
        source: io::Error,
    },

    /// The interpreter started but exited with a failure before answering.
    InterpreterExited {
        interpreter: PathBuf,
        status: String,
        message: String,
    },

    /// The interpreter answered, but not as CPython 3.6+ would (another
    /// Python, a malformed answer).
    InterpreterBadAnswer {
        interpreter: PathBuf,
        detail: String,
    },

    /// The run was interrupted (SIGINT, SIGTERM) while the interpreter was
    /// busy.
    Interrupted {
        interpreter: PathBuf,
        doing: &'static str,
    },

    /// A compile worker did not say it was ready in time.
    StartupTimeout {
        interpreter: PathBuf,
        after: Duration,
    },

    /// The interpreter is another Python than the flavor asked for.
    InterpreterMismatch {
        interpreter: PathBuf,
        expected: String,
        found: String,
    },

    /// The interpreter, or a directory above it, could have been changed by
    /// a user other than root or the one running pycache (src/fs/trust.rs):
    /// it is not run.
    Untrusted { interpreter: PathBuf, why: String },
}

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, source: io::Error) -> Error {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    /// The path or interpreter the error is about, when there is one.
    pub fn path(&self) -> Option<&Path> {
        match self {
            Error::SitePackagesMissing { path }
            | Error::NotADirectory { path }
            | Error::Io { path, .. } => Some(path),
            Error::InterpreterNotFound { interpreter, .. }
            | Error::InterpreterNotRunnable { interpreter, .. }
            | Error::InterpreterExited { interpreter, .. }
            | Error::InterpreterBadAnswer { interpreter, .. }
            | Error::Interrupted { interpreter, .. }
            | Error::StartupTimeout { interpreter, .. }
            | Error::InterpreterMismatch { interpreter, .. }
            | Error::Untrusted { interpreter, .. } => Some(interpreter),
            _ => None,
        }
    }

    /// Whether the error comes from the environment (interpreter, file
    /// system) rather than from how the program was called. The programs
    /// exit 3 for these and 2 for the others.
    pub fn is_environment(&self) -> bool {
        !matches!(self, Error::Option(_) | Error::Config(_))
    }

    /// A stable name for the kind of error, for scripts (the program's JSON
    /// `kind`): `option`, `config`, `site_packages_missing`,
    /// `not_a_directory`, `io`, `interpreter_not_found`,
    /// `interpreter_not_runnable`, `interpreter_exited`,
    /// `interpreter_bad_answer`, `interrupted`, `startup_timeout`,
    /// `interpreter_mismatch`, `untrusted`.
    pub fn kind(&self) -> &'static str {
        match self {
            Error::Option(_) => "option",
            Error::Config(_) => "config",
            Error::SitePackagesMissing { .. } => "site_packages_missing",
            Error::NotADirectory { .. } => "not_a_directory",
            Error::Io { .. } => "io",
            Error::InterpreterNotFound { .. } => "interpreter_not_found",
            Error::InterpreterNotRunnable { .. } => "interpreter_not_runnable",
            Error::InterpreterExited { .. } => "interpreter_exited",
            Error::InterpreterBadAnswer { .. } => "interpreter_bad_answer",
            Error::Interrupted { .. } => "interrupted",
            Error::StartupTimeout { .. } => "startup_timeout",
            Error::InterpreterMismatch { .. } => "interpreter_mismatch",
            Error::Untrusted { .. } => "untrusted",
        }
    }
}

impl Error {
    /// Every kind of error ([`Error::kind`]), in the order README's table
    /// of causes lists them.
    pub const KINDS: &[&str] = &[
        "option",
        "config",
        "site_packages_missing",
        "not_a_directory",
        "io",
        "interpreter_not_found",
        "interpreter_not_runnable",
        "interpreter_exited",
        "interpreter_bad_answer",
        "interrupted",
        "startup_timeout",
        "interpreter_mismatch",
        "untrusted",
    ];

    /// What went wrong, naming the path, value or interpreter: the message
    /// without its advice.
    pub fn what(&self) -> String {
        match self {
            Error::Option(e) => e.to_string(),
            Error::Config(e) => e.to_string(),
            Error::SitePackagesMissing { path } => {
                format!("{}: site-packages directory does not exist", path.display())
            }
            Error::NotADirectory { path } => format!("{}: not a directory", path.display()),
            Error::Io { path, source } => format!("{}: {source}", path.display()),
            Error::InterpreterNotFound { interpreter, .. } => {
                format!("{}: interpreter not found", interpreter.display())
            }
            Error::InterpreterNotRunnable {
                interpreter,
                source,
            } => format!("{}: cannot be run: {source}", interpreter.display()),
            Error::InterpreterExited {
                interpreter,
                status,
                message,
            } => format!("{}: failed ({status}): {message}", interpreter.display()),
            Error::InterpreterBadAnswer {
                interpreter,
                detail,
            } => format!("{}: {detail}", interpreter.display()),
            Error::Interrupted { interpreter, doing } => {
                format!("{}: {doing}: interrupted", interpreter.display())
            }
            Error::StartupTimeout { interpreter, after } => format!(
                "{}: compile worker did not start within {}s",
                interpreter.display(),
                // `0.5s` for half a second, not `0s`.
                after.as_secs_f64()
            ),
            Error::InterpreterMismatch {
                interpreter,
                expected,
                found,
            } => format!(
                "{}: is {found}, but {expected} was asked for",
                interpreter.display()
            ),
            Error::Untrusted { interpreter, why } => {
                format!("{}: not run: {why}", interpreter.display())
            }
        }
    }

    /// What to do about it, the end of every message; `None` where the
    /// message itself says what a value must be (flavor, option and
    /// configuration file problems).
    pub fn advice(&self) -> Option<Cow<'static, str>> {
        Some(Cow::Borrowed(match self {
            Error::Option(_) | Error::Config(_) => return None,
            Error::SitePackagesMissing { .. } | Error::NotADirectory { .. } => {
                "check the flavor, prefix, site_packages and root given"
            }
            Error::Io { .. } => "check that path (permissions, file type), then run again",
            Error::InterpreterNotFound {
                hint: Some(hint), ..
            } => {
                return Some(Cow::Owned(hint.clone()));
            }
            Error::InterpreterNotFound { hint: None, .. } => {
                "check the flavor, prefix and python given, or reinstall the Python package"
            }
            Error::InterpreterNotRunnable { .. } => {
                "give an executable CPython interpreter, or reinstall the Python package"
            }
            Error::InterpreterExited { .. } | Error::InterpreterBadAnswer { .. } => {
                "run the interpreter by hand to see why, or reinstall the Python package"
            }
            Error::Interrupted { .. } => "run again to finish",
            Error::StartupTimeout { .. } => {
                "check that the interpreter starts (a slow .pth file?), or raise timeout"
            }
            Error::InterpreterMismatch { .. } => {
                "give the interpreter of that version, or its flavor"
            }
            Error::Untrusted { .. } => {
                "pycache runs no interpreter that a user other than root, or the one running \
                 it, could have changed: make it and every directory above it root's and \
                 writable by root alone (chown root, chmod go-w), or give another"
            }
        }))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.advice() {
            Some(advice) => write!(f, "{}; {advice}", self.what()),
            None => f.write_str(&self.what()),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Option(e) => Some(e),
            Error::Config(e) => Some(e),
            Error::Io { source, .. } | Error::InterpreterNotRunnable { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// A flavor name that is not a flavor's is a value the `flavor` option
/// does not take, whichever way it came.
impl From<crate::settings::flavor::FlavorError> for Error {
    fn from(e: crate::settings::flavor::FlavorError) -> Error {
        Error::Option(crate::settings::options::OptionError {
            key: "flavor".into(),
            problem: e.to_string(),
        })
    }
}

impl From<crate::settings::options::OptionError> for Error {
    fn from(e: crate::settings::options::OptionError) -> Error {
        Error::Option(e)
    }
}

impl From<crate::settings::config::ConfigError> for Error {
    fn from(e: crate::settings::config::ConfigError) -> Error {
        Error::Config(e)
    }
}

/// A problem with one path that did not stop the run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// The file or directory.
    pub path: PathBuf,
    /// What went wrong, in plain words.
    pub reason: String,
}

impl Failure {
    pub(crate) fn new(path: &Path, reason: String) -> Failure {
        Failure {
            path: path.to_path_buf(),
            reason,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One error of each kind.
    fn each() -> Vec<Error> {
        let python = || PathBuf::from("/usr/local/bin/python3.11");
        vec![
            crate::settings::options::Options::default()
                .set("jobs", crate::settings::options::Value::Num(2.5))
                .unwrap_err()
                .into(),
            Error::Config(crate::settings::config::ConfigError {
                path: "/etc/pycache.conf".into(),
                line: Some(1),
                problem: "jobs: must be a number".into(),
            }),
            Error::SitePackagesMissing { path: python() },
            Error::NotADirectory { path: python() },
            Error::io(python(), io::Error::other("boom")),
            Error::InterpreterNotFound {
                interpreter: python(),
                hint: None,
            },
            Error::InterpreterNotRunnable {
                interpreter: python(),
                source: io::Error::other("Permission denied"),
            },
            Error::InterpreterExited {
                interpreter: python(),
                status: "exit status: 1".into(),
                message: "boom".into(),
            },
            Error::InterpreterBadAnswer {
                interpreter: python(),
                detail: "compile worker did not start".into(),
            },
            Error::Interrupted {
                interpreter: python(),
                doing: "not asked about itself",
            },
            Error::StartupTimeout {
                interpreter: python(),
                after: Duration::from_secs(120),
            },
            Error::InterpreterMismatch {
                interpreter: python(),
                expected: "3.11".into(),
                found: "3.12".into(),
            },
            Error::Untrusted {
                interpreter: python(),
                why: "/usr/local/bin: writable by group or others (mode 777)".into(),
            },
        ]
    }

    #[test]
    fn every_kind_is_listed_once_and_every_message_ends_with_what_to_do() {
        let kinds: Vec<&str> = each().iter().map(Error::kind).collect();
        assert_eq!(kinds, Error::KINDS);
        for e in each() {
            let message = e.to_string();
            assert!(message.starts_with(&e.what()), "{message}");
            match e.advice() {
                Some(advice) => assert!(message.ends_with(&format!("; {advice}")), "{message}"),
                // Flavors, options and files: the message says what would do.
                None => assert!(
                    ["expected pyXY", "must be", "must be a number"]
                        .iter()
                        .any(|w| message.contains(w)),
                    "{message}"
                ),
            }
        }
    }
}
