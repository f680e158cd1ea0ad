//! Every translation between the world and the engine, and nothing the
//! engine decides: the program's flags ([`cli`]), the JSON request
//! `lua/pycache.lua` sends ([`json_request`]), the native Lua module
//! (`lua`), the one reader of a Lua options table both Lua paths share
//! ([`lua_options`]), the one surrogate-escape codec for paths that are not
//! UTF-8 ([`surrogate`]), the output forms ([`output`], [`serialize`]), the
//! trigger's failure line ([`failure_line`]) and its rendering for
//! `gen-triggers` ([`template`]), and the text written for readers from the
//! engine's definitions ([`docs`]).

pub mod cli;
pub mod docs;
pub mod failure_line;
pub mod json_request;
#[cfg(feature = "lua-module")]
pub mod lua;
pub mod lua_options;
pub mod output;
pub mod serialize;
pub mod surrogate;
pub mod template;
