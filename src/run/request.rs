//! The engine's one boundary: a front turns its input into a [`Request`]
//! (the job as a type, the options, a cancellation handle), [`Request::run`]
//! answers with one [`Response`] (a report, the settings in effect, or an
//! error with its kind and exit code), and the front writes the response in
//! its form (src/front/output.rs, src/front/serialize.rs). Which command
//! runs, what an error says and what a run exits with are decided here and
//! in the engine, never by a front. `--all` is src/run/each_flavor.rs.

use std::path::PathBuf;

use crate::cancel::Cancel;
use crate::error::Error;
use crate::exit::ExitCode;
use crate::python::target::Target;
use crate::run::each_flavor;
use crate::run::engine::Engine;
use crate::run::explain::Explanation;
use crate::run::report::{Command, JudgedLevel, PythonInfo, Report};
use crate::settings::config::Effective;
use crate::settings::defs::{Applies, OPTIONS, OptionError, config_keys};
use crate::settings::flavor::Flavor;
use crate::settings::options::Options;

/// What a front asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Job {
    /// `check`, `update`, `clean` or `compile`: a report.
    Run(Command),
    /// The settings in effect and where each comes from (`pycache config`);
    /// with a key, only its value.
    Config {
        /// One of pycache.conf's keys ([`config_keys`]).
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
    /// program's subcommands and `pycache.core`'s functions.
    pub const NAMED: &[(&str, Job)] = &[
        ("check", Job::Run(Command::Check)),
        ("update", Job::Run(Command::Update)),
        ("clean", Job::Run(Command::Clean)),
        ("compile", Job::Run(Command::Compile)),
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
    /// The options, each checked where it came in
    /// ([`crate::settings::defs::read`]).
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
        /// with it (each report and error is as its flavor's run left it).
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
    Freshness(Vec<JudgedLevel>),
    /// What `explain` says.
    Explained(Box<Explanation>),
    /// What kept the request from being done.
    Failed(Failed),
}

/// An error as a response: the error, and the exit code it ends the
/// program with (its kind's, or a signal's when one stopped the run).
#[derive(Debug)]
pub struct Failed {
    /// The error.
    pub error: Error,
    /// 2 (usage) or 3 (environment), or the signal's.
    pub exit_code: ExitCode,
}

impl Failed {
    /// `error` as a response, stopped by `signal` if one came.
    pub fn new(error: Error, signal: Option<i32>) -> Failed {
        let exit_code = error.exit_code().or_signal(signal);
        Failed { error, exit_code }
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
            Err(error) => Response::Failed(Failed::new(error, cancel.signal())),
        }
    }

    fn answer(self, progress: &(dyn Fn(usize, usize) + Sync)) -> Result<Response, Error> {
        if let Some(refused) = refused(&self) {
            return Err(refused.into());
        }
        let Request {
            job,
            options,
            cancel,
            all,
        } = self;
        match job {
            Job::Config { key } if all => Ok(Response::Settings {
                each: each_flavor::settings(&options)?,
                key,
            }),
            Job::Run(command) if all => {
                let (prefix, each) = each_flavor::reports(command, &options, &cancel, progress)?;
                let each = (each.into_iter())
                    .map(|(flavor, report)| (flavor, report.map_err(|e| Failed::new(e, None))))
                    .collect();
                Ok(Response::Each {
                    prefix,
                    each,
                    signal: cancel.signal(),
                })
            }
            Job::Config { key } => {
                let selection = &options.selection;
                let flavor = match (selection.flavor, &selection.python) {
                    (Some(flavor), _) => Some(flavor),
                    (None, Some(_)) => Some(Target::select(selection, &cancel)?.flavor()),
                    (None, None) => None,
                };
                let each = vec![Effective::of(&options, flavor)?];
                Ok(Response::Settings { each, key })
            }
            Job::Run(command) => {
                let mut report = Engine::from_options(options, &cancel)?.run(command, progress)?;
                report.exit_code = report.exit_code.or_signal(cancel.signal());
                Ok(Response::Report(Box::new(report)))
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

/// What a request asks that cannot be done, whatever the tree: an option
/// its job does not take, a key `config` does not know, `explain` or
/// `--all` with touched directories, a prefix without a flavor.
fn refused(request: &Request) -> Option<OptionError> {
    let touched = request.options.touched.is_some();
    match &request.job {
        Job::Explain { .. } if request.all || touched => {
            let (key, what) = match request.all {
                true => ("all", "--all"),
                false => ("touched", "--dirs-from"),
            };
            return Some(OptionError::new(
                key,
                format!(
                    "explain takes the PATHs given and one tree, not {what}; give the flavor \
                     whose site-packages holds them"
                ),
            ));
        }
        // Directories belong to one tree; each flavor would find none of
        // its own among them.
        _ if request.all && touched => {
            return Some(OptionError::new(
                "touched",
                "--all works on whole site-packages: it takes no DIR and no --dirs-from",
            ));
        }
        // Without a flavor the interpreter says where it is installed: a
        // prefix would be ignored, and the run would work on another tree
        // than the one named.
        _ if request.options.selection.prefix.is_some()
            && request.options.selection.flavor.is_none()
            && !request.all =>
        {
            return Some(OptionError::new(
                "prefix",
                "says where a flavor is installed: give --flavor (or --all) with it; without \
                 one, the interpreter (--python, or python3 on PATH) says where it is",
            ));
        }
        Job::Config { key: Some(key) } if !config_keys().any(|k| k == key) => {
            let keys: Vec<&str> = config_keys().collect();
            return Some(OptionError::new(
                key.as_str(),
                format!("not a setting of pycache.conf; one of {}", keys.join(", ")),
            ));
        }
        Job::Run(command) => return not_for(*command, &request.options),
        _ => {}
    }
    None
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
        let why = why(def.applies).filter(|_| (def.given)(options))?;
        Some(OptionError::new(
            def.key,
            format!("means nothing to {}: {why}; leave it out", command.name()),
        ))
    })
}

impl Response {
    /// What a program answering with this response exits with.
    pub fn exit_code(&self) -> ExitCode {
        match self {
            Response::Report(report) => report.exit_code,
            Response::Explained(explained) => explained.exit_code,
            Response::Each { each, signal, .. } => (each.iter())
                .map(|(_, r)| match r {
                    Ok(report) => report.exit_code,
                    Err(failed) => failed.exit_code,
                })
                .max()
                .unwrap_or(ExitCode::Ok)
                .or_signal(*signal),
            Response::Settings { .. } | Response::Info(_) | Response::Freshness(_) => ExitCode::Ok,
            Response::Failed(failed) => failed.exit_code,
        }
    }
}
