//! `pycache.core`: the engine as a native Lua 5.4 module (cargo feature
//! `lua-module`, installed as `${LUA_MODLIBDIR}/pycache/core.so`).
//!
//! Every function turns its arguments into one [`Request`] and its
//! [`Response`] into plain Lua tables (the one serializer,
//! [`Form::Lua`]). `core.cancel()` stops the run in progress (a host with
//! threads) and every later call of this module. Ordinary failures (no such site-packages, a bad flavor,
//! a missing interpreter for `freshness`) return `nil, message`; calling a
//! function the wrong way (an options table with an unknown key, a number
//! where a path belongs) raises a Lua error naming the function and the
//! option. No Rust panic crosses into Lua: each call runs under
//! `catch_unwind` and a panic comes back as `nil, "internal error: ..."`.
//!
//! Paths are byte strings both ways: a Lua string is taken as file-system
//! bytes (never decoded as UTF-8) and every path in a result is the exact
//! bytes of the file name.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;

use mlua::serde::SerializeOptions;
use mlua::{FromLuaMulti, Function, Lua, LuaSerdeExt, Result as LuaResult, Table, Value};

use crate::cancel::Cancel;
use crate::front::docs;
use crate::front::lua_options::LuaOptions;
use crate::front::serialize::{Form, InForm};
use crate::run::request::{Job, Request, Response};
use crate::settings::defs::{Def, OptionError};
use crate::settings::options::Options;
use crate::settings::raw::Raw;

/// What a wrapper hands back: a value, or `nil, message`.
type Answer = (Option<Value>, Option<String>);

#[mlua::lua_module(name = "pycache_core")]
fn exports(lua: &Lua) -> LuaResult<Table> {
    let m = lua.create_table()?;
    m.set("_VERSION", env!("CARGO_PKG_VERSION"))?;
    let shim: Function = lua
        .load(RAISE_AT_CALLER)
        .set_name("=pycache.core")
        .into_function()?;
    // `_raw` holds the same functions returning misuse as a third value
    // instead of raising it: lua/pycache.lua raises it under its own name.
    let raw_table = lua.create_table()?;
    let export = |name: &str, f: Function| -> LuaResult<()> {
        raw_table.set(name, f.clone())?;
        m.set(
            name,
            shim.call::<Function>((f, format!("pycache.core.{name}: ")))?,
        )
    };
    // One handle for every call of this module: `core.cancel()` stops the
    // run in progress (from another thread of the host) and every later one.
    let cancel = Cancel::new();
    let c = cancel.clone();
    export(
        "info",
        raw(lua, move |lua, opts| {
            let options = read_options(opts, |d| d.kind.selects_target())?;
            answer(lua, Request::new(Job::Info, options, c.clone()))
        })?,
    )?;
    let c = cancel.clone();
    export(
        "freshness",
        raw(lua, move |lua, (source, opts): (Value, Value)| {
            let source = match &source {
                Value::String(s) => PathBuf::from(OsStr::from_bytes(&s.as_bytes())),
                other => {
                    return Err(misuse(format!(
                        "argument #1 (source) must be a string, got {}",
                        other.type_name()
                    )));
                }
            };
            // The levels judged may come from the configuration file too.
            let options = read_options(opts, |d| {
                d.kind.selects_target() || matches!(d.key, "levels" | "config" | "no_config")
            })?;
            answer(
                lua,
                Request::new(Job::Freshness { source }, options, c.clone()),
            )
        })?,
    )?;
    for (name, job) in Job::NAMED {
        let c = cancel.clone();
        export(
            name,
            raw(lua, move |lua, opts| {
                let options = read_options(opts, |_| true)?;
                answer(lua, Request::new(job.clone(), options, c.clone()))
            })?,
        )?;
    }
    m.set(
        "cancel",
        lua.create_function(move |_, ()| {
            cancel.cancel();
            Ok(())
        })?,
    )?;
    m.set("_raw", raw_table)?;
    m.set("options", definitions(lua)?)?;
    Ok(m)
}

/// Misuse is raised from Lua with `error(msg, 2)`, so the message is a
/// plain string that names the caller's line (an error raised from Rust
/// would be a userdata carrying a traceback).
const RAISE_AT_CALLER: &str = "local f, prefix = ...
return function(...)
  local t, msg, misuse = f(...)
  if misuse then error(prefix .. misuse, 2) end
  return t, msg
end";

/// A wrapper as a Lua function returning `value|nil, message|nil,
/// misuse|nil` for the shim above. Only [`misuse`] is misuse: any other
/// Lua error (out of memory, a failing `__index`) is raised as it is.
fn raw<A: FromLuaMulti>(
    lua: &Lua,
    f: impl Fn(&Lua, A) -> LuaResult<Answer> + 'static,
) -> LuaResult<Function> {
    lua.create_function(move |lua, args: A| match f(lua, args) {
        Ok((t, msg)) => Ok((t, msg, None)),
        Err(e) => match e.downcast_ref::<Misuse>() {
            Some(Misuse(what)) => Ok((None, None, Some(what.clone()))),
            None => Err(e),
        },
    })
}

/// `core.options`: the engine's option definitions, as a Lua table
/// ([`docs::lua_table`]).
fn definitions(lua: &Lua) -> LuaResult<Table> {
    lua.load(format!("{}\nreturn OPTIONS", docs::lua_table()))
        .set_name("=pycache.core.options")
        .eval()
}

/// Runs the request; the response as Lua values, or `nil, message` for an
/// error. A panic comes back as `nil, "internal error: ..."`.
fn answer(lua: &Lua, request: Request) -> LuaResult<Answer> {
    let quiet = |_: usize, _: usize| {};
    let response = match catch_unwind(AssertUnwindSafe(|| request.run(&quiet))) {
        Ok(response) => response,
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_string());
            return Ok((None, Some(format!("internal error: {what}"))));
        }
    };
    if let Response::Failed(failed) = &response {
        return Ok((None, Some(failed.error.message())));
    }
    // `nil` for `None`, plain tables for arrays.
    let form = SerializeOptions::new()
        .serialize_none_to_null(false)
        .serialize_unit_to_null(false)
        .set_array_metatable(false);
    let value = lua.to_value_with(&InForm::new(&response, Form::Lua), form)?;
    Ok((Some(value), None))
}

/// The options argument read into the engine's [`Options`]
/// ([`LuaOptions::read`] checks it); a key `allowed` refuses or a value
/// the engine refuses is misuse. `$PYCACHE_CONF` is the host's.
fn read_options(opts: Value, allowed: impl Fn(&Def) -> bool) -> LuaResult<Options> {
    let given = match opts {
        Value::Nil => LuaOptions::Nil,
        Value::Table(t) => LuaOptions::Table(
            t.pairs::<Value, Value>()
                .map(|pair| pair.map(|(k, v)| (option_value(&k, 1), option_value(&v, 1))))
                .collect::<LuaResult<_>>()?,
        ),
        other => LuaOptions::NotATable(option_value(&other, 1)),
    };
    let mut options = given
        .read(allowed)
        .map_err(|e: OptionError| misuse(e.to_string()))?;
    options.set_environment(|name| std::env::var_os(name));
    Ok(options)
}

/// A Lua value as a [`Raw`] value for the options' checks: strings as their bytes,
/// a table as the array of its sequence. No option takes a table inside a
/// table, so one at `depth` 2 is only named (which also ends a table that
/// holds itself).
fn option_value(value: &Value, depth: usize) -> Raw {
    match value {
        Value::Boolean(b) => Raw::Bool(*b),
        Value::Integer(n) => Raw::Int(*n),
        Value::Number(n) => Raw::Num(*n),
        Value::String(s) => Raw::Str(s.as_bytes().to_vec()),
        Value::Table(t) if depth < 2 => Raw::List(
            (1..=t.raw_len())
                .map(|i| option_value(&t.raw_get::<Value>(i).unwrap_or(Value::Nil), depth + 1))
                .collect(),
        ),
        other => Raw::Other(other.type_name()),
    }
}

/// Calling a function the wrong way, raised at the caller's line.
#[derive(Debug)]
struct Misuse(String);

impl std::fmt::Display for Misuse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Misuse {}

fn misuse(what: String) -> mlua::Error {
    mlua::Error::external(Misuse(what))
}
