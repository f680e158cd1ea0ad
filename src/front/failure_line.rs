//! What a pkg trigger prints when it could not do its job
//! (docs/triggers-and-ports.md, "Messages"): one line on stderr, `pycache: FLAVOR bytecode not updated:
//! WHAT; WHAT TO DO` (`not cleaned` from a cleanup block), whatever kept it
//! from being done: the engine's error, or `lua/pycache.lua` failing to run
//! the program, or the trigger script failing to load `lua/pycache.lua`.
//!
//! The shape is defined here once. `lua/pycache.lua` carries it as
//! [`lua_table`] writes it and gen-triggers renders it into each trigger
//! block ([`failure_start`]); tests/definitions.rs keeps the Lua copy equal.

use crate::run::report::Command;

/// How the failure line of a trigger running `command` starts, `who` being
/// the flavor or interpreter it was given (`None` when it has neither):
/// `pycache: py311 bytecode not updated: `. What went wrong follows.
pub fn failure_start(who: Option<&str>, command: Command) -> String {
    let done = match command {
        Command::Clean => "cleaned",
        _ => "updated",
    };
    let who = who.map(|w| format!("{w} ")).unwrap_or_default();
    format!("pycache: {who}bytecode not {done}: ")
}

/// The commands a trigger runs, by the name `lua/pycache.lua` uses: the
/// trigger block's and the cleanup block's.
pub const COMMANDS: [(&str, Command); 2] = [("update", Command::Update), ("clean", Command::Clean)];

/// [`failure_start`] as the Lua table `lua/pycache.lua` formats its lines
/// with (`%s`: the flavor and a space, or nothing), the text between its
/// `-- BEGIN failure` and `-- END failure` markers.
pub fn lua_table() -> String {
    let mut out = String::from("local FAILURE_START = {\n");
    for (name, command) in COMMANDS {
        // `\0` stands for "who and its space" until it becomes `%s`.
        let start = failure_start(Some("\0"), command).replace("\0 ", "%s");
        out.push_str(&format!("  {name} = {start:?},\n"));
    }
    out.push('}');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_start_as_readme_says() {
        assert_eq!(
            failure_start(Some("py311"), Command::Update),
            "pycache: py311 bytecode not updated: "
        );
        assert_eq!(
            failure_start(None, Command::Clean),
            "pycache: bytecode not cleaned: "
        );
        assert_eq!(
            lua_table(),
            "local FAILURE_START = {\n  update = \"pycache: %sbytecode not updated: \",\n  clean = \"pycache: %sbytecode not cleaned: \",\n}"
        );
    }
}
