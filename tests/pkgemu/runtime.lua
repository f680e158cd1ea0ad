-- The Lua side of the pkg trigger emulator (tests/pkgemu/pkgemu.py).
--
-- `lua5.4 runtime.lua run` is one forked pkg child: it asks the emulator
-- (over the pipes named by PKGEMU_REQ/PKGEMU_RESP) for the script, `arg` and
-- root, builds pkg's globals in this fresh state, runs the script as pkg's
-- triggers.c does and says how it ended. Filesystem and process work of the
-- `pkg` table is done by the emulator in Python (pkgemu.py), since Debian's
-- lua-posix has no Lua 5.4 build.
--
-- `lua5.4 runtime.lua parse FILE` reads a trigger file with the strict UCL
-- reader (tests/support/ucl.lua) and prints it as JSON for the emulator.

local mode = ...
local here = (arg and arg[0] or ""):match("^(.*)/[^/]*$") or "."
local format, concat, byte = string.format, table.concat, string.byte

local function json(v)
  local t = type(v)
  if t == "string" then
    return '"' .. v:gsub('[%c"\\]', function(c)
      return format("\\u%04x", byte(c))
    end) .. '"'
  elseif t == "boolean" or t == "number" then
    return tostring(v)
  elseif t == "table" then
    local parts = {}
    if #v > 0 or next(v) == nil then
      for i, x in ipairs(v) do parts[i] = json(x) end
      return "[" .. concat(parts, ",") .. "]"
    end
    for k, x in pairs(v) do parts[#parts + 1] = json(tostring(k)) .. ":" .. json(x) end
    return "{" .. concat(parts, ",") .. "}"
  end
  return "null"
end

if mode == "parse" then
  local ucl = dofile(here .. "/../support/ucl.lua")
  local f = assert(io.open(select(2, ...), "rb"))
  local text = f:read("a")
  f:close()
  local t, err = ucl.parse(text)
  io.stdout:write(json(t and { ok = t } or { error = err }))
  return
end

assert(mode == "run", "usage: lua5.4 runtime.lua run | parse FILE")

-- The channel to the emulator: each message is a count line, then that many
-- fields as "LENGTH\n" followed by LENGTH bytes.
local req = assert(io.open(os.getenv("PKGEMU_REQ"), "wb"))
local resp = assert(io.open(os.getenv("PKGEMU_RESP"), "rb"))

local function send(...)
  local n = select("#", ...)
  local parts = { format("%d\n", n) }
  for i = 1, n do
    local s = tostring((select(i, ...)))
    parts[#parts + 1] = format("%d\n", #s)
    parts[#parts + 1] = s
  end
  req:write(concat(parts))
  req:flush()
end

local function receive()
  local n = assert(tonumber(resp:read("l")), "emulator closed the channel")
  local fields = {}
  for i = 1, n do
    local len = tonumber(resp:read("l"))
    fields[i] = len > 0 and resp:read(len) or ""
  end
  return fields
end

local function call(op, ...)
  io.stdout:flush()
  io.stderr:flush()
  send(op, ...)
  return receive()
end

-- The job: script, sandbox, root, then what the emulated pkg version has
-- (exec_capture, C modules, pkg.symlink, pkg_upgrade), then the `arg`
-- entries.
local job = call("job")
local script, sandbox, root = job[1], job[2] == "true", job[3]
local with_capture, dlopen = job[4] == "true", job[5] == "true"
local with_symlink, with_upgrade = job[6] == "true", job[7] == "true"
local pkg_arg = {}
for i = 8, #job do pkg_arg[#pkg_arg + 1] = job[i] end

local function relative(path)
  path = tostring(path)
  local rel = path:gsub("^/+", "")
  if root == "/" then return "/" .. rel end
  return root .. "/" .. rel
end

-- Answers are "ok" plus values, or "err" plus message and errno.
local function answer(fields)
  if fields[1] == "err" then return nil, fields[2], math.tointeger(tonumber(fields[3])) end
  return table.unpack(fields, 2)
end

local pkg = {}

function pkg.stat(path)
  local f = call("stat", relative(path))
  if f[1] ~= "ok" then return nil end
  return { size = math.tointeger(tonumber(f[2])), uid = math.tointeger(tonumber(f[3])),
           gid = math.tointeger(tonumber(f[4])), type = f[5] }
end

function pkg.readdir(path)
  local f = call("readdir", relative(path))
  if f[1] == "err" then return answer(f) end
  return { table.unpack(f, 2) }
end

local function argv_of(name, argv)
  if type(argv) ~= "table" then error(format("bad argument #1 to '%s' (table expected, got %s)", name, type(argv)), 3) end
  local out = {}
  for i, a in ipairs(argv) do
    if type(a) ~= "string" and type(a) ~= "number" then
      error(format("bad argument #1 to '%s' (argv[%d] must be a string)", name, i), 3)
    end
    out[i] = tostring(a)
  end
  if #out == 0 then error(format("bad argument #1 to '%s' (empty argv)", name), 3) end
  return out
end

function pkg.exec(argv)
  if sandbox then error("pkg.exec not available in sandbox", 2) end
  local f = call("exec", table.unpack(argv_of("exec", argv)))
  if f[1] == "err" then return answer(f) end
  return math.tointeger(tonumber(f[2]))
end

if with_capture then -- pkg >= 2.8
  function pkg.exec_capture(argv)
    if sandbox then error("pkg.exec_capture not available in sandbox", 2) end
    local f = call("exec_capture", table.unpack(argv_of("exec_capture", argv)))
    -- pkg's lua_exec_capture: a failed spawn gives nil, nil, errno.
    if f[1] == "err" then return nil, nil, math.tointeger(tonumber(f[3])) end
    return f[2], f[3], math.tointeger(tonumber(f[4]))
  end
end

function pkg.print_msg(s)
  call("fd0", tostring(s))
end

function pkg.copy(src, dst)
  return answer(call("copy", relative(src), relative(dst)))
end

function pkg.filecmp(a, b)
  return math.tointeger(tonumber(call("filecmp", relative(a), relative(b))[2]))
end

if with_symlink then -- pkg >= 1.18.4
  function pkg.symlink(target, link)
    return answer(call("symlink", tostring(target), relative(link)))
  end
end

-- pkg's replacements in io and os: relative to the root.
local host_open, host_remove, host_rename = io.open, os.remove, os.rename
io.open = function(path, m) return host_open(relative(path), m) end
os.remove = function(path)
  local ok, err, code = host_remove(relative(path))
  if not ok and code == 2 then return true end -- ENOENT
  return ok, err, code
end
os.rename = function(from, to) return host_rename(relative(from), relative(to)) end
os.exit = function() error("os.exit not available in a trigger", 2) end
if sandbox then
  os.execute = function() error("os.execute not available in sandbox", 2) end
end

-- pkg's Lua is built without LUA_USE_DLOPEN: C modules cannot load.
local NO_DLOPEN = "dynamic libraries not enabled; check your Lua installation"
local function c_searcher(name)
  local file, tried = package.searchpath(name, package.cpath)
  if not file then return "\n\t" .. tried:gsub("^\n\t", "") end
  error(format("error loading module '%s' from file '%s':\n\t%s", name, file, NO_DLOPEN))
end
local function croot_searcher(name)
  local rootname = name:match("^([^.]*)%.")
  if not rootname then return nil end
  local file = package.searchpath(rootname, package.cpath)
  if not file then return nil end
  error(format("error loading module '%s' from file '%s':\n\t%s", name, file, NO_DLOPEN))
end
if not dlopen then
  package.searchers[3] = c_searcher
  package.searchers[4] = croot_searcher
  package.loadlib = function() return nil, NO_DLOPEN, "absent" end
end

_G.pkg = pkg
_G.rootfd = 3
_G.arg = pkg_arg
if with_upgrade then -- pkg >= 2.7
  _G.pkg_upgrade = false -- per-transaction triggers: always false
end

-- As triggers.c: luaL_dostring in the forked child, which prints the error
-- and exits 1; a non-zero number on top exits 1 too. The parent then prints
-- "lua script failed" for any non-zero exit.
local function finish(status, detail)
  io.stdout:flush()
  io.stderr:flush()
  send("done", status, detail or "")
end

local function failed(status, msg)
  if msg then io.stderr:write("pkg: Failed to execute lua trigger: ", msg, "\n") end
  io.stderr:write("pkg: lua script failed\n")
  finish(status, msg)
end

local chunk, load_err = load(script)
if not chunk then
  failed("error", tostring(load_err))
  return
end
local results = table.pack(pcall(chunk))
if not results[1] then
  local msg = results[2]
  -- lua_tostring: strings and numbers print, anything else is NULL.
  msg = type(msg) == "string" and msg or (type(msg) == "number" and tostring(msg)) or "(null)"
  failed("error", msg)
  return
end
local last = results.n > 1 and results[results.n] or nil
local number = (type(last) == "number" or type(last) == "string") and tonumber(last) or nil
if number and number ~= 0 then
  failed("nonzero", nil)
  return
end
finish("ok")
