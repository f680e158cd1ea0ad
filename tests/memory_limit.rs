//! Invariant: memory is bounded. One generated source can need gigabytes to
//! compile (a list literal of millions of elements); a compile worker may
//! use at most `memory_limit` MiB, so such a source fails alone, saying what
//! to raise, and the rest still compiles (defect 3 of the hostile review).

mod common;

use common::{LEVELS, Tree, debian_python, pythons};

/// A source of `elements` ones in a list: about 4 bytes of text and, at
/// CPython 3.11's peak, about 370 bytes of memory each.
fn list_literal(elements: usize) -> String {
    let mut text = String::with_capacity(elements * 2 + 8);
    text.push_str("X = [");
    for _ in 0..elements {
        text.push_str("1,");
    }
    text.push_str("]\n");
    text
}

#[test]
fn a_source_over_the_memory_limit_fails_alone() {
    for (i, python) in pythons().into_iter().take(2).enumerate() {
        let tree = Tree::new(&python);
        let big = tree.write("big.py", &list_literal(2_000_000));
        tree.write("small.py", "Y = 1\n");
        let out = tree
            .pycache(&["update", "--memory-limit", "256", "-j", "1", "--json"])
            .expect(1);
        let report = out.json();
        assert_eq!(
            report["failures"][0]["reason"],
            "needs more memory than a compile worker may use (memory_limit 256 MiB); \
             raise memory_limit to compile it",
            "{python:?}: {report}"
        );
        assert_eq!(report["failures"][0]["path"], big.to_str().unwrap());
        assert_eq!(report["failures"].as_array().unwrap().len(), 1);
        // The worker that failed went on: no other was started.
        assert_eq!(report["interpreters_started"], 1, "{python:?}");
        for level in LEVELS {
            assert!(tree.cache("small.py", level).exists(), "{python:?}");
            assert!(!tree.cache("big.py", level).exists(), "{python:?}");
        }
        if i == 0 {
            // Raised, it compiles.
            tree.pycache(&["update", "-O", "0", "--memory-limit", "0"])
                .expect(0);
            assert!(tree.cache("big.py", 0).exists(), "{python:?}");
        }
    }
}

#[test]
fn the_default_limit_stops_a_source_that_needs_gigabytes() {
    let tree = Tree::new(&debian_python());
    // About 3.7 GiB at the peak of compiling it, more than the default.
    tree.write("huge.py", &list_literal(5_000_000));
    let out = tree.pycache(&["update", "-O", "0"]).expect(1);
    assert!(
        out.stdout.contains(
            "huge.py: needs more memory than a compile worker may use (memory_limit 2048 MiB); \
             raise memory_limit to compile it"
        ),
        "{}",
        out.stdout
    );
}

#[test]
fn the_limit_is_checked_as_every_option_is() {
    let tree = Tree::new(&debian_python());
    for (given, code) in [
        ("63", 2),
        ("1048577", 2),
        ("1.5", 2),
        ("-1", 2),
        ("64", 0),
        ("0", 0),
    ] {
        // --dry-run: the value is checked and taken, nothing is compiled.
        let out = tree.pycache(&["update", "--dry-run", "--memory-limit", given]);
        assert_eq!(out.code, code, "{given}: {}{}", out.stdout, out.stderr);
        if code == 2 {
            let all = format!("{}{}", out.stdout, out.stderr);
            assert!(
                all.contains(&format!(
                    "memory_limit: must be a whole number of MiB from 64 to 1048576, \
                     or 0 for no limit, got {given} (--memory-limit)"
                )),
                "{all}"
            );
        }
    }
}
