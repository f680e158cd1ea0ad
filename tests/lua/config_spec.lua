-- busted --lua=lua5.4 tests/lua   (through tests/lua/run.sh)
-- pycache.conf through the Lua fronts: pycache.core in lua5.4, and
-- lua/pycache.lua on the exec backend (the program) and the native one.
-- The file fills in what a call does not set (file < Lua option), the
-- `config` and `no_config` options choose the file. A file the call names
-- that cannot be used is refused (nil, message) and nothing is done; one
-- only $PYCACHE_CONF names is ignored whole with one warning in the
-- report, and the job still runs. The program itself is tested in
-- tests/config.rs.
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

  it("refuses a file the call names that it cannot use, and does nothing", function()
    H.write(conf, "prune_levels = true\nlevels = [0]\njobs = 2.5\n")
    local want = conf .. ":3: jobs: must be a whole number >= 0 (0: one per core), got 2.5"
    for name, update in pairs(fronts()) do
      local r, err = update(opts())
      assert.is_nil(r, name)
      assert.equal(want, err, name)
      assert.same({}, levels_on_disk(), name)
    end
    -- A named file that is missing is refused too.
    H.rm(conf)
    want = conf .. ": no such file (named by --config or $PYCACHE_CONF); create it or name another"
    for name, update in pairs(fronts()) do
      local r, err = update(opts())
      assert.is_nil(r, name)
      assert.equal(want, err, name)
    end
  end)

  it("ignores a file $PYCACHE_CONF names that it cannot use, with one warning, and still does the job", function()
    -- The environment is the host's: the fronts run in a child lua5.4.
    H.write(conf, "prune_levels = true\nlevels = [0]\njobs = 2.5\n")
    local script = tmp .. "/child.lua"
    H.write(script, string.format([[
package.cpath = %q .. "/?.so;" .. package.cpath
package.path = %q .. "/lua/?.lua;" .. package.path
local core, pycache = require("pycache.core"), require("pycache")
local sp, program = %q, %q
local fronts = {
  { "core", function(o) return core.update(o) end },
  { "lua_exec", function(o) o.backend, o.program = "exec", program return pycache.update(o) end },
  { "lua_native", function(o) o.backend = "native" return pycache.update(o) end },
}
for _, front in ipairs(fronts) do
  os.execute("rm -rf '" .. sp .. "/pkg/__pycache__'")
  local r, err = front[2]({ python = %q, site_packages = sp })
  local shown = 0
  for _, line in ipairs(r and r.lines or {}) do
    if line == "pycache: warning: " .. tostring(r.warnings[1]) then shown = shown + 1 end
  end
  local f = io.open(sp .. "/pkg/__pycache__/mod.cpython-311.opt-2.pyc")
  if f then f:close() end
  print(front[1], r and r.exit_code, r and #r.warnings, r and r.warnings[1] or err, r and tostring(r.config),
    shown, f ~= nil)
end
]], H.need("PYCACHE_CPATH", "where pycache/core.so is"), H.repo, sp, program, H.python))
    local p = io.popen("PYCACHE_CONF=" .. H.quote(conf) .. " lua5.4 " .. H.quote(script) .. " 2>&1")
    local out = p:read("a")
    p:close()
    local warning = conf .. ":3: jobs: must be a whole number >= 0 (0: one per core), got 2.5; the file is ignored"
    local want = {}
    for _, name in ipairs({ "core", "lua_exec", "lua_native" }) do
      -- Exit 0, one warning, shown once in the lines, no file counted,
      -- and every level written: the file's levels = [0] was not used.
      want[#want + 1] = table.concat({ name, "0", "1", warning, "nil", "1", "true" }, "\t")
    end
    assert.equal(table.concat(want, "\n") .. "\n", out)
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
