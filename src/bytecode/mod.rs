//! CPython's bytecode format: pyc names and headers, freshness, the body
//! walk of `--verify`, and magic numbers. Starts no interpreter.

pub(crate) mod magic;
pub(crate) mod marshal;
pub mod pyc;
