//! The compile workers and the interpreter query against interpreters that
//! misbehave, trees that change while a file compiles, signals, process
//! limits and a strict umask (issue 10, defects 2 and 4 to 8; issue 11,
//! items 5 and 6). Every interpreter here is a real CPython: in a venv whose
//! site-packages holds a hostile `.pth`, or behind a `sh` wrapper that adds a
//! hook to the worker program it is given, as an attacker's code would run.

mod common;

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{
    Python, Run, Tree, bounded, cache_of, debian_python, importlib_verdicts, kill_group, listing,
    pythons, read_all,
};

const LEVELS: [u8; 3] = [0, 1, 2];

fn pycache_cmd(args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pycache"));
    cmd.args(args);
    cmd
}

/// `Tree::pycache`'s command: `pycache ARGS --flavor pyXY --prefix PREFIX`.
fn tree_cmd(tree: &Tree, args: &[&str]) -> Command {
    let mut cmd = pycache_cmd(args);
    cmd.arg("--flavor")
        .arg(tree.python.flavor())
        .arg("--prefix")
        .arg(&tree.prefix);
    cmd
}

fn executable(path: &Path, text: &str) {
    fs::write(path, text).unwrap();
    fs::set_permissions(path, fs::Permissions::from_mode(0o755)).unwrap();
}

/// Makes the tree's `bin/python3.X` a `sh` wrapper of the real interpreter
/// that runs `hook` (Python) before the worker program it was given, and
/// `after` (shell) once that interpreter exited.
fn hooked_interpreter(tree: &Tree, hook: &str, after: &str) {
    let wrapper = tree.prefix.join("bin").join(tree.python.name());
    let hook_file = tree.prefix.join("hook.py");
    fs::write(&hook_file, hook).unwrap();
    fs::remove_file(&wrapper).unwrap();
    executable(
        &wrapper,
        &format!(
            "#!/bin/sh\n\
             # the worker program follows -c, its mode follows the program\n\
             while [ \"$#\" -gt 0 ] && [ \"$1\" != -c ]; do shift; done\n\
             code=$2 mode=$3 hook=$(cat '{hook}')\n\
             '{python}' -I -S -B -X utf8 -u -c \"$hook\n$code\" \"$mode\"\n\
             {after}\n",
            hook = hook_file.display(),
            python = tree.python.path.display(),
        ),
    );
}

/// A venv of `python` (no pip) whose site-packages holds `name.pth` with
/// `line` in it; returns the venv's interpreter and site-packages.
fn venv_with_pth(python: &Python, dir: &Path, name: &str, line: &str) -> (PathBuf, PathBuf) {
    let out = Command::new(&python.path)
        .args(["-m", "venv", "--without-pip"])
        .arg(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{python:?} -m venv --without-pip: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let site = dir.join("lib").join(python.name()).join("site-packages");
    fs::write(site.join(format!("{name}.pth")), format!("{line}\n")).unwrap();
    (dir.join("bin/python"), site)
}

#[test]
fn a_pth_that_prints_or_a_wrapper_that_talks_corrupts_nothing() {
    // Defect 4: a `.pth` runs as root in every interpreter started with
    // `site`; one that prints used to corrupt the interpreter query and the
    // worker protocol. The `.pth` also records that it ran.
    for python in pythons() {
        let tmp = tempfile::tempdir().unwrap();
        let ran = tmp.path().join("pth-ran");
        let (venv_python, site) = venv_with_pth(
            &python,
            &tmp.path().join("venv"),
            "noisy",
            &format!(
                "import sys; sys.stdout.write('noise\\0ready\\0x\\0y\\0' * 3); sys.stdout.flush(); \
                 open({:?}, 'a').close()",
                ran.display().to_string()
            ),
        );
        let source = site.join("mod.py");
        fs::write(&source, "X = 1\n").unwrap();
        let out = bounded(
            pycache_cmd(&["update", "--json", "--python"]).arg(&venv_python),
            Duration::from_secs(60),
        )
        .expect(0)
        .json();
        assert_eq!(
            out["python"]["site_packages"],
            site.to_str().unwrap(),
            "{out}"
        );
        assert_eq!(out["compiled"].as_array().unwrap().len(), 1, "{out}");
        for level in LEVELS {
            assert_eq!(
                importlib_verdicts(&python, level, std::slice::from_ref(&source)),
                ["fresh"]
            );
        }
        assert!(!ran.exists(), "{python:?}: the .pth ran");
    }
    // A wrapper that prints before starting the interpreter: the workers
    // (started as the flavor's interpreter) and the query (of the wrapper
    // given as --python) skip what comes before their marker.
    let python = debian_python();
    let tree = Tree::new(&python);
    let first = tree.write("talk.py", "T = 1\n");
    let wrapper = tree.prefix.join("bin").join(python.name());
    fs::remove_file(&wrapper).unwrap();
    executable(
        &wrapper,
        &format!(
            "#!/bin/sh\nprintf 'hello\\0ready\\0cpython-311\\0'; exec '{}' \"$@\"\n",
            python.path.display()
        ),
    );
    let out = bounded(
        &mut tree_cmd(&tree, &["update", "--json"]),
        Duration::from_secs(60),
    )
    .expect(0)
    .json();
    assert_eq!(out["compiled"].as_array().unwrap().len(), 1, "{out}");
    let second = tree.write("more.py", "M = 1\n");
    let out = bounded(
        pycache_cmd(&["update", "--json", "--site-packages"])
            .arg(&tree.site)
            .arg("--python")
            .arg(&wrapper),
        Duration::from_secs(60),
    )
    .expect(0)
    .json();
    assert_eq!(out["python"]["tag"], "cpython-311", "{out}");
    assert_eq!(out["compiled"].as_array().unwrap().len(), 1, "{out}");
    assert_eq!(
        importlib_verdicts(&python, 0, &[first, second]),
        ["fresh"; 2]
    );
}

#[test]
fn no_wait_on_an_interpreter_is_unbounded() {
    // Defect 5. A `.pth` starting a non-daemon thread keeps a `site`
    // interpreter alive forever: the query and the workers run without it.
    let python = debian_python();
    let tmp = tempfile::tempdir().unwrap();
    let (venv_python, site) = venv_with_pth(
        &python,
        &tmp.path().join("venv"),
        "forever",
        "import threading, time; threading.Thread(target=time.sleep, args=(3600,)).start()",
    );
    fs::write(site.join("mod.py"), "X = 1\n").unwrap();
    bounded(
        pycache_cmd(&["update", "--python"]).arg(&venv_python),
        Duration::from_secs(30),
    )
    .expect(0);

    // A worker that keeps running once its input ends (the wrapper becomes
    // `sleep` when the interpreter exits, holding the pipes) is killed
    // after a short grace.
    let tree = Tree::new(&python);
    let sources: Vec<PathBuf> = (0..4)
        .map(|i| tree.write(format!("m{i}.py"), "X = 1\n"))
        .collect();
    hooked_interpreter(&tree, "", "exec sleep 3600");
    let started = Instant::now();
    bounded(
        &mut tree_cmd(&tree, &["update", "-j", "2"]),
        Duration::from_secs(30),
    )
    .expect(0);
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(importlib_verdicts(&python, 0, &sources), ["fresh"; 4]);

    // After a file times out, no replacement worker is started for no work
    // (nor waited for).
    let tree = Tree::new(&python);
    tree.write("hang_me.py", "H = 1\n");
    hooked_interpreter(
        &tree,
        "import builtins, time  # hostile-interpreter-hang\n\
         real = builtins.compile\n\
         def compile(source, path, *args, **kwargs):\n\
         \x20   if 'hang_me' in str(path):\n\
         \x20       time.sleep(3600)\n\
         \x20   return real(source, path, *args, **kwargs)\n\
         builtins.compile = compile\n",
        "exec sleep 3600",
    );
    let out = bounded(
        &mut tree_cmd(&tree, &["update", "-j", "1", "--timeout", "2", "--json"]),
        Duration::from_secs(30),
    )
    .expect(1)
    .json();
    assert_eq!(
        out["failures"][0]["reason"],
        "timed out after 2 s; worker restarted"
    );
    assert_eq!(out["interpreters_started"], 1, "{out}");

    // The worker that hung, a wrapper's child, was killed with it.
    let ps = Command::new("ps").args(["-eo", "args"]).output().unwrap();
    assert!(!String::from_utf8_lossy(&ps.stdout).contains("hostile-interpreter-hang"));

    // The start-up bound follows --timeout.
    let tree = Tree::new(&python);
    tree.write("m.py", "X = 1\n");
    let silent = tree.prefix.join("bin").join(python.name());
    fs::remove_file(&silent).unwrap();
    executable(&silent, "#!/bin/sh\nexec sleep 3600\n");
    let started = Instant::now();
    let run = bounded(
        &mut tree_cmd(&tree, &["update", "--timeout", "2"]),
        Duration::from_secs(30),
    )
    .expect(3);
    // What stopped the run is on stderr, as every fatal error is.
    assert!(
        run.stderr.contains("did not start within 2s"),
        "{}",
        run.stderr
    );
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn a_pycache_swapped_for_a_symlink_is_never_written_through() {
    // Defect 2: while a file compiles, its `__pycache__` appears as a
    // symlink to a directory outside the tree, or its directory is swapped
    // for one. Nothing is ever written outside; the first file fails.
    for python in pythons() {
        let tree = Tree::new(&python);
        let outside = tree.tmp.path().join("outside");
        let outside2 = tree.tmp.path().join("outside2");
        fs::create_dir_all(&outside).unwrap();
        fs::create_dir_all(&outside2).unwrap();
        let small = tree.write("z/small.py", "S = 1\n");
        let moved = tree.write("y/moved.py", "M = 1\n");
        let others: Vec<PathBuf> = (0..3)
            .map(|i| tree.write(format!("a/o{i}.py"), "O = 1\n"))
            .collect();
        // Compiled first (the largest), it swaps `x` before `x/later.py`
        // is started: the worker's walk down to `x` finds the link.
        tree.write("first/big.py", &"B = 1\n".repeat(200));
        let later = tree.write("x/later.py", "L = 1\n");
        let outside3 = tree.tmp.path().join("outside3");
        fs::create_dir_all(&outside3).unwrap();
        fs::copy(&later, outside3.join("later.py")).unwrap();
        hooked_interpreter(
            &tree,
            &format!(
                "import builtins, os\n\
                 real = builtins.compile\n\
                 def compile(source, path, *args, **kwargs):\n\
                 \x20   path = str(path)\n\
                 \x20   d = os.path.dirname(path)\n\
                 \x20   if path.endswith('small.py') and not os.path.islink(d + '/__pycache__'):\n\
                 \x20       os.symlink({outside:?}, d + '/__pycache__')\n\
                 \x20   if path.endswith('big.py'):\n\
                 \x20       x = os.path.dirname(d) + '/x'\n\
                 \x20       os.rename(x, x + '.real')\n\
                 \x20       os.symlink({outside3:?}, x)\n\
                 \x20   if path.endswith('moved.py') and not os.path.islink(d):\n\
                 \x20       os.rename(d, d + '.real')\n\
                 \x20       os.symlink({outside2:?}, d)\n\
                 \x20   return real(source, path, *args, **kwargs)\n\
                 builtins.compile = compile\n",
                outside = outside.display().to_string(),
                outside2 = outside2.display().to_string(),
                outside3 = outside3.display().to_string(),
            ),
            "",
        );
        let out = bounded(
            &mut tree_cmd(&tree, &["update", "--json", "-j", "1"]),
            Duration::from_secs(60),
        )
        .expect(1)
        .json();
        assert_eq!(listing(&outside), Vec::<String>::new(), "{python:?}: {out}");
        assert_eq!(
            listing(&outside2),
            Vec::<String>::new(),
            "{python:?}: {out}"
        );
        assert_eq!(listing(&outside3), ["later.py"], "{python:?}: {out}");
        let failures = out["failures"].as_array().unwrap();
        assert_eq!(failures.len(), 2, "{python:?}: {out}");
        assert_eq!(failures[0]["path"], later.to_str().unwrap());
        assert_eq!(failures[1]["path"], small.to_str().unwrap());
        for failure in failures {
            let reason = failure["reason"].as_str().unwrap();
            assert!(
                reason.contains("is a symlink or not a directory"),
                "{reason}"
            );
        }
        // The swapped directory's file went where its directory went.
        let real = tree.site.join("y.real/moved.py");
        assert!(
            cache_of(&real, &python.tag(), 0).is_file(),
            "{python:?}: {out}"
        );
        assert!(
            fs::symlink_metadata(moved.parent().unwrap())
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(importlib_verdicts(&python, 0, &others), ["fresh"; 3]);
    }
}

#[test]
fn a_spawn_limit_shrinks_the_pool_without_a_panic() {
    // Defect 6: a user with a low process limit. The threads and workers
    // that cannot start leave a smaller pool and a warning; the report is
    // printed and the exit code says what happened. The pool is at most
    // one worker per core (issue 27, `-j 300` is lowered), so the limit is
    // raised from almost nothing until every thread and worker starts:
    // every run on the way must end well, and one must have compiled with
    // fewer workers than it wanted.
    let python = debian_python(); // /root's pyenv is not readable by nobody
    let tree = Tree::new(&python);
    let sources: Vec<PathBuf> = (0..400)
        .map(|i| tree.write(format!("p/m{i}.py"), "X = 1\n"))
        .collect();
    // A copy inside the tree: the build directory may sit below one that
    // nobody cannot search (a clone under `mktemp -d`, mode 0700).
    let program = tree.tmp.path().join("pycache");
    fs::copy(env!("CARGO_BIN_EXE_pycache"), &program).unwrap();
    let chown = Command::new("chown")
        .args(["-R", "nobody:nogroup"])
        .arg(tree.tmp.path())
        .status()
        .unwrap();
    assert!(chown.success());
    let cores = std::thread::available_parallelism().unwrap().get();
    let mut shrunk = None;
    for nproc in 1..=8 * cores + 32 {
        let _ = fs::remove_dir_all(tree.site.join("p/__pycache__"));
        let script = format!(
            "prlimit --nproc={nproc} --pid $$ && exec '{}' update --json -j 300 --flavor py311 --prefix '{}'",
            program.display(),
            tree.prefix.display()
        );
        let run = bounded(
            Command::new("setpriv")
                .args([
                    "--reuid=nobody",
                    "--regid=nogroup",
                    "--clear-groups",
                    "sh",
                    "-c",
                ])
                .arg(&script),
            Duration::from_secs(120),
        );
        let context = format!(
            "nproc {nproc}: exit {}: {}\n{}",
            run.code, run.stdout, run.stderr
        );
        assert!([0, 1, 3].contains(&run.code), "{context}");
        assert!(!run.stderr.contains("panicked"), "{context}");
        let out = run.json();
        let compiled = out["compiled"].as_array().unwrap().len();
        let failed = out["failures"].as_array().unwrap().len();
        if run.code == 3 {
            // Not even one worker: said, and nothing half-done.
            assert!(
                out["error"]
                    .as_str()
                    .unwrap()
                    .contains("400 source(s) not compiled"),
                "{context}"
            );
            continue;
        }
        assert_eq!(compiled + failed, sources.len(), "{context}");
        let warnings = out["warnings"].to_string();
        if warnings.contains("compile threads") || warnings.contains("failed to start") {
            assert!(compiled > 0, "{context}");
            shrunk.get_or_insert(nproc);
        } else if out["warnings"].as_array().unwrap().is_empty() {
            assert_eq!(compiled, sources.len(), "{context}");
            break;
        }
    }
    assert!(
        shrunk.is_some(),
        "no process limit made the pool smaller than it wanted"
    );
}

/// A tree that takes a few seconds to compile with two workers.
fn slow_tree(python: &Python) -> (Tree, Vec<PathBuf>) {
    let tree = Tree::new(python);
    let body: String = (0..200)
        .map(|i| {
            format!("def f{i}(x):\n    '''Doc.'''\n    assert x\n    return [x * {i} for _ in x]\n")
        })
        .collect();
    let sources = (0..300)
        .map(|i| tree.write(format!("d{}/m{i}.py", i % 20), &body))
        .collect();
    (tree, sources)
}

fn temporaries(root: &Path) -> Vec<String> {
    listing(root)
        .into_iter()
        .filter(|p| p.contains(".pyc."))
        .collect()
}

#[test]
fn a_signal_stops_the_run_cleanly_with_a_report() {
    // Defect 7: SIGINT (as Ctrl-C sends it, to the whole process group) or
    // SIGTERM during a compile: the run stops, leaves no temporary file,
    // prints what was done and exits 128 + the signal.
    let python = debian_python();
    for (signal, code) in [("INT", 130), ("TERM", 143)] {
        let (tree, sources) = slow_tree(&python);
        let mut child = tree_cmd(&tree, &["update", "-j", "2", "--json"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .spawn()
            .unwrap();
        let (out, err) = (read_all(child.stdout.take()), read_all(child.stderr.take()));
        let waited = Instant::now();
        while !sources
            .iter()
            .any(|s| cache_of(s, &python.tag(), 0).exists())
        {
            assert!(
                waited.elapsed() < Duration::from_secs(60),
                "nothing compiled"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
        kill_group(child.id(), signal);
        let waited = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if waited.elapsed() > Duration::from_secs(20) {
                kill_group(child.id(), "KILL");
                panic!("SIG{signal}: pycache did not stop within 20 s");
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        let run = Run {
            code: status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.join().unwrap()).into_owned(),
            stderr: String::from_utf8_lossy(&err.join().unwrap()).into_owned(),
        };
        let report = run.expect(code).json();
        assert_eq!(report["exit_code"], code, "{report}");
        let warnings = report["warnings"].to_string();
        assert!(
            warnings.contains(&format!("interrupted by SIG{signal}")),
            "{report}"
        );
        let compiled: Vec<PathBuf> = report["compiled"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| PathBuf::from(c["path"].as_str().unwrap()))
            .collect();
        assert!(compiled.len() < sources.len(), "{warnings}");
        assert_eq!(temporaries(&tree.site), Vec::<String>::new(), "SIG{signal}");
        // Every pyc there is whole, and the run finishes what is left.
        for level in LEVELS {
            let fresh = importlib_verdicts(&python, level, &compiled);
            assert!(fresh.iter().all(|v| v == "fresh"), "{fresh:?}");
        }
        tree.pycache(&["update", "-q"]).expect(0);
        tree.pycache(&["check", "-q"]).expect(0);
    }
}

#[test]
fn a_debug_spelled_with_compatibility_characters_gets_its_own_optimized_pyc() {
    // Defect 8: CPython NFKC-normalizes identifiers, so `__𝒹ebug__` is
    // `__debug__` and -O folds it. `python -O` must run the optimized branch
    // from the cache. (`ａssert` is not the keyword: a syntax error on every
    // version, checked here too.)
    let variants = [
        (
            "nfkc",
            "if __\u{1d4b9}ebug__:\n    MODE = 'debug'\nelse:\n    MODE = 'optimized'\n",
        ),
        (
            "bom",
            "\u{feff}MODE = 'debug' if __\u{ff44}ebug__ else 'optimized'\n",
        ),
        (
            "declared",
            "# -*- coding: utf-8 -*-\nMODE = 'debug' if _\u{ff3f}debug__ else 'optimized'\n",
        ),
    ];
    for python in pythons() {
        let tree = Tree::new(&python);
        let sources: Vec<PathBuf> = variants
            .iter()
            .map(|(name, text)| tree.write(format!("{name}.py"), text))
            .collect();
        let keyword = tree.write("keyword.py", "def f(x):\n    \u{ff41}ssert x\n");
        let out = tree.pycache(&["update", "--json"]).expect(1).json();
        assert_eq!(
            out["failures"][0]["path"],
            keyword.to_str().unwrap(),
            "{out}"
        );
        for level in LEVELS {
            assert_eq!(importlib_verdicts(&python, level, &sources), ["fresh"; 3]);
        }
        for (flags, want) in [
            (&[][..], "debug"),
            (&["-O"][..], "optimized"),
            (&["-OO"][..], "optimized"),
        ] {
            let modes = Command::new(&python.path)
                .args(flags)
                .args(["-I", "-B", "-c"])
                .arg(format!(
                    "import sys; sys.path.insert(0, {:?}); import nfkc, bom, declared; \
                     print(nfkc.MODE, bom.MODE, declared.MODE)",
                    tree.site.display().to_string()
                ))
                .output()
                .unwrap();
            assert_eq!(
                String::from_utf8_lossy(&modes.stdout).trim(),
                [want; 3].join(" "),
                "{python:?} {flags:?}: {}",
                String::from_utf8_lossy(&modes.stderr)
            );
        }
    }
}

#[test]
fn pycs_get_the_source_s_read_bits_whatever_the_umask() {
    // Issue 11, item 5: root with umask 077 writes bytecode that every
    // user's Python reads: each pyc has its source's read bits (never
    // group- or world-writable), each new `__pycache__` its parent's bits
    // minus group and world write.
    let python = debian_python(); // /root's pyenv is not readable by nobody
    let tree = Tree::new(&python);
    let public = tree.write("pub/mod.py", "VALUE = 'public'\n");
    let private = tree.write("pub/secret.py", "S = 1\n");
    let shared = tree.write("grp/team.py", "T = 1\n");
    fs::set_permissions(tree.tmp.path(), fs::Permissions::from_mode(0o755)).unwrap();
    for dir in [
        &tree.prefix,
        &tree.prefix.join("lib"),
        &tree.site.parent().unwrap().to_path_buf(),
        &tree.site,
    ] {
        fs::set_permissions(dir, fs::Permissions::from_mode(0o755)).unwrap();
    }
    fs::set_permissions(tree.site.join("pub"), fs::Permissions::from_mode(0o755)).unwrap();
    fs::set_permissions(tree.site.join("grp"), fs::Permissions::from_mode(0o2775)).unwrap();
    fs::set_permissions(&public, fs::Permissions::from_mode(0o644)).unwrap();
    fs::set_permissions(&private, fs::Permissions::from_mode(0o600)).unwrap();
    fs::set_permissions(&shared, fs::Permissions::from_mode(0o664)).unwrap();
    let script = format!(
        "umask 077 && exec '{}' update --flavor py311 --prefix '{}'",
        env!("CARGO_BIN_EXE_pycache"),
        tree.prefix.display()
    );
    let run = Run::of(Command::new("sh").args(["-c", &script]).output().unwrap()).expect(0);
    assert!(run.stdout.contains("for 3 sources in"), "{}", run.stdout);
    let mode = |p: &Path| fs::metadata(p).unwrap().mode() & 0o7777;
    assert_eq!(mode(&tree.site.join("pub/__pycache__")), 0o755);
    assert_eq!(mode(&tree.site.join("grp/__pycache__")), 0o2755);
    for level in LEVELS {
        assert_eq!(mode(&cache_of(&public, &python.tag(), level)), 0o644);
        assert_eq!(mode(&cache_of(&private, &python.tag(), level)), 0o600);
        assert_eq!(mode(&cache_of(&shared, &python.tag(), level)), 0o644);
    }
    // An unprivileged user imports from the cache: `-v` names the pyc the
    // code came from, and the pyc is the same file, untouched.
    let pyc = cache_of(&public, &python.tag(), 0);
    let before = fs::metadata(&pyc).unwrap();
    let import = Command::new("setpriv")
        .args(["--reuid=nobody", "--regid=nogroup", "--clear-groups"])
        .arg(&python.path)
        .args(["-I", "-v", "-c"])
        .arg(format!(
            "import sys; sys.path.insert(0, {:?}); import mod; print(mod.VALUE)",
            tree.site.join("pub").display().to_string()
        ))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&import.stderr);
    assert_eq!(
        String::from_utf8_lossy(&import.stdout).trim(),
        "public",
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("code object from '{}'", pyc.display())),
        "{stderr}"
    );
    let after = fs::metadata(&pyc).unwrap();
    assert_eq!(
        (before.ino(), before.mtime(), before.mtime_nsec()),
        (after.ino(), after.mtime(), after.mtime_nsec())
    );
}

#[test]
fn a_worker_that_does_not_start_is_not_quoted_by_its_arguments() {
    // Issue 11, item 6: a program that is not CPython and echoes its
    // arguments to stderr; the message must not quote them as its error.
    let python = debian_python();
    let tree = Tree::new(&python);
    tree.write("m.py", "X = 1\n");
    let fake = tree.prefix.join("bin").join(python.name());
    fs::remove_file(&fake).unwrap();
    executable(&fake, "#!/bin/sh\necho \"$@\" >&2\nexit 1\n");
    let run = bounded(&mut tree_cmd(&tree, &["update"]), Duration::from_secs(30)).expect(3);
    assert!(run.stderr.contains("exit status: 1"), "{}", run.stderr);
    assert!(
        run.stderr.contains("only its own arguments"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains(": timestamp"), "{}", run.stderr);
    assert!(!run.stderr.contains("reply"), "{}", run.stderr);
    // A real error is still quoted.
    executable(
        &fake,
        "#!/bin/sh\necho 'first line' >&2\necho 'fatal: no memory' >&2\nexit 1\n",
    );
    let run = bounded(&mut tree_cmd(&tree, &["update"]), Duration::from_secs(30)).expect(3);
    assert!(
        run.stderr
            .contains("stderr: first line ... fatal: no memory"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_killed_worker_leaves_no_temporary_file() {
    // Defect 7: a worker killed after writing a temporary file and before
    // renaming it (here it hangs there), on a per-file timeout or after an
    // interrupt: the engine removes what it left of the files it was given.
    let python = debian_python();
    let hook = "import os, time  # hostile-interpreter-hang\n\
                real = os.replace\n\
                def replace(src, dst, *args, **kwargs):\n\
                \x20   if 'slow.cpython' in str(src):\n\
                \x20       time.sleep(3600)\n\
                \x20   return real(src, dst, *args, **kwargs)\n\
                os.replace = replace\n";
    let tree = Tree::new(&python);
    let fast = tree.write("fast.py", "F = 1\n");
    tree.write("slow.py", "S = 1\n");
    hooked_interpreter(&tree, hook, "");
    let out = bounded(
        &mut tree_cmd(&tree, &["update", "--timeout", "2", "--json"]),
        Duration::from_secs(30),
    )
    .expect(1)
    .json();
    assert_eq!(
        out["failures"][0]["reason"],
        "timed out after 2 s; worker restarted"
    );
    assert_eq!(temporaries(&tree.site), Vec::<String>::new());
    assert_eq!(importlib_verdicts(&python, 0, &[fast]), ["fresh"]);

    let tree = Tree::new(&python);
    tree.write("slow.py", "S = 1\n");
    hooked_interpreter(&tree, hook, "");
    let mut child = tree_cmd(&tree, &["update", "--json"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let out = read_all(child.stdout.take());
    let waited = Instant::now();
    while temporaries(&tree.site).is_empty() {
        assert!(
            waited.elapsed() < Duration::from_secs(30),
            "no temporary file"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let kill = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let waited = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if waited.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            panic!("SIGINT: pycache did not stop within 20 s");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let stdout = String::from_utf8_lossy(&out.join().unwrap()).into_owned();
    assert_eq!(status.code(), Some(130), "{stdout}");
    assert!(
        stdout.contains("interrupted by SIGINT: 1 of 1 files"),
        "{stdout}"
    );
    assert_eq!(temporaries(&tree.site), Vec::<String>::new());
    let ps = Command::new("ps").args(["-eo", "args"]).output().unwrap();
    assert!(!String::from_utf8_lossy(&ps.stdout).contains("hostile-interpreter-hang"));
}
