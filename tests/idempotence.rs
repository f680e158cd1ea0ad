//! Invariant: running twice in a row changes nothing the second time and,
//! when every source compiled the first time, starts no interpreter.

mod common;

use std::fs;

use common::{Tree, populate, pythons};

#[test]
fn second_update_changes_nothing_and_starts_no_interpreter() {
    for python in pythons() {
        let tree = Tree::new(&python);
        populate(&tree);
        tree.pycache(&["update"]).expect(0);
        let before = tree.listing();
        let mtimes = |paths: &[_]| -> Vec<_> {
            paths
                .iter()
                .map(|p| {
                    fs::symlink_metadata(tree.site.join(p))
                        .unwrap()
                        .modified()
                        .unwrap()
                })
                .collect()
        };
        let stamps = mtimes(&before);
        let out = tree.pycache(&["update", "--json"]).expect(0).json();
        assert_eq!(out["interpreters_started"], 0, "{python:?}");
        assert_eq!(out["compiled"].as_array().unwrap().len(), 0);
        assert_eq!(out["fresh"], 4);
        assert_eq!(tree.listing(), before);
        let after = mtimes(&before);
        assert_eq!(stamps, after, "{python:?}: files were rewritten");
        let out = tree.pycache(&["check"]).expect(0);
        assert!(
            out.stdout.contains("bytecode up to date (4 sources)"),
            "{}",
            out.stdout
        );
    }
}
