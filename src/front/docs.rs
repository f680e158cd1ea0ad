//! Text for readers, written from the engine's definitions so that it
//! cannot drift: `pycache.core.options`. (The options' reference is
//! pycache(8) and pycache.lua(3), checked against the same definitions by
//! tests/definitions.rs.)

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
