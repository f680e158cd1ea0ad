//! Where a run's configuration file is: the one its options name, else
//! `$PYCACHE_CONF`, else the default.

use std::path::{Path, PathBuf};

use crate::settings::options::Options;

/// The file read when neither `--config` nor `$PYCACHE_CONF` names one:
/// `ETCDIR/pycache.conf`, where ETCDIR is `$PYCACHE_ETCDIR` at build time
/// (the port sets `${PREFIX}/etc`), by default `/usr/local/etc`.
pub fn default_path() -> PathBuf {
    Path::new(option_env!("PYCACHE_ETCDIR").unwrap_or("/usr/local/etc")).join("pycache.conf")
}

/// Where the settings of a run come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// No file: `--no-config`, or the default file is absent.
    None,
    /// The file at this path; `named` when `--config` or `$PYCACHE_CONF`
    /// gave it (then it must exist).
    File {
        /// The file.
        path: PathBuf,
        /// Given by the caller rather than the default.
        named: bool,
    },
}

impl Source {
    /// The file to read: `given` (`--config`), else `env` (the value of
    /// `$PYCACHE_CONF` the front read, [`Options::set_environment`]) when
    /// not empty, else the default; none with `no_config`.
    pub fn locate(given: Option<&Path>, env: Option<&Path>, no_config: bool) -> Source {
        if no_config {
            return Source::None;
        }
        match given.or(env.filter(|p| !p.as_os_str().is_empty())) {
            Some(path) => Source::File {
                path: path.to_path_buf(),
                named: true,
            },
            None => Source::File {
                path: default_path(),
                named: false,
            },
        }
    }

    /// The file `options` name.
    pub fn of(options: &Options) -> Source {
        Source::locate(
            options.config.as_deref(),
            options.config_env.as_deref(),
            options.no_config,
        )
    }
}
