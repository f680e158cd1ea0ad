//! End-to-end tests of `gen-triggers` and the trigger template: the real
//! program is run, its files are read back by the strict UCL reader in
//! `tests/support/ucl.lua` under `lua5.4`, the embedded scripts are checked
//! by `luac5.4 -p` and run in `lua5.4` against missing, broken and working
//! stand-ins of `pycache.lua`.
//!
//! Needs `lua5.4` and `luac5.4` (Debian: `apt-get install lua5.4`); a test
//! that cannot find them fails and says so.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::{Command, Output};

use pycache::Flavor;
use pycache::front::template::{Template, TemplateError, TriggerSettings};

const BIN: &str = env!("CARGO_BIN_EXE_gen-triggers");
const UCL_LUA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/ucl.lua");

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn gt(args: &[&str]) -> Run {
    let out = Command::new(BIN)
        .args(args)
        .output()
        .expect("run gen-triggers");
    Run {
        code: out.status.code().expect("gen-triggers exited by a signal"),
        stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(out.stderr).expect("stderr is UTF-8"),
    }
}

/// Runs `tool args`, failing the test with an install hint when the tool is
/// missing.
fn tool(tool: &str, args: &[&str]) -> Output {
    Command::new(tool).args(args).output().unwrap_or_else(|e| {
        panic!("cannot run {tool}: {e}; install it (Debian: apt-get install -y lua5.4)")
    })
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn tmpdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("create a temporary directory")
}

fn s(p: &Path) -> &str {
    p.to_str().expect("UTF-8 temporary path")
}

fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn rendered_triggers_match_snapshots() {
    for flavor in ["py39", "py311", "py313", "py313t"] {
        let run = gt(&["--flavors", flavor, "--stdout"]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert_eq!(run.stderr, "");
        insta::assert_snapshot!(format!("trigger_{flavor}"), run.stdout);
    }
}

/// The comment that shows what a trigger prints gives its own flavor's
/// summary line (`>=> Python 3.13t: ...`), not another's.
#[test]
fn each_trigger_shows_its_own_summary_line() {
    for (flavor, version) in [
        ("py39", "3.9"),
        ("py311", "3.11"),
        ("py313t", "3.13t"),
        ("py314", "3.14"),
        ("py314t", "3.14t"),
    ] {
        let run = gt(&["--flavors", flavor, "--stdout"]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        let summaries: Vec<&str> = run
            .stdout
            .lines()
            .filter(|line| line.contains(">=> Python "))
            .collect();
        assert_eq!(
            summaries,
            [format!(
                "# (\">=> Python {version}: wrote 9 pycs (3 .pyc, 3 .opt-1.pyc, 3 .opt-2.pyc) for 3 sources in 0.1 s\"), and anything that"
            )],
            "{flavor}"
        );
    }
}

#[test]
fn out_writes_one_file_per_flavor_once_deterministically() {
    let tmp = tmpdir();
    let out = tmp.path().join("new/triggers");
    let run = gt(&[
        "--flavors",
        "py313,py39",
        "--flavors",
        "py311,py39",
        "--out",
        s(&out),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stderr,
        "gen-triggers: py39 given more than once; rendering it once\n"
    );
    // sorted by version, one path per line, and nothing else in the directory
    let expected: Vec<String> = ["py39", "py311", "py313"]
        .iter()
        .map(|f| format!("{}/pycache-{f}.ucl\n", out.display()))
        .collect();
    assert_eq!(run.stdout, expected.concat());
    assert_eq!(
        listing(&out),
        ["pycache-py311.ucl", "pycache-py313.ucl", "pycache-py39.ucl"]
    );
    for flavor in ["py39", "py311", "py313"] {
        let file = fs::read_to_string(out.join(format!("pycache-{flavor}.ucl"))).unwrap();
        assert_eq!(file, gt(&["--flavors", flavor, "--stdout"]).stdout);
    }
    // same bytes again, whatever the order; an existing file is replaced
    let first = fs::read(out.join("pycache-py311.ucl")).unwrap();
    fs::write(out.join("pycache-py311.ucl"), "stale").unwrap();
    let again = gt(&["--flavors", "py311,py313,py39", "--out", s(&out)]);
    assert_eq!((again.code, again.stderr.as_str()), (0, ""));
    assert_eq!(fs::read(out.join("pycache-py311.ucl")).unwrap(), first);
    assert_eq!(listing(&out).len(), 3);
}

#[test]
fn every_path_can_be_pointed_elsewhere() {
    let run = gt(&[
        "--flavors",
        "py311",
        "--stdout",
        "--prefix",
        "/opt/pc/",
        "--localbase",
        "/tmp/lb",
        "--lua-modsharedir",
        "/tmp/lua",
        "--pycache-cmd",
        "/tmp/build/pycache",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let out = run.stdout;
    for want in [
        "\"/tmp/lb/lib/python3.11\",\n",
        "\"/tmp/lb/lib/python3.11/*\"\n",
        "site_packages = \"/tmp/lb/lib/python3.11/site-packages\"",
        "prefix = \"/tmp/lb\"",
        "package.path = \"/tmp/lua/?.lua;\" .. package.path\n",
        "python = \"/tmp/lb/bin/python3.11\"",
        "program = \"/tmp/build/pycache\"",
    ] {
        assert!(out.contains(want), "{want:?} missing from\n{out}");
    }
    assert!(!out.contains("/usr/local"), "{out}");
    // without overrides, Lua dir and program follow the prefix, Python the localbase
    let out = gt(&[
        "--flavors",
        "py39",
        "--stdout",
        "--prefix",
        "/opt/pc",
        "--localbase",
        "/lb",
    ])
    .stdout;
    assert!(out.contains("\"/opt/pc/share/lua/5.4/?.lua;\""), "{out}");
    assert!(out.contains("program = \"/opt/pc/bin/pycache\""), "{out}");
    assert!(out.contains("python = \"/lb/bin/python3.9\""), "{out}");
}

/// Runs every failing invocation, checks its exit code, that it printed
/// nothing on stdout and wrote no file, and snapshots its message.
#[test]
fn errors_have_exit_codes_and_messages() {
    let tmp = tmpdir();
    let t = tmp.path();
    let out = t.join("out");
    fs::create_dir(&out).unwrap();
    let template = |name: &str, body: &str| {
        let path = t.join(name);
        fs::write(&path, body).unwrap();
        path.to_str().unwrap().to_string()
    };
    let unknown = template("unknown.ucl.in", "a: \"%%PREFIX%%\"\nb: \"%%NOPE%%\"\n");
    let unterminated = template("unterminated.ucl.in", "a: 1\nb: \"%%PREFIX\"\n");
    let malformed = template("malformed.ucl.in", "a: \"%%prefix%%\"\n");
    let heredoc = template("heredoc.ucl.in", "s: <<EOS\nprint(1)\n");
    let not_a_dir = template("plain-file", "");
    let blocked = t.join("blocked");
    fs::create_dir_all(blocked.join("pycache-py311.ucl/inside")).unwrap();
    let missing_template = t.join("missing.ucl.in");

    let o = s(&out);
    let cases: Vec<(&str, Vec<String>, i32)> = vec![
        ("flavor_no_minor", vec!["--flavors", "py3"], 2),
        ("flavor_python311", vec!["--flavors", "py39,python311"], 2),
        ("flavor_py27", vec!["--flavors", "py27"], 2),
        ("flavor_py312t", vec!["--flavors", "py311,py312t"], 2),
        ("flavor_py313tt", vec!["--flavors", "py313tt"], 2),
        ("flavor_py39t", vec!["--flavors", "py39t"], 2),
        ("flavor_empty", vec!["--flavors", ""], 2),
        ("flavor_trailing_comma", vec!["--flavors", "py311,"], 2),
        (
            "stdout_two_flavors",
            vec!["--flavors", "py39,py311", "--stdout"],
            2,
        ),
        (
            "stdout_and_out",
            vec!["--flavors", "py39", "--stdout", "--out", o],
            2,
        ),
        ("no_flavors", vec!["--out", o], 2),
        ("unknown_flag", vec!["--flavors", "py39", "--bogus"], 2),
        (
            "relative_prefix",
            vec!["--flavors", "py39", "--prefix", "usr/local"],
            2,
        ),
        (
            "value_quote",
            vec!["--flavors", "py39", "--prefix", "/opt/a\"b"],
            2,
        ),
        (
            "value_backslash",
            vec!["--flavors", "py39", "--localbase", "/opt/a\\b"],
            2,
        ),
        (
            "value_newline",
            vec!["--flavors", "py39", "--lua-modsharedir", "/opt/a\nb"],
            2,
        ),
        (
            "value_terminator",
            vec!["--flavors", "py39", "--pycache-cmd", "/opt/EOS/pycache"],
            2,
        ),
        (
            "value_glob",
            vec!["--flavors", "py39", "--localbase", "/opt/py[3]"],
            2,
        ),
        (
            "value_dollar",
            vec!["--flavors", "py39", "--localbase", "/opt/$HOME"],
            2,
        ),
        (
            "value_percent",
            vec!["--flavors", "py39", "--pycache-cmd", "/opt/%%PREFIX%%"],
            2,
        ),
        (
            "template_unknown",
            vec!["--flavors", "py39", "--template", &unknown],
            2,
        ),
        (
            "template_unterminated",
            vec!["--flavors", "py39", "--template", &unterminated],
            2,
        ),
        (
            "template_malformed",
            vec!["--flavors", "py39", "--template", &malformed],
            2,
        ),
        (
            "template_heredoc",
            vec!["--flavors", "py39", "--template", &heredoc],
            2,
        ),
        (
            "template_unreadable",
            vec!["--flavors", "py39", "--template", s(&missing_template)],
            3,
        ),
        (
            "out_not_a_directory",
            vec!["--flavors", "py39", "--out", &format!("{not_a_dir}/sub")],
            3,
        ),
        (
            "out_file_blocked",
            vec!["--flavors", "py311", "--out", s(&blocked)],
            3,
        ),
    ]
    .into_iter()
    .map(|(name, args, code)| (name, args.into_iter().map(String::from).collect(), code))
    .collect();

    for (name, args, code) in cases {
        let mut args: Vec<&str> = args.iter().map(String::as_str).collect();
        if !args.contains(&"--stdout") && !args.contains(&"--out") {
            args.extend(["--out", o]);
        }
        let run = gt(&args);
        assert_eq!(run.code, code, "{name}: {}", run.stderr);
        assert_eq!(run.stdout, "", "{name}");
        assert!(!run.stderr.is_empty(), "{name}");
        let message = run.stderr.replace(s(t), "[TMP]");
        insta::assert_snapshot!(format!("error_{name}"), message);
    }
    // nothing was written anywhere, not even a temporary file
    assert!(listing(&out).is_empty(), "{:?}", listing(&out));
    assert_eq!(listing(&blocked), ["pycache-py311.ucl"]);
}

#[test]
fn a_failing_flavor_writes_no_file_at_all() {
    // py39 renders fine, the template breaks only later: nothing is written.
    let tmp = tmpdir();
    let tpl = tmp.path().join("t.ucl.in");
    fs::write(&tpl, "a: \"%%PYTHON_CMD%%\"\nb: \"%%MISSING%%\"\n").unwrap();
    let out = tmp.path().join("out");
    let run = gt(&[
        "--flavors",
        "py39,py311",
        "--template",
        s(&tpl),
        "--out",
        s(&out),
    ]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(!out.exists() || listing(&out).is_empty());
}

/// Errors only the library API can produce (gen-triggers never passes an
/// empty value), snapshotted like the program's.
#[test]
fn library_errors_name_the_template_line() {
    let t = Template::parse("t.ucl.in", "# c\na: \"%%A%%\"\n").unwrap();
    let values: BTreeMap<String, String> = [("A".to_string(), String::new())].into();
    let err = t.render(&values).unwrap_err();
    assert!(matches!(err, TemplateError::MissingValue { line: 2, .. }));
    insta::assert_snapshot!("error_lib_missing_value", err.to_string());

    let values: BTreeMap<String, String> = [("A".to_string(), "/a\tb".to_string())].into();
    let err = t.render(&values).unwrap_err();
    insta::assert_snapshot!("error_lib_tab", err.to_string());

    let err = TriggerSettings::new(Path::new("/usr/local"))
        .localbase(Some(Path::new("relative")))
        .values(Flavor::parse("py311").unwrap())
        .unwrap_err();
    insta::assert_snapshot!("error_lib_relative_localbase", err.to_string());
}

#[test]
fn help_and_version_exit_zero() {
    let help = gt(&["--help"]);
    assert_eq!(help.code, 0);
    insta::assert_snapshot!("help", help.stdout);
    let version = gt(&["--version"]);
    assert_eq!(version.code, 0);
    assert_eq!(
        version.stdout,
        format!("gen-triggers {}\n", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn path_glob_matches_the_library_and_below_only() {
    let out = gt(&["--flavors", "py311", "--stdout", "--localbase", "/lb"]).stdout;
    let globs: Vec<glob::Pattern> = out
        .lines()
        .skip_while(|l| !l.starts_with("path_glob: ["))
        .skip(1)
        .take_while(|l| *l != "]")
        .map(|l| l.trim().trim_end_matches(',').trim_matches('"'))
        .map(|p| glob::Pattern::new(p).unwrap())
        .collect();
    assert_eq!(globs.len(), 2, "{out}");
    // fnmatch(3) without FNM_PATHNAME: `*` also matches `/`
    let opts = glob::MatchOptions {
        case_sensitive: true,
        require_literal_separator: false,
        require_literal_leading_dot: false,
    };
    let matches = |dir: &str| globs.iter().any(|g| g.matches_with(dir, opts));
    let lib = "/lb/lib/python3.11";
    let site = format!("{lib}/site-packages");
    for dir in [
        lib.to_string(),
        format!("{lib}/email/mime"),
        site.clone(),
        format!("{site}/foo"),
        format!("{site}/foo/sub/__pycache__"),
    ] {
        assert!(matches(&dir), "{dir} not matched");
    }
    for dir in [
        "/lb/lib".to_string(),
        format!("{lib}-old"),
        "/lb/lib/python3.111".to_string(),
        "/lb/lib/python3.12/site-packages".to_string(),
        "/lb/lib/python3.12/site-packages/foo".to_string(),
    ] {
        assert!(!matches(&dir), "{dir} matched");
    }
}

/// The Lua program that reads a rendered file back with `ucl.lua`, checks the
/// keys pkg requires, prints a canonical summary, compiles each script with
/// `load` and writes it to `OUTDIR/<block>.lua` for `luac5.4 -p` and runs.
const CHECK_LUA: &str = r#"
local ucl_path, file, outdir = ...
local ucl = dofile(ucl_path)
local t, err = ucl.parse(assert(io.open(file)):read("a"))
if not t then io.stderr:write(file, ": ", err, "\n") os.exit(1) end
local function keys(tbl)
  local k = {}
  for name in pairs(tbl) do k[#k + 1] = name end
  table.sort(k)
  return table.concat(k, ",")
end
print("keys=" .. keys(t))
print("description=" .. type(t.description) .. ":" .. tostring(t.description))
print("path_glob.is_array=" .. tostring(ucl.is_array(t.path_glob)))
for i, g in ipairs(t.path_glob) do print("path_glob." .. i .. "=" .. type(g) .. ":" .. g) end
for _, block in ipairs { "trigger", "cleanup" } do
  local b = t[block]
  print(block .. ".keys=" .. keys(b))
  print(block .. ".type=" .. type(b.type) .. ":" .. tostring(b.type))
  print(block .. ".sandbox=" .. type(b.sandbox) .. ":" .. tostring(b.sandbox))
  local fn, lerr = load(b.script, "=" .. block, "t")
  print(block .. ".load=" .. (fn and "ok" or lerr))
  local f = assert(io.open(outdir .. "/" .. block .. ".lua", "w"))
  f:write(b.script, "\n")
  f:close()
end
"#;

fn check_ucl(file: &Path, scripts: &Path) -> String {
    let driver = scripts.join("check.lua");
    fs::write(&driver, CHECK_LUA).unwrap();
    let out = tool("lua5.4", &[s(&driver), UCL_LUA, s(file), s(scripts)]);
    assert!(
        out.status.success(),
        "ucl.lua rejected {}: {}{}",
        file.display(),
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stdout)
}

#[test]
fn rendered_files_are_strict_ucl_with_the_keys_pkg_requires_and_valid_lua() {
    let tmp = tmpdir();
    let out = tmp.path().join("out");
    let run = gt(&[
        "--flavors",
        "py39,py311,py313,py313t,py314t",
        "--out",
        s(&out),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    // the free-threaded flavors get their own file, sorted after their version
    assert_eq!(
        run.stdout
            .lines()
            .map(|l| l.rsplit('/').next().unwrap())
            .collect::<Vec<_>>(),
        [
            "pycache-py39.ucl",
            "pycache-py311.ucl",
            "pycache-py313.ucl",
            "pycache-py313t.ucl",
            "pycache-py314t.ucl"
        ]
    );
    for (flavor, version) in [
        ("py39", "3.9"),
        ("py311", "3.11"),
        ("py313", "3.13"),
        ("py313t", "3.13t"),
        ("py314t", "3.14t"),
    ] {
        let scripts = tmp.path().join(flavor);
        fs::create_dir(&scripts).unwrap();
        let summary = check_ucl(&out.join(format!("pycache-{flavor}.ucl")), &scripts);
        let lib = format!("/usr/local/lib/python{version}");
        let expected = format!(
            "keys=cleanup,description,path_glob,trigger\n\
             description=string:pycache: keep python{version} bytecode in sync with its standard library and site-packages\n\
             path_glob.is_array=true\n\
             path_glob.1=string:{lib}\n\
             path_glob.2=string:{lib}/*\n\
             trigger.keys=sandbox,script,type\n\
             trigger.type=string:lua\n\
             trigger.sandbox=boolean:false\n\
             trigger.load=ok\n\
             cleanup.keys=sandbox,script,type\n\
             cleanup.type=string:lua\n\
             cleanup.sandbox=boolean:false\n\
             cleanup.load=ok\n"
        );
        assert_eq!(summary, expected, "{flavor}");
        for block in ["trigger", "cleanup"] {
            let script = scripts.join(format!("{block}.lua"));
            let luac = tool("luac5.4", &["-p", s(&script)]);
            assert!(luac.status.success(), "{}", text(&luac.stderr));
            let body = fs::read_to_string(&script).unwrap();
            assert!(body.lines().count() <= 6, "{block} script grew:\n{body}");
        }
    }
}

/// Runs one rendered script the way pkg would (fresh `lua5.4`, global `arg`
/// holding touched directories), with `package.path` limited to what the
/// script adds and the results of the chunk checked: the script must return
/// nothing and never raise.
const RUN_LUA: &str = r#"
local script = ...
package.path, package.cpath = "", ""
arg = { "/touched/one", "/touched/two" }
local chunk = assert(loadfile(script))
local results = table.pack(chunk())
if results.n ~= 0 then io.stderr:write("script returned ", results.n, " values\n") os.exit(1) end
"#;

struct Scripted {
    stdout: String,
    stderr: String,
}

fn run_script(dir: &Path, script: &Path) -> Scripted {
    let driver = dir.join("run.lua");
    fs::write(&driver, RUN_LUA).unwrap();
    let out = tool("lua5.4", &[s(&driver), s(script)]);
    assert!(
        out.status.success() && !text(&out.stderr).contains("script returned"),
        "{} raised or failed: {}{}",
        script.display(),
        text(&out.stdout),
        text(&out.stderr)
    );
    Scripted {
        stdout: text(&out.stdout),
        stderr: text(&out.stderr),
    }
}

#[test]
fn scripts_print_one_line_and_never_raise_when_the_module_fails() {
    let tmp = tmpdir();
    let t = tmp.path();
    let lua = t.join("lua");
    fs::create_dir(&lua).unwrap();
    let out = t.join("out");
    let run = gt(&[
        "--flavors",
        "py311",
        "--out",
        s(&out),
        "--localbase",
        s(&t.join("lb")),
        "--lua-modsharedir",
        s(&lua),
        "--pycache-cmd",
        s(&t.join("build/pycache")),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let scripts = t.join("scripts");
    fs::create_dir(&scripts).unwrap();
    check_ucl(&out.join("pycache-py311.ucl"), &scripts);
    let redact = |o: String| o.replace(s(t), "[TMP]");

    // (stand-in pycache.lua or none, expected single line on stderr for
    // trigger; cleanup says "cleaned" where trigger says "updated"). Lua's
    // first line of a failed require ends in a colon, dropped.
    let broken: [(&str, Option<&str>, &str); 5] = [
        (
            "missing",
            None,
            "pycache: py311 bytecode not updated: cannot load pycache.lua from [TMP]/lua: module 'pycache' not found; reinstall pycache",
        ),
        (
            "raises_on_load",
            Some("error('boom on load\\nsecond line', 0)"),
            "pycache: py311 bytecode not updated: cannot load pycache.lua from [TMP]/lua: boom on load; reinstall pycache",
        ),
        (
            "returns_nothing",
            Some("local x = 1"),
            // require returns true; indexing it fails inside the pcall
            "pycache: py311 bytecode not updated: [TMP]/scripts/trigger.lua:5: attempt to index a boolean value (upvalue 'pycache'); this is a bug in pycache.lua, please report it",
        ),
        (
            "entry_raises",
            Some(
                "return { trigger = function() error('bad opts', 0) end, cleanup = function() error('bad opts', 0) end }",
            ),
            "pycache: py311 bytecode not updated: bad opts; this is a bug in pycache.lua, please report it",
        ),
        (
            "unprintable_error",
            Some(
                "local e = setmetatable({}, { __tostring = function() error({}) end })\nreturn { trigger = function() error(e) end, cleanup = function() error(e) end }",
            ),
            "pycache: py311 bytecode not updated: error without a message; this is a bug in pycache.lua, please report it",
        ),
    ];
    for (name, module, want) in broken {
        let module_file = lua.join("pycache.lua");
        let _ = fs::remove_file(&module_file);
        if let Some(code) = module {
            fs::write(&module_file, code).unwrap();
        }
        for block in ["trigger", "cleanup"] {
            let ran = run_script(t, &scripts.join(format!("{block}.lua")));
            assert_eq!(ran.stdout, "", "{name}/{block}: nothing on stdout");
            let got = redact(ran.stderr);
            assert_eq!(got.lines().count(), 1, "{name}/{block}: {got:?}");
            assert!(got.ends_with('\n'), "{name}/{block}: {got:?}");
            let got = got.trim_end();
            let want = if block == "cleanup" {
                want.replace("not updated", "not cleaned")
                    .replace("trigger.lua", "cleanup.lua")
            } else {
                want.to_string()
            };
            assert_eq!(got, want, "{name}/{block}");
        }
    }
}

#[test]
fn scripts_call_the_module_with_this_flavors_paths_and_pkgs_arg() {
    let tmp = tmpdir();
    let t = tmp.path();
    let lua = t.join("lua");
    fs::create_dir(&lua).unwrap();
    // a stand-in module that reports what it was given
    fs::write(
        lua.join("pycache.lua"),
        r#"
local M = {}
local function report(entry, opts)
  local keys = {}
  for k in pairs(opts) do keys[#keys + 1] = k end
  table.sort(keys)
  print(entry .. " keys=" .. table.concat(keys, ","))
  for _, k in ipairs { "flavor", "prefix", "python", "site_packages", "program" } do print(k .. "=" .. opts[k]) end
  print("stdlib=" .. tostring(opts.stdlib))
  print("arg is pkg's arg: " .. tostring(opts.arg == arg))
  return 1 -- a stray return value must not leak out of the script
end
function M.trigger(opts) return report("trigger", opts) end
function M.cleanup(opts) return report("cleanup", opts) end
return M
"#,
    )
    .unwrap();
    let out = t.join("out");
    let lb = t.join("lb");
    let run = gt(&[
        "--flavors",
        "py313,py313t",
        "--out",
        s(&out),
        "--localbase",
        s(&lb),
        "--lua-modsharedir",
        s(&lua),
        "--pycache-cmd",
        "/build/pycache",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    for (flavor, version) in [("py313", "3.13"), ("py313t", "3.13t")] {
        let scripts = t.join(format!("scripts-{flavor}"));
        fs::create_dir(&scripts).unwrap();
        check_ucl(&out.join(format!("pycache-{flavor}.ucl")), &scripts);
        for block in ["trigger", "cleanup"] {
            let got = run_script(t, &scripts.join(format!("{block}.lua"))).stdout;
            let lb = lb.display();
            assert_eq!(
                got,
                format!(
                    "{block} keys=arg,flavor,prefix,program,python,site_packages,stdlib\n\
                     flavor={flavor}\n\
                     prefix={lb}\n\
                     python={lb}/bin/python{version}\n\
                     site_packages={lb}/lib/python{version}/site-packages\n\
                     program=/build/pycache\n\
                     stdlib=true\n\
                     arg is pkg's arg: true\n"
                )
            );
        }
    }
}
