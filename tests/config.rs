//! pycache.conf through the program: the file fills in what the command
//! line does not set (file < flag), a flavor's section counts over the top
//! level, `$PYCACHE_CONF`/`--config`/`--no-config` choose the file, a file
//! that cannot be used is ignored whole with one warning line (the job
//! still runs, removing no more than without the file), and `pycache
//! config [KEY]` shows the settings in effect. The Lua fronts are tested
//! in tests/lua/config_spec.lua, a pkg trigger in tests/e2e.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{Run, Tree, debian_python, pythons};

/// Runs `pycache ARGS --flavor --prefix` of `tree` with `$PYCACHE_CONF` set
/// to `conf` (`None`: unset).
fn run(tree: &Tree, conf: Option<&Path>, args: &[&str]) -> Run {
    let mut cmd = tree.command(args);
    match conf {
        Some(conf) => cmd.env("PYCACHE_CONF", conf),
        None => cmd.env_remove("PYCACHE_CONF"),
    };
    Run::of(cmd.output().unwrap())
}

fn conf(tree: &Tree, text: &str) -> PathBuf {
    let path = tree.tmp.path().join("pycache.conf");
    fs::write(&path, text).unwrap();
    path
}

/// The levels whose pyc exists for `rel`.
fn levels_of(tree: &Tree, rel: &str) -> Vec<u8> {
    (0..=2).filter(|&l| tree.cache(rel, l).exists()).collect()
}

#[test]
fn the_file_fills_in_what_flags_do_not_set() {
    let tree = Tree::new(&debian_python());
    tree.write("pkg/__init__.py", "\"\"\"Doc.\"\"\"\nA = 1\n");
    tree.write("pkg/tests/test_a.py", "assert True\n");
    let file = conf(
        &tree,
        "# levels and excludes from the file\nlevels = [0];\nexclude = [\"*/tests/*\"];\n\
         invalidation_mode = checked-hash\n",
    );
    let out = run(&tree, Some(&file), &["update", "--json"]).expect(0);
    let json = out.json();
    assert_eq!(json["config"], file.to_str().unwrap());
    assert_eq!(json["levels"], serde_json::json!([0]));
    assert_eq!(levels_of(&tree, "pkg/__init__.py"), [0]);
    assert_eq!(levels_of(&tree, "pkg/tests/test_a.py"), Vec::<u8>::new());
    // checked-hash: flags 3 in the header (PEP 552).
    let pyc = fs::read(tree.cache("pkg/__init__.py", 0)).unwrap();
    assert_eq!(&pyc[4..8], &[3, 0, 0, 0]);

    // A flag counts over the file; the file's other settings still count.
    let out = run(&tree, Some(&file), &["update", "-O", "0,2"]).expect(0);
    assert!(out.stdout.contains("wrote 1 .opt-2.pyc"), "{}", out.stdout);
    assert_eq!(levels_of(&tree, "pkg/__init__.py"), [0, 2]);
    assert_eq!(levels_of(&tree, "pkg/tests/test_a.py"), Vec::<u8>::new());

    // --config names another file; --no-config reads none.
    let other = tree.tmp.path().join("other.conf");
    fs::write(&other, "levels = [1]\n").unwrap();
    run(
        &tree,
        Some(&file),
        &["update", "--config", other.to_str().unwrap()],
    )
    .expect(0);
    assert_eq!(levels_of(&tree, "pkg/__init__.py"), [0, 1, 2]);
    let out = run(&tree, Some(&file), &["check", "--no-config", "--json"]).expect(1);
    assert_eq!(out.json()["config"], serde_json::Value::Null);
    assert_eq!(out.json()["levels"], serde_json::json!([0, 1, 2]));
    // Without the exclude, the tests' source is missing at every level.
    assert_eq!(out.json()["to_compile"].as_array().unwrap().len(), 1);
}

#[test]
fn a_flavor_section_counts_over_the_top_level_and_an_interpreter_takes_its_version() {
    let all = pythons();
    assert!(
        all.len() >= 2,
        "needs two CPython versions: pyenv install 3.12"
    );
    for python in [&all[0], &all[all.len() - 1]] {
        let tree = Tree::new(python);
        tree.write("m.py", "\"\"\"Doc.\"\"\"\n");
        let file = conf(
            &tree,
            &format!(
                "levels = [0]\n{} {{ levels = [0, 2]; }}\npy313t {{ levels = [1] }}\n",
                python.flavor()
            ),
        );
        run(&tree, Some(&file), &["update"]).expect(0);
        assert_eq!(levels_of(&tree, "m.py"), [0, 2], "{}", python.flavor());
        let by_path = Command::new(env!("CARGO_BIN_EXE_pycache"))
            .args(["config", "levels", "--python"])
            .arg(&python.path)
            .env("PYCACHE_CONF", &file)
            .output()
            .unwrap();
        let by_path = Run::of(by_path).expect(0);
        assert_eq!(by_path.stdout, "0\n2\n", "{}", python.flavor());
    }
}

/// Files that cannot be used, each with the one line that says so.
fn broken_files(dir: &Path) -> Vec<(PathBuf, String)> {
    let write = |name: &str, text: &str| {
        let path = dir.join(name);
        fs::write(&path, text).unwrap();
        path
    };
    let fifo = dir.join("fifo.conf");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let bad_value = write(
        "value.conf",
        "prune_levels = true;\nlevels = [0];\njobs = many;\n",
    );
    let in_section = write(
        "section.conf",
        "prune_levels = yes\npy39 {\n  levels = [0, 3]\n}\n",
    );
    let unknown = write("unknown.conf", "prune_levels = true\nlevles = [0]\n");
    let syntax = write("syntax.conf", "levels = [0;\n");
    let missing = dir.join("missing.conf");
    let d = |p: &Path| p.display().to_string();
    vec![
        (
            bad_value.clone(),
            format!(
                "{}:3: jobs: must be a whole number >= 0 (0: one per core), got \"many\"",
                d(&bad_value)
            ),
        ),
        (
            in_section.clone(),
            format!("{}:3: levels: must be 0, 1 or 2, got 3", d(&in_section)),
        ),
        (
            unknown.clone(),
            format!("{}:2: levles: unknown key; expected one of ", d(&unknown)),
        ),
        (syntax.clone(), format!("{}:1: levels: ", d(&syntax))),
        (fifo.clone(), format!("{}: cannot read: ", d(&fifo))),
        (
            missing.clone(),
            format!(
                "{}: no such file (named by --config or $PYCACHE_CONF)",
                d(&missing)
            ),
        ),
    ]
}

#[test]
fn a_broken_file_is_ignored_whole_with_one_line_and_the_job_still_runs() {
    let tree = Tree::new(&debian_python());
    tree.write("keep.py", "\"\"\"Doc.\"\"\"\nK = 1\n");
    let gone = tree.write("gone.py", "G = 1\n");
    for (file, line) in broken_files(tree.tmp.path()) {
        run(&tree, None, &["update", "-q"]).expect(0);
        fs::remove_file(&gone).unwrap();
        let out = run(&tree, Some(&file), &["update"]).expect(0);
        let warnings: Vec<&str> = out
            .stdout
            .lines()
            .filter(|l| l.contains("warning"))
            .collect();
        assert_eq!(warnings.len(), 1, "{}", out.stdout);
        let want = format!("pycache: warning: {line}");
        assert!(
            warnings[0].starts_with(&want),
            "{}\nwanted {want}",
            warnings[0]
        );
        assert!(
            warnings[0].ends_with("; the file is ignored"),
            "{}",
            warnings[0]
        );
        assert_eq!(out.stderr, "", "{}", file.display());
        // Cleaning ran; the prune_levels beside the bad line did not.
        assert!(out.stdout.contains("removed 3 orphaned"), "{}", out.stdout);
        assert!(!tree.cache("gone.py", 0).exists());
        assert_eq!(levels_of(&tree, "keep.py"), [0, 1, 2], "{}", file.display());
        fs::write(&gone, "G = 1\n").unwrap();
        // `pycache config` is where such a file is an error.
        let out = run(&tree, Some(&file), &["config"]).expect(2);
        assert!(
            out.stderr.starts_with(&format!("pycache: {line}")),
            "{}",
            out.stderr
        );
        assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    }
}

#[test]
fn config_shows_each_setting_in_effect_and_where_it_comes_from() {
    let tree = Tree::new(&debian_python());
    let file = conf(
        &tree,
        "levels = [0, 1];\nprune_levels = on\npy311 {\n  timeout = 2.5;\n  exclude = \"*/t/*\";\n}\n",
    );
    let out = run(&tree, Some(&file), &["config", "-j", "3"]).expect(0);
    let want = format!(
        "# {}, flavor py311\n\
         levels = [0, 1];                 # line 1\n\
         prune_levels = true;             # line 2\n\
         stdlib = false;                  # default\n\
         invalidation_mode = \"timestamp\"; # default\n\
         jobs = 3;                        # command line\n\
         timeout = 2.5;                   # line 4, section py311\n\
         memory_limit = 2048;             # default\n\
         exclude = [\"*/t/*\"];             # line 5, section py311\n",
        file.display()
    );
    assert_eq!(out.stdout, want);
    // What it prints is a file pycache reads back to the same settings.
    let body: String = want.lines().skip(1).map(|l| l.to_string() + "\n").collect();
    let again = tree.tmp.path().join("again.conf");
    fs::write(&again, body).unwrap();
    let out2 = run(&tree, Some(&again), &["config"]).expect(0);
    assert_eq!(
        out2.stdout
            .lines()
            .skip(1)
            .map(|l| &l[..32])
            .collect::<Vec<_>>(),
        want.lines().skip(1).map(|l| &l[..32]).collect::<Vec<_>>()
    );

    let one = |key: &str| run(&tree, Some(&file), &["config", key]).expect(0).stdout;
    assert_eq!(one("levels"), "0\n1\n");
    assert_eq!(one("timeout"), "2.5\n");
    assert_eq!(one("exclude"), "*/t/*\n");
    assert_eq!(one("invalidation_mode"), "timestamp\n");
    let out = run(&tree, Some(&file), &["config", "--json", "timeout"]).expect(0);
    let json = out.json();
    assert_eq!(json["value"], 2.5);
    assert_eq!(json["from"], "line 4, section py311");
    assert_eq!(json["file"], file.to_str().unwrap());
    let out = run(&tree, Some(&file), &["config", "--json"]).expect(0);
    assert_eq!(
        out.json()["settings"]["levels"]["value"],
        serde_json::json!([0, 1])
    );

    let out = run(&tree, Some(&file), &["config", "levles"]).expect(2);
    assert!(
        out.stderr.contains("invalid value 'levles'"),
        "{}",
        out.stderr
    );
    let out = run(&tree, Some(&file), &["config", "--no-config"]).expect(0);
    assert!(
        out.stdout.starts_with("# no configuration file read"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .lines()
            .any(|l| l.starts_with("levels = [0, 1, 2]; ") && l.ends_with(" # default")),
        "{}",
        out.stdout
    );
}
