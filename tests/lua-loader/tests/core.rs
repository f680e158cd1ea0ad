//! pycache.core, the module `cargo build --release --lib --features lua-module`
//! builds, loaded with `require "pycache.core"` into a real Lua 5.4 that
//! this test program embeds (mlua, Lua compiled from source), as mlua's
//! own tests/module/loader loads its test modules: a call that succeeds, an
//! expected failure (`nil, message`) and misuse (raised), each asserted to
//! the word. pycache's tests/lua_module.rs builds the module, puts it in a
//! directory as `pycache/core.so` and runs these with:
//!   PYCACHE_CORE_CPATH  the directory holding pycache/core.so
//!   PYCACHE_VERSION     pycache's version, the module's _VERSION
//!   PYCACHE_OPTIONS     the engine's option keys, comma-separated
//!   PYCACHE_SITE        a site-packages holding pkg/__init__.py and pkg/mod.py

use std::mem::ManuallyDrop;

use mlua::{Function, Lua, Table, Value};

fn need(var: &str) -> String {
    std::env::var(var).unwrap_or_else(|_| {
        panic!(
            "{var} is not set: these tests are run by pycache's tests/lua_module.rs \
             (cargo test --test lua_module), which builds the module first"
        )
    })
}

/// A Lua that may load C modules (mlua's `Lua::new` may not), the built
/// module's directory its only cpath, and the module `require`d. The state
/// is never closed: closing it unloads pycache/core.so (dlclose), and the
/// test's thread, when it then ends, runs a thread-local destructor the
/// module's Rust standard library registered: code no longer mapped
/// (SIGSEGV). A host that closes a state on a thread that lives on must
/// keep the module loaded; the lua5.4 program and pkg never unload it.
fn core() -> (ManuallyDrop<Lua>, Table) {
    // SAFETY: loading a C module is what this test is for; the module is
    // pycache's own, built for this Lua version.
    let lua = unsafe { Lua::unsafe_new() };
    let package: Table = lua.globals().get("package").unwrap();
    let cpath = format!("{}/?.so", need("PYCACHE_CORE_CPATH"));
    package.set("cpath", cpath).unwrap();
    let core: Table = lua
        .load(r#"return require "pycache.core""#)
        .eval()
        .unwrap_or_else(|e| panic!("require \"pycache.core\": {e}"));
    (ManuallyDrop::new(lua), core)
}

fn function(core: &Table, name: &str) -> Function {
    core.get(name)
        .unwrap_or_else(|e| panic!("pycache.core.{name}: {e}"))
}

/// `{flavor = "py311", site_packages = DIR}`.
fn options(lua: &Lua, site: &str) -> Table {
    let opts = lua.create_table().unwrap();
    opts.set("flavor", "py311").unwrap();
    opts.set("site_packages", site).unwrap();
    opts
}

#[test]
fn require_gives_the_module_table() {
    let (lua, core) = core();
    assert_eq!(
        core.get::<String>("_VERSION").unwrap(),
        need("PYCACHE_VERSION")
    );
    for name in [
        "info",
        "freshness",
        "check",
        "clean",
        "compile",
        "update",
        "cancel",
    ] {
        function(&core, name);
    }
    // The legacy alias of check is gone: one name per job.
    assert_eq!(core.get::<Value>("scan").unwrap(), Value::Nil);
    // A second require is the same table, as package.loaded holds it.
    let again: Table = lua.load(r#"return require "pycache.core""#).eval().unwrap();
    assert_eq!(again, core);
    // core.options lists the engine's options, in its order.
    let definitions: Table = core.get("options").unwrap();
    let keys: Vec<String> = definitions
        .sequence_values::<Table>()
        .map(|d| d.unwrap().get::<String>("key").unwrap())
        .collect();
    assert_eq!(keys.join(","), need("PYCACHE_OPTIONS"));
}

#[test]
fn check_on_a_real_tree_returns_its_report() {
    let (lua, core) = core();
    let site = need("PYCACHE_SITE");
    let (report, err): (Option<Table>, Option<String>) =
        function(&core, "check").call(options(&lua, &site)).unwrap();
    assert_eq!(err, None);
    let report = report.expect("a report");
    assert_eq!(report.get::<String>("command").unwrap(), "check");
    assert_eq!(report.get::<i64>("sources").unwrap(), 2);
    assert_eq!(report.get::<i64>("fresh").unwrap(), 0);
    assert_eq!(report.get::<i64>("exit_code").unwrap(), 1);
    assert_eq!(report.get::<i64>("interpreters_started").unwrap(), 0);
    let python: Table = report.get("python").unwrap();
    assert_eq!(python.get::<String>("tag").unwrap(), "cpython-311");
    assert_eq!(python.get::<String>("directory").unwrap(), site);
    let lines: Vec<String> = report.get("lines").unwrap();
    assert_eq!(
        lines,
        [">=> Python 3.11: 2 sources to compile (6 pycs missing, 0 stale)"]
    );
    let pending: Vec<Table> = report.get("to_compile").unwrap();
    let mut seen = Vec::new();
    for entry in pending {
        let levels: Vec<Table> = entry.get("levels").unwrap();
        let levels: Vec<(i64, String)> = levels
            .iter()
            .map(|l| (l.get("level").unwrap(), l.get("state").unwrap()))
            .collect();
        assert_eq!(
            levels,
            [
                (0, "missing".into()),
                (1, "missing".into()),
                (2, "missing".into())
            ]
        );
        seen.push(entry.get::<String>("path").unwrap());
    }
    assert_eq!(
        seen,
        [
            format!("{site}/pkg/__init__.py"),
            format!("{site}/pkg/mod.py")
        ]
    );
    // A field the report does not have is nil: JSON's null is absent.
    assert_eq!(report.get::<Value>("touched").unwrap(), Value::Nil);
}

#[test]
fn an_expected_failure_is_nil_and_a_message() {
    let (lua, core) = core();
    let missing = format!("{}/nope", need("PYCACHE_SITE"));
    let (report, err): (Option<Table>, Option<String>) = function(&core, "check")
        .call(options(&lua, &missing))
        .unwrap();
    assert!(report.is_none());
    assert_eq!(
        err.as_deref(),
        Some(
            format!(
                "{missing}: site-packages directory does not exist; \
                 check the flavor, prefix, site_packages and root given"
            )
            .as_str()
        )
    );
}

#[test]
fn misuse_raises_a_plain_message() {
    let (lua, core) = core();
    let site = need("PYCACHE_SITE");
    // A string raised: mlua gives it as a RuntimeError, with the traceback
    // its own message handler adds.
    let raised =
        |name: &str, args: mlua::MultiValue| match function(&core, name).call::<Value>(args) {
            Err(mlua::Error::RuntimeError(message)) => {
                let (message, traceback) = message.split_once("\nstack traceback:\n").unwrap();
                assert!(
                    traceback.contains("in function 'pycache.core."),
                    "{traceback}"
                );
                message.to_string()
            }
            other => panic!("pycache.core.{name}: raised no plain message: {other:?}"),
        };
    let unknown = options(&lua, &site);
    unknown.set("jbos", 1).unwrap();
    let mut cases = vec![
        (
            "check",
            mlua::MultiValue::from_iter([Value::Integer(5)]),
            "pycache.core.check: options must be a table, got integer",
        ),
        (
            "update",
            mlua::MultiValue::from_iter([Value::Table(unknown)]),
            "pycache.core.update: jbos: unknown option",
        ),
    ];
    cases.push((
        "freshness",
        mlua::MultiValue::from_iter([Value::Integer(1), Value::Table(options(&lua, &site))]),
        "pycache.core.freshness: argument #1 (source) must be a string, got integer",
    ));
    for (name, args, want) in cases {
        assert_eq!(raised(name, args), want);
    }
    // From Lua, pcall catches the same message.
    let (ok, message): (bool, String) = lua
        .load(r#"return pcall(require("pycache.core").check, 5)"#)
        .eval()
        .unwrap();
    assert!(!ok);
    assert_eq!(
        message,
        "pycache.core.check: options must be a table, got integer"
    );
}
