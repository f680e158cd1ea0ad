//! Every option of a run, defined once: its name (the Lua key, and the name
//! every message uses), its program flag, what a value must be, its default,
//! which commands it means something to, and how a value as a front gave it
//! ([`Raw`]) is checked into the typed [`Options`]: each definition's `set`
//! writes its own field, so the compiler carries a value from the front that
//! read it to the code that uses it. Every front reads through [`Def::set`]
//! (the program's flags, `pycache.core`'s Lua values, the JSON request
//! `lua/pycache.lua` sends, the configuration file), so the same bad value
//! reads the same from every front. `--help`, the manual pages (the
//! options of pycache(8) and pycache.lua(3)) and `pycache.core.options` are
//! derived from or checked against this table (tests/definitions.rs,
//! tests/manpages.rs).

use std::os::unix::ffi::OsStringExt;
use std::path::PathBuf;
use std::time::Duration;

use glob::Pattern;

use crate::bytecode::pyc::InvalidationMode;
use crate::settings::flavor::Flavor;
use crate::settings::options::{Levels, MemoryLimit, Options, Settings, TIMEOUT_MAX};
use crate::settings::raw::Raw;
use crate::settings::ucl::{Node, Ucl};

/// What kind of value an option takes; decides how the program parses a
/// flag's text and what Lua type a Lua module takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A flavor name such as `py311`.
    Flavor,
    /// A path (any bytes but NUL, not empty).
    Path,
    /// A list of optimization levels, `0,1,2` on the command line.
    Levels,
    /// An invalidation mode name.
    Mode,
    /// A whole number of compile workers, 0 for one per core; more than
    /// the cores count as the cores ([`Settings::workers`]).
    Jobs,
    /// A number of seconds, fractions allowed, up to [`TIMEOUT_MAX`].
    Seconds,
    /// A whole number of mebibytes, 0 for no limit.
    Mebibytes,
    /// On or off; a flag without a value on the command line.
    Switch,
    /// Glob patterns; a repeatable flag, one string or an array in Lua.
    Globs,
    /// Directories: the program's positional arguments, an array in Lua.
    Dirs,
    /// The configuration file to read (a path).
    Config,
}

impl Kind {
    /// The Lua type(s) a value of this kind has, as pycache.lua(3) and
    /// `pycache.core.options` name them.
    pub fn lua_type(self) -> &'static str {
        match self {
            Kind::Flavor | Kind::Path | Kind::Mode | Kind::Config => "string",
            Kind::Jobs | Kind::Seconds | Kind::Mebibytes => "number",
            Kind::Switch => "boolean",
            Kind::Levels => "number array",
            Kind::Globs => "string or string array",
            Kind::Dirs => "string array",
        }
    }

    /// Whether options of this kind say which interpreter and
    /// site-packages (the only ones `pycache.core.info` takes).
    pub fn selects_target(self) -> bool {
        matches!(self, Kind::Flavor | Kind::Path)
    }

    /// What one element of a list must be, for list kinds.
    pub fn element(self) -> Option<&'static str> {
        match self {
            Kind::Levels => Some("0, 1 or 2"),
            Kind::Globs => Some("a glob"),
            Kind::Dirs => Some("a path"),
            _ => None,
        }
    }
}

/// Which commands an option means something to. A command refuses an
/// option that does nothing for it, rather than take it silently.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Applies {
    /// Every command.
    Always,
    /// Those that judge pyc files: not `clean`.
    Judging,
    /// Those that compile: `update` and `compile`.
    Compiling,
}

/// One option of a run.
#[derive(Clone, Copy)]
pub struct Def {
    /// The Lua key and the name every message uses: `jobs`.
    pub key: &'static str,
    /// The program's long flag without dashes (`jobs`), or `""` for the
    /// positional directories.
    pub flag: &'static str,
    /// The program's short flag, if any.
    pub short: Option<char>,
    /// The placeholder of the flag's value in help (`N`).
    pub value_name: &'static str,
    /// What kind of value.
    pub kind: Kind,
    /// What a value must be, as messages say it: `jobs: must be EXPECTED, got 2.5`.
    pub expected: &'static str,
    /// The default, in words; `None` where there is none to name.
    pub default: Option<&'static str>,
    /// What the option does.
    pub help: &'static str,
    /// Which commands it means something to; the others refuse it.
    pub applies: Applies,
    /// Checks a value as given and writes it into its field.
    pub set: fn(&Def, &mut Options, &Raw) -> Result<(), OptionError>,
    /// Whether the field was given.
    pub given: fn(&Options) -> bool,
    /// For a key of pycache.conf, its value in effect as the file would
    /// hold it (`pycache config`); `None` for the options the file cannot
    /// set.
    pub show: Option<fn(&Settings) -> Ucl>,
}

impl std::fmt::Debug for Def {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Def")
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

impl Def {
    /// Whether pycache.conf may set it.
    pub fn in_config(&self) -> bool {
        self.show.is_some()
    }
}

fn node(value: Ucl) -> Node {
    Node { line: 0, value }
}

/// A time as pycache.conf would hold it: whole seconds as an integer.
fn seconds(time: Duration) -> Ucl {
    let secs = time.as_secs_f64();
    if secs.fract() == 0.0 {
        Ucl::Int(secs as i64)
    } else {
        Ucl::Float(secs)
    }
}

/// Every option of a run, in the order help and `pycache config`
/// list them (and in which they are checked, so that the first problem
/// reported is the same whatever the order a front gave them in): what
/// selects the tree, what is kept, how it is compiled, what is looked at,
/// then the configuration file and the dry run.
pub const OPTIONS: &[Def] = &[
    Def {
        key: "flavor",
        flag: "flavor",
        short: Some('f'),
        value_name: "pyXY",
        kind: Kind::Flavor,
        expected: "a flavor such as py311, or py313t (free-threaded)",
        default: None,
        help: "the flavor: interpreter `PREFIX/bin/pythonX.Y`, site-packages \
               `PREFIX/lib/pythonX.Y/site-packages`, tag `cpython-XY`; `pyXYt` (3.13 or \
               newer) is the free-threaded build, `pythonX.Yt` and `lib/pythonX.Yt`, same \
               tag; no interpreter is started to know this",
        applies: Applies::Always,
        set: |def, o, v| {
            o.selection.flavor = Some(check::flavor(def, v)?);
            Ok(())
        },
        given: |o| o.selection.flavor.is_some(),
        show: None,
    },
    Def {
        key: "prefix",
        flag: "prefix",
        short: None,
        value_name: "DIR",
        kind: Kind::Path,
        expected: "a path",
        default: Some("`/usr/local`"),
        help: "where a flavor is installed (with --flavor or --all; refused without them)",
        applies: Applies::Always,
        set: |def, o, v| {
            o.selection.prefix = Some(check::path(def, v)?);
            Ok(())
        },
        given: |o| o.selection.prefix.is_some(),
        show: None,
    },
    Def {
        key: "python",
        flag: "python",
        short: Some('p'),
        value_name: "PATH",
        kind: Kind::Path,
        expected: "a path",
        default: Some("`python3` on `PATH` when neither is given"),
        help: "interpreter to compile with: a path, or a name looked up once in the \
               absolute directories of `PATH`; without a flavor it is asked for its \
               version, cache tag, magic number and site-packages",
        applies: Applies::Always,
        set: |def, o, v| {
            o.selection.python = Some(check::path(def, v)?);
            Ok(())
        },
        given: |o| o.selection.python.is_some(),
        show: None,
    },
    Def {
        key: "site_packages",
        flag: "site-packages",
        short: None,
        value_name: "DIR",
        kind: Kind::Path,
        expected: "a path",
        default: Some("the interpreter's"),
        help: "work on this directory instead",
        applies: Applies::Always,
        set: |def, o, v| {
            o.selection.site_packages = Some(check::path(def, v)?);
            Ok(())
        },
        given: |o| o.selection.site_packages.is_some(),
        show: None,
    },
    Def {
        key: "root",
        flag: "root",
        short: None,
        value_name: "DIR",
        kind: Kind::Path,
        expected: "a path",
        default: None,
        help: "work on `DIR/<site-packages>` (a staged image); code objects record \
               the runtime path; symlinks resolve inside `DIR`",
        applies: Applies::Always,
        set: |def, o, v| {
            o.selection.root = Some(check::path(def, v)?);
            Ok(())
        },
        given: |o| o.selection.root.is_some(),
        show: None,
    },
    Def {
        key: "levels",
        flag: "optimize",
        short: Some('O'),
        value_name: "0,1,2",
        kind: Kind::Levels,
        expected: "a list of levels 0, 1 or 2",
        default: Some("`0,1,2`"),
        help: "levels to keep",
        applies: Applies::Always,
        set: |def, o, v| {
            o.levels = Some(check::levels(def, v)?);
            Ok(())
        },
        given: |o| o.levels.is_some(),
        show: Some(|s| Ucl::Array(s.levels.iter().map(|&l| node(Ucl::Int(l.into()))).collect())),
    },
    Def {
        key: "prune_levels",
        flag: "prune-levels",
        short: None,
        value_name: "",
        kind: Kind::Switch,
        expected: "true or false",
        default: Some("off: nothing valid is ever removed"),
        help: "also remove this interpreter's bytecode of levels not kept (its tag only; \
               see pycache(8), --prune-levels)",
        applies: Applies::Always,
        set: |def, o, v| {
            o.prune_levels = Some(check::switch(def, v)?);
            Ok(())
        },
        given: |o| o.prune_levels.is_some(),
        show: Some(|s| Ucl::Bool(s.prune_levels)),
    },
    Def {
        key: "stdlib",
        flag: "stdlib",
        short: None,
        value_name: "",
        kind: Kind::Switch,
        expected: "true or false",
        default: Some("off (triggers: on)"),
        help: "also the standard library: work on the flavor's whole `PREFIX/lib/pythonX.Y`, \
               site-packages included, except the files CPython's own install leaves \
               uncompiled (its test data with bad syntax or encodings)",
        applies: Applies::Always,
        set: |def, o, v| {
            o.stdlib = Some(check::switch(def, v)?);
            Ok(())
        },
        given: |o| o.stdlib.is_some(),
        show: Some(|s| Ucl::Bool(s.stdlib)),
    },
    Def {
        key: "invalidation_mode",
        flag: "invalidation-mode",
        short: None,
        value_name: "MODE",
        kind: Kind::Mode,
        expected: "timestamp, checked-hash or unchecked-hash",
        default: Some("`timestamp`"),
        help: "`timestamp`, `checked-hash` or `unchecked-hash` for written pycs",
        applies: Applies::Compiling,
        set: |def, o, v| {
            o.invalidation_mode = Some(check::mode(def, v)?);
            Ok(())
        },
        given: |o| o.invalidation_mode.is_some(),
        show: Some(|s| Ucl::Str(s.invalidation_mode.as_str().into())),
    },
    Def {
        key: "jobs",
        flag: "jobs",
        short: Some('j'),
        value_name: "N",
        kind: Kind::Jobs,
        expected: "a whole number >= 0 (0: one per core)",
        default: Some("cores"),
        help: "compile workers: at most one per file and one per core pycache may use (CPU \
               affinity, cpusets and cgroup quotas count); a larger number is lowered to that",
        applies: Applies::Compiling,
        set: |def, o, v| {
            o.jobs = Some(check::jobs(def, v)?);
            Ok(())
        },
        given: |o| o.jobs.is_some(),
        show: Some(|s| Ucl::Int(i64::try_from(s.jobs).unwrap_or(i64::MAX))),
    },
    Def {
        key: "timeout",
        flag: "timeout",
        short: None,
        value_name: "SECS",
        kind: Kind::Seconds,
        expected: "a number of seconds > 0 and <= 86400",
        default: Some("120"),
        help: "longest time one file may take to compile, and a compile worker to start \
               (to greet); at most a day",
        applies: Applies::Compiling,
        set: |def, o, v| {
            o.timeout = Some(check::timeout(def, v)?);
            Ok(())
        },
        given: |o| o.timeout.is_some(),
        show: Some(|s| seconds(s.timeout)),
    },
    Def {
        key: "memory_limit",
        flag: "memory-limit",
        short: None,
        value_name: "MIB",
        kind: Kind::Mebibytes,
        expected: "a whole number of MiB from 64 to 1048576, or 0 for no limit",
        default: Some("2048"),
        help: "most memory one compile worker may use, in MiB; a source that needs more \
               fails alone and the rest still compiles (0: no limit)",
        applies: Applies::Compiling,
        set: |def, o, v| {
            o.memory_limit = Some(check::memory_limit(def, v)?);
            Ok(())
        },
        given: |o| o.memory_limit.is_some(),
        show: Some(|s| Ucl::Int(s.memory_limit.mebibytes().map_or(0, |n| n as i64))),
    },
    Def {
        key: "exclude",
        flag: "exclude",
        short: Some('x'),
        value_name: "GLOB",
        kind: Kind::Globs,
        expected: "a glob or an array of globs",
        default: None,
        help: "never compile sources whose path below site-packages matches \
               (`*` matches `/` too); repeatable. Paths that are not UTF-8 match byte \
               for byte: `*` and `?` match any byte (`?` exactly one)",
        applies: Applies::Judging,
        set: |def, o, v| {
            o.exclude = Some(check::globs(def, v)?);
            Ok(())
        },
        given: |o| o.exclude.is_some(),
        show: Some(|s| {
            Ucl::Array(
                s.exclude
                    .iter()
                    .map(|p| node(Ucl::Str(p.as_str().into())))
                    .collect(),
            )
        }),
    },
    Def {
        key: "touched",
        flag: "",
        short: None,
        value_name: "DIR",
        kind: Kind::Dirs,
        expected: "an array of paths",
        default: Some("the whole site-packages"),
        help: "look only at these directories, as pkg reports them after a \
               transaction (missing ones are fine)",
        applies: Applies::Always,
        set: |def, o, v| {
            o.touched = Some(check::dirs(def, v)?);
            Ok(())
        },
        given: |o| o.touched.is_some(),
        show: None,
    },
    Def {
        key: "verify",
        flag: "verify",
        short: None,
        value_name: "",
        kind: Kind::Switch,
        expected: "true or false",
        default: Some("off (headers only)"),
        help: "`check`/`update`: also read the whole body of every pyc whose header is \
               fresh; one that would not load (truncated, garbage) is stale and `update` \
               compiles it again",
        applies: Applies::Judging,
        set: |def, o, v| {
            o.verify = Some(check::switch(def, v)?);
            Ok(())
        },
        given: |o| o.verify.is_some(),
        show: None,
    },
    Def {
        key: "config",
        flag: "config",
        short: None,
        value_name: "FILE",
        kind: Kind::Config,
        expected: "a path",
        default: Some("`$PYCACHE_CONF`, else `/usr/local/etc/pycache.conf`"),
        help: "read settings from FILE (pycache.conf(5)); flags and Lua options \
               override them",
        applies: Applies::Always,
        set: |def, o, v| {
            o.config = Some(check::path(def, v)?);
            Ok(())
        },
        given: |o| o.config.is_some(),
        show: None,
    },
    Def {
        key: "no_config",
        flag: "no-config",
        short: None,
        value_name: "",
        kind: Kind::Switch,
        expected: "true or false",
        default: Some("off"),
        help: "read no configuration file",
        applies: Applies::Always,
        set: |def, o, v| {
            o.no_config = check::switch(def, v)?;
            Ok(())
        },
        given: |o| o.no_config,
        show: None,
    },
    Def {
        key: "dry_run",
        flag: "dry-run",
        short: Some('n'),
        value_name: "",
        kind: Kind::Switch,
        expected: "true or false",
        default: Some("off"),
        help: "say what would be done",
        applies: Applies::Always,
        set: |def, o, v| {
            o.dry_run = check::switch(def, v)?;
            Ok(())
        },
        given: |o| o.dry_run,
        show: None,
    },
];

/// The definition of `key`.
pub fn def(key: &str) -> Option<&'static Def> {
    OPTIONS.iter().find(|d| d.key == key)
}

/// The options a front gathered, as `(key, value)` pairs, checked into
/// [`Options`]: every key first (one that is no option, or that `allowed`
/// refuses, is an unknown option), then each value in the order of
/// [`OPTIONS`], so the first problem reported is the same whichever front
/// read them and in whatever order.
pub fn read<K: AsRef<str>>(
    values: impl IntoIterator<Item = (K, Raw)>,
    allowed: impl Fn(&Def) -> bool,
) -> Result<Options, OptionError> {
    let mut given: Vec<(&'static Def, Raw)> = Vec::new();
    for (key, value) in values {
        match def(key.as_ref()) {
            Some(def) if allowed(def) => given.push((def, value)),
            _ => return Err(OptionError::unknown(key.as_ref())),
        }
    }
    let mut options = Options::default();
    for def in OPTIONS {
        if let Some(at) = given.iter().rposition(|(d, _)| d.key == def.key) {
            let (_, value) = given.swap_remove(at);
            (def.set)(def, &mut options, &value)?;
        }
    }
    Ok(options)
}

/// The keys pycache.conf may set, in the order `pycache config` prints them.
pub fn config_keys() -> impl Iterator<Item = &'static str> {
    OPTIONS.iter().filter(|d| d.in_config()).map(|d| d.key)
}

/// A value an option does not take, or an option that does not exist.
/// Its message names the option by its key and shows the value; a problem
/// with the options as a whole has no key.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}{problem}", if key.is_empty() { String::new() } else { format!("{key}: ") })]
pub struct OptionError {
    /// The option.
    pub key: String,
    /// What is wrong, and what would do.
    pub problem: String,
}

impl OptionError {
    /// An error about option `key` (empty: the options as a whole).
    pub fn new(key: impl Into<String>, problem: impl Into<String>) -> OptionError {
        OptionError {
            key: key.into(),
            problem: problem.into(),
        }
    }

    /// A key that is no option (of this function).
    pub fn unknown(key: &str) -> OptionError {
        OptionError::new(key, "unknown option")
    }

    fn expected(def: &Def, got: &Raw) -> OptionError {
        OptionError::new(def.key, format!("must be {}, got {got}", def.expected))
    }

    /// An element of a list option that the option does not take. The
    /// value says which one it is; an index would count from 1 on Lua's
    /// fronts and mean nothing on the command line.
    fn element(def: &Def, got: &Raw) -> OptionError {
        let element = def.kind.element().unwrap_or(def.expected);
        OptionError::new(def.key, format!("must be {element}, got {got}"))
    }

    /// The option's definition, when the key is a known option.
    pub fn def(&self) -> Option<&'static Def> {
        def(&self.key)
    }
}

/// The checks each option's `set` makes: one per kind of value, each
/// refusing with the option's own words.
mod check {
    use super::*;

    pub fn flavor(def: &Def, v: &Raw) -> Result<Flavor, OptionError> {
        let Raw::Str(s) = v else {
            return Err(OptionError::expected(def, v));
        };
        let name = std::str::from_utf8(s).map_err(|_| OptionError::expected(def, v))?;
        Flavor::parse(name).map_err(|e| OptionError::new(def.key, e.to_string()))
    }

    pub fn path(def: &Def, v: &Raw) -> Result<PathBuf, OptionError> {
        match v {
            Raw::Str(s) if !s.is_empty() && !s.contains(&0) => {
                Ok(PathBuf::from(std::ffi::OsString::from_vec(s.clone())))
            }
            _ => Err(OptionError::expected(def, v)),
        }
    }

    pub fn levels(def: &Def, v: &Raw) -> Result<Levels, OptionError> {
        let Raw::List(items) = v else {
            return Err(OptionError::expected(def, v));
        };
        let mut levels = Vec::with_capacity(items.len());
        for item in items {
            match item.whole() {
                Some(n @ 0..=2) => levels.push(n as u8),
                _ => return Err(OptionError::element(def, item)),
            }
        }
        Levels::new(&levels)
            .ok_or_else(|| OptionError::new(def.key, format!("must be {}, got none", def.expected)))
    }

    pub fn mode(def: &Def, v: &Raw) -> Result<InvalidationMode, OptionError> {
        match v {
            Raw::Str(s) => std::str::from_utf8(s)
                .ok()
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| OptionError::expected(def, v)),
            _ => Err(OptionError::expected(def, v)),
        }
    }

    pub fn jobs(def: &Def, v: &Raw) -> Result<usize, OptionError> {
        match v.whole() {
            Some(n) if n >= 0 => Ok(usize::try_from(n).unwrap_or(usize::MAX)),
            _ => Err(OptionError::expected(def, v)),
        }
    }

    pub fn timeout(def: &Def, v: &Raw) -> Result<Duration, OptionError> {
        let secs = match *v {
            Raw::Int(n) => n as f64,
            Raw::Num(n) => n,
            _ => return Err(OptionError::expected(def, v)),
        };
        // NaN fails both comparisons. A positive time too short for the
        // clock is its shortest, never zero.
        if !(secs > 0.0 && secs <= TIMEOUT_MAX.as_secs_f64()) {
            return Err(OptionError::expected(def, v));
        }
        Ok(Duration::from_secs_f64(secs).max(Duration::from_nanos(1)))
    }

    pub fn memory_limit(def: &Def, v: &Raw) -> Result<MemoryLimit, OptionError> {
        match v.whole() {
            Some(0) => Ok(MemoryLimit::Unlimited),
            Some(n) if MemoryLimit::RANGE.contains(&n) => Ok(MemoryLimit::Mib(n as u64)),
            _ => Err(OptionError::expected(def, v)),
        }
    }

    pub fn switch(def: &Def, v: &Raw) -> Result<bool, OptionError> {
        match v {
            Raw::Bool(b) => Ok(*b),
            _ => Err(OptionError::expected(def, v)),
        }
    }

    pub fn globs(def: &Def, v: &Raw) -> Result<Vec<Pattern>, OptionError> {
        match v {
            Raw::Str(_) => Ok(vec![glob(def, v)?]),
            Raw::List(items) => items.iter().map(|item| glob(def, item)).collect(),
            _ => Err(OptionError::expected(def, v)),
        }
    }

    fn glob(def: &Def, v: &Raw) -> Result<Pattern, OptionError> {
        let text = match v {
            Raw::Str(s) => std::str::from_utf8(s).ok(),
            _ => None,
        };
        let text = text.ok_or_else(|| OptionError::element(def, v))?;
        Pattern::new(text).map_err(|e| {
            OptionError::new(
                def.key,
                format!("\"{text}\" is not a valid glob: {}", e.msg),
            )
        })
    }

    pub fn dirs(def: &Def, v: &Raw) -> Result<Vec<PathBuf>, OptionError> {
        let Raw::List(items) = v else {
            return Err(OptionError::expected(def, v));
        };
        items
            .iter()
            .map(|item| match item {
                Raw::Str(s) if !s.contains(&0) => {
                    Ok(PathBuf::from(std::ffi::OsString::from_vec(s.clone())))
                }
                _ => Err(OptionError::element(def, item)),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::options::TIMEOUT_MAX;

    fn set(key: &str, value: Raw) -> Result<Options, String> {
        read([(key, value)], |_| true).map_err(|e| e.to_string())
    }

    #[test]
    fn values_are_checked_once_with_the_key_named() {
        assert_eq!(
            set("jobs", Raw::Num(2.5)).unwrap_err(),
            "jobs: must be a whole number >= 0 (0: one per core), got 2.5"
        );
        assert_eq!(set("jobs", Raw::Num(3.0)).unwrap().jobs, Some(3));
        assert_eq!(
            set("timeout", Raw::Num(0.5)).unwrap().timeout,
            Some(Duration::from_millis(500))
        );
        assert_eq!(
            set("timeout", Raw::Int(0)).unwrap_err(),
            "timeout: must be a number of seconds > 0 and <= 86400, got 0"
        );
        assert_eq!(
            set("levels", Raw::List(vec![Raw::Int(0), Raw::Int(3)])).unwrap_err(),
            "levels: must be 0, 1 or 2, got 3"
        );
        assert_eq!(
            set("jbos", Raw::Int(1)).unwrap_err(),
            "jbos: unknown option"
        );
        assert_eq!(
            set("prefix", Raw::Str(Vec::new())).unwrap_err(),
            "prefix: must be a path, got \"\""
        );
    }

    #[test]
    fn every_number_has_a_range() {
        let refused = |key: &str, value: Raw| set(key, value).unwrap_err();
        // Instant + 1e19 s overflows: no such timeout gets in.
        for (value, shown) in [
            (Raw::Num(1e19), "1e19"),
            (Raw::Num(86_400.5), "86400.5"),
            (Raw::Int(i64::MAX), "9223372036854775807"),
            (Raw::Num(f64::INFINITY), "inf"),
            (Raw::Num(f64::NAN), "NaN"),
            (Raw::Num(-1e-9), "-1e-9"),
        ] {
            assert_eq!(
                refused("timeout", value),
                format!("timeout: must be a number of seconds > 0 and <= 86400, got {shown}")
            );
        }
        let expected = &def("timeout").unwrap().expected;
        assert!(expected.ends_with(&format!("<= {}", TIMEOUT_MAX.as_secs())));
        assert_eq!(
            set("timeout", Raw::Int(86_400)).unwrap().timeout,
            Some(TIMEOUT_MAX)
        );
        // Shorter than the clock can tell is its shortest time, never none.
        assert_eq!(
            set("timeout", Raw::Num(1e-12)).unwrap().timeout,
            Some(Duration::from_nanos(1))
        );
        assert_eq!(
            set("jobs", Raw::Num(2f64.powi(62))).unwrap().jobs,
            Some(1 << 62)
        );
        assert_eq!(
            refused("jobs", Raw::Num(1e19)),
            "jobs: must be a whole number >= 0 (0: one per core), got 1e19"
        );
        assert_eq!(
            refused("jobs", Raw::Int(i64::MIN)),
            "jobs: must be a whole number >= 0 (0: one per core), got -9223372036854775808"
        );
        assert_eq!(
            refused("levels", Raw::List(vec![Raw::Int(i64::MAX)])),
            "levels: must be 0, 1 or 2, got 9223372036854775807"
        );
        assert_eq!(
            refused("memory_limit", Raw::Int(63)),
            "memory_limit: must be a whole number of MiB from 64 to 1048576, or 0 for no \
             limit, got 63"
        );
    }
}
