//! Invariant: only bytecode carrying this interpreter's cache tag is ever
//! removed; another version's files, sourceless modules, non-bytecode files
//! and anything outside the tree given are never touched; touched
//! directories limit the work without missing a dropped subpackage.

mod common;

use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::symlink;
use std::path::Path;

use common::{Tree, debian_python, populate, pythons};

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
