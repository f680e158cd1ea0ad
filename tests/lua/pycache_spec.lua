-- busted --lua=lua5.4 tests/lua   (through tests/lua/run.sh)
-- Specs of lua/pycache.lua with both backends: pycache.core (the built .so)
-- and the pycache program (outside pkg, and through a stand-in `pkg` table).
local here = debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$") or "."
local H = dofile(here .. "/helpers.lua")

-- Replaces io.stdout/io.stderr while f runs; returns what was written.
local function captured(f)
  local out, err = {}, {}
  local function sink(t)
    return { write = function(self, ...) for _, s in ipairs({ ... }) do t[#t + 1] = s end return self end,
             flush = function() return true end }
  end
  local real_out, real_err = io.stdout, io.stderr
  io.stdout, io.stderr = sink(out), sink(err)
  local ok, a, b = pcall(f)
  io.stdout, io.stderr = real_out, real_err
  assert(ok, a)
  return table.concat(out), table.concat(err), a, b
end

-- Fails on what a terminal would act on (issue 27): output must be UTF-8
-- and hold no control character but the newline ending a line, no C1, no
-- bidirectional mark or override.
local function terminal_safe(s)
  assert.truthy(utf8.len(s), "not UTF-8: " .. s)
  local body = s:gsub("\n", "")
  for _, raw in ipairs({ "[\0-\31\127]", "\194[\128-\159]", "\216\156", "\226\128[\142\143\168-\174]",
      "\226\129[\166-\169]" }) do
    assert.is_nil(body:find(raw), s)
  end
end

-- Compares reports of the two backends, without timings.
local function comparable(r)
  local c = {}
  for k, v in pairs(r) do c[k] = v end
  c.elapsed_ms = nil
  c.lines = { (r.lines[1]:gsub(" in %d+%.%d s", "")), table.unpack(r.lines, 2) }
  return c
end

describe("pycache.lua", function()
  local pycache, tmp, sp, program
  before_each(function()
    H.require_core()
    program = H.need("PYCACHE_PROGRAM", "the built pycache program")
    pycache = H.require_pycache()
    tmp = H.tmpdir()
    sp = H.site(tmp)
    _G.pkg = nil
  end)
  after_each(function()
    _G.pkg = nil
    H.rm(tmp)
  end)

  local function opts(extra)
    local o = { flavor = "py311", python = H.python, site_packages = sp, program = program }
    for k, v in pairs(extra or {}) do o[k] = v end
    return o
  end

  it("returns the same report from both backends", function()
    for _, command in ipairs({ "check", "update", "check", "clean" }) do
      local n = assert(pycache[command](opts{ backend = "native", dry_run = true }))
      local e = assert(pycache[command](opts{ backend = "exec", dry_run = true }))
      assert.same(comparable(n), comparable(e))
    end
    local n = assert(pycache.update(opts{ backend = "native", touched = { sp .. "/pkg" } }))
    H.rm(sp .. "/pkg/__pycache__")
    local e = assert(pycache.update(opts{ backend = "exec", touched = { sp .. "/pkg" } }))
    assert.equal(2, #e.compiled)
    assert.same(comparable(n), comparable(e))
  end)

  it("gives back non-UTF-8 path bytes from the program's JSON", function()
    local dir = sp .. "/caf\xe9"
    H.write(dir .. "/m\xff.py", "Z = 3\n")
    local r = assert(pycache.check(opts{ backend = "exec", touched = { dir } }))
    assert.equal(dir .. "/m\xff.py", r.to_compile[1].path)
    assert.same({ dir }, r.touched)
  end)

  it("never passes an argument through the shell unquoted", function()
    local odd = tmp .. "/it's $(touch " .. tmp .. "/pwned) `x`"
    H.sh("mkdir -p " .. H.quote(odd) .. " && cp " .. H.quote(program) .. " " .. H.quote(odd .. "/pycache"))
    local r, err = pycache.check(opts{ backend = "exec", program = odd .. "/pycache", touched = { sp .. "/';true'" } })
    assert.is_table(r, err)
    assert.is_false(H.exists(tmp .. "/pwned"))
  end)

  it("turns fatal errors into nil and the program's message, in both backends", function()
    for _, backend in ipairs({ "native", "exec" }) do
      local r, err = pycache.update(opts{ backend = backend, site_packages = tmp .. "/none" })
      assert.is_nil(r)
      assert.truthy(err:find(tmp .. "/none: site-packages directory does not exist", 1, true), err)
    end
    local r, err = pycache.check(opts{ backend = "exec", program = tmp .. "/nope" })
    assert.is_nil(r)
    assert.equal(tmp .. "/nope: program not found; reinstall pycache", err)
    r, err = pycache.check(opts{ backend = "bogus" })
    assert.is_nil(r)
    assert.truthy(err:find("unknown backend", 1, true))
  end)

  it("raises on misuse", function()
    local ok, err = pcall(pycache.update, { flavor = "py311", touched = "x" })
    assert.is_false(ok)
    assert.truthy(err:find('pycache.update: touched: must be an array of paths, got "x"', 1, true), err)
    -- A value only the engine can judge is misuse through either backend;
    -- through the program it once failed in a Lua string.format call.
    for _, backend in ipairs({ "native", "exec" }) do
      ok, err = pcall(pycache.update, opts{ backend = backend, jobs = 2.5 })
      assert.is_false(ok)
      assert.truthy(err:find("pycache.update: jobs: must be a whole number >= 0 (0: one per core), got 2.5", 1, true), err)
    end
  end)

  describe("trigger", function()
    for _, backend in ipairs({ "native", "exec" }) do
      it("updates the touched dirs, or the whole tree without arg (" .. backend .. ")", function()
        local out, err, r = captured(function()
          return pycache.trigger(opts{ backend = backend, arg = { sp .. "/pkg", sp .. "/pkg", 7 } })
        end)
        assert.equal("", err)
        -- Through the program a trigger's report has no path lists
        -- (--json-summary); the native module's is the whole report.
        assert.same(backend == "native" and { sp .. "/pkg" } or nil, r.touched)
        assert.truthy(out:find("^>=> Python 3%.11: wrote 6 pycs %(2 %.pyc, 2 %.opt%-1%.pyc, 2 %.opt%-2%.pyc%) for 2 sources in [%d.]+ s\n$"), out)
        for _, arg in pairs({ none = false, empty = {} }) do
          out, err, r = captured(function()
            return pycache.trigger(opts{ backend = backend, arg = arg or nil })
          end)
          assert.is_nil(r.touched)
          assert.equal(">=> Python 3.11: bytecode up to date (2 sources)\n", out)
        end
      end)
    end

    for _, backend in ipairs({ "native", "exec" }) do
      it("prints nothing a file name holds unescaped (" .. backend .. ")", function()
        local dir = sp .. "/pkg\27]2;title\7"
        for _, name in ipairs({ "clear\27[2J.py", "cr\rFAKE.py", "nl\n>=> fake.py", "del\127.py", "c1\194\155.py",
            "raw\155.py", "bidi\226\128\174yp.py", "back\\x1b.py" }) do
          H.write(dir .. "/" .. name, "X = 1\n")
        end
        H.write(dir .. "/bad\27[31m\r.py", "print 'x'\n")
        local out, err = captured(function() return pycache.trigger(opts{ backend = backend }) end)
        assert.equal("", err)
        terminal_safe(out)
        assert.equal(2, select(2, out:gsub("\n", "")), out)
        assert.truthy(out:find("\npycache: " .. sp .. "/pkg\\x1b]2;title\\x07/bad\\x1b[31m\\r.py: SyntaxError", 1, true), out)
        -- pycache.lua's own line quotes the engine's error as the program
        -- prints it.
        local gone = tmp .. "/gone\27[2J\r\n\226\128\174\155\\"
        out, err = captured(function() return pycache.trigger(opts{ backend = backend, site_packages = gone }) end)
        terminal_safe(err)
        local p = io.popen(H.quote(program) .. " check --no-config --python " .. H.python .. " --site-packages "
          .. H.quote(gone) .. " 2>&1")
        local line = p:read("a")
        p:close()
        assert.truthy(line:find(tmp .. "/gone\\x1b[2J\\r\\n\\u{202e}\239\191\189\\\\: site-packages directory", 1, true), line)
        assert.equal("pycache: py311 bytecode not updated: " .. line:sub(#"pycache: " + 1), err)
      end)
    end

    it("escapes what it quotes in its own line", function()
      local program_odd = tmp .. "/nope\27]0;x\7\r\155"
      local _, err = captured(function() return pycache.trigger(opts{ backend = "exec", program = program_odd }) end)
      terminal_safe(err)
      assert.equal("pycache: py311 bytecode not updated: " .. tmp
        .. "/nope\\x1b]0;x\\x07\\r\239\191\189: program not found; reinstall pycache\n", err)
      assert.equal("a\\\\b\\x1b\\u{9b}\\u{202e}\239\191\189\\n", pycache._shown("a\\b\27\194\155\226\128\174\255\n"))
      assert.equal("caf\195\169 \226\128\175", pycache._shown("caf\195\169 \226\128\175"))
    end)

    it("never raises and prints one plain line", function()
      local cases = {
        { 5, "pycache: bytecode not updated: options must be a table\n" },
        { opts{ arg = "x" }, 'pycache.trigger: arg: must be an array of strings, got "x"' },
        { opts{ backend = "exec", program = tmp .. "/nope" }, "pycache: py311 bytecode not updated: " .. tmp .. "/nope: program not found; reinstall pycache\n" },
        { opts{ backend = "exec", site_packages = tmp .. "/gone" }, "site-packages directory does not exist" },
      }
      for _, case in ipairs(cases) do
        local out, err, r = captured(function() return pycache.trigger(case[1]) end)
        assert.equal("", out)
        assert.is_nil(r)
        assert.truthy(err:find(case[2], 1, true), err)
        assert.equal(1, select(2, err:gsub("\n", "")), err)
      end
    end)

    it("cleanup cleans the whole tree and never raises", function()
      H.write(sp .. "/pkg/__pycache__/gone.cpython-311.pyc", "x")
      local out, err, r = captured(function()
        return pycache.cleanup(opts{ backend = "exec", arg = { sp .. "/unrelated" } })
      end)
      assert.equal("", err)
      assert.equal("clean", r.command)
      assert.equal(">=> Python 3.11: removed 1 orphaned file\n", out)
      out, err = captured(function() return pycache.cleanup(nil) end)
      assert.equal("pycache: bytecode not cleaned: options must be a table\n", err)
    end)

    it("triggers take the report without its path lists, update the whole one", function()
      local gone = sp .. "/pkg/__pycache__/gone.cpython-311.pyc"
      H.write(gone, "x")
      local _, err, r = captured(function() return pycache.trigger(opts{ backend = "exec" }) end)
      assert.equal("", err)
      assert.truthy(r.lines[1]:find("removed 1 orphaned file", 1, true), r.lines[1])
      assert.equal(0, r.exit_code)
      assert.is_nil(r.removed_files)
      assert.is_nil(r.orphans)
      H.write(gone, "x")
      r = assert(pycache.update(opts{ backend = "exec" }))
      assert.equal(1, #r.removed_files)
      assert.truthy(r.removed_files[1]:find("gone.cpython-311.pyc", 1, true))
    end)
  end)

  describe("inside pkg", function()
    it("uses pkg.exec_capture, hands long requests over in a file, never print_msg", function()
      local seen, listed = {}, nil
      _G.pkg = {
        stat = function(p) return H.exists(p) and { type = "reg" } or nil end,
        print_msg = function() error("print_msg writes to fd 0 in triggers") end,
        exec_capture = function(argv)
          seen = argv
          for i, a in ipairs(argv) do
            if a == "--from" then
              local f = assert(io.open(argv[i + 1], "rb"))
              listed = f:read("a")
              f:close()
            end
          end
          return '{"schema":1,"lines":[">=> Python 3.11: x \\udcff"],"exit_code":0,"touched":null,' ..
                 '"compiled":[{"path":"/a/\\udce9\\u00e9","levels":[0,1,2]}]}', "", 0
        end,
      }
      -- The directories pkg touched, as the request carries them.
      local function dirs_of(request)
        local decoded = assert(pycache._json_decode(request))
        for _, pair in ipairs(decoded.options) do
          if pair[1] == "touched" then return pair[2] end
        end
      end
      local dirs = {}
      for i = 1, 20000 do dirs[i] = sp .. "/d" .. i end
      local out, err, r = captured(function()
        return pycache.trigger(opts{ backend = "exec", arg = dirs })
      end)
      assert.equal("", err)
      assert.equal(">=> Python 3.11: x \xff\n", out)
      assert.equal("/a/\xe9\xc3\xa9", r.compiled[1].path)
      assert.is_nil(r.touched)
      assert.equal(program, seen[1])
      assert.same({ "request", "--json-summary", "--from" }, { seen[2], seen[3], seen[4] })
      assert.truthy(#seen < 30, "the directory list must not be on argv")
      assert.same(dirs, dirs_of(listed))
      assert.is_false(H.exists(seen[5]), "temporary request left behind")
      -- a short request goes on argv, and a name that looks like a flag
      -- stays a name
      captured(function() return pycache.trigger(opts{ backend = "exec", arg = { sp .. "/-n" } }) end)
      assert.equal(4, #seen)
      assert.same({ sp .. "/-n" }, dirs_of(seen[4]))
    end)

    it("reports a program that cannot be spawned in one line", function()
      _G.pkg = {
        stat = function() return { type = "reg" } end,
        -- as libpkg/lua.c answers a failed posix_spawnp
        exec_capture = function() return nil, nil, 13 end,
      }
      local out, err = captured(function() return pycache.trigger(opts{ backend = "exec" }) end)
      assert.equal("", out)
      assert.equal("pycache: py311 bytecode not updated: " .. program
        .. ": cannot run the pycache program: Permission denied; reinstall pycache\n", err)
    end)

    it("with pkg.exec only (pkg < 2.8), lets the program print and adds nothing", function()
      local argv_seen
      _G.pkg = {
        stat = function() return { type = "reg" } end,
        exec = function(argv) argv_seen = argv return nil, "Abnormal termination", 0 end,
      }
      local out, err, r = captured(function() return pycache.trigger(opts{ backend = "exec" }) end)
      assert.equal("", out .. err)
      assert.same({ printed = true, exit_code = 1 }, r)
      for _, a in ipairs(argv_seen) do assert.falsy(a:find("^%-%-json"), a) end
    end)

    it("reads pkg 1.17.4-1.20.6's spelling of a non-zero exit as the program's own failure", function()
      _G.pkg = {
        stat = function() return { type = "reg" } end,
        -- libpkg/lua.c before "lua: fix frenglish" (1.20.7, 1.21.0)
        exec = function() return nil, "Abnormal terminaison", 0 end,
      }
      local out, err, r = captured(function() return pycache.trigger(opts{ backend = "exec" }) end)
      assert.equal("", out .. err)
      assert.same({ printed = true, exit_code = 1 }, r)
    end)
  end)

  it("sends the program any Lua value as the engine reads it from pycache.core", function()
    local itself = {}
    itself[1] = itself
    local cases = {
      { key = "timeout", value = math.huge }, { key = "timeout", value = -math.huge },
      { key = "timeout", value = 0 / 0 }, { key = "jobs", value = 2.5 }, { key = "jobs", value = -3 },
      { key = "verify", value = print }, { key = "verify", value = io.stdout },
      { key = "levels", value = { { 0 } } }, { key = "levels", value = itself },
      { key = "levels", value = { 0, nil, 2 } }, { key = 1, value = "x" }, { key = true, value = 1 },
      { key = "python", value = "" }, { key = "python", value = "/a\0b" },
      { key = "prefix", value = "/\xff\xfe/\xc3" }, { key = "exclude", value = { "ok", 5 } },
      { key = "flavor", value = "py\"3\\11\n" },
    }
    for _, case in ipairs(cases) do
      local got = {}
      for _, backend in ipairs({ "native", "exec" }) do
        local o = opts{ backend = backend }
        o[case.key] = case.value
        local ok, r, err = pcall(pycache.check, o)
        got[backend] = ok and (r and "report" or ("nil, " .. tostring(err))) or r:match("pycache%.check: (.*)$")
      end
      local label = tostring(case.key) .. " = " .. tostring(case.value)
      assert.is_string(got.native, label)
      assert.equal(got.native, got.exec, label)
    end
    -- Not a table at all: the engine's words, from pycache.core and from
    -- the program given the request this module writes.
    local ok, err = pcall(pycache.check, 5)
    assert.is_false(ok)
    assert.truthy(err:find("pycache.check: options must be a table, got integer", 1, true), err)
    local p = io.popen(H.quote(program) .. " request --json " .. H.quote(pycache._request_json("check", 5)))
    local answer = assert(pycache._json_decode(p:read("a")))
    p:close()
    assert.same({ "options must be a table, got integer", "option" }, { answer.error, answer.kind })
    -- No options at all: every default (python3 on PATH), as the program
    -- given no flag, not a refusal.
    local answers = {}
    for i, args in ipairs({ "request --json " .. H.quote(pycache._request_json("check", nil)), "check --json" }) do
      p = io.popen(H.quote(program) .. " " .. args .. " 2>/dev/null")
      answers[i] = assert(pycache._json_decode(p:read("a")))
      p:close()
    end
    assert.are_not.equal("option", answers[1].kind)
    assert.same({ answers[2].error, answers[2].python }, { answers[1].error, answers[1].python })
  end)

  it("decodes JSON strictly and never with load", function()
    local decode = pycache._json_decode
    assert.same({ a = { 1, 2.5, true }, c = "\xff\xf0\x9f\x98\x80\n" },
      decode('{"a":[1,2.5,true],"b":null,"c":"\\udcff\\ud83d\\ude00\\n"}'))
    for _, bad in ipairs({ '{"a":1', '{"a":1} x', '"\\udc41"', "[1,]", "nul" }) do
      local v, err = decode(bad)
      assert.is_nil(v, bad)
      assert.is_string(err)
    end
    local f = assert(io.open(H.repo .. "/lua/pycache.lua", "rb"))
    local src = f:read("a")
    f:close()
    assert.is_nil(src:find("%f[%w_]load%s*%("), "pycache.lua must not call load")
    assert.is_nil(src:find("loadstring", 1, true))
    assert.is_nil(src:find("dofile", 1, true))
  end)

  it("leaks nothing into globals", function()
    local before = {}
    for k in pairs(_G) do before[k] = true end
    local p = H.require_pycache()
    captured(function() return p.trigger(opts{ backend = "exec", arg = { sp } }) end)
    captured(function() return p.trigger(opts{ backend = "native" }) end)
    for k in pairs(_G) do assert.is_true(before[k] or false, "new global " .. tostring(k)) end
  end)
end)
