//! Rendering of ports-style `%%VAR%%` templates into pkg trigger files.
//!
//! The renderer is a small, dependency-free substitution on purpose: a trigger
//! file is a few dozen lines with a handful of paths in it, and the things
//! that can go wrong are few and specific (a placeholder nobody fills, a path
//! that would end a UCL string or a heredoc). A general template engine would
//! bring loops and filters we do not want in a file pkg executes as root, and
//! would still need every check below. So the template is parsed once,
//! strictly, and rendered in one pass into a string; nothing is written
//! until the whole file rendered, so there is never a half-rendered file.
//!
//! The renderer knows just enough UCL to be safe: it tracks `<<TERM` heredocs
//! so a value can never end one early, and refuses any value that would end
//! a quoted string, start an escape or a UCL variable, or change what a
//! `path_glob` pattern matches.
//!
//! # Example
//! ```
//! use std::path::Path;
//! use pycache::front::template::{Template, TriggerSettings, TRIGGER_TEMPLATE, TRIGGER_TEMPLATE_NAME};
//!
//! let template = Template::parse(TRIGGER_TEMPLATE_NAME, TRIGGER_TEMPLATE)?;
//! let flavor = pycache::Flavor::parse("py311")?;
//! let values = TriggerSettings::new(Path::new("/usr/local")).values(flavor)?;
//! let ucl = template.render(&values)?;
//! assert!(ucl.contains("\"/usr/local/lib/python3.11/*\""));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::run::report::Command;
use crate::run::trigger::failure_start;
use crate::settings::flavor::Flavor;

/// The trigger template shipped with pycache, embedded so `gen-triggers`
/// needs no data files.
pub const TRIGGER_TEMPLATE: &str = include_str!("../../templates/python-update-cache.ucl.in");

/// The file name error messages use for [`TRIGGER_TEMPLATE`].
pub const TRIGGER_TEMPLATE_NAME: &str = "python-update-cache.ucl.in";

/// Why a template could not be rendered. Every variant names the template
/// and the line, so the message points at what to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TemplateError {
    /// `%%` that does not close on the same line.
    #[error(
        "{template}:{line}: unterminated placeholder {text:?}: a placeholder is %%NAME%% on one line"
    )]
    Unterminated {
        /// Template name.
        template: String,
        /// 1-based line number in the template.
        line: usize,
        /// The text from the opening `%%` to the end of the line.
        text: String,
    },

    /// `%%...%%` whose name is not upper-case letters, digits and `_`.
    #[error(
        "{template}:{line}: malformed placeholder {text:?}: names are A-Z, 0-9 and _, starting with a letter, as in %%PYTHON_CMD%%"
    )]
    Malformed {
        /// Template name.
        template: String,
        /// 1-based line number in the template.
        line: usize,
        /// The offending `%%...%%` text.
        text: String,
    },

    /// A placeholder the caller has no value for.
    #[error("{template}:{line}: unknown placeholder %%{name}%%; known placeholders: {known}")]
    Unknown {
        /// Template name.
        template: String,
        /// 1-based line number in the template.
        line: usize,
        /// The placeholder's name.
        name: String,
        /// The names that do have values, comma-separated.
        known: String,
    },

    /// A placeholder whose value is empty.
    #[error("{template}:{line}: missing value for %%{name}%% (it is empty)")]
    MissingValue {
        /// Template name.
        template: String,
        /// 1-based line number in the template.
        line: usize,
        /// The placeholder's name.
        name: String,
    },

    /// A value that would break the UCL (or the Lua inside it) or change what
    /// a pattern matches.
    #[error("{template}:{line}: value {value:?} for %%{name}%% contains {reason}")]
    UnsafeValue {
        /// Template name.
        template: String,
        /// 1-based line number in the template.
        line: usize,
        /// The placeholder's name.
        name: String,
        /// The rejected value.
        value: String,
        /// What is wrong with it, in words.
        reason: String,
    },

    /// A `<<TERM` heredoc the template never closes.
    #[error("{template}:{line}: heredoc <<{terminator} is never closed by a line {terminator}")]
    UnterminatedHeredoc {
        /// Template name.
        template: String,
        /// Line of the `<<TERM` opening.
        line: usize,
        /// The terminator.
        terminator: String,
    },

    /// A path given for a value that is not valid UTF-8 or not absolute.
    #[error("{name}: {} {reason}", path.display())]
    BadPath {
        /// What the path is for (a placeholder name or option).
        name: String,
        /// The path.
        path: PathBuf,
        /// Why it cannot be used.
        reason: &'static str,
    },
}

#[derive(Debug, Clone)]
enum Part {
    Text(String),
    Var(String),
}

#[derive(Debug, Clone)]
struct Line {
    number: usize,
    parts: Vec<Part>,
    /// The heredoc terminator when this line is inside a heredoc body.
    heredoc: Option<String>,
}

/// A parsed template: text with `%%NAME%%` placeholders, checked for syntax
/// before anything is rendered.
#[derive(Debug, Clone)]
pub struct Template {
    name: String,
    lines: Vec<Line>,
}

impl Template {
    /// Parses `text`; `name` (usually the file name) prefixes every error.
    ///
    /// Fails on an unterminated or malformed placeholder and on a heredoc
    /// that is never closed.
    pub fn parse(name: &str, text: &str) -> Result<Template, TemplateError> {
        let mut lines = Vec::new();
        let mut open: Option<(String, usize)> = None;
        for (index, raw) in text.split('\n').enumerate() {
            let number = index + 1;
            let parts = parse_line(name, number, raw)?;
            let heredoc = match &open {
                Some((term, _)) if raw == term => {
                    open = None;
                    None
                }
                Some((term, _)) => Some(term.clone()),
                None => {
                    if let Some(term) = heredoc_opening(raw) {
                        open = Some((term.to_string(), number));
                    }
                    None
                }
            };
            lines.push(Line {
                number,
                parts,
                heredoc,
            });
        }
        if let Some((terminator, line)) = open {
            return Err(TemplateError::UnterminatedHeredoc {
                template: name.to_string(),
                line,
                terminator,
            });
        }
        Ok(Template {
            name: name.to_string(),
            lines,
        })
    }

    /// The names of every placeholder the template uses, sorted.
    pub fn placeholders(&self) -> BTreeSet<&str> {
        self.lines
            .iter()
            .flat_map(|l| &l.parts)
            .filter_map(|p| match p {
                Part::Var(v) => Some(v.as_str()),
                Part::Text(_) => None,
            })
            .collect()
    }

    /// Renders the template with `values` (placeholder name → value).
    ///
    /// Every placeholder must have a non-empty value that is safe where it is
    /// used; the first problem, in template order, is returned and nothing is
    /// rendered. Values are inserted verbatim, never rescanned. Values for
    /// names the template does not use are ignored.
    pub fn render(&self, values: &BTreeMap<String, String>) -> Result<String, TemplateError> {
        let mut out = String::new();
        for (i, line) in self.lines.iter().enumerate() {
            if i > 0 {
                out.push('\n');
            }
            for part in &line.parts {
                match part {
                    Part::Text(t) => out.push_str(t),
                    Part::Var(name) => {
                        let value = self.value(values, line, name)?;
                        out.push_str(value);
                    }
                }
            }
        }
        Ok(out)
    }

    fn value<'v>(
        &self,
        values: &'v BTreeMap<String, String>,
        line: &Line,
        name: &str,
    ) -> Result<&'v str, TemplateError> {
        let template = self.name.clone();
        let Some(value) = values.get(name) else {
            return Err(TemplateError::Unknown {
                template,
                line: line.number,
                name: name.to_string(),
                known: values.keys().cloned().collect::<Vec<_>>().join(", "),
            });
        };
        if value.is_empty() {
            return Err(TemplateError::MissingValue {
                template,
                line: line.number,
                name: name.to_string(),
            });
        }
        if let Some(reason) = unsafe_reason(value, line.heredoc.as_deref()) {
            return Err(TemplateError::UnsafeValue {
                template,
                line: line.number,
                name: name.to_string(),
                value: value.clone(),
                reason,
            });
        }
        Ok(value)
    }
}

/// Splits one template line into text and placeholders.
fn parse_line(template: &str, number: usize, raw: &str) -> Result<Vec<Part>, TemplateError> {
    let mut parts = Vec::new();
    let mut rest = raw;
    while let Some(start) = rest.find("%%") {
        if start > 0 {
            parts.push(Part::Text(rest[..start].to_string()));
        }
        let after = &rest[start + 2..];
        let Some(end) = after.find("%%") else {
            return Err(TemplateError::Unterminated {
                template: template.to_string(),
                line: number,
                text: rest[start..].to_string(),
            });
        };
        let name = &after[..end];
        if !is_placeholder_name(name) {
            return Err(TemplateError::Malformed {
                template: template.to_string(),
                line: number,
                text: format!("%%{name}%%"),
            });
        }
        parts.push(Part::Var(name.to_string()));
        rest = &after[end + 2..];
    }
    if !rest.is_empty() {
        parts.push(Part::Text(rest.to_string()));
    }
    Ok(parts)
}

fn is_placeholder_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    matches!(bytes.next(), Some(b'A'..=b'Z'))
        && bytes.all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
}

/// The terminator of a heredoc opened at the end of `line` (`key: <<EOS`),
/// following libucl: upper-case letters right after `<<`, then the newline.
fn heredoc_opening(line: &str) -> Option<&str> {
    let at = line.rfind("<<")?;
    let term = &line[at + 2..];
    (!term.is_empty() && term.bytes().all(|b| b.is_ascii_uppercase())).then_some(term)
}

/// Why `value` cannot be placed in a trigger file, or `None` when it can.
fn unsafe_reason(value: &str, heredoc: Option<&str>) -> Option<String> {
    if let Some(c) = value.chars().find(|c| c.is_control()) {
        let what = match c {
            '\n' => "a newline".to_string(),
            '\r' => "a carriage return".to_string(),
            '\t' => "a tab".to_string(),
            c => format!("the control character U+{:04X}", c as u32),
        };
        return Some(format!("{what}, which would split a UCL or Lua string"));
    }
    if value.contains('"') {
        return Some("a double quote, which would end a UCL or Lua string".into());
    }
    if value.contains('\\') {
        return Some("a backslash, which UCL and Lua read as an escape".into());
    }
    if value.contains('$') {
        return Some("a dollar sign, which UCL may expand as a variable".into());
    }
    if let Some(c) = value.chars().find(|c| matches!(c, '*' | '?' | '[' | ']')) {
        return Some(format!(
            "{c:?}, a glob character that would change what path_glob matches"
        ));
    }
    if value.contains("%%") {
        return Some("\"%%\", which would read as a placeholder".into());
    }
    if let Some(term) = heredoc.filter(|term| value.contains(term)) {
        return Some(format!(
            "the heredoc terminator {term}, which could end the script early"
        ));
    }
    None
}

/// Name of the trigger file rendered for `flavor`: `pycache-py311.ucl`.
///
/// The flavor is in the name so an admin sees in
/// `${LOCALBASE}/share/pkg/triggers` which Pythons are covered, and the
/// `pycache-` prefix keeps clear of triggers that Python ports ship.
pub fn trigger_file_name(flavor: Flavor) -> String {
    format!("pycache-{}.ucl", flavor.name())
}

/// Where things live on the target system, which decides every path a
/// rendered trigger contains.
///
/// `prefix` is where pycache itself is installed; `localbase` where Python
/// lives. Each derived path can be overridden, which is how tests point a
/// trigger at a temporary tree and a test build.
#[derive(Debug, Clone)]
pub struct TriggerSettings {
    prefix: PathBuf,
    localbase: Option<PathBuf>,
    lua_modsharedir: Option<PathBuf>,
    pycache_cmd: Option<PathBuf>,
}

impl TriggerSettings {
    /// Settings for pycache installed under `prefix` (usually `/usr/local`).
    pub fn new(prefix: &Path) -> TriggerSettings {
        TriggerSettings {
            prefix: prefix.to_path_buf(),
            localbase: None,
            lua_modsharedir: None,
            pycache_cmd: None,
        }
    }

    /// Where the Python interpreters and their site-packages live. By
    /// default the prefix.
    pub fn localbase(mut self, dir: Option<&Path>) -> TriggerSettings {
        self.localbase = dir.map(Path::to_path_buf);
        self
    }

    /// The directory holding `pycache.lua`. By default
    /// `PREFIX/share/lua/5.4` (`LUA_MODSHAREDIR` of ports' lua.mk).
    pub fn lua_modsharedir(mut self, dir: Option<&Path>) -> TriggerSettings {
        self.lua_modsharedir = dir.map(Path::to_path_buf);
        self
    }

    /// The `pycache` program the Lua module runs. By default
    /// `PREFIX/bin/pycache`.
    pub fn pycache_cmd(mut self, path: Option<&Path>) -> TriggerSettings {
        self.pycache_cmd = path.map(Path::to_path_buf);
        self
    }

    /// The placeholder values for `flavor`, named as in the ports tree
    /// (python.mk's `SUB_LIST`, lua.mk), plus `PYCACHE_CMD` and how each
    /// block's failure line starts (`PYCACHE_NOT_UPDATED`,
    /// `PYCACHE_NOT_CLEANED`: `pycache: py311 bytecode not updated: `).
    ///
    /// Fails when a path is not absolute (pkg runs triggers from any
    /// directory) or not valid UTF-8.
    pub fn values(&self, flavor: Flavor) -> Result<BTreeMap<String, String>, TemplateError> {
        let localbase = self
            .localbase
            .clone()
            .unwrap_or_else(|| self.prefix.clone());
        let lua = self
            .lua_modsharedir
            .clone()
            .unwrap_or_else(|| self.prefix.join("share/lua/5.4"));
        let cmd = self
            .pycache_cmd
            .clone()
            .unwrap_or_else(|| self.prefix.join("bin/pycache"));
        let mut values = BTreeMap::new();
        for (name, path) in [
            ("PREFIX", self.prefix.clone()),
            ("LOCALBASE", localbase.clone()),
            ("LUA_MODSHAREDIR", lua),
            ("PYCACHE_CMD", cmd),
            ("PYTHON_CMD", flavor.interpreter(&localbase)),
            ("PYTHON_SITELIBDIR", flavor.site_packages(&localbase)),
            ("PYTHON_LIBDIR", flavor.stdlib(&localbase)),
        ] {
            values.insert(name.to_string(), path_value(name, &path)?);
        }
        values.insert("PY_FLAVOR".into(), flavor.name());
        values.insert("PYTHON_VER".into(), flavor.version());
        values.insert("PYTHON_SUFFIX".into(), flavor.suffix());
        values.insert("PYTHON_VERSION".into(), flavor.python_name());
        // How each block's failure line starts (src/run/trigger.rs).
        for (name, command) in [
            ("PYCACHE_NOT_UPDATED", Command::Update),
            ("PYCACHE_NOT_CLEANED", Command::Clean),
        ] {
            values.insert(name.into(), failure_start(Some(&flavor.name()), command));
        }
        Ok(values)
    }
}

fn path_value(name: &str, path: &Path) -> Result<String, TemplateError> {
    let bad = |reason| TemplateError::BadPath {
        name: name.to_string(),
        path: path.to_path_buf(),
        reason,
    };
    let text = path.to_str().ok_or_else(|| bad("is not valid UTF-8"))?;
    if !path.is_absolute() {
        return Err(bad("is not an absolute path"));
    }
    // `/usr/local/` and `/usr/local` must render the same file.
    let trimmed = text.trim_end_matches('/');
    Ok(if trimmed.is_empty() { "/" } else { trimmed }.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vals(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn renders_every_placeholder_once_and_verbatim() {
        let t = Template::parse("t", "a %%A%% b %%B_2%%\n%%A%%%%A%%\n").unwrap();
        let out = t.render(&vals(&[("A", "%x"), ("B_2", "/y")])).unwrap();
        assert_eq!(out, "a %x b /y\n%x%x\n");
        assert_eq!(
            t.placeholders().into_iter().collect::<Vec<_>>(),
            ["A", "B_2"]
        );
    }

    #[test]
    fn single_percent_is_text() {
        let t = Template::parse("t", "s = string.format(\"%d%s\", 1)").unwrap();
        assert_eq!(
            t.render(&vals(&[])).unwrap(),
            "s = string.format(\"%d%s\", 1)"
        );
    }

    #[test]
    fn syntax_errors_name_the_line() {
        let e = Template::parse("t", "ok\nx %%A\n").unwrap_err();
        assert!(
            matches!(e, TemplateError::Unterminated { line: 2, .. }),
            "{e}"
        );
        let e = Template::parse("t", "%%a%%").unwrap_err();
        assert!(matches!(e, TemplateError::Malformed { line: 1, .. }), "{e}");
        let e = Template::parse("t", "\n\ns: <<EOS\nbody\n").unwrap_err();
        assert!(
            matches!(e, TemplateError::UnterminatedHeredoc { line: 3, .. }),
            "{e}"
        );
    }

    #[test]
    fn terminator_is_refused_only_inside_heredocs() {
        let t = Template::parse("t", "d: \"%%A%%\"\ns: <<EOS\nx = \"%%A%%\"\nEOS\n").unwrap();
        let e = t.render(&vals(&[("A", "/EOS")])).unwrap_err();
        assert!(
            matches!(e, TemplateError::UnsafeValue { line: 3, .. }),
            "{e}"
        );
        let t = Template::parse("t", "d: \"%%A%%\"\n").unwrap();
        assert_eq!(t.render(&vals(&[("A", "/EOS")])).unwrap(), "d: \"/EOS\"\n");
    }

    #[test]
    fn paths_are_absolute_and_trailing_slashes_dropped() {
        let f = Flavor::parse("py311").unwrap();
        let v = TriggerSettings::new(Path::new("/usr/local/"))
            .values(f)
            .unwrap();
        assert_eq!(v["PREFIX"], "/usr/local");
        assert_eq!(
            v["PYTHON_SITELIBDIR"],
            "/usr/local/lib/python3.11/site-packages"
        );
        let e = TriggerSettings::new(Path::new("usr/local"))
            .values(f)
            .unwrap_err();
        assert!(e.to_string().contains("not an absolute path"), "{e}");
    }
}
