-- busted --lua=lua5.4 tests/lua   (through tests/lua/run.sh)
-- pycache.conf through the Lua fronts: pycache.core in lua5.4, and
-- lua/pycache.lua on the exec backend (the program) and the native one.
-- The file fills in what a call does not set (file < Lua option), the
-- `config` and `no_config` options choose the file, and a file the call
-- names that cannot be used is an error from every front. The program
-- itself is tested in tests/config.rs.
local here = debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$") or "."
local H = dofile(here .. "/helpers.lua")

describe("pycache.conf through the Lua fronts", function()
  local core, pycache, program, tmp, sp, conf
  before_each(function()
    core = H.require_core()
    pycache = H.require_pycache()
    program = H.need("PYCACHE_PROGRAM", "the built pycache program")
    tmp = H.tmpdir()
    sp = H.site(tmp)
    conf = tmp .. "/pycache.conf"
    _G.pkg = nil
  end)
  after_each(function() H.rm(tmp) end)

  -- Every front's update, by name; each returns the report or nil, message.
  local function fronts()
    return {
      core = function(opts) return core.update(opts) end,
      lua_exec = function(opts)
        opts.backend, opts.program = "exec", program
        return pycache.update(opts)
      end,
      lua_native = function(opts)
        opts.backend = "native"
        return pycache.update(opts)
      end,
    }
  end

  local function opts(extra)
    local o = { python = H.python, site_packages = sp, config = conf }
    for k, v in pairs(extra or {}) do o[k] = v end
    return o
  end

  -- The levels written for pkg/mod.py, from the disk.
  local function levels_on_disk()
    local got = {}
    for level, suffix in pairs({ [0] = "", [1] = ".opt-1", [2] = ".opt-2" }) do
      if H.exists(sp .. "/pkg/__pycache__/mod.cpython-311" .. suffix .. ".pyc") then
        got[#got + 1] = level
      end
    end
    table.sort(got)
    return got
  end

  it("fills in what the call does not set, and a Lua option counts over it", function()
    H.write(conf, "levels = [0];\npy311 { exclude = \"pkg/__init__.py\"; }\n")
    for name, update in pairs(fronts()) do
      H.rm(sp .. "/pkg/__pycache__")
      local r = assert(update(opts()), name)
      assert.equal(conf, r.config, name)
      assert.same({ 0 }, r.levels, name)
      assert.same({ 0 }, levels_on_disk(), name)
      assert.is_false(H.exists(sp .. "/pkg/__pycache__/__init__.cpython-311.pyc"), name .. ": excluded")
      r = assert(update(opts({ levels = { 0, 2 } })), name)
      assert.same({ 0, 2 }, r.levels, name)
      assert.same({ 0, 2 }, levels_on_disk(), name)
      -- no_config: every default, no file named in the report.
      r = assert(update(opts({ no_config = true })), name)
      assert.is_nil(r.config, name)
      assert.same({ 0, 1, 2 }, levels_on_disk(), name)
    end
  end)

  it("refuses a broken file it names, with the same error from every front, and writes nothing", function()
    -- A broken default file (or $PYCACHE_CONF) is only warned about, so that
    -- a bad pycache.conf never stops a trigger: tests/config.rs and the e2e
    -- runs prove that. A file the call names itself is what the caller asked
    -- for: using the defaults instead would be a surprise.
    H.write(conf, "prune_levels = true\nlevels = [0]\njobs = 2.5\n")
    local want = conf .. ":3: jobs: must be a whole number >= 0 (0: one per core), got 2.5"
    for name, update in pairs(fronts()) do
      local r, err = update(opts())
      assert.is_nil(r, name)
      assert.equal(want, err and err:sub(1, #want), name .. ": " .. tostring(err))
      assert.same({}, levels_on_disk(), name .. ": nothing written")
    end
    -- A named file that is missing is the same kind of error.
    H.rm(conf)
    for name, update in pairs(fronts()) do
      local r, err = update(opts())
      assert.is_nil(r, name)
      assert.truthy(tostring(err):find(conf .. ": no such file", 1, true), name .. ": " .. tostring(err))
    end
  end)

  it("judges freshness at the file's levels", function()
    H.write(conf, "levels = [1];\n")
    local states = assert(core.freshness(sp .. "/pkg/mod.py", opts()))
    assert.equal(1, #states)
    assert.equal(1, states[1].level)
    states = assert(core.freshness(sp .. "/pkg/mod.py", opts({ no_config = true })))
    assert.equal(3, #states)
  end)
end)
