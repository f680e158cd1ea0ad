#!/usr/bin/env python3
"""Checks that ELF files linked for FreeBSD would load on FreeBSD 14.0.

Usage: check_artifact.py ZIG_LIB_DIR ARCH [--library] [--host-provides PREFIX]...
                         [--may-lack SYMBOL]... [--defines SYMBOL]... FILE...

ARCH is x86_64 or aarch64. From what binutils' readelf shows of each FILE,
it requires:

- an ELF64 for ARCH. A program (the default) carries the ABI note FreeBSD's
  kernel reads (.note.tag, which `file` shows as "for FreeBSD 14.0") saying
  14.0, and names FreeBSD's /libexec/ld-elf.so.1 as its interpreter. A
  --library has no interpreter and needs no note: the dynamic linker loads
  a library without one, and zig writes the note into programs only. A
  library's note, if it has one, must say 14.0 too.
- NEEDED only FreeBSD 14.0 base libraries zig has symbol lists for
  (libc.so.7, libthr.so.3, libm.so.5...).
- each undefined dynamic symbol versioned (stat@FBSD_1.5) by a NEEDED
  library that lists it with that version for FreeBSD 14.0 on ARCH; or
  unversioned, and listed unversioned by a NEEDED library (libutil's are);
  or, with --may-lack SYMBOL, SYMBOL weak and unversioned: the dynamic
  linker makes it null where no library defines it, which its callers must
  check (std's weak! does, for functions newer libcs have); or, with
  --host-provides PREFIX, starting with PREFIX: a Lua module leaves the Lua
  C API (lua_, luaL_) to the interpreter that loads it.
- with --defines SYMBOL, SYMBOL among the dynamic symbols it defines (a Lua
  module's luaopen_ function, which `require` calls).

The lists are the ones zig ships (lib/libc/freebsd/abilists), read here
independently of the stub libraries zig links against. FreeBSD adds one
symbol version per major release (FreeBSD 7 was FBSD_1.0, 14 is FBSD_1.7,
15 is FBSD_1.8), so a symbol a 14.x point release added under FBSD_1.7
would pass as 14.0's.

Prints a line per file that passes, a line per problem (at most 20 per
file); exits 1 when any file has a problem, 2 when the lists cannot be read.
"""

import argparse
import os
import re
import subprocess
import sys

FREEBSD_MAJOR = 14
# __FreeBSD_version of FreeBSD 14.0: 1400000 (14-CURRENT) to 1400999; 14.1
# starts at 1401000. zig writes 1400500 for a 14.0 target.
FREEBSD_VERSIONS = range(1400000, 1401000)
# The soname of each library zig's lists name, in FreeBSD's base system
# (ld is the dynamic linker itself). A list for a library not here fails
# the check: its soname must be added on purpose.
SONAMES = {
    "c": "libc.so.7",
    "m": "libm.so.5",
    "thr": "libthr.so.3",
    "stdthreads": "libstdthreads.so.0",
    "dl": "libdl.so.1",
    "rt": "librt.so.1",
    "ld": "ld-elf.so.1",
    "util": "libutil.so.9",
    "execinfo": "libexecinfo.so.1",
    "sys": "libsys.so.7",
}
# Libraries newer than some release the lists cover, by the first major
# release that has them: FreeBSD 15 moved the system call wrappers from
# libc to libsys, keeping their versions, so the lists name both.
ADDED_IN = {"sys": 15}
MACHINES = {"x86_64": "Advanced Micro Devices X86-64", "aarch64": "AArch64"}
INTERPRETER = "/libexec/ld-elf.so.1"
# Problems printed per file: a binary for another system has hundreds.
SHOWN = 20


class ListsError(Exception):
    """zig's abilists file is missing or not in the format read here."""


def read_abilists(path, arch, major):
    """Returns {(soname, symbol, version)} FreeBSD `major` has on `arch`;
    version is None for a symbol the library does not version.

    The format is the one documented in ziglang/libc-abi-tools' README:
    library names, versions (major, minor, patch bytes), target triples,
    then three tables (functions, objects, thread-local objects), each a
    u16 count of inclusions. An inclusion is a targets bit set (uleb128),
    a size for objects (uleb128), a library byte and version bytes (bit 7
    ends them); a symbol's name precedes its first inclusion. In the
    library byte, bit 7 ends the symbol's inclusions, bit 6 marks a weak
    symbol, bit 5 an unversioned one (the version bytes then say which
    releases have it).
    """
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise ListsError(f"cannot read zig's FreeBSD symbol lists {path}: {e}") from e
    pos = 0

    def byte():
        nonlocal pos
        if pos >= len(data):
            raise ListsError(f"{path}: ends early, at byte {pos}")
        pos += 1
        return data[pos - 1]

    def string():
        nonlocal pos
        end = data.find(b"\0", pos)
        if end < 0:
            raise ListsError(f"{path}: unterminated name at byte {pos}")
        s = data[pos:end].decode()
        pos = end + 1
        return s

    def uleb128():
        value, shift = 0, 0
        while True:
            b = byte()
            value |= (b & 0x7F) << shift
            shift += 7
            if b < 0x80:
                return value

    def u16():
        return byte() | byte() << 8

    libs = [string() for _ in range(byte())]
    unknown = [lib for lib in libs if lib not in SONAMES]
    if unknown:
        raise ListsError(f"{path}: libraries without a known FreeBSD soname: {', '.join(unknown)}")
    versions = []
    for _ in range(byte()):
        v = (byte(), byte(), byte())
        versions.append(f"FBSD_{v[0]}.{v[1]}")
    targets = [string() for _ in range(byte())]
    triple = f"{arch}-freebsd-none"
    if triple not in targets:
        raise ListsError(f"{path}: no lists for {triple} (it has {', '.join(targets)})")
    target_bit = 1 << targets.index(triple)
    newest = f"FBSD_1.{major - 7}"
    if newest not in versions:
        raise ListsError(f"{path}: no version {newest} for FreeBSD {major} (it has {', '.join(versions)})")
    released = versions[: versions.index(newest) + 1]
    present = [SONAMES[lib] if ADDED_IN.get(lib, 0) <= major else None for lib in libs]

    have = set()
    for sized in (False, True, True):  # functions, objects, thread-local objects
        name = None
        for _ in range(u16()):
            if name is None:
                name = string()
            in_target = uleb128() & target_bit
            if sized:
                uleb128()
            lib = byte()
            soname = present[lib & 0x1F]
            while True:
                v = byte()
                version = versions[v & 0x7F]
                if in_target and soname and version in released:
                    have.add((soname, name, None if lib & 0x20 else version))
                if v & 0x80:
                    break
            if lib & 0x80:
                name = None
    if pos != len(data):
        raise ListsError(f"{path}: {len(data) - pos} bytes left after the lists")
    return have


def readelf(path, *options):
    """readelf's wide output for `path`, or None with the problem printed."""
    run = subprocess.run(["readelf", "-W", *options, path], capture_output=True, text=True)
    if run.returncode != 0 or run.stderr.strip():
        print(f"FAIL: {path}: readelf {' '.join(options)}: {run.stderr.strip() or 'exit ' + str(run.returncode)}")
        return None
    return run.stdout


# The ABI tag note: owner FreeBSD, type 1, 4 bytes of __FreeBSD_version
# (readelf names type 1 of an owner it does not know NT_VERSION).
ABI_TAG = re.compile(r"^\s*FreeBSD\s+0x00000004\s+NT_VERSION \(version\)\s+description data: ((?:[0-9a-f]{2} ?){4})$", re.M)
# A .dynsym line: "  12: 0000000000000000  0 FUNC  GLOBAL DEFAULT  UND stat@FBSD_1.5 (3)"
# (number, value, size, type, binding, visibility, section, name@version
# and version index); aarch64 may add "[VARIANT_PCS]" after the visibility.
# A defined symbol's default version follows "@@".
SYMBOL_LINE = re.compile(r"^\s*\d+: ")
NULL_SYMBOL = re.compile(r"^\s*0: 0+\s+0\s+NOTYPE\s+LOCAL\s+DEFAULT\s+UND\s*$")
SYMBOL = re.compile(
    r"^\s*\d+: [0-9a-f]+\s+\S+\s+\w+\s+(\w+)\s+\w+(?:\s+\[[^\]]*\])?\s+(\w+)"
    r"\s+([^@\s]+)(?:@@?([^@\s]+))?(?: \((\d+)\))?$"
)


def check(path, arch, library, have, host_prefixes, may_lack, defines):
    """Returns the problems of one file; prints its summary when it has none."""
    outputs = []
    for option in ("-h", "-n", "-l", "-d", "--dyn-syms", "-V"):
        outputs.append(readelf(path, option))
        if outputs[-1] is None:
            return [f"{path}: not readable as ELF"]
    header, notes, segments, dynamic, symbols, needs = outputs
    problems = []

    fields = dict(line.split(":", 1) for line in header.splitlines()[1:] if ":" in line)
    fields = {k.strip(): v.strip() for k, v in fields.items()}
    if fields.get("Class") != "ELF64" or fields.get("Machine") != MACHINES[arch]:
        problems.append(f"{path}: {fields.get('Class')} for {fields.get('Machine')}, not ELF64 for {MACHINES[arch]}")

    tag = ABI_TAG.search(notes)
    freebsd_version = int.from_bytes(bytes.fromhex(tag.group(1)), "little") if tag else None
    if tag and freebsd_version not in FREEBSD_VERSIONS:
        problems.append(f"{path}: its ABI note says FreeBSD {freebsd_version}, not 14.0 (1400000 to 1400999)")
    elif not tag and not library:
        problems.append(f"{path}: no FreeBSD ABI note (.note.tag): FreeBSD's kernel would not know it for its own")

    interpreter = re.search(r"\[Requesting program interpreter: (.*)\]", segments)
    interpreter = interpreter.group(1) if interpreter else None
    if library and interpreter:
        problems.append(f"{path}: a library with an interpreter ({interpreter})")
    elif not library and interpreter != INTERPRETER:
        problems.append(f"{path}: interpreter {interpreter}, not FreeBSD's {INTERPRETER}")

    needed = re.findall(r"\(NEEDED\)\s+Shared library: \[(.*)\]", dynamic)
    base = {soname for soname, _, _ in have}
    for lib in needed:
        if lib not in base:
            problems.append(f"{path}: needs {lib}, not a FreeBSD 14.0 base library zig has symbol lists for")

    # Version index -> (library, version), from the version needs section.
    needed_versions = {}
    section = None
    for line in needs.splitlines():
        if line.startswith("Version needs section"):
            section = "needs"
        elif line.startswith("Version "):
            section = None
        elif section == "needs":
            file = re.search(r"File: (\S+)", line)
            if file:
                current = file.group(1)
            entry = re.search(r"Name: (\S+)\s+Flags: .*Version: (\d+)", line)
            if entry:
                needed_versions[int(entry.group(2))] = (current, entry.group(1))

    undefined = 0
    defined = set()
    newest = None
    from_host = 0
    weak_absent = []
    for line in symbols.splitlines():
        if not SYMBOL_LINE.match(line) or NULL_SYMBOL.match(line):
            continue
        m = SYMBOL.match(line)
        if not m:
            problems.append(f"{path}: a dynamic symbol readelf shows in a form not understood: {line.strip()}")
            continue
        bind, section, name, version, index = m.group(1, 2, 3, 4, 5)
        if section != "UND":
            defined.add(name)
            continue
        undefined += 1
        if version is None:
            # Bound to whichever library defines it, with no version to say which.
            if any((lib, name, None) in have for lib in needed):
                pass
            elif any(name.startswith(p) for p in host_prefixes):
                from_host += 1
            elif bind == "WEAK" and name in may_lack:
                weak_absent.append(name)
            elif bind == "WEAK":
                problems.append(
                    f"{path}: {name} is weak, unversioned, and in no NEEDED FreeBSD 14.0 library: null there; "
                    "allow it (--may-lack) only once its callers are seen to check for null"
                )
            else:
                problems.append(f"{path}: {name} is undefined and unversioned, and no NEEDED FreeBSD 14.0 library lists it")
            continue
        lib, needed_version = needed_versions.get(int(index or 0), (None, None))
        if needed_version != version:
            problems.append(f"{path}: {name}@{version}: its version is not in the version needs section")
        elif lib not in needed:
            problems.append(f"{path}: {name}@{version} from {lib}, which is not NEEDED")
        elif (lib, name, version) not in have:
            problems.append(f"{path}: {name}@{version} from {lib}: FreeBSD 14.0's {lib} has no such symbol on {arch}")
        elif newest is None or version_key(version) > version_key(newest[1]):
            newest = (name, version)
    if undefined == 0:
        problems.append(f"{path}: no undefined dynamic symbols read: readelf's output not understood")
    for name in defines:
        if name not in defined:
            problems.append(f"{path}: does not define {name}")

    if not problems:
        what = "library" if library else "program"
        note = f"ABI note {freebsd_version}" if tag else "no ABI note"
        print(
            f"ok: {path}: {arch} FreeBSD {what}, {note}, NEEDED {' '.join(needed)}; {undefined} undefined symbols:"
            + (f" {from_host} from the host program," if from_host else "")
            + (f" {len(weak_absent)} weak, which FreeBSD 14.0 lacks ({', '.join(weak_absent)}), the rest" if weak_absent else "")
            + " each in FreeBSD 14.0's lists"
            + (f" (the newest: {newest[0]}@{newest[1]})" if newest else "")
        )
    return problems


def version_key(version):
    return tuple(int(n) for n in version.removeprefix("FBSD_").split("."))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("zig_lib_dir")
    parser.add_argument("arch", choices=sorted(MACHINES))
    parser.add_argument("files", nargs="+", metavar="FILE")
    parser.add_argument("--library", action="store_true", help="the files are shared libraries, not programs")
    parser.add_argument("--host-provides", action="append", default=[], metavar="PREFIX")
    parser.add_argument("--may-lack", action="append", default=[], metavar="SYMBOL")
    parser.add_argument("--defines", action="append", default=[], metavar="SYMBOL")
    args = parser.parse_args()
    try:
        have = read_abilists(os.path.join(args.zig_lib_dir, "libc", "freebsd", "abilists"), args.arch, FREEBSD_MAJOR)
    except ListsError as e:
        print(f"FAIL: {e}")
        return 2
    failed = False
    for path in args.files:
        problems = check(path, args.arch, args.library, have, args.host_provides, args.may_lack, args.defines)
        for problem in problems[:SHOWN]:
            print(f"FAIL: {problem}")
        if len(problems) > SHOWN:
            print(f"FAIL: {path}: {len(problems) - SHOWN} more problems")
        failed = failed or bool(problems)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
