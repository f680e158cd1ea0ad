//! CPython 3.14 as the oracle of the worker's sharing rules: levels share a
//! compile only where 3.14 itself compiles them to the same code, and a
//! source without docstrings or asserts costs one compile. 3.14 is
//! pyodide's (CPython 3.14.2 compiled to WebAssembly, `common::py314`); the
//! rules run as the worker has them (src/run/compile/worker.py imported there).
//! The engine's own tests on 3.14 are in tests/bytecode_oracle.rs.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use common::{TRICKY, Tree, py314};

/// Runs `distinct_codes` of the worker on each source with a compile_at
/// that counts its calls, compares each level's code with compile() at
/// that level, and does the same over 3.14's own standard library. Prints
/// `NAME CALLS ok` or `NAME CALLS wrong LEVELS`, then `stdlib FILES CALLS
/// WRONG`.
const SHARE: &str = r#"
import sys, os, zipfile
worker_dir, site = sys.argv[1:3]
sys.path.insert(0, worker_dir)
import worker

def check(data, name):
    calls = []
    def compile_at(level):
        calls.append(level)
        return compile(data, name, "exec", dont_inherit=True, optimize=level)
    wrong = []
    previous = None
    for level, code in worker.distinct_codes(data, [0, 1, 2], compile_at):
        code = previous if code is None else code
        fresh = compile(data, name, "exec", dont_inherit=True, optimize=level)
        if code != fresh:
            wrong.append(level)
        previous = code
    return len(calls), wrong

for name in sorted(os.listdir(site)):
    if name.endswith(".py"):
        with open(os.path.join(site, name), "rb") as f:
            calls, wrong = check(f.read(), name)
        print(name, calls, "wrong " + " ".join(map(str, wrong)) if wrong else "ok")

stdlib = zipfile.ZipFile(os.path.join(sys.prefix, "lib", "python314.zip"))
files = calls = wrong = 0
for name in stdlib.namelist():
    if name.endswith(".py"):
        try:
            n, w = check(stdlib.read(name), name)
        except SyntaxError:
            continue
        files += 1
        calls += n
        wrong += len(w)
        if w:
            print("stdlib wrong", name, w)
print("stdlib", files, calls, wrong)
"#;

#[test]
fn levels_share_a_compile_exactly_where_3_14_compiles_them_alike() {
    let python = py314();
    let tree = Tree::new(&python);
    common::write_tricky(&tree);
    let worker_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/run/compile");
    let out = Command::new(&python.path)
        .args(["-I", "-B", "-c", SHARE])
        .arg(&worker_dir)
        .arg(&tree.site)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got: BTreeMap<&str, &str> = text
        .lines()
        .filter(|l| !l.starts_with("stdlib"))
        .map(|l| l.split_once(' ').unwrap())
        .collect();
    // compile() calls for levels 0, 1 and 2: one without docstrings and
    // asserts, whatever its strings; a docstring anywhere or a `__doc__`
    // costs level 2 its own, an `assert` or `__debug__` (or the word, or
    // a spelling the bytes do not show) level 0 its own.
    let one = [
        "notfirst.py",
        "lambda.py",
        "firstconst.py",
        "bytesdoc.py",
        "fstringdoc.py",
        "slices.py",
        "comprehensions.py",
        "asynccode.py",
        "classes.py",
        "template.py",
    ];
    let three = ["assert_doc.py"];
    let mut want = BTreeMap::new();
    for (name, _, _) in TRICKY {
        let calls = if one.contains(name) {
            1
        } else if three.contains(name) {
            3
        } else {
            2
        };
        want.insert(*name, format!("{calls} ok"));
    }
    let got: BTreeMap<&str, String> = got.into_iter().map(|(k, v)| (k, v.to_string())).collect();
    assert_eq!(got, want);
    // The same rules over 3.14's own standard library.
    let stdlib = text.lines().find(|l| l.starts_with("stdlib ")).unwrap();
    let fields: Vec<usize> = stdlib
        .split(' ')
        .skip(1)
        .map(|f| f.parse().unwrap_or(usize::MAX))
        .collect();
    assert!(fields[0] > 500, "{text}");
    assert_eq!(fields[2], 0, "{text}");
    eprintln!(
        "3.14's standard library: {} files, {} compile() calls for 3 levels",
        fields[0], fields[1]
    );
}

#[test]
fn a_source_modified_just_before_a_second_is_fresh_after_update_on_3_14() {
    // Node rounds a file's times to the millisecond; the shim truncates
    // them, so pyodide's CPython records the second the kernel has, as a
    // native CPython does (else one source in 2,000 would be stale after
    // its own update).
    let python = py314();
    let tree = Tree::new(&python);
    let source = tree.write("late.py", "X = 1\n");
    let second = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_800_000_000);
    std::fs::File::options()
        .write(true)
        .open(&source)
        .unwrap()
        .set_modified(second - std::time::Duration::from_nanos(1_000))
        .unwrap();
    tree.pycache(&["update", "-O", "0"]).expect(0);
    tree.pycache(&["check", "-O", "0"]).expect(0);
    let header = std::fs::read(tree.cache("late.py", 0)).unwrap();
    let mtime = u32::from_le_bytes(header[8..12].try_into().unwrap());
    assert_eq!(mtime, 1_799_999_999);
}
