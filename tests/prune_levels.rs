//! `--prune-levels` (`prune_levels = true` in pycache.conf): an admin who
//! keeps fewer levels (`-O 0,1`) removes this interpreter's bytecode of the
//! others; without it nothing valid is ever removed. Only files carrying
//! this interpreter's tag go, as for orphans; the summary says how many
//! files and bytes were freed, a level that is a hard link of a kept one
//! freeing none. Run on two CPython versions.

mod common;

use std::fs;
use std::os::unix::fs::{MetadataExt, symlink};
use std::path::PathBuf;

use common::{Tree, cache_of, pythons};

/// Two CPython versions that write levels that are the same bytes as hard
/// links (3.6 writes each level on its own): 3.11 and the newest.
fn two() -> Vec<common::Python> {
    let all: Vec<_> = pythons().into_iter().filter(|p| p.minor >= 7).collect();
    assert!(all.len() >= 2, "needs two CPython versions 3.7 or newer");
    vec![all[0].clone(), all[all.len() - 1].clone()]
}

/// A tree compiled at every level, with things pruning must not touch.
struct Setup {
    tree: Tree,
    /// Bytecode no pruning may remove, with its inode.
    kept: Vec<(PathBuf, u64)>,
    /// This tag's opt-2 files.
    opt2: Vec<PathBuf>,
}

fn setup(python: &common::Python) -> Setup {
    let tree = Tree::new(python);
    // With a docstring: opt-2 differs from opt-1. Without: levels 1 and 2
    // are one file with two names.
    tree.write("pkg/__init__.py", "\"\"\"Docs.\"\"\"\nA = 1\n");
    tree.write("pkg/plain.py", "B = 2\n");
    tree.write("top.py", "def f():\n    \"\"\"Doc.\"\"\"\n    return 3\n");
    tree.write("pkg/link.py", "C = 3\n");
    tree.pycache(&["update"]).expect(0);
    let other_tag = if python.minor == 9 {
        "cpython-310"
    } else {
        "cpython-39"
    };
    let other = cache_of(&tree.site.join("top.py"), other_tag, 2);
    fs::write(&other, b"another version's").unwrap();
    let odd = tree
        .site
        .join("__pycache__/top.".to_string() + &python.tag() + ".opt-foo.pyc");
    fs::write(&odd, b"not a level").unwrap();
    let outside = tree.tmp.path().join("outside.pyc");
    fs::write(&outside, b"outside").unwrap();
    // This tag's opt-2 name, but a symlink: never removed through.
    let link = cache_of(&tree.site.join("pkg/link.py"), &python.tag(), 2);
    fs::remove_file(&link).unwrap();
    symlink(&outside, &link).unwrap();
    let sourceless = tree.write("sourceless.pyc", "");
    let mut kept = vec![other, odd, link, outside, sourceless];
    let mut opt2 = Vec::new();
    kept.push(tree.cache("pkg/link.py", 0));
    kept.push(tree.cache("pkg/link.py", 1));
    for rel in ["pkg/__init__.py", "pkg/plain.py", "top.py"] {
        kept.push(tree.cache(rel, 0));
        kept.push(tree.cache(rel, 1));
        opt2.push(tree.cache(rel, 2));
    }
    let kept = kept
        .into_iter()
        .map(|p| {
            let ino = p.symlink_metadata().unwrap().ino();
            (p, ino)
        })
        .collect();
    Setup { tree, kept, opt2 }
}

fn assert_kept(s: &Setup) {
    for (p, ino) in &s.kept {
        let meta = p
            .symlink_metadata()
            .unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        assert_eq!(meta.ino(), *ino, "{} was replaced", p.display());
    }
}

#[test]
fn without_the_flag_nothing_valid_is_removed() {
    for python in two().iter() {
        let s = setup(python);
        let run = s.tree.pycache(&["update", "-O", "0,1"]).expect(0);
        assert!(run.stdout.contains("bytecode up to date"), "{}", run.stdout);
        s.tree.pycache(&["check", "-O", "0,1"]).expect(0);
        s.tree.pycache(&["clean", "-O", "0"]).expect(0);
        assert!(s.opt2.iter().all(|p| p.exists()));
        assert_kept(&s);
    }
}

#[test]
fn check_and_dry_run_say_what_would_be_pruned() {
    for python in two().iter() {
        let s = setup(python);
        let run = s
            .tree
            .pycache(&["check", "-O", "0,1", "--prune-levels"])
            .expect(1);
        assert!(
            run.stdout.contains("3 files of unkept levels to prune"),
            "{}",
            run.stdout
        );
        let run = s
            .tree
            .pycache(&["update", "-O", "0,1", "--prune-levels", "-n", "--json"])
            .expect(1);
        let json = run.json();
        assert_eq!(json["to_prune"].as_array().unwrap().len(), 3, "{json}");
        assert_eq!(json["pruned"].as_array().unwrap().len(), 0);
        assert!(s.opt2.iter().all(|p| p.exists()));
        assert_kept(&s);
    }
}

#[test]
fn pruning_removes_only_this_tags_unkept_levels_and_counts_the_bytes() {
    for python in two().iter() {
        let s = setup(python);
        // What unlinking each opt-2 frees, taken in order: a file whose
        // inode has another name frees nothing.
        let freed: u64 = s
            .opt2
            .iter()
            .map(|p| fs::metadata(p).unwrap())
            .filter(|m| m.nlink() == 1)
            .map(|m| m.len())
            .sum();
        let shared = s
            .opt2
            .iter()
            .filter(|p| fs::metadata(p).unwrap().nlink() > 1)
            .count();
        assert!(
            freed > 0 && shared > 0,
            "the tree should hold an opt-2 of its own and one linked to opt-1 ({})",
            python.name()
        );
        let run = s
            .tree
            .pycache(&["update", "-O", "0,1", "--prune-levels", "--json"])
            .expect(0);
        let json = run.json();
        assert_eq!(json["pruned_bytes"], freed, "{json}");
        let mut pruned: Vec<PathBuf> = json["pruned"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| PathBuf::from(p.as_str().unwrap()))
            .collect();
        pruned.sort();
        let mut opt2 = s.opt2.clone();
        opt2.sort();
        assert_eq!(pruned, opt2);
        assert!(s.opt2.iter().all(|p| !p.exists()));
        assert_kept(&s);
        let summary = json["lines"][0].as_str().unwrap();
        assert!(
            summary.contains("pruned 3 files of unkept levels (") && summary.ends_with(" freed)"),
            "{summary}"
        );
        // In sync afterwards, and nothing more to do.
        s.tree
            .pycache(&["check", "-O", "0,1", "--prune-levels"])
            .expect(0);
    }
}

#[test]
fn clean_prunes_without_python() {
    let python = &two()[0];
    let s = setup(python);
    fs::remove_file(s.tree.prefix.join("bin").join(python.name())).unwrap();
    let run = s
        .tree
        .pycache(&["clean", "-O", "0", "--prune-levels"])
        .expect(0);
    assert!(
        run.stdout.contains("pruned 7 files of unkept levels"),
        "{}",
        run.stdout
    );
    assert!(!s.tree.cache("pkg/link.py", 1).exists());
    assert!(s.kept[2].0.symlink_metadata().is_ok(), "the symlink stays");
    for rel in ["pkg/__init__.py", "pkg/plain.py", "top.py"] {
        assert!(s.tree.cache(rel, 0).exists());
        assert!(!s.tree.cache(rel, 1).exists());
        assert!(!s.tree.cache(rel, 2).exists());
    }
}
