//! The engine, through the `pycache` program, against real CPython
//! interpreters in temporary trees. Each test runs on every CPython found
//! (at least two versions; see `common::pythons`).

mod common;

use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, symlink};
use std::path::{Path, PathBuf};

use common::{Tree, cache_of, code_matches, debian_python, importlib_verdicts, pythons};

const LEVELS: [u8; 3] = [0, 1, 2];

/// A small package with a subpackage and a top-level module.
fn populate(tree: &Tree) -> Vec<PathBuf> {
    vec![
        tree.write("pkg/__init__.py", "from .mod import f\n"),
        tree.write(
            "pkg/mod.py",
            "def f():\n    assert True, 'x'\n    return 'doc'\n",
        ),
        tree.write(
            "pkg/sub/__init__.py",
            "\"\"\"Docstring removed at -OO.\"\"\"\nX = 1\n",
        ),
        tree.write("top.py", "import os\nVALUE = 42\n"),
    ]
}

#[test]
fn update_writes_what_importlib_uses_and_code_equals_compile() {
    for python in pythons() {
        let tree = Tree::new(&python);
        let sources = populate(&tree);
        let out = tree.pycache(&["update", "--json"]).expect(0).json();
        assert_eq!(
            out["compiled"].as_array().unwrap().len(),
            sources.len(),
            "{python:?}"
        );
        for level in LEVELS {
            let verdicts = importlib_verdicts(&python, level, &sources);
            assert_eq!(
                verdicts,
                vec!["fresh"; sources.len()],
                "{python:?} level {level}"
            );
            for source in &sources {
                let cfile = cache_of(source, &python.tag(), level);
                let (same, filename) = code_matches(&python, source, &cfile, source, level);
                assert!(
                    same,
                    "{python:?}: {} level {level} differs from compile()",
                    cfile.display()
                );
                assert_eq!(filename, source.to_string_lossy());
            }
        }
    }
}

#[test]
fn second_update_changes_nothing_and_starts_no_interpreter() {
    for python in pythons() {
        let tree = Tree::new(&python);
        populate(&tree);
        tree.pycache(&["update"]).expect(0);
        let before = tree.listing();
        let stamps: Vec<_> = before
            .iter()
            .map(|p| {
                fs::symlink_metadata(tree.site.join(p))
                    .unwrap()
                    .modified()
                    .unwrap()
            })
            .collect();
        let out = tree.pycache(&["update", "--json"]).expect(0).json();
        assert_eq!(out["interpreters_started"], 0, "{python:?}");
        assert_eq!(out["compiled"].as_array().unwrap().len(), 0);
        assert_eq!(out["fresh"], 4);
        assert_eq!(tree.listing(), before);
        let after: Vec<_> = before
            .iter()
            .map(|p| {
                fs::symlink_metadata(tree.site.join(p))
                    .unwrap()
                    .modified()
                    .unwrap()
            })
            .collect();
        assert_eq!(stamps, after, "{python:?}: files were rewritten");
        let out = tree.pycache(&["check"]).expect(0);
        assert!(
            out.stdout.contains("bytecode up to date (4 sources)"),
            "{}",
            out.stdout
        );
    }
}

#[test]
fn freshness_agrees_with_importlib_for_every_kind_of_damage() {
    for python in pythons() {
        let tree = Tree::new(&python);
        let names = [
            "fresh",
            "mtime",
            "size",
            "magic",
            "truncated",
            "empty",
            "garbage",
            "missing",
        ];
        let sources: Vec<PathBuf> = names
            .iter()
            .map(|n| tree.write(format!("{n}.py"), &format!("NAME = {n:?}\n")))
            .collect();
        tree.pycache(&["update", "-O", "0"]).expect(0);
        let cache = |n: &str| tree.cache(&format!("{n}.py"), 0);
        let header = if python.minor < 7 { 12 } else { 16 };
        // Same size, later mtime: only the timestamp tells.
        let mtime = tree.site.join("mtime.py");
        let t =
            fs::metadata(&mtime).unwrap().modified().unwrap() + std::time::Duration::from_secs(5);
        fs::File::options()
            .write(true)
            .open(&mtime)
            .unwrap()
            .set_modified(t)
            .unwrap();
        // Same mtime, other size.
        let size = tree.site.join("size.py");
        let t = fs::metadata(&size).unwrap().modified().unwrap();
        fs::write(&size, "NAME = 'size, longer'\n").unwrap();
        fs::File::options()
            .write(true)
            .open(&size)
            .unwrap()
            .set_modified(t)
            .unwrap();
        let mut data = fs::read(cache("magic")).unwrap();
        data[0] ^= 0x55;
        fs::write(cache("magic"), data).unwrap();
        let data = fs::read(cache("truncated")).unwrap();
        fs::write(cache("truncated"), &data[..header - 3]).unwrap();
        fs::write(cache("empty"), b"").unwrap();
        let mut data = fs::read(cache("garbage")).unwrap();
        data.truncate(header);
        data.extend_from_slice(b"not marshal data");
        fs::write(cache("garbage"), data).unwrap();
        fs::remove_file(cache("missing")).unwrap();

        let out = tree
            .pycache(&["check", "-O", "0", "--json"])
            .expect(1)
            .json();
        let state = |n: &str| {
            out["to_compile"]
                .as_array()
                .unwrap()
                .iter()
                .find(|p| p["path"].as_str().unwrap().ends_with(&format!("/{n}.py")))
                .map(|p| {
                    format!(
                        "{} {}",
                        p["levels"][0]["state"].as_str().unwrap(),
                        p["levels"][0]["reason"].as_str().unwrap()
                    )
                })
                .unwrap_or_else(|| "fresh ".into())
        };
        assert_eq!(state("fresh"), "fresh ", "{python:?}");
        assert_eq!(state("mtime"), "stale source mtime changed");
        assert_eq!(state("size"), "stale source size changed");
        assert_eq!(state("magic"), "stale wrong magic number");
        assert_eq!(state("truncated"), "stale truncated");
        assert_eq!(state("empty"), "stale truncated");
        assert_eq!(state("garbage"), "stale no code object after the header");
        assert_eq!(state("missing"), "missing ");
        // Where importlib recompiles on its own, it agrees with us.
        let judged: Vec<PathBuf> = ["fresh", "mtime", "size", "magic", "truncated", "empty"]
            .iter()
            .map(|n| tree.site.join(format!("{n}.py")))
            .collect();
        assert_eq!(
            importlib_verdicts(&python, 0, &judged),
            ["fresh", "stale", "stale", "stale", "stale", "stale"],
            "{python:?}"
        );
        // update repairs all of it; importlib then uses every file.
        tree.pycache(&["update", "-O", "0"]).expect(0);
        assert_eq!(
            importlib_verdicts(&python, 0, &sources),
            vec!["fresh"; sources.len()]
        );
        let _ = names;
    }
}

#[test]
fn hash_based_pycs_are_judged_as_importlib_does() {
    for python in pythons().into_iter().filter(|p| p.minor >= 7) {
        for mode in ["checked-hash", "unchecked-hash"] {
            let tree = Tree::new(&python);
            let source = tree.write("h.py", "A = 1\n");
            tree.pycache(&["update", "-O", "0", "--invalidation-mode", mode])
                .expect(0);
            let flags = fs::read(tree.cache("h.py", 0)).unwrap()[4];
            assert_eq!(flags, if mode == "checked-hash" { 3 } else { 1 });
            tree.pycache(&["check", "-O", "0"]).expect(0);
            // Same size and mtime, other bytes: only the hash can tell.
            let t = fs::metadata(&source).unwrap().modified().unwrap();
            fs::write(&source, "A = 2\n").unwrap();
            fs::File::options()
                .write(true)
                .open(&source)
                .unwrap()
                .set_modified(t)
                .unwrap();
            let ours = tree.pycache(&["check", "-O", "0", "--json"]).json();
            let theirs = importlib_verdicts(&python, 0, std::slice::from_ref(&source));
            let stale = !ours["to_compile"].as_array().unwrap().is_empty();
            assert_eq!(
                stale,
                theirs == ["stale"],
                "{python:?} {mode}: ours {ours} vs importlib {theirs:?}"
            );
            assert_eq!(stale, mode == "checked-hash", "{python:?} {mode}");
        }
    }
}

#[test]
fn orphans_of_this_tag_go_everything_else_stays() {
    for python in pythons() {
        let tree = Tree::new(&python);
        populate(&tree);
        tree.pycache(&["update"]).expect(0);
        let tag = python.tag();
        let other = if python.minor == 9 {
            "cpython-311"
        } else {
            "cpython-39"
        };
        // The source of gone.py was removed: its bytecode is an orphan.
        let pc = tree.site.join("pkg/__pycache__");
        for name in [
            format!("gone.{tag}.pyc"),
            format!("gone.{tag}.opt-1.pyc"),
            format!("gone.{tag}.opt-2.pyc"),
        ] {
            fs::write(pc.join(&name), b"x").unwrap();
        }
        let keep = [
            format!("gone.{other}.pyc"),      // another version's
            format!("mod.{other}.opt-1.pyc"), // another version's, source present
            "notes.txt".to_string(),          // stray file
            format!("gone.{tag}.py"),         // not bytecode
        ];
        for name in &keep {
            fs::write(pc.join(name), b"keep").unwrap();
        }
        symlink("/etc/hostname", pc.join(format!("link.{tag}.pyc"))).unwrap();
        // A directory inside a cache is never entered, nor is the cache removed.
        fs::create_dir_all(pc.join("nested")).unwrap();
        fs::write(pc.join(format!("nested/gone.{tag}.pyc")), b"keep").unwrap();
        tree.write("pkg/sourceless.pyc", "sourceless module");
        tree.write(
            format!("pkg/__pycache__/sourceless.{tag}.pyc"),
            "orphan too",
        );
        let out = tree.pycache(&["update", "--json"]).expect(0).json();
        let removed: Vec<String> = out["removed_files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                Path::new(p.as_str().unwrap())
                    .file_name()
                    .unwrap()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        assert_eq!(
            removed,
            [
                format!("gone.{tag}.opt-1.pyc"),
                format!("gone.{tag}.opt-2.pyc"),
                format!("gone.{tag}.pyc"),
                format!("sourceless.{tag}.pyc"),
            ],
            "{python:?}"
        );
        for name in &keep {
            assert_eq!(fs::read(pc.join(name)).unwrap(), b"keep", "{name}");
        }
        assert!(
            fs::symlink_metadata(pc.join(format!("link.{tag}.pyc")))
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert!(Path::new("/etc/hostname").exists());
        assert!(tree.site.join("pkg/sourceless.pyc").exists());
        assert_eq!(
            fs::read(pc.join(format!("nested/gone.{tag}.pyc"))).unwrap(),
            b"keep"
        );
    }
}

#[test]
fn dropped_package_leaves_no_caches_or_empty_dirs() {
    let python = debian_python();
    let tree = Tree::new(&python);
    populate(&tree);
    tree.write("data_only/empty_before/.keep", "");
    fs::remove_file(tree.site.join("data_only/empty_before/.keep")).unwrap();
    tree.pycache(&["update"]).expect(0);
    // Another version's bytecode keeps one directory alive.
    fs::write(
        tree.site.join("pkg/sub/__pycache__/x.cpython-39.pyc"),
        b"39",
    )
    .unwrap();
    for f in ["pkg/__init__.py", "pkg/mod.py", "pkg/sub/__init__.py"] {
        fs::remove_file(tree.site.join(f)).unwrap();
    }
    let out = tree.pycache(&["clean", "--json"]).expect(0).json();
    assert_eq!(out["interpreters_started"], 0);
    let listing = tree.listing();
    assert!(
        listing.contains(&"pkg/sub/__pycache__/x.cpython-39.pyc".into()),
        "{listing:?}"
    );
    assert!(
        !listing.iter().any(|p| p.starts_with("pkg/__pycache__")),
        "{listing:?}"
    );
    // A directory that was empty before is never removed.
    assert!(
        listing.contains(&"data_only/empty_before/".into()),
        "{listing:?}"
    );
    fs::remove_file(tree.site.join("pkg/sub/__pycache__/x.cpython-39.pyc")).unwrap();
    tree.pycache(&["clean"]).expect(0);
    let listing = tree.listing();
    assert!(!listing.iter().any(|p| p.starts_with("pkg")), "{listing:?}");
    assert!(tree.site.exists());
}

#[test]
fn symlinks_are_never_followed_deleted_through_or_written_through() {
    let python = debian_python();
    let tree = Tree::new(&python);
    let outside = tempfile::tempdir().unwrap();
    let outdir = outside.path().join("ext");
    fs::create_dir_all(outdir.join("__pycache__")).unwrap();
    fs::write(outdir.join("m.py"), "X = 1\n").unwrap();
    fs::write(
        outdir.join("__pycache__/gone.cpython-311.pyc"),
        b"outside orphan",
    )
    .unwrap();
    fs::write(outside.path().join("lone.py"), "Y = 1\n").unwrap();
    populate(&tree);
    symlink(&outdir, tree.site.join("linked_dir")).unwrap();
    symlink(
        outside.path().join("lone.py"),
        tree.site.join("linked_out.py"),
    )
    .unwrap();
    symlink("top.py", tree.site.join("linked_in.py")).unwrap();
    // A __pycache__ that is a symlink to outside: never written through.
    fs::create_dir_all(tree.site.join("trap")).unwrap();
    fs::write(tree.site.join("trap/t.py"), "T = 1\n").unwrap();
    symlink(
        outdir.join("__pycache__"),
        tree.site.join("trap/__pycache__"),
    )
    .unwrap();
    let before_outside = common::listing(outside.path());

    let out = tree.pycache(&["update", "--json", "-v"]).expect(1).json();
    assert_eq!(
        common::listing(outside.path()),
        before_outside,
        "something was written outside"
    );
    assert_eq!(
        fs::read(outdir.join("__pycache__/gone.cpython-311.pyc")).unwrap(),
        b"outside orphan"
    );
    let failures = out["failures"].to_string();
    assert!(
        failures.contains("trap/__pycache__") && failures.contains("not compiling through it"),
        "{failures}"
    );
    // A link to a source inside the tree is compiled in place; one to outside is not.
    assert!(tree.cache("linked_in.py", 0).exists());
    assert!(!tree.cache("linked_out.py", 0).exists());
    assert!(
        out["notes"]
            .to_string()
            .contains("linked_out.py: symlink to outside the tree"),
        "{}",
        out["notes"]
    );
    assert!(
        fs::symlink_metadata(tree.site.join("linked_dir"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert!(
        !tree
            .site
            .join("linked_dir/__pycache__/m.cpython-311.pyc")
            .exists()
    );
    // Touched directories behind a symlink are ignored too.
    let out = tree
        .pycache(&[
            "update",
            "--json",
            &tree.site.join("linked_dir").to_string_lossy(),
        ])
        .json();
    assert!(
        out["notes"].to_string().contains("behind the symlink"),
        "{out}"
    );
    assert_eq!(common::listing(outside.path()), before_outside);
}

#[test]
fn any_byte_in_a_file_name_survives() {
    for python in pythons() {
        let tree = Tree::new(&python);
        let names: [&[u8]; 3] = [b"new\nline.py", b"latin\xe9.py", b"sp ace\"q'.py"];
        let dir = tree.site.join("odd");
        fs::create_dir_all(&dir).unwrap();
        let sources: Vec<PathBuf> = names
            .iter()
            .map(|n| {
                let p = dir.join(std::ffi::OsStr::from_bytes(n));
                fs::write(&p, "V = 'odd'\n").unwrap();
                p
            })
            .collect();
        let run = tree.pycache(&["update", "--json"]).expect(0);
        let out = run.json();
        assert_eq!(
            out["compiled"].as_array().unwrap().len(),
            3,
            "{python:?}: {out}"
        );
        // JSON keeps the exact bytes as surrogate escapes.
        let raw = run.stdout;
        assert!(
            raw.contains("latin\\udce9.py") && raw.contains("new\\u000aline.py"),
            "{raw}"
        );
        for level in LEVELS {
            assert_eq!(
                importlib_verdicts(&python, level, &sources),
                ["fresh"; 3],
                "{python:?} {level}"
            );
        }
        tree.pycache(&["check"]).expect(0);
        for s in &sources {
            fs::remove_file(s).unwrap();
        }
        tree.pycache(&["update"]).expect(0);
        assert_eq!(tree.listing(), Vec::<String>::new(), "{python:?}");
    }
}

#[test]
fn a_syntax_error_is_reported_and_the_rest_compiles() {
    for python in pythons() {
        let tree = Tree::new(&python);
        let sources = populate(&tree);
        tree.write("py2only.py", "print 'hello'\n");
        let out = tree.pycache(&["update"]).expect(1);
        let line = out
            .stdout
            .lines()
            .find(|l| l.contains("py2only.py"))
            .unwrap_or_else(|| panic!("{}", out.stdout));
        assert!(
            line.starts_with("pycache: /")
                && line.contains("SyntaxError")
                && line.contains("(line 1)"),
            "{line}"
        );
        assert!(
            out.stdout.contains("compiled 4 files (3 levels)"),
            "{}",
            out.stdout
        );
        for level in LEVELS {
            assert_eq!(importlib_verdicts(&python, level, &sources), ["fresh"; 4]);
        }
    }
}

#[test]
fn a_missing_interpreter_still_cleans_and_says_so() {
    let python = debian_python();
    let tree = Tree::new(&python);
    populate(&tree);
    tree.pycache(&["update"]).expect(0);
    fs::remove_file(tree.site.join("pkg/mod.py")).unwrap();
    tree.write("new.py", "N = 1\n");
    fs::remove_file(tree.prefix.join("bin/python3.11")).unwrap();
    let out = tree.pycache(&["update"]).expect(3);
    assert!(!tree.cache("pkg/mod.py", 0).exists(), "orphan not removed");
    assert!(
        out.stdout.contains("removed 3 orphaned files"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("bin/python3.11: interpreter not found; 1 source(s) not compiled"),
        "{}",
        out.stdout
    );
    tree.pycache(&["clean"]).expect(0);
    // Nothing to compile: a missing interpreter is no error at all.
    fs::remove_file(tree.site.join("new.py")).unwrap();
    tree.pycache(&["update"]).expect(0);
    // And --python pointing nowhere is an environment error.
    let run = common::pycache(["check", "--python", "/nonexistent/python3.11"]).expect(3);
    assert!(
        run.stderr
            .contains("/nonexistent/python3.11: interpreter not found"),
        "{}",
        run.stderr
    );
}

#[test]
fn an_unreadable_directory_is_reported_and_the_rest_processed() {
    let python = debian_python();
    let tree = Tree::new(&python);
    populate(&tree);
    let locked = tree.write("locked/inner.py", "I = 1\n");
    let locked_dir = locked.parent().unwrap().to_path_buf();
    // One more, deep inside a package whose other files must still compile.
    let deep = tree.write("pkg/sub/deeper/locked/x.py", "X = 1\n");
    let deep_dir = deep.parent().unwrap().to_path_buf();
    tree.write("pkg/sub/deeper/ok.py", "OK = 1\n");
    // Root reads everything: run as nobody, owning the tree, when we are root.
    let is_root = running_as_root();
    for p in walk_all(tree.tmp.path()) {
        if is_root {
            std::os::unix::fs::lchown(&p, Some(65534), Some(65534)).unwrap();
        }
    }
    let mut perms = fs::metadata(&locked_dir).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o000);
    fs::set_permissions(&locked_dir, perms.clone()).unwrap();
    fs::set_permissions(&deep_dir, perms).unwrap();
    let mut cmd = if is_root {
        let mut c = std::process::Command::new("setpriv");
        c.args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            env!("CARGO_BIN_EXE_pycache"),
        ]);
        c
    } else {
        std::process::Command::new(env!("CARGO_BIN_EXE_pycache"))
    };
    cmd.args([
        "update",
        "--python",
        "/usr/bin/python3.11",
        "--site-packages",
    ])
    .arg(&tree.site);
    let out = common::Run::of(
        cmd.output()
            .expect("setpriv (util-linux) is needed to drop root"),
    )
    .expect(1);
    for dir in [&locked_dir, &deep_dir] {
        let line = format!("pycache: {}: cannot read directory", dir.display());
        assert!(out.stdout.contains(&line), "{}", out.stdout);
    }
    assert!(out.stdout.contains("compiled 5 files"), "{}", out.stdout);
    assert!(out.stdout.contains("2 failed"), "{}", out.stdout);
    let mut perms = fs::metadata(&tree.site).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    fs::set_permissions(&locked_dir, perms.clone()).unwrap();
    fs::set_permissions(&deep_dir, perms).unwrap();
}

fn walk_all(root: &Path) -> Vec<PathBuf> {
    walkdir::WalkDir::new(root)
        .into_iter()
        .map(|e| e.unwrap().into_path())
        .collect()
}

fn running_as_root() -> bool {
    std::process::Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

#[test]
fn a_root_records_runtime_paths_and_stays_inside() {
    for python in pythons() {
        let stage = tempfile::tempdir().unwrap();
        let root = stage.path().canonicalize().unwrap();
        let runtime = PathBuf::from(format!("/usr/local/lib/{}/site-packages", python.name()));
        // usr/local is a symlink with an absolute target: it must resolve inside the root.
        fs::create_dir_all(root.join("opt/local")).unwrap();
        symlink("/opt/local", root.join("usr-local-link")).unwrap();
        fs::create_dir_all(root.join("usr")).unwrap();
        symlink("/opt/local", root.join("usr/local")).unwrap();
        let staged = root
            .join("opt/local")
            .join(runtime.strip_prefix("/usr/local").unwrap());
        fs::create_dir_all(staged.join("pkg")).unwrap();
        let source = staged.join("pkg/m.py");
        fs::write(&source, "def f():\n    return 1\n").unwrap();
        let flavor = python.flavor();
        let out = common::pycache([
            "update".as_ref(),
            "--json".as_ref(),
            "--flavor".as_ref(),
            flavor.as_ref(),
            "--python".as_ref(),
            python.path.as_os_str(),
            "--root".as_ref(),
            root.as_os_str(),
        ] as [&std::ffi::OsStr; 8])
        .expect(0)
        .json();
        assert_eq!(
            out["python"]["directory"],
            staged.to_string_lossy().as_ref()
        );
        for level in LEVELS {
            let cfile = cache_of(&source, &python.tag(), level);
            let (same, filename) =
                code_matches(&python, &source, &cfile, &runtime.join("pkg/m.py"), level);
            assert!(same, "{python:?} level {level}");
            assert_eq!(
                filename,
                runtime.join("pkg/m.py").to_string_lossy(),
                "{python:?}"
            );
        }
    }
}

#[test]
fn touched_dirs_limit_the_work_and_find_dropped_subpackages() {
    let python = debian_python();
    let tree = Tree::new(&python);
    populate(&tree);
    tree.write("zzup/__init__.py", "");
    tree.write("zzup/sub/__init__.py", "");
    tree.write("zzup/sub/deep/c.py", "C = 1\n");
    tree.pycache(&["update"]).expect(0);
    // Untouched and never compiled: must stay so.
    tree.write("other/untouched.py", "U = 1\n");
    // Upgrade 1.0 -> 2.0: only zzup/__init__.py remains, pkg reports only zzup.
    fs::remove_file(tree.site.join("zzup/sub/__init__.py")).unwrap();
    fs::remove_file(tree.site.join("zzup/sub/deep/c.py")).unwrap();
    tree.write("zzup/__init__.py", "VERSION = 2\n");
    let zzup = tree.site.join("zzup");
    let out = tree
        .pycache(&["update", "--json", &zzup.to_string_lossy()])
        .expect(0)
        .json();
    assert_eq!(out["compiled"].as_array().unwrap().len(), 1, "{out}");
    let listing = tree.listing();
    assert!(
        !listing.iter().any(|p| p.starts_with("zzup/sub")),
        "{listing:?}"
    );
    assert!(listing.contains(&"zzup/__pycache__/__init__.cpython-311.pyc".into()));
    assert!(
        !tree.cache("other/untouched.py", 0).exists(),
        "an untouched dir was compiled"
    );
    // A top-level module install touches site-packages itself: no full walk.
    tree.write("six.py", "S = 6\n");
    let out = tree
        .pycache(&["update", "--json", &tree.site.to_string_lossy()])
        .expect(0)
        .json();
    assert_eq!(out["compiled"].as_array().unwrap().len(), 1, "{out}");
    assert!(!tree.cache("other/untouched.py", 0).exists());
    // Delete: the directories are gone or hold only caches; several
    // touched directories lie below one that is gone.
    tree.write("gonepkg/__init__.py", "");
    tree.write("gonepkg/locale/xx/LC_MESSAGES/a.mo", "");
    tree.write("gonepkg/locale/xx/other/b.txt", "");
    tree.pycache(&["update"]).expect(0);
    for f in [
        "pkg/__init__.py",
        "pkg/mod.py",
        "pkg/sub/__init__.py",
        "gonepkg/__init__.py",
    ] {
        fs::remove_file(tree.site.join(f)).unwrap();
    }
    fs::remove_dir_all(tree.site.join("gonepkg/locale")).unwrap();
    let list = tree.tmp.path().join("touched");
    let dirs = [
        tree.site.join("pkg"),
        tree.site.join("pkg/sub"),
        tree.site.join("never/existed"),
        tree.site.join("gonepkg/locale/xx/LC_MESSAGES"),
        tree.site.join("gonepkg/locale/xx/other"),
    ];
    let mut bytes = Vec::new();
    for d in &dirs {
        bytes.extend_from_slice(d.as_os_str().as_bytes());
        bytes.push(0);
    }
    fs::write(&list, bytes).unwrap();
    tree.pycache(&["update", "--dirs-from", &list.to_string_lossy()])
        .expect(0);
    assert!(!tree.site.join("pkg").exists(), "{:?}", tree.listing());
    assert!(!tree.site.join("gonepkg").exists(), "{:?}", tree.listing());
    // An empty list means nothing was touched.
    fs::write(&list, b"").unwrap();
    let out = tree
        .pycache(&["update", "--json", "--dirs-from", &list.to_string_lossy()])
        .expect(0)
        .json();
    assert_eq!(out["sources"], 0);
}

#[test]
fn check_exit_codes_and_dry_run() {
    let python = debian_python();
    let tree = Tree::new(&python);
    populate(&tree);
    let before = tree.listing();
    let out = tree.pycache(&["update", "--dry-run"]).expect(0);
    assert!(
        out.stdout.contains("would compile 4 files (3 levels)"),
        "{}",
        out.stdout
    );
    assert_eq!(tree.listing(), before);
    let out = tree.pycache(&["check"]).expect(1);
    assert!(
        out.stdout
            .starts_with(">=> Python 3.11: 4 files to compile (12 missing, 0 stale)"),
        "{}",
        out.stdout
    );
    tree.pycache(&["update", "-q"]).expect(0);
    tree.pycache(&["check"]).expect(0);
}

#[test]
fn usage_errors_show_the_expected_form() {
    for (args, needle) in [
        (vec!["check", "--flavor", "py3"], "invalid flavor \"py3\""),
        (vec!["check", "--flavor", "python311"], "expected pyXY"),
        (
            vec!["check", "--flavor", "py311", "-O", "3"],
            "invalid optimization level \"3\"",
        ),
        (
            vec![
                "check",
                "--flavor",
                "py311",
                "-x",
                "[",
                "--site-packages",
                "/",
            ],
            "invalid exclude pattern \"[\"",
        ),
        (vec!["frobnicate"], "unrecognized subcommand"),
    ] {
        let out = common::pycache(&args).expect(2);
        assert!(out.stderr.contains(needle), "{args:?}: {}", out.stderr);
    }
    let out = common::pycache(["check", "--flavor", "py311", "--prefix", "/nonexistent"]).expect(3);
    assert!(
        out.stderr.contains(
            "/nonexistent/lib/python3.11/site-packages: site-packages directory does not exist"
        ),
        "{}",
        out.stderr
    );
}

#[test]
fn excluded_sources_are_not_compiled() {
    let python = debian_python();
    let tree = Tree::new(&python);
    populate(&tree);
    tree.write("pkg/tests/test_x.py", "print 'py2'\n");
    let out = tree.pycache(&["update", "-x", "*/tests/*"]).expect(0);
    assert!(out.stdout.contains("compiled 4 files"), "{}", out.stdout);
    assert!(!tree.cache("pkg/tests/test_x.py", 0).exists());
    tree.pycache(&["check", "-x", "*/tests/*"]).expect(0);
}

#[test]
fn a_hanging_or_crashing_file_is_reported_and_the_pool_goes_on() {
    let python = debian_python();
    let tree = Tree::new(&python);
    let sources = populate(&tree);
    tree.write("crash_me.py", "C = 1\n");
    tree.write("hang_me.py", "H = 1\n");
    // An interpreter that dies or hangs on some files: the real worker,
    // with the compile step wrapped.
    let wrapper = tree.prefix.join("bin/python3.11");
    fs::remove_file(&wrapper).unwrap();
    fs::write(
        &wrapper,
        r#"#!/bin/sh
# called as: -I -S -X utf8 -u -c CODE MODE
exec /usr/bin/python3.11 -I -S -X utf8 -u -c "
import builtins, os, time
real = builtins.compile
def compile(source, path, *args, **kwargs):
    if 'crash_me' in str(path):
        os.kill(os.getpid(), 9)
    if 'hang_me' in str(path):
        time.sleep(30)
    return real(source, path, *args, **kwargs)
builtins.compile = compile
$7" "$8"
"#,
    )
    .unwrap();
    let mut perms = fs::metadata(&wrapper).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    fs::set_permissions(&wrapper, perms).unwrap();
    for jobs in ["1", "2"] {
        let out = tree
            .pycache(&["update", "--timeout", "2", "-j", jobs, "--json"])
            .expect(1)
            .json();
        let failures = out["failures"].as_array().unwrap();
        assert_eq!(failures.len(), 2, "{out}");
        assert!(
            failures[0]["path"]
                .as_str()
                .unwrap()
                .ends_with("crash_me.py")
        );
        assert!(
            failures[0]["reason"]
                .as_str()
                .unwrap()
                .contains("compile worker crashed (signal: 9"),
            "{out}"
        );
        assert!(
            failures[1]["path"]
                .as_str()
                .unwrap()
                .ends_with("hang_me.py")
        );
        assert_eq!(
            failures[1]["reason"],
            "timed out after 2 s; worker restarted"
        );
        assert!(out["interpreters_started"].as_u64().unwrap() >= 2, "{out}");
        for level in LEVELS {
            assert_eq!(importlib_verdicts(&python, level, &sources), ["fresh"; 4]);
        }
        for s in &sources {
            for level in LEVELS {
                fs::remove_file(cache_of(s, &python.tag(), level)).unwrap();
            }
        }
    }
    // No worker is left behind (their command line carries the wrapper's code).
    let ps = std::process::Command::new("ps")
        .args(["-eo", "args"])
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&ps.stdout).contains("'hang_me' in str(path)"));
}

#[test]
fn a_symlinked_site_packages_is_resolved_once_and_said_so() {
    let python = debian_python();
    let tree = Tree::new(&python);
    populate(&tree);
    let real = tree.tmp.path().join("real-site");
    fs::rename(&tree.site, &real).unwrap();
    symlink(&real, &tree.site).unwrap();
    // Touched directories spelled through the link are found.
    let out = tree
        .pycache(&["update", "-v", &tree.site.join("pkg").to_string_lossy()])
        .expect(0);
    let note = format!(
        "note: working on {} for {}",
        real.canonicalize().unwrap().display(),
        tree.site.display()
    );
    assert!(out.stdout.contains(&note), "{}", out.stdout);
    assert!(out.stdout.contains("compiled 2 files"), "{}", out.stdout);
    assert!(
        fs::symlink_metadata(&tree.site)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    // Code records the path as the running system spells it.
    let (same, filename) = code_matches(
        &python,
        &real.join("pkg/mod.py"),
        &cache_of(&real.join("pkg/mod.py"), "cpython-311", 0),
        &tree.site.join("pkg/mod.py"),
        0,
    );
    assert!(same);
    assert_eq!(filename, tree.site.join("pkg/mod.py").to_string_lossy());
}

#[test]
fn touched_dirs_outside_the_tree_are_ignored() {
    let python = debian_python();
    let tree = Tree::new(&python);
    populate(&tree);
    let outside = tree.prefix.join("lib/elsewhere");
    fs::create_dir_all(outside.join("__pycache__")).unwrap();
    let orphan = outside.join("__pycache__/gone.cpython-311.pyc");
    fs::write(&orphan, b"not ours to judge").unwrap();
    fs::write(outside.join("m.py"), "M = 1\n").unwrap();
    let sneaky = tree.site.join("../../elsewhere");
    let out = tree
        .pycache(&[
            "update",
            "--json",
            &outside.to_string_lossy(),
            &sneaky.to_string_lossy(),
        ])
        .expect(0)
        .json();
    assert!(orphan.exists());
    assert!(!outside.join("__pycache__/m.cpython-311.pyc").exists());
    let notes = out["notes"].to_string();
    assert_eq!(notes.matches("; ignored").count(), 2, "{notes}");
    // No touched directory in the tree: a wrong list, so the whole tree
    // was updated instead, with one warning.
    assert_eq!(out["warnings"].as_array().unwrap().len(), 1, "{out}");
    assert!(
        out["warnings"][0]
            .as_str()
            .unwrap()
            .contains("updating the whole site-packages")
    );
    assert_ne!(out["sources"], 0);
}

#[test]
fn each_level_gets_its_own_code_where_optimization_changes_it() {
    // Levels 0 and 1 share one compile only when -O cannot change the code.
    for python in pythons() {
        let tree = Tree::new(&python);
        let sources = [
            tree.write(
                "plain.py",
                "\"\"\"Doc.\"\"\"\ndef f():\n    \"\"\"Doc.\"\"\"\n    return 1\n",
            ),
            tree.write(
                "asserts.py",
                "def f(x):\n    assert x, 'no'\n    return x\n",
            ),
            tree.write(
                "debug.py",
                "if __debug__:\n    MODE = 'debug'\nelse:\n    MODE = 'optimized'\n",
            ),
            tree.write(
                "mention.py",
                "# assert in a comment only\nVALUE = 'assertion'\n",
            ),
            tree.write(
                "methods.py",
                "def test(self):\n    self.assertEqual(__debug__x, 1)\n",
            ),
            tree.write("packed.py", "def f(x):\n\tx=1;assert(x)\n"),
            // The keyword need not be in the bytes: the declared encoding
            // decodes `+AGE-` and `\x5f` to `a` and `_`.
            tree.write(
                "utf7.py",
                "# coding: utf-7\ndef f(x):\n    +AGE-ssert x\n    return x\n",
            ),
            tree.write(
                "escaped.py",
                "# -*- coding: unicode_escape -*-\nif \\x5f_debug__:\n    MODE = 1\n",
            ),
            // Levels 1 and 2 share one compile only when there is no
            // docstring: one in each place -OO looks, and none at all.
            tree.write("moddoc.py", "'Module doc.'\nX = 1\n"),
            tree.write("classdoc.py", "class A:\n    'Doc.'\n    x = 1\n"),
            tree.write(
                "nesteddoc.py",
                "def f():\n    def g():\n        'Doc.'\n    return g\n",
            ),
            tree.write(
                "methoddoc.py",
                "class A:\n    x = 'v'\n    async def m(self):\n        ('Doc.')\n        return 1\n",
            ),
            tree.write(
                "nodocs.py",
                "class A:\n    x = 'not a doc'\n\
                 def f(x):\n    y = 'first constant'\n    assert x\n\
                 \x20   return [s + 'z' for s in x], lambda: 'v'\n",
            ),
            tree.write("plain_nodoc.py", "X = 'a'\ndef f():\n    return 'b'\n"),
        ];
        tree.pycache(&["update"]).expect(0);
        for level in LEVELS {
            for source in &sources {
                let cfile = cache_of(source, &python.tag(), level);
                let (same, _) = code_matches(&python, source, &cfile, source, level);
                assert!(same, "{python:?}: {} at level {level}", source.display());
            }
        }
        let bytes = |name: &str, level| fs::read(tree.cache(name, level)).unwrap();
        assert_ne!(bytes("debug.py", 0), bytes("debug.py", 1), "{python:?}");
        for name in ["asserts.py", "packed.py", "utf7.py", "escaped.py"] {
            assert_ne!(bytes(name, 0), bytes(name, 1), "{python:?}: {name}");
        }
        for name in ["moddoc.py", "classdoc.py", "nesteddoc.py", "methoddoc.py"] {
            assert_ne!(bytes(name, 1), bytes(name, 2), "{python:?}: {name}");
        }
        assert_ne!(bytes("plain.py", 1), bytes("plain.py", 2), "{python:?}");
        // Levels whose pycs are the same bytes are one file with a name per
        // level (on every version).
        let links = true;
        for source in &sources {
            let cfiles = LEVELS.map(|level| cache_of(source, &python.tag(), level));
            for (a, b) in [(0, 1), (1, 2), (0, 2)] {
                let same_bytes = fs::read(&cfiles[a]).unwrap() == fs::read(&cfiles[b]).unwrap();
                assert_eq!(
                    inode(&cfiles[a]) == inode(&cfiles[b]),
                    same_bytes && links,
                    "{python:?}: {} levels {a} and {b}",
                    source.display()
                );
            }
        }
        let nlink = fs::metadata(tree.cache("plain_nodoc.py", 0))
            .unwrap()
            .nlink();
        assert_eq!(nlink, if links { 3 } else { 1 }, "{python:?}");
    }
}

fn inode(path: &Path) -> (u64, u64) {
    let meta = fs::metadata(path).unwrap();
    (meta.dev(), meta.ino())
}

#[test]
fn linked_levels_replace_stale_files_and_never_write_through_a_link() {
    for python in pythons().into_iter().filter(|p| p.minor >= 7) {
        let tree = Tree::new(&python);
        let source = tree.write("plain.py", "X = 1\n");
        tree.pycache(&["update"]).expect(0);
        // An admin's file that happens to be hard-linked as a stale level-1 pyc.
        let precious = tree.prefix.join("precious");
        fs::write(&precious, "not bytecode").unwrap();
        fs::remove_file(tree.cache("plain.py", 1)).unwrap();
        fs::hard_link(&precious, tree.cache("plain.py", 1)).unwrap();
        fs::write(&source, "X = 'changed'\n").unwrap();
        let out = tree.pycache(&["update", "--json"]).expect(0).json();
        assert_eq!(
            out["compiled"].as_array().unwrap().len(),
            1,
            "{python:?}: {out}"
        );
        assert_eq!(fs::read_to_string(&precious).unwrap(), "not bytecode");
        assert_eq!(fs::metadata(&precious).unwrap().nlink(), 1, "{python:?}");
        for level in LEVELS {
            let cfile = tree.cache("plain.py", level);
            assert_eq!(
                fs::metadata(&cfile).unwrap().nlink(),
                3,
                "{python:?}: level {level}"
            );
            assert!(
                code_matches(&python, &source, &cfile, &source, level).0,
                "{python:?}"
            );
        }
        // Nothing but the three pycs: no temporary file left behind.
        let cache = tree.cache("plain.py", 0).parent().unwrap().to_path_buf();
        assert_eq!(fs::read_dir(&cache).unwrap().count(), 3, "{python:?}");
    }
}
