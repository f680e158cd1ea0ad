//! Text for readers, written from the engine's definitions so that it
//! cannot drift: `pycache.core.options`, and two Markdown renderings of
//! the options. README no longer holds those (the options' reference is
//! pycache(8) and pycache.lua(3), checked by tests/definitions.rs), so
//! [`readme_rows`] and [`readme_lua_list`] have no reader left.

use crate::settings::defs::OPTIONS;

/// The options as a Lua table, what `pycache.core.options` holds: each
/// option's key, flag, kind, Lua type and what a value must be.
pub fn lua_table() -> String {
    let mut out = String::from("local OPTIONS = {\n");
    for d in OPTIONS {
        let flag = if d.flag.is_empty() {
            String::new()
        } else {
            format!("--{}", d.flag)
        };
        let element = d
            .kind
            .element()
            .map(|e| format!(", element = {e:?}"))
            .unwrap_or_default();
        out.push_str(&format!(
            "  {{ key = {:?}, flag = {:?}, kind = {:?}, lua = {:?},\n    expected = {:?}{element} }},\n",
            d.key,
            flag,
            format!("{:?}", d.kind).to_lowercase(),
            d.kind.lua_type(),
            d.expected,
        ));
    }
    out.push('}');
    out
}

/// Markdown rows of an option table for the program, one per option with
/// a flag (what README's table held before it moved to pycache(8)).
pub fn readme_rows() -> Vec<String> {
    OPTIONS
        .iter()
        .filter(|d| !d.flag.is_empty())
        .map(|d| {
            let short = d.short.map(|c| format!("-{c}, ")).unwrap_or_default();
            let value = if d.value_name.is_empty() {
                String::new()
            } else {
                format!(" {}", d.value_name)
            };
            format!(
                "| `{short}--{}{value}` | {} | {} |",
                d.flag,
                d.help,
                d.default.unwrap_or("—")
            )
        })
        .collect()
}

/// A Markdown list of the options both Lua modules take (what README's
/// `options:lua` block held before it moved to pycache.lua(3)): each key
/// and what its value must be.
pub fn readme_lua_list() -> String {
    OPTIONS
        .iter()
        .map(|d| {
            let default = (d.default)
                .map(|default| format!("; default {default}"))
                .unwrap_or_default();
            format!(
                "- `{}` ({}): {}: {}{default}\n",
                d.key,
                d.kind.lua_type(),
                d.help,
                d.expected
            )
        })
        .collect()
}
