//! Free-threaded flavors (`py313t`): the same cache tag and magic number as
//! `py313`, a tree of their own. No free-threaded CPython is built on this
//! machine, so the prefix's `bin/python3.13t` is a link to the real 3.13
//! (the one `common::pythons` finds in `~/.pyenv/versions`): what is
//! tested is that the two trees never see each other, which depends on
//! paths, not on the build of the interpreter.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use common::{Run, cache_of, pycache};

const TAG: &str = "cpython-313";

/// The CPython 3.13 that [`common::pythons`] finds, looked up once.
fn python313() -> PathBuf {
    static FOUND: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    FOUND
        .get_or_init(|| {
            common::pythons()
                .into_iter()
                .find(|p| p.minor == 13)
                .map(|p| p.path)
                .unwrap_or_else(|| {
                    panic!(
                        "CPython 3.13 is needed for the free-threaded flavor tests: \
                         pyenv install 3.13"
                    )
                })
        })
        .clone()
}

/// Every entry below `root`: content (None for a directory), mtime and inode.
type Snapshot = BTreeMap<String, (Option<Vec<u8>>, i64, i64, u64)>;

fn snapshot(root: &Path) -> Snapshot {
    walkdir::WalkDir::new(root)
        .follow_links(false)
        .into_iter()
        .map(|e| {
            let e = e.unwrap();
            let meta = e.path().symlink_metadata().unwrap();
            let rel = e.path().strip_prefix(root).unwrap().display().to_string();
            let content = meta.is_file().then(|| fs::read(e.path()).unwrap());
            (rel, (content, meta.mtime(), meta.mtime_nsec(), meta.ino()))
        })
        .collect()
}

struct Prefix {
    _tmp: tempfile::TempDir,
    prefix: PathBuf,
    /// lib/python3.13/site-packages and lib/python3.13t/site-packages.
    plain: PathBuf,
    free: PathBuf,
}

impl Prefix {
    fn new() -> Prefix {
        let real = python313();
        let tmp = tempfile::tempdir().unwrap();
        let prefix = tmp.path().canonicalize().unwrap().join("local");
        fs::create_dir_all(prefix.join("bin")).unwrap();
        for name in ["python3.13", "python3.13t"] {
            std::os::unix::fs::symlink(&real, prefix.join("bin").join(name)).unwrap();
        }
        let plain = prefix.join("lib/python3.13/site-packages");
        let free = prefix.join("lib/python3.13t/site-packages");
        for site in [&plain, &free] {
            fs::create_dir_all(site).unwrap();
            // The same package in both trees: same names, same tag.
            write(site, "pkg/__init__.py", "");
            write(site, "pkg/mod.py", "def f():\n    return 1\n");
            write(site, "top.py", "T = 1\n");
            // An orphan of this tag and a stale pyc in each tree.
            write(site, &format!("pkg/__pycache__/gone.{TAG}.pyc"), "orphan");
            write(site, &format!("__pycache__/top.{TAG}.pyc"), "stale");
        }
        Prefix {
            _tmp: tmp,
            prefix,
            plain,
            free,
        }
    }

    fn run(&self, flavor: &str, extra: &[&Path]) -> Run {
        let mut args: Vec<&std::ffi::OsStr> = vec![
            "update".as_ref(),
            "--json".as_ref(),
            "--flavor".as_ref(),
            flavor.as_ref(),
            "--prefix".as_ref(),
            self.prefix.as_os_str(),
        ];
        args.extend(extra.iter().map(|p| p.as_os_str()));
        pycache(args)
    }
}

fn write(site: &Path, rel: &str, text: &str) {
    let path = site.join(rel);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

/// Every path string in the report's path lists.
fn report_paths(report: &serde_json::Value) -> Vec<String> {
    let mut out = Vec::new();
    for key in ["to_compile", "compiled", "failures"] {
        for item in report[key].as_array().into_iter().flatten() {
            out.push(item["path"].as_str().unwrap().to_string());
        }
    }
    for key in ["orphans", "empty_dirs", "removed_files", "removed_dirs"] {
        for item in report[key].as_array().into_iter().flatten() {
            out.push(item.as_str().unwrap().to_string());
        }
    }
    out
}

#[test]
fn updating_one_of_313_and_313t_never_reads_compiles_or_cleans_the_other() {
    for (flavor, version) in [("py313t", "3.13t"), ("py313", "3.13")] {
        let p = Prefix::new();
        let (mine, other) = if flavor == "py313t" {
            (&p.free, &p.plain)
        } else {
            (&p.plain, &p.free)
        };
        let untouched = snapshot(other);
        let run = p.run(flavor, &[]).expect(0);
        let report = run.json();
        assert_eq!(report["python"]["version"], version, "{}", run.stdout);
        assert_eq!(report["python"]["tag"], TAG);
        assert_eq!(
            report["python"]["interpreter"],
            p.prefix
                .join(format!("bin/python{version}"))
                .display()
                .to_string()
        );
        assert_eq!(
            report["python"]["site_packages"],
            mine.display().to_string()
        );
        // Only this tree's three sources were read.
        assert_eq!(report["sources"], 3, "{}", run.stdout);
        let paths = report_paths(&report);
        assert!(!paths.is_empty());
        for path in &paths {
            assert!(
                path.starts_with(&mine.display().to_string()),
                "{path} is not in {mine:?}"
            );
        }
        assert_eq!(
            report["lines"][0]
                .as_str()
                .unwrap()
                .split(" in ")
                .next()
                .unwrap(),
            format!(
                ">=> Python {version}: wrote 9 pycs (3 .pyc, 3 .opt-1.pyc, 3 .opt-2.pyc) for 3 sources"
            ),
        );
        assert_eq!(report["removed_files"].as_array().unwrap().len(), 1);
        // The other tree: same entries, bytes, mtimes and inodes.
        assert_eq!(
            snapshot(other),
            untouched,
            "{flavor} changed the other tree"
        );
        // This tree: compiled, for its own paths; the orphan is gone.
        assert!(
            !mine
                .join(format!("pkg/__pycache__/gone.{TAG}.pyc"))
                .exists()
        );
        for rel in ["pkg/__init__.py", "pkg/mod.py", "top.py"] {
            for level in 0..3 {
                let pyc = cache_of(&mine.join(rel), TAG, level);
                let data = fs::read(&pyc).unwrap_or_else(|e| panic!("{pyc:?}: {e}"));
                assert_eq!(&data[..4], &[0xf3, 0x0d, 0x0d, 0x0a], "magic of 3.13");
                let needle = mine.join(rel).display().to_string();
                assert!(
                    data.windows(needle.len()).any(|w| w == needle.as_bytes()),
                    "{pyc:?} does not record {needle}"
                );
            }
        }
        // Directories of the other tree handed over as touched are ignored;
        // with none in this tree, this tree is what gets updated (whole).
        let before = snapshot(other);
        let pkg_dir = other.join("pkg");
        fs::remove_file(cache_of(&mine.join("top.py"), TAG, 2)).unwrap();
        let run = p.run(flavor, &[&pkg_dir]).expect(0);
        let report = run.json();
        assert_eq!(report["sources"], 3, "{}", run.stdout);
        let paths = report_paths(&report);
        let top = mine.join("top.py").display().to_string();
        assert_eq!(paths, [top.clone(), top], "to_compile and compiled");
        let notes = report["notes"].to_string();
        assert!(notes.contains("not below"), "{notes}");
        assert!(
            report["warnings"][0]
                .as_str()
                .unwrap()
                .contains("whole site-packages")
        );
        assert_eq!(snapshot(other), before);
        // The same update again is a no-op on this tree.
        let run = p.run(flavor, &[]).expect(0);
        assert_eq!(run.json()["interpreters_started"], 0, "{}", run.stdout);
    }
}

#[test]
fn free_threaded_flavor_names_are_checked_like_the_others() {
    for bad in ["py313tt", "py39t", "py312t", "py3t", "py313T"] {
        let run = pycache(["check", "--flavor", bad]).expect(2);
        assert!(
            run.stderr.contains(&format!("invalid flavor {bad:?}")),
            "{bad}: {}",
            run.stderr
        );
        assert!(run.stderr.contains("py313t"), "{bad}: {}", run.stderr);
    }
}

#[test]
fn an_interpreter_given_by_path_that_is_free_threaded_is_its_own_flavor() {
    // The real 3.13 answers pycache's question, told only that its build
    // has the GIL disabled (as `python3.13t`'s sysconfig says).
    let tmp = tempfile::tempdir().unwrap();
    let wrapper = tmp.path().join("python3.13t");
    fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\n[ \"$4\" = -c ] || exit 9\nexec '{}' \"$1\" \"$2\" \"$3\" -c \
             \"import sysconfig; sysconfig.get_config_vars()['Py_GIL_DISABLED'] = 1\n$5\"\n",
            python313().display()
        ),
    )
    .unwrap();
    fs::set_permissions(
        &wrapper,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let conf = tmp.path().join("pycache.conf");
    fs::write(
        &conf,
        "py313 { levels = [0]; }\npy313t { levels = [1, 2]; }\n",
    )
    .unwrap();
    let config = |python: &Path| {
        let mut args = vec![
            "config".into(),
            "--python".into(),
            python.as_os_str().to_owned(),
        ];
        args.extend(["--config".into(), conf.as_os_str().to_owned()]);
        pycache(args).expect(0).stdout
    };
    let free = config(&wrapper);
    assert!(free.contains(", flavor py313t\n"), "{free}");
    assert!(free.contains("levels = [1, 2];"), "{free}");
    let plain = config(&python313());
    assert!(plain.contains(", flavor py313\n"), "{plain}");
    assert!(plain.contains("levels = [0];"), "{plain}");
}
