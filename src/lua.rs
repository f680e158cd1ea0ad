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
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::time::Duration;

use mlua::{FromLuaMulti, Function, Lua, Result as LuaResult, Table, Value};

use crate::{
    Command, Engine, Error, Flavor, InvalidationMode, PendingLevel, Report, Selection, Target,
};

/// Options every job accepts (see [`options`]); `freshness` and `info`
/// accept the target part only.
const TARGET_KEYS: &[&str] = &["flavor", "prefix", "python", "site_packages", "root"];
const JOB_KEYS: &[&str] = &[
    "levels",
    "invalidation_mode",
    "jobs",
    "exclude",
    "dirs",
    "dry_run",
    "timeout",
];

/// What a wrapper hands back: a table, or `nil, message`.
type Answer = (Option<Table>, Option<String>);

#[mlua::lua_module(name = "pycache_core")]
fn exports(lua: &Lua) -> LuaResult<Table> {
    let m = lua.create_table()?;
    m.set("_VERSION", env!("CARGO_PKG_VERSION"))?;
    let shim: Function = lua
        .load(RAISE_AT_CALLER)
        .set_name("=pycache.core")
        .into_function()?;
    let export =
        |name: &str, f: Function| -> LuaResult<()> { m.set(name, shim.call::<Function>(f)?) };
    export("info", raw(lua, info)?)?;
    export("freshness", raw(lua, freshness)?)?;
    export("check", raw(lua, |lua, o| job(lua, "check", o))?)?;
    export("scan", raw(lua, |lua, o| job(lua, "scan", o))?)?;
    export("clean", raw(lua, |lua, o| job(lua, "clean", o))?)?;
    export("compile", raw(lua, |lua, o| job(lua, "compile", o))?)?;
    export("update", raw(lua, |lua, o| job(lua, "update", o))?)?;
    Ok(m)
}

/// Misuse is raised from Lua with `error(msg, 2)`, so the message is a
/// plain string that names the caller's line (an error raised from Rust
/// would be a userdata carrying a traceback).
const RAISE_AT_CALLER: &str = "local f = ...
return function(...)
  local t, msg, misuse = f(...)
  if misuse then error(misuse, 2) end
  return t, msg
end";

/// A wrapper as a Lua function returning `table|nil, message|nil,
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

/// `info(opts)`: the target resolved and located, without scanning.
fn info(lua: &Lua, opts: Value) -> LuaResult<Answer> {
    let opts = options_table("info", opts, TARGET_KEYS)?;
    let target = target_spec("info", &opts)?;
    guarded(|| {
        let target = target.build()?;
        let location = target.locate()?;
        Ok((target, location))
    })
    .and_then(|answer| {
        let (target, location) = match answer {
            Ok(found) => found,
            Err(message) => return Ok((None, Some(message))),
        };
        let t = lua.create_table()?;
        t.set("version", target.version())?;
        t.set("tag", target.tag())?;
        t.set("interpreter", path(lua, target.interpreter())?)?;
        t.set("site_packages", path(lua, &location.runtime)?)?;
        t.set("directory", path(lua, &location.dir)?)?;
        if let Some(root) = target.root() {
            t.set("root", path(lua, root)?)?;
        }
        if let Some(magic) = target.magic() {
            let hex: String = magic.bytes.iter().map(|b| format!("{b:02x}")).collect();
            t.set("magic", hex)?;
        }
        Ok((Some(t), None))
    })
}

/// `freshness(source, opts)`: `{ {level=, state=, reason=}, ... }`.
fn freshness(lua: &Lua, (source, opts): (Value, Value)) -> LuaResult<Answer> {
    let source = match &source {
        Value::String(s) => PathBuf::from(OsStr::from_bytes(&s.as_bytes())),
        other => {
            return Err(misuse(
                "freshness",
                &format!(
                    "argument #1 (source) must be a string, got {}",
                    other.type_name()
                ),
            ));
        }
    };
    let opts = options_table("freshness", opts, &[TARGET_KEYS, &["levels"]].concat())?;
    let target = target_spec("freshness", &opts)?;
    let levels = levels("freshness", &opts)?;
    let answer = guarded(|| {
        let mut engine = Engine::new(target.build()?);
        if let Some(levels) = &levels {
            engine = engine.levels(levels)?;
        }
        engine.freshness(&source)
    })?;
    match answer {
        Ok(levels) => Ok((Some(pending_levels(lua, &levels)?), None)),
        Err(message) => Ok((None, Some(message))),
    }
}

/// `check`/`scan`/`clean`/`compile`/`update(opts)`: the report table.
fn job(lua: &Lua, name: &'static str, opts: Value) -> LuaResult<Answer> {
    let opts = options_table(name, opts, &[TARGET_KEYS, JOB_KEYS].concat())?;
    let target = target_spec(name, &opts)?;
    let levels = levels(name, &opts)?;
    let mode = match string(name, &opts, "invalidation_mode")? {
        None => InvalidationMode::Timestamp,
        Some(text) => text
            .parse::<InvalidationMode>()
            .map_err(|e| misuse(name, &format!("opts.invalidation_mode: {e}")))?,
    };
    let jobs = match opts.get::<Value>("jobs")? {
        Value::Nil => 0,
        Value::Integer(n) if n >= 0 => n as usize,
        other => {
            return Err(misuse(
                name,
                &bad_type("jobs", "a whole number >= 0", &other),
            ));
        }
    };
    let timeout = match opts.get::<Value>("timeout")? {
        Value::Nil => None,
        Value::Integer(n) if n > 0 => Some(Duration::from_secs(n as u64)),
        Value::Number(n) if n > 0.0 && n.is_finite() => Some(Duration::from_secs_f64(n)),
        other => return Err(misuse(name, &bad_type("timeout", "seconds > 0", &other))),
    };
    let dry_run = match opts.get::<Value>("dry_run")? {
        Value::Nil => false,
        Value::Boolean(b) => b,
        other => return Err(misuse(name, &bad_type("dry_run", "a boolean", &other))),
    };
    let excludes = string_list(name, &opts, "exclude", true)?.unwrap_or_default();
    let excludes = excludes
        .into_iter()
        .map(|glob| {
            String::from_utf8(glob.into_os_string().into_vec())
                .map_err(|_| misuse(name, "opts.exclude patterns must be UTF-8"))
        })
        .collect::<LuaResult<Vec<String>>>()?;
    let dirs = string_list(name, &opts, "dirs", false)?;
    let answer = guarded(|| {
        let mut engine = Engine::new(target.build()?)
            .invalidation_mode(mode)
            .jobs(jobs)
            .touched(dirs)
            .dry_run(dry_run);
        if let Some(levels) = &levels {
            engine = engine.levels(levels)?;
        }
        if let Some(timeout) = timeout {
            engine = engine.timeout(timeout);
        }
        for glob in &excludes {
            engine = engine.exclude(glob)?;
        }
        let quiet = |_: usize, _: usize| {};
        match name {
            "clean" => engine.clean(),
            "compile" => engine.compile(&quiet),
            "update" => engine.update(&quiet),
            _ => engine.check(),
        }
    })?;
    match answer {
        Ok(report) => Ok((Some(report_table(lua, &report)?), None)),
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

/// The target options, checked for type; resolved by the engine
/// ([`Selection::target`]) under `guarded`, as the program resolves its flags.
struct TargetSpec {
    flavor: Option<String>,
    selection: Selection,
}

impl TargetSpec {
    fn build(&self) -> Result<Target, Error> {
        let mut selection = self.selection.clone();
        if let Some(flavor) = &self.flavor {
            selection.flavor = Some(Flavor::parse(flavor)?);
        }
        selection.target()
    }
}

fn target_spec(name: &str, opts: &Table) -> LuaResult<TargetSpec> {
    let spec = TargetSpec {
        flavor: string(name, opts, "flavor")?,
        selection: Selection {
            flavor: None,
            prefix: path_opt(name, opts, "prefix")?,
            python: path_opt(name, opts, "python")?,
            site_packages: path_opt(name, opts, "site_packages")?,
            root: path_opt(name, opts, "root")?,
        },
    };
    if spec.flavor.is_none() && spec.selection.python.is_none() {
        return Err(misuse(name, "opts.flavor or opts.python is required"));
    }
    Ok(spec)
}

/// The options table (nil is not allowed: a target is always needed),
/// rejecting keys the function does not know, so a typo is loud.
fn options_table(name: &str, opts: Value, known: &[&str]) -> LuaResult<Table> {
    let opts = match opts {
        Value::Table(t) => t,
        other => {
            return Err(misuse(
                name,
                &format!("options must be a table, got {}", other.type_name()),
            ));
        }
    };
    for pair in opts.pairs::<Value, Value>() {
        let (key, _) = pair?;
        let known_key = match &key {
            Value::String(s) => known.iter().any(|k| s.as_bytes().as_ref() == k.as_bytes()),
            _ => false,
        };
        if !known_key {
            let shown = match &key {
                Value::String(s) => format!("{:?}", s.to_string_lossy()),
                other => other.type_name().to_string(),
            };
            return Err(misuse(
                name,
                &format!("unknown option {shown} (known: {})", known.join(", ")),
            ));
        }
    }
    Ok(opts)
}

fn misuse(name: &str, what: &str) -> mlua::Error {
    mlua::Error::RuntimeError(format!("pycache.core.{name}: {what}"))
}

fn bad_type(key: &str, expected: &str, got: &Value) -> String {
    format!("opts.{key} must be {expected}, got {}", describe(got))
}

fn describe(value: &Value) -> String {
    match value {
        Value::Integer(n) => format!("{n}"),
        Value::Number(n) => format!("{n}"),
        Value::Boolean(b) => format!("{b}"),
        other => other.type_name().to_string(),
    }
}

fn string(name: &str, opts: &Table, key: &str) -> LuaResult<Option<String>> {
    match opts.get::<Value>(key)? {
        Value::Nil => Ok(None),
        Value::String(s) => s
            .to_str()
            .map(|s| Some(s.to_string()))
            .map_err(|_| misuse(name, &format!("opts.{key} must be UTF-8"))),
        other => Err(misuse(name, &bad_type(key, "a string", &other))),
    }
}

fn path_opt(name: &str, opts: &Table, key: &str) -> LuaResult<Option<PathBuf>> {
    match opts.get::<Value>(key)? {
        Value::Nil => Ok(None),
        Value::String(s) if s.as_bytes().is_empty() => {
            Err(misuse(name, &format!("opts.{key} must not be empty")))
        }
        Value::String(s) => Ok(Some(PathBuf::from(OsStr::from_bytes(&s.as_bytes())))),
        other => Err(misuse(name, &bad_type(key, "a string", &other))),
    }
}

/// An array of strings (or, when `single` is allowed, one string).
fn string_list(
    name: &str,
    opts: &Table,
    key: &str,
    single: bool,
) -> LuaResult<Option<Vec<PathBuf>>> {
    let bytes = |s: &mlua::LuaString| PathBuf::from(OsStr::from_bytes(&s.as_bytes()));
    match opts.get::<Value>(key)? {
        Value::Nil => Ok(None),
        Value::String(s) if single => Ok(Some(vec![bytes(&s)])),
        Value::Table(t) => {
            let mut out = Vec::with_capacity(t.raw_len());
            for i in 1..=t.raw_len() {
                match t.raw_get::<Value>(i)? {
                    Value::String(s) => out.push(bytes(&s)),
                    other => {
                        return Err(misuse(
                            name,
                            &format!("opts.{key}[{i}] must be a string, got {}", describe(&other)),
                        ));
                    }
                }
            }
            Ok(Some(out))
        }
        other => Err(misuse(name, &bad_type(key, "an array of strings", &other))),
    }
}

fn levels(name: &str, opts: &Table) -> LuaResult<Option<Vec<u8>>> {
    match opts.get::<Value>("levels")? {
        Value::Nil => Ok(None),
        Value::Table(t) => {
            let mut out = Vec::new();
            for i in 1..=t.raw_len() {
                match t.raw_get::<Value>(i)? {
                    Value::Integer(n @ 0..=2) => out.push(n as u8),
                    other => {
                        return Err(misuse(
                            name,
                            &format!(
                                "opts.levels[{i}] must be 0, 1 or 2, got {}",
                                describe(&other)
                            ),
                        ));
                    }
                }
            }
            Ok(Some(out))
        }
        other => Err(misuse(
            name,
            &bad_type("levels", "an array such as {0, 1, 2}", &other),
        )),
    }
}

fn path(lua: &Lua, p: &Path) -> LuaResult<mlua::LuaString> {
    lua.create_string(p.as_os_str().as_bytes())
}

fn paths(lua: &Lua, ps: &[PathBuf]) -> LuaResult<Table> {
    let t = lua.create_table_with_capacity(ps.len(), 0)?;
    for (i, p) in ps.iter().enumerate() {
        t.raw_set(i + 1, path(lua, p)?)?;
    }
    Ok(t)
}

fn strings(lua: &Lua, ss: &[String]) -> LuaResult<Table> {
    lua.create_sequence_from(ss.iter().map(String::as_str))
}

fn pending_levels(lua: &Lua, levels: &[PendingLevel]) -> LuaResult<Table> {
    let t = lua.create_table_with_capacity(levels.len(), 0)?;
    for (i, l) in levels.iter().enumerate() {
        let entry = lua.create_table()?;
        entry.set("level", l.level)?;
        entry.set("state", l.state)?;
        entry.set("reason", l.reason.as_str())?;
        t.raw_set(i + 1, entry)?;
    }
    Ok(t)
}

/// The report with the fields and names of its JSON form (src/report.rs);
/// `nil` for JSON `null`.
fn report_table(lua: &Lua, r: &Report) -> LuaResult<Table> {
    let t = lua.create_table()?;
    t.set("schema", r.schema)?;
    t.set(
        "command",
        match r.command {
            Command::Check => "check",
            Command::Update => "update",
            Command::Clean => "clean",
            Command::Compile => "compile",
        },
    )?;
    t.set("dry_run", r.dry_run)?;
    let python = lua.create_table()?;
    python.set("version", r.python.version.as_str())?;
    python.set("tag", r.python.tag.as_str())?;
    python.set("interpreter", path(lua, &r.python.interpreter)?)?;
    python.set("site_packages", path(lua, &r.python.site_packages)?)?;
    python.set("directory", path(lua, &r.python.directory)?)?;
    if let Some(root) = &r.python.root {
        python.set("root", path(lua, root)?)?;
    }
    t.set("python", python)?;
    if let Some(touched) = &r.touched {
        t.set("touched", paths(lua, touched)?)?;
    }
    t.set("sources", r.sources)?;
    t.set("fresh", r.fresh)?;
    let to_compile = lua.create_table()?;
    for (i, p) in r.to_compile.iter().enumerate() {
        let entry = lua.create_table()?;
        entry.set("path", path(lua, &p.path)?)?;
        entry.set("levels", pending_levels(lua, &p.levels)?)?;
        to_compile.raw_set(i + 1, entry)?;
    }
    t.set("to_compile", to_compile)?;
    let compiled = lua.create_table()?;
    for (i, c) in r.compiled.iter().enumerate() {
        let entry = lua.create_table()?;
        entry.set("path", path(lua, &c.path)?)?;
        entry.set(
            "levels",
            lua.create_sequence_from(c.levels.iter().copied())?,
        )?;
        compiled.raw_set(i + 1, entry)?;
    }
    t.set("compiled", compiled)?;
    t.set("orphans", paths(lua, &r.orphans)?)?;
    t.set("empty_dirs", paths(lua, &r.empty_dirs)?)?;
    t.set("removed_files", paths(lua, &r.removed_files)?)?;
    t.set("removed_dirs", paths(lua, &r.removed_dirs)?)?;
    t.set("to_prune", paths(lua, &r.to_prune)?)?;
    t.set("pruned", paths(lua, &r.pruned)?)?;
    t.set("pruned_bytes", r.pruned_bytes)?;
    let failures = lua.create_table()?;
    for (i, f) in r.failures.iter().enumerate() {
        let entry = lua.create_table()?;
        entry.set("path", path(lua, &f.path)?)?;
        entry.set("reason", f.reason.as_str())?;
        failures.raw_set(i + 1, entry)?;
    }
    t.set("failures", failures)?;
    if let Some(error) = &r.error {
        t.set("error", error.as_str())?;
    }
    t.set("warnings", strings(lua, &r.warnings)?)?;
    t.set("notes", strings(lua, &r.notes)?)?;
    t.set("interpreters_started", r.interpreters_started)?;
    t.set(
        "elapsed_ms",
        u64::try_from(r.elapsed_ms).unwrap_or(u64::MAX),
    )?;
    t.set(
        "levels",
        lua.create_sequence_from(r.levels.iter().copied())?,
    )?;
    t.set("lines", strings(lua, &r.lines)?)?;
    t.set("exit_code", r.exit_code)?;
    Ok(t)
}
