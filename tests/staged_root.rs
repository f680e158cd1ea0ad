//! Invariant: compiled code objects record the path the file will have on
//! the running system, also when working on a staged root, and nothing
//! outside the root is touched.

mod common;

use std::fs;
use std::os::unix::fs::symlink;
use std::path::PathBuf;

use common::{LEVELS, cache_of, code_matches, pythons};

#[test]
fn a_root_records_runtime_paths_and_stays_inside() {
    for python in pythons() {
        let stage = tempfile::tempdir().unwrap();
        let root = stage.path().canonicalize().unwrap();
        let runtime = PathBuf::from(format!("/usr/local/lib/{}/site-packages", python.name()));
        // usr/local is a symlink with an absolute target: it must resolve inside the root.
        fs::create_dir_all(root.join("opt/local")).unwrap();
        symlink("/opt/local", root.join("usr-local-link")).unwrap();
        fs::create_dir_all(root.join("usr")).unwrap();
        symlink("/opt/local", root.join("usr/local")).unwrap();
        let staged = root
            .join("opt/local")
            .join(runtime.strip_prefix("/usr/local").unwrap());
        fs::create_dir_all(staged.join("pkg")).unwrap();
        let source = staged.join("pkg/m.py");
        fs::write(&source, "def f():\n    return 1\n").unwrap();
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
        assert_eq!(
            out["python"]["directory"],
            staged.to_string_lossy().as_ref()
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
