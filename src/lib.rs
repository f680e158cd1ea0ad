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
//! let touched = vec!["/usr/local/lib/python3.11/site-packages/six".into()];
//! let report = Engine::new(target).touched(Some(touched)).check()?;
//! assert!(report.exit_code <= 1);
//! # Ok::<(), pycache::Error>(())
//! ```
#![deny(missing_docs)]

mod clean;
mod compile;
mod engine;
mod error;
mod flavor;
#[cfg(feature = "lua-module")]
mod lua;
pub mod options;
mod parallel;
pub mod pyc;
mod report;
mod scan;
mod target;
pub mod template;
mod walk;

pub use crate::engine::Engine;
pub use crate::error::Error;
pub use crate::flavor::Flavor;
pub use crate::options::{OptionError, Options};
pub use crate::pyc::InvalidationMode;
pub use crate::report::{
    Command, Compiled, EXIT_ENVIRONMENT, EXIT_FAILED, EXIT_OK, EXIT_USAGE, Failure, LevelState,
    Pending, PendingLevel, PythonInfo, Report, Stop, Undone,
};
pub use crate::target::{Location, Selection, Target};
