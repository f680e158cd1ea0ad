//! Invariant: symlinks are never followed out of the tree, never deleted
//! through, never written through.

mod common;

use std::fs;
use std::os::unix::fs::{MetadataExt, symlink};

use common::{LEVELS, Tree, cache_of, code_matches, debian_python, populate, pythons};

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
    assert!(out.stdout.contains("for 2 sources in"), "{}", out.stdout);
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
