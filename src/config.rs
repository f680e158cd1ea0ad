//! `pycache.conf`: the administrator's settings, read into the engine's one
//! option set ([`Options`]) for every front alike.
//!
//! The file is found here (`--config`/`config`, else `$PYCACHE_CONF`, else
//! `/usr/local/etc/pycache.conf`; `--no-config`/`no_config` reads none),
//! parsed by [`crate::ucl`] and each value is checked by
//! [`Options::set`], exactly as a flag or a Lua option is: the file only
//! fills in what the run did not set itself (file < flag < Lua option).
//! A flavor's section (`py311 { ... }`) counts over the top level.
//!
//! A file that cannot be used is never fatal to a job: the whole file is
//! ignored, the run goes on as without it, and the report carries one
//! warning naming the file, the line, the key and what it expects. So a
//! broken file never stops a pkg trigger and never makes it remove more
//! than it would without the file.

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::flavor::Flavor;
use crate::ucl::{self, Node, Ucl};

/// The keys the file may set, in the order `pycache config` prints them;
/// each is an option of [`crate::options::OPTIONS`] (a test checks it).
pub const KEYS: &[&str] = &[
    "levels",
    "prune_levels",
    "invalidation_mode",
    "jobs",
    "timeout",
    "exclude",
];

/// The environment variable naming another file.
pub const ENV: &str = "PYCACHE_CONF";

/// Files larger than this are refused: a configuration is a few lines.
const MAX_SIZE: u64 = 1 << 20;

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
    /// The file to read: `given` (`--config`), else `$PYCACHE_CONF` when
    /// set and not empty, else the default; none with `no_config`.
    pub fn locate(given: Option<&Path>, no_config: bool) -> Source {
        if no_config {
            return Source::None;
        }
        if let Some(path) = given {
            return Source::File {
                path: path.to_path_buf(),
                named: true,
            };
        }
        match std::env::var_os(ENV) {
            Some(path) if !path.is_empty() => Source::File {
                path: PathBuf::from(path),
                named: true,
            },
            _ => Source::File {
                path: default_path(),
                named: false,
            },
        }
    }
}

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

/// One setting of the file: key, value and line.
#[derive(Clone, Debug, PartialEq)]
pub struct Setting {
    /// One of [`KEYS`].
    pub key: String,
    /// The value as written.
    pub node: Node,
    /// The flavor section it is in, if any.
    pub section: Option<Flavor>,
}

/// A parsed file whose keys and sections are known ones (values are
/// checked when they are applied).
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// The file.
    pub path: PathBuf,
    top: Vec<Setting>,
    sections: Vec<(Flavor, Vec<Setting>)>,
}

impl Config {
    /// Reads the file of `source`: `Ok(None)` for no file (a missing
    /// default file included); an error for an unreadable or invalid one,
    /// or a named one that is missing.
    pub fn read(source: &Source) -> Result<Option<Config>, ConfigError> {
        let Source::File { path, named } = source else {
            return Ok(None);
        };
        let fail = |problem: String| ConfigError {
            path: path.clone(),
            line: None,
            problem,
        };
        // Opened without blocking and judged through its descriptor: a
        // name that is (or is swapped for) a FIFO or a directory is refused,
        // never waited on. Links are followed: the admin chose the path.
        let mut file = match crate::dir::open_file_path(path, true) {
            Ok((file, _)) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !named => return Ok(None),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(fail(format!(
                    "no such file (named by --config or ${ENV}); create it or name another"
                )));
            }
            Err(e) => return Err(fail(format!("cannot read: {e}"))),
        };
        let mut bytes = Vec::new();
        file.by_ref()
            .take(MAX_SIZE + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| fail(format!("cannot read: {e}")))?;
        if bytes.len() as u64 > MAX_SIZE {
            return Err(fail(format!(
                "larger than {MAX_SIZE} bytes; is it the right file?"
            )));
        }
        Config::parse(path, &bytes).map(Some)
    }

    /// Parses the bytes of the file at `path`.
    pub fn parse(path: &Path, bytes: &[u8]) -> Result<Config, ConfigError> {
        let err = |line: Option<usize>, problem: String| ConfigError {
            path: path.to_path_buf(),
            line,
            problem,
        };
        let text = std::str::from_utf8(bytes).map_err(|e| {
            let line = bytes[..e.valid_up_to()]
                .iter()
                .filter(|&&b| b == b'\n')
                .count()
                + 1;
            err(Some(line), "not UTF-8 text".into())
        })?;
        let members = ucl::parse(text).map_err(|e| {
            let problem = match e.key {
                Some(key) => format!("{key}: {}", e.problem),
                None => e.problem,
            };
            err(Some(e.line), problem)
        })?;
        let mut config = Config {
            path: path.to_path_buf(),
            top: Vec::new(),
            sections: Vec::new(),
        };
        for (key, node) in members {
            if let Ucl::Object(inner) = node.value {
                let flavor = Flavor::parse(&key).map_err(|e| {
                    err(
                        Some(node.line),
                        format!("{key}: a section must be named for a flavor ({e})"),
                    )
                })?;
                let mut settings = Vec::new();
                for (key, node) in inner {
                    settings.push(setting(path, key, node, Some(flavor))?);
                }
                config.sections.push((flavor, settings));
            } else {
                config.top.push(setting(path, key, node, None)?);
            }
        }
        Ok(config)
    }

    /// The settings that count for `flavor`: its section's over the top
    /// level's, one per key, in the order of [`KEYS`].
    pub fn settings(&self, flavor: Option<Flavor>) -> Vec<&Setting> {
        let section = self
            .sections
            .iter()
            .filter(|(f, _)| Some(*f) == flavor)
            .flat_map(|(_, s)| s);
        let mut out: Vec<&Setting> = Vec::new();
        for s in section.chain(&self.top) {
            if out.iter().all(|o| o.key != s.key) {
                out.push(s);
            }
        }
        out.sort_by_key(|s| KEYS.iter().position(|k| *k == s.key));
        out
    }

    /// The error for a value of `setting` that its option refuses.
    pub fn refused(&self, setting: &Setting, problem: impl fmt::Display) -> ConfigError {
        ConfigError {
            path: self.path.clone(),
            line: Some(setting.node.line),
            problem: problem.to_string(),
        }
    }
}

fn setting(
    path: &Path,
    key: String,
    node: Node,
    section: Option<Flavor>,
) -> Result<Setting, ConfigError> {
    if !KEYS.contains(&key.as_str()) {
        let within = section
            .map(|f| format!(" (in section {f})"))
            .unwrap_or_default();
        let problem = if let Ucl::Object(_) = node.value {
            format!("{key}: sections are only for flavors, at the top level")
        } else {
            format!(
                "{key}: unknown key{within}; expected one of {}",
                KEYS.join(", ")
            )
        };
        return Err(ConfigError {
            path: path.to_path_buf(),
            line: Some(node.line),
            problem,
        });
    }
    Ok(Setting { key, node, section })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, String> {
        Config::parse(Path::new("/etc/pycache.conf"), text.as_bytes()).map_err(|e| e.to_string())
    }

    #[test]
    fn a_flavor_section_counts_over_the_top_level() {
        let c = parse("levels = [0, 1]\njobs = 2\npy311 { levels = [0]; }\npy313t { jobs = 1 }")
            .unwrap();
        let keys = |f: Option<&str>| -> Vec<(String, usize, Option<String>)> {
            c.settings(f.map(|f| Flavor::parse(f).unwrap()))
                .into_iter()
                .map(|s| (s.key.clone(), s.node.line, s.section.map(|f| f.to_string())))
                .collect()
        };
        assert_eq!(
            keys(Some("py311")),
            [
                ("levels".into(), 3, Some("py311".into())),
                ("jobs".into(), 2, None)
            ]
        );
        assert_eq!(
            keys(Some("py313t")),
            [
                ("levels".into(), 1, None),
                ("jobs".into(), 4, Some("py313t".into()))
            ]
        );
        assert_eq!(
            keys(Some("py313")),
            [("levels".into(), 1, None), ("jobs".into(), 2, None)]
        );
        assert_eq!(keys(None), keys(Some("py39")));
    }

    #[test]
    fn errors_name_the_file_the_line_and_the_key() {
        assert_eq!(
            parse("levels = [0]\nlevles = [1]").unwrap_err(),
            "/etc/pycache.conf:2: levles: unknown key; expected one of levels, prune_levels, \
             invalidation_mode, jobs, timeout, exclude"
        );
        assert_eq!(
            parse("py311 {\n  flavor = py39\n}").unwrap_err(),
            "/etc/pycache.conf:2: flavor: unknown key (in section py311); expected one of levels, \
             prune_levels, invalidation_mode, jobs, timeout, exclude"
        );
        assert!(parse("python311 { }").unwrap_err().starts_with(
            "/etc/pycache.conf:1: python311: a section must be named for a flavor (invalid flavor"
        ),);
        assert_eq!(
            parse("py311 { py39 { jobs = 1 } }").unwrap_err(),
            "/etc/pycache.conf:1: py39: sections are only for flavors, at the top level"
        );
        assert_eq!(
            parse("jobs = 1\njobs = 2").unwrap_err(),
            "/etc/pycache.conf:2: jobs: given twice"
        );
        let err = Config::parse(Path::new("/c"), b"jobs = 1\n# \xff\n").unwrap_err();
        assert_eq!(err.to_string(), "/c:2: not UTF-8 text");
    }

    #[test]
    fn a_missing_default_file_is_none_a_missing_named_one_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pycache.conf");
        let default = Source::File {
            path: path.clone(),
            named: false,
        };
        assert_eq!(Config::read(&default), Ok(None));
        let named = Source::File {
            path: path.clone(),
            named: true,
        };
        assert!(
            Config::read(&named)
                .unwrap_err()
                .to_string()
                .contains("no such file")
        );
        assert_eq!(Config::read(&Source::None), Ok(None));
        std::fs::create_dir(&path).unwrap();
        assert!(
            Config::read(&default)
                .unwrap_err()
                .to_string()
                .ends_with("not a regular file")
        );
        let fifo = dir.path().join("fifo.conf");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success(), "mkfifo");
        let named_fifo = Source::File {
            path: fifo,
            named: true,
        };
        // A FIFO with no writer would block a plain open: refused at once.
        assert!(
            Config::read(&named_fifo)
                .unwrap_err()
                .to_string()
                .ends_with("not a regular file")
        );
        assert_eq!(Source::locate(Some(&path), true), Source::None);
        assert_eq!(Source::locate(Some(&path), false), named);
    }
}
