//! The interpreter and its tree: which interpreter and site-packages a run
//! is about, paths inside a `--root`, asking an interpreter about itself,
//! `PATH` lookup, and which flavors are installed.

pub(crate) mod child;
pub(crate) mod installed;
pub(crate) mod location;
pub(crate) mod path_search;
pub(crate) mod stdlib;
pub(crate) mod target;
