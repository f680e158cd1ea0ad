//! The standard library as CPython's own install leaves it: which of its
//! sources `make install` never compiles.
//!
//! CPython's `Makefile.pre.in` (target `libinstall`) runs `compileall` on
//! `LIBDEST` with `-x REGEX`, which skips every file whose path the regular
//! expression matches anywhere (`re.search`): test data written with bad
//! syntax or a bad encoding on purpose, and site-packages, compiled on its
//! own. Every alternative of those expressions is a plain word, so a path
//! is skipped when it contains one. Read from each version's installed
//! `Makefile` (`lib/python3.X/config-3.X*/Makefile`):
//!
//! | versions   | `-x` of `libinstall`                                         |
//! |------------|--------------------------------------------------------------|
//! | 3.6 - 3.11 | `bad_coding\|badsyntax\|site-packages\|lib2to3/tests/data`      |
//! | 3.12       | `bad_coding\|badsyntax\|site-packages\|test/test_lib2to3/data`  |
//! | 3.13 -     | `bad_coding\|badsyntax\|site-packages`                          |
//!
//! site-packages is left out here: pycache keeps it as it keeps any
//! site-packages, and these words apply only outside it.

/// What a path of CPython 3.`minor`'s standard library (relative to
/// `lib/python3.X`, outside site-packages) contains when its install leaves
/// it uncompiled.
pub fn uncompiled(minor: u8) -> &'static [&'static str] {
    match minor {
        ..=11 => &["bad_coding", "badsyntax", "lib2to3/tests/data"],
        12 => &["bad_coding", "badsyntax", "test/test_lib2to3/data"],
        _ => &["bad_coding", "badsyntax"],
    }
}

/// Whether the path `rel` (bytes, relative to the standard library)
/// contains one of `words` ([`uncompiled`]).
pub fn is_uncompiled(words: &[&str], rel: &[u8]) -> bool {
    words
        .iter()
        .any(|word| rel.windows(word.len()).any(|w| w == word.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_version_skips_what_its_install_skips() {
        let skipped = |minor, rel: &str| is_uncompiled(uncompiled(minor), rel.as_bytes());
        assert!(skipped(11, "test/tokenizedata/bad_coding.py"));
        assert!(skipped(6, "test/badsyntax_future3.py"));
        assert!(skipped(11, "lib2to3/tests/data/py2_test_grammar.py"));
        assert!(!skipped(12, "lib2to3/tests/data/py2_test_grammar.py"));
        assert!(skipped(12, "test/test_lib2to3/data/crlf.py"));
        assert!(!skipped(13, "test/test_lib2to3/data/crlf.py"));
        assert!(skipped(14, "test/test_future_stmt/badsyntax_future.py"));
        assert!(!skipped(13, "test/test_syntax.py"));
        assert!(!skipped(13, "os.py"));
    }
}
