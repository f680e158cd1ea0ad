//! `pycache.conf`: the administrator's settings, read into the engine's one
//! option set ([`Options`]) for every front alike.
//!
//! The file is found here (`--config`/`config`, else `$PYCACHE_CONF`, else
//! `/usr/local/etc/pycache.conf`; `--no-config`/`no_config` reads none),
//! parsed by [`crate::settings::ucl`] and each value is checked by
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

use crate::settings::flavor::Flavor;
use crate::settings::options::{Options, Value};
use crate::settings::ucl::{self, Node, Ucl};

/// The keys the file may set, in the order `pycache config` prints them;
/// each is an option of [`crate::settings::options::OPTIONS`] (a test checks it).
pub const KEYS: &[&str] = &[
    "levels",
    "prune_levels",
    "stdlib",
    "invalidation_mode",
    "jobs",
    "timeout",
    "memory_limit",
    "exclude",
];

/// The environment variable naming another file.
pub use crate::settings::options::CONFIG_ENV as ENV;

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

    /// Checks every value of the file, of every section, as its option
    /// would take it: a file is used whole or not at all, whichever flavor
    /// a run is for.
    pub fn check(&self) -> Result<(), ConfigError> {
        let sections = self.sections.iter().flat_map(|(_, s)| s);
        for setting in self.top.iter().chain(sections) {
            Options::default()
                .assign(&setting.key, value(&setting.node.value))
                .map_err(|e| self.refused(setting, e))?;
        }
        Ok(())
    }
}

/// Where the value of a setting in effect comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// Nobody set it.
    Default,
    /// The run's own options (a flag, a Lua option).
    Given,
    /// The file, at this line, in this flavor's section or at the top.
    File {
        /// The line of the value.
        line: usize,
        /// The section, when not the top level.
        section: Option<Flavor>,
    },
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Default => f.write_str("default"),
            Origin::Given => f.write_str("command line"),
            Origin::File {
                line,
                section: None,
            } => write!(f, "line {line}"),
            Origin::File {
                line,
                section: Some(flavor),
            } => write!(f, "line {line}, section {flavor}"),
        }
    }
}

/// What the file did to a run's options ([`apply`]).
#[derive(Clone, Debug, Default)]
pub struct Applied {
    /// The file whose settings count, if any.
    pub file: Option<PathBuf>,
    /// Where each setting of [`KEYS`] in effect comes from, in that order.
    pub origins: Vec<(&'static str, Origin)>,
    /// Why the file was ignored whole, when it was.
    pub error: Option<ConfigError>,
}

impl Applied {
    /// The report's warning for an ignored file, in one line.
    pub fn warning(&self) -> Option<String> {
        self.error
            .as_ref()
            .map(|e| format!("{e}; the file is ignored"))
    }
}

/// Fills in the options a run did not set itself from the file its options
/// name (or the default file), with `flavor`'s section over the top level.
/// A file that cannot be used changes nothing and says why.
pub fn apply(options: &mut Options, flavor: Option<Flavor>) -> Applied {
    let source = Source::of(options);
    let config = Config::read(&source).and_then(|config| {
        if let Some(config) = &config {
            config.check()?;
        }
        Ok(config)
    });
    let mut applied = Applied::default();
    let settings = match &config {
        Ok(Some(config)) => {
            applied.file = Some(config.path.clone());
            config.settings(flavor)
        }
        Ok(None) => Vec::new(),
        Err(e) => {
            applied.error = Some(e.clone());
            Vec::new()
        }
    };
    for key in KEYS {
        let origin = if options.is_given(key) {
            Origin::Given
        } else if let Some(setting) = settings.iter().find(|s| s.key == *key) {
            options
                .assign(key, value(&setting.node.value))
                .expect("checked when read");
            Origin::File {
                line: setting.node.line,
                section: setting.section,
            }
        } else {
            Origin::Default
        };
        applied.origins.push((key, origin));
    }
    applied
}

/// A value of the file as a front's value for [`Options`].
fn value(ucl: &Ucl) -> Value {
    match ucl {
        Ucl::Int(n) => Value::Int(*n),
        Ucl::Float(n) => Value::Num(*n),
        Ucl::Bool(b) => Value::Bool(*b),
        Ucl::Str(s) => Value::Str(s.clone().into_bytes()),
        Ucl::Array(items) => Value::List(items.iter().map(|n| value(&n.value)).collect()),
        Ucl::Object(_) => Value::Other("section"),
    }
}

/// The settings in effect for a run: what `pycache config` prints.
#[derive(Clone, Debug)]
pub struct Effective {
    /// The file looked for (`None`: `--no-config`).
    pub sought: Option<PathBuf>,
    /// The file read, if any.
    pub file: Option<PathBuf>,
    /// The flavor whose section counts, if known.
    pub flavor: Option<Flavor>,
    /// Each of [`KEYS`]: its value and where it comes from.
    pub settings: Vec<(&'static str, Ucl, Origin)>,
}

impl Effective {
    /// The settings in effect for `options`: the file applied for
    /// `flavor` (the one they select; the caller asks an interpreter given
    /// alone). A file that cannot be used is the error here.
    pub fn of(mut options: Options, flavor: Option<Flavor>) -> Result<Effective, ConfigError> {
        let sought = match Source::of(&options) {
            Source::File { path, .. } => Some(path),
            Source::None => None,
        };
        let applied = apply(&mut options, flavor);
        if let Some(e) = applied.error {
            return Err(e);
        }
        let settings = applied
            .origins
            .into_iter()
            .map(|(key, origin)| (key, current(&options, key), origin))
            .collect();
        Ok(Effective {
            sought,
            file: applied.file,
            flavor,
            settings,
        })
    }

    /// The settings as a file would hold them, each commented with where
    /// it comes from, after a line naming the file.
    pub fn render(&self) -> String {
        let file = match (&self.file, &self.sought) {
            (Some(path), _) => path.display().to_string(),
            (None, Some(path)) => format!("{}: not present, nothing read", path.display()),
            (None, None) => "no configuration file read (no_config)".to_string(),
        };
        let section = match self.flavor {
            Some(flavor) => format!(", flavor {flavor}"),
            None => String::new(),
        };
        let mut out = format!("# {file}{section}\n");
        for (key, value, origin) in &self.settings {
            let line = format!("{key} = {};", ucl::write_value(value));
            out.push_str(&format!("{line:<32} # {origin}\n"));
        }
        out
    }

    /// The settings as JSON: `{"schema": 1, "file": PATH|null, "flavor":
    /// "py311"|null, "settings": {KEY: {"value": V, "from": ORIGIN}}}`, or
    /// with `key` only `{"schema", "file", "flavor", "key", "value",
    /// "from"}`.
    pub fn to_json(&self, key: Option<&str>) -> String {
        use serde_json::{Value as Json, json};
        let file = self.file.as_ref().map(|p| p.to_string_lossy().into_owned());
        let flavor = self.flavor.map(|f| f.name());
        let mut settings = serde_json::Map::new();
        for (k, value, origin) in &self.settings {
            let one = json!({"value": ucl_json(value), "from": origin.to_string()});
            if key == Some(*k) {
                let mut out = json!({"schema": 1, "file": file, "flavor": flavor, "key": k});
                if let (Json::Object(out), Json::Object(one)) = (&mut out, one) {
                    out.extend(one);
                }
                return out.to_string();
            }
            settings.insert(k.to_string(), one);
        }
        json!({"schema": 1, "file": file, "flavor": flavor, "settings": settings}).to_string()
    }

    /// One setting's value as `pycache config KEY` prints it: a scalar as
    /// it is, an array one element per line.
    pub fn value(&self, key: &str) -> Option<String> {
        let (_, value, _) = self.settings.iter().find(|(k, _, _)| *k == key)?;
        let plain = |v: &Ucl| match v {
            Ucl::Str(s) => s.clone(),
            other => ucl::write_value(other),
        };
        Some(match value {
            Ucl::Array(items) => items
                .iter()
                .map(|n| plain(&n.value) + "\n")
                .collect::<String>(),
            other => plain(other) + "\n",
        })
    }
}

fn ucl_json(value: &Ucl) -> serde_json::Value {
    use serde_json::Value as Json;
    match value {
        Ucl::Int(n) => Json::from(*n),
        Ucl::Float(n) => Json::from(*n),
        Ucl::Bool(b) => Json::from(*b),
        Ucl::Str(s) => Json::from(s.as_str()),
        Ucl::Array(items) => Json::Array(items.iter().map(|n| ucl_json(&n.value)).collect()),
        Ucl::Object(members) => Json::Object(
            members
                .iter()
                .map(|(k, n)| (k.clone(), ucl_json(&n.value)))
                .collect(),
        ),
    }
}

/// The value of configuration key `key` in `options`, as UCL.
fn current(options: &Options, key: &str) -> Ucl {
    let node = |value| Node { line: 0, value };
    match key {
        "levels" => Ucl::Array(
            options
                .levels
                .iter()
                .map(|&l| node(Ucl::Int(l.into())))
                .collect(),
        ),
        "prune_levels" => Ucl::Bool(options.prune_levels),
        "stdlib" => Ucl::Bool(options.stdlib),
        "invalidation_mode" => Ucl::Str(options.invalidation_mode.as_str().into()),
        "jobs" => Ucl::Int(options.workers.try_into().unwrap_or(i64::MAX)),
        "timeout" => {
            let secs = options.timeout.as_secs_f64();
            if secs.fract() == 0.0 {
                Ucl::Int(secs as i64)
            } else {
                Ucl::Float(secs)
            }
        }
        "memory_limit" => Ucl::Int(options.memory_limit.map_or(0, |n| n as i64)),
        "exclude" => Ucl::Array(
            options
                .exclude
                .iter()
                .map(|p| node(Ucl::Str(p.as_str().into())))
                .collect(),
        ),
        _ => unreachable!("{key} is not a configuration key"),
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
    fn the_file_fills_in_only_what_the_front_did_not_set() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pycache.conf");
        std::fs::write(&path, "jobs = 3\ntimeout = 1.5\npy311 { jobs = 5; }\n").unwrap();
        let mut options = Options::default();
        options
            .set("config", Value::Str(path.to_str().unwrap().into()))
            .unwrap();
        options.set("timeout", Value::Int(9)).unwrap();
        let applied = apply(&mut options, Some(Flavor::parse("py311").unwrap()));
        assert_eq!(applied.error, None);
        assert_eq!(applied.file.as_deref(), Some(path.as_path()));
        assert_eq!(options.workers, 5);
        assert_eq!(options.timeout, std::time::Duration::from_secs(9));
        let origin = |key: &str| {
            let (_, origin) = applied.origins.iter().find(|(k, _)| *k == key).unwrap();
            origin.to_string()
        };
        assert_eq!(origin("jobs"), "line 3, section py311");
        assert_eq!(origin("timeout"), "command line");
        assert_eq!(origin("levels"), "default");

        // A bad value in another flavor's section spoils the whole file.
        std::fs::write(&path, "jobs = 3\npy39 { timeout = 0; }\n").unwrap();
        let mut fresh = Options::default();
        fresh
            .set("config", Value::Str(path.to_str().unwrap().into()))
            .unwrap();
        let applied = apply(&mut fresh, Some(Flavor::parse("py311").unwrap()));
        assert_eq!(fresh.workers, Options::default().workers);
        assert_eq!(applied.file, None);
        assert_eq!(
            applied.warning().unwrap(),
            format!(
                "{}:2: timeout: must be a number of seconds > 0 and <= 86400, got 0; the file is ignored",
                path.display()
            )
        );
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
