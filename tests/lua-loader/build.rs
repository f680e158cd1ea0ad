//! The module is built without Lua (mlua's `module` feature): it takes the
//! Lua API from the program that loads it, so the test program exports its
//! symbols (`-rdynamic`), as mlua's tests/module/loader does.
fn main() {
    println!("cargo::rustc-link-arg-tests=-rdynamic");
}
