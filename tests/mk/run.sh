#!/bin/sh
# bmake tests of the ports glue against the framework stand-in in this
# directory (framework.mk, Uses/, Scripts/, sys/):
#
# - Mk/Uses/pycache.mk, and the example port Mk/examples/lang/python-pycache;
# - Mk/Uses/python-nobytecode.mk and its tree-wide switch Mk/bsd.overlay.mk,
#   on the example port Mk/examples/devel/py-example (USE_PYTHON=pep517) and
#   the test ports in ports/ (distutils, a hand-written pkg-plist, a port
#   using Python at build time only).  Their stage phase runs for real, with
#   and without the knob: PyPI's installer on a wheel built from example/,
#   setuptools' setup.py install, compileall, into a real STAGEDIR, with
#   CPython 3.11 (Debian's, in a venv under target/ that this script makes);
#   then the pycache program compiles the staged tree as the trigger would;
# - the example port's crates: Makefile.crates and distinfo against
#   Cargo.lock, and Mk/cargo-crates.py check (which must fail on a broken
#   copy);
# - last, pycache.mk's real commands with a gen-triggers built by cargo (or
#   $GEN_TRIGGERS when set), and the example port staged for real from a
#   cargo build: every PLIST_FILES entry staged, do-test, post-patch.
#
# Usage: tests/mk/run.sh      Last line: "mk: N passed, N failed"; exit 1 on failure.

set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
passed=0
failed=0

finish() {
	echo "mk: $passed passed, $failed failed"
	[ "$failed" -eq 0 ]
	exit $?
}

if ! command -v bmake >/dev/null 2>&1; then
	echo "mk: bmake is missing; installing it with apt-get"
	if ! { apt-get update && apt-get install -y bmake; } >/dev/null 2>&1; then
		echo "FAIL: bmake is missing and apt-get could not install it: run apt-get install -y bmake"
		failed=1
		finish
	fi
fi

# check NAME EXPECTED ACTUAL: whitespace runs are squeezed on both sides.
check() {
	want=$(printf '%s' "$2" | tr -s ' \t' '  ' | sed 's/^ //; s/ $//')
	got=$(printf '%s' "$3" | tr -s ' \t' '  ' | sed 's/^ //; s/ $//')
	if [ "$want" = "$got" ]; then
		passed=$((passed + 1))
		echo "ok: $1"
	else
		failed=$((failed + 1))
		echo "FAIL: $1"
		echo "  expected: $want"
		echo "  got:      $got"
	fi
}

# mk ARGS...: bmake on the stand-in port, stderr included so errors show;
# a clean environment, so CARGO_TARGET_DIR, PREFIX... of the caller stay out.
mk() { env -i PATH="$PATH" bmake -f "$here/port.mk" "$@" 2>&1; }

T=/usr/local/share/pkg/triggers
W=/nonexistent/work
S=/nonexistent/stage
GEN=$W/target/x86_64-unknown-freebsd/release/gen-triggers
GEN_ARGS="--prefix /usr/local --localbase /usr/local --lua-modsharedir /usr/local/share/lua/5.4 --pycache-cmd /usr/local/bin/pycache --out $W/pycache-triggers"

# --- default flavors: every Python 3 version of python.mk -------------------
check "default flavors: python.mk's versions and each free-threaded one from 3.13" \
	"pycache-py310.ucl pycache-py311.ucl pycache-py312.ucl pycache-py313.ucl pycache-py313t.ucl pycache-py314.ucl pycache-py314t.ucl" \
	"$(mk -V '${PYCACHE_TRIGGERS}')"
check "default: plist lists every trigger" \
	"$T/pycache-py310.ucl $T/pycache-py311.ucl $T/pycache-py312.ucl $T/pycache-py313.ucl $T/pycache-py313t.ucl $T/pycache-py314.ucl $T/pycache-py314t.ucl" \
	"$(mk -V '${PLIST_FILES}')"
check "default: no IGNORE" "" "$(mk -V '${IGNORE}')"
check "phases are hooked" "750:pycache-build 650:pycache-post-install" \
	"$(mk -V '${_USES_build} ${_USES_install}')"
check "default: build renders all flavors" \
	"$GEN --flavors py310,py311,py312,py313,py313t,py314,py314t $GEN_ARGS" \
	"$(mk -n pycache-build)"

# --- free-threaded versions in python.mk's list -----------------------------
V='_PYTHON_VERSIONS=3.11 3.12 3.13 3.13t 3.14 3.14t 3.10 3.9 2.7'
check "free-threaded: 3.13t and 3.14t become their own flavors" \
	"pycache-py310.ucl pycache-py311.ucl pycache-py312.ucl pycache-py313.ucl pycache-py313t.ucl pycache-py314.ucl pycache-py314t.ucl pycache-py39.ucl" \
	"$(mk "$V" -V '${PYCACHE_TRIGGERS}')"
check "free-threaded: no IGNORE" "" "$(mk "$V" -V '${IGNORE}')"
check "free-threaded: plist" \
	"$T/pycache-py310.ucl $T/pycache-py311.ucl $T/pycache-py312.ucl $T/pycache-py313.ucl $T/pycache-py313t.ucl $T/pycache-py314.ucl $T/pycache-py314t.ucl $T/pycache-py39.ucl" \
	"$(mk "$V" -V '${PLIST_FILES}')"
check "free-threaded: build renders them" \
	"$GEN --flavors py310,py311,py312,py313,py313t,py314,py314t,py39 $GEN_ARGS" \
	"$(mk "$V" -n pycache-build)"
check "free-threaded only: no IGNORE" "pycache-py313t.ucl pycache-py314t.ucl" \
	"$(mk '_PYTHON_VERSIONS=3.13t 3.14t' -V '${PYCACHE_TRIGGERS}${IGNORE}')"

# --- a given flavor list, with a duplicate ---------------------------------
L='PYCACHE_FLAVORS=py39 py311 py39'
check "list: triggers, sorted and de-duplicated" "pycache-py311.ucl pycache-py39.ucl" \
	"$(mk "$L" -V '${PYCACHE_TRIGGERS}')"
check "list: plist" "$T/pycache-py311.ucl $T/pycache-py39.ucl" "$(mk "$L" -V '${PLIST_FILES}')"
check "list: no IGNORE" "" "$(mk "$L" -V '${IGNORE}')"
check "list: build command" "$GEN --flavors py311,py39 $GEN_ARGS" "$(mk "$L" -n pycache-build)"
check "list: install commands" \
	"mkdir -p $S$T
install -m 0444 $W/pycache-triggers/pycache-py311.ucl $S$T/
install -m 0444 $W/pycache-triggers/pycache-py39.ucl $S$T/" \
	"$(mk "$L" -n pycache-post-install)"
check "knobs reach gen-triggers" \
	"/opt/gen --flavors py313 --prefix /opt/pc --localbase /usr/local --lua-modsharedir /opt/lua --pycache-cmd /opt/pc/bin/pycache --out $W/pycache-triggers" \
	"$(mk PYCACHE_FLAVORS=py313 PYCACHE_GEN=/opt/gen PYCACHE_PREFIX=/opt/pc PYCACHE_LUA_MODSHAREDIR=/opt/lua -n pycache-build)"
check "without lua.mk the Lua dir follows PYCACHE_PREFIX" \
	"$GEN --flavors py313 --prefix /opt/pc --localbase /usr/local --lua-modsharedir /opt/pc/share/lua/5.4 --pycache-cmd /opt/pc/bin/pycache --out $W/pycache-triggers" \
	"$(mk USES='cargo python:env pycache' PYCACHE_FLAVORS=py313 PYCACHE_PREFIX=/opt/pc -n pycache-build)"

# --- an empty list: no trigger, no command, no error -----------------------
check "empty: no triggers" "" "$(mk PYCACHE_FLAVORS= -V '${PYCACHE_TRIGGERS}')"
check "empty: nothing in the plist" "" "$(mk PYCACHE_FLAVORS= -V '${PLIST_FILES}')"
check "empty: no IGNORE" "" "$(mk PYCACHE_FLAVORS= -V '${IGNORE}')"
check "empty: no commands" "" "$(mk PYCACHE_FLAVORS= -n pycache-build pycache-post-install)"

# --- invalid lists and uses -----------------------------------------------
check "invalid flavors set IGNORE naming them" \
	"invalid PYCACHE_FLAVORS: py27 py3 py312t py313tt py35 py39t python311: expected pyXY such as py39 or py311, or py313t for a free-threaded build" \
	"$(mk 'PYCACHE_FLAVORS=py39 py3 python311 py27 py35 py314 py313t py39t py312t py313tt py314t' -V '${IGNORE}')"
check "arguments are rejected" "USES=pycache takes no arguments, got: foo bar" \
	"$(mk 'USES=python:env pycache:foo,bar' -V '${IGNORE}')"
check "no python.mk and no PYCACHE_FLAVORS sets IGNORE" \
	"USES=pycache needs the Python versions of USES=python or PYCACHE_FLAVORS" \
	"$(mk 'USES=lua:54 pycache' -V '${IGNORE}')"
# bsd.port.mk sets every <name>_ARGS before it includes the first USES
# file, so USES=pycache reads USES=python whatever their order: a port may
# keep USES sorted.
check "python after pycache in USES: the same flavors, no IGNORE" \
	"pycache-py310.ucl pycache-py311.ucl pycache-py312.ucl pycache-py313.ucl pycache-py313t.ucl pycache-py314.ucl pycache-py314t.ucl" \
	"$(mk 'USES=lua:54 pycache python:env' -V '${PYCACHE_TRIGGERS}${IGNORE}')"
check "python after pycache in USES: SUB_LIST and the build command" \
	"$(mk -V '${SUB_LIST}'; mk -n pycache-build)" \
	"$(mk 'USES=cargo lua:54 pycache python:env' -V '${SUB_LIST}'; mk 'USES=cargo lua:54 pycache python:env' -n pycache-build)"
check "no python.mk is fine with PYCACHE_FLAVORS" "pycache-py311.ucl" \
	"$(mk 'USES=pycache' PYCACHE_FLAVORS=py311 -V '${PYCACHE_TRIGGERS}${IGNORE}')"
check "included twice, counted once" "$T/pycache-py311.ucl" \
	"$(mk 'USES=python:env pycache pycache' PYCACHE_FLAVORS=py311 -V '${PLIST_FILES}')"

# --- the stand-in lua.mk: USES=lua arguments as the real file documents them -
check "lua: versions are two digits; 5.4 is refused" \
	"USES=lua:5.4: 5.4 is not a version lua.mk knows: versions are two digits, XY (54 for Lua 5.4), XY+, -XY or XY-ZA" \
	"$(mk 'USES=lua:5.4' -V '${IGNORE}')"
check "lua: a version lua.mk does not have" "USES=lua:nn did not find any valid version number" \
	"$(mk 'USES=lua:50' -V '${IGNORE}')"
check "lua: without a version, LUA_DEFAULT" "5.3 /usr/local/share/lua/5.3 liblua-5.3.so:lang/lua53" \
	"$(mk 'USES=lua' LUA_DEFAULT=5.3 -V '${LUA_VER} ${LUA_MODSHAREDIR} ${LIB_DEPENDS}')"
check "lua: a range takes the version closest to LUA_DEFAULT" "5.3" \
	"$(mk 'USES=lua:53-54' LUA_DEFAULT=5.1 -V '${LUA_VER}')"
check "lua: 54 is 5.4 whatever LUA_DEFAULT; env adds no dependency" "5.4 /usr/local/lib/lua/5.4 ||" \
	"$(mk 'USES=lua:54,env' LUA_DEFAULT=5.3 -V '${LUA_VER} ${LUA_MODLIBDIR} |${LIB_DEPENDS}|${RUN_DEPENDS}${BUILD_DEPENDS}')"

# --- the example port ------------------------------------------------------
EXDIR=$root/Mk/examples/lang/python-pycache
ex() { env -i PATH="$PATH" bmake -C "$EXDIR" -m "$here/sys" "$@" 2>&1; }
EXPLIST="bin/pycache bin/gen-triggers /usr/local/share/lua/5.4/pycache.lua \
\"@sample etc/pycache.conf.sample\" etc/periodic/daily/411.pycache share/man/man1/gen-triggers.1.gz \
share/man/man3/pycache.lua.3.gz share/man/man5/pycache.conf.5.gz share/man/man8/pycache.8.gz"
CORE=/usr/local/lib/lua/5.4/pycache/core.so
TRIGGERS7="$T/pycache-py310.ucl $T/pycache-py311.ucl $T/pycache-py312.ucl $T/pycache-py313.ucl $T/pycache-py313t.ucl $T/pycache-py314.ucl $T/pycache-py314t.ucl"
check "example port: plist" "$EXPLIST $CORE $TRIGGERS7" "$(ex -V '${PLIST_FILES}')"
check "example port: no IGNORE" "" "$(ex -V '${IGNORE}')"
# pkg's Lua is 5.4 and pycache.core is built for 5.4: the port's Lua
# directories are 5.4's whatever the user's default Lua, and nothing
# depends on lang/lua54 (pkg's own Lua loads pycache.lua; nothing links
# liblua, mlua builds the module without it).
check "example port: Lua 5.4 whatever LUA_DEFAULT, no Lua dependency" \
	"5.4 /usr/local/share/lua/5.4 /usr/local/lib/lua/5.4 ||" \
	"$(ex LUA_DEFAULT=5.3 -V '${LUA_VER} ${LUA_MODSHAREDIR} ${LUA_MODLIBDIR} |${LIB_DEPENDS}${RUN_DEPENDS}|${IGNORE}')"
check "example port: the LUA option (default on) builds and ships the native module" \
	"LUA|lua-module|$CORE" "$(ex -V '${PORT_OPTIONS}|${CARGO_FEATURES}|${PLIST_FILES:M*core.so}')"
check "example port: without LUA, no feature and no core.so" \
	"||$EXPLIST $TRIGGERS7" "$(ex WITHOUT=LUA -V '${PORT_OPTIONS}|${CARGO_FEATURES}|${PLIST_FILES}')"
R=$W/target/x86_64-unknown-freebsd/release
WS=$W/pycache-v0.1.0
check "example port: install commands" \
	"install -m 0555 $R/pycache $R/gen-triggers $S/usr/local/bin/
mkdir -p $S/usr/local/share/lua/5.4
install -m 0444 $WS/lua/pycache.lua $S/usr/local/share/lua/5.4/
install -m 0444 $WS/etc/pycache.conf.sample $S/usr/local/etc/
mkdir -p $S/usr/local/etc/periodic/daily
install -m 0555 $W/411.pycache $S/usr/local/etc/periodic/daily/
install -m 0444 $WS/man/gen-triggers.1 $S/usr/local/share/man/man1/
install -m 0444 $WS/man/pycache.lua.3 $S/usr/local/share/man/man3/
install -m 0444 $WS/man/pycache.conf.5 $S/usr/local/share/man/man5/
install -m 0444 $WS/man/pycache.8 $S/usr/local/share/man/man8/
mkdir -p $S/usr/local/lib/lua/5.4/pycache
install -m 0444 $R/libpycache.so $S/usr/local/lib/lua/5.4/pycache/core.so" \
	"$(ex -n do-install do-install-LUA-on)"
check "example port: the native module is installed by the LUA option's helper" \
	"500:do-install-LUA-on|" "$(ex -V '${_OPTIONS_install}')|$(ex WITHOUT=LUA -V '${_OPTIONS_install}')"
# WITH_DEBUG: cargo.mk builds without --release, into .../debug.
check "example port: WITH_DEBUG installs what cargo built, from debug/" \
	"$W/target/x86_64-unknown-freebsd/debug $W/target/x86_64-unknown-freebsd/debug/gen-triggers" \
	"$(ex WITH_DEBUG=yes -V '${PYCACHE_CARGO_OUT} ${PYCACHE_GEN}')"
check "example port: free-threaded versions get their triggers" \
	"$EXPLIST $CORE $T/pycache-py311.ucl $T/pycache-py313t.ucl $T/pycache-py314t.ucl" \
	"$(ex '_PYTHON_VERSIONS=3.13t 3.11 3.14t' -V '${PLIST_FILES}')"
check "example port: no IGNORE with 3.13t and 3.14t" "" "$(ex '_PYTHON_VERSIONS=3.13t 3.11 3.14t' -V '${IGNORE}')"
check "example port: the programs find pycache.conf in PREFIX/etc" "PYCACHE_ETCDIR=/usr/local/etc" \
	"$(ex -V '${CARGO_ENV}')"
check "example port: the sample is in the repository" "ok" \
	"$(test -f "$root/etc/pycache.conf.sample" && echo ok)"
check "example port: LICENSE_FILE is the repository's LICENSE, BSD 2-clause" \
	"$W/pycache-v0.1.0/LICENSE BSD2CLAUSE|ok" \
	"$(ex -V '${LICENSE_FILE} ${LICENSE}')|$(grep -q 'Redistribution and use in source and binary forms' "$root/LICENSE" 2>/dev/null && echo ok)"
check "example port: the GitHub account is the one WWW names" \
	"https://github.com/pycache-project/pycache|https://github.com/pycache-project/pycache" \
	"$(ex -V 'https://github.com/${GH_ACCOUNT}/${PORTNAME}')|$(ex -V '${WWW}')"
check "example port: make test runs the built program, not the crate's Linux tests" "no|yes" \
	"$(ex -V '${CARGO_TEST}')|$(ex -n do-test | grep -q 'pycache check --no-config --python /usr/local/bin/python3.11' && echo yes)"
check "example port: pkg-message says what the first install costs and how to turn the daily check on" \
	"ok ok" \
	"$(grep -q '10,000 source' "$EXDIR/pkg-message" && echo ok) $(grep -q 'daily_pycache_enable="YES"' "$EXDIR/pkg-message" && echo ok)"
check "example port: pkg-post-install and the periodic script are substituted" "pkg-post-install 411.pycache" \
	"$(ex -V '${SUB_FILES}')"
# Every page the port installs is in man/, and every page in man/ is installed.
check "example port: installs every manual page of man/" \
	"$(cd "$root/man" && ls | sed -E 's!^(.*)\.([0-9])$!share/man/man\2/\1.\2.gz!' | sort)" \
	"$(ex -V '${PLIST_FILES}' | tr ' ' '\n' | grep '^share/man/' | sort)"
# SUB_LIST: python.mk's entries, pycache.mk's, and the framework's.
check "SUB_LIST carries the flavors and the program for pkg-post-install" \
	'PYCACHE_FLAVORS="py310 py311 py312 py313 py313t py314 py314t" PYCACHE_CMD=/usr/local/bin/pycache' \
	"$(mk -V '${SUB_LIST}' | grep -o 'PYCACHE_FLAVORS="[^"]*" PYCACHE_CMD=[^ ]*')"
check "SUB_LIST with free-threaded flavors and knobs" \
	'PYCACHE_FLAVORS="py313 py313t" PYCACHE_CMD=/opt/pc/bin/pycache' \
	"$(mk 'PYCACHE_FLAVORS=py313t py313' PYCACHE_PREFIX=/opt/pc -V '${SUB_LIST}' | grep -o 'PYCACHE_FLAVORS="[^"]*" PYCACHE_CMD=[^ ]*')"
# pkg-post-install.in as the ports tree renders it (SUB_LIST through sed):
# every placeholder filled, and valid sh.
pkginstall=$(sed -e 's!%%PYCACHE_FLAVORS%%!py311 py313t!g' -e 's!%%PYCACHE_CMD%%!/usr/local/bin/pycache!g' \
	-e 's!%%LOCALBASE%%!/usr/local!g' "$EXDIR/files/pkg-post-install.in")
check "example port: pkg-post-install.in has only SUB_LIST placeholders" "" \
	"$(printf '%s\n' "$pkginstall" | grep -o '%%[A-Z_]*%%' | sort -u)"
check "example port: rendered pkg-post-install is valid sh" "ok" \
	"$(printf '%s\n' "$pkginstall" | sh -n && echo ok)"
check "example port: pkg-post-install run as a pkg-install does nothing at PRE-INSTALL" "" \
	"$(printf '%s\n' "$pkginstall" | sh -s python-pycache-0.1.0 PRE-INSTALL 2>&1)"
# The periodic script as rendered: PREFIX and LOCALBASE only, valid POSIX sh
# (dash parses it too; tests/periodic/run.sh runs it).
periodic=$(sed -e 's!%%PREFIX%%!/usr/local!g' -e 's!%%LOCALBASE%%!/usr/local!g' \
	"$EXDIR/files/411.pycache.in")
check "example port: 411.pycache.in has only SUB_LIST placeholders" "" \
	"$(printf '%s\n' "$periodic" | grep -o '%%[A-Z_]*%%' | sort -u)"
check "example port: rendered 411.pycache is valid sh" "ok" \
	"$(printf '%s\n' "$periodic" | sh -n && echo ok)"

# --- the example port's crates: Makefile.crates and distinfo = Cargo.lock ---
# Cargo.lock's crates.io packages, NAME-VERSION and checksum, read with awk
# (not by the generator under test).
lockcrates=$(awk '/^\[\[package\]\]/ { n = v = src = "" }
	/^name = / { n = $3 } /^version = / { v = $3 } /^source = "registry\+/ { src = 1 }
	/^checksum = / && src { gsub(/"/, ""); print n "-" v, $3 }' "$root/Cargo.lock" | tr -d '"')
check "crates: CARGO_CRATES (Makefile.crates, read by cargo.mk) is every crate of Cargo.lock" \
	"$(printf '%s\n' "$lockcrates" | cut -d' ' -f1 | tr '\n' ' ')" \
	"$(ex -V '${CARGO_CRATES}') "
check "crates: distinfo's SHA256 lines are Cargo.lock's checksums" \
	"$(printf '%s\n' "$lockcrates" | awk '{ print "rust/crates/" $1 ".crate", $2 }' | sort)" \
	"$(sed -n 's!^SHA256 (\(rust/crates/[^)]*\)) = !\1 !p' "$EXDIR/distinfo" | sort)"
check "crates: distinfo has a SIZE for every crate" \
	"$(printf '%s\n' "$lockcrates" | awk '{ print "rust/crates/" $1 ".crate" }' | sort)" \
	"$(sed -n 's!^SIZE (\(rust/crates/[^)]*\)) = [0-9][0-9]*$!\1!p' "$EXDIR/distinfo" | sort)"
check "crates: the distfiles of cargo.mk are distinfo's crates" \
	"$(ex -V '${DISTFILES}' | tr ' ' '\n' | sed '/^$/d' | sort)" \
	"$(sed -n 's!^SIZE (\(rust/crates/[^)]*\)) = .*!\1!p' "$EXDIR/distinfo" | sort)"
crates_py=$root/Mk/cargo-crates.py
check "crates: Mk/cargo-crates.py check agrees (sizes against cargo's cache when it has the crate)" "0" \
	"$(python3 "$crates_py" check >/dev/null 2>&1; echo $?)"
# The check can fail: on a copy with a crate dropped, a checksum changed,
# a size changed.
ctmp=$(mktemp -d)
cp "$EXDIR/Makefile.crates" "$EXDIR/distinfo" "$ctmp/"
sed -i '2d' "$ctmp/Makefile.crates"
check "crates: the check names a crate missing from Makefile.crates" "1 missing" \
	"$(python3 "$crates_py" check --port "$ctmp" >/dev/null 2>&1; echo $?) $(python3 "$crates_py" check --port "$ctmp" 2>&1 | grep -o 'missing' | head -1)"
cp "$EXDIR/Makefile.crates" "$ctmp/"
sed -i '0,/^SHA256 (rust/s/= \(.\)/= 0\1/' "$ctmp/distinfo"
check "crates: the check names a checksum that is not Cargo.lock's" "1 Cargo.lock says" \
	"$(python3 "$crates_py" check --port "$ctmp" >/dev/null 2>&1; echo $?) $(python3 "$crates_py" check --port "$ctmp" 2>&1 | grep -o 'Cargo.lock says' | head -1)"
cp "$EXDIR/distinfo" "$ctmp/"
first=$(printf '%s\n' "$lockcrates" | head -1 | cut -d' ' -f1)
if ls "${CARGO_HOME:-$HOME/.cargo}"/registry/cache/*/"$first.crate" >/dev/null 2>&1; then
	sed -i "s!^SIZE (rust/crates/$first.crate) = .*!SIZE (rust/crates/$first.crate) = 1!" "$ctmp/distinfo"
	check "crates: the check names a size the cached crate does not have" "1 the crate has" \
		"$(python3 "$crates_py" check --port "$ctmp" >/dev/null 2>&1; echo $?) $(python3 "$crates_py" check --port "$ctmp" 2>&1 | grep -o 'the crate has' | head -1)"
else
	failed=$((failed + 1))
	echo "FAIL: crates: $first.crate is not in cargo's cache: run cargo fetch --locked (or Mk/cargo-crates.py generate) to check sizes"
fi
rm -rf "$ctmp"

# --- USES=python-nobytecode and WITHOUT_PYTHON_BYTECODE ---------------------
# port DIR ARGS...: bmake on a port directory with the stand-in framework.
port() { d=$1; shift; env -i PATH="$PATH" bmake -C "$d" -m "$here/sys" "$@" 2>&1; }
PEX=$root/Mk/examples/devel/py-example
PDU=$here/ports/devel/py-example-distutils
PPL=$here/ports/devel/py-example-plist
PBT=$here/ports/devel/buildtool
TDEP=$T/pycache-py311.ucl:lang/python-pycache
TREE="OVERLAYS=$root"
INSTALLER="/usr/local/bin/python3.11 -m installer --destdir $S --prefix /usr/local $W/example-1.0/dist/example-1.0*.whl"
SETUPARGS="--record $W/.PLIST.pymodtmp"

check "nobytecode: the example port depends on its flavor's trigger" "no $TDEP" \
	"$(port "$PEX" -V '${PYTHON_BYTECODE} ${RUN_DEPENDS}${IGNORE}')"
check "nobytecode: py313t depends on its own trigger" "$T/pycache-py313t.ucl:lang/python-pycache" \
	"$(port "$PEX" FLAVOR=py313t -V '${RUN_DEPENDS}')"
check "nobytecode: py314t depends on its own trigger" "$T/pycache-py314t.ucl:lang/python-pycache" \
	"$(port "$PEX" FLAVOR=py314t -V '${RUN_DEPENDS}')"
check "nobytecode: PYCACHE_PORT names the trigger's port" "$T/pycache-py311.ucl:sysutils/pycache" \
	"$(port "$PEX" PYCACHE_PORT=sysutils/pycache -V '${RUN_DEPENDS}')"
check "nobytecode: a Python 2.7 flavor (no trigger) keeps its bytecode" "yes ||$INSTALLER|" \
	"$(port "$PEX" FLAVOR=py27 -V '${PYTHON_BYTECODE} |${RUN_DEPENDS}|${PEP517_INSTALL_CMD:S/2.7/3.11/}|${IGNORE}')"
check "nobytecode: installer compiles nothing" "$INSTALLER --no-compile-bytecode" \
	"$(port "$PEX" -V '${PEP517_INSTALL_CMD}')"
check "nobytecode: without the line, installer compiles (python.mk's default)" "$INSTALLER" \
	"$(port "$PEX" USES=python -V '${PEP517_INSTALL_CMD}')"
check "nobytecode: without the line, setup.py install -c -O1 (python.mk's default)" \
	"$SETUPARGS -c -O1 --prefix=/usr/local --single-version-externally-managed --root=$S" \
	"$(port "$PDU" -V '${PYDISTUTILS_INSTALLARGS}')"
check "nobytecode: setup.py install --no-compile, without -c -O1" \
	"$SETUPARGS --prefix=/usr/local --single-version-externally-managed --root=$S --no-compile" \
	"$(port "$PDU" 'USES=python python-nobytecode' -V '${PYDISTUTILS_INSTALLARGS}')"
check "nobytecode: the same with USES=python listed after it" \
	"$(port "$PDU" 'USES=python python-nobytecode' -V '${PYDISTUTILS_INSTALLARGS} ${RUN_DEPENDS}')" \
	"$(port "$PDU" 'USES=python-nobytecode python' -V '${PYDISTUTILS_INSTALLARGS} ${RUN_DEPENDS}')"
check "nobytecode: after python.mk's plist steps" "934:add-plist-pymod 936:python-nobytecode-post-stage" \
	"$(port "$PEX" -V '${_USES_stage}')"
check "nobytecode: arguments are rejected" "USES=python-nobytecode takes no arguments, got: foo" \
	"$(port "$PEX" 'USES=python python-nobytecode:foo' -V '${IGNORE}')"
check "nobytecode: needs USES=python" "USES=python-nobytecode needs USES=python" \
	"$(port "$PBT" 'USES=python-nobytecode' -V '${IGNORE}')"
check "nobytecode: WITH_PYTHON_BYTECODE_PORTS keeps a port's bytecode" "yes ||$INSTALLER" \
	"$(port "$PEX" WITH_PYTHON_BYTECODE_PORTS='devel/py-other devel/py-example' \
		-V '${PYTHON_BYTECODE} |${RUN_DEPENDS}|${PEP517_INSTALL_CMD}')"
# The tree-wide switch: Mk/bsd.overlay.mk, through OVERLAYS.
check "tree: WITHOUT_PYTHON_BYTECODE gives a distutils port the USES" \
	"python python-nobytecode|$SETUPARGS --prefix=/usr/local --single-version-externally-managed --root=$S --no-compile|$TDEP" \
	"$(port "$PDU" "$TREE" WITHOUT_PYTHON_BYTECODE=yes -V '${USES}|${PYDISTUTILS_INSTALLARGS}|${RUN_DEPENDS}')"
check "tree: and a port whose hand-written plist lists bytecode" "python python-nobytecode|$TDEP" \
	"$(port "$PPL" "$TREE" WITHOUT_PYTHON_BYTECODE=yes -V '${USES}|${RUN_DEPENDS}')"
check "tree: a port using Python at build time only is left alone" "python:build||" \
	"$(port "$PBT" "$TREE" WITHOUT_PYTHON_BYTECODE=yes -V '${USES}|${RUN_DEPENDS}|${IGNORE}')"
check "tree: a port listing the USES gets it once" "python python-nobytecode|$TDEP" \
	"$(port "$PEX" "$TREE" WITHOUT_PYTHON_BYTECODE=yes -V '${USES}|${RUN_DEPENDS}')"
check "tree: WITHOUT_PYTHON_BYTECODE_PORTS picks origins" "python python-nobytecode|python" \
	"$(port "$PDU" "$TREE" WITHOUT_PYTHON_BYTECODE_PORTS=devel/py-example-distutils -V '${USES}')|$(port "$PPL" "$TREE" WITHOUT_PYTHON_BYTECODE_PORTS=devel/py-example-distutils -V '${USES}')"
check "tree: WITH_PYTHON_BYTECODE_PORTS wins over the switch" "yes |" \
	"$(port "$PDU" "$TREE" WITHOUT_PYTHON_BYTECODE=yes WITH_PYTHON_BYTECODE_PORTS=devel/py-example-distutils \
		-V '${PYTHON_BYTECODE} |${RUN_DEPENDS}')"
check "tree: nothing changes without the switch" "python|" \
	"$(port "$PDU" "$TREE" -V '${USES}|${RUN_DEPENDS}')"

# --- the knob's real stage commands on a real staged tree --------------------
# CPython 3.11 (Debian's, with its setuptools and wheel) in a venv with
# PyPI's installer, kept under target/ between runs.
INSTALLER_VERSION=0.7.0
venv=${CARGO_TARGET_DIR:-$root/target}/mk-venv-py311
vpy=$venv/bin/python
venv_ok() {
	"$vpy" -c "import installer, setuptools, wheel, sys; sys.exit(installer.__version__ != '$INSTALLER_VERSION')" 2>/dev/null
}
if ! venv_ok; then
	miss=""
	for p in python3.11 python3.11-venv python3-pip python3-setuptools python3-wheel; do
		dpkg -s "$p" >/dev/null 2>&1 || miss="$miss $p"
	done
	if [ -n "$miss" ]; then
		echo "mk: installing$miss with apt-get"
		{ apt-get update && apt-get install -y $miss; } >/dev/null 2>&1
	fi
	rm -rf "$venv"
	echo "mk: creating $venv with installer $INSTALLER_VERSION from PyPI"
	/usr/bin/python3.11 -m venv --system-site-packages --without-pip "$venv" >/dev/null 2>&1 &&
		"$vpy" -m pip install -q --disable-pip-version-check "installer==$INSTALLER_VERSION" >/dev/null 2>&1
fi
if ! venv_ok; then
	failed=$((failed + 1))
	echo "FAIL: staged runs: need /usr/bin/python3.11 with setuptools and wheel (apt-get install python3.11 python3.11-venv python3-pip python3-setuptools python3-wheel) and PyPI's installer $INSTALLER_VERSION in $venv ($vpy -m pip install installer==$INSTALLER_VERSION)"
else
	stmp=$(mktemp -d)
	# A wheel built once from tests/mk/example by its PEP 517 backend
	# (do-build is not what the knob changes).
	cp -R "$here/example" "$stmp/wheelsrc"
	if ! (cd "$stmp/wheelsrc" && "$vpy" -c 'from setuptools import build_meta; build_meta.build_wheel("dist")' >"$stmp/wheel.log" 2>&1); then
		sed 's/^/  | /' "$stmp/wheel.log"
	fi
	SP=/usr/local/lib/python3.11/site-packages
	SOURCES="$SP/example/__init__.py $SP/example/sub/__init__.py $SP/example/sub/mod.py $SP/example_util.py"
	PYCS01="$SP/__pycache__/example_util.cpython-311.opt-1.pyc $SP/__pycache__/example_util.cpython-311.pyc
$SP/example/__pycache__/__init__.cpython-311.opt-1.pyc $SP/example/__pycache__/__init__.cpython-311.pyc
$SP/example/sub/__pycache__/__init__.cpython-311.opt-1.pyc $SP/example/sub/__pycache__/__init__.cpython-311.pyc
$SP/example/sub/__pycache__/mod.cpython-311.opt-1.pyc $SP/example/sub/__pycache__/mod.cpython-311.pyc"
	lines() { printf '%s\n' $1 | sort; }

	# staged CASE PORTDIR ARGS...: bmake stage of a port on a fresh copy
	# of the project (and the wheel), into $stmp/CASE/stage.
	staged() {
		c=$stmp/$1
		d=$2
		shift 2
		mkdir -p "$c"
		cp -R "$here/example" "$c/src"
		cp -R "$stmp/wheelsrc/dist" "$c/src/dist" 2>/dev/null
		if port "$d" PYTHON_CMD="$vpy" WRKDIR="$c/work" WRKSRC="$c/src" STAGEDIR="$c/stage" "$@" stage \
			>"$c/log" 2>&1; then
			: > "$c/ok"
		else
			sed 's/^/  | /' "$c/log"
		fi
	}
	# What a case staged (or that its stage failed): .py sources, bytecode
	# (a .pyc, or a __pycache__ directory), the plist's bytecode lines,
	# and whether the plist names exactly the staged files (its @dir
	# lines apart).
	ran() { [ -f "$stmp/$1/ok" ] || { echo "bmake stage failed"; false; }; }
	sources_of() { ran $1 && (cd "$stmp/$1/stage" && find . -name '*.py' -type f) | sed 's/^\.//' | sort; }
	bytecode_of() { ran $1 && (cd "$stmp/$1/stage" && find . \( -name '*.pyc' -o -name __pycache__ -type d \)) | sed 's/^\.//' | sort; }
	plist_matches() {
		ran $1 || return
		p=$(grep -v '^@' "$stmp/$1/work/.PLIST.mktmp" 2>/dev/null | sed 's!^\([^/]\)!/usr/local/\1!' | sort)
		s=$( (cd "$stmp/$1/stage" 2>/dev/null && find . -type f) | sed 's/^\.//' | sort)
		if [ -n "$s" ] && [ "$p" = "$s" ]; then echo same; else printf 'plist:\n%s\nstaged:\n%s\n' "$p" "$s"; fi
	}
	plist_bytecode() { ran $1 && grep -E '__pycache__|\.pyc$' "$stmp/$1/work/.PLIST.mktmp" | sort; }
	DIRS="$SP/__pycache__ $SP/example/__pycache__ $SP/example/sub/__pycache__"

	staged pep517-before "$PEX" USES=python
	staged pep517 "$PEX"
	staged distutils-before "$PDU"
	staged distutils "$PDU" "$TREE" WITHOUT_PYTHON_BYTECODE=yes
	staged plist-before "$PPL"
	staged plist "$PPL" "$TREE" WITHOUT_PYTHON_BYTECODE=yes

	for c in pep517 distutils plist; do
		check "staged $c: every source staged, as without the knob" "$(lines "$SOURCES")" "$(sources_of $c)"
		check "staged $c, without the knob: levels 0 and 1 staged (the baseline)" \
			"$(lines "$DIRS $PYCS01 $([ $c = plist ] && echo $SP/example_legacy.pyc)")" "$(bytecode_of $c-before)"
		check "staged $c, without the knob: the plist is the staged files" same "$(plist_matches $c-before)"
		check "staged $c: no bytecode staged" "$([ $c = plist ] && echo $SP/example_legacy.pyc)" \
			"$(bytecode_of $c)"
		check "staged $c: no bytecode in the plist" \
			"$([ $c = plist ] && echo '%%PYTHON_SITELIBDIR%%/example_legacy.pyc' | sed 's!%%PYTHON_SITELIBDIR%%!lib/python3.11/site-packages!')" \
			"$(plist_bytecode $c)"
		check "staged $c: the plist is the staged files" same "$(plist_matches $c)"
	done
	check "staged plist: @dir of a __pycache__ dropped, before kept" \
		"@dir lib/python3.11/site-packages/example/sub/__pycache__|" \
		"$(grep '^@dir' "$stmp/plist-before/work/.PLIST.mktmp")|$(grep '^@dir' "$stmp/plist/work/.PLIST.mktmp")"
	# The sourceless module is still importable from the staged tree, and
	# the staged sources compile at every level (what the trigger will do).
	check "staged plist: the sourceless module imports" "hello x" \
		"$(cd / && "$vpy" -I -c 'import sys; sys.path.insert(0, sys.argv[1]); import example_legacy; print(example_legacy.greet("x"))' "$stmp/plist/stage$SP" 2>&1)"
	# The package as staged with the knob is enough for what the trigger
	# runs: pycache update on it writes every level of every module, and
	# pycache check then finds everything in sync; the sourceless module
	# stays as shipped.
	pycache_bin=""
	if ! command -v cargo >/dev/null 2>&1; then
		failed=$((failed + 1))
		echo "FAIL: staged trees through pycache: needs cargo to build pycache (install Rust)"
	elif ! (cd "$root" && cargo build --quiet --bin pycache); then
		failed=$((failed + 1))
		echo "FAIL: staged trees through pycache: cargo build --bin pycache failed"
	else
		pycache_bin=${CARGO_TARGET_DIR:-$root/target}/debug/pycache
	fi
	if [ -n "$pycache_bin" ]; then
		PYCS012=$(for f in $PYCS01; do echo "$f"; done | sed -n 's/\.opt-1\.pyc$//p' |
			sed 's/$/.opt-2.pyc/')
		legacy="not staged"
		[ -s "$stmp/plist/stage$SP/example_legacy.pyc" ] && legacy=$(cksum < "$stmp/plist/stage$SP/example_legacy.pyc")
		for c in pep517 plist; do
			"$pycache_bin" update --no-config --root "$stmp/$c/stage" --flavor py311 --python "$vpy" \
				>"$stmp/$c/pycache.log" 2>&1 || sed 's/^/  | /' "$stmp/$c/pycache.log"
			check "staged $c, then pycache update: levels 0, 1 and 2 of every module" \
				"$(lines "$DIRS $PYCS01 $PYCS012 $([ $c = plist ] && echo $SP/example_legacy.pyc)")" \
				"$(bytecode_of $c)"
			check "staged $c, then pycache check: in sync" "0" \
				"$("$pycache_bin" check --no-config --root "$stmp/$c/stage" --flavor py311 --python "$vpy" -q >/dev/null 2>&1; echo $?)"
		done
		check "staged plist, then pycache update: the sourceless module as shipped" "$legacy" \
			"$(cat "$stmp/plist/stage$SP/example_legacy.pyc" 2>/dev/null | cksum)"
	fi
	rm -rf "$stmp"
fi

# --- the real commands, with a real gen-triggers ----------------------------
gen=${GEN_TRIGGERS:-}
if [ -z "$gen" ]; then
	if ! command -v cargo >/dev/null 2>&1; then
		failed=$((failed + 1))
		echo "FAIL: real run: needs cargo to build gen-triggers (install Rust) or GEN_TRIGGERS=/path/to/gen-triggers"
		finish
	fi
	if ! (cd "$root" && cargo build --quiet --bin gen-triggers); then
		failed=$((failed + 1))
		echo "FAIL: real run: cargo build --bin gen-triggers failed"
		finish
	fi
	gen=${CARGO_TARGET_DIR:-$root/target}/debug/gen-triggers
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
out=$(mk 'PYCACHE_FLAVORS=py311 py39' PYCACHE_GEN="$gen" WRKDIR="$tmp/work" STAGEDIR="$tmp/stage" \
	pycache-build pycache-post-install)
echo "$out" | sed 's/^/  | /'
check "real run: staged files are the plist" \
	"$(mk 'PYCACHE_FLAVORS=py311 py39' -V '${PLIST_FILES}' | tr ' ' '\n' | sed '/^$/d' | sort)" \
	"$(cd "$tmp/stage" 2>/dev/null && find . -type f | sed 's/^\.//' | sort)"
check "real run: staged trigger equals gen-triggers --stdout" \
	"$("$gen" --flavors py311 --stdout | cksum)" \
	"$(cksum < "$tmp/stage$T/pycache-py311.ucl" 2>&1)"
check "real run: gen-triggers rejects an invalid flavor and the build stops" \
	"gen-triggers: invalid flavor \"py3\": it names no minor version; expected pyXY such as py39 or py311, or py313t for a free-threaded build failed" \
	"$(mk PYCACHE_FLAVORS=py3 PYCACHE_GEN="$gen" WRKDIR="$tmp/w2" pycache-build 2>&1 | grep '^gen-triggers:') \
$(mk PYCACHE_FLAVORS=py3 PYCACHE_GEN="$gen" WRKDIR="$tmp/w2" pycache-build >/dev/null 2>&1 && echo succeeded || echo failed)"

# --- the example port, staged for real ----------------------------------------
# What cargo builds here (a debug build for the host: WITH_DEBUG, no target
# triple), post-patch, pycache.mk's gen-triggers run, do-install and the LUA
# option's helper into a real STAGEDIR: every PLIST_FILES entry is staged,
# and nothing else.  Then do-test runs the built program on CPython 3.11.
if ! (cd "$root" && cargo build --quiet); then
	failed=$((failed + 1))
	echo "FAIL: example port staged: cargo build failed"
	finish
fi
xs=$tmp/example
mkdir -p "$xs/src"
cp -R "$root/lua" "$root/etc" "$root/man" "$root/LICENSE" "$xs/src/"
XDIRS="CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target}"
if ! ex WITH_DEBUG=yes "$XDIRS" CARGO_BUILD_TARGET= WRKDIR="$xs/work" WRKSRC="$xs/src" STAGEDIR="$xs/stage" \
	'_PYTHON_VERSIONS=3.11 3.13t' post-patch pycache-build stage >"$xs/log" 2>&1; then
	sed 's/^/  | /' "$xs/log"
fi
check "example port staged: every PLIST_FILES entry is staged, and nothing else" \
	"$(ex '_PYTHON_VERSIONS=3.11 3.13t' -V '${PLIST_FILES}' | sed 's/"@sample //; s/"//g' | tr ' ' '\n' |
		sed '/^$/d; s!^\([^/]\)!/usr/local/\1!' | sort)" \
	"$(cd "$xs/stage" 2>/dev/null && find . -type f | sed 's/^\.//' | sort)"
check "example port staged: the trigger of py313t is gen-triggers' own" \
	"$("$gen" --flavors py313t --stdout | cksum)" "$(cksum < "$xs/stage$T/pycache-py313t.ucl" 2>&1)"
check "example port staged: the periodic script is rendered" "" \
	"$(grep -o '%%[A-Z_]*%%' "$xs/stage/usr/local/etc/periodic/daily/411.pycache" 2>&1)"
check "example port staged: do-test compiles and checks a site-packages with the built program" "0 yes" \
	"$(ex WITH_DEBUG=yes "$XDIRS" CARGO_BUILD_TARGET= WRKDIR="$xs/work" PYTHON_CMD=/usr/bin/python3.11 \
		do-test >"$xs/test.log" 2>&1; echo $?) \
$(ls "$xs/work/test-site/pkg/__pycache__/__init__.cpython-311.opt-2.pyc" >/dev/null 2>&1 && echo yes)"
# post-patch: with PREFIX=/usr/local the pages and pycache.lua are as in
# the repository; under another PREFIX their PREFIX paths follow it.
check "example port: post-patch leaves a /usr/local build as it is" "same" \
	"$(diff -r -x '*.bak' "$root/man" "$xs/src/man" >/dev/null && diff "$root/lua/pycache.lua" "$xs/src/lua/pycache.lua" >/dev/null && echo same)"
xp=$tmp/prefix
mkdir -p "$xp" && cp -R "$root/lua" "$root/man" "$xp/"
ex PREFIX=/opt/pc WRKSRC="$xp" post-patch >/dev/null 2>&1
check "example port: post-patch under PREFIX=/opt/pc: no /usr/local/etc or /usr/local/bin/pycache left" "" \
	"$(grep -l '/usr/local/etc/\|/usr/local/bin/pycache' "$xp"/man/*.[0-9] "$xp/lua/pycache.lua")"
check "example port: post-patch under PREFIX=/opt/pc: the configuration file and the program follow it" \
	"/opt/pc/etc/pycache.conf|local DEFAULT_PROGRAM = \"/opt/pc/bin/pycache\"" \
	"$(grep -o '/opt/pc/etc/pycache.conf' "$xp/man/pycache.conf.5" | head -1)|$(grep 'DEFAULT_PROGRAM =' "$xp/lua/pycache.lua")"
check "example port: post-patch keeps the Python flavors' /usr/local (the program's own default)" "1" \
	"$(grep -c '^\.Pa /usr/local \.$' "$xp/man/pycache.8")"

finish
