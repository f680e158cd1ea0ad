-- A strict reader for the subset of UCL that pycache's trigger files use.
--
-- Supported: a top-level object of members `key: value`, `key = value` or
-- `key { ... }`, separated by newlines, `,` or `;`; keys are bare words or
-- double-quoted strings; values are double-quoted strings (JSON escapes),
-- `<<TERM` heredocs (TERM upper-case letters, closed by a line that is exactly
-- TERM; the text in between, without its last newline, taken verbatim),
-- booleans (true/false/yes/no/on/off, as libucl reads them), bare words
-- (strings such as `lua`), arrays `[a, b]` (a trailing comma is allowed) and
-- nested objects; `#` comments. Anything else -- numbers, null,
-- single-quoted strings, `//` and `/* */` comments, duplicate keys (libucl
-- would silently turn them into an array) -- is an error, so a file this
-- reader accepts means the same thing to pkg's libucl.
--
-- API:  local ucl = dofile("tests/support/ucl.lua")   (or require "ucl")
--       local t, err = ucl.parse(text)   -- table, or nil and "line N: message"
--       ucl.is_array(v)                  -- true for tables that were arrays
-- The input is never handed to `load`.

local M = { _VERSION = "0.1.0" }

local byte, sub, find, format = string.byte, string.sub, string.find, string.format

local ARRAY = {}
local BOOLEANS = { ["true"] = true, yes = true, on = true, ["false"] = false, no = false, off = false }

--- Whether `v` was an array in the parsed text (empty arrays included).
function M.is_array(v)
  return type(v) == "table" and getmetatable(v) == ARRAY
end

-- Raised inside the parser only; `parse` turns it into `nil, message`.
local Fail = {}

local function line_of(s, pos)
  local n = 1
  for _ in sub(s, 1, pos - 1):gmatch("\n") do n = n + 1 end
  return n
end

local function fail(st, pos, fmt, ...)
  error(setmetatable({ msg = format("line %d: " .. fmt, line_of(st.s, pos), ...) }, Fail), 0)
end

local function describe(st, pos)
  if pos > #st.s then return "end of input" end
  local c = sub(st.s, pos, pos)
  if c == "\n" then return "end of line" end
  return format("%q", c)
end

-- Skips spaces, tabs, carriage returns, comments and (when `newlines`)
-- newlines. Returns the new position.
local function skip(st, pos, newlines)
  local s = st.s
  while true do
    local c = sub(s, pos, pos)
    if c == " " or c == "\t" or c == "\r" then
      pos = pos + 1
    elseif c == "\n" and newlines then
      pos = pos + 1
    elseif c == "#" then
      local nl = find(s, "\n", pos, true)
      pos = nl or (#s + 1)
    elseif c == "/" and (sub(s, pos + 1, pos + 1) == "/" or sub(s, pos + 1, pos + 1) == "*") then
      fail(st, pos, "only # comments are supported")
    else
      return pos
    end
  end
end

local ESCAPES = { ['"'] = '"', ["\\"] = "\\", ["/"] = "/", b = "\b", f = "\f", n = "\n", r = "\r", t = "\t" }

-- A double-quoted string starting at `pos` (the quote). Returns value, next pos.
local function quoted(st, pos)
  local s, buf, i = st.s, {}, pos + 1
  while true do
    local c = sub(s, i, i)
    if c == "" or c == "\n" then
      fail(st, pos, "unterminated string")
    elseif c == '"' then
      return table.concat(buf), i + 1
    elseif c == "\\" then
      local e = sub(s, i + 1, i + 1)
      if ESCAPES[e] then
        buf[#buf + 1] = ESCAPES[e]
        i = i + 2
      elseif e == "u" then
        local hex = sub(s, i + 2, i + 5)
        if not hex:match("^%x%x%x%x$") then fail(st, i, "bad \\u escape") end
        buf[#buf + 1] = utf8.char(tonumber(hex, 16))
        i = i + 6
      else
        fail(st, i, "unknown escape \\%s", e)
      end
    elseif byte(c) < 32 then
      fail(st, i, "control character in string")
    else
      buf[#buf + 1] = c
      i = i + 1
    end
  end
end

-- A heredoc starting at `pos` (the first `<`).
local function heredoc(st, pos)
  local s = st.s
  local _, e, term = find(s, "^<<([A-Z]+)\n", pos)
  if not term then fail(st, pos, "a heredoc is <<TERM (upper-case letters) followed by a newline") end
  local body_start = e + 1
  local at = body_start
  while true do
    -- the terminator line: TERM, then a newline or the end of input
    if sub(s, at, at + #term - 1) == term then
      local after = sub(s, at + #term, at + #term)
      if after == "\n" or after == "" then
        local body = at > body_start and sub(s, body_start, at - 2) or ""
        return body, at + #term
      end
    end
    local nl = find(s, "\n", at, true)
    if not nl then fail(st, pos, "heredoc <<%s is never closed by a line %s", term, term) end
    at = nl + 1
  end
end

local value -- forward declaration

-- Members of an object until `close` ("}" or "" for the end of input).
local function members(st, pos, close)
  local s, obj = st.s, {}
  while true do
    pos = skip(st, pos, true)
    local c = sub(s, pos, pos)
    if c == close then
      return obj, pos + #close
    elseif c == "" then
      fail(st, pos, "missing }")
    end
    local key, kpos = nil, pos
    if c == '"' then
      key, pos = quoted(st, pos)
    else
      key = s:match("^[%a_][%w_%-]*", pos)
      if not key then fail(st, pos, "expected a key, found %s", describe(st, pos)) end
      pos = pos + #key
    end
    if obj[key] ~= nil then
      fail(st, kpos, "duplicate key %q (libucl would merge the values into an array)", key)
    end
    pos = skip(st, pos, false)
    c = sub(s, pos, pos)
    if c == ":" or c == "=" then
      pos = skip(st, pos + 1, false)
    elseif c ~= "{" then
      fail(st, pos, "expected : or = after key %q, found %s", key, describe(st, pos))
    end
    obj[key], pos = value(st, pos)
    -- after a value: a separator, the end of the line, or the close
    pos = skip(st, pos, false)
    c = sub(s, pos, pos)
    if c == "," or c == ";" or c == "\n" then
      pos = pos + 1
    elseif c ~= close and not (c == "" and close == "") then
      fail(st, pos, "expected a newline, , or ; after the value of %q, found %s", key, describe(st, pos))
    end
  end
end

local function array(st, pos)
  local s, arr = st.s, setmetatable({}, ARRAY)
  pos = pos + 1
  while true do
    pos = skip(st, pos, true)
    if sub(s, pos, pos) == "]" then return arr, pos + 1 end
    arr[#arr + 1], pos = value(st, pos)
    pos = skip(st, pos, true)
    local c = sub(s, pos, pos)
    if c == "," then
      pos = pos + 1
    elseif c ~= "]" then
      fail(st, pos, "expected , or ] in array, found %s", describe(st, pos))
    end
  end
end

function value(st, pos)
  local s = st.s
  local c = sub(s, pos, pos)
  if c == '"' then
    return quoted(st, pos)
  elseif c == "<" then
    return heredoc(st, pos)
  elseif c == "[" then
    return array(st, pos)
  elseif c == "{" then
    return members(st, pos + 1, "}")
  elseif c == "'" then
    fail(st, pos, "single-quoted strings are not supported")
  end
  local word = s:match("^[%a_][%w_.+%-]*", pos)
  if not word then
    if c:match("[%d%-]") then fail(st, pos, "numbers are not supported") end
    fail(st, pos, "expected a value, found %s", describe(st, pos))
  end
  if word == "null" then fail(st, pos, "null is not supported") end
  local b = BOOLEANS[word:lower()]
  if b ~= nil then return b, pos + #word end
  return word, pos + #word
end

--- Parses `text`. Returns a table, or `nil, "line N: message"`.
function M.parse(text)
  if type(text) ~= "string" then error("ucl.parse: text must be a string", 2) end
  local st = { s = text }
  local ok, result = pcall(members, st, 1, "")
  if ok then return result end
  if getmetatable(result) == Fail then return nil, result.msg end
  error(result, 0) -- a bug in this reader, not bad input
end

return M
