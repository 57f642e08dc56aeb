-- Suggestions per buffer: ask the server, keep the answer, cycle, accept, dismiss.
--
-- A buffer's state remembers where its suggestion belongs (cursor and changedtick). Any
-- event that finds the buffer elsewhere drops it; a response to an older request, or one
-- for a buffer that changed since it was asked, is dropped as stale.
local client = require("coderd.client")
local ghost = require("coderd.ghost")
local text = require("coderd.text")
local candidates = require("coderd.items")
local popup = require("coderd.popup")

local M = {}

local AUTOMATIC, INVOKED = 2, 1
local states = {} -- bufnr -> state
local opts = nil -- options from setup()

function M.configure(options)
  opts = options
end

local function state(bufnr)
  local s = states[bufnr]
  if not s then
    s = { shown_ids = {}, responses = 0 }
    states[bufnr] = s
  end
  return s
end

--- The state of `bufnr` (for tests and :CoderdStatus); nil when it never had one.
function M.get_state(bufnr)
  return states[bufnr or vim.api.nvim_get_current_buf()]
end

local function cursor()
  local pos = vim.api.nvim_win_get_cursor(0)
  return pos[1] - 1, pos[2]
end

local function here(bufnr)
  local row, col = cursor()
  local line = vim.api.nvim_buf_get_lines(bufnr, row, row + 1, false)[1] or ""
  return { row = row, col = col, tick = vim.api.nvim_buf_get_changedtick(bufnr), line = line,
    selected = popup.selected_word() or "" }
end

-- The same cursor, text and completion-menu selection (a suggestion depends on all three).
local function same_place(a, b)
  return a and b and a.row == b.row and a.col == b.col and a.tick == b.tick
    and a.selected == b.selected
end

local function in_insert_mode()
  return vim.api.nvim_get_mode().mode:sub(1, 1) == "i"
end

local function current(s)
  return s.items and s.items[s.index] or nil
end

function M.is_visible(bufnr)
  bufnr = bufnr or vim.api.nvim_get_current_buf()
  local s = states[bufnr]
  return s ~= nil and s.rest ~= nil and same_place(s.at, here(bufnr))
end

local function stop_timer(s)
  if s.timer then
    s.timer:stop()
  end
end

local function cancel_request(s)
  if s.request then
    client.cancel(s.request.id)
    s.request = nil
  end
end

-- Forgets the suggestion; tells the server it was rejected unless part of it was taken.
local function drop(bufnr, s, reject)
  local item = current(s)
  if reject and item and item.id and s.rest and not s.accepted_any then
    client.notify("coderd/didReject", { id = item.id })
  end
  s.items, s.index, s.rest, s.at = nil, nil, nil, nil
  s.accepted_any, s.advanced, s.invoked = nil, nil, nil
  ghost.clear(bufnr)
end

local function render(bufnr, s)
  s.at = here(bufnr)
  ghost.show(bufnr, s.at.row, s.at.col, s.rest, opts.hl_group)
  local item = current(s)
  if item.id and not s.shown_ids[item.id] then
    s.shown_ids[item.id] = true
    client.notify("coderd/didShow", { id = item.id })
  end
end

local function show_index(bufnr, s, index)
  s.index = index
  s.rest = s.items[index].text
  s.accepted_any, s.advanced = nil, nil
  render(bufnr, s)
end

local function on_response(bufnr, s, req, err, result)
  if s.request ~= req then
    return -- superseded by a newer request (its cancel may have crossed the answer)
  end
  s.request = nil
  s.responses = s.responses + 1
  if err or type(result) ~= "table" then
    return
  end
  if bufnr ~= vim.api.nvim_get_current_buf() or not in_insert_mode()
      or not same_place(req.at, here(bufnr)) then
    return -- stale: the buffer or the cursor changed since the request
  end
  local items = candidates.from_result(result, req, client.offset_encoding())
  if #items == 0 then
    return -- nothing (new) to show; a suggestion being cycled stays as it is
  end
  local previous = s.rest and current(s) or nil
  drop(bufnr, s, false)
  s.items, s.invoked = items, req.kind == INVOKED
  local index = 1
  if req.direction and previous then
    -- Cycling from a shown suggestion: move on from it in the new list.
    for i, item in ipairs(items) do
      if item.text == previous.text then
        index = (i - 1 + req.direction) % #items + 1
        break
      end
    end
  end
  show_index(bufnr, s, index)
end

--- Asks the server for a suggestion at the cursor of the current window.
---@param kind integer 2 = Automatic (typing), 1 = Invoked (the user asked)
function M.request(bufnr, kind, direction)
  local s = state(bufnr)
  stop_timer(s)
  cancel_request(s)
  if bufnr ~= vim.api.nvim_get_current_buf() or not in_insert_mode() then
    return
  end
  local params = client.position_params()
  params.context = {
    triggerKind = kind,
    selectedCompletionInfo = popup.selected_completion_info(bufnr, params.position,
      client.offset_encoding()),
  }
  local req = { at = here(bufnr), kind = kind, direction = direction, position = params.position }
  s.request = req
  req.id = client.request(bufnr, "textDocument/inlineCompletion", params, function(err, result)
    on_response(bufnr, s, req, err, result)
  end)
  if req.id == nil then
    s.request = nil -- no client yet (starting up, or the server is not installed)
  end
end

local function schedule_request(bufnr, s)
  if not opts.auto_trigger then
    return
  end
  s.timer = s.timer or (vim.uv or vim.loop).new_timer()
  s.timer:stop()
  s.timer:start(opts.debounce_ms, 0, vim.schedule_wrap(function()
    if vim.api.nvim_buf_is_valid(bufnr) then
      M.request(bufnr, AUTOMATIC)
    end
  end))
end

-- The user typed exactly the next characters of the suggestion: keep showing the rest.
local function typed_ahead(s, now)
  local at = s.at
  if not at or now.row ~= at.row or now.col <= at.col then
    return nil
  end
  local typed = now.line:sub(at.col + 1, now.col)
  if now.line ~= at.line:sub(1, at.col) .. typed .. at.line:sub(at.col + 1) then
    return nil
  end
  if s.rest:sub(1, #typed) == typed and #typed < #s.rest then
    return s.rest:sub(#typed + 1)
  end
  return nil
end

--- TextChangedI / CursorMovedI.
function M.on_change(bufnr)
  local s = state(bufnr)
  local now = here(bufnr)
  if s.rest and same_place(s.at, now) then
    return -- our own edit (an accept), or an event for a change already handled
  end
  if s.request and same_place(s.request.at, now) then
    return -- the request in flight is for exactly this place
  end
  if s.rest then
    local rest = typed_ahead(s, now)
    if rest then
      s.rest, s.advanced = rest, true -- the candidates now start before the cursor
      render(bufnr, s)
      return
    end
    drop(bufnr, s, true)
  end
  cancel_request(s)
  schedule_request(bufnr, s)
end

--- Next (direction 1) or previous (-1) candidate; asks the server (Invoked) the first time.
function M.cycle(bufnr, direction)
  local s = state(bufnr)
  if s.rest and s.invoked and not s.advanced and same_place(s.at, here(bufnr)) then
    show_index(bufnr, s, (s.index - 1 + direction) % #s.items + 1)
    return
  end
  M.request(bufnr, INVOKED, direction)
end

--- Inserts all, the next word or the next line of the suggestion. false when none is shown.
---@param kind "all"|"word"|"line"
function M.accept(bufnr, kind)
  local s = states[bufnr]
  if not (s and s.rest) or not same_place(s.at, here(bufnr)) then
    return false
  end
  local head, rest = s.rest, ""
  if kind == "word" then
    head, rest = text.split_word(s.rest)
  elseif kind == "line" then
    head, rest = text.split_line(s.rest)
  end
  local item = current(s)
  local row, col = s.at.row, s.at.col
  stop_timer(s)
  cancel_request(s)
  vim.api.nvim_buf_set_text(bufnr, row, col, row, col, text.lines(head))
  local erow, ecol = text.end_position(row, col, head)
  vim.api.nvim_win_set_cursor(0, { erow + 1, ecol })
  if item.id then
    client.notify("coderd/didAccept", { id = item.id, kind = kind, acceptedText = head })
  end
  if rest == "" then
    drop(bufnr, s, false)
  else
    s.rest, s.accepted_any, s.advanced = rest, true, true
    render(bufnr, s)
  end
  return true
end

--- Hides the suggestion (coderd/didReject) and stops a pending request. false when none.
function M.dismiss(bufnr)
  local s = states[bufnr]
  if not s then
    return false
  end
  stop_timer(s)
  cancel_request(s)
  local visible = s.rest ~= nil
  drop(bufnr, s, true)
  return visible
end

--- The buffer is gone: forget its state.
function M.detach(bufnr)
  local s = states[bufnr]
  if s then
    stop_timer(s)
    cancel_request(s)
    if s.timer and not s.timer:is_closing() then
      s.timer:close()
    end
    states[bufnr] = nil
  end
end

return M
