-- Shared by the pycache specs: paths of the built artifacts (set by
-- tests/lua/run.sh), temporary trees and small file helpers.
local H = {}

local here = debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$") or "."
H.repo = here .. "/../.."

function H.need(var, what)
  local v = os.getenv(var)
  if not v or v == "" then
    error(var .. " is not set (" .. what .. "): run tests/lua/run.sh", 2)
  end
  return v
end

H.python = "/usr/bin/python3.11"

function H.sh(cmd)
  local ok = os.execute(cmd)
  assert(ok, "command failed: " .. cmd)
end

function H.quote(s) return "'" .. s:gsub("'", [['\'']]) .. "'" end

function H.tmpdir()
  local p = io.popen("mktemp -d /tmp/pycache-spec-XXXXXX")
  local d = p:read("l")
  p:close()
  return d
end

function H.write(path, text)
  H.sh("mkdir -p " .. H.quote(path:match("^(.*)/[^/]*$")))
  local f = assert(io.open(path, "wb"))
  f:write(text)
  f:close()
end

function H.exists(path)
  local f = io.open(path, "rb")
  if f then f:close() return true end
  return os.rename(path, path) and true or false
end

function H.rm(path) os.execute("rm -rf " .. H.quote(path)) end

-- A site-packages with one package; returns its path.
function H.site(tmp)
  local sp = tmp .. "/site-packages"
  H.write(sp .. "/pkg/__init__.py", "X = 1\n")
  H.write(sp .. "/pkg/mod.py", "Y = 2\n")
  return sp
end

function H.require_core()
  package.cpath = H.need("PYCACHE_CPATH", "where pycache/core.so is") .. "/?.so;" .. package.cpath
  return require("pycache.core")
end

function H.require_pycache()
  package.path = H.repo .. "/lua/?.lua;" .. package.path
  package.loaded["pycache"] = nil
  return require("pycache")
end

return H
