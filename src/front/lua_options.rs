//! A Lua options table, as both Lua paths give it: `pycache.core` from Lua
//! itself (src/front/lua.rs), the program from the JSON `lua/pycache.lua`
//! sends (src/front/json_request.rs). One reader for both, so that a bad
//! table reads the same whichever way it came.

use crate::settings::defs::{self, Def, OptionError};
use crate::settings::options::Options;
use crate::settings::raw::Raw;

/// What a Lua module was called with.
#[derive(Clone, Debug, PartialEq)]
pub enum LuaOptions {
    /// `nil`: every default.
    Nil,
    /// A table's key–value pairs, keys as given (a key that is not a
    /// string names no option).
    Table(Vec<(Raw, Raw)>),
    /// Something that is not a table.
    NotATable(Raw),
}

impl LuaOptions {
    /// The options checked: `nil` is every default, a table is read as
    /// [`defs::read`] reads pairs, and anything else, or a key that is not
    /// a string, is refused. `allowed` says which options this call takes.
    pub fn read(self, allowed: impl Fn(&Def) -> bool) -> Result<Options, OptionError> {
        let pairs = match self {
            LuaOptions::Nil => Vec::new(),
            LuaOptions::Table(pairs) => pairs,
            LuaOptions::NotATable(value) => {
                return Err(OptionError::new(
                    "",
                    format!("options must be a table, got {}", value.type_name()),
                ));
            }
        };
        let mut keyed = Vec::with_capacity(pairs.len());
        for (key, value) in pairs {
            match key {
                Raw::Str(name) => keyed.push((String::from_utf8_lossy(&name).into_owned(), value)),
                other => return Err(OptionError::unknown(&other.to_string())),
            }
        }
        defs::read(keyed, allowed)
    }
}
