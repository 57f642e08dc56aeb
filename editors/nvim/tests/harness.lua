-- Helpers for the headless end-to-end scripts (e2e.lua): logging, exit codes, a coroutine
-- runner that yields to Neovim's main loop while it waits, and readers for the ghost text
-- (extmarks) and the screen (screenstring after redraw). Loaded with dofile().
--
-- Keys are typed with nvim_input, so mappings and autocmds run as they do for a user.
local t0 = (vim.uv or vim.loop).hrtime()
local function ms()
  return math.floor(((vim.uv or vim.loop).hrtime() - t0) / 1e6)
end
local function log(msg)
  io.stdout:write(("[%5d ms] %s\n"):format(ms(), msg))
  io.stdout:flush()
end
local function finish(code, msg)
  log(msg)
  vim.cmd("cquit " .. code)
end

local coderd = require("coderd")
local client = require("coderd.client")
local suggestion = require("coderd.suggestion")
local ns = require("coderd.ghost").ns

-- Every notification the plugin sends, in order (the real ones still go to the server).
local sent = {}
local real_notify = client.notify
client.notify = function(method, params)
  table.insert(sent, { method = method, params = params })
  return real_notify(method, params)
end

-- Coroutine plumbing -----------------------------------------------------------------------
local co
local function resume_later(delay)
  local timer = (vim.uv or vim.loop).new_timer()
  timer:start(delay, 0, function()
    timer:close()
    vim.schedule(function()
      local ok, err = coroutine.resume(co)
      if not ok then
        finish(1, "FAIL: " .. debug.traceback(co, tostring(err)))
      end
    end)
  end)
end

local function wait_for(what, cond, timeout_ms)
  local deadline = ms() + (timeout_ms or 10000)
  while true do
    local ok, value = pcall(cond)
    if ok and value then
      return value
    end
    if ms() > deadline then
      error(("timed out after %d ms waiting for %s%s"):format(timeout_ms or 10000, what,
        ok and "" or (" (last error: " .. tostring(value) .. ")")), 2)
    end
    resume_later(20)
    coroutine.yield()
  end
end

local function type_keys(keys)
  vim.api.nvim_input(keys)
  -- Let the main loop consume the keys (mappings, autocmds) before the next step.
  wait_for("typeahead to drain", function()
    return vim.fn.getchar(1) == 0
  end)
  resume_later(10)
  coroutine.yield()
end

local function eq(expected, actual, what)
  if not vim.deep_equal(expected, actual) then
    error(("%s:\n  expected %s\n  actual   %s")
      :format(what, vim.inspect(expected), vim.inspect(actual)), 2)
  end
end

-- What is on screen ------------------------------------------------------------------------
local function ghost()
  local marks = vim.api.nvim_buf_get_extmarks(0, ns, 0, -1, { details = true })
  if #marks == 0 then
    return nil
  end
  assert(#marks == 1, "more than one ghost-text extmark: " .. vim.inspect(marks))
  local m = marks[1]
  local d = m[4]
  local g = { row = m[2], col = m[3], first = "", lines = {}, pos = d.virt_text_pos }
  for _, chunk in ipairs(d.virt_text or {}) do
    g.first = g.first .. chunk[1]
    assert(chunk[2] == "CoderdSuggestion", "highlight " .. tostring(chunk[2]))
  end
  for _, vl in ipairs(d.virt_lines or {}) do
    local s = ""
    for _, chunk in ipairs(vl) do
      s = s .. chunk[1]
    end
    table.insert(g.lines, s)
  end
  return g
end

local function screen_row(r)
  local chars = {}
  for c = 1, vim.o.columns do
    chars[c] = vim.fn.screenstring(r, c)
  end
  return (table.concat(chars):gsub("%s+$", ""))
end

local function screen(first, last)
  vim.cmd("redraw")
  local rows = {}
  for r = first, last do
    table.insert(rows, screen_row(r))
  end
  return rows
end

local function buffer()
  return vim.api.nvim_buf_get_lines(0, 0, -1, false)
end

local function cursor()
  return vim.api.nvim_win_get_cursor(0)
end

-- Waits (`timeout_ms`, default 10 s) for the ghost text `text` (first line + virt_lines) at
-- (row, col), 0-based.
local function expect_ghost(text, row, col, what, timeout_ms)
  local lines = vim.split(text, "\n", { plain = true })
  local g = wait_for(what, function()
    local g = ghost()
    return g and (g.first .. table.concat(g.lines)) ~= "" and g
  end, timeout_ms)
  eq({ row = row, col = col, first = lines[1], lines = { unpack(lines, 2) } },
    { row = g.row, col = g.col, first = g.first, lines = g.lines }, what .. " (extmark)")
  local expected_pos = vim.fn.has("nvim-0.10") == 1 and "inline" or "overlay"
  if lines[1] ~= "" then
    eq(expected_pos, g.pos, what .. " (virt_text_pos)")
  end
  return g
end

local function request(method, params)
  local done, result
  client.request(0, method, params, function(err, res)
    assert(not err, vim.inspect(err))
    done, result = true, res
  end)
  wait_for(method, function()
    return done
  end)
  return result
end

local function sent_of(method)
  local out = {}
  for _, n in ipairs(sent) do
    if n.method == method then
      table.insert(out, n.params)
    end
  end
  return out
end

--- Runs `body` in a coroutine; exits 0 when it returns, 1 when it fails or takes too long.
local function run(body, timeout_ms)
  local watchdog = (vim.uv or vim.loop).new_timer()
  watchdog:start(timeout_ms, 0, vim.schedule_wrap(function()
    finish(1, ("FAIL: the test took longer than %d ms"):format(timeout_ms))
  end))
  co = coroutine.create(function()
    body()
    finish(0, "PASS")
  end)
  resume_later(0)
end

return {
  log = log, finish = finish, run = run, coderd = coderd,
  client = client, suggestion = suggestion, sent = sent, sent_of = sent_of,
  wait_for = wait_for, type_keys = type_keys, eq = eq, ghost = ghost, screen = screen,
  buffer = buffer, cursor = cursor, expect_ghost = expect_ghost, request = request,
}
