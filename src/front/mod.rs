//! What the fronts share that is not the engine's: the text written for
//! readers from the engine's definitions (README tables, the Lua options
//! table), trigger rendering for `gen-triggers`, and the native Lua module.

pub mod docs;
#[cfg(feature = "lua-module")]
pub mod lua;
pub mod template;
