#!/bin/sh
# End-to-end trigger scenarios (tests/e2e/test_scenarios.py), pycache under
# the ways of real pkg (tests/e2e/test_pkg.py), real packages with and
# without bytecode through pkg's install, upgrade and delete
# (tests/e2e/test_packages.py) and imports that must write nothing after the
# trigger (tests/e2e/test_imports.py; run as root): builds the pycache
# program, gen-triggers and the native module, then runs every scenario
# once per backend. The PyPI wheels the last two need are downloaded once
# into target/e2e-pypi. Prints "e2e: N passed, N failed" last.
set -eu
cd "$(dirname "$0")/../.."
if ! command -v lua5.4 >/dev/null 2>&1; then
	if [ "$(id -u)" = 0 ]; then
		apt-get update -qq && apt-get install -y -qq lua5.4 >/dev/null
	else
		echo "e2e: lua5.4 is missing: apt-get install lua5.4" >&2; exit 1
	fi
fi
PY=/usr/bin/python3.11
[ -x "$PY" ] || { echo "e2e: $PY is missing: apt-get install python3.11" >&2; exit 1; }
target=${CARGO_TARGET_DIR:-target}
cargo build --release --quiet --bin pycache --bin gen-triggers
cargo build --release --quiet --lib --features lua-module
export PYCACHE_PROGRAM="$PWD/$target/release/pycache"
case $target in /*) export PYCACHE_PROGRAM="$target/release/pycache" ;; esac
export PYCACHE_GEN_TRIGGERS="${PYCACHE_PROGRAM%/pycache}/gen-triggers"
export PYCACHE_CORE_SO="${PYCACHE_PROGRAM%/pycache}/libpycache.so"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
"$PY" -m unittest -v tests/e2e/test_scenarios.py tests/e2e/test_pkg.py \
	tests/e2e/test_packages.py tests/e2e/test_imports.py >"$log" 2>&1 || status=$?
cat "$log"
"$PY" - "$log" <<'PYEOF'
import re, sys
text = open(sys.argv[1]).read()
ran = re.search(r"^Ran (\d+) test", text, re.M)
bad = re.search(r"^FAILED \((.*)\)", text, re.M)
failed = sum(int(n) for n in re.findall(r"(?:failures|errors)=(\d+)", bad.group(1))) if bad else 0
total = int(ran.group(1)) if ran else 0
print(f"e2e: {total - failed} passed, {failed if ran else max(failed, 1)} failed")
PYEOF
exit $status
