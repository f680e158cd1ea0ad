//! The scan and clean rules through the engine, without starting Python:
//! a fixture tree, a plan (`check`, or a dry run), and an assertion on
//! exactly what would be removed, then on what `clean` removed. The target
//! is a flavor whose interpreter does not exist, so a test that needed one
//! would fail; CPython-as-oracle tests live in tests/bytecode_oracle.rs.

use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};

use pycache::{Engine, Flavor, LevelState, Report, Target};

struct Fixture {
    _tmp: tempfile::TempDir,
    site: PathBuf,
}

impl Fixture {
    fn new() -> Fixture {
        let tmp = tempfile::tempdir().unwrap();
        let site = tmp.path().canonicalize().unwrap().join("site-packages");
        fs::create_dir(&site).unwrap();
        Fixture { _tmp: tmp, site }
    }

    fn file(&self, rel: &str, bytes: &[u8]) -> PathBuf {
        let path = self.site.join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, bytes).unwrap();
        path
    }

    /// An engine for py311 whose interpreter is missing: nothing here may
    /// need one.
    fn engine(&self) -> Engine {
        let prefix = self.site.with_file_name("no-prefix");
        let target = Target::from_flavor(Flavor::parse("py311").unwrap(), &prefix)
            .with_site_packages(&self.site);
        assert!(!target.interpreter().exists());
        Engine::new(target)
    }

    fn paths(&self, rels: &[&str]) -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = rels.iter().map(|r| self.site.join(r)).collect();
        v.sort();
        v
    }
}

fn no_python(report: &Report) {
    assert_eq!(report.interpreters_started, 0);
    assert!(report.stop.is_none(), "{:?}", report.stop);
}

/// A tree with one of each thing the ownership rule must tell apart.
fn ownership_tree(f: &Fixture) {
    f.file("pkg/__init__.py", b"X = 1\n");
    f.file("pkg/__pycache__/__init__.cpython-311.pyc", b"garbage");
    f.file("pkg/__pycache__/gone.cpython-311.pyc", b"orphan");
    f.file("pkg/__pycache__/gone.cpython-311.opt-1.pyc", b"orphan");
    f.file("pkg/__pycache__/gone.cpython-39.pyc", b"another version's");
    f.file(
        "pkg/__pycache__/gone.pypy311.pyc",
        b"another implementation's",
    );
    f.file("pkg/__pycache__/notes.txt", b"not bytecode");
    f.file("pkg/sourceless.pyc", b"a sourceless module");
    f.file("outside.txt", b"target of a link");
    symlink(
        f.site.join("outside.txt"),
        f.site.join("pkg/__pycache__/linked.cpython-311.pyc"),
    )
    .unwrap();
    f.file("dropped/__pycache__/x.cpython-311.pyc", b"orphan");
    f.file("dropped/__pycache__/y.cpython-311.opt-2.pyc", b"orphan");
    f.file("keep/__pycache__/z.cpython-312.pyc", b"another version's");
}

#[test]
fn only_this_tags_orphans_are_planned_and_removed() {
    let f = Fixture::new();
    ownership_tree(&f);
    let orphans = f.paths(&[
        "dropped/__pycache__/x.cpython-311.pyc",
        "dropped/__pycache__/y.cpython-311.opt-2.pyc",
        "pkg/__pycache__/gone.cpython-311.opt-1.pyc",
        "pkg/__pycache__/gone.cpython-311.pyc",
    ]);
    let empty = f.paths(&["dropped", "dropped/__pycache__"]);

    let plan = f.engine().check().unwrap();
    no_python(&plan);
    assert_eq!(plan.orphans, orphans);
    assert_eq!(plan.empty_dirs, empty);
    assert_eq!(
        plan.exit_code,
        pycache::ExitCode::Failed,
        "check: out of sync"
    );

    let dry = f.engine().dry_run(true).clean().unwrap();
    assert_eq!(
        (dry.orphans.clone(), dry.empty_dirs.clone()),
        (orphans.clone(), empty.clone())
    );
    assert!(dry.removed_files.is_empty() && dry.removed_dirs.is_empty());
    assert!(
        orphans.iter().all(|p| p.exists()),
        "a dry run removed something"
    );

    let done = f.engine().clean().unwrap();
    no_python(&done);
    assert_eq!(done.removed_files, orphans);
    let mut removed_dirs = done.removed_dirs.clone();
    removed_dirs.sort();
    assert_eq!(removed_dirs, empty);
    assert!(done.failures.is_empty(), "{:?}", done.failures);
    for kept in [
        "pkg/__pycache__/__init__.cpython-311.pyc",
        "pkg/__pycache__/gone.cpython-39.pyc",
        "pkg/__pycache__/gone.pypy311.pyc",
        "pkg/__pycache__/notes.txt",
        "pkg/sourceless.pyc",
        "outside.txt",
        "keep/__pycache__/z.cpython-312.pyc",
    ] {
        assert!(f.site.join(kept).exists(), "{kept} was removed");
    }
    let link = f.site.join("pkg/__pycache__/linked.cpython-311.pyc");
    assert!(link.symlink_metadata().unwrap().file_type().is_symlink());

    let again = f.engine().clean().unwrap();
    assert!(again.removed_files.is_empty() && again.removed_dirs.is_empty());
    assert_eq!(again.lines[0], ">=> Python 3.11: nothing to remove");
}

#[test]
fn touched_dirs_find_dropped_subpackages_below_them_only() {
    let f = Fixture::new();
    f.file("pkg/__init__.py", b"");
    f.file("pkg/oldsub/__pycache__/m.cpython-311.pyc", b"orphan");
    f.file(
        "other/__pycache__/n.cpython-311.pyc",
        b"orphan, not touched",
    );
    let touched = Some(vec![f.site.join("pkg")]);
    let plan = f
        .engine()
        .levels(pycache::Levels::new(&[0]).unwrap())
        .touched(touched.as_deref().unwrap())
        .check()
        .unwrap();
    no_python(&plan);
    assert_eq!(
        plan.orphans,
        f.paths(&["pkg/oldsub/__pycache__/m.cpython-311.pyc"])
    );
    assert_eq!(
        plan.empty_dirs,
        f.paths(&["pkg/oldsub", "pkg/oldsub/__pycache__"])
    );
    assert_eq!(plan.touched, touched);
    assert_eq!(plan.to_compile.len(), 1, "pkg/__init__.py has no pyc");
}

/// A 3.11 timestamp pyc header for a source of this mtime and size,
/// followed by the first byte of a code object.
fn pyc_for(source: &Path) -> Vec<u8> {
    use std::os::unix::fs::MetadataExt;
    let meta = fs::metadata(source).unwrap();
    let mut bytes = vec![0xa7, 0x0d, 0x0d, 0x0a, 0, 0, 0, 0];
    bytes.extend((meta.mtime() as u32).to_le_bytes());
    bytes.extend((meta.size() as u32).to_le_bytes());
    bytes.push(b'c' | 0x80);
    bytes
}

#[test]
fn freshness_is_read_from_headers_per_level() {
    let f = Fixture::new();
    let source = f.file("mod.py", b"A = 1\n");
    f.file("__pycache__/mod.cpython-311.pyc", &pyc_for(&source));
    f.file("__pycache__/mod.cpython-311.opt-1.pyc", b"\xa7\x0d\x0d\x0a");
    let engine = f.engine();
    let levels = engine.freshness(&source).unwrap();
    let states: Vec<_> = levels
        .iter()
        .map(|l| (l.level, l.state, l.reason.as_str()))
        .collect();
    assert_eq!(
        states,
        [
            (0, LevelState::Fresh, ""),
            (1, LevelState::Stale, "truncated"),
            (2, LevelState::Missing, ""),
        ]
    );
    let plan = engine.check().unwrap();
    no_python(&plan);
    assert_eq!((plan.sources, plan.fresh), (1, 0));
    assert_eq!(
        plan.lines[0],
        ">=> Python 3.11: 1 source to compile (1 pyc missing, 1 stale)"
    );
    // Growing the source makes the fresh one stale, by size.
    fs::write(&source, b"A = 1\nB = 2\n").unwrap();
    let level0 = &f.engine().freshness(&source).unwrap()[0];
    assert_eq!(
        (level0.state, level0.reason.as_str()),
        (LevelState::Stale, "source size changed")
    );
}
