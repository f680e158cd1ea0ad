//! Invariant: nothing a file name holds reaches a terminal unescaped
//! (issue 27, defect 6). A package, or the owner of a directory below
//! site-packages, names files with escape sequences that clear root's
//! screen or set its window title, a carriage return that prints over a
//! failure line, a newline that forges a line, C1 controls and
//! bidirectional overrides. Every line the program prints shows them as
//! escapes (src/text.rs); JSON carries the exact names.

mod common;

use std::ffi::OsStr;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::Command;

use common::{Tree, debian_python};

/// A hostile name (bytes) and how a line shows it.
const NAMES: &[(&[u8], &str)] = &[
    (
        b"clear\x1b[2J\x1b]0;owned\x07.py",
        r"clear\x1b[2J\x1b]0;owned\x07.py",
    ),
    (b"cr\rFAKE.py", r"cr\rFAKE.py"),
    (
        b"nl\n>=> Python 3.11: bytecode up to date.py",
        r"nl\n>=> Python 3.11: bytecode up to date.py",
    ),
    (b"tab\there.py", r"tab\there.py"),
    (b"del\x7f.py", r"del\x7f.py"),
    ("c1\u{9b}2J\u{85}.py".as_bytes(), r"c1\u{9b}2J\u{85}.py"),
    // C1 as raw bytes, not UTF-8: each shown as U+FFFD.
    (b"raw\x9b2J\x85.py", "raw\u{fffd}2J\u{fffd}.py"),
    (
        "bidi\u{202e}yp.\u{2066}x\u{200f}.py".as_bytes(),
        r"bidi\u{202e}yp.\u{2066}x\u{200f}.py",
    ),
    // A name that spells an escape is not one.
    (b"back\\x1b.py", r"back\\x1b.py"),
];

/// The broken source whose failure line names it.
const BROKEN: (&[u8], &str) = (b"bad\x1b[31m\r.py", r"bad\x1b[31m\r.py");

/// What a terminal would act on, as the issue lists it (the test's own
/// list, not the engine's): C0, DEL, C1, the bidirectional marks,
/// embeddings, overrides and isolates, and the line separators.
fn acts_on_a_terminal(c: char) -> bool {
    matches!(c, '\0'..='\x1f' | '\x7f'..='\u{9f}' | '\u{61c}' | '\u{200e}' | '\u{200f}')
        || matches!(c, '\u{2028}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Fails on any character a terminal would act on: output must be UTF-8,
/// and hold no control character but the newline ending each line, no C1,
/// no bidirectional mark or override.
#[track_caller]
fn assert_terminal_safe(what: &str, bytes: &[u8]) {
    let text = std::str::from_utf8(bytes).unwrap_or_else(|e| {
        panic!(
            "{what}: not UTF-8 ({e}): {:?}",
            String::from_utf8_lossy(bytes)
        )
    });
    for (i, c) in text.char_indices() {
        assert!(
            c == '\n' || !acts_on_a_terminal(c),
            "{what}: raw {c:?} at byte {i}: {text:?}"
        );
    }
}

fn run(cmd: &mut Command) -> (i32, String, String) {
    let out = cmd.output().unwrap();
    assert_terminal_safe(&format!("{cmd:?} stdout"), &out.stdout);
    assert_terminal_safe(&format!("{cmd:?} stderr"), &out.stderr);
    let text = |b: &[u8]| String::from_utf8(b.to_vec()).unwrap();
    (
        out.status.code().unwrap_or(-1),
        text(&out.stdout),
        text(&out.stderr),
    )
}

fn hostile_tree() -> (Tree, PathBuf) {
    let tree = Tree::new(&debian_python());
    // A directory with a hostile name too, holding every file.
    let dir = tree.site.join(OsStr::from_bytes(b"pkg\x1b]2;title\x07"));
    fs::create_dir_all(dir.join("__pycache__")).unwrap();
    for (name, _) in NAMES {
        fs::write(dir.join(OsStr::from_bytes(name)), "X = 1\n").unwrap();
    }
    fs::write(dir.join(OsStr::from_bytes(BROKEN.0)), "print 'py2'\n").unwrap();
    // This interpreter's orphan, named to clear the screen.
    let orphan = dir.join(OsStr::from_bytes(
        b"__pycache__/gone\x1b[2J\r.cpython-311.pyc",
    ));
    fs::write(&orphan, "x").unwrap();
    (tree, dir)
}

/// Each hostile name shows as its escape in `text`, in a line of its own.
#[track_caller]
fn assert_names_shown(text: &str, prefix: &str) {
    let dir = r"pkg\x1b]2;title\x07/";
    for (_, shown) in NAMES {
        let want = format!("{prefix}{dir}{shown}");
        assert!(text.contains(&want), "{want} missing in:\n{text}");
    }
    // The forged summary line is part of a name, never a line.
    assert_eq!(
        text.lines().filter(|l| l.starts_with(">=> ")).count(),
        1,
        "{text}"
    );
}

#[test]
fn every_line_the_program_prints_shows_names_escaped() {
    let (tree, dir) = hostile_tree();
    let site = tree.site.display().to_string();
    let failure = format!(
        r"pycache: {site}/pkg\x1b]2;title\x07/{}: SyntaxError",
        BROKEN.1
    );
    let orphan = r"__pycache__/gone\x1b[2J\r.cpython-311.pyc";

    let (code, out, err) = run(&mut tree.command(&["check", "-v"]));
    assert_eq!((code, err.as_str()), (1, ""), "{out}");
    assert_names_shown(&out, &format!("  {site}/"));
    assert!(out.contains(orphan), "{out}");

    // JSON: the names exactly, and nothing a terminal acts on either.
    let (code, out, _) = run(&mut tree.command(&["check", "--json"]));
    assert_eq!(code, 1, "{out}");
    assert!(out.contains(r#"/raw\udc9b2J\udc85.py""#), "{out}");
    // serde_json reads no lone surrogate: the two bytes as U+FFFD here.
    let report: serde_json::Value = serde_json::from_str(
        &out.replace("\\udc9b", "\\ufffd")
            .replace("\\udc85", "\\ufffd"),
    )
    .unwrap();
    let paths: Vec<&str> = (report["to_compile"].as_array().unwrap().iter())
        .map(|p| p["path"].as_str().unwrap())
        .collect();
    for (name, _) in NAMES.iter().chain([&BROKEN]) {
        let name = format!("\x07/{}", String::from_utf8_lossy(name));
        assert!(
            paths.iter().any(|p| p.ends_with(&name)),
            "{name:?} not in {paths:?}"
        );
    }
    let lines = report["lines"].as_array().unwrap();
    assert_terminal_safe(
        "lines",
        lines
            .iter()
            .map(|l| l.as_str().unwrap())
            .collect::<Vec<_>>()
            .join("\n")
            .as_bytes(),
    );

    let (code, out, _) = run(&mut tree.command(&["update", "--dry-run", "-v"]));
    assert_eq!(code, 1, "a dry run with something to do: {out}");
    assert_names_shown(&out, &format!("  {site}/"));

    let (code, out, err) = run(&mut tree.command(&["update", "-v"]));
    assert_eq!((code, err.as_str()), (1, ""), "{out}");
    assert_names_shown(&out, &format!("  compiled {site}/"));
    assert!(out.contains(&failure), "{out}");
    assert!(
        out.contains(&format!("  orphan {site}/pkg\\x1b]2;title\\x07/{orphan}")),
        "{out}"
    );
    // Not verbose: the summary and the failure line only.
    let (code, out, _) = run(&mut tree.command(&["update"]));
    assert_eq!(code, 1, "{out}");
    assert_eq!(out.lines().count(), 2, "{out}");
    assert!(out.lines().nth(1).unwrap().starts_with(&failure), "{out}");

    // clean: the files it removes.
    fs::write(
        dir.join(OsStr::from_bytes(
            b"__pycache__/gone\x1b[2J\r.cpython-311.pyc",
        )),
        "x",
    )
    .unwrap();
    let (code, out, _) = run(&mut tree.command(&["clean", "-v"]));
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(&format!("  orphan {site}/pkg\\x1b]2;title\\x07/{orphan}")),
        "{out}"
    );
}

#[test]
fn errors_warnings_and_settings_show_paths_escaped() {
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path().canonicalize().unwrap();
    let odd = |name: &[u8]| base.join(OsStr::from_bytes(name));
    let shown_base = base.display().to_string();

    // An error naming a path: stderr, one line.
    let missing = odd(b"gone\x1b[2J\r\n\xe2\x80\xae");
    let (code, _, err) = run(Command::new(env!("CARGO_BIN_EXE_pycache"))
        .args([
            "check",
            "--no-config",
            "--python",
            "/usr/bin/python3.11",
            "--site-packages",
        ])
        .arg(&missing));
    assert_eq!(code, 3, "{err}");
    assert_eq!(
        err,
        format!(
            "pycache: {shown_base}/gone\\x1b[2J\\r\\n\\u{{202e}}: site-packages directory does not exist; \
             check the flavor, prefix, site_packages and root given\n"
        )
    );

    // An interpreter's stderr quoted in an error.
    let python = odd(b"py\x1bthon");
    fs::write(
        &python,
        "#!/bin/sh\nprintf 'boom\\033[2J\\r\\302\\233 done\\n' >&2\nexit 1\n",
    )
    .unwrap();
    fs::set_permissions(&python, fs::Permissions::from_mode(0o755)).unwrap();
    let (code, _, err) = run(Command::new(env!("CARGO_BIN_EXE_pycache"))
        .args(["check", "--no-config", "--python"])
        .arg(&python));
    assert_eq!(code, 3, "{err}");
    assert!(
        err.starts_with(&format!(
            "pycache: {shown_base}/py\\x1bthon: failed (exit status: 1): boom\\x1b[2J\\r\\u{{9b}} done; "
        )),
        "{err}"
    );

    // --all: the prefix it found nothing under.
    let prefix = odd(b"prefix\x1b[2J");
    fs::create_dir(&prefix).unwrap();
    let (code, out, _) = run(Command::new(env!("CARGO_BIN_EXE_pycache"))
        .args(["check", "--no-config", "--all", "--prefix"])
        .arg(&prefix));
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        out,
        format!(">=> no Python flavor installed under {shown_base}/prefix\\x1b[2J\n")
    );

    // A configuration file: its name in a warning and in `pycache config`,
    // its values as UCL that reads back.
    let tree = Tree::new(&debian_python());
    let conf = odd(b"conf\x1b]0;x\x07");
    let file = conf.to_str().unwrap();
    fs::write(&conf, "exclude = [\"*/t\u{9b}\u{202e}\\\\*\\r\"];\n").unwrap();
    let (code, out, _) = run(&mut tree.command(&["config", "--config", file]));
    assert_eq!(code, 0, "{out}");
    assert!(
        out.starts_with(&format!(
            "# {shown_base}/conf\\x1b]0;x\\x07, flavor py311\n"
        )),
        "{out}"
    );
    assert!(
        out.contains("exclude = [\"*/t\\u009b\\u202e\\\\*\\r\"];"),
        "{out}"
    );
    let (code, out, _) = run(&mut tree.command(&["config", "exclude", "--config", file]));
    assert_eq!((code, out.as_str()), (0, "*/t\\u{9b}\\u{202e}\\*\\r\n"));
    fs::write(&conf, "jobs = \"\u{1b}[2J\";\n").unwrap();
    // The file by $PYCACHE_CONF: a broken one is warned about. (Named by
    // --config, it is an error, below.)
    let (code, out, _) = run(tree.command(&["check"]).env("PYCACHE_CONF", file));
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(&format!(
            "pycache: warning: {shown_base}/conf\\x1b]0;x\\x07:1: jobs: must be a whole number >= 0 \
             (0: one per core), got \"\\x1b[2J\"; the file is ignored"
        )),
        "{out}"
    );
    for command in ["config", "check"] {
        let (code, _, err) = run(&mut tree.command(&[command, "--config", file]));
        assert_eq!(code, 2, "{err}");
        assert!(
            err.starts_with(&format!("pycache: {shown_base}/conf\\x1b]0;x\\x07:1: ")),
            "{err}"
        );
    }
}

/// pkg's touched directories reach the program in a request: a name that
/// is no directory of the tree is quoted in a warning.
#[test]
fn a_request_naming_odd_directories_is_answered_in_safe_lines() {
    let tree = Tree::new(&debian_python());
    tree.write("m.py", "M = 1\n");
    let request = format!(
        r#"{{"job": "check", "options": {{"flavor": "py311", "prefix": "{}", "no_config": true, "dirs": ["/elsewhere/\u001b[2J\r\udc9b"]}}}}"#,
        tree.prefix.display()
    );
    let (code, out, _) =
        run(Command::new(env!("CARGO_BIN_EXE_pycache")).args(["request", &request]));
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(r#"(got "/elsewhere/\x1b[2J\r"#)
            && out.contains("\u{fffd}\"); checking the whole"),
        "{out}"
    );
}
