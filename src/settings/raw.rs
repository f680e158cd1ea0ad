//! An option's value as a front received it, before it is checked: the
//! shapes a Lua value can take, which also hold what a flag's text or a
//! configuration file's value says. Each front turns its input into a
//! [`Raw`] (src/front/: a flag's text, a Lua value, a JSON request; the
//! file's values in src/settings/config/), and the option's definition
//! checks it ([`crate::settings::defs`]), so that a bad value reads the same
//! from every front.

use std::fmt;

/// A value as given.
#[derive(Clone, Debug, PartialEq)]
pub enum Raw {
    /// A whole number.
    Int(i64),
    /// Any other number.
    Num(f64),
    /// A string: file-system bytes, never decoded unless the option needs text.
    Str(Vec<u8>),
    /// A boolean.
    Bool(bool),
    /// An array.
    List(Vec<Raw>),
    /// Something else (a Lua function, userdata, a section of the file...),
    /// by its type name.
    Other(&'static str),
}

impl Raw {
    /// The name of its type, as Lua's `math.type`/`type` would say it
    /// (`integer` for a whole number).
    pub fn type_name(&self) -> &'static str {
        match self {
            Raw::Int(_) => "integer",
            Raw::Num(_) => "number",
            Raw::Str(_) => "string",
            Raw::Bool(_) => "boolean",
            Raw::List(_) => "table",
            Raw::Other(t) => t,
        }
    }

    /// A number with no fraction, as Lua's `math.tointeger` sees it: a
    /// float only within an integer's range (-2^63 to 2^63, the last
    /// excluded).
    pub fn whole(&self) -> Option<i64> {
        const LIMIT: f64 = 9_223_372_036_854_775_808.0; // 2^63
        match *self {
            Raw::Int(n) => Some(n),
            Raw::Num(n) if n.fract() == 0.0 && (-LIMIT..LIMIT).contains(&n) => Some(n as i64),
            _ => None,
        }
    }
}

/// How a message shows a value: as Lua's `tostring` would for numbers and
/// booleans, between quotes for strings, by type for anything else. A
/// string is shown as it is: the line it ends up in is escaped for the
/// terminal as a whole (src/text.rs), and a message given as data (JSON,
/// a Lua error) keeps the value as given.
impl fmt::Display for Raw {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Raw::Int(n) => write!(f, "{n}"),
            Raw::Num(n) if n.fract() == 0.0 && n.abs() < 1e15 => write!(f, "{n:.1}"),
            // As it was most likely written: `1e19`, not twenty digits.
            Raw::Num(n) if n.is_finite() && (n.abs() >= 1e15 || n.abs() < 1e-4) => {
                write!(f, "{n:e}")
            }
            Raw::Num(n) => write!(f, "{n}"),
            Raw::Str(s) => write!(f, "\"{}\"", String::from_utf8_lossy(s)),
            Raw::Bool(b) => write!(f, "{b}"),
            Raw::List(_) => f.write_str("a table"),
            Raw::Other(t) => write!(f, "a {t}"),
        }
    }
}
