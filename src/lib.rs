//! pycache keeps CPython bytecode (`__pycache__`) in sync with the sources of
//! a site-packages directory, for one interpreter at a time.

mod error;
mod flavor;
pub mod template;

pub use crate::error::Error;
pub use crate::flavor::Flavor;
