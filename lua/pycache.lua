-- pycache.lua: what `require "pycache"` loads (installed to
-- ${LUA_MODSHAREDIR}/pycache.lua). Keeps CPython bytecode in sync for one
-- interpreter; the generated pkg triggers call M.trigger and M.cleanup.
--
-- Backends, same results and same messages:
--   native  pycache.core (src/front/lua.rs) when it loads: any Lua 5.4 with dlopen.
--   exec    the pycache program, run with pkg.exec_capture (pkg >= 2.8), with
--           pkg.exec (older pkg: the program prints its own lines), or, outside
--           pkg, through io.popen with every argument single-quoted and the
--           directory list always in a file, never on the shell's command line.
-- pkg's own Lua cannot load C modules, so inside pkg `exec` is the normal case.
-- Choose with opts.backend or $PYCACHE_LUA_BACKEND: "native", "exec" or "auto".
--
-- M.trigger/M.cleanup never raise and never return a number: inside pkg an
-- error would make pkg skip every later trigger of the transaction. Output
-- goes through io.stdout/io.stderr, never pkg.print_msg (fd 0 in triggers):
-- the report's lines on stdout, and whatever kept the job from being done
-- as one line on stderr, "pycache: FLAVOR bytecode not updated: WHAT; WHAT
-- TO DO" (README, "Messages"; see failure_line).
-- Program output is decoded as data (a small JSON reader), never `load`ed.

local M = { _VERSION = "0.1.0" }

local type, pairs, ipairs, tostring, pcall, require, error, select =
  type, pairs, ipairs, tostring, pcall, require, error, select
local tonumber, rawget, math_type, tointeger = tonumber, rawget, math.type, math.tointeger
local format, byte, char, sub, find, gsub, match =
  string.format, string.byte, string.char, string.sub, string.find, string.gsub, string.match
local concat, insert = table.concat, table.insert
local io, os = io, os
local utf8_char = utf8.char

local DEFAULT_PROGRAM = "/usr/local/bin/pycache"
-- Directory lists longer than this go to the program in a file
-- (--dirs-from), so no argv limit is ever reached.
local ARGV_DIRS_MAX, ARGV_BYTES_MAX = 64, 16384

-- The engine's options (src/settings/options.rs), in its order: the Lua type each
-- must have, what a value must be (for messages worded as the engine words
-- them) and the program flag each becomes. Values are checked by the
-- engine; this module checks only Lua types, which a flag cannot carry.
-- BEGIN options: generated from src/settings/options.rs (tests/definitions.rs keeps it equal)
local OPTIONS = {
  { key = "flavor", flag = "--flavor", kind = "flavor", lua = "string",
    expected = "a flavor such as py311, or py313t (free-threaded)" },
  { key = "prefix", flag = "--prefix", kind = "path", lua = "string",
    expected = "a path" },
  { key = "python", flag = "--python", kind = "path", lua = "string",
    expected = "a path" },
  { key = "site_packages", flag = "--site-packages", kind = "path", lua = "string",
    expected = "a path" },
  { key = "root", flag = "--root", kind = "path", lua = "string",
    expected = "a path" },
  { key = "levels", flag = "--optimize", kind = "levels", lua = "number array",
    expected = "a list of levels 0, 1 or 2", element = "0, 1 or 2" },
  { key = "invalidation_mode", flag = "--invalidation-mode", kind = "mode", lua = "string",
    expected = "timestamp, checked-hash or unchecked-hash" },
  { key = "jobs", flag = "--jobs", kind = "workers", lua = "number",
    expected = "a whole number >= 0 (0: one per core)" },
  { key = "exclude", flag = "--exclude", kind = "globs", lua = "string or string array",
    expected = "a glob or an array of globs", element = "a glob" },
  { key = "dirs", flag = "", kind = "dirs", lua = "string array",
    expected = "an array of paths", element = "a path" },
  { key = "timeout", flag = "--timeout", kind = "seconds", lua = "number",
    expected = "a number of seconds > 0" },
  { key = "verify", flag = "--verify", kind = "switch", lua = "boolean",
    expected = "true or false" },
  { key = "prune_levels", flag = "--prune-levels", kind = "switch", lua = "boolean",
    expected = "true or false" },
  { key = "config", flag = "--config", kind = "config", lua = "string",
    expected = "a path" },
  { key = "no_config", flag = "--no-config", kind = "switch", lua = "boolean",
    expected = "true or false" },
  { key = "dry_run", flag = "--dry-run", kind = "switch", lua = "boolean",
    expected = "true or false" },
}
-- END options
local OPTION = {}
for _, def in ipairs(OPTIONS) do OPTION[def.key] = def end
-- This module's own options.
local OWN_TYPES = { program = "string", backend = "string" }

---------------------------------------------------------------------------
-- JSON (the program's --json report): objects, arrays, strings, numbers,
-- booleans, null (an absent key). `\udcXX` escapes, which the program writes
-- for path bytes that are not UTF-8, become the raw byte again.

local ESCAPES = { ['"'] = '"', ["\\"] = "\\", ["/"] = "/", b = "\b", f = "\f", n = "\n", r = "\r", t = "\t" }

local decode_value

local function json_error(s, pos, what)
  error({ json = format("malformed JSON at byte %d: %s", pos, what) }, 0)
end

local function skip_space(s, pos)
  return (find(s, "[^ \t\r\n]", pos)) or #s + 1
end

local function decode_string(s, pos) -- pos is just after the opening quote
  local parts = {}
  while true do
    local stop = find(s, '["\\]', pos)
    if not stop then json_error(s, pos, "unterminated string") end
    parts[#parts + 1] = sub(s, pos, stop - 1)
    if sub(s, stop, stop) == '"' then
      return concat(parts), stop + 1
    end
    local e = sub(s, stop + 1, stop + 1)
    if e == "u" then
      local hex = match(s, "^%x%x%x%x", stop + 2)
      if not hex then json_error(s, stop, "bad \\u escape") end
      local cp = tonumber(hex, 16)
      pos = stop + 6
      if cp >= 0xD800 and cp <= 0xDBFF then
        local low = match(s, "^\\u([dD][c-fC-F]%x%x)", pos)
        if not low then json_error(s, stop, "lone high surrogate") end
        cp = 0x10000 + (cp - 0xD800) * 0x400 + (tonumber(low, 16) - 0xDC00)
        pos = pos + 6
        parts[#parts + 1] = utf8_char(cp)
      elseif cp >= 0xDC80 and cp <= 0xDCFF then
        parts[#parts + 1] = char(cp - 0xDC00) -- surrogateescape: a raw byte
      elseif cp >= 0xDC00 and cp <= 0xDFFF then
        json_error(s, stop, "lone low surrogate")
      else
        parts[#parts + 1] = utf8_char(cp)
      end
    elseif ESCAPES[e] then
      parts[#parts + 1] = ESCAPES[e]
      pos = stop + 2
    else
      json_error(s, stop, "bad escape")
    end
  end
end

function decode_value(s, pos, depth)
  if depth > 32 then json_error(s, pos, "nested too deeply") end
  pos = skip_space(s, pos)
  local c = sub(s, pos, pos)
  if c == "{" then
    local t = {}
    pos = skip_space(s, pos + 1)
    if sub(s, pos, pos) == "}" then return t, pos + 1 end
    while true do
      if sub(s, pos, pos) ~= '"' then json_error(s, pos, "expected a key") end
      local key
      key, pos = decode_string(s, pos + 1)
      pos = skip_space(s, pos)
      if sub(s, pos, pos) ~= ":" then json_error(s, pos, "expected ':'") end
      local value
      value, pos = decode_value(s, pos + 1, depth + 1)
      t[key] = value
      pos = skip_space(s, pos)
      c = sub(s, pos, pos)
      if c == "}" then return t, pos + 1 end
      if c ~= "," then json_error(s, pos, "expected ',' or '}'") end
      pos = skip_space(s, pos + 1)
    end
  elseif c == "[" then
    local t, n = {}, 0
    pos = skip_space(s, pos + 1)
    if sub(s, pos, pos) == "]" then return t, pos + 1 end
    while true do
      local value
      value, pos = decode_value(s, pos, depth + 1)
      n = n + 1
      t[n] = value
      pos = skip_space(s, pos)
      c = sub(s, pos, pos)
      if c == "]" then return t, pos + 1 end
      if c ~= "," then json_error(s, pos, "expected ',' or ']'") end
      pos = pos + 1
    end
  elseif c == '"' then
    return decode_string(s, pos + 1)
  elseif find(s, "^true", pos) then
    return true, pos + 4
  elseif find(s, "^false", pos) then
    return false, pos + 5
  elseif find(s, "^null", pos) then
    return nil, pos + 4
  end
  local num = match(s, "^-?%d+%.?%d*[eE]?[-+]?%d*", pos)
  if num and num ~= "" and num ~= "-" then
    local value = tonumber(num)
    if value == nil then json_error(s, pos, "bad number") end
    return tointeger(value) or value, pos + #num
  end
  json_error(s, pos, "unexpected " .. (c == "" and "end of input" or format("%q", c)))
end

--- Decodes one JSON text. Returns the value, or nil and a message.
local function json_decode(s)
  local ok, value, pos = pcall(decode_value, s, 1, 0)
  if not ok then
    if type(value) == "table" and value.json then return nil, value.json end
    return nil, tostring(value)
  end
  if skip_space(s, pos) <= #s then return nil, format("trailing data at byte %d", pos) end
  return value
end
M._json_decode = json_decode -- for the specs

---------------------------------------------------------------------------
-- Options

-- How a message shows a value, as the engine does (src/settings/options.rs).
local function describe(v)
  local t = type(v)
  if t == "string" then return format("%q", v) end
  if t == "number" or t == "boolean" then return tostring(v) end
  return "a " .. t
end

-- Checks the Lua types of opts as the engine would (unknown keys first,
-- then each option in the engine's order); values are the engine's to judge.
-- Returns nil, or the message of the first problem.
local function type_problem(opts, extra)
  if type(opts) ~= "table" then
    return "options must be a table, got " .. type(opts)
  end
  for key, value in pairs(opts) do
    local own = OWN_TYPES[key] or (extra and extra[key])
    if own then
      local got = type(value)
      if own == "list" and got ~= "table" or own ~= "list" and got ~= own then
        local want = own == "list" and "an array of strings" or ("a " .. own)
        return format("%s: must be %s, got %s", key, want, describe(value))
      end
    elseif not OPTION[key] then
      return format("%s: unknown option", tostring(key))
    end
  end
  for _, def in ipairs(OPTIONS) do
    local value = opts[def.key]
    if value ~= nil then
      local got, want = type(value), def.lua
      if want == "string or string array" and got == "string" then
        -- one glob
      elseif want == "string array" or want == "number array" or want == "string or string array" then
        if got ~= "table" then
          return format("%s: must be %s, got %s", def.key, def.expected, describe(value))
        end
        local element = want == "number array" and "number" or "string"
        for i = 1, #value do
          if type(value[i]) ~= element then
            return format("%s[%d]: must be %s, got %s", def.key, i, def.element, describe(value[i]))
          end
        end
      elseif got ~= want then
        return format("%s: must be %s, got %s", def.key, def.expected, describe(value))
      end
    end
  end
end

local function backend_choice(opts)
  local choice = opts.backend or os.getenv("PYCACHE_LUA_BACKEND") or "auto"
  if choice == "" then choice = "auto" end
  if choice ~= "auto" and choice ~= "native" and choice ~= "exec" then
    return nil, format("unknown backend %q: expected native, exec or auto", choice)
  end
  return choice
end

---------------------------------------------------------------------------
-- Native backend

local core, core_error
local function load_core()
  if core == nil and core_error == nil then
    local ok, loaded = pcall(require, "pycache.core")
    if ok and type(loaded) == "table" then
      core = loaded
    else
      core = false
      core_error = tostring(loaded):match("^[^\n]*")
    end
  end
  return core or nil, core_error
end

-- Returns the report, or nil, a message and whether it is misuse (a value
-- the engine refused), which M.update/check/clean raise.
local function run_native(c, command, opts)
  local copts = {}
  for key, value in pairs(opts) do
    if OPTION[key] then copts[key] = value end
  end
  local raw = type(c._raw) == "table" and c._raw[command]
  if not raw then return nil, "pycache.core is too old: no _raw." .. command end
  local ok, report, err, bad = pcall(raw, copts)
  if not ok then return nil, tostring(report):match("^[^\n]*") end
  if bad then return nil, bad, true end
  return report, err
end

---------------------------------------------------------------------------
-- Exec backend

local function has_nul(s) return find(s, "\0", 1, true) ~= nil end

-- The program's argv (without the directory list) for `command`: each
-- option's flag from OPTIONS, numbers as Lua writes them (the engine reads
-- `2.5` from a flag as it reads 2.5 from Lua); `json` is the report flag
-- (`--json` or `--json-summary`), nil for none.
local function program_argv(command, opts, json)
  local argv = { opts.program or DEFAULT_PROGRAM, command }
  for _, def in ipairs(OPTIONS) do
    local value = opts[def.key]
    if value == nil or def.kind == "dirs" then
      -- dirs are added by add_dirs
    elseif def.kind == "switch" then
      if value then argv[#argv + 1] = def.flag end
    elseif def.kind == "globs" then
      if type(value) == "string" then value = { value } end
      for _, glob in ipairs(value) do
        argv[#argv + 1] = def.flag
        argv[#argv + 1] = glob
      end
    elseif def.kind == "levels" then
      local levels = {}
      for i, l in ipairs(value) do levels[i] = tostring(l) end
      argv[#argv + 1] = def.flag
      argv[#argv + 1] = concat(levels, ",")
    else
      argv[#argv + 1] = def.flag
      argv[#argv + 1] = tostring(value)
    end
  end
  if json then argv[#argv + 1] = json end
  return argv
end

-- Writes dirs NUL-separated to a new temporary file; returns its name.
local function write_dirs(dirs)
  local ok, name = pcall(os.tmpname)
  if not ok or type(name) ~= "string" then
    return nil, "cannot create a temporary file for the directory list: " .. tostring(name)
  end
  local f, err = io.open(name, "wb")
  if not f then return nil, "cannot write the directory list: " .. tostring(err) end
  local written, werr = f:write(concat(dirs, "\0"))
  local closed, cerr = f:close()
  if not written or not closed then
    os.remove(name)
    return nil, format("cannot write the directory list %s: %s", name, tostring(werr or cerr))
  end
  return name
end

-- Adds the directory list to argv: after `--` when short and no shell is
-- involved, else in a file (pkg's `arg` never passes through a shell).
-- Returns the temporary file to remove afterwards, if any.
local function add_dirs(argv, dirs, via_shell)
  if dirs == nil then return true end
  local bytes = 0
  for _, d in ipairs(dirs) do bytes = bytes + #d + 1 end
  if not via_shell and #dirs > 0 and #dirs <= ARGV_DIRS_MAX and bytes <= ARGV_BYTES_MAX then
    argv[#argv + 1] = "--"
    for _, d in ipairs(dirs) do argv[#argv + 1] = d end
    return true
  end
  local name, err = write_dirs(dirs)
  if not name then return nil, err end
  insert(argv, 3, "--dirs-from")
  insert(argv, 4, name)
  return true, name
end

local function quote(s)
  return "'" .. gsub(s, "'", [['\'']]) .. "'"
end

local function read_all(name)
  local f = io.open(name, "rb")
  if not f then return "" end
  local text = f:read("a") or ""
  f:close()
  return text
end

-- Outside pkg: io.popen through /bin/sh, every argument single-quoted.
-- Returns stdout, stderr, exit code (nil, message when it cannot run).
local function popen_capture(argv)
  local quoted = {}
  for i, a in ipairs(argv) do quoted[i] = quote(a) end
  local ok, errname = pcall(os.tmpname)
  local redirect = ok and (" 2>" .. quote(errname)) or " 2>/dev/null"
  local f, err = io.popen("exec " .. concat(quoted, " ") .. redirect, "r")
  if not f then
    if ok then os.remove(errname) end
    return nil, err
  end
  local out = f:read("a") or ""
  local _, how, code = f:close()
  local errtext = ok and read_all(errname) or ""
  if ok then os.remove(errname) end
  if how == "signal" then return out, errtext, 128 + (code or 0) end
  return out, errtext, code or 0
end

-- Whether `program` exists (lstat inside pkg, open outside).
local function program_exists(program)
  local pkg = rawget(_G, "pkg")
  if type(pkg) == "table" and type(pkg.stat) == "function" then
    local ok, st = pcall(pkg.stat, program)
    return ok and st ~= nil
  end
  local f = io.open(program, "rb")
  if f then f:close() return true end
  return false
end

local function first_line(s)
  return match(s or "", "^%s*([^\n]-)%s*\n") or match(s or "", "^%s*(.-)%s*$")
end

-- errno values posix_spawn gives for a program that cannot run.
local SPAWN_ERRORS = { [2] = "No such file or directory", [8] = "Exec format error",
  [13] = "Permission denied", [20] = "Not a directory" }

-- Turns captured output into a report, or nil and a message. pkg's
-- exec_capture answers a failed spawn with nil, nil, errno.
local function read_report(program, out, err, code)
  if type(out) ~= "string" then
    local why = type(err) == "string" and err
      or SPAWN_ERRORS[code] or format("errno %s", tostring(code))
    return nil, format("%s: cannot run the pycache program: %s; reinstall pycache", program, why)
  end
  local report, jerr
  if find(out, "^%s*{") then report, jerr = json_decode(out) end
  if type(report) == "table" and report.lines then
    return report
  end
  if type(report) == "table" and type(report.error) == "string" then
    return nil, report.error, report.kind == "option"
  end
  local why = first_line(err)
  if why ~= "" then
    why = gsub(why, "^pycache: ", "")
    return nil, why
  end
  if code == 126 or code == 127 then
    return nil, format("%s: cannot run the pycache program (exit status %s); reinstall pycache",
      program, tostring(code))
  end
  -- pkg's exec_capture gives status 0 to a child killed by a signal: empty
  -- or cut output with status 0 is a failure too, never a good run.
  return nil, format("%s: no report from the pycache program (exit status %s%s%s); run it by hand to see why",
    program, tostring(code), code == 0 and ", as pkg shows a program killed by a signal" or "",
    jerr and ("; " .. jerr) or "")
end

-- pkg.exec's answer to a child that exited non-zero. pkg 1.17.4 to 1.20.6
-- spelled it "Abnormal terminaison" (fixed in 1.20.7 and 1.21.0).
local EXEC_EXITED_NONZERO = { ["Abnormal termination"] = true, ["Abnormal terminaison"] = true }

local function run_exec(command, opts, summary)
  local program = opts.program or DEFAULT_PROGRAM
  for _, v in ipairs({ program, opts.python or "", opts.site_packages or "", opts.root or "" }) do
    if has_nul(v) then return nil, "a path contains a NUL byte" end
  end
  for _, d in ipairs(opts.dirs or {}) do
    if has_nul(d) then return nil, "a directory name contains a NUL byte" end
  end
  if not program_exists(program) then
    return nil, format("%s: program not found; reinstall pycache", program)
  end
  local pkg = rawget(_G, "pkg")
  local in_pkg = type(pkg) == "table"
  local capture = in_pkg and pkg.exec_capture or nil
  local plain = in_pkg and not capture and pkg.exec or nil
  -- pkg < 2.8 (plain exec) shows the program's own lines: no report flag.
  local report_flag = nil
  if not plain then report_flag = summary and "--json-summary" or "--json" end
  local argv = program_argv(command, opts, report_flag)
  local ok, tmp = add_dirs(argv, opts.dirs, not in_pkg)
  if not ok then return nil, tmp end
  local report, err, bad
  if plain then
    -- pkg < 2.8: the program prints its own lines; only success is known.
    local called, pid, msg = pcall(plain, argv)
    if not called then
      err = format("%s: cannot run the pycache program: %s; reinstall pycache", program, tostring(pid))
    elseif pid then
      report = { printed = true, exit_code = 0 }
    elseif EXEC_EXITED_NONZERO[msg] then
      report = { printed = true, exit_code = 1 }
    else
      err = format("%s: cannot run the pycache program: %s; reinstall pycache", program, tostring(msg))
    end
  else
    local run = capture or popen_capture
    local called, out, errtext, code = pcall(run, argv)
    if not called then
      err = format("%s: cannot run the pycache program: %s; reinstall pycache", program, tostring(out))
    else
      report, err, bad = read_report(program, out, errtext, code)
    end
  end
  if tmp then os.remove(tmp) end
  return report, err, bad
end

---------------------------------------------------------------------------
-- Commands

-- `summary`: the report without its lists of paths (a trigger prints only
-- its lines), so that removing a large package does not send every removed
-- path through pkg's pipe and this module's JSON reader.
local function run_command(command, opts, summary)
  local choice, err = backend_choice(opts)
  if not choice then return nil, err end
  if choice ~= "exec" then
    local c, why = load_core()
    if c then return run_native(c, command, opts) end
    if choice == "native" then return nil, "pycache.core cannot be loaded: " .. tostring(why) end
  end
  return run_exec(command, opts, summary)
end

-- M.update/check/clean: the command, raising what the engine calls misuse.
local function api(command, opts)
  if opts == nil then opts = {} end
  local problem = type_problem(opts)
  if problem then error(format("pycache.%s: %s", command, problem), 3) end
  local report, err, bad = run_command(command, opts)
  if bad then error(format("pycache.%s: %s", command, err), 3) end
  return report, err
end

--- Cleans, then compiles what is missing or stale. opts: the engine's
-- options (OPTIONS above; without flavor and python, python3 on PATH) and
-- this module's program and backend. Returns the report table, or nil and
-- a message.
function M.update(opts)
  return api("update", opts)
end

--- Reports what is missing, stale or orphaned; changes nothing.
function M.check(opts)
  return api("check", opts)
end

--- Removes this interpreter's orphaned bytecode and empty caches only.
function M.clean(opts)
  return api("clean", opts)
end

---------------------------------------------------------------------------
-- Trigger entry points

-- pkg's `arg`: nil or empty means the whole tree; strings only.
local function touched_dirs(arg)
  if type(arg) ~= "table" then return nil end
  local dirs, seen = {}, {}
  for _, d in ipairs(arg) do
    if type(d) == "string" and d ~= "" and not seen[d] then
      seen[d] = true
      dirs[#dirs + 1] = d
    end
  end
  if #dirs == 0 then return nil end
  return dirs
end

local function say(lines, stream)
  if #lines > 0 then stream:write(concat(lines, "\n"), "\n") end
end

local TRIGGER_KEYS = { arg = "list" }

local function run_trigger(kind, opts)
  if type(opts) ~= "table" then
    return nil, "options must be a table"
  end
  local problem = type_problem(opts, TRIGGER_KEYS)
  if problem then return nil, format("pycache.%s: %s", kind, problem) end
  local jopts = {}
  for key, value in pairs(opts) do
    if key ~= "arg" then jopts[key] = value end
  end
  local command = "update"
  if kind == "cleanup" then
    command = "clean"
  else
    jopts.dirs = touched_dirs(opts.arg)
  end
  return run_command(command, jopts, true)
end

-- The one shape of a trigger's failure (README, "Messages"): a single line
-- on stderr, "pycache: FLAVOR bytecode not updated: WHAT; WHAT TO DO"
-- ("not cleaned" for the cleanup block). What was done still goes to stdout
-- as the report's summary line.
local function failure_line(kind, opts, message)
  local who = type(opts) == "table" and (opts.flavor or opts.python) or nil
  local line = first_line(tostring(message))
  return format("pycache: %sbytecode not %s: %s", who and (tostring(who) .. " ") or "",
    kind == "cleanup" and "cleaned" or "updated", line)
end

-- Prints a trigger's outcome: the report's lines on stdout, except its
-- error (what kept the job from being done), which is the failure line.
local function tell(kind, opts, report, err)
  if not report then
    say({ failure_line(kind, opts, err) }, io.stderr)
    return
  end
  if report.printed then return end -- pkg < 2.8: the program printed its own
  -- With an error, the report's last line is it (src/run/report.rs):
  -- printed as the failure line instead.
  local lines, problem = {}, report.error
  local n = #(report.lines or {})
  if problem then n = n - 1 end
  for i = 1, n do lines[i] = report.lines[i] end
  say(lines, io.stdout)
  io.stdout:flush()
  if problem then say({ failure_line(kind, opts, problem) }, io.stderr) end
end

local function entry(kind, opts)
  local ok, report, err = pcall(run_trigger, kind, opts)
  if not ok then
    report, err = nil, "internal error: " .. tostring(report):match("^[^\n]*")
      .. "; this is a bug in pycache.lua, please report it"
  end
  local done = pcall(function()
    tell(kind, opts, report, err)
    io.stdout:flush()
  end)
  if not done then return nil end
  return report, err
end

--- What a generated trigger calls after a transaction: updates the
-- directories in opts.arg (all of site-packages when arg is nil or empty)
-- and prints the summary. Never raises; returns the report, or nil and the
-- message it printed.
function M.trigger(opts)
  return entry("trigger", opts)
end

--- What a generated trigger's cleanup block calls when the trigger file is
-- removed: cleans the whole site-packages. Never raises.
function M.cleanup(opts)
  return entry("cleanup", opts)
end

return M
