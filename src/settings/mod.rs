//! What a run is asked to do: flavor names, the options as a front gave
//! them (typed, each defined once), pycache.conf (its UCL subset, and how
//! it fills in options), and the one step that resolves them into the
//! settings a run works with.

pub mod config;
pub mod defs;
pub mod flavor;
pub mod options;
pub mod raw;
pub mod resolve;
pub mod ucl;
