-- pycache.lua: what `require "pycache"` loads (installed to
-- ${LUA_MODSHAREDIR}/pycache.lua). Keeps CPython bytecode in sync for one
-- interpreter; the generated pkg triggers call M.trigger and M.cleanup.
--
-- Backends, same results and same messages:
--   native  pycache.core (src/front/lua.rs) when it loads: any Lua 5.4 with
--           dlopen.
--   exec    the pycache program, run with pkg.exec_capture (pkg >= 2.8), with
--           pkg.exec (older pkg: the program prints its own lines), or, outside
--           pkg, through io.popen with every argument single-quoted and the
--           request always in a file, never on the shell's command line.
-- pkg's own Lua cannot load C modules, so inside pkg `exec` is the normal case.
-- Choose with opts.backend or $PYCACHE_LUA_BACKEND: "native", "exec" or "auto".
--
-- This module translates only. The options go to the engine as given: to
-- pycache.core as the Lua table, to the program as the same table written
-- as JSON (`pycache request`, src/front/json_request.rs), so the engine alone checks
-- them and says what is wrong, in the same words on both backends. What
-- comes back is the engine's report or error, decoded as data (a small JSON
-- reader), never `load`ed. This module's own words are for its own
-- options and for a program that cannot be run or gives no report.
--
-- M.trigger/M.cleanup never raise and never return a number: inside pkg an
-- error would make pkg skip every later trigger of the transaction. Output
-- goes through io.stdout/io.stderr, never pkg.print_msg (fd 0 in triggers):
-- the report's lines on stdout, and whatever kept the job from being done
-- as one line on stderr, "pycache: FLAVOR bytecode not updated: WHAT; WHAT
-- TO DO" (docs/triggers-and-ports.md, "Messages"; its start is FAILURE_START below). The
-- report's lines come escaped for a terminal from the engine; this module
-- escapes its own line the same way (`shown`, src/text.rs), since what it
-- quotes (the engine's error, the program's path and stderr) may hold a
-- file name's control characters.

local M = { _VERSION = "0.1.0" }

local type, pairs, ipairs, tostring, pcall, require, error =
  type, pairs, ipairs, tostring, pcall, require, error
local tonumber, rawget, rawlen, math_type, tointeger =
  tonumber, rawget, rawlen, math.type, math.tointeger
local format, byte, char, sub, find, gsub, match =
  string.format, string.byte, string.char, string.sub, string.find, string.gsub, string.match
local concat = table.concat
local io, os = io, os
local utf8_char, utf8_len, utf8_codes = utf8.char, utf8.len, utf8.codes

local DEFAULT_PROGRAM = "/usr/local/bin/pycache"
-- Inside pkg, a request longer than this goes to the program in a file
-- (--from), so no argv limit is ever reached.
local ARGV_BYTES_MAX = 16384

-- How a trigger's failure line starts (%s: the flavor and a space).
-- BEGIN failure: generated from src/front/failure_line.rs (tests/definitions.rs keeps it equal)
local FAILURE_START = {
  update = "pycache: %sbytecode not updated: ",
  clean = "pycache: %sbytecode not cleaned: ",
}
-- END failure

-- This module's own options, and the Lua type each must have; every other
-- key is the engine's.
local OWN = { program = "string", backend = "string" }

---------------------------------------------------------------------------
-- Text for a terminal, as src/text.rs shows the program's lines: a
-- backslash and every character of ESCAPED as an escape (\\, \t, \n, \r,
-- \x1b, \u{9b}, \u{202e}); a byte that is not UTF-8 as U+FFFD.

-- BEGIN escaped: generated from src/text.rs (tests/definitions.rs keeps it equal)
local ESCAPED = {
  { 0x0, 0x1f },
  { 0x7f, 0x9f },
  { 0x61c, 0x61c },
  { 0x200e, 0x200f },
  { 0x2028, 0x202e },
  { 0x2066, 0x2069 },
}
-- END escaped

local SHORT = { [0x5c] = "\\\\", [0x09] = "\\t", [0x0a] = "\\n", [0x0d] = "\\r" }
local REPLACEMENT = utf8_char(0xFFFD)

local function escape_char(cp)
  local short = SHORT[cp]
  if short then return short end
  for i = 1, #ESCAPED do
    local range = ESCAPED[i]
    if cp >= range[1] and cp <= range[2] then
      return cp < 0x80 and format("\\x%02x", cp) or format("\\u{%x}", cp)
    end
  end
  return nil
end

local function shown(s)
  if not find(s, "[\0-\31\127-\255\\]") then return s end
  local out, i, n = {}, 1, #s
  while i <= n do
    local valid, bad = utf8_len(s, i)
    local stop = valid and n or bad - 1
    if stop >= i then
      for _, cp in utf8_codes(sub(s, i, stop)) do
        out[#out + 1] = escape_char(cp) or utf8_char(cp)
      end
    end
    if valid then break end
    out[#out + 1] = REPLACEMENT
    i = bad + 1
  end
  return concat(out)
end
M._shown = shown -- for the specs

---------------------------------------------------------------------------
-- surrogateescape: how the program's JSON spells a byte of a name that is
-- not UTF-8 (src/front/surrogate.rs), both ways: the byte 0x80 to 0xFF as
-- the escape \udc80 to \udcff, and back.

local function surrogate_escape(b) return format("\\udc%02x", b) end

local function surrogate_byte(cp)
  if cp >= 0xDC80 and cp <= 0xDCFF then return char(cp - 0xDC00) end
  return nil
end

---------------------------------------------------------------------------
-- JSON in (the program's --json report): objects, arrays, strings, numbers,
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
      elseif surrogate_byte(cp) then
        parts[#parts + 1] = surrogate_byte(cp)
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
-- JSON out: the request (src/front/json_request.rs). A table is the array of its
-- sequence, as pycache.core reads one; what JSON has no word for is an
-- object the engine reads back ({"number": "inf"}, {"type": "function"}).

local CONTROL = { ['"'] = '\\"', ["\\"] = "\\\\" }

local function encode_string(s)
  local out, i, n = {}, 1, #s
  while i <= n do
    local valid, bad = utf8_len(s, i)
    local stop = valid and n or bad - 1
    if stop >= i then
      out[#out + 1] = gsub(sub(s, i, stop), '[%c"\\]', function(c)
        return CONTROL[c] or format("\\u%04x", byte(c))
      end)
    end
    if valid then break end
    out[#out + 1] = surrogate_escape(byte(s, bad))
    i = bad + 1
  end
  return '"' .. concat(out) .. '"'
end

local function encode_number(v)
  if math_type(v) == "integer" then return format("%d", v) end
  if v ~= v then return '{"number":"nan"}' end
  if v == math.huge then return '{"number":"inf"}' end
  if v == -math.huge then return '{"number":"-inf"}' end
  local text = format("%.17g", v)
  if not find(text, "[.eE]") then text = text .. ".0" end -- 2.0 stays a float
  return text
end

-- A value at `depth` (an option's value is 1): no option takes a table in
-- a table, so one there is only named, which also ends a table holding
-- itself.
local function encode_value(v, depth)
  local t = type(v)
  if t == "string" then return encode_string(v) end
  if t == "number" then return encode_number(v) end
  if t == "boolean" then return tostring(v) end
  if t == "table" and depth < 2 then
    local items = {}
    for i = 1, rawlen(v) do items[i] = encode_value(rawget(v, i), depth + 1) end
    return "[" .. concat(items, ",") .. "]"
  end
  return '{"type":' .. encode_string(t) .. "}"
end

-- The request for `command` with the engine's options `opts` (a table as
-- [key, value] pairs, since a key need not be a string; anything else as
-- it is, for the engine to refuse).
local function request_json(command, opts)
  local options = "null" -- nil: every default
  if type(opts) == "table" then
    local items = {}
    for key, value in pairs(opts) do
      items[#items + 1] = "[" .. encode_value(key, 1) .. "," .. encode_value(value, 1) .. "]"
    end
    options = "[" .. concat(items, ",") .. "]"
  elseif opts ~= nil then
    options = encode_value(opts, 1)
  end
  return '{"job":' .. encode_string(command) .. ',"options":' .. options .. "}"
end
M._request_json = request_json -- for the specs

---------------------------------------------------------------------------
-- Options

local OWN_WORDS = { string = "a string", table = "an array of strings" }

-- How a message shows a value, as the engine does (src/settings/raw.rs).
local function describe(v)
  local t = type(v)
  if t == "string" then return format("%q", v) end
  if t == "number" or t == "boolean" then return tostring(v) end
  return "a " .. t
end

-- Splits opts into this module's own options (checked here: they are its
-- own) and the engine's (passed on as they are). `extra` adds own keys.
-- Returns own, engine, or nil and a message.
local function split_options(opts, extra)
  if type(opts) ~= "table" then return {}, opts end
  local own, engine = {}, {}
  for key, value in pairs(opts) do
    local want = OWN[key] or (extra and extra[key])
    if want then
      if type(value) ~= want then
        return nil, format("%s: must be %s, got %s", key, OWN_WORDS[want], describe(value))
      end
      own[key] = value
    else
      engine[key] = value
    end
  end
  return own, engine
end

local function backend_choice(own)
  local choice = own.backend or os.getenv("PYCACHE_LUA_BACKEND") or "auto"
  if choice == "" then choice = "auto" end
  if choice ~= "auto" and choice ~= "native" and choice ~= "exec" then
    return nil, format("unknown backend %q; give native, exec or auto", choice)
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
  local raw = type(c._raw) == "table" and c._raw[command]
  if not raw then return nil, "pycache.core is too old: no _raw." .. command .. "; reinstall pycache" end
  local ok, report, err, bad = pcall(raw, opts)
  if not ok then return nil, tostring(report):match("^[^\n]*") end
  if bad then return nil, bad, true end
  return report, err
end

---------------------------------------------------------------------------
-- Exec backend

-- Writes text to a new temporary file; returns its name.
local function write_temporary(text)
  local ok, name = pcall(os.tmpname)
  if not ok or type(name) ~= "string" then
    return nil, "cannot create a temporary file for the request: " .. tostring(name)
      .. "; make /tmp writable"
  end
  local f, err = io.open(name, "wb")
  if not f then return nil, "cannot write the request: " .. tostring(err) .. "; make /tmp writable" end
  local written, werr = f:write(text)
  local closed, cerr = f:close()
  if not written or not closed then
    os.remove(name)
    return nil, format("cannot write the request %s: %s; make /tmp writable", name, tostring(werr or cerr))
  end
  return name
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

-- Turns captured output into a report, or nil, the engine's message and
-- whether the engine calls it misuse. pkg's exec_capture answers a failed
-- spawn with nil, nil, errno.
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
  if code == 126 or code == 127 then
    return nil, format("%s: cannot run the pycache program (exit status %s); reinstall pycache",
      program, tostring(code))
  end
  -- pkg's exec_capture gives status 0 to a child killed by a signal: empty
  -- or cut output with status 0 is a failure too, never a good run. What
  -- it printed on stderr is shown as it is, for the admin to read.
  local said = first_line(err)
  return nil, format("%s: no report from the pycache program (exit status %s%s%s)%s; run it by hand to see why",
    program, tostring(code), code == 0 and ", as pkg shows a program killed by a signal" or "",
    jerr and ("; " .. jerr) or "", said ~= "" and ("; it printed: " .. said) or "")
end

-- pkg.exec's answer to a child that exited non-zero. pkg 1.17.4 to 1.20.6
-- spelled it "Abnormal terminaison" (fixed in 1.20.7 and 1.21.0).
local EXEC_EXITED_NONZERO = { ["Abnormal termination"] = true, ["Abnormal terminaison"] = true }

local function run_exec(command, program, opts, summary)
  if find(program, "\0", 1, true) then
    return nil, "the program's path contains a NUL byte; give the pycache program's path"
  end
  if not program_exists(program) then
    return nil, format("%s: program not found; reinstall pycache", program)
  end
  local pkg = rawget(_G, "pkg")
  local in_pkg = type(pkg) == "table"
  local capture = in_pkg and pkg.exec_capture or nil
  local plain = in_pkg and not capture and pkg.exec or nil
  local argv = { program, "request" }
  -- pkg < 2.8 (plain exec) shows the program's own lines: no report flag.
  if not plain then argv[#argv + 1] = summary and "--json-summary" or "--json" end
  -- Outside pkg a shell runs the program: the request never passes
  -- through it, only the name of its file.
  local request, tmp = request_json(command, opts), nil
  if in_pkg and #request <= ARGV_BYTES_MAX then
    argv[#argv + 1] = request
  else
    local err
    tmp, err = write_temporary(request)
    if not tmp then return nil, err end
    argv[#argv + 1] = "--from"
    argv[#argv + 1] = tmp
  end
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

-- Runs `command` with this module's own options `own` and the engine's
-- `opts`. `summary`: the report without its lists of paths (a trigger
-- prints only its lines), so that removing a large package does not send
-- every removed path through pkg's pipe and this module's JSON reader.
local function run_command(command, own, opts, summary)
  local choice, err = backend_choice(own)
  if not choice then return nil, err end
  if choice ~= "exec" then
    local c, why = load_core()
    if c then return run_native(c, command, opts) end
    if choice == "native" then
      return nil, "pycache.core cannot be loaded: " .. tostring(why)
        .. "; reinstall pycache, or choose the exec backend"
    end
  end
  return run_exec(command, own.program or DEFAULT_PROGRAM, opts, summary)
end

-- M.update/check/clean: the command, raising what the engine calls misuse.
local function api(command, opts)
  local own, engine = split_options(opts)
  if not own then error(format("pycache.%s: %s", command, engine), 3) end
  local report, err, bad = run_command(command, own, engine)
  if bad then error(format("pycache.%s: %s", command, err), 3) end
  return report, err
end

--- Cleans, then compiles what is missing or stale. opts: the engine's
-- options (pycache.lua(3); without flavor and python, python3 on PATH) and this
-- module's program and backend. Returns the report table, or nil and a
-- message.
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

-- The trigger block runs `update` of what pkg touched, the cleanup block
-- `clean` of the whole site-packages.
local TRIGGER_COMMANDS = { trigger = "update", cleanup = "clean" }
local TRIGGER_OWN = { arg = "table" }

local function run_trigger(kind, opts)
  if type(opts) ~= "table" then
    return nil, "options must be a table"
  end
  local own, engine = split_options(opts, TRIGGER_OWN)
  if not own then return nil, format("pycache.%s: %s", kind, engine) end
  local command = TRIGGER_COMMANDS[kind]
  if command == "update" then engine.touched = touched_dirs(own.arg) end
  return run_command(command, own, engine, true)
end

-- The trigger's failure line (docs/triggers-and-ports.md, "Messages";
-- FAILURE_START): what was done still goes to stdout as the report's
-- summary line. The message is one line whatever it holds: a newline in
-- it (a file name's) is escaped.
local function failure_line(kind, opts, message)
  local who = type(opts) == "table" and (opts.flavor or opts.python) or nil
  return shown(format(FAILURE_START[TRIGGER_COMMANDS[kind]], who and (tostring(who) .. " ") or "")
    .. tostring(message))
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
