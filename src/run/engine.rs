//! The commands `check`, `update`, `clean` (and `compile`, for library and
//! Lua use), each one call: locate the tree, scan it, then clean and
//! compile as the command says, and report.

use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::bytecode::magic::MagicFrom;
use crate::bytecode::pyc::{self, InvalidationMode, Magic, SourceStamp, Verdict};
use crate::cancel::Cancel;
use crate::error::Error;
use crate::python::location::Location;
use crate::python::target::Target;
use crate::run::clean;
use crate::run::compile::{self, CompileOptions, Expect};
use crate::run::explain::{self, Explanation};
use crate::run::report::{
    Command, Compiled, LevelState, Pending, PendingLevel, PythonInfo, Report, Stop, Undone,
};
use crate::run::scan::{Plan, Scan};
use crate::settings::options::{Options, Value};

/// Runs commands on one [`Target`]. Options are set with a consuming builder
/// whose setters go through [`Options::set`], so a value is checked as a
/// front's is; every setter states its default. However it is made, an
/// engine applies pycache.conf the same way: the file its options name
/// (`config`, else `$PYCACHE_CONF` when a front passed its environment,
/// [`Options::set_environment`]), else the default file; `no_config` reads
/// none. What the builder sets counts over the file.
///
/// ```no_run
/// use pycache::{Engine, Flavor, Target};
/// let target = Target::from_flavor(Flavor::parse("py311")?, "/usr/local".as_ref());
/// let report = Engine::new(target).levels(&[0, 1, 2])?.update(&|_, _| {})?;
/// println!("{}", report.lines.join("\n"));
/// # Ok::<(), pycache::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Engine {
    target: Target,
    options: Options,
    /// What the configuration file did to the options.
    config: crate::settings::config::Applied,
    /// Set to stop the run.
    cancel: Cancel,
}

impl Engine {
    /// An engine for `target` with every default (pycache.conf applied).
    pub fn new(target: Target) -> Engine {
        Engine::with_target(target, Options::default(), Cancel::new())
    }

    /// An engine for the options a front gathered: the target they select
    /// is resolved here (with neither a flavor nor an interpreter, `python3`
    /// on `PATH`), then the configuration file fills in what the front did
    /// not set, its flavor's section first ([`crate::settings::config`]). A
    /// file that cannot be used is ignored whole; the report's warning says
    /// why. `cancel` stops the run (and the asking of an interpreter).
    ///
    /// A file the options name themselves (`config`, `--config`) that cannot
    /// be used is an error instead: the caller asked for that very file. The
    /// default file and `$PYCACHE_CONF` are only warned about, so that a bad
    /// pycache.conf never stops a trigger.
    pub fn from_options(options: Options, cancel: &Cancel) -> Result<Engine, Error> {
        let named = options.config.is_some();
        let target = Target::select(options.selection(), cancel)?;
        let engine = Engine::with_target(target, options, cancel.clone());
        match &engine.config.error {
            Some(e) if named => Err(e.clone().into()),
            _ => Ok(engine),
        }
    }

    fn with_target(target: Target, mut options: Options, cancel: Cancel) -> Engine {
        let config = crate::settings::config::apply(&mut options, Some(target.flavor()));
        Engine {
            target,
            options,
            config,
            cancel,
        }
    }

    /// Stops the run when `cancel` is set. By default nothing stops it.
    pub fn cancel(mut self, cancel: &Cancel) -> Engine {
        self.cancel = cancel.clone();
        self
    }

    fn set(mut self, key: &str, value: Value) -> Result<Engine, Error> {
        self.options.set(key, value)?;
        Ok(self)
    }

    /// Optimization levels to keep fresh. By default `0, 1, 2`. Each must be
    /// 0, 1 or 2; duplicates are dropped.
    pub fn levels(self, levels: &[u8]) -> Result<Engine, Error> {
        let levels = levels.iter().map(|&l| Value::Int(l.into())).collect();
        self.set("levels", Value::List(levels))
    }

    /// How written pycs are validated. By default timestamps.
    pub fn invalidation_mode(self, mode: InvalidationMode) -> Result<Engine, Error> {
        self.set("invalidation_mode", Value::Str(mode.as_str().into()))
    }

    /// Compile workers at most. By default the number of cores pycache may
    /// use; 0 means the default, and more than the cores count as the cores.
    pub fn jobs(self, jobs: usize) -> Result<Engine, Error> {
        self.set("jobs", Value::Int(i64::try_from(jobs).unwrap_or(i64::MAX)))
    }

    /// Never compiles sources whose path below site-packages matches one of
    /// `globs` (`*` also matches `/`). By default nothing is excluded.
    pub fn exclude(self, globs: &[&str]) -> Result<Engine, Error> {
        let globs = globs.iter().map(|g| Value::Str(g.as_bytes().into()));
        self.set("exclude", Value::List(globs.collect()))
    }

    /// Looks only at these directories (pkg's touched directories, on the
    /// running system or on disk; missing ones are fine). By default the
    /// whole site-packages.
    pub fn touched(self, dirs: &[PathBuf]) -> Result<Engine, Error> {
        let dirs = dirs
            .iter()
            .map(|d| Value::Str(d.as_os_str().as_bytes().into()));
        self.set("dirs", Value::List(dirs.collect()))
    }

    /// Reports what would change, changes nothing. Off by default.
    pub fn dry_run(self, dry_run: bool) -> Result<Engine, Error> {
        self.set("dry_run", Value::Bool(dry_run))
    }

    /// Also reads the body of every pyc whose header is fresh and judges
    /// it stale when the body would not load (truncated, garbage after the
    /// header); `update` then compiles it again. Off by default: the fast
    /// path reads only each pyc's header and first byte.
    pub fn verify(self, verify: bool) -> Result<Engine, Error> {
        self.set("verify", Value::Bool(verify))
    }

    /// Longest time one file may take to compile, and a worker to start.
    /// By default 120 s; it must be more than 0.
    pub fn timeout(self, timeout: Duration) -> Result<Engine, Error> {
        self.set("timeout", Value::Num(timeout.as_secs_f64()))
    }

    /// Also removes this interpreter's bytecode of levels not kept. Off by
    /// default.
    pub fn prune_levels(self, prune: bool) -> Result<Engine, Error> {
        self.set("prune_levels", Value::Bool(prune))
    }

    /// The options in force.
    pub fn options(&self) -> &Options {
        &self.options
    }

    /// The target.
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// Reports what is missing, stale, orphaned or empty; changes nothing.
    pub fn check(&self) -> Result<Report, Error> {
        let started = Instant::now();
        let prepared = self.prepare(true)?;
        let plan = self.scan(&prepared.location, prepared.magic(), true)?;
        let mut report = self.report(Command::Check, &prepared, &plan);
        report.error = prepared.error.map(|error| Stop {
            error,
            undone: Undone::Judging,
        });
        Ok(report.finish(started.elapsed()))
    }

    /// Removes orphaned bytecode and empty caches. Never starts Python.
    pub fn clean(&self) -> Result<Report, Error> {
        let started = Instant::now();
        let prepared = self.prepare(false)?;
        // Nothing is compiled, so no cache file is opened to judge it.
        let plan = self.scan(&prepared.location, None, false)?;
        let mut report = self.report(Command::Clean, &prepared, &plan);
        report.to_compile.clear();
        self.remove(&prepared.location, &plan, &mut report);
        Ok(report.finish(started.elapsed()))
    }

    /// Compiles what is missing or stale; removes nothing.
    pub fn compile(&self, progress: &(dyn Fn(usize, usize) + Sync)) -> Result<Report, Error> {
        self.run_update(Command::Compile, progress)
    }

    /// The state of one source at each level, as `check` would judge it:
    /// `fresh`, `missing` or `stale` with the reason. Starts no interpreter
    /// for a flavor of a version the table knows, or whose standard
    /// library's bytecode tells its magic number (src/bytecode/magic.rs).
    pub fn freshness(&self, source: &Path) -> Result<Vec<PendingLevel>, Error> {
        let prepared = self.prepare(true)?;
        let magic = prepared.magic();
        if let (None, Some(error)) = (magic, prepared.error) {
            return Err(error);
        }
        let meta = std::fs::metadata(source).map_err(|e| Error::io(source, e))?;
        let stamp = SourceStamp::from_metadata(&meta);
        let (dir, name) = match (source.parent(), source.file_name()) {
            (Some(dir), Some(name)) if pyc::is_source_name(name) => (dir, name),
            _ => {
                return Err(Error::io(
                    source,
                    std::io::Error::other("not a Python source (NAME.py)"),
                ));
            }
        };
        let stem = std::ffi::OsStr::from_bytes(&name.as_bytes()[..name.len() - 3]);
        Ok(self
            .options
            .levels
            .iter()
            .map(|&level| {
                let cfile =
                    dir.join(pyc::PYCACHE)
                        .join(pyc::cache_name(stem, self.target.tag(), level));
                let verdict = match magic {
                    _ if cfile.symlink_metadata().is_err() => Verdict::Missing,
                    Some(magic) => {
                        pyc::judge_path(&cfile, source, stamp, magic, self.options.verify)
                    }
                    None => Verdict::Stale(pyc::Stale::Magic),
                };
                pending_level(level, &verdict)
            })
            .collect())
    }

    /// Explains each of `paths` (files or directories, as on the running
    /// system or on disk below the root): what it is, whose, and `check`'s
    /// verdict with every header field against its source
    /// ([`crate::run::explain`]). Starts no interpreter where `check` would
    /// start none.
    pub fn explain(&self, paths: &[PathBuf]) -> Result<Explanation, Error> {
        let prepared = self.prepare(true)?;
        let magic = match (prepared.magic(), &prepared.error) {
            (Some(magic), _) => magic,
            (None, _) => {
                return Err(prepared
                    .error
                    .unwrap_or_else(|| Error::InterpreterBadAnswer {
                        interpreter: self.target.interpreter().to_path_buf(),
                        detail: "did not say its magic number".into(),
                    }));
            }
        };
        let location = &prepared.location;
        let selection = self.options.selection();
        let ctx = explain::Context {
            location,
            tag: self.target.tag(),
            version: self.target.version(),
            magic,
            levels: &self.options.levels,
            prefix: (selection.prefix(), selection.prefix_on_disk()),
        };
        let asked = explain::resolve(&ctx, paths);
        let mut scan = self.scanner(location, Some(magic), true);
        scan.details = true;
        let plan = scan.run(Some(&explain::touched(&asked)))?;
        let (files, failures, exit_code) = explain::explain(&ctx, asked, &plan);
        let notes = (location.note.iter())
            .chain(&prepared.notes)
            .chain(&plan.notes)
            .cloned()
            .collect();
        Ok(Explanation {
            python: python_info(&self.target, location, prepared.magic),
            levels: self.options.levels.clone(),
            files,
            failures,
            warnings: self.config.warning().into_iter().collect(),
            notes,
            interpreters_started: prepared.asked + self.target.interpreters_started(),
            exit_code,
        })
    }

    /// Cleans, then compiles what is missing or stale. `progress(done,
    /// total)` is called after each compiled file. When the interpreter is
    /// missing, cleaning still happens and the report says so.
    pub fn update(&self, progress: &(dyn Fn(usize, usize) + Sync)) -> Result<Report, Error> {
        self.run_update(Command::Update, progress)
    }

    fn run_update(
        &self,
        command: Command,
        progress: &(dyn Fn(usize, usize) + Sync),
    ) -> Result<Report, Error> {
        let started = Instant::now();
        let prepared = self.prepare(true)?;
        let location = &prepared.location;
        let mut plan = self.scan(location, prepared.magic(), true)?;
        let mut report = self.report(command, &prepared, &plan);
        if command == Command::Update {
            self.remove(location, &plan, &mut report);
        }
        if self.options.dry_run || plan.to_compile.is_empty() {
            return Ok(report.finish(started.elapsed()));
        }
        if let Some(error) = prepared.error {
            report.error = Some(Stop {
                error,
                undone: Undone::Judging,
            });
            return Ok(report.finish(started.elapsed()));
        }
        let undone = |plan: &Plan| Undone::Compiling {
            sources: plan.to_compile.len(),
            version: self.target.version(),
        };
        let python = match self.target.runnable() {
            Ok(python) => python,
            Err(error) => {
                report.error = Some(Stop {
                    error,
                    undone: undone(&plan),
                });
                return Ok(report.finish(started.elapsed()));
            }
        };
        let (workers, lowered) = self.options.workers();
        report.notes.extend(lowered);
        let options = CompileOptions {
            workers,
            mode: self.options.invalidation_mode,
            timeout: self.options.timeout,
            startup_timeout: self.options.timeout,
            memory_limit: self.options.memory_limit,
            cancel: self.cancel.clone(),
        };
        let mut magic = prepared.magic;
        crate::testing::pause("before-compile");
        loop {
            let expect = Expect {
                tag: self.target.tag(),
                magic: magic.map(|(m, _)| m.bytes),
                // A number learned without asking gives way to the
                // interpreter's own.
                rejudge: matches!(magic, Some((_, MagicFrom::Stdlib))),
            };
            let outcome =
                match compile::compile(python, &expect, &plan.to_compile, &options, progress) {
                    Ok(outcome) => outcome,
                    Err(error) => {
                        report.error = Some(Stop {
                            error,
                            undone: undone(&plan),
                        });
                        break;
                    }
                };
            report.interpreters_started += outcome.started;
            if let (Some(found), Some((learned, _))) = (outcome.magic_differs, magic) {
                // The interpreter is right: the tree is judged again with
                // its number before anything is compiled.
                report.warnings.push(format!(
                    "{}: magic number {} differs from {} of its standard library's bytecode; \
                     judged again with the interpreter's",
                    python.display(),
                    crate::bytecode::magic::hex_and_number(&found),
                    crate::bytecode::magic::hex_and_number(&learned.bytes),
                ));
                let asked = Magic {
                    bytes: found,
                    minor: learned.minor,
                };
                magic = Some((asked, MagicFrom::Interpreter));
                report.python.magic = Some(crate::bytecode::magic::hex(&found));
                report.python.magic_from = Some(MagicFrom::Interpreter);
                plan = self.scan(location, Some(asked), true)?;
                report.sources = plan.sources;
                report.fresh = plan.fresh;
                report.to_compile = pending(&plan);
                if plan.to_compile.is_empty() {
                    break;
                }
                continue;
            }
            report.compiled = outcome
                .compiled
                .into_iter()
                .map(|(path, levels)| Compiled { path, levels })
                .collect();
            report.failures.extend(outcome.failures);
            report.warnings.extend(outcome.warnings);
            if let Some(left) = outcome.interrupted {
                report.warnings.push(format!(
                    "interrupted by {}: {left} of {} files not compiled; run again to finish",
                    options.cancel.cause(),
                    plan.to_compile.len()
                ));
            }
            break;
        }
        Ok(report.finish(started.elapsed()))
    }

    /// Locates the tree and settles the magic number: the table's; for a
    /// flavor of a version the table does not know, the one its standard
    /// library's bytecode carries when that can be trusted
    /// ([`crate::bytecode::magic`]); else the interpreter is asked, and when that
    /// fails the error is returned for the report (cleaning needs no
    /// interpreter). `judge`: a number is needed at all.
    fn prepare(&self, judge: bool) -> Result<Prepared, Error> {
        let location = self.target.locate_tree(self.options.stdlib)?;
        let mut prepared = Prepared {
            location,
            magic: None,
            error: None,
            notes: self.target.interpreter_note().into_iter().collect(),
            asked: 0,
        };
        if let Some(magic) = self.target.magic() {
            prepared.magic = Some((magic, self.target.magic_from()));
            return Ok(prepared);
        }
        if !judge {
            return Ok(prepared);
        }
        let minor = self.target.minor();
        let tag = self.target.tag();
        let mut refused = None;
        if let Some(stdlib) = self.target.stdlib() {
            match crate::bytecode::magic::from_stdlib(stdlib, self.target.root(), tag, minor) {
                Ok(learned) => {
                    prepared
                        .notes
                        .push(crate::bytecode::magic::note(&learned, tag));
                    let magic = Magic {
                        bytes: learned.bytes,
                        minor,
                    };
                    prepared.magic = Some((magic, MagicFrom::Stdlib));
                    return Ok(prepared);
                }
                Err(why) => refused = Some(why),
            }
        }
        let asked = (self.target.runnable())
            .and_then(|python| Target::from_interpreter(python, &self.cancel));
        // Counted when a process ran, whatever it answered.
        prepared.asked = usize::from(!matches!(
            asked,
            Err(Error::InterpreterNotFound { .. }
                | Error::InterpreterNotRunnable { .. }
                | Error::Io { .. })
        ));
        match asked {
            Ok(asked) => {
                if let Some(magic) = asked.magic() {
                    let why = refused
                        .map(|why| {
                            format!(" (the standard library's bytecode was not used: {why})")
                        })
                        .unwrap_or_default();
                    prepared.notes.push(format!(
                        "magic number {}: asked {}{why}",
                        crate::bytecode::magic::hex_and_number(&magic.bytes),
                        self.target.interpreter().display()
                    ));
                    prepared.magic = Some((magic, MagicFrom::Interpreter));
                }
            }
            Err(e) => prepared.error = Some(e),
        }
        Ok(prepared)
    }

    fn scan(
        &self,
        location: &Location,
        magic: Option<Magic>,
        sources: bool,
    ) -> Result<Plan, Error> {
        let touched = (!self.misdirected(location))
            .then_some(self.options.dirs.as_deref())
            .flatten();
        let mut plan = self.scanner(location, magic, sources).run(touched)?;
        if touched.is_none() {
            for dir in self.options.dirs.iter().flatten() {
                plan.notes.push(format!(
                    "{}: not below {}; ignored",
                    dir.display(),
                    location.runtime.display()
                ));
            }
        }
        if let Some(note) = &location.note {
            plan.notes.insert(0, note.clone());
        }
        Ok(plan)
    }

    /// The scan of `location` these options make.
    fn scanner<'a>(
        &'a self,
        location: &'a Location,
        magic: Option<Magic>,
        sources: bool,
    ) -> Scan<'a> {
        Scan {
            location,
            uncompiled: match location.site_packages {
                Some(_) => crate::python::stdlib::uncompiled(self.target.minor()),
                None => &[],
            },
            tag: self.target.tag(),
            magic,
            levels: &self.options.levels,
            excludes: &self.options.exclude,
            sources,
            verify: self.options.verify,
            prune: self.options.prune_levels,
            details: false,
        }
    }

    fn remove(&self, location: &Location, plan: &Plan, report: &mut Report) {
        if self.options.dry_run {
            return;
        }
        let mut cleaned = clean::clean(plan, &location.dir);
        cleaned.files.sort();
        cleaned.dirs.sort();
        report.removed_files = cleaned.files;
        report.removed_dirs = cleaned.dirs;
        cleaned.pruned.sort();
        report.pruned = cleaned.pruned;
        report.pruned_bytes = cleaned.pruned_bytes;
        report.failures.extend(cleaned.failures);
    }

    /// The warning for a touched list of which no directory is in the tree,
    /// which is then updated whole. pkg runs the trigger only when it matched
    /// a directory of site-packages, so such a list is a wrong `arg`, not an
    /// empty transaction: `pkg -r ROOT triggers` re-saves deferred triggers
    /// with `arg` = `(null)`. An empty list stays "nothing was touched".
    fn misdirected(&self, location: &Location) -> bool {
        self.options
            .dirs
            .as_deref()
            .is_some_and(|dirs| !dirs.is_empty() && !dirs.iter().any(|d| location.contains(d)))
    }

    /// The warning of a run whose touched list is [misdirected](Engine::misdirected).
    fn misdirected_warning(&self, command: Command, location: &Location) -> Option<String> {
        if !self.misdirected(location) {
            return None;
        }
        let dirs = self.options.dirs.as_deref().unwrap_or_default();
        let more = match dirs.len() {
            1 => String::new(),
            n => format!(" and {} more", n - 1),
        };
        let doing = match command {
            Command::Check => "checking",
            Command::Update => "updating",
            Command::Clean => "cleaning",
            Command::Compile => "compiling",
        };
        let tree = match location.site_packages {
            Some(_) => "standard library",
            None => "site-packages",
        };
        Some(format!(
            "no touched directory is in {} (got \"{}\"{more}); {doing} the whole {tree}",
            location.runtime.display(),
            dirs[0].display()
        ))
    }

    fn report(&self, command: Command, prepared: &Prepared, plan: &Plan) -> Report {
        let location = &prepared.location;
        let to_compile = pending(plan);
        let mut empty_dirs: Vec<PathBuf> = plan
            .empty_caches
            .iter()
            .chain(&plan.empty_dirs)
            .cloned()
            .collect();
        empty_dirs.sort();
        let mut orphans = plan.orphans.clone();
        orphans.sort();
        let mut to_prune = plan.unkept.clone();
        to_prune.sort();
        let mut failures = plan.problems.clone();
        failures.sort_by(|a, b| a.path.cmp(&b.path));
        Report {
            schema: 1,
            command,
            dry_run: self.options.dry_run,
            python: python_info(&self.target, location, prepared.magic),
            touched: self.options.dirs.clone(),
            sources: plan.sources,
            fresh: plan.fresh,
            to_compile,
            compiled: Vec::new(),
            orphans,
            empty_dirs,
            removed_files: Vec::new(),
            removed_dirs: Vec::new(),
            to_prune,
            pruned: Vec::new(),
            pruned_bytes: 0,
            failures,
            error: None,
            config: self.config.file.clone(),
            warnings: (self.config.warning().into_iter())
                .chain(self.misdirected_warning(command, location))
                .collect(),
            notes: prepared.notes.iter().chain(&plan.notes).cloned().collect(),
            interpreters_started: prepared.asked + self.target.interpreters_started(),
            elapsed_ms: 0,
            levels: self.options.levels.clone(),
            lines: Vec::new(),
            exit_code: 0,
        }
    }
}

/// What [`Engine::prepare`] settled before a scan.
struct Prepared {
    location: Location,
    /// The magic number to judge with, and where it came from.
    magic: Option<(Magic, MagicFrom)>,
    /// Why there is no magic number when one was needed (the interpreter
    /// could not be asked).
    error: Option<Error>,
    /// What verbose output says of how the interpreter and the number were
    /// found.
    notes: Vec<String>,
    /// Interpreters started to ask for the number (0 or 1).
    asked: usize,
}

impl Prepared {
    fn magic(&self) -> Option<Magic> {
        self.magic.map(|(magic, _)| magic)
    }
}

/// The sources a plan compiles, as the report lists them (sorted).
fn pending(plan: &Plan) -> Vec<Pending> {
    let mut to_compile: Vec<Pending> = plan
        .to_compile
        .iter()
        .map(|task| Pending {
            path: task.source.clone(),
            levels: task
                .levels
                .iter()
                .map(|l| pending_level(l.level, &l.verdict))
                .collect(),
        })
        .collect();
    to_compile.sort_by(|a, b| a.path.cmp(&b.path));
    to_compile
}

fn pending_level(level: u8, verdict: &Verdict) -> PendingLevel {
    let (state, reason) = match verdict {
        Verdict::Fresh => (LevelState::Fresh, String::new()),
        Verdict::Missing => (LevelState::Missing, String::new()),
        Verdict::Stale(why) => (LevelState::Stale, why.to_string()),
    };
    PendingLevel {
        level,
        state,
        reason,
    }
}

impl Engine {
    /// Runs `command` ([`Job::Run`](crate::run::request::Job::Run)).
    pub fn run(
        &self,
        command: Command,
        progress: &(dyn Fn(usize, usize) + Sync),
    ) -> Result<Report, Error> {
        match command {
            Command::Check => self.check(),
            Command::Clean => self.clean(),
            Command::Compile => self.compile(progress),
            Command::Update => self.update(progress),
        }
    }

    /// The target resolved and located
    /// ([`Job::Info`](crate::run::request::Job::Info)).
    pub fn info(&self) -> Result<PythonInfo, Error> {
        let target = self.target();
        let location = target.locate_tree(self.options.stdlib)?;
        let magic = target.magic().map(|m| (m, target.magic_from()));
        Ok(python_info(target, &location, magic))
    }
}

/// The interpreter and tree a report is about.
fn python_info(
    target: &Target,
    location: &Location,
    magic: Option<(Magic, MagicFrom)>,
) -> PythonInfo {
    PythonInfo {
        version: target.version(),
        tag: target.tag().to_string(),
        interpreter: target.interpreter().to_path_buf(),
        site_packages: location.site_runtime.clone(),
        stdlib: location
            .site_packages
            .as_ref()
            .map(|_| location.runtime.clone()),
        directory: location.dir.clone(),
        root: target.root().map(Path::to_path_buf),
        magic: magic.map(|(m, _)| crate::bytecode::magic::hex(&m.bytes)),
        magic_from: magic.map(|(_, from)| from),
    }
}
