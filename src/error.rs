//! The one error type of the engine. Every variant names the path, value or
//! interpreter it is about, and most say what to do next: the reader of a pkg
//! log is the one who has to fix it.

use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Everything that can stop a whole job. Problems with single files (an
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

    /// An optimization level outside 0, 1, 2.
    #[error("invalid optimization level {value:?}: expected 0, 1 or 2 (e.g. --optimize 0,1,2)")]
    InvalidLevel { value: String },

    /// An `--exclude` pattern that is not a valid glob.
    #[error("invalid exclude pattern {glob:?}: {source}")]
    InvalidGlob {
        glob: String,
        #[source]
        source: glob::PatternError,
    },

    /// The site-packages directory to work on does not exist.
    #[error("{}: site-packages directory does not exist; check --flavor/--prefix/--site-packages/--root", path.display())]
    SitePackagesMissing { path: PathBuf },

    /// The site-packages path is not a directory.
    #[error("{}: not a directory", path.display())]
    NotADirectory { path: PathBuf },

    /// Any other I/O failure on a path that stops the whole job.
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

    /// The interpreter ran but did not answer as CPython 3.6+ would.
    #[error("{}: {detail}", interpreter.display())]
    InterpreterFailed {
        interpreter: PathBuf,
        detail: String,
    },

    /// A compile worker did not say it was ready in time.
    #[error("{}: compile worker did not start within {}s", interpreter.display(), after.as_secs())]
    StartupTimeout {
        interpreter: PathBuf,
        after: Duration,
    },

    /// The interpreter is another Python than the flavor asked for.
    #[error("{}: is {found}, but {expected} was asked for; pass the matching --python or --flavor", interpreter.display())]
    InterpreterMismatch {
        interpreter: PathBuf,
        expected: String,
        found: String,
    },

    /// A template could not be rendered (see `gen-triggers`).
    #[error(transparent)]
    Template(#[from] crate::template::TemplateError),
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
            | Error::InterpreterFailed { interpreter, .. }
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
            Error::InvalidFlavor { .. }
                | Error::InvalidLevel { .. }
                | Error::InvalidGlob { .. }
                | Error::Template(_)
        )
    }
}
