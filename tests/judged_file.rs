//! Invariant: the file compiled is the file that was judged (same device
//! and inode, no link followed that the scan did not check), and symlinks
//! below `--root` resolve inside the image.
//!
//! The attack these tests replay: a user who owns a package directory
//! swaps a source for a link to (or a hard link of) a file only root can
//! read, between the scan and the compile; root must not compile it into a
//! pyc everyone can read. Races are made deterministic with the debug
//! build's pause points (`PYCACHE_TEST_PAUSE`, src/testing.rs).

mod common;

use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};

use common::{LEVELS, Tree, cache_of, code_matches, debian_python, paused, pythons};

/// What the secret file holds; no bytecode of the tree may ever contain it.
const SECRET: &str = "root-only-8d1f0c";

/// A root-only file outside the tree: mode 0644 inside a 0700 directory,
/// which no other user can reach.
fn secret(tree: &Tree) -> PathBuf {
    let dir = tree.tmp.path().join("vault");
    fs::create_dir(&dir).unwrap();
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o700)).unwrap();
    let path = dir.join("secret.py");
    fs::write(&path, format!("KEY = {SECRET:?}\n")).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
    path
}

/// Every file of a `__pycache__` below `dir` whose bytes contain the
/// secret.
fn leaks(dir: &Path) -> Vec<PathBuf> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file())
        .filter(|e| e.path().parent().unwrap().ends_with("__pycache__"))
        .filter(|e| {
            let bytes = fs::read(e.path()).unwrap();
            bytes.windows(SECRET.len()).any(|w| w == SECRET.as_bytes())
        })
        .map(|e| e.into_path())
        .collect()
}

/// Defect 1 of the hostile review: `leak.py` is judged as a regular file,
/// then swapped for a symlink to the secret before any worker opens it.
#[test]
fn a_source_swapped_for_a_symlink_is_not_followed() {
    let tree = Tree::new(&debian_python());
    let secret = secret(&tree);
    let leak = tree.write("pkg/leak.py", "X = 1\n");
    tree.write("pkg/other.py", "Y = 2\n");
    let out = paused(&tree, &["update"], "before-judge", || {
        fs::remove_file(&leak).unwrap();
        symlink(&secret, &leak).unwrap();
    })
    .expect(1);
    assert_eq!(leaks(&tree.site), Vec::<PathBuf>::new(), "{}", out.stdout);
    assert!(
        out.stdout.contains(&format!(
            "pycache: {}: replaced by a symlink since it was judged; not compiled",
            leak.display()
        )),
        "{}",
        out.stdout
    );
    for level in LEVELS {
        assert!(!tree.cache("pkg/leak.py", level).exists(), "level {level}");
        assert!(tree.cache("pkg/other.py", level).exists(), "level {level}");
    }
}

/// The same after judging, with a hard link of the secret (FreeBSD lets
/// any user link a file they cannot read, `security.bsd.hardlink_check_uid=0`):
/// a regular file, but not the one judged.
#[test]
fn a_source_replaced_by_another_file_after_judging_is_not_compiled() {
    let tree = Tree::new(&debian_python());
    let secret = secret(&tree);
    let leak = tree.write("pkg/leak.py", "X = 1\n");
    let out = paused(&tree, &["update"], "before-compile", || {
        fs::remove_file(&leak).unwrap();
        fs::hard_link(&secret, &leak).unwrap();
    })
    .expect(1);
    assert_eq!(leaks(&tree.site), Vec::<PathBuf>::new(), "{}", out.stdout);
    assert!(
        out.stdout.contains(&format!(
            "pycache: {}: another file since it was judged (device and inode differ); not compiled",
            leak.display()
        )),
        "{}",
        out.stdout
    );
    for level in LEVELS {
        assert!(!tree.cache("pkg/leak.py", level).exists(), "level {level}");
    }
}

/// A symlinked source is compiled from the target the scan checked, even
/// when the link is pointed at the secret after judging.
#[test]
fn a_symlinked_source_compiles_the_target_that_was_checked() {
    let python = debian_python();
    let tree = Tree::new(&python);
    let secret = secret(&tree);
    let real = tree.write("pkg/real.py", "def f():\n    return 'real'\n");
    let alias = tree.site.join("pkg/alias.py");
    symlink("real.py", &alias).unwrap();
    paused(&tree, &["update"], "before-compile", || {
        fs::remove_file(&alias).unwrap();
        symlink(&secret, &alias).unwrap();
    })
    .expect(0);
    assert_eq!(leaks(&tree.site), Vec::<PathBuf>::new());
    for level in LEVELS {
        let cfile = tree.cache("pkg/alias.py", level);
        let (same, filename) = code_matches(&python, &real, &cfile, &alias, level);
        assert!(same, "level {level}: alias.py's pyc is not real.py's code");
        assert_eq!(filename, alias.to_string_lossy());
    }
}

/// Defect 9: in an image given with `--root`, an absolute symlink means
/// a path of the image, not of the host running pycache.
#[test]
fn absolute_symlinks_below_a_root_resolve_inside_it() {
    for python in pythons().into_iter().take(2) {
        let stage = tempfile::tempdir().unwrap();
        let root = stage.path().canonicalize().unwrap();
        let runtime = PathBuf::from(format!("/usr/local/lib/{}/site-packages", python.name()));
        let site = root.join(runtime.strip_prefix("/").unwrap());
        fs::create_dir_all(&site).unwrap();
        let real = site.join("real.py");
        fs::write(&real, "def f():\n    return 'real'\n").unwrap();
        let alias = site.join("alias.py");
        symlink(runtime.join("real.py"), &alias).unwrap();
        let run = |command: &str| {
            common::pycache([
                command.as_ref(),
                "--json".as_ref(),
                "--flavor".as_ref(),
                python.flavor().as_ref(),
                "--python".as_ref(),
                python.path.as_os_str(),
                "--root".as_ref(),
                root.as_os_str(),
            ] as [&std::ffi::OsStr; 8])
        };
        let check = run("check").expect(1).json();
        assert_eq!(check["sources"], 2, "{check}");
        run("update").expect(0);
        for level in LEVELS {
            let cfile = cache_of(&alias, &python.tag(), level);
            let (same, filename) =
                code_matches(&python, &real, &cfile, &runtime.join("alias.py"), level);
            assert!(same, "{python:?} level {level}");
            assert_eq!(filename, runtime.join("alias.py").to_string_lossy());
        }
        run("check").expect(0);
    }
}
