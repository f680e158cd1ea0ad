//! Reading pycache.conf: the file opened as a file no other user could
//! have written, parsed, its keys and sections known ones, its values
//! checked as the options' definitions check a front's.

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::settings::config::{ConfigError, ENV, Source};
use crate::settings::defs::{self, OPTIONS};
use crate::settings::flavor::Flavor;
use crate::settings::options::Options;
use crate::settings::raw::Raw;
use crate::settings::resolve::FileOptions;
use crate::settings::ucl::{self, Node, Ucl};

/// Files larger than this are refused: a configuration is a few lines.
const MAX_SIZE: u64 = 1 << 20;

/// One setting of the file: key, value and line.
#[derive(Clone, Debug, PartialEq)]
pub struct Setting {
    /// A key of the file ([`defs::config_keys`]).
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
        // Links are followed: the admin chose the path. The file they lead
        // to is opened without blocking and judged through its descriptor
        // (a FIFO or a directory is refused, never waited on), and it and
        // every directory above it must be trusted (src/fs/trust.rs): a
        // setting such as prune_levels, read as root from a file another
        // user can write, would let that user remove root's bytecode.
        use crate::fs::trust::Refusal;
        let mut file = match crate::fs::trust::open_file(path) {
            Ok(Some((file, _))) => file,
            Ok(None) if !named => return Ok(None),
            Ok(None) => {
                return Err(fail(format!(
                    "no such file (named by --config or ${ENV}); create it or name another"
                )));
            }
            Err(Refusal::Unreadable(e)) => return Err(fail(format!("cannot read: {e}"))),
            Err(Refusal::Untrusted(why)) => {
                return Err(fail(format!(
                    "not trusted ({why}): pycache reads no configuration that a user other \
                     than root, or the one running it, could have written; make the file \
                     and the directories above it root's and writable by root alone \
                     (chown root, chmod go-w)"
                )));
            }
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
    /// level's, one per key, in the order of [`OPTIONS`].
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
        out.sort_by_key(|s| OPTIONS.iter().position(|d| d.key == s.key));
        out
    }

    /// What the file sets for `flavor` ([`Config::settings`]), as options.
    /// Every value was checked when the file was read ([`Config::check`]).
    pub fn options(&self, flavor: Option<Flavor>) -> FileOptions {
        let mut file = FileOptions::default();
        for setting in self.settings(flavor) {
            let def = defs::def(&setting.key).expect("a known key");
            (def.set)(def, &mut file.options, &raw(&setting.node.value))
                .expect("checked when read");
            file.lines
                .push((def.key, setting.node.line, setting.section));
        }
        file
    }

    /// The error for a value of `setting` that its option refuses.
    pub fn refused(&self, setting: &Setting, problem: impl fmt::Display) -> ConfigError {
        ConfigError {
            path: self.path.clone(),
            line: Some(setting.node.line),
            problem: problem.to_string(),
        }
    }

    /// Checks every value of the file, of every section, as its option
    /// would take it: a file is used whole or not at all, whichever flavor
    /// a run is for.
    pub fn check(&self) -> Result<(), ConfigError> {
        let sections = self.sections.iter().flat_map(|(_, s)| s);
        for setting in self.top.iter().chain(sections) {
            let def = defs::def(&setting.key).expect("a known key");
            (def.set)(def, &mut Options::default(), &raw(&setting.node.value))
                .map_err(|e| self.refused(setting, e))?;
        }
        Ok(())
    }
}

/// A value of the file as a front's value, for its option's check.
fn raw(ucl: &Ucl) -> Raw {
    match ucl {
        Ucl::Int(n) => Raw::Int(*n),
        Ucl::Float(n) => Raw::Num(*n),
        Ucl::Bool(b) => Raw::Bool(*b),
        Ucl::Str(s) => Raw::Str(s.clone().into_bytes()),
        Ucl::Array(items) => Raw::List(items.iter().map(|n| raw(&n.value)).collect()),
        Ucl::Object(_) => Raw::Other("section"),
    }
}

fn setting(
    path: &Path,
    key: String,
    node: Node,
    section: Option<Flavor>,
) -> Result<Setting, ConfigError> {
    let known = defs::def(&key).is_some_and(|def| def.in_config());
    if !known {
        let within = section
            .map(|f| format!(" (in section {f})"))
            .unwrap_or_default();
        let problem = if let Ucl::Object(_) = node.value {
            format!("{key}: sections are only for flavors, at the top level")
        } else {
            format!(
                "{key}: unknown key{within}; expected one of {}",
                defs::config_keys().collect::<Vec<_>>().join(", ")
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
    use crate::settings::config::Source;

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
             stdlib, invalidation_mode, jobs, timeout, memory_limit, exclude"
        );
        assert_eq!(
            parse("py311 {\n  flavor = py39\n}").unwrap_err(),
            "/etc/pycache.conf:2: flavor: unknown key (in section py311); expected one of levels, \
             prune_levels, stdlib, invalidation_mode, jobs, timeout, memory_limit, exclude"
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
        assert_eq!(Source::locate(Some(&path), None, true), Source::None);
        assert_eq!(Source::locate(Some(&path), None, false), named);
    }
}
