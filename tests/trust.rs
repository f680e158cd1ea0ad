//! Invariant: run as root, pycache trusts no file another user could have
//! written: not a configuration file, not a `PATH` directory, not an
//! interpreter (defect 8 of the hostile review; src/fs/trust.rs). These
//! tests need root, as CI runs them: they give files to another user.

mod common;

use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::Path;
use std::process::Command;

use common::{LEVELS, Run, Tree, debian_python, running_as_root};

/// A user id no process runs as.
const NOBODY: u32 = 54321;

fn chown(path: &Path, uid: u32) {
    std::os::unix::fs::lchown(path, Some(uid), None).unwrap();
}

fn chmod(path: &Path, mode: u32) {
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

/// A way to spoil a file (the second path) or its directory (the first).
type Spoil = fn(&Path, &Path);

fn need_root() {
    assert!(
        running_as_root(),
        "tests/trust.rs gives files to another user: run the tests as root (CI does)"
    );
}

/// A compiled tree whose opt-1 and opt-2 pycs a hostile file would prune.
fn compiled_tree() -> Tree {
    let tree = Tree::new(&debian_python());
    tree.write("pkg/m.py", "X = 1\n");
    tree.pycache(&["update", "--no-config"]).expect(0);
    tree
}

fn hostile_conf(dir: &Path) -> std::path::PathBuf {
    let file = dir.join("pycache.conf");
    fs::write(&file, "levels = [0];\nprune_levels = true;\n").unwrap();
    file
}

fn assert_levels_kept(tree: &Tree) {
    for level in LEVELS {
        assert!(
            tree.cache("pkg/m.py", level).exists(),
            "level {level} was removed"
        );
    }
}

#[test]
fn a_configuration_another_user_can_write_is_refused_when_named_and_ignored_when_found() {
    need_root();
    let cases: [(&str, Spoil); 3] = [
        ("owned by another user", |_, file| chown(file, NOBODY)),
        ("writable by all", |_, file| chmod(file, 0o666)),
        ("in a directory anyone can write", |dir, _| {
            chmod(dir, 0o777)
        }),
    ];
    for (case, spoil) in cases {
        let tree = compiled_tree();
        let dir = tree.tmp.path().join("etc");
        fs::create_dir(&dir).unwrap();
        let file = hostile_conf(&dir);
        spoil(&dir, &file);
        // Named on the command line, it is refused: nothing runs.
        let named = tree
            .pycache(&["update", "--config", file.to_str().unwrap()])
            .expect(2);
        assert_levels_kept(&tree);
        let refusal = named.stderr.lines().next().unwrap_or_default();
        assert!(
            refusal.starts_with(&format!("pycache: {}: not trusted (", file.display())),
            "{case}: {refusal}"
        );
        assert!(
            refusal.ends_with("(chown root, chmod go-w)"),
            "{case}: {refusal}"
        );
        // Found through $PYCACHE_CONF, as a default, it is ignored, saying so.
        let found = Run::of(
            tree.command(&["update"])
                .env("PYCACHE_CONF", &file)
                .output()
                .unwrap(),
        )
        .expect(0);
        assert_levels_kept(&tree);
        let warning = found
            .stdout
            .lines()
            .chain(found.stderr.lines())
            .find(|l| l.contains("warning"))
            .unwrap_or_else(|| panic!("{case}: no warning: {}{}", found.stdout, found.stderr))
            .to_string();
        assert!(
            warning.starts_with(&format!(
                "pycache: warning: {}: not trusted (",
                file.display()
            )),
            "{case}: {warning}"
        );
        assert!(
            warning.ends_with("(chown root, chmod go-w); the file is ignored"),
            "{case}: {warning}"
        );
        // `pycache config` refuses it outright.
        let config = tree.pycache(&["config", "--config", file.to_str().unwrap()]);
        assert_eq!(config.code, 2, "{case}: {}{}", config.stdout, config.stderr);
    }
}

#[test]
fn a_configuration_root_alone_can_write_is_read() {
    need_root();
    let tree = compiled_tree();
    let dir = tree.tmp.path().join("etc");
    fs::create_dir(&dir).unwrap();
    let file = hostile_conf(&dir);
    tree.pycache(&["update", "--config", file.to_str().unwrap()])
        .expect(0);
    assert!(tree.cache("pkg/m.py", 0).exists());
    assert!(
        !tree.cache("pkg/m.py", 1).exists(),
        "prune_levels was not read"
    );
}

/// A `python3` in a `PATH` directory anyone can write: it leaves a mark
/// when run. It must never be run.
#[test]
fn an_interpreter_another_user_could_have_planted_is_not_run() {
    need_root();
    let tree = Tree::new(&debian_python());
    tree.write("m.py", "X = 1\n");
    let bin = tree.tmp.path().join("bin");
    fs::create_dir(&bin).unwrap();
    let mark = tree.tmp.path().join("ran");
    let python = bin.join("python3");
    fs::write(
        &python,
        format!(
            "#!/bin/sh\n/usr/bin/touch {}\nexec /usr/bin/python3.11 \"$@\"\n",
            mark.display()
        ),
    )
    .unwrap();
    chmod(&python, 0o755);
    let cases: [(&str, Spoil); 3] = [
        ("a PATH directory anyone can write", |bin, _| {
            chmod(bin, 0o777)
        }),
        ("an interpreter owned by another user", |_, python| {
            chown(python, NOBODY)
        }),
        ("an interpreter anyone can write", |_, python| {
            chmod(python, 0o777)
        }),
    ];
    for (case, spoil) in cases {
        spoil(&bin, &python);
        let out = Command::new(env!("CARGO_BIN_EXE_pycache"))
            .args(["check", "--no-config", "--json", "--python", "python3"])
            .arg("--site-packages")
            .arg(&tree.site)
            .env("PATH", &bin)
            .output()
            .unwrap();
        let run = common::Run::of(out).expect(3);
        assert!(!mark.exists(), "{case}: the planted interpreter ran");
        let report = run.json();
        assert_eq!(report["kind"], "untrusted", "{case}: {report}");
        let error = report["error"].as_str().unwrap();
        assert!(
            error.starts_with(&format!("{}: not run: ", python.display())),
            "{case}: {error}"
        );
        // Mended, it runs.
        chmod(&bin, 0o755);
        chown(&python, 0);
        chmod(&python, 0o755);
    }
    let out = Command::new(env!("CARGO_BIN_EXE_pycache"))
        .args(["check", "--no-config", "--python", "python3"])
        .arg("--site-packages")
        .arg(&tree.site)
        .env("PATH", &bin)
        .output()
        .unwrap();
    common::Run::of(out).expect(1);
    assert!(mark.exists(), "the trusted interpreter was not run");
}

/// A link to a good interpreter, in a directory anyone can write, can lead
/// elsewhere the next time it is looked up: refused too.
#[test]
fn a_link_in_a_directory_anyone_can_write_is_not_followed() {
    need_root();
    let tree = Tree::new(&debian_python());
    tree.write("m.py", "X = 1\n");
    let bin = tree.tmp.path().join("bin");
    fs::create_dir(&bin).unwrap();
    symlink("/usr/bin/python3.11", bin.join("python3")).unwrap();
    chmod(&bin, 0o777);
    let out = Command::new(env!("CARGO_BIN_EXE_pycache"))
        .args(["check", "--no-config", "--json", "--python", "python3"])
        .arg("--site-packages")
        .arg(&tree.site)
        .env("PATH", &bin)
        .output()
        .unwrap();
    let report = common::Run::of(out).expect(3).json();
    assert_eq!(report["kind"], "untrusted", "{report}");
}
