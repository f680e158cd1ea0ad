//! The engine's one boundary: a front turns its input into a [`Request`]
//! (the job as a type, the options, a cancellation handle), [`Request::run`]
//! answers with one [`Response`] (a report, the settings in effect, or an
//! error with its kind and exit code), and the front writes the response in
//! its form ([`Response::write`], [`Response::to_json`], or serde for Lua
//! through [`Shaped`]). Which command runs, what an error says and what
//! a run exits with are decided here, never by a front.

use std::io::{self, Write};
use std::path::PathBuf;

use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};

use crate::cancel::Cancel;
use crate::error::Error;
use crate::python::installed::installed;
use crate::python::target::Target;
use crate::run::engine::Engine;
use crate::run::explain::Explanation;
use crate::run::report::{Command, EXIT_ENVIRONMENT, EXIT_USAGE, PendingLevel, PythonInfo, Report};
use crate::run::serialize::{Form, Shaped};
use crate::settings::config::{Effective, KEYS};
use crate::settings::flavor::Flavor;
use crate::settings::options::{Applies, OPTIONS, OptionError, Options, Value};
use crate::text::{shown, shown_in_format};

/// What a front asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Job {
    /// `check`, `update`, `clean` or `compile`: a report.
    Run(Command),
    /// The settings in effect and where each comes from (`pycache config`);
    /// with a key, only its value.
    Config {
        /// One of [`crate::settings::config::KEYS`].
        key: Option<String>,
    },
    /// The target resolved and located, without scanning.
    Info,
    /// One source's state at each level.
    Freshness {
        /// The source.
        source: PathBuf,
    },
    /// What each file is and `check`'s verdict on it, field by field
    /// (`pycache explain`).
    Explain {
        /// Files and directories, as on the running system or on disk.
        paths: Vec<PathBuf>,
    },
}

impl Job {
    /// The names a front may call jobs by, each with its job: the
    /// program's subcommands and `pycache.core`'s functions. `scan` is
    /// `check` under the name an early version of the Lua module used.
    pub const NAMED: &[(&str, Job)] = &[
        ("check", Job::Run(Command::Check)),
        ("update", Job::Run(Command::Update)),
        ("clean", Job::Run(Command::Clean)),
        ("compile", Job::Run(Command::Compile)),
        ("scan", Job::Run(Command::Check)),
    ];

    /// The job called `name` ([`Job::NAMED`]); `None` for any other name:
    /// there is no default job.
    pub fn named(name: &str) -> Option<Job> {
        Job::NAMED
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, job)| job.clone())
    }
}

/// One request: a job, its options, and how to stop it.
#[derive(Clone, Debug)]
pub struct Request {
    /// What to do.
    pub job: Job,
    /// The options, each checked ([`Options::read`]).
    pub options: Options,
    /// Every flavor installed under the prefix, one after the other
    /// (`--all`), instead of the one the options select.
    pub all: bool,
    /// Set to stop the run; it still reports what was done.
    pub cancel: Cancel,
}

/// What a request gave.
#[derive(Debug)]
pub enum Response {
    /// The report of a run.
    Report(Box<Report>),
    /// `all`: each installed flavor's report or error, in order.
    Each {
        /// The prefix flavors were looked for under.
        prefix: PathBuf,
        /// One per flavor.
        each: Vec<(Flavor, Result<Report, Failed>)>,
        /// The signal that stopped the run, if one did: the program exits
        /// 128 + it (each report and error is as its flavor's run left it).
        signal: Option<i32>,
    },
    /// The settings in effect, one per flavor with `all`.
    Settings {
        /// One per flavor (one without `all`).
        each: Vec<Effective>,
        /// Only this key's value.
        key: Option<String>,
    },
    /// What `info` says.
    Info(PythonInfo),
    /// What `freshness` says, one entry per level.
    Freshness(Vec<PendingLevel>),
    /// What `explain` says.
    Explained(Box<Explanation>),
    /// What kept the request from being done.
    Failed(Failed),
}

/// An error as a response: its kind, message and exit code.
#[derive(Debug)]
pub struct Failed {
    /// The error.
    pub error: Error,
    /// 2 (usage) or 3 (environment); 128 + the signal when a signal stopped
    /// the run.
    pub exit_code: i32,
}

impl Failed {
    /// `error` as a response: exit 3 for the environment, 2 for usage.
    pub fn new(error: Error) -> Failed {
        let exit_code = if error.is_environment() {
            EXIT_ENVIRONMENT
        } else {
            EXIT_USAGE
        };
        Failed { error, exit_code }
    }

    /// The error's stable name ([`Error::kind`]).
    pub fn kind(&self) -> &'static str {
        self.error.kind()
    }
}

impl Request {
    /// A request for `job` with these options, run to the end unless
    /// `cancel` is set.
    pub fn new(job: Job, options: Options, cancel: Cancel) -> Request {
        Request {
            job,
            options,
            all: false,
            cancel,
        }
    }

    /// Runs the request. `progress(done, total)` is called after each file
    /// compiled.
    pub fn run(self, progress: &(dyn Fn(usize, usize) + Sync)) -> Response {
        let cancel = self.cancel.clone();
        match self.answer(progress) {
            Ok(response) => response,
            Err(error) => {
                let mut failed = Failed::new(error);
                if let Some(signal) = cancel.signal() {
                    failed.exit_code = 128 + signal;
                }
                Response::Failed(failed)
            }
        }
    }

    fn answer(self, progress: &(dyn Fn(usize, usize) + Sync)) -> Result<Response, Error> {
        let Request {
            job,
            options,
            all,
            cancel,
        } = self;
        if let (Job::Explain { .. }, true) = (&job, all || options.dirs().is_some()) {
            let (key, what) = match all {
                true => ("all", "--all"),
                false => ("dirs", "--dirs-from"),
            };
            return Err(OptionError {
                key: key.into(),
                problem: format!(
                    "explain takes the PATHs given and one tree, not {what}; give the flavor \
                     whose site-packages holds them"
                ),
            }
            .into());
        }
        if all && options.dirs().is_some() {
            // Directories belong to one site-packages; each flavor would
            // find none of its own among them.
            return Err(OptionError {
                key: "dirs".into(),
                problem: "--all works on whole site-packages: it takes no DIR and no --dirs-from"
                    .into(),
            }
            .into());
        }
        let flavors = |options: &Options| -> Result<(PathBuf, Vec<Flavor>), Error> {
            let prefix = options.selection().prefix_on_disk();
            let flavors = installed(&prefix)?;
            Ok((prefix, flavors))
        };
        if let Job::Run(command) = job {
            if let Some(refused) = not_for(command, &options) {
                return Err(refused.into());
            }
        }
        match job {
            Job::Config { key } => {
                if let Some(key) = key.as_deref().filter(|k| !KEYS.contains(k)) {
                    return Err(OptionError {
                        key: key.into(),
                        problem: format!(
                            "not a setting of pycache.conf; one of {}",
                            KEYS.join(", ")
                        ),
                    }
                    .into());
                }
                let mut each = Vec::new();
                if all {
                    for flavor in flavors(&options)?.1 {
                        let mut options = options.clone();
                        options.set("flavor", Value::Str(flavor.name().into_bytes()))?;
                        each.push(Effective::of(options, Some(flavor))?);
                    }
                } else {
                    let selection = options.selection();
                    let flavor = match (selection.flavor, &selection.python) {
                        (Some(flavor), _) => Some(flavor),
                        (None, Some(_)) => Some(Target::select(selection, &cancel)?.flavor()),
                        (None, None) => None,
                    };
                    each.push(Effective::of(options, flavor)?);
                }
                Ok(Response::Settings { each, key })
            }
            Job::Run(command) if all => {
                let (prefix, flavors) = flavors(&options)?;
                let mut each = Vec::new();
                for flavor in flavors {
                    let mut options = options.clone();
                    let report = options
                        .set("flavor", Value::Str(flavor.name().into_bytes()))
                        .map_err(Error::from)
                        .and_then(|()| Engine::from_options(options, &cancel))
                        .and_then(|engine| engine.run(command, progress))
                        .map_err(Failed::new);
                    each.push((flavor, report));
                    // What was done is reported; no other flavor starts.
                    if cancel.is_cancelled() {
                        break;
                    }
                }
                let signal = cancel.signal();
                Ok(Response::Each {
                    prefix,
                    each,
                    signal,
                })
            }
            Job::Run(command) => {
                let report = Engine::from_options(options, &cancel)?.run(command, progress)?;
                Ok(Response::Report(Box::new(interrupted(report, &cancel))))
            }
            Job::Info => Ok(Response::Info(
                Engine::from_options(options, &cancel)?.info()?,
            )),
            Job::Freshness { source } => Ok(Response::Freshness(
                Engine::from_options(options, &cancel)?.freshness(&source)?,
            )),
            Job::Explain { paths } => Ok(Response::Explained(Box::new(
                Engine::from_options(options, &cancel)?.explain(&paths)?,
            ))),
        }
    }
}

/// A report of a run a signal stopped exits 128 + the signal.
fn interrupted(mut report: Report, cancel: &Cancel) -> Report {
    if let Some(signal) = cancel.signal() {
        report.exit_code = 128 + signal;
    }
    report
}

/// How a program writes a response.
#[derive(Clone, Copy, Debug, Default)]
pub struct Output {
    /// JSON (`--json`, `--json-summary`) instead of text on stdout.
    pub json: Option<Form>,
    /// How text is written (the error lines on stderr, with JSON too).
    pub text: Text,
}

/// How the program writes a response as text.
#[derive(Clone, Copy, Debug, Default)]
pub struct Text {
    /// Also what was found or done file by file, and notes.
    pub verbose: bool,
    /// Only failures (no summary line).
    pub quiet: bool,
    /// This front's spelling of a bad option, added to its message: the
    /// program's flag (`--jobs`).
    pub flag: Option<fn(&OptionError) -> Option<String>>,
}

impl Response {
    /// What a program answering with this response exits with.
    pub fn exit_code(&self) -> i32 {
        match self {
            Response::Report(report) => report.exit_code,
            Response::Explained(explained) => explained.exit_code,
            Response::Each { each, signal, .. } => match signal {
                Some(signal) => 128 + signal,
                None => (each.iter())
                    .map(|(_, r)| match r {
                        Ok(report) => report.exit_code,
                        Err(failed) => failed.exit_code,
                    })
                    .max()
                    .unwrap_or(0),
            },
            Response::Settings { .. } | Response::Info(_) | Response::Freshness(_) => 0,
            Response::Failed(failed) => failed.exit_code,
        }
    }

    /// Writes the response as a program does: reports and settings on
    /// `out` (as text, or as JSON in a JSON form), and every error as a
    /// line on `err` (with JSON, the error is on `out` too). Every line of
    /// text is shown as [`crate::text`] says: a report's lines are
    /// ([`Report::render`]), error lines here, and the settings' UCL with
    /// its own quoting.
    pub fn write(
        &self,
        output: Output,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> io::Result<()> {
        let text = output.text;
        if let Some(form) = output.json {
            out.write_all(self.to_json(form).as_bytes())?;
            return self.write_errors(text, err);
        }
        match self {
            Response::Report(report) => write_report(report, text, out, err),
            Response::Explained(explained) => {
                for line in explained.render(text.verbose, text.quiet) {
                    writeln!(out, "{}", shown(&line))?;
                }
                Ok(())
            }
            Response::Each { prefix, each, .. } => {
                if each.is_empty() {
                    let line = format!(">=> no Python flavor installed under {}", prefix.display());
                    writeln!(out, "{}", shown(&line))?;
                }
                for (_, result) in each {
                    match result {
                        Ok(report) => write_report(report, text, out, err)?,
                        Err(failed) => error_line(err, &failed.error, "")?,
                    }
                }
                Ok(())
            }
            Response::Settings { each, key } => {
                for effective in each {
                    let text = match key {
                        Some(key) => (effective.value(key)).expect("checked in answer"),
                        None => effective.render(),
                    };
                    for line in text.split_terminator('\n') {
                        writeln!(out, "{}", shown_in_format(line))?;
                    }
                }
                Ok(())
            }
            Response::Info(_) | Response::Freshness(_) => {
                out.write_all(self.to_json(Form::Json).as_bytes())
            }
            Response::Failed(_) => self.write_errors(text, err),
        }
    }

    fn write_errors(&self, text: Text, err: &mut dyn Write) -> io::Result<()> {
        match self {
            Response::Failed(failed) => {
                let flag = match (&failed.error, text.flag) {
                    (Error::Option(e), Some(flag)) => flag(e),
                    _ => None,
                };
                let flag = flag.map(|f| format!(" ({f})")).unwrap_or_default();
                error_line(err, &failed.error, &flag)
            }
            Response::Each { each, .. } => {
                for (_, result) in each {
                    if let Err(failed) = result {
                        error_line(err, &failed.error, "")?;
                    }
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// The response as JSON in `form` (whole or summary), ending with a
    /// newline: one object, or an array of them for `all`.
    pub fn to_json(&self, form: Form) -> String {
        match self {
            Response::Each { each, .. } => {
                let items: Vec<String> = (each.iter())
                    .map(|(flavor, result)| match result {
                        Ok(report) => Shaped::new(report, form).to_json(),
                        Err(failed) => {
                            let flavor = flavor.name();
                            Shaped::new(&(Some(flavor), failed), form).to_json()
                        }
                    })
                    .collect();
                format!("[{}]\n", items.join(",\n"))
            }
            Response::Settings { each, key } => {
                let items: Vec<String> = (each.iter()).map(|e| e.to_json(key.as_deref())).collect();
                match items.as_slice() {
                    [one] => format!("{one}\n"),
                    _ => format!("[{}]\n", items.join(",\n")),
                }
            }
            Response::Failed(failed) => Shaped::new(&(None, failed), form).to_json() + "\n",
            _ => Shaped::new(self, form).to_json() + "\n",
        }
    }
}

/// `pycache: ERROR` and what follows it, as one line of text.
fn error_line(err: &mut dyn Write, error: &Error, after: &str) -> io::Result<()> {
    writeln!(err, "{}", shown(&format!("pycache: {error}{after}")))
}

/// The first option the front gave that means nothing to `command`
/// ([`Applies`]), refused rather than taken silently.
fn not_for(command: Command, options: &Options) -> Option<OptionError> {
    let why = |applies| match (applies, command) {
        (Applies::Judging, Command::Clean) => Some("clean reads no pyc"),
        (Applies::Compiling, Command::Clean | Command::Check) => Some("it compiles nothing"),
        _ => None,
    };
    OPTIONS.iter().find_map(|def| {
        let why = why(def.applies).filter(|_| options.is_given(def.key))?;
        Some(OptionError {
            key: def.key.into(),
            problem: format!("means nothing to {}: {why}; leave it out", command.name()),
        })
    })
}

/// A report as text: its lines on `out`, but for the line of what kept it
/// from finishing, the last, which goes to `err` as every fatal error does
/// (one short line: a reader of `out` to its end, as pkg's `exec_capture`
/// is, never blocks on it).
fn write_report(
    report: &Report,
    text: Text,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<()> {
    let mut lines = report.render(text.verbose);
    let error = report.error.as_ref().and_then(|_| lines.pop());
    if text.quiet {
        lines.remove(0);
    }
    if !lines.is_empty() {
        writeln!(out, "{}", lines.join("\n"))?;
    }
    match error {
        Some(line) => writeln!(err, "{line}"),
        None => Ok(()),
    }
}

/// An error as JSON and Lua see it: `{error, exit_code, [flavor], kind,
/// schema}` (the fields in this order, as the program has always written
/// them).
impl Serialize for Shaped<'_, (Option<String>, &Failed)> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (flavor, failed) = self.value;
        let mut st = s.serialize_struct("Failed", 5)?;
        st.serialize_field("error", &failed.error.to_string())?;
        st.serialize_field("exit_code", &failed.exit_code)?;
        match flavor {
            Some(flavor) => st.serialize_field("flavor", flavor)?,
            None => st.skip_field("flavor")?,
        }
        st.serialize_field("kind", failed.kind())?;
        st.serialize_field("schema", &1)?;
        st.end()
    }
}

/// A response as serde sees it: for Lua (`pycache.core`) and for the JSON
/// of one object.
impl Serialize for Shaped<'_, Response> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.value {
            Response::Report(report) => Shaped::new(&**report, self.form).serialize(s),
            Response::Info(info) => Shaped::new(info, self.form).serialize(s),
            Response::Explained(explained) => Shaped::new(&**explained, self.form).serialize(s),
            Response::Freshness(levels) => levels.serialize(s),
            Response::Failed(failed) => Shaped::new(&(None, failed), self.form).serialize(s),
            Response::Each { .. } | Response::Settings { .. } => {
                let json: serde_json::Value = serde_json::from_str(&self.value.to_json(self.form))
                    .map_err(serde::ser::Error::custom)?;
                json.serialize(s)
            }
        }
    }
}
