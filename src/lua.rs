//! `pycache.core`: the engine as a native Lua 5.4 module (cargo feature
//! `lua-module`, installed as `${LUA_MODLIBDIR}/pycache/core.so`).
//!
//! Every function is a thin wrapper over one [`Engine`] call and returns
//! plain Lua tables. Ordinary failures (no such site-packages, a bad flavor,
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
use serde::Serialize;

use crate::options::{self, OptionError, Options};
use crate::report::{self, PythonInfo};
use crate::{Engine, Error};

/// What a wrapper hands back: a value, or `nil, message`.
type Answer = (Option<Value>, Option<String>);

/// Which options a function takes: `info` only those naming the target,
/// `freshness` also `levels`, the commands all of them.
fn target_key(key: &str) -> bool {
    options::def(key).is_some_and(|d| d.kind.selects_target())
}

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
    export("info", raw(lua, info)?)?;
    export("freshness", raw(lua, freshness)?)?;
    export("check", raw(lua, |lua, o| run_command(lua, "check", o))?)?;
    export("scan", raw(lua, |lua, o| run_command(lua, "scan", o))?)?;
    export("clean", raw(lua, |lua, o| run_command(lua, "clean", o))?)?;
    export(
        "compile",
        raw(lua, |lua, o| run_command(lua, "compile", o))?,
    )?;
    export("update", raw(lua, |lua, o| run_command(lua, "update", o))?)?;
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
/// misuse|nil` for the shim above.
fn raw<A: FromLuaMulti>(
    lua: &Lua,
    f: impl Fn(&Lua, A) -> LuaResult<Answer> + 'static,
) -> LuaResult<Function> {
    lua.create_function(move |lua, args: A| match f(lua, args) {
        Ok((t, msg)) => Ok((t, msg, None)),
        Err(mlua::Error::RuntimeError(misuse)) => Ok((None, None, Some(misuse))),
        Err(e) => Err(e),
    })
}

/// `core.options`: the engine's option definitions ([`options::OPTIONS`]),
/// so Lua code and tests can see the one list.
fn definitions(lua: &Lua) -> LuaResult<Table> {
    let t = lua.create_table()?;
    for (i, d) in options::OPTIONS.iter().enumerate() {
        let e = lua.create_table()?;
        e.set("key", d.key)?;
        e.set(
            "flag",
            if d.flag.is_empty() {
                String::new()
            } else {
                format!("--{}", d.flag)
            },
        )?;
        e.set("kind", format!("{:?}", d.kind).to_lowercase())?;
        e.set("lua", d.kind.lua_type())?;
        e.set("expected", d.expected)?;
        e.set("element", d.kind.element())?;
        t.raw_set(i + 1, e)?;
    }
    Ok(t)
}

/// Any value as Lua wants it: `nil` for `None`, plain tables for arrays,
/// paths as their bytes (the report's one serializer, src/report.rs).
fn to_lua(lua: &Lua, value: &impl Serialize) -> LuaResult<Value> {
    let options = SerializeOptions::new()
        .serialize_none_to_null(false)
        .serialize_unit_to_null(false)
        .set_array_metatable(false);
    report::with_raw_paths(|| lua.to_value_with(value, options))
}

/// `info(opts)`: the target resolved and located, without scanning.
fn info(lua: &Lua, opts: Value) -> LuaResult<Answer> {
    let options = read_options(opts, &target_key)?;
    let answer = guarded(|| {
        let engine = Engine::from_options(options)?;
        let target = engine.target();
        let location = target.locate()?;
        let magic = target.magic().map(|m| {
            m.bytes
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        });
        let info = PythonInfo {
            version: target.version(),
            tag: target.tag().to_string(),
            interpreter: target.interpreter().to_path_buf(),
            site_packages: location.runtime,
            directory: location.dir,
            root: target.root().map(Into::into),
            magic_from: magic.as_ref().map(|_| target.magic_from()),
            magic,
        };
        Ok(info)
    })?;
    match answer {
        Ok(info) => Ok((Some(to_lua(lua, &info)?), None)),
        Err(message) => Ok((None, Some(message))),
    }
}

/// `freshness(source, opts)`: `{ {level=, state=, reason=}, ... }`.
fn freshness(lua: &Lua, (source, opts): (Value, Value)) -> LuaResult<Answer> {
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
    let options = read_options(opts, &|key| {
        target_key(key) || matches!(key, "levels" | "config" | "no_config")
    })?;
    let answer = guarded(|| Engine::from_options(options)?.freshness(&source))?;
    match answer {
        Ok(levels) => Ok((Some(to_lua(lua, &levels)?), None)),
        Err(message) => Ok((None, Some(message))),
    }
}

/// `check`/`scan`/`clean`/`compile`/`update(opts)`: the report table.
fn run_command(lua: &Lua, name: &'static str, opts: Value) -> LuaResult<Answer> {
    let options = read_options(opts, &|_| true)?;
    let answer = guarded(|| {
        let engine = Engine::from_options(options)?;
        let quiet = |_: usize, _: usize| {};
        match name {
            "clean" => engine.clean(),
            "compile" => engine.compile(&quiet),
            "update" => engine.update(&quiet),
            _ => engine.check(),
        }
    })?;
    match answer {
        Ok(report) => Ok((Some(to_lua(lua, &report)?), None)),
        Err(message) => Ok((None, Some(message))),
    }
}

/// Runs engine code; an engine error becomes its message, a panic an
/// "internal error" message. The outer `Result` is only for Lua errors.
fn guarded<T>(f: impl FnOnce() -> Result<T, Error>) -> LuaResult<Result<T, String>> {
    Ok(match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e)) => Err(e.to_string()),
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_string());
            Err(format!("internal error: {what}"))
        }
    })
}

/// The options table (`nil`: every default) read into the engine's
/// [`Options`], each value checked there; a key `allowed` refuses, a value
/// the engine refuses, or a table that is not one is misuse.
fn read_options(opts: Value, allowed: &dyn Fn(&str) -> bool) -> LuaResult<Options> {
    let mut options = Options::default();
    let opts = match opts {
        Value::Nil => return Ok(options),
        Value::Table(t) => t,
        other => {
            return Err(misuse(format!(
                "options must be a table, got {}",
                other.type_name()
            )));
        }
    };
    // In the order of the definitions, so the first bad option reported is
    // the same whichever front reads the table.
    for pair in opts.pairs::<Value, Value>() {
        let (key, _) = pair?;
        let key = match &key {
            Value::String(s) => s.to_string_lossy(),
            other => return Err(misuse(format!("unknown option {}", other.type_name()))),
        };
        if options::def(&key).is_none() || !allowed(&key) {
            return Err(misuse(OptionError::unknown(&key).to_string()));
        }
    }
    for def in options::OPTIONS.iter().filter(|d| allowed(d.key)) {
        let value = opts.raw_get::<Value>(def.key)?;
        if value.is_nil() {
            continue;
        }
        let value = option_value(&value)?;
        options
            .set(def.key, value)
            .map_err(|e| misuse(e.to_string()))?;
    }
    Ok(options)
}

/// A Lua value as the engine's [`options::Value`]: strings as their bytes,
/// arrays element by element.
fn option_value(value: &Value) -> LuaResult<options::Value> {
    Ok(match value {
        Value::Boolean(b) => options::Value::Bool(*b),
        Value::Integer(n) => options::Value::Int(*n),
        Value::Number(n) => options::Value::Num(*n),
        Value::String(s) => options::Value::Str(s.as_bytes().to_vec()),
        Value::Table(t) => options::Value::List(
            (1..=t.raw_len())
                .map(|i| t.raw_get::<Value>(i).and_then(|v| option_value(&v)))
                .collect::<LuaResult<_>>()?,
        ),
        other => options::Value::Other(other.type_name()),
    })
}

fn misuse(what: String) -> mlua::Error {
    mlua::Error::RuntimeError(what)
}
