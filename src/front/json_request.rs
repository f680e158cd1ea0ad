//! A request written as JSON: what `pycache request` reads, and what
//! `lua/pycache.lua` sends the program, so that a Lua table reaches the
//! engine as it would through `pycache.core` and the engine alone checks it.
//!
//! ```json
//! {"job": "update", "options": {"flavor": "py311", "touched": ["/usr/local/lib/python3.11/site-packages/six"]}}
//! ```
//!
//! - `job`: a name of [`Job::NAMED`] (`check`, `update`, `clean`, `compile`).
//! - `options`: an object, or an array of `[key, value]` pairs, which is
//!   what `lua/pycache.lua` sends (a Lua key need not be a string); absent
//!   or `null` for every default; anything else is refused as a Lua module
//!   refuses options that are not a table.
//! - `all`: `true` for every installed flavor (`--all`).
//!
//! A value is a string, a number (`2` is whole, `2.0` is not, as in Lua), a
//! boolean or an array. Bytes that are not UTF-8 are written `\udc80` to
//! `\udcff`, as the program writes them in its own JSON. What JSON has no
//! word for is an object: `{"number": "inf"}` (also `-inf`, `nan`), and
//! `{"type": "function"}` for a Lua value no option takes, shown by its
//! type in the message.
//!
//! A request is at most [`DEPTH_MAX`] arrays and objects deep; a deeper
//! one is refused after one pass over its bytes, before it is parsed (each
//! level is parsed again as a value of its own: a request 30,000 levels
//! deep cost time quadratic in its depth and then overflowed the stack).

use serde::Deserialize;
use serde::de::{Deserializer, Visitor};
use serde_json::value::RawValue;

use crate::cancel::Cancel;
use crate::error::Error;
use crate::front::lua_options::LuaOptions;
use crate::run::request::{Job, Request};
use crate::settings::raw::Raw;

/// Reads the request in `text`: a request that is not one is an
/// [`Error::Request`] naming what is wrong; its options are checked as
/// every front's are, so a bad value is an [`Error::Option`].
pub fn read(text: &[u8], cancel: &Cancel) -> Result<Request, Error> {
    let bad = |problem: String| Error::Request { problem };
    if too_deep(text) {
        return Err(bad(format!(
            "nested deeper than {DEPTH_MAX} levels, which no request is"
        )));
    }
    let wire: Wire =
        serde_json::from_slice(text).map_err(|e| bad(format!("not a request: {e}")))?;
    let job = Job::named(wire.job).ok_or_else(|| {
        let names: Vec<&str> = Job::NAMED.iter().map(|(name, _)| *name).collect();
        bad(format!(
            "unknown job \"{}\"; one of {}",
            wire.job,
            names.join(", ")
        ))
    })?;
    let given = match wire.options {
        None => LuaOptions::Nil,
        Some(raw) => given(raw).map_err(|e| bad(format!("options: {e}")))?,
    };
    let options = given.read(|_| true)?;
    let mut request = Request::new(job, options, cancel.clone());
    request.all = wire.all;
    Ok(request)
}

/// The deepest a request can be: the request, its options (an array of
/// pairs), a pair, a value's array, and an object naming what JSON cannot
/// say inside it (`[{"number": "inf"}]`). lua/pycache.lua writes no deeper
/// (a table inside an option's table is only named), and neither does any
/// request the module documentation describes.
pub const DEPTH_MAX: usize = 5;

/// Whether arrays and objects nest deeper than [`DEPTH_MAX`] in `text`:
/// brackets counted outside strings, in one pass that stops at the first
/// level too deep. Text that is not JSON is left to the parser.
fn too_deep(text: &[u8]) -> bool {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for &b in text {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > DEPTH_MAX {
                    return true;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Wire<'a> {
    job: &'a str,
    #[serde(borrow, default)]
    options: Option<&'a RawValue>,
    #[serde(default)]
    all: bool,
}

/// The options: an object, an array of pairs, or a value that is not a
/// table.
fn given(raw: &RawValue) -> Result<LuaOptions, String> {
    match first(raw) {
        b'{' => {
            let object: Vec<(Bytes, &RawValue)> = pairs_of_object(raw)?;
            (object.into_iter())
                .map(|(key, value)| Ok((Raw::Str(key.0), value_of(value)?)))
                .collect::<Result<_, String>>()
                .map(LuaOptions::Table)
        }
        b'[' => {
            let pairs: Vec<(&RawValue, &RawValue)> =
                serde_json::from_str(raw.get()).map_err(|e| e.to_string())?;
            (pairs.into_iter())
                .map(|(key, value)| Ok((value_of(key)?, value_of(value)?)))
                .collect::<Result<_, String>>()
                .map(LuaOptions::Table)
        }
        b'n' => Ok(LuaOptions::Nil),
        _ => value_of(raw).map(LuaOptions::NotATable),
    }
}

/// An object's members in their order, keys as bytes.
fn pairs_of_object(raw: &RawValue) -> Result<Vec<(Bytes, &RawValue)>, String> {
    struct Members<'a>(Vec<(Bytes, &'a RawValue)>);
    impl<'de: 'a, 'a> Deserialize<'de> for Members<'a> {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V<'a>(std::marker::PhantomData<&'a ()>);
            impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
                type Value = Members<'a>;
                fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                    f.write_str("an object")
                }
                fn visit_map<M: serde::de::MapAccess<'de>>(
                    self,
                    mut map: M,
                ) -> Result<Members<'a>, M::Error> {
                    let mut out = Vec::new();
                    while let Some(entry) = map.next_entry::<Bytes, &'de RawValue>()? {
                        out.push(entry);
                    }
                    Ok(Members(out))
                }
            }
            d.deserialize_map(V(std::marker::PhantomData))
        }
    }
    let members: Members = serde_json::from_str(raw.get()).map_err(|e| e.to_string())?;
    Ok(members.0)
}

/// One value (see the module documentation).
fn value_of(raw: &RawValue) -> Result<Raw, String> {
    let text = raw.get();
    let json = |e: serde_json::Error| e.to_string();
    Ok(match first(raw) {
        b'"' => Raw::Str(serde_json::from_str::<Bytes>(text).map_err(json)?.0),
        b'[' => {
            let items: Vec<&RawValue> = serde_json::from_str(text).map_err(json)?;
            Raw::List(items.into_iter().map(value_of).collect::<Result<_, _>>()?)
        }
        b'{' => {
            #[derive(Deserialize)]
            #[serde(deny_unknown_fields)]
            struct Word<'a> {
                number: Option<&'a str>,
                #[serde(rename = "type")]
                lua_type: Option<&'a str>,
            }
            let word: Word = serde_json::from_str(text).map_err(json)?;
            match (word.number, word.lua_type) {
                (Some("inf"), None) => Raw::Num(f64::INFINITY),
                (Some("-inf"), None) => Raw::Num(f64::NEG_INFINITY),
                (Some("nan"), None) => Raw::Num(f64::NAN),
                (None, Some(name)) => Raw::Other(lua_type(name)),
                _ => return Err(format!("{text}: not a value")),
            }
        }
        b't' | b'f' => Raw::Bool(serde_json::from_str(text).map_err(json)?),
        _ => match serde_json::from_str::<i64>(text) {
            Ok(n) => Raw::Int(n),
            Err(_) => Raw::Num(serde_json::from_str::<f64>(text).map_err(json)?),
        },
    })
}

/// A Lua type's name, as a value no option takes is shown.
fn lua_type(name: &str) -> &'static str {
    const NAMES: [&str; 6] = [
        "function",
        "userdata",
        "lightuserdata",
        "thread",
        "table",
        "nil",
    ];
    NAMES
        .iter()
        .find(|n| **n == name)
        .copied()
        .unwrap_or("value")
}

fn first(raw: &RawValue) -> u8 {
    raw.get().bytes().next().unwrap_or(b'n')
}

/// A JSON string as bytes: `\udc80`..`\udcff` are the bytes 0x80..0xff
/// that are not UTF-8 (what Python calls surrogateescape). serde_json
/// hands a lone surrogate to a byte visitor as its three-byte encoding.
struct Bytes(Vec<u8>);

impl<'de> Deserialize<'de> for Bytes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Bytes, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Bytes;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<Bytes, E> {
                crate::front::surrogate::decode(v)
                    .map(Bytes)
                    .map_err(E::custom)
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Bytes, E> {
                Ok(Bytes(v.as_bytes().to_vec()))
            }
        }
        d.deserialize_bytes(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(json: &str) -> Result<crate::settings::options::Options, Error> {
        read(
            format!(r#"{{"job":"check","options":{json}}}"#).as_bytes(),
            &Cancel::new(),
        )
        .map(|r| r.options)
    }

    #[test]
    fn bytes_that_are_not_utf8_come_through() {
        let o = options(r#"{"touched":["/a/\udcff\u00e9", "/b"]}"#).unwrap();
        assert_eq!(
            o.touched.unwrap()[0].as_os_str().as_encoded_bytes(),
            b"/a/\xff\xc3\xa9"
        );
        let e = options(r#"{"touched":["/a/\udc41"]}"#)
            .unwrap_err()
            .message();
        assert!(
            e.starts_with("request: options: a surrogate that stands for no byte"),
            "{e}"
        );
    }

    #[test]
    fn values_are_checked_by_the_engine_with_its_words() {
        let cases = [
            (
                r#"[["jobs", 2.5]]"#,
                "jobs: must be a whole number >= 0 (0: one per core), got 2.5",
            ),
            (
                r#"[["levels", [0, 1.5]]]"#,
                "levels: must be 0, 1 or 2, got 1.5",
            ),
            (r#"[[1, 2]]"#, "1: unknown option"),
            (
                r#"[["verify", {"type": "function"}]]"#,
                "verify: must be true or false, got a function",
            ),
            (
                r#"[["timeout", {"number": "-inf"}]]"#,
                "timeout: must be a number of seconds > 0 and <= 86400, got -inf",
            ),
            (r#""x""#, "options must be a table, got string"),
            (r#"5"#, "options must be a table, got integer"),
            (r#"{"jbos": 1}"#, "jbos: unknown option"),
        ];
        for (json, message) in cases {
            assert_eq!(options(json).unwrap_err().message(), message, "{json}");
        }
        assert!(options("null").is_ok());
        let o = options(r#"{"site_packages":"/sp","verify":true,"timeout":0.5}"#).unwrap();
        assert_eq!(
            o.selection.site_packages.as_deref(),
            Some(std::path::Path::new("/sp"))
        );
    }

    #[test]
    fn a_request_deeper_than_any_is_refused_before_it_is_parsed() {
        let request = |options: &str| format!(r#"{{"job":"check","options":{options}}}"#);
        let deep = |n: usize| {
            request(&format!(
                r#"[["levels",{}{}]]"#,
                "[".repeat(n),
                "]".repeat(n)
            ))
        };
        let refused = "request: nested deeper than 5 levels, which no request is; \
                       the pycache program and lua/pycache.lua must come from the same pycache: \
                       reinstall pycache";
        for text in [
            deep(3),
            deep(30_000),
            deep(1_000_000),
            "[".repeat(1_000_000),
        ] {
            let e = read(text.as_bytes(), &Cancel::new()).unwrap_err();
            assert_eq!(e.message(), refused, "{}", &text[..40]);
        }
        // The deepest a request is: read, and its value judged by the engine.
        let e = read(
            request(r#"[["levels",[{"number":"inf"}]]]"#).as_bytes(),
            &Cancel::new(),
        );
        assert_eq!(
            e.unwrap_err().message(),
            "levels: must be 0, 1 or 2, got inf"
        );
        let e = read(deep(2).as_bytes(), &Cancel::new()).unwrap_err();
        assert_eq!(e.message(), "levels: must be 0, 1 or 2, got a table");
        // Brackets in a string are no level, an escaped quote ends none.
        let o = options(r#"{"touched":["[[[[[[", "\"[[[[[[\\", "{{{{{{"]}"#).unwrap();
        assert_eq!(o.touched.unwrap().len(), 3);
    }

    #[test]
    fn a_request_that_is_not_one_says_so() {
        for (text, start) in [
            (
                r#"{"job":"updte"}"#,
                r#"request: unknown job "updte"; one of check, update"#,
            ),
            (
                r#"{"job":"check","extra":1}"#,
                "request: not a request: unknown field `extra`",
            ),
            ("{", "request: not a request: EOF"),
        ] {
            let e = read(text.as_bytes(), &Cancel::new()).unwrap_err();
            assert_eq!(e.kind(), crate::error::ErrorKind::Request, "{text}");
            let e = e.message();
            assert!(e.starts_with(start), "{text}: {e}");
            assert!(e.ends_with("reinstall pycache"), "{e}");
        }
    }
}
