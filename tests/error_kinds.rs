//! What stops a run is an error of a kind a caller can act on, and the
//! engine's message names values, never a flag of the program: a Lua caller
//! sees the same words. Through the program's JSON (`kind`, `error`).

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// `check` with this interpreter (and no flavor, so it is asked about
/// itself): the fatal JSON's kind and message.
fn fatal(python: &Path, site: &Path) -> (String, String) {
    let out = common::pycache([
        "check".as_ref(),
        "--json".as_ref(),
        "--python".as_ref(),
        python.as_os_str(),
        "--site-packages".as_ref(),
        site.as_os_str(),
    ])
    .expect(3);
    let json = out.json();
    let kind = json["kind"].as_str().unwrap_or_default().to_string();
    let error = json["error"].as_str().unwrap_or_default().to_string();
    assert!(
        out.stderr.starts_with(&format!("pycache: {error}")),
        "{}",
        out.stderr
    );
    (kind, error)
}

fn script(dir: &Path, name: &str, body: &str, mode: u32) -> std::path::PathBuf {
    let path = dir.join(name);
    fs::write(&path, body).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
    path
}

#[test]
fn each_interpreter_failure_is_its_own_kind() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let cases = [
        (
            dir.join("missing"),
            "interpreter_not_found",
            "interpreter not found",
        ),
        (
            script(dir, "not-executable", "#!/bin/sh\nexit 0\n", 0o644),
            "interpreter_not_runnable",
            "cannot be run",
        ),
        (
            script(dir, "exits", "#!/bin/sh\necho broken >&2\nexit 1\n", 0o755),
            "interpreter_exited",
            "broken",
        ),
        (
            script(dir, "babbles", "#!/bin/sh\necho nonsense\n", 0o755),
            "interpreter_bad_answer",
            "did not report its version",
        ),
    ];
    for (python, want_kind, words) in cases {
        let (kind, error) = fatal(&python, dir);
        assert_eq!(kind, want_kind, "{error}");
        assert!(
            error.starts_with(&format!("{}: ", python.display())),
            "{error}"
        );
        assert!(error.contains(words), "{error}");
        assert!(!error.contains("--"), "names a flag: {error}");
    }
}

#[test]
fn a_missing_site_packages_names_the_options_not_the_flags() {
    let out = common::pycache([
        "check",
        "--json",
        "--flavor",
        "py311",
        "--prefix",
        "/nonexistent",
    ])
    .expect(3);
    let json = out.json();
    assert_eq!(json["kind"], "site_packages_missing");
    assert_eq!(
        json["error"],
        "/nonexistent/lib/python3.11/site-packages: site-packages directory does not exist; \
         check the flavor, prefix, site_packages and root given"
    );
}
