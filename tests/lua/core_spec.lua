-- busted --lua=lua5.4 tests/lua   (through tests/lua/run.sh)
-- Specs of pycache.core, the native module built from src/front/lua.rs.
local here = debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$") or "."
local H = dofile(here .. "/helpers.lua")

describe("pycache.core", function()
  local core, tmp, sp
  before_each(function()
    core = H.require_core()
    tmp = H.tmpdir()
    sp = H.site(tmp)
  end)
  after_each(function() H.rm(tmp) end)

  local function opts(extra)
    local o = { flavor = "py311", python = H.python, site_packages = sp }
    for k, v in pairs(extra or {}) do o[k] = v end
    return o
  end

  it("loads as a table of functions", function()
    assert.is_string(core._VERSION)
    for _, name in ipairs({ "info", "freshness", "check", "clean", "compile", "update" }) do
      assert.is_function(core[name], name)
    end
  end)

  it("info resolves a flavor without starting Python", function()
    local t = assert(core.info{ flavor = "py311", python = "/nonexistent/python3.11", site_packages = sp })
    assert.same({ "3.11", "cpython-311", "a70d0d0a" }, { t.version, t.tag, t.magic })
    assert.equal("/nonexistent/python3.11", t.interpreter)
    assert.equal(sp, t.site_packages)
  end)

  it("returns nil and a message for expected failures", function()
    local t, err = core.info{ flavor = "py311", site_packages = tmp .. "/nope" }
    assert.is_nil(t)
    assert.is_string(err)
    assert.truthy(err:find(tmp .. "/nope", 1, true), err)
    t, err = core.info{ python = tmp .. "/nope" }
    assert.is_nil(t)
    assert.truthy(err:find(tmp .. "/nope: interpreter not found", 1, true), err)
  end)

  it("raises a plain message on misuse", function()
    local cases = {
      { function() core.check(5) end, "pycache.core.check: options must be a table, got integer" },
      { function() core.update{ flavour = "py311" } end, "pycache.core.update: flavour: unknown option" },
      { function() core.check{ flavor = "py27", site_packages = sp } end, 'flavor: invalid flavor "py27"' },
      { function() core.check(opts{ levels = { 0, 3 } }) end, "levels: must be 0, 1 or 2, got 3" },
      { function() core.check(opts{ touched = "x" }) end, 'touched: must be an array of paths, got "x"' },
      { function() core.check(opts{ jobs = -1 }) end, "jobs: must be a whole number >= 0 (0: one per core), got -1" },
      { function() core.freshness(1, opts()) end, "argument #1 (source) must be a string" },
    }
    for _, case in ipairs(cases) do
      local ok, err = pcall(case[1])
      assert.is_false(ok)
      assert.is_string(err)
      assert.truthy(err:find(case[2], 1, true), err)
    end
  end)

  it("updates, then finds everything fresh without starting Python", function()
    local r = assert(core.update(opts()))
    assert.equal("update", r.command)
    assert.equal(0, r.exit_code)
    assert.equal(2, #r.compiled)
    assert.same({ 0, 1, 2 }, r.compiled[1].levels)
    assert.equal(sp .. "/pkg/__init__.py", r.compiled[1].path)
    assert.is_nil(r.touched)
    assert.truthy(H.exists(sp .. "/pkg/__pycache__/mod.cpython-311.opt-2.pyc"))
    assert.equal(">=> Python 3.11: wrote 6 pycs (2 .pyc, 2 .opt-1.pyc, 2 .opt-2.pyc) for 2 sources",
      r.lines[1]:match("^(.-) in "))
    local again = assert(core.update(opts()))
    assert.same({}, again.compiled)
    assert.equal(0, again.interpreters_started)
    assert.same({ ">=> Python 3.11: bytecode up to date (2 sources)" }, again.lines)
  end)

  it("judges one source with freshness", function()
    local levels = assert(core.freshness(sp .. "/pkg/mod.py", opts()))
    assert.same({ "missing", "missing", "missing" }, { levels[1].state, levels[2].state, levels[3].state })
    assert(core.compile(opts{ levels = { 0 } }))
    levels = assert(core.freshness(sp .. "/pkg/mod.py", opts{ levels = { 0, 1 } }))
    assert.same({ { level = 0, state = "fresh", reason = "" }, { level = 1, state = "missing", reason = "" } }, levels)
    local t, err = core.freshness(sp .. "/pkg/none.py", opts())
    assert.is_nil(t)
    assert.truthy(err:find("none.py", 1, true))
  end)

  it("checks and cleans orphans of its own tag only", function()
    H.write(sp .. "/pkg/__pycache__/gone.cpython-311.pyc", "x")
    H.write(sp .. "/pkg/__pycache__/gone.cpython-39.pyc", "x")
    local r = assert(core.check(opts{ touched = { sp .. "/pkg" } }))
    assert.same({ sp .. "/pkg/__pycache__/gone.cpython-311.pyc" }, r.orphans)
    assert.same({ sp .. "/pkg" }, r.touched)
    assert.equal(1, r.exit_code)
    r = assert(core.clean(opts()))
    assert.same({ sp .. "/pkg/__pycache__/gone.cpython-311.pyc" }, r.removed_files)
    assert.is_false(H.exists(sp .. "/pkg/__pycache__/gone.cpython-311.pyc"))
    assert.is_true(H.exists(sp .. "/pkg/__pycache__/gone.cpython-39.pyc"))
  end)

  it("keeps non-UTF-8 path bytes both ways", function()
    local dir = sp .. "/caf\xe9"
    H.write(dir .. "/m\xff.py", "Z = 3\n")
    local r = assert(core.update(opts{ touched = { dir } }))
    assert.same({ dir }, r.touched)
    assert.equal(dir .. "/m\xff.py", r.compiled[1].path)
    assert.truthy(H.exists(dir .. "/__pycache__/m\xff.cpython-311.pyc"))
    local levels = assert(core.freshness(dir .. "/m\xff.py", opts()))
    assert.equal("fresh", levels[1].state)
  end)

  it("still cleans when the interpreter is gone, and says so", function()
    H.write(sp .. "/pkg/__pycache__/gone.cpython-311.pyc", "x")
    local r = assert(core.update(opts{ python = tmp .. "/no/python3.11" }))
    assert.equal(3, r.exit_code)
    assert.truthy(r.error:find("interpreter not found", 1, true), r.error)
    assert.same({ sp .. "/pkg/__pycache__/gone.cpython-311.pyc" }, r.removed_files)
    assert.equal("pycache: " .. r.error, r.lines[#r.lines])
  end)
end)
