//! What a run is asked to do: flavor names, the options (each defined
//! once), and pycache.conf (its UCL subset, and how it fills in options).

pub mod config;
pub mod flavor;
pub mod options;
pub mod ucl;
