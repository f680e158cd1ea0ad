//! Issue 10, the file-system half: trees that change underneath a run,
//! files that are not what their names say, verdicts that must match
//! CPython's exactly. Races are made deterministic with the debug build's
//! pause points (`PYCACHE_TEST_PAUSE`, see src/testing.rs); every test runs the
//! real program against real interpreters.

mod common;

use std::ffi::OsStr;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime};

use common::{
    LEVELS, Run, Tree, bounded_output, cache_of, debian_python, importlib_verdicts, paused, pythons,
};

/// `pycache ARGS --flavor --prefix`, failing after 30 s instead of hanging.
fn run(tree: &Tree, args: &[&OsStr]) -> Run {
    let child = Command::new(env!("CARGO_BIN_EXE_pycache"))
        .args(args)
        .arg("--flavor")
        .arg(tree.python.flavor())
        .arg("--prefix")
        .arg(&tree.prefix)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    Run::of(bounded_output(child, Duration::from_secs(30)))
}

fn os(args: &[&str]) -> Vec<&'static OsStr> {
    args.iter()
        .map(|a| OsStr::new(Box::leak(a.to_string().into_boxed_str())))
        .collect()
}

fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(status.success(), "mkfifo {} failed", path.display());
}

/// A user id no process runs as, for what root cannot be refused.
const NOBODY: &str = "54321";

/// Runs `pycache` as [`NOBODY`] (via setpriv, from util-linux), with extra
/// `prlimit` limits; the tree must be readable by others.
fn as_nobody(limits: &[&str], args: &[&OsStr]) -> Run {
    nobody_runs(limits, &[], OsStr::new(env!("CARGO_BIN_EXE_pycache")), args)
}

/// Runs `program ARGS` as [`NOBODY`], in no group but its own, with extra
/// `prlimit` limits and the capabilities `caps` (such as
/// `+dac_read_search`) kept across exec.
fn nobody_runs(limits: &[&str], caps: &[&str], program: &OsStr, args: &[&OsStr]) -> Run {
    for tool in ["setpriv", "prlimit"] {
        assert!(
            Command::new(tool).arg("--version").output().is_ok(),
            "{tool} is missing: apt-get install util-linux"
        );
    }
    let caps = caps.join(",");
    let mut command = Command::new("prlimit");
    command.args(limits).args([
        "setpriv",
        "--reuid",
        NOBODY,
        "--regid",
        NOBODY,
        "--clear-groups",
    ]);
    if !caps.is_empty() {
        command.args(["--inh-caps", &caps, "--ambient-caps", &caps]);
    }
    let child = command
        .arg(program)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    Run::of(bounded_output(child, Duration::from_secs(60)))
}

/// Makes `dir` and everything below readable (and its directories
/// searchable) by every user, and its parents searchable.
fn open_to_all(dir: &Path) {
    for entry in walkdir::WalkDir::new(dir).follow_links(false) {
        let entry = entry.unwrap();
        if entry.file_type().is_symlink() {
            continue;
        }
        let mode = if entry.file_type().is_dir() {
            0o755
        } else {
            0o644
        };
        fs::set_permissions(entry.path(), fs::Permissions::from_mode(mode)).unwrap();
    }
    for parent in dir.ancestors().skip(1) {
        let meta = fs::metadata(parent).unwrap();
        let mode = meta.permissions().mode() | 0o111;
        fs::set_permissions(parent, fs::Permissions::from_mode(mode)).unwrap();
    }
}

/// Defect 1: `a` is replaced by a symlink to a directory outside the tree
/// between the scan and the removal of its orphan; nothing outside goes.
#[test]
fn removal_never_follows_a_directory_swapped_for_a_symlink() {
    let tree = Tree::new(&debian_python());
    let tag = tree.python.tag();
    let orphan = tree.write(format!("a/__pycache__/old.{tag}.pyc"), "orphan");
    tree.write("b/keep.py", "X = 1\n");
    let outside = tree.tmp.path().join("outside");
    let victim = outside.join(format!("__pycache__/old.{tag}.pyc"));
    fs::create_dir_all(victim.parent().unwrap()).unwrap();
    fs::write(&victim, "not pycache's").unwrap();
    let a = tree.site.join("a");
    let out = paused(&tree, &["clean", "--json"], "before-remove", || {
        fs::rename(&a, tree.tmp.path().join("a.moved")).unwrap();
        symlink(&outside, &a).unwrap();
    });
    assert!(
        victim.exists(),
        "removed outside the tree through a symlink"
    );
    assert!(victim.parent().unwrap().exists());
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    let report = out.json();
    assert_eq!(report["removed_files"].as_array().unwrap().len(), 0);
    let failures = report["failures"].to_string();
    assert!(
        failures.contains(orphan.to_str().unwrap()),
        "the failed removal is reported: {failures}"
    );
}

/// Defect 3: a pyc replaced by a FIFO between the walk and the judge;
/// `check` must not block, and say the file is stale.
#[test]
fn a_fifo_where_a_pyc_was_never_blocks() {
    let tree = Tree::new(&debian_python());
    let source = tree.write("m.py", "X = 1\n");
    tree.pycache(&["update", "-O", "0"]).expect(0);
    let pyc = tree.cache("m.py", 0);
    let out = paused(
        &tree,
        &["check", "-O", "0", "--json"],
        "before-judge",
        || {
            fs::remove_file(&pyc).unwrap();
            mkfifo(&pyc);
        },
    );
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    let report = out.json();
    let pending = &report["to_compile"][0];
    assert_eq!(pending["path"], source.to_str().unwrap());
    assert_eq!(pending["levels"][0]["state"], "stale", "{pending}");
}

/// Defect 3 without a race: `freshness()` (what `pycache.core.freshness`
/// calls) on a source whose pyc is a FIFO answers at once.
#[test]
fn freshness_of_a_fifo_pyc_answers() {
    let python = debian_python();
    let tree = Tree::new(&python);
    let source = tree.write("m.py", "X = 1\n");
    let pyc = tree.cache("m.py", 0);
    fs::create_dir_all(pyc.parent().unwrap()).unwrap();
    mkfifo(&pyc);
    let target = pycache::Target::from_flavor(
        pycache::Flavor::parse(&python.flavor()).unwrap(),
        &tree.prefix,
    );
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let engine = pycache::Engine::new(target).levels(pycache::Levels::new(&[0]).unwrap());
        let _ = tx.send(engine.freshness(&source).map(|levels| {
            levels
                .iter()
                .map(|l| format!("{} {}", l.state, l.reason))
                .collect::<Vec<_>>()
        }));
    });
    let levels = rx
        .recv_timeout(Duration::from_secs(20))
        .expect("freshness() blocked on a FIFO")
        .unwrap();
    assert_eq!(levels.len(), 1);
    assert!(levels[0].starts_with("stale"), "{levels:?}");
}

/// Defect 7: temporary files of an interrupted run, pycache's own
/// (`NAME.TAG.pyc.PID.N`) and CPython's `_write_atomic` ones
/// (`NAME.TAG.pyc.DIGITS`), are removed and never keep a cache alive.
#[test]
fn leftover_temporary_files_are_removed() {
    let tree = Tree::new(&debian_python());
    let tag = tree.python.tag();
    tree.write(format!("gone/__pycache__/m.{tag}.pyc.4242.3"), "partial");
    tree.write(
        format!("gone/__pycache__/m.{tag}.opt-1.pyc.140233112"),
        "partial",
    );
    tree.write("live/m.py", "X = 1\n");
    tree.write(format!("live/__pycache__/m.{tag}.pyc.77.1"), "partial");
    let other = "live/__pycache__/m.cpython-39.pyc.77.1".to_string();
    tree.write(&other, "another version's");
    tree.write(
        "live/__pycache__/m.cpython-311.pyc.x1",
        "not a leftover name",
    );
    let out = tree.pycache(&["clean", "--json"]).expect(0);
    let listing = tree.listing();
    assert!(
        !listing.iter().any(|p| p.starts_with("gone")),
        "{listing:?}"
    );
    assert!(
        !listing.contains(&format!("live/__pycache__/m.{tag}.pyc.77.1")),
        "{listing:?}"
    );
    assert!(listing.contains(&other), "{listing:?}");
    assert!(
        listing.contains(&"live/__pycache__/m.cpython-311.pyc.x1".to_string()),
        "{listing:?}"
    );
    assert_eq!(out.json()["removed_files"].as_array().unwrap().len(), 3);
}

/// Defect 9: a valid header over a truncated or garbage body. The fast
/// path reads headers only (and calls it fresh); `check --verify` finds
/// it, `update --verify` repairs it, and the verdict on damaged bodies is
/// the target's own `marshal.loads`.
#[test]
fn verify_finds_and_repairs_broken_bodies() {
    for python in pythons() {
        let tree = Tree::new(&python);
        let source = tree.write(
            "m.py",
            "import sys\nBIG = 2 ** 100\nF = 1.5\nC = 2j\nS = frozenset({1, 'a'})\n\
             B = b'\\x00'\nU = '\\u00e9\\U0001f600'\ndef f(x, *, y=None):\n    return [i for i in x]\n",
        );
        tree.pycache(&["update", "-O", "0"]).expect(0);
        let pyc = tree.cache("m.py", 0);
        let good = fs::read(&pyc).unwrap();
        let header = if python.minor < 7 { 12 } else { 16 };
        // Every cut through the body, garbage after a header and a first
        // byte that pass the fast path, and trailing bytes (ignored by
        // marshal), judged by pycache and by the interpreter's marshal.
        let mut bodies: Vec<Vec<u8>> = (1..good.len() - header)
            .step_by(5)
            .map(|cut| good[..header + cut].to_vec())
            .collect();
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        for len in [3, 17, 64, 200] {
            let mut body = good[..header + 1].to_vec();
            body.extend((0..len).map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                seed as u8
            }));
            bodies.push(body);
        }
        let mut trailing = good.clone();
        trailing.extend_from_slice(b"trailing garbage");
        bodies.push(trailing);
        bodies.push(good.clone());
        for body in &bodies {
            fs::write(&pyc, body).unwrap();
            let ours = run(&tree, &os(&["check", "-O", "0", "--verify", "--json"]));
            let verdict = ours.json()["to_compile"][0]["levels"][0]["state"]
                .as_str()
                .unwrap_or("fresh")
                .to_string();
            let theirs = marshal_loads(&python, &pyc, header);
            assert_eq!(
                verdict,
                if theirs { "fresh" } else { "stale" },
                "{python:?} on {} bytes: {}",
                body.len(),
                ours.stdout
            );
        }
        // A cut right after the header: fresh to the fast path, stale to
        // --verify, repaired by update --verify.
        fs::write(&pyc, &good[..header + 1]).unwrap();
        run(&tree, &os(&["check", "-O", "0"])).expect(0);
        let out = run(&tree, &os(&["check", "-O", "0", "--verify", "--json"])).expect(1);
        let reason = out.json()["to_compile"][0]["levels"][0]["reason"].to_string();
        assert!(reason.contains("broken body"), "{reason}");
        run(&tree, &os(&["update", "-O", "0", "--verify"])).expect(0);
        assert!(marshal_loads(&python, &pyc, header), "{python:?}");
        run(&tree, &os(&["check", "-O", "0", "--verify"])).expect(0);
        assert_eq!(importlib_verdicts(&python, 0, &[source]), ["fresh"]);
    }
}

/// Whether `python`'s marshal loads a code object from `pyc` after its
/// header.
fn marshal_loads(python: &common::Python, pyc: &Path, header: usize) -> bool {
    let code = format!(
        "import marshal, sys, types\n\
         try:\n    ok = isinstance(marshal.loads(open(sys.argv[1], 'rb').read()[{header}:]), types.CodeType)\n\
         except Exception:\n    ok = False\n\
         print('ok' if ok else 'broken')"
    );
    let out = Command::new(&python.path)
        .args(["-I", "-c", &code])
        .arg(pyc)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim() == "ok"
}

fn set_mtime(path: &Path, time: SystemTime) {
    fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(time)
        .unwrap();
}

/// Defect 10: an mtime within a few hundred nanoseconds of the next second
/// is stored by CPython as the next second (`int()` of the float
/// `st_mtime`); pycache must agree, or it recompiles on every run.
#[test]
fn mtimes_round_as_cpython_rounds_them() {
    for python in pythons() {
        let tree = Tree::new(&python);
        let near = tree.write("near.py", "X = 1\n");
        let exact = tree.write("exact.py", "X = 2\n");
        set_mtime(
            &near,
            SystemTime::UNIX_EPOCH + Duration::new(1_700_000_000, 999_999_950),
        );
        set_mtime(
            &exact,
            SystemTime::UNIX_EPOCH + Duration::new(1_700_000_000, 999_000_000),
        );
        tree.pycache(&["update", "-O", "0"]).expect(0);
        let out = tree.pycache(&["check", "-O", "0"]);
        assert_eq!(out.code, 0, "{python:?}: {}{}", out.stdout, out.stderr);
        assert_eq!(
            importlib_verdicts(&python, 0, &[near, exact]),
            ["fresh", "fresh"],
            "{python:?}"
        );
    }
}

/// Defect 11: 3.6 compares the pyc's mtime with the unmasked source mtime,
/// so a source from 2106 on (or before 1970) is never fresh there; later
/// versions mask it. pycache's verdicts are importlib's.
#[test]
fn out_of_range_mtimes_follow_each_version() {
    for python in pythons() {
        let tree = Tree::new(&python);
        let late = tree.write("late.py", "X = 1\n");
        let early = tree.write("early.py", "X = 2\n");
        set_mtime(
            &late,
            SystemTime::UNIX_EPOCH + Duration::from_secs((1 << 32) + 5),
        );
        set_mtime(&early, SystemTime::UNIX_EPOCH - Duration::from_secs(1000));
        tree.pycache(&["update", "-O", "0"]);
        let want = importlib_verdicts(&python, 0, &[late.clone(), early.clone()]);
        let report = tree.pycache(&["check", "-O", "0", "--json"]).json();
        let stale: Vec<String> = report["to_compile"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["path"].as_str().unwrap().to_string())
            .collect();
        let ours: Vec<&str> = [&late, &early]
            .iter()
            .map(|s| {
                if stale.contains(&s.to_str().unwrap().to_string()) {
                    "stale"
                } else {
                    "fresh"
                }
            })
            .collect();
        assert_eq!(ours, want, "{python:?}");
        if python.minor == 6 {
            assert_eq!(want, ["stale", "stale"]);
        }
    }
}

/// Defect 12: a timestamp pyc with flags 0b10 is accepted by importlib 3.7+
/// (only bits outside 0b11 are refused); pycache calls it fresh too.
#[test]
fn flags_two_is_a_timestamp_pyc() {
    for python in pythons().into_iter().filter(|p| p.minor >= 7) {
        let tree = Tree::new(&python);
        let source = tree.write("m.py", "X = 1\n");
        let bad = tree.write("n.py", "X = 2\n");
        tree.pycache(&["update", "-O", "0"]).expect(0);
        for (src, flags) in [("m.py", 2u8), ("n.py", 4u8)] {
            let pyc = tree.cache(src, 0);
            let mut bytes = fs::read(&pyc).unwrap();
            bytes[4] = flags;
            fs::write(&pyc, bytes).unwrap();
        }
        let report = tree.pycache(&["check", "-O", "0", "--json"]).json();
        let stale: Vec<&str> = report["to_compile"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["path"].as_str().unwrap())
            .collect();
        assert_eq!(stale, [bad.to_str().unwrap()], "{python:?}");
        assert_eq!(
            importlib_verdicts(&python, 0, &[source, bad.clone()]),
            ["fresh", "stale"],
            "{python:?}"
        );
    }
}

/// Defect 13: a site-packages pycache cannot read is the environment's
/// problem: exit 3, as pycache(8) says (EXIT STATUS).
#[test]
fn unreadable_site_packages_exits_3() {
    let tree = Tree::new(&debian_python());
    tree.write("pkg/m.py", "X = 1\n");
    open_to_all(tree.tmp.path());
    fs::set_permissions(&tree.site, fs::Permissions::from_mode(0o311)).unwrap();
    let site = tree.site.as_os_str();
    for command in ["check", "clean"] {
        let out = as_nobody(
            &[],
            &[
                OsStr::new(command),
                OsStr::new("--flavor"),
                OsStr::new("py311"),
                OsStr::new("--site-packages"),
                site,
            ],
        );
        assert_eq!(out.code, 3, "{command}: {}{}", out.stdout, out.stderr);
        assert!(
            out.stderr.contains(tree.site.to_str().unwrap()),
            "{}",
            out.stderr
        );
    }
}

/// Defect 13: `clean` compiles nothing, so a `__pycache__` that is a
/// symlink or a file is left alone without a failure.
#[test]
fn clean_leaves_a_pycache_that_is_not_a_directory_alone() {
    let tree = Tree::new(&debian_python());
    tree.write("a/m.py", "X = 1\n");
    tree.write("b/m.py", "X = 1\n");
    tree.write("b/__pycache__", "a file");
    symlink(tree.tmp.path(), tree.site.join("a/__pycache__")).unwrap();
    let out = tree.pycache(&["clean", "-v"]).expect(0);
    assert!(!out.stderr.contains("not compiling"), "{}", out.stderr);
    assert!(tree.site.join("b/__pycache__").is_file());
    assert!(tree.site.join("a/__pycache__").is_symlink());
}

/// Defect 13: `--exclude` matches paths that are not UTF-8, byte for byte
/// (`*` and `?` match any byte).
#[test]
fn exclude_matches_paths_that_are_not_utf8() {
    let tree = Tree::new(&debian_python());
    let dir = tree.site.join("pkg");
    fs::create_dir_all(&dir).unwrap();
    let latin1 = dir.join(OsStr::from_bytes(b"caf\xe9.py"));
    fs::write(&latin1, "X = 1\n").unwrap();
    tree.write("pkg/keep.py", "X = 2\n");
    let keep = dir.join("keep.py");
    let pending = |args: &[&str]| {
        let report = tree.pycache(args).json_escapes_kept();
        let paths: Vec<String> = (report["to_compile"].as_array().unwrap().iter())
            .map(|p| p["path"].as_str().unwrap().to_string())
            .collect();
        paths
    };
    let all = pending(&["check", "-O", "0", "--json"]);
    let escaped = format!("{}/caf\\udce9.py", dir.display());
    assert_eq!(all, [escaped, keep.display().to_string()]);
    for pattern in ["pkg/caf?.py", "pkg/caf*", "*/c*f?.py"] {
        let paths = pending(&["check", "-O", "0", "--json", "-x", pattern]);
        assert_eq!(paths, [keep.display().to_string()], "{pattern}");
    }
}

/// Defect 13: a touched "directory" that is now a file is treated like a
/// missing one: nothing fails.
#[test]
fn a_touched_directory_that_is_now_a_file_is_like_a_missing_one() {
    let tree = Tree::new(&debian_python());
    tree.write("pkg/__init__.py", "");
    let file = tree.write("pkg/was_dir", "now a file");
    let inner = file.join("inner");
    for touched in [&file, &inner] {
        let out = tree.pycache(&["update", "-O", "0", "--json", touched.to_str().unwrap()]);
        assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
        assert_eq!(out.json()["failures"].as_array().unwrap().len(), 0);
    }
}

/// Defect 6: threads that cannot be spawned (a low `ulimit -u` for a
/// non-root user) mean fewer threads, never a panic, and the work is all
/// done: `check` finds the 320 orphans, `clean` removes every one of them
/// (the tree is the user's) and says so.
#[test]
fn no_threads_to_spare_means_serial_work_not_a_panic() {
    use std::os::unix::fs::chown;
    let tree = Tree::new(&debian_python());
    let tag = tree.python.tag();
    let mut sources = Vec::new();
    let mut orphans = Vec::new();
    // 32 directories: removal is spread over threads from 16 on.
    for pkg in 0..32 {
        for m in 0..20 {
            sources.push(tree.write(format!("p{pkg}/m{m}.py"), "X = 1\n"));
        }
        for m in 0..10 {
            orphans.push(tree.write(format!("p{pkg}/__pycache__/gone{m}.{tag}.pyc"), "orphan"));
        }
    }
    open_to_all(tree.tmp.path());
    for entry in walkdir::WalkDir::new(&tree.site) {
        let owner = NOBODY.parse().unwrap();
        chown(entry.unwrap().path(), Some(owner), Some(owner)).unwrap();
    }
    let site = tree.site.as_os_str();
    let args = |command: &'static str| {
        vec![
            OsStr::new(command),
            OsStr::new("--flavor"),
            OsStr::new("py311"),
            OsStr::new("--site-packages"),
            site,
            OsStr::new("--json"),
        ]
    };
    // The paths of a report's list are exactly `want`.
    let same = |list: &serde_json::Value, want: &[std::path::PathBuf], what: &str| {
        let got: Vec<&str> = list
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p.as_str().unwrap())
            .collect();
        let missing: Vec<_> = want
            .iter()
            .filter(|w| !got.contains(&w.to_str().unwrap()))
            .collect();
        assert!(
            missing.is_empty() && got.len() == want.len(),
            "{what}: {} paths, want {}; missing {}: {:?}...",
            got.len(),
            want.len(),
            missing.len(),
            &missing[..missing.len().min(3)]
        );
    };
    let out = as_nobody(&["--nproc=1"], &args("check"));
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    let report = out.json();
    assert_eq!(report["sources"], 640);
    same(&report["orphans"], &orphans, "check's orphans");
    assert!(
        orphans.iter().all(|o| o.exists()),
        "check removed an orphan"
    );
    // Cleaning under the same thread limit removes every orphan, and only
    // them, and says so.
    let out = as_nobody(&["--nproc=1"], &args("clean"));
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    assert_eq!((out.code, out.stderr.as_str()), (0, ""), "{}", out.stdout);
    let report = out.json();
    same(&report["removed_files"], &orphans, "clean's removed_files");
    assert_eq!(report["failures"], serde_json::json!([]));
    assert_eq!(report["error"], serde_json::Value::Null);
    assert_eq!(
        report["lines"],
        serde_json::json!([">=> Python 3.11: removed 320 orphaned files"])
    );
    let left: Vec<_> = orphans.iter().filter(|o| o.exists()).collect();
    assert!(left.is_empty(), "{} orphans left: {left:?}", left.len());
    assert!(sources.iter().all(|s| s.exists()), "a source was removed");
}

/// Issue 21, defect 6: a user who is not root compiles under set-group-ID
/// directories of a group it is not in. FreeBSD refuses (EPERM) a chmod
/// asking for the bit there, and Linux strips it from the directory that
/// inherited it. Each new `__pycache__` must have what the kernel gives a
/// directory made there by plain `mkdir` (group and bit: compared with one
/// made by `os.mkdir` as the same user), its parent's permission bits minus
/// group and world write, and no file may fail. Each interpreter found runs:
/// pyenv's under /root, which nobody cannot search, with
/// CAP_DAC_READ_SEARCH only (the set-group-ID rules depend on CAP_FSETID and
/// group membership, which nobody still lacks).
#[test]
fn setgid_directories_of_another_group_keep_what_the_kernel_gives() {
    use std::os::unix::fs::{MetadataExt, chown};
    const OWNER: u32 = 54321; // NOBODY
    const OTHER_GROUP: u32 = 54322; // a group nobody is not in
    for python in pythons() {
        let tree = Tree::new(&python);
        let sources = [
            tree.write("top.py", "T = 1\n"),
            tree.write("pkg/__init__.py", ""),
            tree.write("pkg/m.py", "X = 1\n"),
        ];
        open_to_all(tree.tmp.path());
        // site-packages 02775 and pkg 02770: nobody's, of the other group.
        for (dir, mode) in [(&tree.site, 0o2775), (&tree.site.join("pkg"), 0o2770)] {
            chown(dir, Some(OWNER), Some(OTHER_GROUP)).unwrap();
            fs::set_permissions(dir, fs::Permissions::from_mode(mode)).unwrap();
        }
        let caps: &[&str] = if python.path.starts_with("/usr/bin") {
            &[]
        } else {
            &["+dac_read_search"]
        };
        // What the kernel gives a directory nobody makes there.
        let made = nobody_runs(
            &[],
            caps,
            python.path.as_os_str(),
            &[
                OsStr::new("-c"),
                OsStr::new("import os, sys; os.umask(0o022); [os.mkdir(d) for d in sys.argv[1:]]"),
                tree.site.join("made").as_os_str(),
                tree.site.join("pkg/made").as_os_str(),
            ],
        );
        assert_eq!(made.code, 0, "{:?}: {}", python.path, made.stderr);
        let out = nobody_runs(
            &[],
            caps,
            OsStr::new(env!("CARGO_BIN_EXE_pycache")),
            &[
                OsStr::new("update"),
                OsStr::new("--flavor"),
                OsStr::new(&python.flavor()),
                OsStr::new("--prefix"),
                tree.prefix.as_os_str(),
                OsStr::new("--json"),
            ],
        );
        assert_eq!(
            out.code, 0,
            "{:?}: {}{}",
            python.path, out.stdout, out.stderr
        );
        let report = out.json();
        assert_eq!(report["failures"].as_array().unwrap().len(), 0, "{report}");
        assert_eq!(report["sources"], 3, "{report}");
        for (dir, bits) in [(tree.site.clone(), 0o755), (tree.site.join("pkg"), 0o750)] {
            let cache = fs::metadata(dir.join("__pycache__")).unwrap();
            let plain = fs::metadata(dir.join("made")).unwrap();
            let what = format!("{:?} {}", python.path, dir.display());
            assert_eq!(cache.gid(), plain.gid(), "{what}: group");
            assert_eq!(cache.gid(), OTHER_GROUP, "{what}: group");
            assert_eq!(
                format!("{:o}", cache.mode() & 0o7000),
                format!("{:o}", plain.mode() & 0o7000),
                "{what}: set-group-ID bit as mkdir gives it"
            );
            assert_eq!(
                format!("{:o}", cache.mode() & 0o777),
                format!("{bits:o}"),
                "{what}: permission bits"
            );
        }
        // The pycs: the directory's group, the source's read bits plus
        // owner write, and no set-group-ID bit asked for or given.
        for source in &sources {
            for level in LEVELS {
                let pyc = fs::metadata(cache_of(source, &python.tag(), level)).unwrap();
                assert_eq!(pyc.gid(), OTHER_GROUP, "{source:?} {level}");
                assert_eq!(pyc.uid(), OWNER, "{source:?} {level}");
                assert_eq!(
                    format!("{:o}", pyc.mode() & 0o7777),
                    "644",
                    "{source:?} {level}"
                );
            }
        }
    }
}

/// A default ACL on the parent (Linux's POSIX ACLs; FreeBSD's NFSv4 ACLs
/// inherit likewise) can give a new `__pycache__` other bits than the ones
/// asked for: the worker sets the parent's bits minus group and world
/// write all the same, as it did when it always chose them by chmod.
#[test]
fn a_default_acl_does_not_choose_the_bits_of_a_new_pycache() {
    let python = debian_python();
    let tree = Tree::new(&python);
    let source = tree.write("pkg/m.py", "X = 1\n");
    let pkg = tree.site.join("pkg");
    fs::set_permissions(&pkg, fs::Permissions::from_mode(0o755)).unwrap();
    let setfacl = Command::new("setfacl")
        .args(["-d", "-m", "u::rwx,g::r-x,o::---"])
        .arg(&pkg)
        .output()
        .expect("setfacl is missing: apt-get install acl");
    assert!(
        setfacl.status.success(),
        "setfacl -d on {}: {}",
        pkg.display(),
        String::from_utf8_lossy(&setfacl.stderr)
    );
    // What the ACL alone gives a directory made there.
    fs::create_dir(pkg.join("plain")).unwrap();
    let plain = fs::metadata(pkg.join("plain"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(
        format!("{:o}", plain & 0o777),
        "750",
        "the default ACL took no effect"
    );
    tree.pycache(&["update"]).expect(0);
    let cache = fs::metadata(pkg.join("__pycache__")).unwrap();
    assert_eq!(format!("{:o}", cache.permissions().mode() & 0o7777), "755");
    assert!(cache_of(&source, &python.tag(), 0).exists());
}
