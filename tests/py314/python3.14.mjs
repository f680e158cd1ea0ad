#!/usr/bin/node
// python3.14 for the tests: CPython 3.14 (pyodide, compiled to WebAssembly)
// run by node, behaving enough like `python3.14 [OPTIONS] -c CODE ARGS...`
// or `python3.14 [OPTIONS] SCRIPT ARGS...` for the engine to ask it about
// itself and run its compile worker, and for the tests to ask it questions:
//
// - interpreter options (-I -S -E -s -B -u -O -OO -X OPT) are CPython's own,
//   handed to the interpreter as it starts;
// - the host's files are where they are: every top-level host directory is
//   mounted (NODEFS) at its own path, except /dev, /proc, /sys and /lib,
//   which are the interpreter's own (its standard library is /lib/python3.14);
//   the working directory is the host's; file times are truncated to the
//   millisecond (node would round them, see below);
// - stdin, stdout and stderr are the process's file descriptors 0, 1 and 2,
//   as bytes, read and written synchronously (`read1`, `os.dup(1)` and
//   `os.dup2(2, 1)` work on them);
// - the exit status is the script's (`sys.exit`, 1 after an uncaught
//   exception, whose traceback goes to stderr).
//
// `#!/usr/bin/node` rather than env: the engine runs its workers with an
// empty environment. Node resolves the link a test tree's bin/python3.14
// is, so pyodide is found beside this file (tests/py314/install.sh puts it
// there).
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const pyodideDir = path.join(here, "node_modules", "pyodide");

function usage(message) {
    fs.writeSync(2, `python3.14 (pyodide shim): ${message}\n`);
    process.exit(2);
}

// Options as CPython reads them, up to -c CODE or the script.
const argv = process.argv.slice(2);
const options = [];
let code = null;
let script = null;
let i = 0;
while (i < argv.length) {
    const arg = argv[i];
    if (arg === "-c") {
        if (i + 1 >= argv.length) usage("-c needs an argument");
        code = argv[i + 1];
        i += 2;
        break;
    }
    if (arg === "-X") {
        if (i + 1 >= argv.length) usage("-X needs an argument");
        options.push("-X", argv[i + 1]);
        i += 2;
        continue;
    }
    if (/^-X./.test(arg)) {
        options.push("-X", arg.slice(2));
        i += 1;
        continue;
    }
    if (/^-[IESsBuO]+$/.test(arg)) {
        for (const letter of arg.slice(1)) options.push("-" + letter);
        i += 1;
        continue;
    }
    if (arg.startsWith("-")) usage(`option ${arg} is not supported here`);
    script = path.resolve(arg);
    i += 1;
    break;
}
if (code === null && script === null) usage("give -c CODE or a script");
const args = code !== null ? ["-c", ...argv.slice(i)] : [script, ...argv.slice(i)];

if (!fs.existsSync(path.join(pyodideDir, "pyodide.mjs"))) {
    fs.writeSync(
        2,
        `python3.14 (pyodide shim): pyodide is not installed in ${pyodideDir}; ` +
            "run bash tests/py314/install.sh (it needs node and npm: apt-get install nodejs npm)\n",
    );
    process.exit(127);
}

function writeAll(fd, buffer) {
    let done = 0;
    while (done < buffer.length) {
        try {
            done += fs.writeSync(fd, buffer, done, buffer.length - done);
        } catch (e) {
            if (e.code !== "EAGAIN") throw e;
            Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
        }
    }
    return buffer.length;
}

function readSome(buffer) {
    for (;;) {
        try {
            return fs.readSync(0, buffer, 0, buffer.length, null);
        } catch (e) {
            if (e.code === "EOF") return 0;
            if (e.code !== "EAGAIN") throw e;
            Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
        }
    }
}

// Node makes a stat's times Dates rounded to the millisecond, and pyodide
// reads only those: a file modified at 52.9999 s would say 53 s, and a pyc
// written for it would record a second later than CPython records (the
// kernel's 52). Truncated instead, every whole second is the kernel's.
for (const name of ["statSync", "lstatSync", "fstatSync"]) {
    const real = fs[name];
    fs[name] = function (...args) {
        const st = real.apply(this, args);
        if (st && typeof st.mtimeMs === "number") {
            for (const t of ["atime", "mtime", "ctime", "birthtime"]) {
                Object.defineProperty(st, t, {
                    value: new Date(Math.floor(st[t + "Ms"])),
                    configurable: true,
                    writable: true,
                });
            }
        }
        return st;
    };
}

const { loadPyodide } = await import(path.join(pyodideDir, "pyodide.mjs"));
const py = await loadPyodide({ args: options, env: { ...process.env } });
py.setStdin({ read: readSome, isatty: false });
py.setStdout({ write: (b) => writeAll(1, b), isatty: false });
py.setStderr({ write: (b) => writeAll(2, b), isatty: false });

// Emscripten numbers the inodes of its own file nodes; a native CPython
// reports the kernel's, which the engine records for each source it judges
// and the compile worker compares with what it opened (src/run/compile/
// worker.py, read_judged). The host's inode number is given instead.
// NODEFS.getattr(statFunction, node) serves stat, lstat and fstat alike.
const NODEFS = py.FS.filesystems.NODEFS;
const getattr = NODEFS.getattr;
NODEFS.getattr = function (func, node) {
    let host;
    const attr = getattr.call(this, () => (host = func()), node);
    attr.ino = host.ino;
    return attr;
};

const own = new Set(["dev", "proc", "sys", "lib"]);
for (const name of fs.readdirSync("/")) {
    const host = "/" + name;
    if (own.has(name) || !fs.lstatSync(host).isDirectory()) continue;
    py.FS.mkdirTree(host);
    py.FS.mount(py.FS.filesystems.NODEFS, { root: host }, host);
}

py.globals.set("_shim_args", py.toPy(args));
py.globals.set("_shim_code", code === null ? undefined : code); // undefined is None
py.globals.set("_shim_cwd", process.cwd());
py.globals.set("_shim_pid", process.pid);
const status = py.runPython(`
def _shim_main(args, code, cwd, pid):
    import os, sys, traceback
    os.chdir(cwd)
    # The process's own pid, as CPython's would be (the worker names its
    # temporary files by it); WebAssembly's is a constant.
    os.getpid = lambda: pid
    sys.argv = list(args)
    if code is None:
        sys.path[0] = os.path.dirname(args[0])
    main = sys.modules["__main__"].__dict__
    for name in [n for n in main if n.startswith("_shim_")]:
        del main[name]
    status = 0
    try:
        if code is None:
            import runpy
            runpy.run_path(args[0], run_name="__main__")
        else:
            exec(compile(code, "<string>", "exec"), main)
    except SystemExit as e:
        if e.code is None:
            status = 0
        elif isinstance(e.code, int):
            status = e.code & 0xFF
        else:
            print(e.code, file=sys.stderr)
            status = 1
    except BaseException:
        traceback.print_exc()
        status = 1
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass
    return status

_shim_main(_shim_args, _shim_code, _shim_cwd, _shim_pid)
`);
process.exit(status);
