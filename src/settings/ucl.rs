//! A small, strict reader of the UCL syntax admins know from `pkg.conf`,
//! for `pycache.conf`.
//!
//! No pure-Rust UCL crate exists (`ucl`, `libucl` and `uclicious` bind the C
//! libucl), and a configuration file needs little of UCL: `key = value;`
//! or `key: value`, arrays `[0, 1]`, sections `name { ... }`, `#` and
//! `/* */` comments, strings in double or single quotes or bare words,
//! integers, decimals and the booleans `true false yes no on off`. What
//! this reader does not take (macros, `.include`, heredocs, number
//! suffixes, a key given twice) is an error naming its line, never a value
//! silently read another way than libucl would read it.

use std::fmt;

/// A value of the file, with the line it starts on.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// The line (1-based) where the value starts.
    pub line: usize,
    /// The value.
    pub value: Ucl,
}

/// A UCL value.
#[derive(Clone, Debug, PartialEq)]
pub enum Ucl {
    /// An integer: `4`, `-1`.
    Int(i64),
    /// A number with a fraction or exponent: `2.5`, `1e3`.
    Float(f64),
    /// `true`/`yes`/`on` or `false`/`no`/`off`.
    Bool(bool),
    /// A quoted string or a bare word that is no number or boolean.
    Str(String),
    /// `[a, b]`.
    Array(Vec<Node>),
    /// `{ key = value; ... }` or the file itself: keys in file order,
    /// each once.
    Object(Vec<(String, Node)>),
}

impl Ucl {
    /// How messages name the kind of a value.
    pub fn kind(&self) -> &'static str {
        match self {
            Ucl::Int(_) | Ucl::Float(_) => "a number",
            Ucl::Bool(_) => "a boolean",
            Ucl::Str(_) => "a string",
            Ucl::Array(_) => "an array",
            Ucl::Object(_) => "a section",
        }
    }
}

/// A syntax error: the line and what was wrong there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    /// 1-based line.
    pub line: usize,
    /// The key being read, when there is one.
    pub key: Option<String>,
    /// What was found and what was expected.
    pub problem: String,
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.key {
            Some(key) => write!(f, "line {}: {key}: {}", self.line, self.problem),
            None => write!(f, "line {}: {}", self.line, self.problem),
        }
    }
}

/// Parses a whole file: its top level is an object without braces.
pub fn parse(text: &str) -> Result<Vec<(String, Node)>, SyntaxError> {
    let mut p = Parser {
        tokens: lex(text)?,
        at: 0,
        depth: 0,
    };
    let members = p.members(None)?;
    match p.peek() {
        None => Ok(members),
        Some(t) => Err(p.error(t.line, None, format!("unexpected {}", t.kind.describe()))),
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Kind {
    Open,
    Close,
    OpenArray,
    CloseArray,
    Assign,
    Semicolon,
    Comma,
    /// A quoted string.
    Quoted(String),
    /// A bare word: a key, a number, a boolean or a string.
    Word(String),
}

impl Kind {
    fn describe(&self) -> String {
        match self {
            Kind::Open => "\"{\"".into(),
            Kind::Close => "\"}\"".into(),
            Kind::OpenArray => "\"[\"".into(),
            Kind::CloseArray => "\"]\"".into(),
            Kind::Assign => "\"=\"".into(),
            Kind::Semicolon => "\";\"".into(),
            Kind::Comma => "\",\"".into(),
            Kind::Quoted(s) => format!("string {s:?}"),
            Kind::Word(w) => format!("{w:?}"),
        }
    }
}

#[derive(Clone, Debug)]
struct Token {
    kind: Kind,
    line: usize,
    /// A line break (or the start of the file) comes before this token.
    newline_before: bool,
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b'+')
}

fn lex(text: &str) -> Result<Vec<Token>, SyntaxError> {
    let bytes = text.as_bytes();
    let err = |line, problem: String| SyntaxError {
        line,
        key: None,
        problem,
    };
    let (mut i, mut line, mut newline) = (0, 1, true);
    let mut tokens = Vec::new();
    while i < bytes.len() {
        let b = bytes[i];
        let start = line;
        let simple = match b {
            b'\n' => {
                line += 1;
                newline = true;
                i += 1;
                continue;
            }
            b' ' | b'\t' | b'\r' => {
                i += 1;
                continue;
            }
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i += 2;
                loop {
                    match bytes.get(i) {
                        None => return Err(err(start, "unterminated /* comment".into())),
                        Some(b'*') if bytes.get(i + 1) == Some(&b'/') => break,
                        Some(b'\n') => {
                            line += 1;
                            newline = true;
                        }
                        Some(_) => {}
                    }
                    i += 1;
                }
                i += 2;
                continue;
            }
            b'{' => Some(Kind::Open),
            b'}' => Some(Kind::Close),
            b'[' => Some(Kind::OpenArray),
            b']' => Some(Kind::CloseArray),
            b'=' | b':' => Some(Kind::Assign),
            b';' => Some(Kind::Semicolon),
            b',' => Some(Kind::Comma),
            _ => None,
        };
        let kind = match simple {
            Some(kind) => {
                i += 1;
                kind
            }
            None if b == b'"' || b == b'\'' => {
                let (s, next) = quoted(text, i, line)?;
                i = next;
                Kind::Quoted(s)
            }
            None if is_word_byte(b) => {
                let end = (i..bytes.len())
                    .find(|&j| !is_word_byte(bytes[j]))
                    .unwrap_or(bytes.len());
                let word = &text[i..end];
                i = end;
                Kind::Word(word.to_string())
            }
            None => {
                let c = text[i..].chars().next().expect("not at the end");
                let hint = if c == '<' {
                    " (heredocs are not supported: use a quoted string)"
                } else if c == '.' || c == '$' {
                    " (macros and variables are not supported)"
                } else {
                    " (quote strings that hold it)"
                };
                return Err(err(line, format!("unexpected character {c:?}{hint}")));
            }
        };
        tokens.push(Token {
            kind,
            line: start,
            newline_before: newline,
        });
        newline = false;
    }
    Ok(tokens)
}

/// A string starting at the quote at `start`: double quotes take JSON's
/// escapes, single quotes only `\'`. Returns it and the index after it.
fn quoted(text: &str, start: usize, line: usize) -> Result<(String, usize), SyntaxError> {
    let err = |problem: &str| SyntaxError {
        line,
        key: None,
        problem: problem.to_string(),
    };
    let quote = text.as_bytes()[start] as char;
    let mut out = String::new();
    let mut chars = text[start + 1..].char_indices();
    while let Some((at, c)) = chars.next() {
        match c {
            c if c == quote => return Ok((out, start + 1 + at + 1)),
            '\n' => return Err(err("unterminated string (a string ends on its line)")),
            '\\' if quote == '\'' => match chars.next() {
                Some((_, '\'')) => out.push('\''),
                Some((_, other)) => {
                    out.push('\\');
                    out.push(other);
                }
                None => break,
            },
            '\\' => {
                let escaped = match chars.next() {
                    Some((_, c)) => c,
                    None => break,
                };
                out.push(match escaped {
                    '"' => '"',
                    '\\' => '\\',
                    '/' => '/',
                    'b' => '\u{8}',
                    'f' => '\u{c}',
                    'n' => '\n',
                    'r' => '\r',
                    't' => '\t',
                    'u' => {
                        let hex: String = (0..4)
                            .filter_map(|_| chars.next().map(|(_, c)| c))
                            .collect();
                        u32::from_str_radix(&hex, 16)
                            .ok()
                            .filter(|_| hex.len() == 4)
                            .and_then(char::from_u32)
                            .ok_or_else(|| {
                                err("\\u must be followed by 4 hex digits of a character")
                            })?
                    }
                    other => return Err(err(&format!("unknown escape \\{other} in a string"))),
                });
            }
            c => out.push(c),
        }
    }
    Err(err("unterminated string"))
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
    depth: usize,
}

/// Sections and arrays nest at most this deep: a configuration needs two,
/// and a hostile file must not overflow the stack.
const MAX_DEPTH: usize = 32;

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn next(&mut self) -> Option<Token> {
        let t = self.tokens.get(self.at).cloned();
        self.at += 1;
        t
    }

    fn last_line(&self) -> usize {
        self.tokens.last().map_or(1, |t| t.line)
    }

    fn error(&self, line: usize, key: Option<&str>, problem: String) -> SyntaxError {
        SyntaxError {
            line,
            key: key.map(str::to_string),
            problem,
        }
    }

    /// Members until `}` (inside a section) or the end (top level).
    fn members(&mut self, section: Option<&str>) -> Result<Vec<(String, Node)>, SyntaxError> {
        let mut out: Vec<(String, Node)> = Vec::new();
        loop {
            let Some(t) = self.peek().cloned() else {
                return match section {
                    None => Ok(out),
                    Some(name) => Err(self.error(
                        self.last_line(),
                        Some(name),
                        "section not closed: expected \"}\"".into(),
                    )),
                };
            };
            let key = match &t.kind {
                Kind::Close if section.is_some() => return Ok(out),
                Kind::Word(w)
                    if w.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') =>
                {
                    w.clone()
                }
                Kind::Quoted(s) => s.clone(),
                other => {
                    return Err(self.error(
                        t.line,
                        section,
                        format!("expected a key, got {}", other.describe()),
                    ));
                }
            };
            self.next();
            if !matches!(self.peek().map(|t| &t.kind), Some(Kind::Open)) {
                match self.next() {
                    Some(Token {
                        kind: Kind::Assign, ..
                    }) => {}
                    other => {
                        let got = other.map_or("the end of the file".into(), |t| t.kind.describe());
                        return Err(self.error(
                            t.line,
                            Some(&key),
                            format!("expected \"=\" or \":\" after the key, got {got}"),
                        ));
                    }
                }
            }
            let value = self.value(&key)?;
            if out.iter().any(|(k, _)| *k == key) {
                return Err(self.error(t.line, Some(&key), "given twice".into()));
            }
            out.push((key.clone(), value));
            // A value ends with ";", ",", a line break, "}" or the end.
            match self.peek() {
                Some(Token {
                    kind: Kind::Semicolon | Kind::Comma,
                    ..
                }) => {
                    self.next();
                }
                Some(Token {
                    kind: Kind::Close, ..
                })
                | None => {}
                Some(t) if t.newline_before => {}
                Some(t) => {
                    return Err(self.error(
                        t.line,
                        Some(&key),
                        format!(
                            "expected \";\" or a new line after the value, got {}",
                            t.kind.describe()
                        ),
                    ));
                }
            }
        }
    }

    fn value(&mut self, key: &str) -> Result<Node, SyntaxError> {
        let Some(t) = self.next() else {
            return Err(self.error(
                self.last_line(),
                Some(key),
                "expected a value, got the end of the file".into(),
            ));
        };
        let value = match t.kind {
            Kind::Quoted(s) => Ucl::Str(s),
            Kind::Word(w) => word(&w),
            Kind::Open | Kind::OpenArray if self.depth >= MAX_DEPTH => {
                return Err(self.error(t.line, Some(key), "nested too deeply".into()));
            }
            Kind::Open => {
                self.depth += 1;
                let members = self.members(Some(key))?;
                self.depth -= 1;
                self.next(); // the "}"
                Ucl::Object(members)
            }
            Kind::OpenArray => {
                self.depth += 1;
                let mut items = Vec::new();
                loop {
                    if let Some(Token {
                        kind: Kind::CloseArray,
                        ..
                    }) = self.peek()
                    {
                        self.next();
                        break;
                    }
                    items.push(self.value(key)?);
                    match self.next() {
                        Some(Token {
                            kind: Kind::Comma, ..
                        }) => {}
                        Some(Token {
                            kind: Kind::CloseArray,
                            ..
                        }) => break,
                        other => {
                            let got =
                                other.map_or("the end of the file".into(), |t| t.kind.describe());
                            return Err(self.error(
                                t.line,
                                Some(key),
                                format!("expected \",\" or \"]\" in the array, got {got}"),
                            ));
                        }
                    }
                }
                self.depth -= 1;
                Ucl::Array(items)
            }
            other => {
                return Err(self.error(
                    t.line,
                    Some(key),
                    format!("expected a value, got {}", other.describe()),
                ));
            }
        };
        Ok(Node {
            line: t.line,
            value,
        })
    }
}

/// A bare word: a boolean, a number, or a string.
fn word(w: &str) -> Ucl {
    match w {
        "true" | "yes" | "on" => return Ucl::Bool(true),
        "false" | "no" | "off" => return Ucl::Bool(false),
        _ => {}
    }
    if let Ok(n) = w.parse::<i64>() {
        return Ucl::Int(n);
    }
    // Only what looks like a number is one: Rust would also read `inf`
    // and `NaN`.
    let numeric = w
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'))
        && w.bytes().any(|b| b.is_ascii_digit());
    match w.parse::<f64>() {
        Ok(n) if numeric && n.is_finite() => Ucl::Float(n),
        _ => Ucl::Str(w.to_string()),
    }
}

/// Writes members back as UCL that [`parse`] reads as the same values
/// (lines aside): used by `pycache config` and by the round-trip test.
pub fn write(members: &[(String, Node)]) -> String {
    let mut out = String::new();
    write_members(members, 0, &mut out);
    out
}

fn write_members(members: &[(String, Node)], indent: usize, out: &mut String) {
    for (key, node) in members {
        out.push_str(&"    ".repeat(indent));
        out.push_str(&write_key(key));
        match &node.value {
            Ucl::Object(inner) => {
                out.push_str(" {\n");
                write_members(inner, indent + 1, out);
                out.push_str(&"    ".repeat(indent));
                out.push_str("}\n");
            }
            value => {
                out.push_str(" = ");
                out.push_str(&write_value(value));
                out.push_str(";\n");
            }
        }
    }
}

fn write_key(key: &str) -> String {
    let bare = !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        && matches!(word(key), Ucl::Str(_));
    if bare { key.to_string() } else { quote(key) }
}

/// One value as UCL text (sections inline).
pub fn write_value(value: &Ucl) -> String {
    match value {
        Ucl::Int(n) => n.to_string(),
        // `{:?}` keeps a fraction (`2.0`), so the number reads back as a Float.
        Ucl::Float(n) => format!("{n:?}"),
        Ucl::Bool(b) => b.to_string(),
        Ucl::Str(s) => quote(s),
        Ucl::Array(items) => {
            let items: Vec<String> = items.iter().map(|n| write_value(&n.value)).collect();
            format!("[{}]", items.join(", "))
        }
        Ucl::Object(members) => {
            let inner: Vec<String> = members
                .iter()
                .map(|(k, n)| format!("{} = {};", write_key(k), write_value(&n.value)))
                .collect();
            format!("{{ {} }}", inner.join(" "))
        }
    }
}

fn quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            // Also C1 and the bidirectional overrides: `pycache config`
            // prints this, and the escape reads back as the character.
            c if crate::text::is_escaped(c) => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(text: &str) -> Vec<(String, Ucl)> {
        parse(text)
            .unwrap_or_else(|e| panic!("{text:?}: {e}"))
            .into_iter()
            .map(|(k, n)| (k, n.value))
            .collect()
    }

    fn error(text: &str) -> String {
        parse(text).expect_err(text).to_string()
    }

    #[test]
    fn a_string_is_written_with_nothing_a_terminal_acts_on() {
        let odd = "\u{1b}[2J\u{7f}\u{9b}\u{202e}\u{2066}é\\";
        let written = write_value(&Ucl::Str(odd.into()));
        assert_eq!(written, r#""\u001b[2J\u007f\u009b\u202e\u2066é\\""#);
        assert_eq!(
            values(&format!("k = {written}")),
            [("k".into(), Ucl::Str(odd.into()))]
        );
    }

    #[test]
    fn reads_the_syntax_of_pkg_conf() {
        let text = r#"
# pycache.conf
levels = [0, 1];
invalidation_mode: checked-hash
jobs = 4, timeout = 2.5;
exclude = ["*/tests/*", 'odd\'s*'];
/* a comment
   over lines */ prune_levels = yes
py311 {
    levels = [0, 1, 2];
}
"py313t" : { jobs = off }
"#;
        assert_eq!(
            values(text),
            vec![
                (
                    "levels".into(),
                    Ucl::Array(vec![
                        Node {
                            line: 3,
                            value: Ucl::Int(0)
                        },
                        Node {
                            line: 3,
                            value: Ucl::Int(1)
                        }
                    ])
                ),
                ("invalidation_mode".into(), Ucl::Str("checked-hash".into())),
                ("jobs".into(), Ucl::Int(4)),
                ("timeout".into(), Ucl::Float(2.5)),
                (
                    "exclude".into(),
                    Ucl::Array(vec![
                        Node {
                            line: 6,
                            value: Ucl::Str("*/tests/*".into())
                        },
                        Node {
                            line: 6,
                            value: Ucl::Str("odd's*".into())
                        }
                    ])
                ),
                ("prune_levels".into(), Ucl::Bool(true)),
                (
                    "py311".into(),
                    Ucl::Object(vec![(
                        "levels".into(),
                        Node {
                            line: 10,
                            value: Ucl::Array(
                                (0..3)
                                    .map(|n| Node {
                                        line: 10,
                                        value: Ucl::Int(n)
                                    })
                                    .collect()
                            )
                        }
                    )])
                ),
                (
                    "py313t".into(),
                    Ucl::Object(vec![(
                        "jobs".into(),
                        Node {
                            line: 12,
                            value: Ucl::Bool(false)
                        }
                    )])
                ),
            ]
        );
        assert_eq!(values(""), vec![]);
        assert_eq!(values("# only a comment\n\n"), vec![]);
        assert_eq!(
            values("a = \"\\u00e9\\t\""),
            vec![("a".into(), Ucl::Str("é\t".into()))]
        );
        assert_eq!(values("a = -3"), vec![("a".into(), Ucl::Int(-3))]);
        assert_eq!(
            values("a = inf"),
            vec![("a".into(), Ucl::Str("inf".into()))]
        );
    }

    #[test]
    fn errors_name_the_line_and_the_key() {
        assert_eq!(error("jobs = 4\njobs = 5"), "line 2: jobs: given twice");
        assert_eq!(
            error("levels = [0, 1\njobs = 2"),
            "line 1: levels: expected \",\" or \"]\" in the array, got \"jobs\""
        );
        assert_eq!(
            error("a = 1 b = 2"),
            "line 1: a: expected \";\" or a new line after the value, got \"b\""
        );
        assert_eq!(
            error("\n\nexclude = */x"),
            "line 3: unexpected character '*' (quote strings that hold it)"
        );
        assert_eq!(
            error("a = \"open\nb = 1"),
            "line 1: unterminated string (a string ends on its line)"
        );
        assert_eq!(error("/* never closed"), "line 1: unterminated /* comment");
        assert_eq!(
            error("py311 {\n levels = [0]\n"),
            "line 2: py311: section not closed: expected \"}\""
        );
        assert_eq!(
            error("jobs"),
            "line 1: jobs: expected \"=\" or \":\" after the key, got the end of the file"
        );
        assert_eq!(
            error("jobs ="),
            "line 1: jobs: expected a value, got the end of the file"
        );
        assert_eq!(error("}"), "line 1: expected a key, got \"}\"");
        assert_eq!(
            error("a = <<EOD\nx\nEOD"),
            "line 1: unexpected character '<' (heredocs are not supported: use a quoted string)"
        );
        assert_eq!(
            error(".include \"x\""),
            "line 1: expected a key, got \".include\""
        );
        assert_eq!(
            error("a = \"\\q\""),
            "line 1: unknown escape \\q in a string"
        );
        let deep = format!("a = {}{}", "[".repeat(100), "]".repeat(100));
        assert_eq!(error(&deep), "line 1: a: nested too deeply");
    }

    /// xorshift64*: a fixed sequence, so a failure is reproducible.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    fn random_value(rng: &mut Rng, depth: usize) -> Ucl {
        let pick = rng.below(if depth > 2 { 4 } else { 6 });
        match pick {
            0 => Ucl::Int(rng.next() as i64 >> rng.below(64)),
            1 => Ucl::Float((rng.next() % 100_000) as f64 / 64.0 - 500.0),
            2 => Ucl::Bool(rng.below(2) == 0),
            3 => {
                let alphabet: Vec<char> = "ab_-. *\"'\\\n\t/#é{}[];=:0".chars().collect();
                Ucl::Str(
                    (0..rng.below(8))
                        .map(|_| alphabet[rng.below(alphabet.len())])
                        .collect(),
                )
            }
            4 => Ucl::Array(
                (0..rng.below(4))
                    .map(|_| Node {
                        line: 0,
                        value: random_value(rng, depth + 1),
                    })
                    .collect(),
            ),
            _ => Ucl::Object(random_members(rng, depth + 1)),
        }
    }

    fn random_members(rng: &mut Rng, depth: usize) -> Vec<(String, Node)> {
        let keys = [
            "levels", "jobs", "py311", "a-b", "x y", "", "true", "1", "é",
        ];
        let mut out: Vec<(String, Node)> = Vec::new();
        for _ in 0..rng.below(5) {
            let key = keys[rng.below(keys.len())].to_string();
            if out.iter().all(|(k, _)| *k != key) {
                out.push((
                    key,
                    Node {
                        line: 0,
                        value: random_value(rng, depth),
                    },
                ));
            }
        }
        out
    }

    fn without_lines(members: Vec<(String, Node)>) -> Vec<(String, Node)> {
        fn strip(node: Node) -> Node {
            let value = match node.value {
                Ucl::Array(items) => Ucl::Array(items.into_iter().map(strip).collect()),
                Ucl::Object(m) => Ucl::Object(without_lines(m)),
                v => v,
            };
            Node { line: 0, value }
        }
        members.into_iter().map(|(k, n)| (k, strip(n))).collect()
    }

    #[test]
    fn random_files_round_trip() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        for _ in 0..5_000 {
            let members = random_members(&mut rng, 0);
            let text = write(&members);
            let back = parse(&text).unwrap_or_else(|e| panic!("{text}\n{e}"));
            assert_eq!(without_lines(back), members, "{text}");
        }
    }

    #[test]
    fn mutated_files_never_panic() {
        let seeds = [
            "levels = [0, 1];\npy311 { jobs = 2; exclude = [\"*/t/*\"] }\n",
            "/* c */ a: 'x\\'y', b = -1.5e3 # end\n",
            "\"k\" = { \"n\" = [[], {}, \"\\u0041\"] }",
        ];
        let pieces: [&[u8]; 14] = [
            b"{", b"}", b"[", b"]", b"\"", b"'", b"\\", b"/*", b"*/", b"#", b"\n", b"=", b"\xff",
            b"\\u12",
        ];
        let mut rng = Rng(42);
        for _ in 0..20_000 {
            let mut bytes = seeds[rng.below(seeds.len())].as_bytes().to_vec();
            for _ in 0..1 + rng.below(4) {
                let at = rng.below(bytes.len() + 1);
                match rng.below(3) {
                    0 if at < bytes.len() => {
                        bytes.remove(at);
                    }
                    1 => {
                        let piece = pieces[rng.below(pieces.len())];
                        bytes.splice(at..at, piece.iter().copied());
                    }
                    _ => bytes.insert(at, rng.next() as u8),
                }
            }
            // The file is read as UTF-8 first; what is not is refused there.
            if let Ok(text) = std::str::from_utf8(&bytes) {
                if let Err(e) = parse(text) {
                    let lines = text.split('\n').count();
                    assert!(e.line >= 1 && e.line <= lines, "{text:?}: {e}");
                }
            }
        }
    }
}
