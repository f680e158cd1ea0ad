-- busted --lua=lua5.4 tests/lua
-- Specs of the strict UCL-subset reader in tests/support/ucl.lua.

local here = debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$") or "."
local ucl = dofile(here .. "/../support/ucl.lua")

local function rejects(text, pattern)
  local t, err = ucl.parse(text)
  assert.is_nil(t, "accepted: " .. text)
  assert.is_string(err)
  assert.truthy(err:find(pattern, 1, true), ("%q does not contain %q"):format(err, pattern))
end

describe("ucl.parse", function()
  it("reads members with : and =, bare words, strings and booleans", function()
    local t = assert(ucl.parse('a: lua\nb = "x y"\n"c d": true\ne: no\nf: On\n'))
    assert.same({ a = "lua", b = "x y", ["c d"] = true, e = false, f = true }, t)
  end)

  it("reads nested objects with or without a colon, and separators", function()
    local t = assert(ucl.parse("o: { a: x; b: y, c: z }\np {\n  q: r\n}\n"))
    assert.same({ o = { a = "x", b = "y", c = "z" }, p = { q = "r" } }, t)
  end)

  it("reads arrays, marks them, allows a trailing comma and newlines", function()
    local t = assert(ucl.parse('g: [\n  "a",\n  "b",\n]\ne: []\n'))
    assert.same({ "a", "b" }, t.g)
    assert.is_true(ucl.is_array(t.g))
    assert.is_true(ucl.is_array(t.e))
    assert.is_false(ucl.is_array({}))
  end)

  it("decodes JSON escapes in double-quoted strings", function()
    local t = assert(ucl.parse([[s: "q\"b\\s\/n\nt\tu\u00e9"]]))
    assert.equal('q"b\\s/n\nt\tu\195\169', t.s)
  end)

  it("takes heredoc bodies verbatim, without the last newline", function()
    local t = assert(ucl.parse('s: <<EOS\nprint("a\\n") # not a comment\n  EOS inside\nEOS\nk: v\n'))
    assert.equal('print("a\\n") # not a comment\n  EOS inside', t.s)
    assert.equal("v", t.k)
    assert.equal("", assert(ucl.parse("s: <<EOS\nEOS")).s)
    assert.equal("x", assert(ucl.parse("o { s: <<END\nx\nEND\n}")).o.s)
  end)

  it("ignores # comments outside strings", function()
    local t = assert(ucl.parse('# head\na: "#x" # tail\n# end'))
    assert.same({ a = "#x" }, t)
  end)

  it("accepts an empty document", function()
    assert.same({}, assert(ucl.parse("")))
    assert.same({}, assert(ucl.parse("# only a comment\n\n")))
  end)

  it("rejects what is outside the subset, naming the line", function()
    rejects("a: b\nn: 1\n", "line 2: numbers are not supported")
    rejects("a: -1", "line 1: numbers are not supported")
    rejects("a: null", "null is not supported")
    rejects("a: 'x'", "single-quoted strings are not supported")
    rejects("a: b // c", "only # comments are supported")
    rejects("/* c */ a: b", "only # comments are supported")
    rejects("a: b\n\na: c", 'line 3: duplicate key "a"')
  end)

  it("rejects malformed input, naming the line", function()
    rejects('a: "x', "line 1: unterminated string")
    rejects('a: "x\ny"', "line 1: unterminated string")
    rejects('a: "\\q"', "unknown escape \\q")
    rejects('a: "\\u12"', "bad \\u escape")
    rejects("a: <<EOS\nx\n", "line 1: heredoc <<EOS is never closed")
    rejects("a: <<EOS\nx\nEOS \n", "never closed")
    rejects("a: <<eos\nx\neos\n", "a heredoc is <<TERM")
    rejects("a: <<EOS x\nEOS\n", "a heredoc is <<TERM")
    rejects("o: { a: b\n", "line 2: missing }")
    rejects("a: b c", 'after the value of "a"')
    rejects("a b", 'expected : or = after key "a"')
    rejects("a: [b c]", "expected , or ] in array")
    rejects("a: [b,", "expected a value, found end of input")
    rejects("}", 'expected a key, found "}"')
    rejects("a:", "expected a value, found end of input")
    rejects('a: "\1"', "control character in string")
  end)

  it("never evaluates its input", function()
    local t = assert(ucl.parse('s: <<EOS\nos.exit(1)\nEOS\n'))
    assert.equal("os.exit(1)", t.s)
  end)

  it("raises on misuse", function()
    assert.has_error(function() ucl.parse(nil) end, "ucl.parse: text must be a string")
  end)
end)

describe("ucl.lua source", function()
  it("hands no input to load, loadstring, dofile or require", function()
    local src = assert(io.open(here .. "/../support/ucl.lua")):read("a"):gsub("%-%-[^\n]*", "")
    for _, f in ipairs { "load", "loadstring", "dofile", "loadfile" } do
      assert.falsy(src:find("[^%w_.]" .. f .. "%s*%("), f .. " is called in ucl.lua")
    end
  end)
end)
