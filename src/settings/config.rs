//! `pycache.conf`: the administrator's settings, read into the engine's
//! options ([`Options`]) for every front alike.
//!
//! The file is found ([`source`]: `--config`/`config`, else
//! `$PYCACHE_CONF`, else `/usr/local/etc/pycache.conf`;
//! `--no-config`/`no_config` reads none), read and parsed ([`file`](mod@file), with
//! [`crate::settings::ucl`]), and each value is checked by its option's
//! definition ([`crate::settings::defs`]), exactly as a flag or a Lua
//! option is: the file only fills in what the run did not set itself (file
//! < flag < Lua option; [`crate::settings::resolve`]). A flavor's section
//! (`py311 { ... }`) counts over the top level. `pycache config` shows the
//! result ([`effective`]).
//!
//! A file that cannot be used is never fatal to a job: the whole file is
//! ignored, the run goes on as without it, and the report carries one
//! warning naming the file, the line, the key and what it expects. So a
//! broken file never stops a pkg trigger and never makes it remove more
//! than it would without the file. (A file the run names itself is an error
//! instead: the engine refuses it, src/run/engine.rs.)

pub mod effective;
pub mod file;
pub mod source;

use std::fmt;
use std::path::PathBuf;

pub use effective::Effective;
pub use file::Config;
pub use source::Source;

use crate::settings::flavor::Flavor;
use crate::settings::options::Options;
use crate::settings::resolve::FileOptions;

/// The environment variable naming another file.
pub use crate::settings::options::CONFIG_ENV as ENV;

/// A file that cannot be used: which, where in it, and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct ConfigError {
    /// The file.
    pub path: PathBuf,
    /// The line, when the problem is in the text.
    pub line: Option<usize>,
    /// What is wrong, leading with the key when there is one.
    pub problem: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}: {}", self.path.display(), self.problem),
            None => write!(f, "{}: {}", self.path.display(), self.problem),
        }
    }
}

/// The file a run's options name, read and checked once.
#[derive(Clone, Debug)]
pub struct Loaded {
    /// Where it was looked for.
    pub source: Source,
    /// The file read (`None`: none), or why it cannot be used.
    pub config: Result<Option<Config>, ConfigError>,
}

impl Loaded {
    /// Reads the file `options` name (or the default file), checking every
    /// value of every section: a file is used whole or not at all.
    pub fn read(options: &Options) -> Loaded {
        let source = Source::of(options);
        let config = Config::read(&source).and_then(|config| {
            if let Some(config) = &config {
                config.check()?;
            }
            Ok(config)
        });
        Loaded { source, config }
    }

    /// What the file sets for `flavor`: its section over the top level;
    /// nothing when there is no file or it cannot be used.
    pub fn for_flavor(&self, flavor: Option<Flavor>) -> FileOptions {
        match &self.config {
            Ok(Some(config)) => config.options(flavor),
            _ => FileOptions::default(),
        }
    }

    /// The file whose settings count, if any.
    pub fn file(&self) -> Option<PathBuf> {
        match &self.config {
            Ok(Some(config)) => Some(config.path.clone()),
            _ => None,
        }
    }

    /// Why the file is ignored, when it is.
    pub fn error(&self) -> Option<&ConfigError> {
        self.config.as_ref().err()
    }

    /// The report's warning for an ignored file, in one line.
    pub fn warning(&self) -> Option<String> {
        self.error().map(|e| format!("{e}; the file is ignored"))
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::settings::resolve::resolve;

    #[test]
    fn the_file_fills_in_only_what_the_front_did_not_set() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pycache.conf");
        std::fs::write(&path, "jobs = 3\ntimeout = 1.5\npy311 { jobs = 5; }\n").unwrap();
        let py311 = Some(Flavor::parse("py311").unwrap());
        let options = Options {
            config: Some(path.clone()),
            ..Options::default()
        }
        .timeout(Duration::from_secs(9));
        let loaded = Loaded::read(&options);
        assert_eq!(loaded.error(), None);
        assert_eq!(loaded.file().as_deref(), Some(path.as_path()));
        let (settings, origins) = resolve(&options, &loaded.for_flavor(py311));
        assert_eq!(settings.jobs, 5);
        assert_eq!(settings.timeout, Duration::from_secs(9));
        let origin = |key: &str| {
            let (_, origin) = origins.iter().find(|(k, _)| *k == key).unwrap();
            origin.to_string()
        };
        assert_eq!(origin("jobs"), "line 3, section py311");
        assert_eq!(origin("timeout"), "command line");
        assert_eq!(origin("levels"), "default");

        // A bad value in another flavor's section spoils the whole file.
        std::fs::write(&path, "jobs = 3\npy39 { timeout = 0; }\n").unwrap();
        let options = Options {
            config: Some(path.clone()),
            ..Options::default()
        };
        let loaded = Loaded::read(&options);
        let (settings, _) = resolve(&options, &loaded.for_flavor(py311));
        assert_eq!(settings.jobs, 0, "the default: one per core");
        assert_eq!(loaded.file(), None);
        assert_eq!(
            loaded.warning().unwrap(),
            format!(
                "{}:2: timeout: must be a number of seconds > 0 and <= 86400, got 0; the file \
                 is ignored",
                path.display()
            )
        );
    }
}
