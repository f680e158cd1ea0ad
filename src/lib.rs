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
//! std::process::exit(report.exit_code.code());
//! # Ok::<(), pycache::Error>(())
//! ```
//!
//! # Example: only what a pkg transaction touched
//! ```no_run
//! use pycache::{Engine, Flavor, Target};
//! let target = Target::from_flavor(Flavor::parse("py311")?, "/usr/local".as_ref());
//! let touched = ["/usr/local/lib/python3.11/site-packages/six".into()];
//! let report = Engine::new(target).touched(&touched).check()?;
//! assert!(report.exit_code <= pycache::ExitCode::Failed);
//! # Ok::<(), pycache::Error>(())
//! ```
//!
//! # Example: one request in, one response out, as a front does it
//! A front turns what it read into [`Options`] (each value checked by its
//! option's definition, [`settings::defs`], so a bad value reads the same
//! everywhere); the engine answers a [`Request`](run::request::Request)
//! with one [`Response`](run::request::Response), which the front only
//! writes out ([`front::output`]).
//! ```no_run
//! use pycache::front::output::{self, Output};
//! use pycache::run::request::{Job, Request};
//! use pycache::settings::{defs, raw::Raw};
//! use pycache::{Cancel, Command};
//! let err = defs::read([("jobs", Raw::Num(2.5))], |_| true).unwrap_err();
//! assert_eq!(err.to_string(), "jobs: must be a whole number >= 0 (0: one per core), got 2.5");
//! let values = [("flavor", Raw::Str(b"py311".to_vec())), ("timeout", Raw::Num(0.5))];
//! let options = defs::read(values, |_| true)?;
//! let request = Request::new(Job::Run(Command::Check), options, Cancel::new());
//! let response = request.run(&|_, _| {});
//! output::write(&response, Output::default(), &mut std::io::stdout(), &mut std::io::stderr())?;
//! std::process::exit(response.exit_code().code());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]

// The modules, in the order rustfmt keeps them. Their layers, lowest first,
// are docs/source-layout.md's table and tests/layers.rs's LAYERS, which
// checks that the two agree and that no module uses one above its own.
pub mod bytecode;
pub mod cancel;
mod error;
pub mod exit;
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
pub use crate::error::{Error, ErrorKind, Failure};
pub use crate::exit::ExitCode;
pub use crate::python::installed::installed;
pub use crate::python::location::Location;
pub use crate::python::target::Target;
pub use crate::run::engine::Engine;
pub use crate::run::report::{
    Command, Compiled, JudgedLevel, LevelState, Pending, PythonInfo, Report, Stop, Undone,
};
pub use crate::settings::defs::OptionError;
pub use crate::settings::flavor::{Flavor, FlavorError};
pub use crate::settings::options::{Levels, Options, Selection};
