-- busted --lua=lua5.4 tests/lua   (through tests/lua/run.sh)
-- Every option of the engine, with a good and a bad value, through all four
-- fronts: the pycache program (its flags), pycache.core in lua5.4 (a Lua
-- table), and lua/pycache.lua on the exec backend (the program) and on the
-- native one (pycache.core). A good value must take effect, seen the same
-- way from each front in what the run reports or left on disk (levels
-- change the pycs judged, exclude and dirs the sources counted, jobs the
-- interpreters started, timeout and memory_limit what fails and why...);
-- a bad value must give the same message from each. A command an option
-- means nothing to refuses it, from each front, in the same words. The
-- list of options is the engine's own (core.options), so an option added
-- without a case here fails.
local here = debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$") or "."
local H = dofile(here .. "/helpers.lua")

-- The commands each option means nothing to (src/settings/options.rs,
-- Applies), and the reason their refusal gives.
local COMPILING = { check = "it compiles nothing", clean = "it compiles nothing" }
local JUDGING = { clean = "clean reads no pyc" }

local function write_executable(path, text)
  H.write(path, text)
  H.sh("chmod 755 " .. H.quote(path))
end

local function read(path)
  local f = assert(io.open(path, "rb"))
  local data = f:read("a")
  f:close()
  return data
end

-- The pyc of `rel` (below sp) at `level` for Python 3.11.
local function pyc(sp, rel, level)
  local dir, stem = rel:match("^(.-)/?([^/]*)%.py$")
  local suffix = level == 0 and "" or (".opt-" .. level)
  return sp .. (dir == "" and "" or "/" .. dir) .. "/__pycache__/" .. stem .. ".cpython-311" .. suffix .. ".pyc"
end

-- A site-packages of three sources in `dir`: pkg/__init__.py, pkg/mod.py
-- and other.py.
local SOURCES = { "other.py", "pkg/__init__.py", "pkg/mod.py" }
local function site(dir)
  local sp = dir .. "/sp"
  H.write(sp .. "/pkg/__init__.py", "X = 1\n")
  H.write(sp .. "/pkg/mod.py", "Y = 2\n")
  H.write(sp .. "/other.py", "Z = 3\n")
  return sp
end

-- The paths of a report's to_compile, sorted.
local function pending(r)
  local paths = {}
  for i, entry in ipairs(r.to_compile) do paths[i] = entry.path end
  table.sort(paths)
  return paths
end

-- Every path below `dir` with its size and mtime, one a line, sorted.
local function listing(dir)
  local p = io.popen("find " .. H.quote(dir) .. " -printf '%p %s %T@\\n' | sort")
  local text = p:read("a")
  p:close()
  return text
end

local function sorted(t)
  local copy = { table.unpack(t) }
  table.sort(copy)
  return copy
end

-- One case per option:
--   command  what it runs (one the option means something to)
--   setup    builds what it needs in a fresh `dir`; returns the options
--            every front is given besides this one
--   good     a value (or function(dir) giving one)
--   effect   function(report, dir) asserting the good value took effect
--   exit     the good run's exit code
--   bad, message   a value the engine refuses and what it says
--   cli_bad  the bad value as the program's flags (false: the program
--            cannot spell it, e.g. a flag without a value cannot be "yes")
--   refused  the commands that refuse the option, with the reason
local CASES = {
  flavor = {
    command = "check", exit = 1, good = "py312",
    setup = function(dir) return { site_packages = site(dir) } end,
    effect = function(r)
      assert.same({ "3.12", "cpython-312", "/usr/local/bin/python3.12" },
        { r.python.version, r.python.tag, r.python.interpreter })
    end,
    bad = "py27", cli_bad = { "--flavor", "py27" },
    message = 'flavor: invalid flavor "py27": only CPython 3 is supported; expected pyXY',
  },
  prefix = {
    command = "check", exit = 1, good = function(dir) return dir .. "/prefix" end,
    setup = function(dir) return { flavor = "py311", site_packages = site(dir) } end,
    effect = function(r, dir) assert.equal(dir .. "/prefix/bin/python3.11", r.python.interpreter) end,
    bad = "", cli_bad = { "--prefix", "" }, message = 'prefix: must be a path, got ""',
  },
  python = {
    command = "check", exit = 1, good = H.python,
    setup = function(dir) return { flavor = "py311", site_packages = site(dir) } end,
    effect = function(r) assert.equal(H.python, r.python.interpreter) end,
    bad = "", cli_bad = { "--python", "" }, message = 'python: must be a path, got ""',
  },
  site_packages = {
    command = "check", exit = 1, good = function(dir) return dir .. "/other" end,
    setup = function(dir)
      site(dir)
      H.write(dir .. "/other/one.py", "O = 1\n")
      return { flavor = "py311" }
    end,
    effect = function(r, dir)
      assert.same({ dir .. "/other", dir .. "/other" }, { r.python.site_packages, r.python.directory })
      assert.equal(1, r.sources)
    end,
    bad = "", cli_bad = { "--site-packages", "" }, message = 'site_packages: must be a path, got ""',
  },
  root = {
    -- The site-packages is named as on the running system, /site; on
    -- disk it is ROOT/site.
    command = "check", exit = 1, good = function(dir) return dir .. "/stage" end,
    setup = function(dir)
      H.write(dir .. "/stage/site/one.py", "O = 1\n")
      return { flavor = "py311", site_packages = "/site" }
    end,
    effect = function(r, dir)
      assert.same({ dir .. "/stage", "/site", dir .. "/stage/site" },
        { r.python.root, r.python.site_packages, r.python.directory })
      assert.equal(1, r.sources)
    end,
    bad = "", cli_bad = { "--root", "" }, message = 'root: must be a path, got ""',
  },
  levels = {
    command = "check", exit = 1, good = { 2, 0 },
    setup = function(dir) return { flavor = "py311", site_packages = site(dir) } end,
    effect = function(r, dir)
      assert.same({ 0, 2 }, r.levels)
      assert.equal(3, #r.to_compile)
      for _, entry in ipairs(r.to_compile) do
        assert.same({ 0, 2 }, { entry.levels[1].level, entry.levels[2].level }, entry.path)
        assert.equal(2, #entry.levels, entry.path)
      end
    end,
    bad = { 0, 1.5 }, cli_bad = { "-O", "0,1.5" }, message = "levels: must be 0, 1 or 2, got 1.5",
  },
  invalidation_mode = {
    command = "update", exit = 0, good = "checked-hash",
    setup = function(dir) return { flavor = "py311", python = H.python, site_packages = site(dir) } end,
    effect = function(r, dir)
      assert.equal(3, #r.compiled)
      -- A pyc's flags (bytes 4 to 8): 3 is a hash checked against the source.
      for _, rel in ipairs(SOURCES) do
        for level = 0, 2 do
          local flags = string.unpack("<I4", read(pyc(dir .. "/sp", rel, level)), 5)
          assert.equal(3, flags, rel .. " level " .. level)
        end
      end
    end,
    bad = "fast", cli_bad = { "--invalidation-mode", "fast" },
    message = 'invalidation_mode: must be timestamp, checked-hash or unchecked-hash, got "fast"',
    refused = COMPILING,
  },
  jobs = {
    -- Three sources, and by default one worker per core (two here): one.
    command = "update", exit = 0, good = 1,
    setup = function(dir) return { flavor = "py311", python = H.python, site_packages = site(dir) } end,
    effect = function(r)
      assert.equal(3, #r.compiled)
      assert.equal(1, r.interpreters_started)
    end,
    bad = 2.5, cli_bad = { "-j", "2.5" },
    message = "jobs: must be a whole number >= 0 (0: one per core), got 2.5",
    refused = COMPILING,
  },
  exclude = {
    command = "check", exit = 1, good = "pkg/mod.py",
    setup = function(dir) return { flavor = "py311", site_packages = site(dir) } end,
    effect = function(r, dir)
      assert.equal(2, r.sources)
      assert.same({ dir .. "/sp/other.py", dir .. "/sp/pkg/__init__.py" }, pending(r))
    end,
    bad = "[", cli_bad = { "-x", "[" }, message = 'exclude: "[" is not a valid glob: invalid range pattern',
    refused = JUDGING,
  },
  dirs = {
    command = "check", exit = 1, good = function(dir) return { dir .. "/sp/pkg" } end,
    setup = function(dir) return { flavor = "py311", site_packages = site(dir) } end,
    effect = function(r, dir)
      assert.same({ dir .. "/sp/pkg" }, r.touched)
      assert.equal(2, r.sources)
      assert.same({ dir .. "/sp/pkg/__init__.py", dir .. "/sp/pkg/mod.py" }, pending(r))
    end,
    bad = "x", cli_bad = false, message = 'dirs: must be an array of paths, got "x"',
  },
  timeout = {
    -- An interpreter that never greets: the run gives up after the
    -- timeout (the default, 120 s, would outlast its 30 s of sleep).
    command = "update", exit = 3, good = 0.5,
    setup = function(dir)
      write_executable(dir .. "/bin/python3.11", "#!/bin/sh\nexec sleep 30\n")
      return { flavor = "py311", python = dir .. "/bin/python3.11", site_packages = site(dir) }
    end,
    effect = function(r, dir)
      assert.equal("startup_timeout", r.error_kind)
      assert.equal(dir .. "/bin/python3.11: compile worker did not start within 0.5s; 3 source(s) not compiled; "
        .. "check that the interpreter starts (a slow .pth file?), or raise timeout", r.error)
    end,
    bad = 1e19, cli_bad = { "--timeout", "1e19" },
    message = "timeout: must be a number of seconds > 0 and <= 86400, got 1e19",
    refused = COMPILING,
  },
  memory_limit = {
    -- A list literal of 400,000 elements needs about 150 MiB to compile.
    command = "update", exit = 1, good = 64,
    setup = function(dir)
      local sp = site(dir)
      H.write(sp .. "/big.py", "X = [" .. string.rep("1,", 400000) .. "]\n")
      return { flavor = "py311", python = H.python, site_packages = sp, levels = { 0 } }
    end,
    effect = function(r, dir)
      assert.same({ { path = dir .. "/sp/big.py", reason = "needs more memory than a compile worker may use "
        .. "(memory_limit 64 MiB); raise memory_limit to compile it" } }, r.failures)
      assert.equal(3, #r.compiled)
    end,
    bad = 63, cli_bad = { "--memory-limit", "63" },
    message = "memory_limit: must be a whole number of MiB from 64 to 1048576, or 0 for no limit, got 63",
    refused = COMPILING,
  },
  verify = {
    -- mod.py's pyc has a fresh header and a broken body.
    command = "check", exit = 1, good = true,
    setup = function(dir)
      local sp = site(dir)
      assert(H.require_core().update({ flavor = "py311", python = H.python, site_packages = sp, levels = { 0 } }))
      local path = pyc(sp, "pkg/mod.py", 0)
      H.write(path, read(path):sub(1, 16) .. "garbage")
      return { flavor = "py311", site_packages = sp, levels = { 0 } }
    end,
    effect = function(r, dir)
      assert.equal(2, r.fresh)
      assert.same({ { path = dir .. "/sp/pkg/mod.py",
        levels = { { level = 0, state = "stale", reason = "no code object after the header" } } } }, r.to_compile)
    end,
    bad = 1, cli_bad = false, message = "verify: must be true or false, got 1",
    refused = JUDGING,
  },
  prune_levels = {
    -- Every level written; level 0 kept: the others are to prune.
    command = "check", exit = 1, good = true,
    setup = function(dir)
      local sp = site(dir)
      assert(H.require_core().update({ flavor = "py311", python = H.python, site_packages = sp }))
      return { flavor = "py311", site_packages = sp, levels = { 0 } }
    end,
    effect = function(r, dir)
      local want = {}
      for _, rel in ipairs(SOURCES) do
        want[#want + 1] = pyc(dir .. "/sp", rel, 1)
        want[#want + 1] = pyc(dir .. "/sp", rel, 2)
      end
      assert.same(sorted(want), sorted(r.to_prune))
      assert.equal(3, r.fresh)
    end,
    bad = "yes", cli_bad = false, message = 'prune_levels: must be true or false, got "yes"',
  },
  stdlib = {
    -- A prefix whose lib/python3.11 holds a module beside site-packages.
    command = "check", exit = 1, good = true,
    setup = function(dir)
      H.write(dir .. "/prefix/lib/python3.11/stdmod.py", "S = 1\n")
      H.write(dir .. "/prefix/lib/python3.11/site-packages/pkg/__init__.py", "X = 1\n")
      return { flavor = "py311", prefix = dir .. "/prefix" }
    end,
    effect = function(r, dir)
      local lib = dir .. "/prefix/lib/python3.11"
      assert.same({ lib, lib }, { r.python.stdlib, r.python.directory })
      assert.same({ lib .. "/site-packages/pkg/__init__.py", lib .. "/stdmod.py" }, pending(r))
    end,
    bad = "yes", cli_bad = false, message = 'stdlib: must be true or false, got "yes"',
  },
  config = {
    command = "check", exit = 1, good = function(dir) return dir .. "/pycache.conf" end,
    setup = function(dir)
      H.write(dir .. "/pycache.conf", "levels = [0];\n")
      return { flavor = "py311", site_packages = site(dir) }
    end,
    effect = function(r, dir)
      assert.equal(dir .. "/pycache.conf", r.config)
      assert.same({ 0 }, r.levels)
    end,
    bad = "", cli_bad = { "--config", "" }, message = 'config: must be a path, got ""',
  },
  no_config = {
    -- It wins over a file named too.
    command = "check", exit = 1, good = true,
    setup = function(dir)
      H.write(dir .. "/pycache.conf", "levels = [0];\n")
      return { flavor = "py311", site_packages = site(dir), config = dir .. "/pycache.conf" }
    end,
    effect = function(r)
      assert.is_nil(r.config)
      assert.same({ 0, 1, 2 }, r.levels)
    end,
    bad = "yes", cli_bad = false, message = 'no_config: must be true or false, got "yes"',
  },
  dry_run = {
    command = "update", exit = 1, good = true,
    setup = function(dir) return { flavor = "py311", python = H.python, site_packages = site(dir) } end,
    effect = function(r, dir)
      assert.is_true(r.dry_run)
      assert.same({}, r.compiled)
      assert.equal(3, #r.to_compile)
      assert.equal(0, r.interpreters_started)
      assert.is_false(H.exists(dir .. "/sp/pkg/__pycache__"))
    end,
    bad = "yes", cli_bad = false, message = 'dry_run: must be true or false, got "yes"',
  },
}

describe("every option through every front", function()
  local core, pycache, program, tmp
  before_each(function()
    core = H.require_core()
    pycache = H.require_pycache()
    program = H.need("PYCACHE_PROGRAM", "the built pycache program")
    tmp = H.tmpdir()
    _G.pkg = nil
  end)
  after_each(function() H.rm(tmp) end)

  -- The program's flags for the options `opts`, by the engine's
  -- definitions: a switch alone, a list as its elements (levels joined by
  -- commas, dirs as arguments after `--`), anything else as its text.
  local function flags(opts)
    local argv, positional = {}, {}
    for _, def in ipairs(core.options) do
      local v = opts[def.key]
      if def.key == "dirs" and v ~= nil then
        for _, d in ipairs(v) do positional[#positional + 1] = d end
      elseif v == true then
        argv[#argv + 1] = def.flag
      elseif type(v) == "table" then
        local parts = {}
        for i, x in ipairs(v) do parts[i] = tostring(x) end
        argv[#argv + 1] = def.flag
        argv[#argv + 1] = table.concat(parts, ",")
      elseif v ~= nil then
        argv[#argv + 1] = def.flag
        argv[#argv + 1] = tostring(v)
      end
    end
    if #positional > 0 then
      argv[#argv + 1] = "--"
      for _, d in ipairs(positional) do argv[#argv + 1] = d end
    end
    return argv
  end

  -- Each front runs `command` with `opts` (given `argv` instead for the
  -- program, when not nil); each returns the report, or nil, the engine's
  -- message and whether it is misuse (refused as given).
  local function program_run(command, opts, argv)
    local words = { program, command, "--json" }
    for _, a in ipairs(argv or flags(opts)) do words[#words + 1] = a end
    local quoted = {}
    for i, a in ipairs(words) do quoted[i] = H.quote(a) end
    local p = io.popen(table.concat(quoted, " ") .. " 2>/dev/null")
    local out = p:read("a")
    local _, _, code = p:close()
    local value = assert(pycache._json_decode(out), "no JSON from the program: " .. out)
    if value.lines then
      assert.equal(value.exit_code, code, "the program's exit status")
      return value
    end
    assert.equal(2, code, "the program's exit status for " .. value.error)
    return nil, value.error, value.kind == "option"
  end
  local function through_core(command, opts)
    local report, err, misuse = core._raw[command](opts)
    return report, misuse or err, misuse ~= nil
  end
  local function through_lua(backend)
    return function(command, opts)
      opts.backend, opts.program = backend, program
      local ok, report, err = pcall(pycache[command], opts)
      if ok then return report, err, false end
      return nil, report:match("pycache%." .. command .. ": (.*)$") or report, true
    end
  end
  local FRONTS = {
    { "program", program_run },
    { "core", through_core },
    { "lua exec", through_lua("exec") },
    { "lua native", through_lua("native") },
  }

  -- The case's options with `key` = `value` (a function of dir gives it).
  local function given(case, key, value, dir)
    local opts = case.setup(dir)
    if type(value) == "function" then value = value(dir) end
    opts[key] = value
    return opts
  end

  it("covers every option the engine defines", function()
    local keys = {}
    for _, def in ipairs(core.options) do
      keys[def.key] = true
      assert.is_table(CASES[def.key], "no case for option " .. def.key)
    end
    for key in pairs(CASES) do
      assert.is_true(keys[key], key .. " is no option of the engine")
    end
  end)

  for _, def in ipairs(H.require_core().options) do
    local key, case = def.key, CASES[def.key]
    it("takes a good " .. key .. " to effect and refuses a bad one, the same from every front", function()
      assert.is_table(case, "no case for option " .. key)
      -- Good: each front's run, in a tree of its own, shows the effect.
      for i, front in ipairs(FRONTS) do
        local name, run = front[1], front[2]
        local dir = tmp .. "/good" .. i
        local r, err = run(case.command, given(case, key, case.good, dir))
        assert.is_table(r, key .. " = good value, " .. name .. ": no report: " .. tostring(err))
        assert.equal(case.exit, r.exit_code, key .. " = good value, " .. name .. ": exit code")
        case.effect(r, dir)
      end
      -- Bad: the engine's message (which starts as the case says), word
      -- for word, from each front; nothing was done.
      local dir = tmp .. "/bad"
      local message
      local r, engine_message, misuse = through_core(case.command, given(case, key, case.bad, dir))
      assert.is_nil(r)
      assert.is_true(misuse, "core: not misuse")
      assert.equal(case.message, engine_message:sub(1, #case.message), "core")
      for i = 3, 4 do
        r, message, misuse = FRONTS[i][2](case.command, given(case, key, case.bad, dir))
        assert.is_nil(r)
        assert.is_true(misuse, FRONTS[i][1] .. ": not raised")
        assert.equal(engine_message, message, FRONTS[i][1])
      end
      if case.cli_bad then
        local argv = flags(case.setup(dir))
        for _, a in ipairs(case.cli_bad) do table.insert(argv, a) end
        r, message, misuse = program_run(case.command, nil, argv)
        assert.is_nil(r)
        assert.equal(engine_message, message, "program")
        assert.is_true(misuse, "program: kind option")
      end
      if case.command == "update" then
        assert.is_false(H.exists(dir .. "/sp/pkg/__pycache__"), "a pyc written for a bad " .. key)
      end
      -- A command it means nothing to refuses it, good value and all, in
      -- the same words from every front, and runs nothing. (The program
      -- calls it an option error and the exec backend raises it; pycache.core
      -- and so the native backend return it as nil, message.)
      for command, why in pairs(case.refused or {}) do
        local want = key .. ": means nothing to " .. command .. ": " .. why .. "; leave it out"
        for i, front in ipairs(FRONTS) do
          local refused = tmp .. "/refused" .. i
          local opts = given(case, key, case.good, refused)
          local before = listing(refused)
          r, message, misuse = front[2](command, opts)
          assert.is_nil(r, front[1] .. " " .. command)
          assert.equal(want, message, front[1] .. " " .. command)
          if front[1] == "program" then assert.is_true(misuse, "program: kind option") end
          assert.equal(before, listing(refused), front[1] .. " " .. command .. ": the tree changed")
        end
      end
    end)
  end

  it("starts more than one worker without jobs, where there is more than one core", function()
    -- What makes jobs = 1 an effect: the default is one worker per core.
    local p = io.popen("nproc")
    local cores = tonumber(p:read("l"))
    p:close()
    local r = assert(core.update({ flavor = "py311", python = H.python, site_packages = site(tmp) }))
    assert.equal(math.min(cores, 3), r.interpreters_started)
  end)

  it("refuses an unknown option the same way from both Lua fronts", function()
    local _, message = through_core("check", { flavor = "py311", site_packages = site(tmp), jbos = 1 })
    assert.equal("jbos: unknown option", message)
    local _, lua_message = through_lua("exec")("check", { flavor = "py311", site_packages = site(tmp), jbos = 1 })
    assert.equal(message, lua_message)
  end)

  it("needs neither flavor nor python in any front: python3 on PATH is the default", function()
    local sp = site(tmp)
    local native = assert(core.check({ site_packages = sp }))
    local lua_exec = assert(through_lua("exec")("check", { site_packages = sp }))
    local argv = H.quote(program) .. " check --json --site-packages " .. H.quote(sp)
    local p = io.popen(argv .. " 2>/dev/null")
    local by_program = assert(pycache._json_decode(p:read("a")))
    p:close()
    for _, r in ipairs({ lua_exec, by_program }) do
      assert.same(native.python, r.python)
    end
    -- Without python3 on PATH, the engine says what to give, naming no flag.
    p = io.popen("PATH=" .. H.quote(tmp) .. " " .. argv .. " 2>/dev/null")
    local value = assert(pycache._json_decode(p:read("a")))
    p:close()
    assert.equal("python3: interpreter not found; not on PATH; give a flavor (pyXY) or an interpreter path",
      value.error)
    assert.equal("interpreter_not_found", value.kind)
  end)
end)
