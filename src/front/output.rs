//! The program's output forms: a response written as text (summary lines on
//! stdout, every error as one line on stderr) or as JSON, in one place.

use std::io::{self, Write};

use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};

use crate::error::Error;
use crate::front::serialize::{Form, InForm};
use crate::run::report::Report;
use crate::run::request::{Failed, Response};
use crate::settings::defs::Def;
use crate::text::{shown, shown_in_format};

/// How a program writes a response.
#[derive(Clone, Copy, Debug, Default)]
pub struct Output {
    /// JSON (`--json`, `--json-summary`) instead of text on stdout.
    pub json: Option<Form>,
    /// How text is written (the error lines on stderr, with JSON too).
    pub text: Text,
}

/// How the program writes a response as text.
#[derive(Clone, Copy, Debug, Default)]
pub struct Text {
    /// Also what was found or done file by file, and notes.
    pub verbose: bool,
    /// Only failures (no summary line).
    pub quiet: bool,
    /// How this front spells an option, added to the message of a value it
    /// does not take: the program's flag (`--jobs`).
    pub spelling: Option<fn(&Def) -> Option<String>>,
}

/// Writes `response` as a program does: reports and settings on `out` (as
/// text, or as JSON in a JSON form), and every error as a line on `err`
/// (with JSON, the error is on `out` too). Every line of text is shown as
/// [`crate::text`] says: a report's lines are ([`Report::render`]), error
/// lines here, and the settings' UCL with its own quoting.
pub fn write(
    response: &Response,
    output: Output,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<()> {
    let text = output.text;
    if let Some(form) = output.json {
        out.write_all(to_json(response, form).as_bytes())?;
        return write_errors(response, text, err);
    }
    match response {
        Response::Report(report) => write_report(report, text, out, err),
        Response::Explained(explained) => {
            for line in explained.render(text.verbose, text.quiet) {
                writeln!(out, "{}", shown(&line))?;
            }
            Ok(())
        }
        Response::Each { prefix, each, .. } => {
            if each.is_empty() {
                let line = format!(">=> no Python flavor installed under {}", prefix.display());
                writeln!(out, "{}", shown(&line))?;
            }
            for (_, result) in each {
                match result {
                    Ok(report) => write_report(report, text, out, err)?,
                    Err(failed) => error_line(err, &failed.error, "")?,
                }
            }
            Ok(())
        }
        Response::Settings { each, key } => {
            for effective in each {
                let text = match key {
                    Some(key) => (effective.value(key)).expect("checked in answer"),
                    None => effective.render(),
                };
                for line in text.split_terminator('\n') {
                    writeln!(out, "{}", shown_in_format(line))?;
                }
            }
            Ok(())
        }
        Response::Info(_) | Response::Freshness(_) => {
            out.write_all(to_json(response, Form::Json).as_bytes())
        }
        Response::Failed(_) => write_errors(response, text, err),
    }
}

fn write_errors(response: &Response, text: Text, err: &mut dyn Write) -> io::Result<()> {
    match response {
        Response::Failed(failed) => {
            let flag = match (&failed.error, text.spelling) {
                (Error::Option(e), Some(spelling)) => e.def().and_then(spelling),
                _ => None,
            };
            let flag = flag.map(|f| format!(" ({f})")).unwrap_or_default();
            error_line(err, &failed.error, &flag)
        }
        Response::Each { each, .. } => {
            for (_, result) in each {
                if let Err(failed) = result {
                    error_line(err, &failed.error, "")?;
                }
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// `response` as JSON in `form` (whole or summary), ending with a
/// newline: one object, or an array of them for `all`.
pub fn to_json(response: &Response, form: Form) -> String {
    match response {
        Response::Each { each, .. } => {
            let items: Vec<String> = (each.iter())
                .map(|(flavor, result)| match result {
                    Ok(report) => InForm::new(report, form).to_json(),
                    Err(failed) => {
                        let flavor = flavor.name();
                        InForm::new(&(Some(flavor), failed), form).to_json()
                    }
                })
                .collect();
            format!("[{}]\n", items.join(",\n"))
        }
        Response::Settings { each, key } => {
            let items: Vec<String> = (each.iter()).map(|e| e.to_json(key.as_deref())).collect();
            match items.as_slice() {
                [one] => format!("{one}\n"),
                _ => format!("[{}]\n", items.join(",\n")),
            }
        }
        Response::Failed(failed) => InForm::new(&(None, failed), form).to_json() + "\n",
        _ => InForm::new(response, form).to_json() + "\n",
    }
}

/// `pycache: ERROR` and what follows it, as one line of text.
fn error_line(err: &mut dyn Write, error: &Error, after: &str) -> io::Result<()> {
    let line = format!("pycache: {}{after}", error.message());
    writeln!(err, "{}", shown(&line))
}

/// A report as text: its lines on `out`, but for the line of what kept it
/// from finishing, the last, which goes to `err` as every fatal error does
/// (one short line: a reader of `out` to its end, as pkg's `exec_capture`
/// is, never blocks on it).
fn write_report(
    report: &Report,
    text: Text,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<()> {
    let mut lines = report.render(text.verbose);
    let error = report.stop.as_ref().and_then(|_| lines.pop());
    if text.quiet {
        lines.remove(0);
    }
    if !lines.is_empty() {
        writeln!(out, "{}", lines.join("\n"))?;
    }
    match error {
        Some(line) => writeln!(err, "{line}"),
        None => Ok(()),
    }
}

/// An error as JSON and Lua see it: `{error, exit_code, [flavor], kind,
/// schema}` (the fields in this order, as the program has always written
/// them).
impl Serialize for InForm<'_, (Option<String>, &Failed)> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (flavor, failed) = self.value;
        let mut st = s.serialize_struct("Failed", 5)?;
        st.serialize_field("error", &failed.error.message())?;
        st.serialize_field("exit_code", &failed.exit_code)?;
        match flavor {
            Some(flavor) => st.serialize_field("flavor", flavor)?,
            None => st.skip_field("flavor")?,
        }
        st.serialize_field("kind", failed.error.kind().name())?;
        st.serialize_field("schema", &1)?;
        st.end()
    }
}

/// A response as serde sees it: for Lua (`pycache.core`) and for the JSON
/// of one object.
impl Serialize for InForm<'_, Response> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.value {
            Response::Report(report) => InForm::new(&**report, self.form).serialize(s),
            Response::Info(info) => InForm::new(info, self.form).serialize(s),
            Response::Explained(explained) => InForm::new(&**explained, self.form).serialize(s),
            Response::Freshness(levels) => levels.serialize(s),
            Response::Failed(failed) => InForm::new(&(None, failed), self.form).serialize(s),
            Response::Each { .. } | Response::Settings { .. } => {
                let json: serde_json::Value = serde_json::from_str(&to_json(self.value, self.form))
                    .map_err(serde::ser::Error::custom)?;
                json.serialize(s)
            }
        }
    }
}
