//! pycache keeps CPython bytecode (`__pycache__`) in sync with the sources of
//! a site-packages directory, for one interpreter at a time, so that FreeBSD
//! pkg triggers can run it after every transaction.
//!
//! The engine decides everything: which bytecode is fresh (reading pyc
//! headers, without Python), which is this interpreter's and orphaned, which
//! directories are left empty; it removes safely and compiles with the
//! target interpreter as a pool of workers. The `pycache` program, the
//! `pycache.core` Lua module and `lua/pycache.lua` are fronts to it.
//!
//! # Example: keep a flavor's site-packages in sync
//! ```no_run
//! use pycache::{Engine, Flavor, Target};
//! let target = Target::from_flavor(Flavor::parse("py311")?, "/usr/local".as_ref());
//! let report = Engine::new(target).update(&|_, _| {})?;
//! for line in &report.lines {
//!     println!("{line}");
//! }
//! std::process::exit(report.exit_code);
//! # Ok::<(), pycache::Error>(())
//! ```
//!
//! # Example: only what a pkg transaction touched
//! ```no_run
//! use pycache::{Engine, Flavor, Target};
//! let target = Target::from_flavor(Flavor::parse("py311")?, "/usr/local".as_ref());
//! let touched = ["/usr/local/lib/python3.11/site-packages/six".into()];
//! let report = Engine::new(target).touched(&touched)?.check()?;
//! assert!(report.exit_code <= 1);
//! # Ok::<(), pycache::Error>(())
//! ```
//!
//! # Example: one request in, one response out, as a front does it
//! Every front hands the engine each option as a value and lets
//! [`Options::read`] check it, so a bad value reads the same everywhere;
//! the engine answers a [`Request`](run::request::Request) with one
//! [`Response`](run::request::Response), which the front only writes out.
//! ```no_run
//! use pycache::run::request::{Job, Output, Request, Response};
//! use pycache::settings::options::Value;
//! use pycache::{Cancel, Command, Options};
//! let err = Options::read([("jobs", Value::Num(2.5))], |_| true).unwrap_err();
//! assert_eq!(err.to_string(), "jobs: must be a whole number >= 0 (0: one per core), got 2.5");
//! let values = [("flavor", Value::Str(b"py311".to_vec())), ("timeout", Value::Num(0.5))];
//! let options = Options::read(values, |_| true)?;
//! let request = Request::new(Job::Run(Command::Check), options, Cancel::new());
//! let response = request.run(&|_, _| {});
//! response.write(Output::default(), &mut std::io::stdout(), &mut std::io::stderr())?;
//! std::process::exit(response.exit_code());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]

// The modules, in the order rustfmt keeps them. Their layers, lowest first,
// are README's "Source layout" table and tests/layers.rs's LAYERS, which
// checks that the two agree and that no module uses one above its own.
pub mod bytecode;
pub mod cancel;
mod error;
pub mod front;
mod fs;
mod python;
pub mod run;
pub mod settings;
mod testing;
pub mod text;

pub use crate::bytecode::magic::MagicFrom;
pub use crate::bytecode::pyc::InvalidationMode;
pub use crate::cancel::Cancel;
pub use crate::error::{Error, Failure};
pub use crate::python::installed::installed;
pub use crate::python::location::Location;
pub use crate::python::target::Target;
pub use crate::run::engine::Engine;
pub use crate::run::report::{
    Command, Compiled, EXIT_ENVIRONMENT, EXIT_FAILED, EXIT_OK, EXIT_USAGE, LevelState, Pending,
    PendingLevel, PythonInfo, Report, Stop, Undone,
};
pub use crate::settings::flavor::{Flavor, FlavorError};
pub use crate::settings::options::{OptionError, Options, Selection};
