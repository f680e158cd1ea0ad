//! The one serializer: a report (or any part of a response) written in a
//! [`Form`] given as an argument, through serde, for serde_json and for
//! mlua alike. The forms differ in two things only: how a path is written
//! (a JSON string with `\udcXX` escapes, or the raw bytes a Lua string
//! holds) and whether the lists of paths are left out (the summary).

use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use serde::ser::{Error as _, SerializeSeq, SerializeStruct};
use serde::{Serialize, Serializer};
use serde_json::value::RawValue;

use crate::bytecode::pyc::InvalidationMode;
use crate::error::Failure;
use crate::run::explain::{Explained, Explanation, Fields, LevelExplained, Owner};
use crate::run::report::{Compiled, Pending, PythonInfo, Report};
use crate::text::is_escaped;

/// How a response is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Form {
    /// JSON, every field (`--json`).
    Json,
    /// JSON without the lists of paths (`--json-summary`, what pkg
    /// triggers read: removing a large package would otherwise send every
    /// removed path through pkg's pipe and Lua's JSON reader, for nothing).
    JsonSummary,
    /// Lua values (`pycache.core`): paths as their raw bytes.
    Lua,
}

impl Form {
    fn summary(self) -> bool {
        self == Form::JsonSummary
    }
}

/// `value` to be serialized in `form`.
pub struct InForm<'a, T: ?Sized> {
    /// What is written.
    pub value: &'a T,
    /// How.
    pub form: Form,
}

impl<'a, T: ?Sized> InForm<'a, T> {
    /// `value` in `form`.
    pub fn new(value: &'a T, form: Form) -> InForm<'a, T> {
        InForm { value, form }
    }

    /// One line of JSON (in a JSON form), strings written as
    /// `TerminalSafe` says (DEL, C1 and the bidirectional overrides escaped).
    pub fn to_json(&self) -> String
    where
        Self: Serialize,
    {
        let mut out = Vec::new();
        self.serialize(&mut serde_json::Serializer::with_formatter(
            &mut out,
            TerminalSafe,
        ))
        .expect("a response always serializes");
        String::from_utf8(out).expect("serde_json writes UTF-8")
    }

    fn of<U: ?Sized>(&self, value: &'a U) -> InForm<'a, U> {
        InForm {
            value,
            form: self.form,
        }
    }
}

/// serde_json's compact JSON, with every character of
/// [`crate::text::ESCAPED`] in a string written as `\uXXXX`: serde_json
/// escapes C0 only, and leaves DEL, C1 and the bidirectional overrides raw,
/// which a terminal showing the JSON would act on. A reader gets the same
/// string back either way.
struct TerminalSafe;

impl serde_json::ser::Formatter for TerminalSafe {
    fn write_string_fragment<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        let mut start = 0;
        for (at, c) in fragment.char_indices() {
            if is_escaped(c) {
                writer.write_all(&fragment.as_bytes()[start..at])?;
                write!(writer, "\\u{:04x}", c as u32)?;
                start = at + c.len_utf8();
            }
        }
        writer.write_all(&fragment.as_bytes()[start..])
    }
}

impl Serialize for InForm<'_, Path> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.form {
            Form::Lua => s.serialize_bytes(self.value.as_os_str().as_bytes()),
            Form::Json | Form::JsonSummary => RawValue::from_string(json_string(self.value))
                .map_err(S::Error::custom)?
                .serialize(s),
        }
    }
}

impl Serialize for InForm<'_, PathBuf> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.of(self.value.as_path()).serialize(s)
    }
}

impl Serialize for InForm<'_, [PathBuf]> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.value.len()))?;
        for path in self.value {
            seq.serialize_element(&self.of(path.as_path()))?;
        }
        seq.end()
    }
}

impl Serialize for InForm<'_, Option<PathBuf>> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.value {
            Some(path) => self.of(path.as_path()).serialize(s),
            None => s.serialize_none(),
        }
    }
}

impl Serialize for InForm<'_, Option<Vec<PathBuf>>> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.value {
            Some(paths) => self.of(paths.as_slice()).serialize(s),
            None => s.serialize_none(),
        }
    }
}

impl<T> Serialize for InForm<'_, Vec<T>>
where
    for<'a> InForm<'a, T>: Serialize,
{
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.value.len()))?;
        for item in self.value {
            seq.serialize_element(&self.of(item))?;
        }
        seq.end()
    }
}

impl Serialize for InForm<'_, Failure> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Failure", 2)?;
        st.serialize_field("path", &self.of(self.value.path.as_path()))?;
        st.serialize_field("reason", &self.value.reason)?;
        st.end()
    }
}

impl Serialize for InForm<'_, Pending> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Pending", 2)?;
        st.serialize_field("path", &self.of(self.value.path.as_path()))?;
        st.serialize_field("levels", &self.value.levels)?;
        st.end()
    }
}

impl Serialize for InForm<'_, Compiled> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Compiled", 2)?;
        st.serialize_field("path", &self.of(self.value.path.as_path()))?;
        st.serialize_field("levels", &self.value.levels)?;
        st.end()
    }
}

impl Serialize for InForm<'_, PythonInfo> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let p = self.value;
        let mut st = s.serialize_struct("PythonInfo", 9)?;
        st.serialize_field("version", &p.version)?;
        st.serialize_field("tag", &p.tag)?;
        st.serialize_field("interpreter", &self.of(p.interpreter.as_path()))?;
        st.serialize_field("site_packages", &self.of(p.site_packages.as_path()))?;
        st.serialize_field("stdlib", &self.of(&p.stdlib))?;
        st.serialize_field("directory", &self.of(p.directory.as_path()))?;
        st.serialize_field("root", &self.of(&p.root))?;
        st.serialize_field("magic", &p.magic)?;
        st.serialize_field("magic_from", &p.magic_from)?;
        st.end()
    }
}

impl Serialize for InForm<'_, Report> {
    /// The fields in the order of the schema (src/run/report.rs).
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let r = self.value;
        let summary = self.form.summary();
        let mut st = s.serialize_struct("Report", 29)?;
        st.serialize_field("schema", &r.schema)?;
        st.serialize_field("command", &r.command)?;
        st.serialize_field("dry_run", &r.dry_run)?;
        st.serialize_field("python", &self.of(&r.python))?;
        st.serialize_field("config", &self.of(&r.config))?;
        // The lists of paths, which the summary leaves out.
        macro_rules! paths {
            ($($name:ident),*) => {$(
                if summary {
                    st.skip_field(stringify!($name))?;
                } else {
                    st.serialize_field(stringify!($name), &self.of(&r.$name))?;
                }
            )*};
        }
        paths!(touched);
        st.serialize_field("sources", &r.sources)?;
        st.serialize_field("fresh", &r.fresh)?;
        paths!(
            to_compile,
            compiled,
            orphans,
            empty_dirs,
            removed_files,
            removed_dirs,
            to_prune,
            pruned
        );
        st.serialize_field("pruned_bytes", &r.pruned_bytes)?;
        st.serialize_field("failures", &self.of(&r.failures))?;
        st.serialize_field("error", &r.stop.as_ref().map(ToString::to_string))?;
        match &r.stop {
            Some(stop) => st.serialize_field("error_kind", stop.error.kind().name())?,
            None => st.skip_field("error_kind")?,
        }
        st.serialize_field("warnings", &r.warnings)?;
        st.serialize_field("notes", &r.notes)?;
        st.serialize_field("interpreters_started", &r.interpreters_started)?;
        st.serialize_field("elapsed_ms", &r.elapsed_ms)?;
        st.serialize_field("levels", &r.levels)?;
        st.serialize_field("lines", &r.lines)?;
        st.serialize_field("exit_code", &r.exit_code)?;
        st.end()
    }
}

impl Serialize for InForm<'_, Explanation> {
    /// The fields in the order of the schema (src/run/explain.rs); the
    /// summary form is the whole.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let e = self.value;
        let mut st = s.serialize_struct("Explanation", 10)?;
        st.serialize_field("schema", &1)?;
        st.serialize_field("command", "explain")?;
        st.serialize_field("python", &self.of(&e.python))?;
        st.serialize_field("levels", &e.levels)?;
        st.serialize_field("files", &self.of(&e.files))?;
        st.serialize_field("failures", &self.of(&e.failures))?;
        st.serialize_field("warnings", &e.warnings)?;
        st.serialize_field("notes", &e.notes)?;
        st.serialize_field("interpreters_started", &e.interpreters_started)?;
        st.serialize_field("exit_code", &e.exit_code)?;
        st.end()
    }
}

impl Serialize for InForm<'_, Explained> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let f = self.value;
        let mut st = s.serialize_struct("Explained", 16)?;
        st.serialize_field("path", &self.of(f.path.as_path()))?;
        st.serialize_field("type", f.file_type.as_str())?;
        st.serialize_field("kind", f.kind.as_str())?;
        st.serialize_field("state", f.state.as_str())?;
        st.serialize_field("reason", &f.reason)?;
        st.serialize_field("in_sync", &f.state.in_sync())?;
        st.serialize_field("source", &self.of(&f.source))?;
        st.serialize_field("tag", &f.tag)?;
        st.serialize_field("owner", &f.owner.map(Owner::as_str))?;
        st.serialize_field("version", &f.version)?;
        st.serialize_field("installed", &f.installed)?;
        st.serialize_field("level", &f.level)?;
        st.serialize_field("header", &f.header.as_ref().map(|h| self.of(h)))?;
        st.serialize_field("levels", &self.of(&f.levels))?;
        st.serialize_field("notes", &f.notes)?;
        st.end()
    }
}

impl Serialize for InForm<'_, LevelExplained> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let l = self.value;
        let mut st = s.serialize_struct("LevelExplained", 7)?;
        st.serialize_field("level", &l.level)?;
        st.serialize_field("path", &self.of(l.path.as_path()))?;
        st.serialize_field("type", l.file_type.as_str())?;
        st.serialize_field("state", l.state.as_str())?;
        st.serialize_field("reason", &l.reason)?;
        st.serialize_field("in_sync", &l.state.in_sync())?;
        st.serialize_field("header", &l.header.as_ref().map(|h| self.of(h)))?;
        st.end()
    }
}

impl Serialize for InForm<'_, Fields> {
    /// Numbers as numbers, byte strings (magic numbers, hashes) in hex as
    /// a pyc holds them; `null` for what was not read or not compared.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let f = self.value;
        let hex = |bytes: &[u8]| bytes.iter().map(|b| format!("{b:02x}")).collect::<String>();
        let header = f.header.as_ref();
        let timestamp = header.and_then(|h| h.mode()) == Some(InvalidationMode::Timestamp);
        let hashed = header.and_then(|h| h.mode()).is_some() && !timestamp;
        let mut st = s.serialize_struct("Fields", 13)?;
        st.serialize_field("magic", &f.magic.map(|m| hex(&m)))?;
        st.serialize_field(
            "magic_number",
            &f.magic.map(|m| u16::from_le_bytes([m[0], m[1]])),
        )?;
        st.serialize_field(
            "magic_release",
            &f.magic
                .and_then(|m| crate::bytecode::magic::release(&m))
                .map(|minor| format!("3.{minor}")),
        )?;
        st.serialize_field("expected_magic", &f.expected_magic.map(|m| hex(&m)))?;
        st.serialize_field("flags", &header.and_then(|h| h.flags))?;
        st.serialize_field("mode", &header.and_then(|h| h.mode()).map(|m| m.as_str()))?;
        st.serialize_field("mtime", &header.filter(|_| timestamp).map(|h| h.mtime()))?;
        st.serialize_field("source_mtime", &f.source_mtime.filter(|_| timestamp))?;
        st.serialize_field("size", &header.filter(|_| timestamp).map(|h| h.size()))?;
        st.serialize_field("source_size", &f.source_size.filter(|_| timestamp))?;
        st.serialize_field("hash", &header.filter(|_| hashed).map(|h| hex(&h.stamp)))?;
        st.serialize_field("source_hash", &f.source_hash.map(|h| hex(&h)))?;
        st.end()
    }
}

impl Report {
    /// The report as one line of JSON (schema in the module docs).
    pub fn to_json(&self) -> String {
        InForm::new(self, Form::Json).to_json()
    }

    /// The report as JSON without its lists of paths ([`Form::JsonSummary`]).
    pub fn to_json_summary(&self) -> String {
        InForm::new(self, Form::JsonSummary).to_json()
    }
}

/// A path as a JSON string ([`crate::front::surrogate::encode`]).
fn json_string(path: &Path) -> String {
    let mut out = String::with_capacity(path.as_os_str().len() + 2);
    out.push('"');
    crate::front::surrogate::encode(path.as_os_str().as_bytes(), &mut out);
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsStr;

    #[test]
    fn json_paths_keep_every_byte() {
        let p = Path::new(OsStr::from_bytes(b"/a\"b\\c\nd\xff\xc3\xa9"));
        assert_eq!(json_string(p), r#""/a\"b\\c\u000ad\udcffé""#);
    }

    #[test]
    fn json_shows_a_terminal_nothing_it_acts_on() {
        let odd = "\u{1b}[2J\u{7f}\u{9b}\u{202e}é\u{2069}";
        let written = r#""\u001b[2J\u007f\u009b\u202eé\u2069""#;
        assert_eq!(json_string(Path::new(odd)), written);
        let failure = Failure::new(Path::new(odd), odd.into());
        assert_eq!(
            InForm::new(&failure, Form::Json).to_json(),
            format!(r#"{{"path":{written},"reason":{written}}}"#)
        );
        assert_eq!(serde_json::from_str::<String>(written).unwrap(), odd);
    }
}
