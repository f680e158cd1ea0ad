//! The native Lua module from Rust, as mlua's own tests/module does it:
//! `cargo build --release --lib --features lua-module` builds pycache.core (a cdylib
//! that takes the Lua API from whatever loads it), and the small crate
//! tests/lua-loader, whose tests embed a real Lua 5.4 (mlua, Lua compiled
//! from source, symbols exported), `require` it as `pycache/core.so` and
//! call it (tests/lua-loader/tests/core.rs). The loader is a crate of its
//! own, built by this test into its own target directory, so that neither
//! pycache's build nor its tests link Lua. The Lua specs (tests/lua) load the
//! same module into Debian's lua5.4.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

/// `cargo ARGS` in pycache's directory, with `env`; its output.
fn cargo(args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    Command::new(cargo)
        .args(args)
        .envs(env.iter().copied())
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap_or_else(|e| panic!("cargo {args:?}: {e}"))
}

/// What a command printed, each line indented so that a `test result:`
/// line of the inner run is not taken for one of this run's.
fn indented(out: &std::process::Output) -> String {
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    text.lines().map(|l| format!("  | {l}\n")).collect()
}

/// Builds the module as it ships, and as tests/lua/run.sh and
/// tests/e2e/run.sh build it (one build serves all three); the path of the
/// library cargo wrote.
fn build_module() -> PathBuf {
    let out = cargo(
        &[
            "build",
            "--release",
            "--lib",
            "--features",
            "lua-module",
            "--message-format=json-render-diagnostics",
        ],
        &[],
    );
    assert!(
        out.status.success(),
        "cargo build --release --lib --features lua-module failed:\n{}",
        indented(&out)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let libraries: Vec<PathBuf> = stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == "pycache")
        .flat_map(|m| m["filenames"].as_array().cloned().unwrap_or_default())
        .filter_map(|f| f.as_str().map(PathBuf::from))
        .filter(|f| f.extension().is_some_and(|x| x == "so"))
        .collect();
    let [library] = <[PathBuf; 1]>::try_from(libraries)
        .unwrap_or_else(|found| panic!("cargo built no one pycache .so: {found:?}\n{stdout}"));
    library
}

#[test]
fn the_built_module_loads_into_a_lua_embedded_in_rust() {
    let library = build_module();
    let tmp = tempfile::tempdir().unwrap();
    let cpath = tmp.path().join("cpath");
    std::fs::create_dir_all(cpath.join("pycache")).unwrap();
    std::fs::copy(&library, cpath.join("pycache/core.so")).unwrap();
    let site = tmp.path().canonicalize().unwrap().join("site-packages");
    std::fs::create_dir_all(site.join("pkg")).unwrap();
    std::fs::write(site.join("pkg/__init__.py"), "X = 1\n").unwrap();
    std::fs::write(site.join("pkg/mod.py"), "Y = 2\n").unwrap();
    let keys: Vec<&str> = pycache::settings::options::OPTIONS
        .iter()
        .map(|d| d.key)
        .collect();

    let loader = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/lua-loader/Cargo.toml");
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).join("lua-loader");
    let out = cargo(
        &[
            "test",
            "--manifest-path",
            loader.to_str().unwrap(),
            "--target-dir",
            target.to_str().unwrap(),
            "--locked",
        ],
        &[
            ("PYCACHE_CORE_CPATH", cpath.to_str().unwrap()),
            ("PYCACHE_VERSION", env!("CARGO_PKG_VERSION")),
            ("PYCACHE_OPTIONS", &keys.join(",")),
            ("PYCACHE_SITE", site.to_str().unwrap()),
        ],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && text.contains("test result: ok. 4 passed; 0 failed;"),
        "the loader's tests (tests/lua-loader) failed or ran other than 4:\n{}",
        indented(&out)
    );
    // The module read the tree it was given and wrote nothing there.
    assert_eq!(
        common::listing(&site),
        ["pkg/", "pkg/__init__.py", "pkg/mod.py"]
    );
}
