//! Invariant: compiled code objects record the path the file will have on
//! the running system, also when working on a staged root, and nothing
//! outside the root is touched: not the tree a symlink of the image names
//! on the host, not a tree beside the root, not the runtime site-packages
//! on the host, not the interpreter's own libraries. Each is snapshotted
//! (every entry's type, mode, size, mtime, inode, link target) before and
//! after the run.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::{MetadataExt, symlink};
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{LEVELS, cache_of, code_matches, pythons};

/// Every entry below each of `dirs` (the dir itself included, symlinks not
/// followed), but those below `except`, with what a write, a removal or a
/// new entry changes; a dir that is not there is recorded as absent.
fn snapshot(dirs: &[PathBuf], except: &Path) -> BTreeMap<PathBuf, String> {
    let mut seen = BTreeMap::new();
    for dir in dirs {
        if fs::symlink_metadata(dir).is_err() {
            seen.insert(dir.clone(), "absent".to_string());
            continue;
        }
        let walk = walkdir::WalkDir::new(dir)
            .follow_links(false)
            .into_iter()
            .filter_entry(|e| !e.path().starts_with(except));
        for entry in walk {
            let entry = entry.unwrap();
            let meta = entry.path().symlink_metadata().unwrap();
            let kind = if meta.is_symlink() {
                format!("link to {:?}", fs::read_link(entry.path()).unwrap())
            } else if meta.is_dir() {
                "dir".to_string()
            } else {
                "file".to_string()
            };
            let state = format!(
                "{kind} mode {:o} size {} mtime {}.{:09} inode {}",
                meta.mode(),
                meta.size(),
                meta.mtime(),
                meta.mtime_nsec(),
                meta.ino()
            );
            seen.insert(entry.into_path(), state);
        }
    }
    seen
}

/// The interpreter's own directories: its standard library and every
/// site-packages it would import from.
fn interpreter_dirs(python: &common::Python) -> Vec<PathBuf> {
    let out = Command::new(&python.path)
        .args([
            "-I",
            "-c",
            "import site, sysconfig\n\
             p = sysconfig.get_paths()\n\
             print('\\0'.join([p['stdlib'], p['purelib'], p['platlib']] + site.getsitepackages()))",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{:?}: {out:?}", python.path);
    let text = String::from_utf8(out.stdout).unwrap();
    let mut dirs: Vec<PathBuf> = text.trim_end().split('\0').map(PathBuf::from).collect();
    dirs.sort();
    dirs.dedup();
    dirs
}

/// `rel` below `dir` with `text`, parents created.
fn write(dir: &Path, rel: &str, text: &str) -> PathBuf {
    let path = dir.join(rel);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(&path, text).unwrap();
    path
}

#[test]
fn a_root_records_runtime_paths_and_stays_inside() {
    for python in pythons() {
        let tmp = tempfile::tempdir().unwrap();
        let outer = tmp.path().canonicalize().unwrap();
        let root = outer.join("root");
        let runtime = PathBuf::from(format!("/usr/local/lib/{}/site-packages", python.name()));
        let below_prefix = runtime.strip_prefix("/usr/local").unwrap();
        // usr/local is a symlink with an absolute target, OUTER/away/local:
        // it must resolve inside the root. On the host, that path holds a
        // tree of the same shape, which is not the image's.
        let away = outer.join("away/local");
        fs::create_dir_all(root.join("usr")).unwrap();
        symlink(&away, root.join("usr/local")).unwrap();
        let staged = root
            .join(away.strip_prefix("/").unwrap())
            .join(below_prefix);
        let orphan = format!("pkg/__pycache__/gone.{}.pyc", python.tag());
        let source = write(&staged, "pkg/m.py", "def f():\n    return 1\n");
        let staged_orphan = write(&staged, &orphan, "orphan");
        // The same tree where the symlink points on the host, and one beside
        // the root: a run that left the root would compile and clean them.
        for tree in [
            away.join(below_prefix),
            outer.join("beside").join(below_prefix),
        ] {
            write(&tree, "pkg/m.py", "def f():\n    return 1\n");
            write(&tree, &orphan, "orphan");
        }
        let mut watched = vec![outer.clone(), runtime.clone()];
        watched.extend(interpreter_dirs(&python));
        let before = snapshot(&watched, &root);
        assert!(before.len() > 10, "{before:?}");

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
        let after = snapshot(&watched, &root);

        let changed: Vec<String> = before
            .keys()
            .chain(after.keys().filter(|k| !before.contains_key(*k)))
            .filter(|k| before.get(*k) != after.get(*k))
            .map(|k| format!("{}: {:?} -> {:?}", k.display(), before.get(k), after.get(k)))
            .collect();
        assert!(
            changed.is_empty(),
            "{python:?}: the run changed what is outside the root:\n{}",
            changed.join("\n")
        );
        // Inside, it did its work.
        assert_eq!(out["python"]["directory"], staged.to_str().unwrap());
        assert_eq!(out["removed_files"].as_array().unwrap().len(), 1, "{out}");
        assert!(
            !staged_orphan.exists(),
            "{python:?}: the staged orphan stays"
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
