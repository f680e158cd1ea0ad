-- busted --lua=lua5.4 tests/lua   (through tests/lua/run.sh)
-- Every option of the engine, with a good and a bad value, through all three
-- fronts: the pycache program (its flags), pycache.core in lua5.4 (a Lua
-- table) and lua/pycache.lua on the exec backend (a Lua table turned into
-- flags), and lua/pycache.lua on the native backend too. The same bad
-- value must give the same message from each, and a good value the same
-- outcome. The list of options is the engine's own (core.options), so an
-- option added without a case here fails.
local here = debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$") or "."
local H = dofile(here .. "/helpers.lua")

-- One case per option: a good and a bad value as Lua passes them, and as
-- a user types them (`cli_bad = false`: the program has no way to spell a
-- value of the wrong Lua type, e.g. a flag without a value cannot be "yes").
-- `message` is what the engine says of the bad value.
local function cases(tmp, sp)
  H.write(tmp .. "/pycache.conf", "timeout = 60\n")
  return {
    flavor = { good = "py311", bad = "py27", cli_good = { "--flavor", "py311" }, cli_bad = { "--flavor", "py27" },
      message = 'flavor: invalid flavor "py27": only CPython 3 is supported; expected pyXY' },
    prefix = { good = tmp, bad = "", cli_good = { "--prefix", tmp }, cli_bad = { "--prefix", "" },
      message = 'prefix: must be a path, got ""' },
    python = { good = H.python, bad = "", cli_good = { "--python", H.python }, cli_bad = { "--python", "" },
      message = 'python: must be a path, got ""' },
    site_packages = { good = sp, bad = "", cli_good = { "--site-packages", sp }, cli_bad = { "--site-packages", "" },
      message = 'site_packages: must be a path, got ""' },
    root = { good = "/", bad = "", cli_good = { "--root", "/" }, cli_bad = { "--root", "" },
      message = 'root: must be a path, got ""' },
    levels = { good = { 2, 0 }, bad = { 0, 1.5 }, cli_good = { "-O", "2,0" }, cli_bad = { "-O", "0,1.5" },
      message = "levels: must be 0, 1 or 2, got 1.5", same = "levels", expect = { 0, 2 } },
    invalidation_mode = { good = "checked-hash", bad = "fast", cli_good = { "--invalidation-mode", "checked-hash" },
      cli_bad = { "--invalidation-mode", "fast" },
      message = 'invalidation_mode: must be timestamp, checked-hash or unchecked-hash, got "fast"' },
    jobs = { good = 2, bad = 2.5, cli_good = { "-j", "2" }, cli_bad = { "-j", "2.5" },
      message = "jobs: must be a whole number >= 0 (0: one per core), got 2.5" },
    exclude = { good = "*/tests/*", bad = "[", cli_good = { "-x", "*/tests/*" }, cli_bad = { "-x", "[" },
      message = 'exclude: "[" is not a valid glob: invalid range pattern' },
    touched = { good = { sp .. "/pkg" }, bad = "x", cli_good = { "--", sp .. "/pkg" }, cli_bad = false,
      message = 'touched: must be an array of paths, got "x"', same = "touched", expect = { sp .. "/pkg" } },
    timeout = { good = 0.5, bad = 1e19, cli_good = { "--timeout", "0.5" }, cli_bad = { "--timeout", "1e19" },
      message = "timeout: must be a number of seconds > 0 and <= 86400, got 1e19" },
    memory_limit = { good = 512, bad = 10, cli_good = { "--memory-limit", "512" },
      cli_bad = { "--memory-limit", "10" },
      message = "memory_limit: must be a whole number of MiB from 64 to 1048576, or 0 for no limit, got 10" },
    -- On, the tree would be the flavor's whole lib/python3.11, which this
    -- site-packages is not in (tests/stdlib.rs proves that tree): off is
    -- the good value every front must take alike.
    stdlib = { good = false, bad = "yes", cli_good = {}, cli_bad = false,
      message = 'stdlib: must be true or false, got "yes"' },
    verify = { good = true, bad = 1, cli_good = { "--verify" }, cli_bad = false,
      message = "verify: must be true or false, got 1" },
    prune_levels = { good = true, bad = "yes", cli_good = { "--prune-levels" }, cli_bad = false,
      message = 'prune_levels: must be true or false, got "yes"' },
    config = { good = tmp .. "/pycache.conf", bad = "", cli_good = { "--config", tmp .. "/pycache.conf" },
      cli_bad = { "--config", "" }, message = 'config: must be a path, got ""',
      same = "config", expect = tmp .. "/pycache.conf" },
    no_config = { good = true, bad = "yes", cli_good = { "--no-config" }, cli_bad = false,
      message = 'no_config: must be true or false, got "yes"', same = "config", expect = nil },
    dry_run = { good = true, bad = "yes", cli_good = { "--dry-run" }, cli_bad = false,
      message = 'dry_run: must be true or false, got "yes"', same = "dry_run", expect = true },
  }
end

describe("every option through every front", function()
  local core, pycache, program, tmp, sp
  before_each(function()
    core = H.require_core()
    pycache = H.require_pycache()
    program = H.need("PYCACHE_PROGRAM", "the built pycache program")
    tmp = H.tmpdir()
    sp = H.site(tmp)
    _G.pkg = nil
  end)
  after_each(function() H.rm(tmp) end)

  local function base(key, value)
    local o = { flavor = "py311", site_packages = sp }
    o[key] = value
    return o
  end

  -- The program: `check --json` with the flags; returns the decoded report
  -- or nil and the JSON error (the engine's message), and the exit code.
  local function through_program(key, args)
    local argv = { program, "check", "--json" }
    local given = {}
    for _, a in ipairs(args) do given[a] = true end
    if not given["--flavor"] then argv[#argv + 1] = "--flavor"; argv[#argv + 1] = "py311" end
    if not given["--site-packages"] then argv[#argv + 1] = "--site-packages"; argv[#argv + 1] = sp end
    local dashdash
    for _, a in ipairs(args) do
      if a == "--" then dashdash = true end
    end
    local tail = {}
    for _, a in ipairs(args) do
      if dashdash then tail[#tail + 1] = a else argv[#argv + 1] = a end
    end
    for _, a in ipairs(tail) do argv[#argv + 1] = a end
    local quoted = {}
    for i, a in ipairs(argv) do quoted[i] = H.quote(a) end
    local p = io.popen(table.concat(quoted, " ") .. " 2>/dev/null")
    local out = p:read("a")
    local _, _, code = p:close()
    local value = assert(pycache._json_decode(out), key .. ": no JSON from the program: " .. out)
    if value.lines then return value, nil, code end
    return nil, value.error, code, value.kind
  end

  local function through_core(opts)
    local report, err, misuse = core._raw.check(opts)
    return report, misuse or err, misuse ~= nil
  end

  -- lua/pycache.lua on a backend ("exec": the program; "native": pycache.core).
  local function through_lua(backend, opts)
    opts.backend = backend
    opts.program = program
    local ok, report, err = pcall(pycache.check, opts)
    if ok then return report, err, false end
    local message = report:match("pycache%.check: (.*)$")
    return nil, message, true
  end
  local function through_lua_exec(opts) return through_lua("exec", opts) end

  it("covers every option the engine defines", function()
    local all = cases(tmp, sp)
    local keys = {}
    for _, def in ipairs(core.options) do
      keys[#keys + 1] = def.key
      assert.is_table(all[def.key], "no case for option " .. def.key)
    end
    for key in pairs(all) do
      local known = false
      for _, k in ipairs(keys) do known = known or k == key end
      assert.is_true(known, key .. " is no option of the engine")
    end
  end)

  -- The engine's own list, so that a new option is tested here at once.
  local option_keys = {}
  for _, def in ipairs(H.require_core().options) do option_keys[#option_keys + 1] = def.key end
  for _, def_key in ipairs(option_keys) do
    it("gives the same outcome for a good and a bad " .. def_key, function()
      local case = cases(tmp, sp)[def_key]
      -- Good: a report from each front, agreeing on what the option shows.
      -- No good value hides pkg's two sources, never compiled here: the
      -- check finds them missing, which is exit code 1 from every front.
      local reports = {
        program = (through_program(def_key, case.cli_good)),
        core = (through_core(base(def_key, case.good))),
        lua_exec = (through_lua_exec(base(def_key, case.good))),
        lua_native = (through_lua("native", base(def_key, case.good))),
      }
      for front, r in pairs(reports) do
        assert.is_table(r, def_key .. " = good value, " .. front .. ": no report")
        assert.equal(1, r.exit_code, def_key .. " = good value, " .. front .. ": exit code")
        if case.same then assert.same(case.expect, r[case.same], front .. ": " .. case.same) end
      end
      -- Bad: the engine's message (which starts as the case says), word
      -- for word, from each front.
      local r, engine_message, misuse = through_core(base(def_key, case.bad))
      assert.is_nil(r)
      assert.is_true(misuse, "core: not misuse")
      assert.equal(case.message, engine_message:sub(1, #case.message), "core")
      local message
      for _, backend in ipairs({ "exec", "native" }) do
        r, message, misuse = through_lua(backend, base(def_key, case.bad))
        assert.is_nil(r)
        assert.is_true(misuse, "lua " .. backend .. ": not raised")
        assert.equal(engine_message, message, "lua " .. backend)
      end
      if case.cli_bad then
        local code, kind
        r, message, code, kind = through_program(def_key, case.cli_bad)
        assert.is_nil(r)
        assert.equal(engine_message, message, "program")
        assert.equal(2, code, "program exit status")
        assert.equal("option", kind)
      end
    end)
  end

  it("refuses an unknown option the same way from both Lua fronts", function()
    local _, message = through_core(base("jbos", 1))
    assert.equal("jbos: unknown option", message)
    local _, lua_message = through_lua_exec(base("jbos", 1))
    assert.equal(message, lua_message)
  end)

  it("needs neither flavor nor python in any front: python3 on PATH is the default", function()
    local opts = { site_packages = sp }
    local native = assert(core.check(opts))
    local lua_exec = assert(through_lua_exec({ site_packages = sp }))
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
