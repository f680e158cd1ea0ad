//! The program's command line itself: exit codes, dry run, usage errors
//! and flags, as a user types them. (The rules behind them are tested in
//! the files named for each invariant.)

mod common;

use common::{Tree, debian_python, populate};

#[test]
fn check_exit_codes_and_dry_run() {
    let python = debian_python();
    let tree = Tree::new(&python);
    populate(&tree);
    let before = tree.listing();
    // A dry run exits as check does: 1 when something would change.
    let out = tree.pycache(&["update", "--dry-run"]).expect(1);
    assert!(
        out.stdout
            .contains("would write 12 pycs (4 .pyc, 4 .opt-1.pyc, 4 .opt-2.pyc) for 4 sources"),
        "{}",
        out.stdout
    );
    assert_eq!(tree.listing(), before);
    let out = tree.pycache(&["check"]).expect(1);
    assert!(
        out.stdout
            .starts_with(">=> Python 3.11: 4 sources to compile (12 pycs missing, 0 stale)"),
        "{}",
        out.stdout
    );
    tree.pycache(&["update", "-q"]).expect(0);
    tree.pycache(&["check"]).expect(0);
}

#[test]
fn usage_errors_show_the_expected_form() {
    for (args, needle) in [
        (vec!["check", "--flavor", "py3"], "invalid flavor \"py3\""),
        (vec!["check", "--flavor", "python311"], "expected pyXY"),
        (
            vec!["check", "--flavor", "py311", "-O", "3"],
            "levels: must be 0, 1 or 2, got 3 (--optimize)",
        ),
        (
            vec![
                "check",
                "--flavor",
                "py311",
                "-x",
                "[",
                "--site-packages",
                "/",
            ],
            "exclude: \"[\" is not a valid glob",
        ),
        (vec!["frobnicate"], "unrecognized subcommand"),
    ] {
        let out = common::pycache(&args).expect(2);
        assert!(out.stderr.contains(needle), "{args:?}: {}", out.stderr);
    }
    let out = common::pycache(["check", "--flavor", "py311", "--prefix", "/nonexistent"]).expect(3);
    assert!(
        out.stderr.contains(
            "/nonexistent/lib/python3.11/site-packages: site-packages directory does not exist"
        ),
        "{}",
        out.stderr
    );
}

#[test]
fn excluded_sources_are_not_compiled() {
    let python = debian_python();
    let tree = Tree::new(&python);
    populate(&tree);
    tree.write("pkg/tests/test_x.py", "print 'py2'\n");
    let out = tree.pycache(&["update", "-x", "*/tests/*"]).expect(0);
    assert!(out.stdout.contains("for 4 sources in"), "{}", out.stdout);
    assert!(!tree.cache("pkg/tests/test_x.py", 0).exists());
    tree.pycache(&["check", "-x", "*/tests/*"]).expect(0);
}

#[test]
fn the_summary_says_which_pycs_were_written() {
    let python = debian_python();
    let tree = Tree::new(&python);
    populate(&tree);
    let out = tree.pycache(&["update", "-O", "0,1"]).expect(0);
    assert!(
        out.stdout
            .contains("wrote 8 pycs (4 .pyc, 4 .opt-1.pyc) for 4 sources in"),
        "{}",
        out.stdout
    );
    // Only the opt-2 files are missing now: the line says so, not "3 levels".
    let out = tree.pycache(&["update"]).expect(0);
    let line = out.stdout.lines().next().unwrap_or_default();
    assert!(
        line.starts_with(">=> Python 3.11: wrote 4 .opt-2.pyc for 4 sources in "),
        "{line}"
    );
    let out = tree.pycache(&["update"]).expect(0);
    assert_eq!(
        out.stdout,
        ">=> Python 3.11: bytecode up to date (4 sources)\n"
    );
}

/// `--json-summary` is `--json` without the lists of paths (what the Lua
/// front asks for in pkg triggers), every other field the same.
#[test]
fn json_summary_is_the_report_without_its_path_lists() {
    const LISTS: [&str; 9] = [
        "touched",
        "to_compile",
        "compiled",
        "orphans",
        "empty_dirs",
        "removed_files",
        "removed_dirs",
        "to_prune",
        "pruned",
    ];
    let python = debian_python();
    let (full, summary) = (Tree::new(&python), Tree::new(&python));
    for tree in [&full, &summary] {
        populate(tree);
        tree.write("pkg/__pycache__/gone.cpython-311.pyc", "x");
    }
    let full = full.pycache(&["update", "--json"]).expect(0).json();
    let summary = summary
        .pycache(&["update", "--json-summary"])
        .expect(0)
        .json();
    let (full, summary) = (full.as_object().unwrap(), summary.as_object().unwrap());
    assert_eq!(full["removed_files"].as_array().unwrap().len(), 1);
    assert_eq!(full["compiled"].as_array().unwrap().len(), 4);
    for (key, value) in full {
        if LISTS.contains(&key.as_str()) {
            assert!(!summary.contains_key(key), "{key} is in the summary");
        } else if !["elapsed_ms", "python", "lines"].contains(&key.as_str()) {
            assert_eq!(&summary[key], value, "{key}");
        }
    }
    assert_eq!(summary.len(), full.len() - LISTS.len());
    let lines = summary["lines"].as_array().unwrap();
    let line = lines[0].as_str().unwrap();
    assert_eq!(lines.len(), 1, "{lines:?}");
    let (start, end) = line.split_once(" in ").unwrap();
    assert_eq!(
        start,
        ">=> Python 3.11: wrote 12 pycs (4 .pyc, 4 .opt-1.pyc, 4 .opt-2.pyc) for 4 sources"
    );
    assert!(end.ends_with(" s; removed 1 orphaned file"), "{line}");
    assert_eq!(summary["sources"], 4);
    assert_eq!(summary["exit_code"], 0);
    let out = common::pycache(["check", "--json", "--json-summary"]).expect(2);
    assert!(out.stderr.contains("cannot be used with"), "{}", out.stderr);
}

/// `pycache request`: the JSON lua/pycache.lua sends does what the same
/// options as flags do, from the argument or a file, and a flag beside it
/// is refused rather than mixed in.
#[test]
fn a_request_written_as_json_runs_as_its_flags_would() {
    use std::os::unix::ffi::OsStrExt;
    let python = debian_python();
    let tree = Tree::new(&python);
    populate(&tree);
    let request = |options: String| {
        format!(
            r#"{{"job": "check", "options": [["flavor", "{}"], ["prefix", "{}"]{options}]}}"#,
            python.flavor(),
            tree.prefix.display()
        )
    };
    let by_flags = tree
        .pycache(&["check", "--json", "-O", "0,2"])
        .expect(1)
        .json();
    let by_request = common::pycache([
        "request",
        "--json",
        &request(r#", ["levels", [0, 2]]"#.into()),
    ])
    .expect(1)
    .json();
    for field in ["to_compile", "levels", "exit_code", "sources"] {
        assert_eq!(by_flags[field], by_request[field], "{field}");
    }
    // From a file, with a directory whose name is not UTF-8.
    let odd = tree.site.join(std::ffi::OsStr::from_bytes(b"caf\xe9"));
    std::fs::create_dir_all(&odd).unwrap();
    std::fs::write(odd.join("m.py"), "M = 1\n").unwrap();
    let file = tree.tmp.path().join("request.json");
    let dir = format!("{}/caf\\udce9", tree.site.display());
    std::fs::write(&file, request(format!(r#", ["touched", ["{dir}"]]"#))).unwrap();
    let run = common::pycache(["request", "--json", "--from", file.to_str().unwrap()]).expect(1);
    // The report writes the byte back as the request did (serde_json
    // itself reads no lone surrogate: the escape is kept as its text).
    let report = run.json_escapes_kept();
    assert_eq!(report["command"], "check");
    assert_eq!(report["touched"], serde_json::json!([dir]));
    assert_eq!(report["sources"], 1);
    assert_eq!(report["to_compile"].as_array().unwrap().len(), 1);
    assert_eq!(report["to_compile"][0]["path"], format!("{dir}/m.py"));
    // A flag beside a request would be a second source of settings: the
    // request command takes none.
    let out = common::pycache(["request", "--jobs", "2", &request(String::new())]).expect(2);
    assert!(
        out.stderr.contains("unexpected argument '--jobs'"),
        "{}",
        out.stderr
    );
    // A request that is not one says so, and what to do.
    let out = common::pycache(["request", "--json", r#"{"job": "chek"}"#]).expect(2);
    let error = out.json();
    assert_eq!(
        error,
        serde_json::json!({
            "schema": 1,
            "error": "request: unknown job \"chek\"; one of check, update, clean, compile; \
                      the pycache program and lua/pycache.lua must come from the same pycache: \
                      reinstall pycache",
            "kind": "request",
            "exit_code": 2,
        })
    );
}

/// Issue 27, defect 4: every number an option takes has a range. A
/// timeout of 1e19 s made a deadline the clock cannot hold: the program
/// panicked (exit 101) after writing pycs, through pycache.conf as well,
/// and `pycache config` showed it as 9223372036854775807.
#[test]
fn a_number_out_of_range_is_refused_before_anything_is_done() {
    let python = debian_python();
    let tree = Tree::new(&python);
    let sources = populate(&tree);
    let message = "timeout: must be a number of seconds > 0 and <= 86400, got 1e19";
    let out = tree.pycache(&["update", "--timeout", "1e19"]).expect(2);
    assert_eq!(out.stderr, format!("pycache: {message} (--timeout)\n"));
    assert!(!tree.cache("top.py", 0).exists(), "nothing is written");
    let out = tree.pycache(&["config", "--timeout", "1e19"]).expect(2);
    assert_eq!(out.stderr, format!("pycache: {message} (--timeout)\n"));
    let request = format!(
        r#"{{"job": "update", "options": {{"flavor": "py311", "prefix": "{}", "timeout": 1e19}}}}"#,
        tree.prefix.display()
    );
    let out = common::pycache(["request", &request]).expect(2);
    assert_eq!(out.stderr, format!("pycache: {message}\n"));
    // The file: ignored whole with a warning, as any value it cannot hold,
    // unless the run named it itself (--config): then it is an error.
    let conf = tree.tmp.path().join("pycache.conf");
    std::fs::write(&conf, "timeout = 1e19\n").unwrap();
    let conf = conf.to_str().unwrap();
    let out = common::Run::of(
        tree.command(&["update"])
            .env("PYCACHE_CONF", conf)
            .output()
            .unwrap(),
    )
    .expect(0);
    let warning = format!("pycache: warning: {conf}:1: {message}; the file is ignored");
    assert!(out.stdout.contains(&warning), "{}", out.stdout);
    assert!(sources.iter().all(|s| s.exists()) && tree.cache("top.py", 2).exists());
    let out = tree.pycache(&["update", "--config", conf]).expect(2);
    assert_eq!(out.stderr, format!("pycache: {conf}:1: {message}\n"));
    // The longest timeout, and the shortest the clock can tell, read back
    // as `pycache config` shows them.
    for (given, shown) in [("86400", "86400"), ("1e-12", "1e-9"), ("0.25", "0.25")] {
        let out = tree.pycache(&["config", "--timeout", given, "timeout"]);
        assert_eq!(out.expect(0).stdout, format!("{shown}\n"), "{given}");
        std::fs::write(conf, format!("timeout = {shown}\n")).unwrap();
        let out = tree.pycache(&["config", "--config", conf, "timeout"]);
        assert_eq!(out.expect(0).stdout, format!("{shown}\n"), "{given}");
    }
}

/// Issue 27, defect 5: `--jobs 100000` started one interpreter per file.
/// Workers are bounded by the cores pycache may use, and verbose output
/// says the number was lowered; the setting stays as given.
#[test]
fn jobs_start_no_more_interpreters_than_cores() {
    let cores = std::thread::available_parallelism().unwrap().get();
    let python = debian_python();
    let tree = Tree::new(&python);
    for i in 0..4 * cores + 4 {
        tree.write(format!("m{i}.py"), "X = 1\n");
    }
    let out = tree
        .pycache(&["update", "--json", "--jobs", "100000"])
        .expect(0);
    let report = out.json();
    assert_eq!(report["compiled"].as_array().unwrap().len(), 4 * cores + 4);
    let started = report["interpreters_started"].as_u64().unwrap() as usize;
    assert!(
        (1..=cores).contains(&started),
        "{started} interpreters for {cores} cores"
    );
    let note = format!("jobs: 100000 lowered to {cores}, the cores pycache may use");
    assert_eq!(report["notes"], serde_json::json!([note]), "{report}");
    // Verbose output says so; `config` shows the setting as given.
    tree.write("m0.py", "X = 22\n");
    let out = tree.pycache(&["update", "-v", "-j", "100000"]).expect(0);
    assert!(
        out.stdout.contains(&format!("  note: {note}\n")),
        "{}",
        out.stdout
    );
    let out = tree.pycache(&["config", "-j", "100000", "jobs"]).expect(0);
    assert_eq!(out.stdout, "100000\n");
}

/// Issue 27, defect 7: a request nested 30,000 levels deep took time
/// quadratic in its depth and then overflowed the stack (the program
/// aborted). No request is deeper than 5 levels; a deeper one is the
/// request's error, after one pass over it.
#[test]
fn a_request_deeper_than_any_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let refused = "pycache: request: nested deeper than 5 levels, which no request is; \
                   the pycache program and lua/pycache.lua must come from the same pycache: \
                   reinstall pycache\n";
    for depth in [30_000, 1_000_000] {
        let file = tmp.path().join(format!("{depth}.json"));
        let nested = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        let request = format!(r#"{{"job": "check", "options": [["levels", {nested}]]}}"#);
        std::fs::write(&file, request).unwrap();
        let out = common::pycache(["request", "--from", file.to_str().unwrap()]).expect(2);
        assert_eq!(out.stderr, refused, "{depth} levels");
        let out = common::pycache(["request", "--json", "--from", file.to_str().unwrap()]);
        let error = out.expect(2).json();
        assert_eq!(error["kind"], "request", "{error}");
        assert_eq!(
            format!("pycache: {}\n", error["error"].as_str().unwrap()),
            refused
        );
    }
}

/// `--prefix` names where a flavor is installed; without a flavor the
/// interpreter says where it is, so the prefix would be ignored and the run
/// would touch another tree than the one named.
#[test]
fn a_prefix_without_a_flavor_is_refused_before_anything_is_done() {
    let tree = Tree::new(&debian_python());
    tree.write("a.py", "A = 1\n");
    let prefix = tree.prefix.to_str().unwrap();
    for args in [
        vec![
            "update",
            "--prefix",
            prefix,
            "--python",
            "/usr/bin/python3.11",
        ],
        vec!["check", "--prefix", prefix],
    ] {
        let run = common::pycache(&args).expect(2);
        assert!(
            run.stderr
                .starts_with("pycache: prefix: says where a flavor is installed: give --flavor"),
            "{args:?}: {}",
            run.stderr
        );
        assert!(run.stdout.is_empty(), "{args:?}: {}", run.stdout);
    }
    assert!(!tree.cache("a.py", 0).exists(), "nothing was compiled");
    // With a flavor, or with --all, the prefix is what it says.
    common::pycache(["check", "--all", "--prefix", prefix]).expect(1);
}
