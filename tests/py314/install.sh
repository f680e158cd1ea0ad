#!/usr/bin/env bash
# Installs what the CPython 3.14 tests run on when it is missing: node and
# npm (Debian's nodejs and npm) and pyodide, the exact version pinned in
# tests/py314/package.json (CPython 3.14 compiled to WebAssembly), into
# tests/py314/node_modules (ignored by git; no lock file is written).
# Run by tests/run.sh before the Rust tests; safe to run again.
set -euo pipefail
cd "$(dirname "$0")"

want=$(sed -n 's/.*"pyodide": "\([^"]*\)".*/\1/p' package.json)
have=$(sed -n 's/^  "version": "\([^"]*\)".*/\1/p' node_modules/pyodide/package.json 2>/dev/null || true)
if [ -x /usr/bin/node ] && [ "$have" = "$want" ] && [ -f node_modules/pyodide/pyodide.asm.wasm ]; then
    exit 0
fi
if [ ! -x /usr/bin/node ] || ! command -v npm >/dev/null; then
    echo ">=> installing nodejs npm (for pyodide, CPython 3.14)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null \
        || { echo "tests/py314/install.sh: could not install node (apt-get install -y nodejs npm)" >&2; exit 1; }
fi
echo ">=> installing pyodide $want (npm)"
npm install --no-package-lock --no-save --no-audit --no-fund --loglevel=error >/dev/null \
    || { echo "tests/py314/install.sh: npm install of pyodide $want failed (cd tests/py314 && npm install --no-package-lock)" >&2; exit 1; }
have=$(sed -n 's/^  "version": "\([^"]*\)".*/\1/p' node_modules/pyodide/package.json 2>/dev/null || true)
[ "$have" = "$want" ] || { echo "tests/py314/install.sh: pyodide $want wanted, $have installed" >&2; exit 1; }
