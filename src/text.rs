//! Text for a terminal: every line the program prints, and every line of a
//! report (`lines`, what pycache.lua prints), is shown through [`shown`],
//! so that nothing a file name (or a file's contents, or an interpreter's
//! stderr) holds can act on the terminal of the root who reads it.
//!
//! A package or the owner of a directory below site-packages chooses its
//! file names: ESC starts a sequence that clears the screen or sets the
//! window title, a carriage return prints over a failure line, a newline
//! forges a line of its own, and a bidirectional override makes a name read
//! backwards. [`ESCAPED`] lists what is escaped: C0 and DEL, C1 (which an
//! 8-bit terminal takes as ESC sequences: U+009B is CSI), the bidirectional
//! marks, embeddings, overrides and isolates, and the line and paragraph
//! separators. A backslash is escaped too, so that an escape can never be
//! confused with a name that spells one. The forms are Rust's:
//!
//! | character | shown |
//! |---|---|
//! | `\` | `\\` |
//! | tab, newline, carriage return | `\t`, `\n`, `\r` |
//! | any other C0, DEL | `\x1b`, `\x7f` |
//! | C1, bidirectional, separators | `\u{9b}`, `\u{202e}` |
//!
//! Bytes of a path that are not UTF-8 never reach this module raw: paths
//! become text through `Path::display`, which shows each as U+FFFD (the JSON
//! report keeps them, as `\udcXX`). lua/pycache.lua escapes its own lines
//! with the same rules (its copy of [`ESCAPED`] is written by
//! [`lua_table`]; tests/definitions.rs keeps it equal), and shows a byte
//! that is not UTF-8 as U+FFFD too.

use std::borrow::Cow;
use std::fmt::Write as _;

/// The characters escaped, as inclusive ranges: C0, DEL and C1; U+061C
/// (Arabic letter mark); U+200E and U+200F (left-to-right and right-to-left
/// marks); U+2028 to U+202E (line and paragraph separators, the embeddings,
/// pop and overrides); U+2066 to U+2069 (the isolates).
pub const ESCAPED: &[(char, char)] = &[
    ('\u{0}', '\u{1f}'),
    ('\u{7f}', '\u{9f}'),
    ('\u{61c}', '\u{61c}'),
    ('\u{200e}', '\u{200f}'),
    ('\u{2028}', '\u{202e}'),
    ('\u{2066}', '\u{2069}'),
];

/// Whether `c` is one of [`ESCAPED`].
pub fn is_escaped(c: char) -> bool {
    ESCAPED.iter().any(|&(low, high)| (low..=high).contains(&c))
}

/// `text` as a terminal may show it: a backslash and every character of
/// [`ESCAPED`] written as an escape (module documentation). Text with
/// neither is returned as it is.
pub fn shown(text: &str) -> Cow<'_, str> {
    escape(text, true)
}

/// `text` written in a format that escapes its own strings, with
/// backslashes of its own (`pycache config`'s UCL): only the characters of
/// [`ESCAPED`] the format left are escaped, and backslashes stay, so the
/// text still reads back as the format.
pub fn shown_in_format(text: &str) -> Cow<'_, str> {
    escape(text, false)
}

fn escape(text: &str, backslash: bool) -> Cow<'_, str> {
    let needs = |c: char| is_escaped(c) || (backslash && c == '\\');
    if !text.chars().any(needs) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            c if !needs(c) => out.push(c),
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if c.is_ascii() => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
        }
    }
    Cow::Owned(out)
}

/// [`ESCAPED`] as the Lua table lua/pycache.lua escapes its own lines
/// with, the text between its `-- BEGIN escaped` and `-- END escaped`
/// markers.
pub fn lua_table() -> String {
    let mut out = String::from("local ESCAPED = {\n");
    for &(low, high) in ESCAPED {
        let _ = writeln!(out, "  {{ 0x{:x}, 0x{:x} }},", low as u32, high as u32);
    }
    out.push('}');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_a_terminal_acts_on_is_escaped_and_nothing_else() {
        assert_eq!(
            shown("a\u{1b}]0;owned\u{7}b\rc\nd\te\u{7f}f\u{9b}2Jg\u{202e}yp.\\x"),
            "a\\x1b]0;owned\\x07b\\rc\\nd\\te\\x7ff\\u{9b}2Jg\\u{202e}yp.\\\\x"
        );
        for c in [
            '\u{0}', '\u{80}', '\u{85}', '\u{61c}', '\u{200f}', '\u{2028}', '\u{2069}',
        ] {
            assert!(
                is_escaped(c) && shown(&c.to_string()).starts_with('\\'),
                "{c:?}"
            );
        }
        // Printable text, however far from ASCII, is left alone.
        for text in [
            "café/ü.py",
            "日本語",
            "\u{a0}\u{ad}\u{200b}\u{fffd}",
            "\u{202f}",
            "",
        ] {
            assert!(
                matches!(shown(text), Cow::Borrowed(t) if t == text),
                "{text:?}"
            );
        }
        assert_eq!(shown_in_format("\"a\\\\b\"\u{1b}"), "\"a\\\\b\"\\x1b");
    }

    #[test]
    fn the_lua_copy_lists_every_range() {
        assert_eq!(
            lua_table(),
            "local ESCAPED = {\n  { 0x0, 0x1f },\n  { 0x7f, 0x9f },\n  { 0x61c, 0x61c },\n  \
             { 0x200e, 0x200f },\n  { 0x2028, 0x202e },\n  { 0x2066, 0x2069 },\n}"
        );
    }
}
