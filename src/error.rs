//! The one error type of the engine. Every variant names the path, value or
//! interpreter it is about, and most say what to do next: the reader of a pkg
//! log is the one who has to fix it.

use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Everything that can stop a whole run. Problems with single files (an
/// unreadable pyc, a syntax error) are not errors but entries in the
/// [`Report`](crate::Report).
///
/// Variant fields are named for what they hold: `path` and `interpreter`
/// are what the message leads with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
#[allow(missing_docs)]
pub enum Error {
    /// A flavor name that is not of the form `pyXY`.
    #[error(
        "invalid flavor {flavor:?}: {reason}; expected pyXY such as py39 or py311, or py313t for a free-threaded build"
    )]
    InvalidFlavor {
        flavor: String,
        reason: &'static str,
    },

    /// An option with a value it does not take (see [`crate::options`]).
    #[error(transparent)]
    Option(#[from] crate::options::OptionError),

    /// A configuration file that cannot be used (`pycache config`; a job
    /// ignores such a file with a warning instead).
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),

    /// The site-packages directory to work on does not exist.
    #[error("{}: site-packages directory does not exist; check the flavor, prefix, site_packages and root given", path.display())]
    SitePackagesMissing { path: PathBuf },

    /// The site-packages path is not a directory.
    #[error("{}: not a directory", path.display())]
    NotADirectory { path: PathBuf },

    /// Any other I/O failure on a path that stops the whole run.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    /// The interpreter to compile with is not there (for instance while the
    /// Python package itself is being removed).
    #[error("{}: interpreter not found{}", interpreter.display(), hint.as_deref().map(|h| format!("; {h}")).unwrap_or_default())]
    InterpreterNotFound {
        interpreter: PathBuf,
        hint: Option<String>,
    },

    /// The interpreter exists but cannot be started (not executable, not
    /// a program, a directory...).
    #[error("{}: cannot be run: {source}", interpreter.display())]
    InterpreterNotRunnable {
        interpreter: PathBuf,
        #[source]
        source: io::Error,
    },

    /// The interpreter started but exited with a failure before answering.
    #[error("{}: failed ({status}): {message}", interpreter.display())]
    InterpreterExited {
        interpreter: PathBuf,
        status: String,
        message: String,
    },

    /// The interpreter answered, but not as CPython 3.6+ would (another
    /// Python, a malformed answer).
    #[error("{}: {detail}", interpreter.display())]
    InterpreterBadAnswer {
        interpreter: PathBuf,
        detail: String,
    },

    /// The run was interrupted (SIGINT, SIGTERM) while the interpreter was
    /// busy.
    #[error("{}: {doing}: interrupted", interpreter.display())]
    Interrupted {
        interpreter: PathBuf,
        doing: &'static str,
    },

    /// A compile worker did not say it was ready in time.
    #[error("{}: compile worker did not start within {}s", interpreter.display(), after.as_secs())]
    StartupTimeout {
        interpreter: PathBuf,
        after: Duration,
    },

    /// The interpreter is another Python than the flavor asked for.
    #[error("{}: is {found}, but {expected} was asked for; give the interpreter of that version, or its flavor", interpreter.display())]
    InterpreterMismatch {
        interpreter: PathBuf,
        expected: String,
        found: String,
    },
}

impl Error {
    pub(crate) fn invalid_flavor(flavor: &str, reason: &'static str) -> Error {
        Error::InvalidFlavor {
            flavor: flavor.to_string(),
            reason,
        }
    }

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
            | Error::InterpreterMismatch { interpreter, .. } => Some(interpreter),
            _ => None,
        }
    }

    /// Whether the error comes from the environment (interpreter, file
    /// system) rather than from how the program was called. The programs
    /// exit 3 for these and 2 for the others.
    pub fn is_environment(&self) -> bool {
        !matches!(
            self,
            Error::InvalidFlavor { .. } | Error::Option(_) | Error::Config(_)
        )
    }

    /// A stable name for the kind of error, for scripts (the program's JSON
    /// `kind`): `option`, `flavor`, `config`, `site_packages_missing`,
    /// `not_a_directory`, `io`, `interpreter_not_found`,
    /// `interpreter_not_runnable`, `interpreter_exited`,
    /// `interpreter_bad_answer`, `interrupted`, `startup_timeout`,
    /// `interpreter_mismatch`.
    pub fn kind(&self) -> &'static str {
        match self {
            Error::InvalidFlavor { .. } => "flavor",
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
        }
    }
}
