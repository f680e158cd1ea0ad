//! The one error type of the engine, and the problem with one path. Every
//! error names the path, value or interpreter it is about, and says what
//! to do ([`Error::advice`]): the reader of a pkg log is the one who has to
//! fix it. Each variant's message is written beside it (its `#[error]`);
//! its kind says its stable name, its exit code and its advice, one row
//! per kind ([`ErrorKind`]).

use std::borrow::Cow;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::exit::ExitCode;
use crate::settings::config::ConfigError;
use crate::settings::defs::OptionError;
use crate::settings::flavor::FlavorError;

/// Everything that can stop a whole run. Problems with single files (an
/// unreadable pyc, a syntax error) are not errors but entries in the
/// [`Report`](crate::Report).
///
/// Shown (`Display`), an error says what went wrong, naming its path,
/// value or interpreter; [`Error::message`] adds what to do about it. The
/// I/O error inside a variant is part of its message, not a `source()`: a
/// printer of error chains would show it twice.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An option with a value it does not take, or one a command does not
    /// take ([`crate::settings::defs`]).
    #[error("{0}")]
    Option(OptionError),

    /// A request (`pycache request`, what `lua/pycache.lua` sends) that is
    /// not one: not JSON, an unknown job, options that are not a table's.
    #[error("request: {problem}")]
    Request {
        /// What is wrong with it.
        problem: String,
    },

    /// A configuration file that cannot be used: one the run names itself,
    /// or any for `pycache config` (a job ignores the default file with a
    /// warning instead).
    #[error("{0}")]
    Config(ConfigError),

    /// The site-packages directory to work on does not exist.
    #[error("{}: site-packages directory does not exist", path.display())]
    SitePackagesMissing {
        /// The site-packages, as on disk.
        path: PathBuf,
    },

    /// The site-packages path is not a directory.
    #[error("{}: not a directory", path.display())]
    NotADirectory {
        /// The path, as on disk.
        path: PathBuf,
    },

    /// Any other I/O failure on a path that stops the whole run.
    #[error("{}: {error}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// What the system said.
        error: io::Error,
    },

    /// The interpreter to compile with is not there (for instance while the
    /// Python package itself is being removed).
    #[error("{}: interpreter not found", interpreter.display())]
    InterpreterNotFound {
        /// The interpreter, as given or looked up.
        interpreter: PathBuf,
        /// What to do instead of the kind's advice, when the lookup knows
        /// better (a name not on `PATH`).
        hint: Option<String>,
    },

    /// The interpreter exists but cannot be started (not executable, not
    /// a program, a directory...).
    #[error("{}: cannot be run: {error}", interpreter.display())]
    InterpreterNotRunnable {
        /// The interpreter.
        interpreter: PathBuf,
        /// What the system said.
        error: io::Error,
    },

    /// The interpreter started but exited with a failure before answering.
    #[error("{}: failed ({status}): {message}", interpreter.display())]
    InterpreterExited {
        /// The interpreter.
        interpreter: PathBuf,
        /// How it ended (`exit status: 1`).
        status: String,
        /// What it wrote on stderr, shortened.
        message: String,
    },

    /// The interpreter answered, but not as CPython 3.6+ would (another
    /// Python, a malformed answer).
    #[error("{}: {detail}", interpreter.display())]
    InterpreterBadAnswer {
        /// The interpreter.
        interpreter: PathBuf,
        /// What was wrong with the answer.
        detail: String,
    },

    /// The run was interrupted (SIGINT, SIGTERM) while the interpreter was
    /// busy.
    #[error("{}: {doing}: interrupted", interpreter.display())]
    Interrupted {
        /// The interpreter.
        interpreter: PathBuf,
        /// What it was doing.
        doing: &'static str,
    },

    /// A compile worker did not say it was ready in time.
    // `0.5s` for half a second, not `0s`.
    #[error("{}: compile worker did not start within {}s", interpreter.display(), after.as_secs_f64())]
    StartupTimeout {
        /// The interpreter.
        interpreter: PathBuf,
        /// How long it was given.
        after: Duration,
    },

    /// The interpreter is another Python than the flavor asked for.
    #[error("{}: is {found}, but {expected} was asked for", interpreter.display())]
    InterpreterMismatch {
        /// The interpreter.
        interpreter: PathBuf,
        /// The version the flavor names.
        expected: String,
        /// The version it says it is.
        found: String,
    },

    /// The interpreter, or a directory above it, could have been changed by
    /// a user other than root or the one running pycache (src/fs/trust.rs):
    /// it is not run.
    #[error("{}: not run: {why}", interpreter.display())]
    Untrusted {
        /// The interpreter.
        interpreter: PathBuf,
        /// Which file or directory, and why.
        why: String,
    },
}

/// Every kind of error: its stable name (the program's JSON `kind`), its
/// exit code and what to do about it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum ErrorKind {
    Option,
    Request,
    Config,
    SitePackagesMissing,
    NotADirectory,
    Io,
    InterpreterNotFound,
    InterpreterNotRunnable,
    InterpreterExited,
    InterpreterBadAnswer,
    Interrupted,
    StartupTimeout,
    InterpreterMismatch,
    Untrusted,
}

impl ErrorKind {
    /// Every kind, in the order pycache(8)'s table of causes lists them.
    pub const ALL: &[ErrorKind] = &[
        ErrorKind::Option,
        ErrorKind::Request,
        ErrorKind::Config,
        ErrorKind::SitePackagesMissing,
        ErrorKind::NotADirectory,
        ErrorKind::Io,
        ErrorKind::InterpreterNotFound,
        ErrorKind::InterpreterNotRunnable,
        ErrorKind::InterpreterExited,
        ErrorKind::InterpreterBadAnswer,
        ErrorKind::Interrupted,
        ErrorKind::StartupTimeout,
        ErrorKind::InterpreterMismatch,
        ErrorKind::Untrusted,
    ];

    /// Name, exit code and advice: one row per kind. Usage errors are the
    /// caller's to fix (exit 2); the others come from the interpreter or
    /// the tree (exit 3). No advice where the message itself says what a
    /// value must be.
    fn row(self) -> (&'static str, ExitCode, Option<&'static str>) {
        use ExitCode::{Environment, Usage};
        match self {
            ErrorKind::Option => ("option", Usage, None),
            ErrorKind::Request => (
                "request",
                Usage,
                Some(
                    "the pycache program and lua/pycache.lua must come from the same \
                     pycache: reinstall pycache",
                ),
            ),
            ErrorKind::Config => ("config", Usage, None),
            ErrorKind::SitePackagesMissing => (
                "site_packages_missing",
                Environment,
                Some("check the flavor, prefix, site_packages and root given"),
            ),
            ErrorKind::NotADirectory => (
                "not_a_directory",
                Environment,
                Some("check the flavor, prefix, site_packages and root given"),
            ),
            ErrorKind::Io => (
                "io",
                Environment,
                Some("check that path (permissions, file type), then run again"),
            ),
            ErrorKind::InterpreterNotFound => (
                "interpreter_not_found",
                Environment,
                Some("check the flavor, prefix and python given, or reinstall the Python package"),
            ),
            ErrorKind::InterpreterNotRunnable => (
                "interpreter_not_runnable",
                Environment,
                Some("give an executable CPython interpreter, or reinstall the Python package"),
            ),
            ErrorKind::InterpreterExited => (
                "interpreter_exited",
                Environment,
                Some("run the interpreter by hand to see why, or reinstall the Python package"),
            ),
            ErrorKind::InterpreterBadAnswer => (
                "interpreter_bad_answer",
                Environment,
                Some("run the interpreter by hand to see why, or reinstall the Python package"),
            ),
            ErrorKind::Interrupted => ("interrupted", Environment, Some("run again to finish")),
            ErrorKind::StartupTimeout => (
                "startup_timeout",
                Environment,
                Some("check that the interpreter starts (a slow .pth file?), or raise timeout"),
            ),
            ErrorKind::InterpreterMismatch => (
                "interpreter_mismatch",
                Environment,
                Some("give the interpreter of that version, or its flavor"),
            ),
            ErrorKind::Untrusted => (
                "untrusted",
                Environment,
                Some(
                    "pycache runs no interpreter that a user other than root, or the one \
                     running it, could have changed: make it and every directory above it \
                     root's and writable by root alone (chown root, chmod go-w), or give \
                     another",
                ),
            ),
        }
    }

    /// The stable name scripts read (`option`, `interpreter_not_found`...).
    pub fn name(self) -> &'static str {
        self.row().0
    }

    /// What a program stopped by such an error exits with: 2 or 3.
    pub fn exit_code(self) -> ExitCode {
        self.row().1
    }

    /// What to do about an error of this kind, when its message does not
    /// already say it.
    pub fn advice(self) -> Option<&'static str> {
        self.row().2
    }
}

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, error: io::Error) -> Error {
        Error::Io {
            path: path.into(),
            error,
        }
    }

    /// Its kind: name, exit code, advice.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Option(_) => ErrorKind::Option,
            Error::Request { .. } => ErrorKind::Request,
            Error::Config(_) => ErrorKind::Config,
            Error::SitePackagesMissing { .. } => ErrorKind::SitePackagesMissing,
            Error::NotADirectory { .. } => ErrorKind::NotADirectory,
            Error::Io { .. } => ErrorKind::Io,
            Error::InterpreterNotFound { .. } => ErrorKind::InterpreterNotFound,
            Error::InterpreterNotRunnable { .. } => ErrorKind::InterpreterNotRunnable,
            Error::InterpreterExited { .. } => ErrorKind::InterpreterExited,
            Error::InterpreterBadAnswer { .. } => ErrorKind::InterpreterBadAnswer,
            Error::Interrupted { .. } => ErrorKind::Interrupted,
            Error::StartupTimeout { .. } => ErrorKind::StartupTimeout,
            Error::InterpreterMismatch { .. } => ErrorKind::InterpreterMismatch,
            Error::Untrusted { .. } => ErrorKind::Untrusted,
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
            Error::Option(_) | Error::Request { .. } | Error::Config(_) => None,
        }
    }

    /// What to do about it: its kind's advice, or the hint the lookup of a
    /// missing interpreter left.
    pub fn advice(&self) -> Option<Cow<'static, str>> {
        match self {
            Error::InterpreterNotFound {
                hint: Some(hint), ..
            } => Some(Cow::Owned(hint.clone())),
            _ => self.kind().advice().map(Cow::Borrowed),
        }
    }

    /// The whole message: what went wrong, then what to do about it.
    pub fn message(&self) -> String {
        match self.advice() {
            Some(advice) => format!("{self}; {advice}"),
            None => self.to_string(),
        }
    }

    /// What a program stopped by this error exits with.
    pub fn exit_code(&self) -> ExitCode {
        self.kind().exit_code()
    }
}

/// A flavor name that is not a flavor's is a value the `flavor` option
/// does not take, whichever way it came.
impl From<FlavorError> for Error {
    fn from(e: FlavorError) -> Error {
        Error::Option(OptionError::new("flavor", e.to_string()))
    }
}

impl From<OptionError> for Error {
    fn from(e: OptionError) -> Error {
        Error::Option(e)
    }
}

impl From<ConfigError> for Error {
    fn from(e: ConfigError) -> Error {
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
            crate::settings::defs::read([("jobs", crate::settings::raw::Raw::Num(2.5))], |_| true)
                .unwrap_err()
                .into(),
            Error::Request {
                problem: "unknown job \"chek\"".into(),
            },
            Error::Config(ConfigError {
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
                error: io::Error::other("Permission denied"),
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
        let kinds: Vec<ErrorKind> = each().iter().map(Error::kind).collect();
        assert_eq!(kinds, ErrorKind::ALL);
        for e in each() {
            let message = e.message();
            assert!(message.starts_with(&e.to_string()), "{message}");
            match e.advice() {
                Some(advice) => assert!(message.ends_with(&format!("; {advice}")), "{message}"),
                // Options and files: the message says what would do.
                None => assert!(message.contains("must be"), "{message}"),
            }
            // The system's words are in the message once, and no chain
            // printer finds them again.
            assert!(std::error::Error::source(&e).is_none(), "{message}");
        }
    }

    #[test]
    fn usage_is_2_and_the_environment_3() {
        let codes: Vec<i32> = each().iter().map(|e| e.exit_code().code()).collect();
        assert_eq!(codes, [2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3]);
    }
}
